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
use ndrs_core::classification::{IndustryGroup, SizeClass, SubjectGroup, SubjectType, province};
use ndrs_core::{Error, Result};
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnStore};
use ndrs_platform::stage::{check_identifier, check_province, cycle_request_checks};
use ndrs_proto::v1 as pb;
use ndrs_stats::{
    DegreesOfFreedom, LonelyPsu, Margin, Raking, TrimCap, Trimming, VarianceMethod, WeightingSpec,
    WeightingStep,
};
use serde::{Deserialize, Serialize};

use crate::domain::Questionnaire;

/// Document kind under which designs are stored, and how lineage cites them.
pub const DOCUMENT_KIND: &str = "application-sample-design";

/// Frame variables that weighting classes and raking margins may use.
pub const FRAME_VARIABLES: [&str; 6] = [
    "stratum",
    "subject_type",
    "size_class",
    "region",
    "province",
    "industry",
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
    /// The frame's industry group, when it has one (designs stored before it had none).
    #[serde(default)]
    pub industry: Option<IndustryGroup>,
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
            "industry" => self
                .industry
                .map(|i| i.code().to_string())
                .unwrap_or_default(),
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
    /// Designs stored before the choice existed counted over the domain.
    #[serde(default)]
    pub degrees_of_freedom: DegreesOfFreedom,
}

/// How figures state their precision: the design's choice, or one `GetEstimates` asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    pub variance: Variance,
    pub confidence_level: f64,
    pub degrees_of_freedom: DegreesOfFreedom,
}

impl Precision {
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

    /// The variance and interval part of a figure's method, said as it is done: replicate
    /// methods re-weight every replicate; Taylor linearisation has no replicates and treats the
    /// final weights as fixed.
    pub fn describe(&self) -> String {
        let variance = match self.variance {
            Variance::Jackknife => {
                "variance by JKn jackknife with the weighting re-applied to every replicate"
                    .to_string()
            }
            Variance::Bootstrap { replicates, seed } => format!(
                "variance by Rao-Wu bootstrap ({replicates} replicates, seed {seed}) with the \
                 weighting re-applied to every replicate"
            ),
            Variance::Taylor => {
                "variance by Taylor linearisation, the final weights held fixed".to_string()
            }
        };
        let df = match self.degrees_of_freedom {
            DegreesOfFreedom::Domain => "degrees of freedom over the domain's PSUs",
            DegreesOfFreedom::Design => "degrees of freedom of the whole design",
        };
        // 0.9 * 100 is not 90 in binary: round to a tenth of a percent.
        let percent = (self.confidence_level * 1000.0).round() / 10.0;
        format!("{variance}; {percent}% intervals, {df}")
    }
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

    /// The design's own statement of precision, which the published figures use.
    pub fn precision(&self) -> Precision {
        Precision {
            variance: self.variance,
            confidence_level: self.confidence_level,
            degrees_of_freedom: self.degrees_of_freedom,
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
    pub fn describe(&self, precision: &Precision) -> String {
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
        format!("{}; {}", parts.join(", "), precision.describe())
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
        loaded_at: ndrs_platform::timestamp::from_text(&d.loaded_at),
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
                industry: u.industry.map(|i| i.code().to_string()).unwrap_or_default(),
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
            degrees_of_freedom: match b.degrees_of_freedom {
                DegreesOfFreedom::Domain => pb::DegreesOfFreedom::Domain,
                DegreesOfFreedom::Design => pb::DegreesOfFreedom::Design,
            } as i32,
        }),
    }
}

mod validate;

pub use validate::{design_from_proto, precision_from_proto};

/// The frame's classifications replace the questionnaire's when a design is loaded: the margins
/// and strata are defined on them, so domains must be too. Disagreement is worth a warning.
pub fn classification_mismatches(unit: &SampledUnit, q: &Questionnaire) -> Vec<&'static str> {
    let (subject, size, province_code) = (q.subject_type, q.size_class, q.province_code.as_str());
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
    // Only a frame that has an industry can disagree about it.
    if unit.industry.is_some() && unit.industry != q.industry {
        fields.push("industry");
    }
    fields
}

