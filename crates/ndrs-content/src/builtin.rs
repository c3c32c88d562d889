//! The content documents that ship with the system: the 2023 round's, from which the demo and
//! the reproduction of the 2023 report start. They are embedded in the binary, so an installed
//! `ndrs` has them whatever its working directory; the organiser loads them (or their
//! successors) like any other document.

/// A shipped document: the cycle it was written for, its return kind and its text.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    pub cycle_year: i32,
    pub kind: &'static str,
    pub path: &'static str,
    pub text: &'static str,
}

/// Every shipped questionnaire.
pub const QUESTIONNAIRES: &[Shipped] = &[Shipped {
    cycle_year: 2023,
    kind: "application_questionnaire",
    path: "content/2023/application.toml",
    text: include_str!("../content/2023/application.toml"),
}];

/// The shipped questionnaire of `kind` for `cycle_year`, if there is one.
pub fn questionnaire(cycle_year: i32, kind: &str) -> Option<&'static Shipped> {
    QUESTIONNAIRES
        .iter()
        .find(|s| s.cycle_year == cycle_year && s.kind == kind)
}
