//! The cycle's sample design: every sampled unit (respondent or not) with its stratum, PSU,
//! design weight and frame classifications, the strata's population sizes, the weighting
//! specification and the variance method. Loaded by the organiser, stored as a new version on
//! every load (see `ndrs_platform::documents`), and turned into an `ndrs_stats` design when
//! figures are estimated.
//!
//! Validation happens at load time and names every offending field, so that a design that is
//! stored can always be estimated from (raking convergence, which depends on who responded, is
//! the one thing that can only be checked at estimation time).

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::Violations;
use ndrs_core::classification::{SizeClass, SubjectGroup, SubjectType, province};
use ndrs_platform::documents::Versioned;
use ndrs_platform::stage::{check_cycle_year, check_identifier};
use ndrs_proto::v1 as pb;
use ndrs_stats::{
    LonelyPsu, Margin, Raking, TrimCap, Trimming, VarianceMethod, WeightingSpec, WeightingStep,
};
use serde::{Deserialize, Serialize};

/// Document kind under which designs are stored, and how lineage cites them.
pub const DOCUMENT_KIND: &str = "application-sample-design";

/// Frame variables that weighting classes and raking margins may use.
pub const FRAME_VARIABLES: [&str; 5] = [
    "stratum",
    "subject_type",
    "size_class",
    "region",
    "province",
];

/// Most bootstrap replicates a design may ask for: beyond this the Monte Carlo error of the
/// variance is negligible and estimation time is wasted.
const MAX_REPLICATES: u32 = 10_000;
/// Most sampled units one design may hold (the 2023 sample had 4,429).
pub const MAX_SAMPLE_UNITS: usize = 200_000;
/// Most strata one design may declare.
pub const MAX_STRATA: usize = 20_000;

/// Raking settings: margins met to 1e-10 relative, within at most 1,000 passes (a design that
/// needs more has margins the sample cannot meet and gets a clear error instead).
const RAKING_MAX_ITERATIONS: usize = 1_000;
const RAKING_TOLERANCE: f64 = 1e-10;
/// Cap-and-redistribute rounds of trimming.
const TRIM_MAX_ROUNDS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampledUnit {
    pub reporting_unit_id: String,
    pub stratum: String,
    /// The unit's own id when the unit is its own PSU.
    pub psu: String,
    pub design_weight: f64,
    pub subject_type: SubjectType,
    pub size_class: Option<SizeClass>,
    pub province_code: String,
}

impl SampledUnit {
    /// The value of a frame variable for this unit (`""` for a size class of a non-enterprise).
    pub fn frame_value(&self, variable: &str) -> String {
        match variable {
            "stratum" => self.stratum.clone(),
            "subject_type" => self.subject_type.code().to_string(),
            "size_class" => self
                .size_class
                .map(|s| s.code().to_string())
                .unwrap_or_default(),
            "region" => region_of(&self.province_code),
            "province" => self.province_code.clone(),
            _ => String::new(),
        }
    }
}