/// The cycle's sample designs, stored as versions, and what the frame says about a
/// questionnaire when one is loaded.
#[derive(Clone)]
pub struct Designs {
    documents: CycleDocuments,
}

impl Designs {
    pub fn new(store: &ReturnStore) -> Self {
        Self {
            documents: CycleDocuments::new(store, DOCUMENT_KIND),
        }
    }

    /// Stores a validated design as the cycle's next version.
    pub async fn load(
        &self,
        cycle_year: i32,
        body: SampleDesign,
        loaded_by: &str,
    ) -> Result<Versioned<SampleDesign>> {
        let loaded = self.documents.load(cycle_year, body, loaded_by).await?;
        tracing::info!(
            cycle_year,
            version = loaded.version,
            units = loaded.body.units.len(),
            "sample design loaded"
        );
        Ok(loaded)
    }

    /// A given version (0: the latest) of the cycle's design; not found when none was loaded.
    pub async fn get(&self, cycle_year: i32, version: u32) -> Result<Versioned<SampleDesign>> {
        self.documents
            .get::<SampleDesign>(cycle_year, version)
            .await?
            .ok_or_else(|| Error::NotFound(format!("sample design for cycle {cycle_year}")))
    }

    /// The cycle's latest design, if one was loaded: without one the figures are interim.
    pub async fn latest(&self, cycle_year: i32) -> Result<Option<Versioned<SampleDesign>>> {
        self.documents.get(cycle_year, 0).await
    }

