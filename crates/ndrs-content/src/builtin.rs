//! The content documents that ship with the system: the 2023 round's, from which the demo and
//! the reproduction of the 2023 report start. They are embedded in the binary, so an installed
//! `ndrs` has them whatever its working directory; the organiser loads them (or their
//! successors) like any other document.

/// A shipped document: the cycle it was written for, the earliest cycle it describes, its
/// return kind and its text.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    pub cycle_year: i32,
    /// The 2023 questionnaire is also what the earlier rounds asked (their returns were read
    /// under the same version, `2023.1`, in the typed API), so it serves every cycle from 2017.
    pub first_cycle: i32,
    pub kind: &'static str,
    pub path: &'static str,
    pub text: &'static str,
}

/// Every shipped questionnaire.
pub const QUESTIONNAIRES: &[Shipped] = &[
    Shipped {
        cycle_year: 2023,
        first_cycle: 2017,
        kind: "application_questionnaire",
        path: "content/2023/application.toml",
        text: include_str!("../content/2023/application.toml"),
    },
    Shipped {
        cycle_year: 2023,
        first_cycle: 2017,
        kind: "sharing_hub",
        path: "content/2023/sharing_hub.toml",
        text: include_str!("../content/2023/sharing_hub.toml"),
    },
    Shipped {
        cycle_year: 2023,
        first_cycle: 2017,
        kind: "compute_centre",
        path: "content/2023/compute_centre.toml",
        text: include_str!("../content/2023/compute_centre.toml"),
    },
];

/// Every shipped indicator document.
pub const INDICATORS: &[Shipped] = &[
    Shipped {
        cycle_year: 2023,
        first_cycle: 2017,
        kind: "application_indicators",
        path: "content/2023/application_indicators.toml",
        text: include_str!("../content/2023/application_indicators.toml"),
    },
    Shipped {
        cycle_year: 2023,
        first_cycle: 2017,
        kind: "sharing_hub_indicators",
        path: "content/2023/sharing_hub_indicators.toml",
        text: include_str!("../content/2023/sharing_hub_indicators.toml"),
    },
];

/// Every shipped derived-figures document.
pub const DERIVED: &[Shipped] = &[Shipped {
    cycle_year: 2023,
    first_cycle: 2017,
    kind: "derived_figures",
    path: "content/2023/derived.toml",
    text: include_str!("../content/2023/derived.toml"),
}];

/// Every shipped derived-figures document that describes `cycle_year`.
pub fn derived_for(cycle_year: i32) -> Vec<&'static Shipped> {
    newest_for(DERIVED, cycle_year)
}

/// The shipped questionnaire of `kind` written for `cycle_year`, if there is one.
pub fn questionnaire(cycle_year: i32, kind: &str) -> Option<&'static Shipped> {
    QUESTIONNAIRES
        .iter()
        .find(|s| s.cycle_year == cycle_year && s.kind == kind)
}

/// Every shipped questionnaire that describes `cycle_year`: per kind, the newest whose first
/// cycle is not after it.
pub fn questionnaires_for(cycle_year: i32) -> Vec<&'static Shipped> {
    newest_for(QUESTIONNAIRES, cycle_year)
}

/// Every shipped indicator document that describes `cycle_year`, as for questionnaires.
pub fn indicators_for(cycle_year: i32) -> Vec<&'static Shipped> {
    newest_for(INDICATORS, cycle_year)
}

/// The shipped indicator document of `kind` written for `cycle_year`, if there is one.
pub fn indicators(cycle_year: i32, kind: &str) -> Option<&'static Shipped> {
    INDICATORS
        .iter()
        .find(|s| s.cycle_year == cycle_year && s.kind == kind)
}

fn newest_for(documents: &'static [Shipped], cycle_year: i32) -> Vec<&'static Shipped> {
    let mut out: Vec<&'static Shipped> = Vec::new();
    for s in documents.iter().filter(|s| s.first_cycle <= cycle_year) {
        match out.iter_mut().find(|o| o.kind == s.kind) {
            Some(o) if o.cycle_year < s.cycle_year => *o = s,
            Some(_) => {}
            None => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cycle_gets_the_newest_questionnaire_that_describes_it() {
        let kinds = |year| {
            questionnaires_for(year)
                .iter()
                .map(|s| (s.kind, s.cycle_year))
                .collect::<Vec<_>>()
        };
        let shipped = vec![
            ("application_questionnaire", 2023),
            ("sharing_hub", 2023),
            ("compute_centre", 2023),
        ];
        assert_eq!(kinds(2022), shipped);
        assert_eq!(kinds(2023), shipped);
        assert_eq!(kinds(2016), vec![]);
        for shipped in QUESTIONNAIRES {
            let parsed = crate::Questionnaire::from_toml(shipped.text).unwrap();
            assert_eq!(parsed.kind, shipped.kind, "{}", shipped.path);
        }
        assert_eq!(
            indicators_for(2023)
                .iter()
                .map(|s| s.kind)
                .collect::<Vec<_>>(),
            ["application_indicators", "sharing_hub_indicators"]
        );
    }

    #[test]
    fn the_shipped_indicators_compile_against_the_shipped_questionnaire() {
        let questionnaire = std::sync::Arc::new(
            crate::CompiledQuestionnaire::from_toml(
                questionnaire(2023, "application_questionnaire")
                    .unwrap()
                    .text,
            )
            .unwrap(),
        );
        let compiled = crate::CompiledIndicators::from_toml(
            indicators(2023, "application_indicators").unwrap().text,
            questionnaire,
            &[
                "subject_type",
                "size_class",
                "region",
                "province",
                "industry",
            ],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(compiled.indicators.len(), 39);
        let hub = std::sync::Arc::new(
            crate::CompiledQuestionnaire::from_toml(
                super::questionnaire(2023, "sharing_hub").unwrap().text,
            )
            .unwrap(),
        );
        let compiled = crate::CompiledIndicators::from_toml(
            indicators(2023, "sharing_hub_indicators").unwrap().text,
            hub,
            &[],
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(compiled.indicators.len(), 3);
    }
}