/// Macro-region code of a province code (validated at load, so never unknown here).
pub fn region_of(province_code: &str) -> String {
    province(province_code)
        .map(|p| p.macro_region.code().to_string())
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumInfo {
    pub stratum: String,
    pub population_psus: Option<f64>,
    pub certainty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weighting {
    pub nonresponse_class: Option<String>,
    pub margins: Vec<Margin>,
    pub raking_bounds: Option<(f64, f64)>,
    pub trim_mean_multiple: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Variance {
    Jackknife,
    Bootstrap { replicates: u32, seed: u64 },
    Taylor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LonelyPolicy {
    Fail,
    Certainty,
    Adjust,
}

/// What is stored per version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleDesign {
    /// Sorted by reporting unit id.
    pub units: Vec<SampledUnit>,
    pub strata: Vec<StratumInfo>,
    pub weighting: Weighting,
    pub variance: Variance,
    pub confidence_level: f64,
    pub lonely_psu: LonelyPolicy,
}

impl SampleDesign {
    pub fn unit(&self, reporting_unit_id: &str) -> Option<&SampledUnit> {
        self.units
            .binary_search_by(|u| u.reporting_unit_id.as_str().cmp(reporting_unit_id))
            .ok()
            .map(|i| &self.units[i])
    }

    /// The weighting steps, always starting with non-response adjustment: the design lists
    /// non-respondents too, and they must hand their weight to respondents of their class.
    pub fn weighting_spec(&self, respondent_column: &str) -> WeightingSpec {
        let w = &self.weighting;
        let mut steps = vec![WeightingStep::NonResponse {
            class: w.nonresponse_class.clone(),
            respondent: respondent_column.to_string(),
        }];
        if !w.margins.is_empty() {
            steps.push(WeightingStep::Rake(Raking {
                margins: w.margins.clone(),
                max_iterations: RAKING_MAX_ITERATIONS,
                tolerance: RAKING_TOLERANCE,
                bounds: w.raking_bounds,
            }));
        }
        if let Some(multiple) = w.trim_mean_multiple {
            steps.push(WeightingStep::Trim(Trimming {
                cap: TrimCap::MeanMultiple(multiple),
                max_iterations: TRIM_MAX_ROUNDS,
            }));
        }
        WeightingSpec { steps }
    }

    pub fn variance_method(&self) -> VarianceMethod {
        match self.variance {
            Variance::Jackknife => VarianceMethod::Jackknife,
            Variance::Bootstrap { replicates, seed } => VarianceMethod::Bootstrap {
                replicates: replicates as usize,
                seed,
            },
            Variance::Taylor => VarianceMethod::Taylor,
        }
    }

    pub fn lonely_psu(&self) -> LonelyPsu {
        match self.lonely_psu {
            LonelyPolicy::Fail => LonelyPsu::Fail,
            LonelyPolicy::Certainty => LonelyPsu::Certainty,
            LonelyPolicy::Adjust => LonelyPsu::Adjust,
        }
    }

    /// One line for lineage: how the weights were made and the variance estimated.
    pub fn describe(&self) -> String {
        let w = &self.weighting;
        let mut parts = vec![format!(
            "non-response adjustment within {}",
            w.nonresponse_class.as_deref().unwrap_or("one class")
        )];
        if !w.margins.is_empty() {
            let vars: Vec<&str> = w.margins.iter().map(|m| m.variable.as_str()).collect();
            parts.push(format!("raking to {}", vars.join(" x ")));
        }
        if let Some(m) = w.trim_mean_multiple {
            parts.push(format!("trimming at {m} x mean weight"));
        }
        let variance = match self.variance {
            Variance::Jackknife => "JKn jackknife".to_string(),
            Variance::Bootstrap { replicates, seed } => {
                format!("Rao-Wu bootstrap ({replicates} replicates, seed {seed})")
            }
            Variance::Taylor => "Taylor linearisation".to_string(),
        };
        format!(
            "{}; variance by {variance} with the weighting re-applied to every replicate",
            parts.join(", ")
        )
    }
}

pub fn summary_proto(d: &Versioned<SampleDesign>) -> pb::SampleDesignSummary {
    pb::SampleDesignSummary {
        cycle_year: d.cycle_year,
        version: d.version,
        units: d.body.units.len() as u32,
        strata: d
            .body
            .units
            .iter()
            .map(|u| u.stratum.as_str())
            .collect::<BTreeSet<_>>()
            .len() as u32,
        content_hash: d.content_hash.clone(),
        loaded_at: d.loaded_at.clone(),
        loaded_by: d.loaded_by.clone(),
    }
}

pub fn design_to_proto(d: &Versioned<SampleDesign>) -> pb::SampleDesign {
    let b = &d.body;
    let (method, replicates, seed) = match b.variance {
        Variance::Jackknife => (pb::VarianceMethod::Jackknife, 0, 0),
        Variance::Bootstrap { replicates, seed } => {
            (pb::VarianceMethod::Bootstrap, replicates, seed)
        }
        Variance::Taylor => (pb::VarianceMethod::Taylor, 0, 0),
    };
    let (lower, upper) = b.weighting.raking_bounds.unwrap_or((0.0, 0.0));
    pb::SampleDesign {
        summary: Some(summary_proto(d)),
        units: b
            .units
            .iter()
            .map(|u| pb::SampleUnit {
                reporting_unit_id: u.reporting_unit_id.clone(),
                stratum: u.stratum.clone(),
                psu: if u.psu == u.reporting_unit_id {
                    String::new()
                } else {
                    u.psu.clone()
                },
                design_weight: u.design_weight,
                subject_type: u.subject_type.as_i32(),
                size_class: u.size_class.map_or(0, SizeClass::as_i32),
                province_code: u.province_code.clone(),
            })
            .collect(),
        strata: b
            .strata
            .iter()
            .map(|s| pb::StratumPopulation {
                stratum: s.stratum.clone(),
                population_psus: s.population_psus.unwrap_or(0.0),
                certainty: s.certainty,
            })
            .collect(),
        weighting: Some(pb::WeightingSpecification {
            nonresponse_class: b.weighting.nonresponse_class.clone().unwrap_or_default(),
            margins: b
                .weighting
                .margins
                .iter()
                .map(|m| pb::PopulationMargin {
                    variable: m.variable.clone(),
                    targets: m.targets.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                })
                .collect(),
            raking_lower_bound: lower,
            raking_upper_bound: upper,
            trim_mean_multiple: b.weighting.trim_mean_multiple.unwrap_or(0.0),
        }),
        variance: Some(pb::VarianceSpecification {
            method: method as i32,
            replicates,
            seed,
            confidence_level: b.confidence_level,
            lonely_psu: match b.lonely_psu {
                LonelyPolicy::Fail => pb::LonelyPsuPolicy::Fail,
                LonelyPolicy::Certainty => pb::LonelyPsuPolicy::Certainty,
                LonelyPolicy::Adjust => pb::LonelyPsuPolicy::Adjust,
            } as i32,
        }),
    }
}

/// Validates a design load, naming every bad field.
pub fn design_from_proto(
    request: pb::LoadSampleDesignRequest,
) -> ndrs_core::Result<(i32, SampleDesign)> {
    let pb::LoadSampleDesignRequest {
        cycle_year,
        units,
        strata,
        weighting,
        variance,
    } = request;
    let mut v = Violations::new();
    check_cycle_year("cycle_year", cycle_year, &mut v);
    v.check(
        !units.is_empty(),
        "units",
        "a design needs at least one sampled unit",
    );
    // Refused before anything is built from them: the lists are not even looked at.
    v.items("units", units.len(), MAX_SAMPLE_UNITS);
    v.items("strata", strata.len(), MAX_STRATA);
    let (units, strata) = if units.len() > MAX_SAMPLE_UNITS || strata.len() > MAX_STRATA {
        (Vec::new(), Vec::new())
    } else {
        (units, strata)
    };

    let mut seen = BTreeSet::new();
    let mut out_units = Vec::with_capacity(units.len());
    for (i, u) in units.into_iter().enumerate() {
        let pb::SampleUnit {
            reporting_unit_id,
            stratum,
            psu,
            design_weight,
            subject_type,
            size_class,
            province_code,
        } = u;
        let f = |name: &str| format!("units[{i}].{name}");
        check_identifier(&f("reporting_unit_id"), &reporting_unit_id, &mut v);
        if !seen.insert(reporting_unit_id.clone()) {
            v.push(f("reporting_unit_id"), "unit listed twice");
        }
        check_identifier(&f("stratum"), &stratum, &mut v);
        if !psu.is_empty() {
            check_identifier(&f("psu"), &psu, &mut v);
        }
        // A design weight is 1 / inclusion probability, so it cannot be below 1.
        v.check(
            design_weight.is_finite() && design_weight >= 1.0,
            f("design_weight"),
            "must be a finite number of at least 1 (the inverse of an inclusion probability)",
        );
        let subject = SubjectType::from_i32(subject_type);
        match subject {
            None => v.push(f("subject_type"), "unknown subject type"),
            Some(t)
                if !matches!(
                    t.group(),
                    SubjectGroup::Enterprise | SubjectGroup::Government | SubjectGroup::Research
                ) =>
            {
                v.push(
                    f("subject_type"),
                    format!("{} does not answer the application questionnaire", t.code()),
                )
            }
            Some(_) => {}
        }
        let size = if size_class == 0 {
            None
        } else {
            let s = SizeClass::from_i32(size_class);
            v.check(s.is_some(), f("size_class"), "unknown size class");
            s
        };
        if subject.is_some_and(|t| t.group() == SubjectGroup::Enterprise) {
            v.check(
                size.is_some(),
                f("size_class"),
                "is required for enterprises",
            );
        }
        v.check(
            province(&province_code).is_some(),
            f("province_code"),
            "must be a GB/T 2260 province code (or 66 for XPCC)",
        );
        if let Some(subject_type) = subject {
            out_units.push(SampledUnit {
                psu: if psu.is_empty() {
                    reporting_unit_id.clone()
                } else {
                    psu
                },
                reporting_unit_id,
                stratum,
                design_weight,
                subject_type,
                size_class: size,
                province_code,
            });
        }
    }
    out_units.sort_by(|a, b| a.reporting_unit_id.cmp(&b.reporting_unit_id));
    let sampled_strata: BTreeSet<&str> = out_units.iter().map(|u| u.stratum.as_str()).collect();

    let mut out_strata = Vec::with_capacity(strata.len());
    let mut seen_strata = BTreeSet::new();
    for (i, s) in strata.into_iter().enumerate() {
        let pb::StratumPopulation {
            stratum,
            population_psus,
            certainty,
        } = s;
        let f = |name: &str| format!("strata[{i}].{name}");
        v.check(
            sampled_strata.contains(stratum.as_str()),
            f("stratum"),
            "no sampled unit is in this stratum",
        );
        if !seen_strata.insert(stratum.clone()) {
            v.push(f("stratum"), "stratum listed twice");
        }
        v.check(
            population_psus.is_finite() && population_psus >= 0.0,
            f("population_psus"),
            "must be a finite number, at least 0 (0 = unknown)",
        );
        if population_psus > 0.0 {
            let sampled_psus = out_units
                .iter()
                .filter(|u| u.stratum == stratum)
                .map(|u| u.psu.as_str())
                .collect::<BTreeSet<_>>()
                .len();
            v.check(
                population_psus >= sampled_psus as f64,
                f("population_psus"),
                format!("is below the {sampled_psus} PSUs sampled in the stratum"),
            );
        }
        out_strata.push(StratumInfo {
            stratum,
            population_psus: (population_psus > 0.0).then_some(population_psus),
            certainty,
        });
    }
    out_strata.sort_by(|a, b| a.stratum.cmp(&b.stratum));

    let weighting = weighting_from_proto(weighting.unwrap_or_default(), &out_units, &mut v);
    let (variance, confidence_level, lonely_psu) =
        variance_from_proto(variance.unwrap_or_default(), &mut v);
    v.finish((
        cycle_year,
        SampleDesign {
            units: out_units,
            strata: out_strata,
            weighting,
            variance,
            confidence_level,
            lonely_psu,
        },
    ))
}

fn weighting_from_proto(
    w: pb::WeightingSpecification,
    units: &[SampledUnit],
    v: &mut Violations,
) -> Weighting {
    let pb::WeightingSpecification {
        nonresponse_class,
        margins,
        raking_lower_bound,
        raking_upper_bound,
        trim_mean_multiple,
    } = w;
    let known = |name: &str| FRAME_VARIABLES.contains(&name);
    v.check(
        nonresponse_class.is_empty() || known(&nonresponse_class),
        "weighting.nonresponse_class",
        format!("must be empty or one of {}", FRAME_VARIABLES.join(", ")),
    );
    let mut out_margins = Vec::with_capacity(margins.len());
    let mut totals = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, m) in margins.into_iter().enumerate() {
        let pb::PopulationMargin { variable, targets } = m;
        let f = |name: &str| format!("weighting.margins[{i}].{name}");
        if !known(&variable) || variable == "stratum" {
            v.push(
                f("variable"),
                "must be one of subject_type, size_class, region, province",
            );
            continue;
        }
        if !seen.insert(variable.clone()) {
            v.push(f("variable"), "margin given twice");
        }
        v.check(
            !targets.is_empty(),
            f("targets"),
            "a margin needs at least one level",
        );
        let targets: BTreeMap<String, f64> = targets.into_iter().collect();
        for (level, count) in &targets {
            v.check(
                count.is_finite() && *count > 0.0,
                format!("weighting.margins[{i}].targets[{level}]"),
                "must be a positive population count",
            );
        }
        // Every sampled unit must fall in a level of the margin, or raking cannot place it.
        let levels_in_sample: BTreeSet<String> =
            units.iter().map(|u| u.frame_value(&variable)).collect();
        for level in &levels_in_sample {
            v.check(
                targets.contains_key(level),
                f("targets"),
                format!("no target for level {level:?}, which sampled units have"),
            );
        }
        for level in targets.keys() {
            v.check(
                levels_in_sample.contains(level),
                format!("weighting.margins[{i}].targets[{level}]"),
                "no sampled unit has this level, so the margin cannot be met",
            );
        }
        totals.push(targets.values().sum::<f64>());
        out_margins.push(Margin { variable, targets });
    }
    // Margins from different sources must describe the same population, or raking oscillates.
    if let Some(first) = totals.first() {
        for (i, t) in totals.iter().enumerate().skip(1) {
            v.check(
                ((t - first) / first).abs() <= 1e-6,
                format!("weighting.margins[{i}].targets"),
                format!("total {t} differs from the first margin's total {first}"),
            );
        }
    }
    let raking_bounds = match (raking_lower_bound, raking_upper_bound) {
        (lo, hi) if lo == 0.0 && hi == 0.0 => None,
        (lo, hi) => {
            v.check(
                lo.is_finite() && hi.is_finite() && 0.0 < lo && lo <= 1.0 && hi >= 1.0,
                "weighting.raking_lower_bound",
                "bounds must satisfy 0 < lower <= 1 <= upper",
            );
            Some((lo, hi))
        }
    };
    let trim = if trim_mean_multiple == 0.0 {
        None
    } else {
        v.check(
            trim_mean_multiple.is_finite() && trim_mean_multiple > 1.0,
            "weighting.trim_mean_multiple",
            "must be 0 (no trimming) or a multiple above 1",
        );
        Some(trim_mean_multiple)
    };
    Weighting {
        nonresponse_class: (!nonresponse_class.is_empty()).then_some(nonresponse_class),
        margins: out_margins,
        raking_bounds,
        trim_mean_multiple: trim,
    }
}

fn variance_from_proto(
    s: pb::VarianceSpecification,
    v: &mut Violations,
) -> (Variance, f64, LonelyPolicy) {
    let pb::VarianceSpecification {
        method,
        replicates,
        seed,
        confidence_level,
        lonely_psu,
    } = s;
    let variance = match pb::VarianceMethod::try_from(method) {
        Ok(pb::VarianceMethod::Jackknife) => Variance::Jackknife,
        Ok(pb::VarianceMethod::Taylor) => Variance::Taylor,
        Ok(pb::VarianceMethod::Bootstrap) => {
            v.check(
                (20..=MAX_REPLICATES).contains(&replicates),
                "variance.replicates",
                format!("a bootstrap needs between 20 and {MAX_REPLICATES} replicates"),
            );
            Variance::Bootstrap { replicates, seed }
        }
        _ => {
            v.push("variance.method", "choose jackknife, bootstrap or taylor");
            Variance::Jackknife
        }
    };
    let level = if confidence_level == 0.0 {
        0.95
    } else {
        v.check(
            confidence_level > 0.5 && confidence_level < 1.0,
            "variance.confidence_level",
            "must be between 0.5 and 1 (0 = 0.95)",
        );
        confidence_level
    };
    let lonely = match pb::LonelyPsuPolicy::try_from(lonely_psu) {
        Ok(pb::LonelyPsuPolicy::Fail) => LonelyPolicy::Fail,
        Ok(pb::LonelyPsuPolicy::Certainty) => LonelyPolicy::Certainty,
        Ok(pb::LonelyPsuPolicy::Adjust) => {
            v.check(
                variance == Variance::Taylor,
                "variance.lonely_psu",
                "adjust (grand-mean centring) is defined for Taylor linearisation only",
            );
            LonelyPolicy::Adjust
        }
        _ => {
            v.push(
                "variance.lonely_psu",
                "choose how a stratum with one PSU is handled: fail, certainty or adjust",
            );
            LonelyPolicy::Fail
        }
    };
    (variance, level, lonely)
}

/// The frame's classifications replace the questionnaire's when a design is loaded: the margins
/// and strata are defined on them, so domains must be too. Disagreement is worth a warning.
pub fn classification_mismatches(
    unit: &SampledUnit,
    subject: SubjectType,
    size: Option<SizeClass>,
    province_code: &str,
) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if unit.subject_type != subject {
        fields.push("subject_type");
    }
    if unit.size_class != size {
        fields.push("size_class");
    }
    if unit.province_code != province_code {
        fields.push("province_code");
    }
    fields
}