    /// With a design loaded, the frame is authoritative for a unit's classification: a
    /// questionnaire that disagrees is accepted with a warning (its answers still count, under
    /// the frame's classification), and a unit outside the sample is told it will not be used.
    pub async fn frame_findings(
        &self,
        cycle_year: i32,
        unit: &str,
        q: &Questionnaire,
    ) -> Result<Vec<EditFinding>> {
        let Some(design) = self.latest(cycle_year).await? else {
            return Ok(Vec::new());
        };
        let Some(sampled) = design.body.unit(unit) else {
            return Ok(vec![EditFinding {
                rule_id: "application.outside_sample".into(),
                severity: FindingSeverity::Warning,
                message: format!(
                    "{unit} is not in the cycle's sample design (version {}); the return is kept \
                     but not used in estimates",
                    design.version
                ),
                fields: vec!["header.reporting_unit_id".into()],
            }]);
        };
        let fields = classification_mismatches(sampled, q);
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![EditFinding {
            rule_id: "application.frame_classification".into(),
            severity: FindingSeverity::Warning,
            message: format!(
                "differs from the sample frame (version {}), whose classification is used",
                design.version
            ),
            fields: fields.into_iter().map(String::from).collect(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-unit design with the given variance method.
    fn design(method: pb::VarianceMethod) -> SampleDesign {
        let request = pb::LoadSampleDesignRequest {
            cycle_year: 2023,
            units: vec![pb::SampleUnit {
                reporting_unit_id: "u1".into(),
                stratum: "s".into(),
                psu: String::new(),
                design_weight: 2.0,
                subject_type: pb::SubjectType::CentralSoe as i32,
                size_class: pb::SizeClass::Large as i32,
                province_code: "11".into(),
                industry: String::new(),
            }],
            strata: Vec::new(),
            weighting: Some(pb::WeightingSpecification::default()),
            variance: Some(pb::VarianceSpecification {
                method: method as i32,
                confidence_level: 0.95,
                replicates: 50,
                lonely_psu: pb::LonelyPsuPolicy::Certainty as i32,
                ..Default::default()
            }),
        };
        design_from_proto(request).unwrap().1
    }

    #[test]
    fn the_lineage_says_the_variance_method_as_it_is_done() {
        let d = design(pb::VarianceMethod::Taylor);
        let taylor = d.describe(&d.precision());
        assert!(
            taylor.ends_with(
                "Taylor linearisation, the final weights held fixed; 95% intervals, degrees of \
                 freedom over the domain's PSUs"
            ),
            "{taylor}"
        );
        assert!(
            !taylor.contains("replicate"),
            "Taylor has no replicates: {taylor}"
        );
        for method in [pb::VarianceMethod::Jackknife, pb::VarianceMethod::Bootstrap] {
            let d = design(method);
            let replicated = d.describe(&d.precision());
            assert!(
                replicated.contains("with the weighting re-applied to every replicate;"),
                "{replicated}"
            );
        }
    }

    fn named(v: Violations) -> Vec<String> {
        let err = v.finish(()).unwrap_err();
        err.field_violations()
            .iter()
            .map(|f| f.field.clone())
            .collect()
    }

    #[test]
    fn a_request_states_precision_over_the_designs_defaults() {
        let d = design(pb::VarianceMethod::Jackknife);
        let mut v = Violations::new();
        assert_eq!(precision_from_proto(None, &d, &mut v), d.precision());
        let asked = pb::PrecisionRequest {
            method: pb::VarianceMethod::Taylor as i32,
            confidence_level: 0.9,
            degrees_of_freedom: pb::DegreesOfFreedom::Design as i32,
            ..Default::default()
        };
        let p = precision_from_proto(Some(asked), &d, &mut v);
        assert!(v.is_empty());
        assert_eq!(p.variance, Variance::Taylor);
        assert_eq!(p.confidence_level, 0.9);
        assert_eq!(p.degrees_of_freedom, DegreesOfFreedom::Design);
        assert!(d.describe(&p).ends_with(
            "Taylor linearisation, the final weights held fixed; 90% intervals, degrees of \
             freedom of the whole design"
        ));
        // An empty request is the design's own.
        let mut v = Violations::new();
        let p = precision_from_proto(Some(pb::PrecisionRequest::default()), &d, &mut v);
        assert!(v.is_empty());
        assert_eq!(p, d.precision());
        // Every bad field is named.
        let bad = pb::PrecisionRequest {
            method: 99,
            replicates: 5,
            confidence_level: 1.5,
            degrees_of_freedom: 7,
            ..Default::default()
        };
        let mut v = Violations::new();
        precision_from_proto(Some(bad), &d, &mut v);
        let fields = named(v);
        assert_eq!(
            fields,
            [
                "precision.method",
                "precision.replicates",
                "precision.confidence_level",
                "precision.degrees_of_freedom"
            ]
        );
        let few = pb::PrecisionRequest {
            method: pb::VarianceMethod::Bootstrap as i32,
            replicates: 5,
            ..Default::default()
        };
        let mut v = Violations::new();
        precision_from_proto(Some(few), &d, &mut v);
        let fields = named(v);
        assert_eq!(fields, ["precision.replicates"]);
    }

    #[test]
    fn industry_weights_only_when_the_frame_gives_every_unit_one() {
        let unit = |id: &str, industry: &str| pb::SampleUnit {
            reporting_unit_id: id.into(),
            stratum: "s".into(),
            psu: String::new(),
            design_weight: 2.0,
            subject_type: pb::SubjectType::KeyIndustryEnterprise as i32,
            size_class: pb::SizeClass::Large as i32,
            province_code: "11".into(),
            industry: industry.into(),
        };
        let request = |units: Vec<pb::SampleUnit>| pb::LoadSampleDesignRequest {
            cycle_year: 2023,
            units,
            strata: Vec::new(),
            weighting: Some(pb::WeightingSpecification {
                nonresponse_class: "industry".into(),
                ..Default::default()
            }),
            variance: Some(pb::VarianceSpecification {
                method: pb::VarianceMethod::Taylor as i32,
                lonely_psu: pb::LonelyPsuPolicy::Certainty as i32,
                ..Default::default()
            }),
        };
        let (_, d) = design_from_proto(request(vec![
            unit("a", "finance"),
            unit("b", "agriculture"),
        ]))
        .unwrap();
        assert_eq!(d.units[0].frame_value("industry"), "finance");
        let err =
            design_from_proto(request(vec![unit("a", "finance"), unit("b", "")])).unwrap_err();
        let fields: Vec<&str> = err
            .field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["weighting.nonresponse_class"]);
        assert!(err.field_violations()[0].description.contains("first: b"));
        let err = design_from_proto(request(vec![unit("a", "colour")])).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "units[0].industry");
    }
}
