//! Design-based figures from the questionnaires, computed with `ndrs_stats`.
//!
//! With a sample design loaded for the cycle, every sampled unit takes part (non-respondents
//! too: they hand their weight to the respondents of their weighting class), the weights are
//! calibrated as the design's specification says, and the variance comes from replicates that
//! repeat the whole weighting. Domains (key industry enterprises, large enterprises in digital
//! transformation...) are estimated over the full design, never by dropping rows.
//!
//! Without a design the figures are interim: every respondent counts once, the standard error
//! treats the respondents as a simple random sample, and the lineage says so.
//!
//! Each figure is defined once in [`indicators`], with its domain and measure, so the stage
//! result and `GetEstimates` cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::classification::{SizeClass, SubjectGroup, SubjectType};
use ndrs_core::{Error, Result};
use ndrs_platform::documents::Versioned;
use ndrs_platform::returns::StoredReturn;
use ndrs_platform::stage::{figure, inputs_hash, lineage_ref};
use ndrs_proto::v1::{self as pb, FigureKind, Unit};
use ndrs_stats::{
    Data, Design, Domain, Estimate, EstimateSet, Estimator, LonelyPsu, Options, StatsError,
    StepReport, VarianceMethod, WeightingSpec,
};

use crate::design::{DOCUMENT_KIND, SampleDesign, region_of};
use crate::domain::{Questionnaire, Scenario};

pub const INTERIM_METHOD: &str = "interim, unweighted: no sample design loaded for the cycle; every respondent counts once and standard errors treat the respondents as a simple random sample";

const DESIGN_METHOD: &str = "design-based (ndrs-stats)";

/// Classifications a figure can be broken down by in `GetEstimates`.
pub const BREAKDOWNS: [&str; 5] = [
    "subject_type",
    "size_class",
    "region",
    "province",
    "industry",
];

type Row = (StoredReturn, Questionnaire);

fn is_enterprise(q: &Questionnaire) -> bool {
    q.subject_type.group() == SubjectGroup::Enterprise
}

fn is_kie(q: &Questionnaire) -> bool {
    q.subject_type == SubjectType::KeyIndustryEnterprise
}

fn is_large_enterprise(q: &Questionnaire) -> bool {
    is_enterprise(q) && q.size_class == Some(SizeClass::Large)
}

fn is_dsp(q: &Questionnaire) -> bool {
    matches!(
        q.subject_type,
        SubjectType::PlatformDataServiceProvider | SubjectType::NonPlatformDataServiceProvider
    )
}

fn interaction(q: &Questionnaire) -> f64 {
    q.data_inflow_bytes as f64 + q.data_outflow_bytes as f64
}

/// What a figure measures over its domain.
#[derive(Clone, Copy)]
enum Measure {
    /// Share of the domain's units for which the predicate holds.
    Share(fn(&Questionnaire) -> bool),
    /// Ratio of two totals over the domain.
    RatioOfTotals(fn(&Questionnaire) -> f64, fn(&Questionnaire) -> f64),
    /// Mean over the domain.
    Mean(fn(&Questionnaire) -> f64),
    /// Mean over the domain divided by the mean over another domain.
    MeanRatio(fn(&Questionnaire) -> f64, fn(&Questionnaire) -> bool),
    /// Population total over the domain.
    Total(fn(&Questionnaire) -> f64),
}

/// One published or auxiliary figure of this stage.
#[derive(Clone, Copy)]
pub struct Indicator {
    pub id: &'static str,
    kind: FigureKind,
    domain: fn(&Questionnaire) -> bool,
    measure: Measure,
    unit: Unit,
    /// Published as a growth rate: ratio minus one.
    growth: bool,
    dimensions: &'static [(&'static str, &'static str)],
}

fn share(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    p: fn(&Questionnaire) -> bool,
) -> Indicator {
    Indicator {
        id,
        kind: FigureKind::Estimate,
        domain,
        measure: Measure::Share(p),
        unit: Unit::Ratio,
        growth: false,
        dimensions: &[],
    }
}

fn ratio_of_totals(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    num: fn(&Questionnaire) -> f64,
    den: fn(&Questionnaire) -> f64,
) -> Indicator {
    Indicator {
        measure: Measure::RatioOfTotals(num, den),
        ..share(id, domain, |_| false)
    }
}

/// A share within `domain` published as a breakdown cell of `id` (report figure 3.4: data
/// application scenarios; figure 3.3 in spirit: use of government open data).
fn auxiliary_share(
    id: &'static str,
    domain: fn(&Questionnaire) -> bool,
    p: fn(&Questionnaire) -> bool,
    dimensions: &'static [(&'static str, &'static str)],
) -> Indicator {
    Indicator {
        kind: FigureKind::Auxiliary,
        dimensions,
        ..share(id, domain, p)
    }
}

/// Auxiliary figure ids of the stage's breakdowns.
pub const SCENARIO_SHARE: &str = "application.scenario_share";
pub const OPEN_DATA_USE_SHARE: &str = "application.open_data_use_share";
pub const VALID_SAMPLE: &str = "application.valid_sample";

/// Every figure of the application stage.
pub fn indicators() -> Vec<Indicator> {
    let opened = |q: &Questionnaire| q.public_data_opened_bytes as f64;
    let opened_before = |q: &Questionnaire| q.public_data_opened_previous_year_bytes as f64;
    let stored = |q: &Questionnaire| q.storage.stored_bytes as f64;
    let capacity = |q: &Questionnaire| q.storage.capacity_bytes as f64;
    let mean_interaction = |id, domain, dimensions| Indicator {
        kind: FigureKind::Auxiliary,
        measure: Measure::Mean(interaction),
        unit: Unit::Bytes,
        dimensions,
        ..share(id, domain, |_| false)
    };
    let interaction_multiple = |id, domain| Indicator {
        measure: Measure::MeanRatio(interaction, is_kie),
        unit: Unit::Times,
        ..share(id, domain, |_| false)
    };
    vec![
        share(
            "A07",
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            |q| q.uses_government_open_data,
        ),
        share(
            "A08",
            |q| q.subject_type == SubjectType::CentralSoe,
            |q| q.uses_government_open_data,
        ),
        share("A11", is_kie, |q| q.applies_data_in_scenarios),
        share("A12", is_kie, |q| {
            q.scenarios.contains(&Scenario::OperationsManagement)
        }),
        share("A13", is_kie, |q| {
            q.scenarios.contains(&Scenario::Production)
        }),
        share("A14", is_large_enterprise, |q| {
            !q.has_data_management_system
        }),
        share(
            "A15",
            |q| is_large_enterprise(q) && q.in_digital_transformation,
            |q| q.achieves_data_reuse_value_add,
        ),
        share("A16", is_enterprise, |q| q.industrial_chain_collaboration),
        share("A17", is_enterprise, |q| q.industrial_chain_risk_prediction),
        share("A18", is_kie, |q| q.digital_investment_yuan > 0.0),
        // A09, A10: government bodies piloting authorised operation of public data, as counts
        // (population totals of a yes/no answer).
        Indicator {
            measure: Measure::Total(|q| f64::from(u8::from(q.pilots_authorised_operation))),
            unit: Unit::Count,
            ..share(
                "A09",
                |q| q.subject_type == SubjectType::NationalDepartment,
                |_| false,
            )
        },
        Indicator {
            measure: Measure::Total(|q| f64::from(u8::from(q.pilots_authorised_operation))),
            unit: Unit::Count,
            ..share(
                "A10",
                |q| q.subject_type == SubjectType::ProvincialDataBureau,
                |_| false,
            )
        },
        // A04: public data opened by all government bodies (national departments, provincial and
        // planned-city data bureaus) against the previous year.
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A04",
                |q| q.subject_type.group() == SubjectGroup::Government,
                opened,
                opened_before,
            )
        },
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A05",
                |q| q.subject_type == SubjectType::NationalDepartment,
                opened,
                opened_before,
            )
        },
        Indicator {
            growth: true,
            ..ratio_of_totals(
                "A06",
                |q| q.subject_type == SubjectType::ProvincialDataBureau,
                opened,
                opened_before,
            )
        },
        ratio_of_totals(
            "P09",
            is_kie,
            |q| q.storage.cloud_stored_bytes as f64,
            stored,
        ),
        ratio_of_totals(
            "P10",
            is_kie,
            |q| (q.storage.stored_bytes - q.storage.cloud_stored_bytes) as f64,
            stored,
        ),
        ratio_of_totals(
            "P11",
            |q| q.subject_type.group() == SubjectGroup::Government,
            stored,
            capacity,
        ),
        ratio_of_totals("P12", is_kie, stored, capacity),
        ratio_of_totals("P13", is_dsp, stored, capacity),
        ratio_of_totals(
            "P14",
            is_enterprise,
            |q| q.storage.unused_for_a_year_bytes as f64,
            stored,
        ),
        // F02, F03: platform enterprises' and central SOEs' mean data interaction as multiples of
        // key industry enterprises'. The two means share PSUs; the ratio's variance accounts for it.
        interaction_multiple("F02", |q| {
            q.subject_type == SubjectType::PlatformDataServiceProvider
        }),
        interaction_multiple("F03", |q| q.subject_type == SubjectType::CentralSoe),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            &[("subject_type", "platform_data_service_provider")],
        ),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            |q| q.subject_type == SubjectType::CentralSoe,
            &[("subject_type", "central_soe")],
        ),
        mean_interaction(
            "application.mean_data_interaction_bytes",
            is_kie,
            &[("subject_type", "key_industry_enterprise")],
        ),
        // Report figure 3.4: key industry enterprises applying data, by scenario.
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::OperationsManagement),
            &[("scenario", "operations_management")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::Production),
            &[("scenario", "production")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::Marketing),
            &[("scenario", "marketing")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::ResearchDevelopment),
            &[("scenario", "research_development")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::CustomerService),
            &[("scenario", "customer_service")],
        ),
        auxiliary_share(
            SCENARIO_SHARE,
            is_kie,
            |q| q.scenarios.contains(&Scenario::SupplyChain),
            &[("scenario", "supply_chain")],
        ),
        // Use of government open data by enterprise group (the report's section on public data,
        // figure 3.3); A07 and A08 are two of these cells as published indicators.
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::PlatformDataServiceProvider,
            |q| q.uses_government_open_data,
            &[("subject_type", "platform_data_service_provider")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::NonPlatformDataServiceProvider,
            |q| q.uses_government_open_data,
            &[("subject_type", "non_platform_data_service_provider")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            |q| q.subject_type == SubjectType::CentralSoe,
            |q| q.uses_government_open_data,
            &[("subject_type", "central_soe")],
        ),
        auxiliary_share(
            OPEN_DATA_USE_SHARE,
            is_kie,
            |q| q.uses_government_open_data,
            &[("subject_type", "key_industry_enterprise")],
        ),
        // Check figures: the enterprise side of what exchanges and carriers report.
        Indicator {
            kind: FigureKind::Check,
            measure: Measure::Total(|q| q.data_purchased_on_exchanges_yuan),
            unit: Unit::Yuan,
            ..share(
                "check.application.enterprise_exchange_purchases_yuan",
                is_enterprise,
                |_| false,
            )
        },
        Indicator {
            kind: FigureKind::Check,
            measure: Measure::Total(interaction),
            unit: Unit::Bytes,
            ..share(
                "check.application.enterprise_data_interaction_bytes",
                is_enterprise,
                |_| false,
            )
        },
    ]
}

/// The value of a breakdown classification for a respondent (already carrying the frame's
/// classifications when a design is loaded).
fn breakdown_level(q: &Questionnaire, breakdown: &str) -> Option<String> {
    match breakdown {
        "subject_type" => Some(q.subject_type.code().to_string()),
        "size_class" => q.size_class.map(|s| s.code().to_string()),
        "region" => Some(region_of(&q.province_code)),
        "province" => Some(q.province_code.clone()),
        "industry" => q.industry.map(|i| i.code().to_string()),
        _ => None,
    }
}

/// A domain to estimate: an indicator restricted, optionally, to one level of a breakdown.
struct Cell {
    indicator: Indicator,
    breakdown: Option<(&'static str, String)>,
}

impl Cell {
    fn contains(&self, q: &Questionnaire) -> bool {
        (self.indicator.domain)(q)
            && self
                .breakdown
                .as_ref()
                .is_none_or(|(b, level)| breakdown_level(q, b).as_deref() == Some(level))
    }
}

/// The units estimation runs over: every sampled unit with its design row, and the
/// questionnaire of those that responded.
struct Sample<'a> {
    design: Design,
    spec: WeightingSpec,
    variance: VarianceMethod,
    options: Options,
    /// Per unit: the return and questionnaire (with the frame's classifications) of a
    /// respondent, `None` for a non-respondent.
    answers: Vec<Option<(&'a StoredReturn, Questionnaire)>>,
    /// Categorical frame columns (weighting classes, margins), empty without a design.
    frame_columns: Vec<(&'static str, Vec<String>)>,
    /// Lineage of the design: a citation of the version and a description of the method.
    design_ref: Option<String>,
    method: String,
    /// Returns from units outside the design (not estimated from).
    outside_design: Vec<String>,
}

const RESPONDENT: &str = "respondent";

impl<'a> Sample<'a> {
    fn interim(rows: &'a [Row]) -> Result<Self> {
        let units = rows
            .iter()
            .map(|(r, _)| ndrs_stats::Unit::new("all", r.reporting_unit_id.clone(), 1.0))
            .collect();
        // A single respondent is a lonely PSU: it yields a point estimate without a variance.
        let design = Design::new(units)
            .map_err(stats_error)?
            .with_lonely_psu(LonelyPsu::Certainty);
        Ok(Self {
            design,
            spec: WeightingSpec::none(),
            variance: VarianceMethod::Taylor,
            options: Options::default(),
            answers: rows.iter().map(|(r, q)| Some((r, q.clone()))).collect(),
            frame_columns: Vec::new(),
            design_ref: None,
            method: INTERIM_METHOD.to_string(),
            outside_design: Vec::new(),
        })
    }

    fn designed(rows: &'a [Row], design: &Versioned<SampleDesign>) -> Result<Self> {
        let d = &design.body;
        let mut answers: Vec<Option<(&StoredReturn, Questionnaire)>> = vec![None; d.units.len()];
        let mut outside_design = Vec::new();
        for (r, q) in rows {
            match d
                .units
                .binary_search_by(|u| u.reporting_unit_id.cmp(&r.reporting_unit_id))
            {
                Ok(i) => {
                    let unit = &d.units[i];
                    let mut q = q.clone();
                    q.subject_type = unit.subject_type;
                    q.size_class = unit.size_class;
                    q.province_code = unit.province_code.clone();
                    answers[i] = Some((r, q));
                }
                Err(_) => outside_design.push(r.reporting_unit_id.clone()),
            }
        }
        let units = d
            .units
            .iter()
            .map(|u| ndrs_stats::Unit::new(u.stratum.clone(), u.psu.clone(), u.design_weight))
            .collect();
        let mut stats_design = Design::new(units)
            .map_err(stats_error)?
            .with_lonely_psu(d.lonely_psu());
        for s in &d.strata {
            if let Some(n) = s.population_psus {
                stats_design = stats_design
                    .with_population_psus(&s.stratum, n)
                    .map_err(stats_error)?;
            }
            if s.certainty {
                stats_design = stats_design
                    .with_certainty(&s.stratum)
                    .map_err(stats_error)?;
            }
        }
        let frame_columns = crate::design::FRAME_VARIABLES
            .iter()
            .map(|v| (*v, d.units.iter().map(|u| u.frame_value(v)).collect()))
            .collect();
        Ok(Self {
            design: stats_design,
            spec: d.weighting_spec(RESPONDENT),
            variance: d.variance_method(),
            options: Options {
                level: d.confidence_level,
                ..Options::default()
            },
            answers,
            frame_columns,
            design_ref: Some(design.lineage_ref(DOCUMENT_KIND)),
            method: format!("{DESIGN_METHOD}: {}", d.describe()),
            outside_design,
        })
    }

    fn respondents(&self) -> impl Iterator<Item = &(&'a StoredReturn, Questionnaire)> {
        self.answers.iter().flatten()
    }

    /// The data columns and estimators of `cells`, in order.
    fn columns(&self, cells: &[Cell]) -> Result<(Data, Vec<Estimator>)> {
        let n = self.answers.len();
        let column = |f: &dyn Fn(&Questionnaire) -> f64| -> Vec<f64> {
            self.answers
                .iter()
                .map(|a| a.as_ref().map_or(0.0, |(_, q)| f(q)))
                .collect()
        };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut data = Data::new(n)
            .with_numeric(RESPONDENT, column(&|_| 1.0))
            .map_err(stats_error)?;
        for (name, values) in &self.frame_columns {
            data = data.with_categorical(*name, values).map_err(stats_error)?;
        }
        let mut estimators = Vec::with_capacity(cells.len());
        for (k, cell) in cells.iter().enumerate() {
            let d = format!("c{k}.domain");
            let y = format!("c{k}.y");
            data = data
                .with_numeric(&d, column(&|q| flag(cell.contains(q))))
                .map_err(stats_error)?;
            let domain = Domain::Indicator(d);
            let estimator = match cell.indicator.measure {
                Measure::Share(p) => {
                    data = data
                        .with_numeric(&y, column(&|q| flag(p(q))))
                        .map_err(stats_error)?;
                    Estimator::Proportion { y, domain }
                }
                Measure::RatioOfTotals(num, den) => {
                    let x = format!("c{k}.x");
                    data = data
                        .with_numeric(&y, column(&|q| num(q)))
                        .map_err(stats_error)?
                        .with_numeric(&x, column(&|q| den(q)))
                        .map_err(stats_error)?;
                    Estimator::Ratio { y, x, domain }
                }
                Measure::Mean(f) => {
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?;
                    Estimator::Mean { y, domain }
                }
                Measure::Total(f) => {
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?;
                    Estimator::Total { y, domain }
                }
                Measure::MeanRatio(f, denominator) => {
                    let dd = format!("c{k}.denominator");
                    data = data
                        .with_numeric(&y, column(&|q| f(q)))
                        .map_err(stats_error)?
                        .with_numeric(&dd, column(&|q| flag(denominator(q))))
                        .map_err(stats_error)?;
                    Estimator::DomainMeanRatio {
                        y,
                        numerator: domain,
                        denominator: Domain::Indicator(dd),
                    }
                }
            };
            estimators.push(estimator);
        }
        Ok((data, estimators))
    }

    /// Estimates the cells. When the full-sample weighting works but a replicate's cannot (while
    /// returns are still coming in, a jackknife replicate may delete a class's only respondent),
    /// the points are still published, without a standard error, and the report says why.
    fn estimate(&self, cells: &[Cell]) -> Result<(EstimateSet, Option<String>)> {
        let (data, estimators) = self.columns(cells)?;
        let run = |variance: &VarianceMethod| {
            ndrs_stats::estimate_many(
                &self.design,
                &self.spec,
                &data,
                &estimators,
                variance,
                &self.options,
            )
        };
        let result = match run(&self.variance) {
            Err(e @ StatsError::Replicate { .. }) => run(&VarianceMethod::Taylor).map(|mut set| {
                for estimate in set.estimates.iter_mut().flatten() {
                    strip_precision(estimate);
                }
                (
                    set,
                    Some(format!("variance undefined, no standard errors: {e}")),
                )
            }),
            other => other.map(|set| (set, None)),
        };
        result.map_err(|e| match e {
            // The design does not fit who responded (raking cannot meet a margin, a lonely PSU
            // under the fail policy): the organiser has to revise the design.
            StatsError::RakingNotConverged { .. }
            | StatsError::RakingOutOfBounds { .. }
            | StatsError::EmptyMarginCategory { .. }
            | StatsError::TrimmingFailed { .. }
            | StatsError::LonelyPsu { .. }
            | StatsError::NoRespondents { .. } => Error::FailedPrecondition(format!(
                "the cycle's sample design cannot be estimated from the returns received: {e}"
            )),
            other => stats_error(other),
        })
    }

    /// The figure of one estimated cell.
    fn figure(&self, cell: &Cell, estimate: &Estimate) -> pb::Figure {
        let ind = &cell.indicator;
        let shift = if ind.growth { -1.0 } else { 0.0 };
        let returns: Vec<String> = self
            .respondents()
            .filter(|(_, q)| {
                cell.contains(q) || matches!(ind.measure, Measure::MeanRatio(_, den) if den(q))
            })
            .map(|(r, _)| lineage_ref(r))
            .collect();
        let parameters: Vec<String> = self.design_ref.iter().cloned().collect();
        let lineage = pb::Lineage {
            inputs_hash: inputs_hash(returns.iter().chain(&parameters).map(String::as_str)),
            returns,
            method: self.method.clone(),
            weighting_spec: self.design_ref.clone().unwrap_or_default(),
            parameters,
            ..Default::default()
        };
        let mut dimensions: Vec<(&str, &str)> = ind.dimensions.to_vec();
        if let Some((b, level)) = &cell.breakdown {
            dimensions.push((b, level.as_str()));
        }
        let mut f = figure(
            ind.id,
            ind.kind,
            estimate.point + shift,
            ind.unit,
            lineage,
            &dimensions,
        );
        // A standard error without degrees of freedom (one PSU) is not a statement of precision.
        let se = estimate.se.filter(|_| estimate.df > 0);
        // A share cannot leave [0, 1]; a symmetric t interval around a ratio of totals can, with
        // few degrees of freedom, so it is truncated to the parameter space, and says so.
        let bounded = ind.unit == Unit::Ratio && !ind.growth;
        f.interval = estimate.ci.as_ref().map(|ci| {
            let (lower, upper) = (ci.lower + shift, ci.upper + shift);
            let truncated = bounded && (lower < 0.0 || upper > 1.0);
            pb::Interval {
                lower: if bounded { lower.max(0.0) } else { lower },
                upper: if bounded { upper.min(1.0) } else { upper },
                level: ci.level,
                method: if truncated {
                    format!("{:?}, truncated to [0, 1]", ci.method)
                } else {
                    format!("{:?}", ci.method)
                },
            }
        });
        f.sampling = Some(pb::SamplingPrecision {
            standard_error: se.unwrap_or(f64::NAN),
            cv: estimate.cv.filter(|_| se.is_some()).unwrap_or(f64::NAN),
            design_effect: estimate.deff.unwrap_or(f64::NAN),
            respondents: estimate.n as u64,
            degrees_of_freedom: estimate.df as f64,
            reliable: estimate.reliable && se.is_some(),
        });
        f
    }
}

/// Drops every statement of precision from an estimate whose variance is undefined.
fn strip_precision(e: &mut Estimate) {
    e.se = None;
    e.cv = None;
    e.deff = None;
    e.ci = None;
    e.reliable = false;
}

fn stats_error(e: StatsError) -> Error {
    Error::Internal(format!("estimation: {e}"))
}

/// Estimates for a set of cells, skipping cells whose domain has no respondent.
struct Estimates {
    figures: Vec<pb::Figure>,
    weighting_report: Vec<String>,
}

fn run(sample: &Sample<'_>, cells: Vec<Cell>) -> Result<Estimates> {
    if cells.is_empty() {
        return Ok(Estimates {
            figures: Vec::new(),
            weighting_report: Vec::new(),
        });
    }
    let (set, variance_failure) = sample.estimate(&cells)?;
    let mut figures = Vec::with_capacity(cells.len());
    for (cell, result) in cells.iter().zip(&set.estimates) {
        match result {
            Ok(e) => figures.push(sample.figure(cell, e)),
            // A domain nobody in the sample belongs to has nothing to publish.
            Err(StatsError::Undefined { .. }) => {}
            Err(e) => return Err(stats_error(e.clone())),
        }
    }
    let mut weighting_report: Vec<String> = set.weighting.steps.iter().map(describe_step).collect();
    if let Some(failure) = variance_failure {
        weighting_report.push(failure);
    } else if set.replicates > 0 {
        weighting_report.push(format!(
            "variance: {} replicates, each re-weighted with the same steps",
            set.replicates
        ));
    }
    if !sample.outside_design.is_empty() {
        weighting_report.push(format!(
            "{} return(s) from units outside the sample design not used: {}",
            sample.outside_design.len(),
            sample.outside_design.join(", ")
        ));
    }
    Ok(Estimates {
        figures,
        weighting_report,
    })
}

fn describe_step(step: &StepReport) -> String {
    match step {
        StepReport::NonResponse { factors } => format!(
            "non-response adjustment: {}",
            factors
                .iter()
                .map(|(class, f)| format!("{class} x{f:.6}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        StepReport::Rake {
            iterations,
            max_relative_margin_error,
            min_factor,
            max_factor,
            ..
        } => format!(
            "raking: converged in {iterations} iterations, largest relative margin error \
             {max_relative_margin_error:.2e}, factors {min_factor:.4}..{max_factor:.4}"
        ),
        StepReport::Trim {
            iterations,
            cap,
            trimmed_units,
        } => {
            format!("trimming: {trimmed_units} weight(s) capped at {cap:.4} in {iterations} rounds")
        }
    }
}

fn sample<'a>(
    rows: &'a [Row],
    design: Option<&Versioned<SampleDesign>>,
) -> Result<Option<Sample<'a>>> {
    match design {
        // Nobody in the sample has answered yet: nothing to estimate (not a broken design).
        Some(d)
            if !rows
                .iter()
                .any(|(r, _)| d.body.unit(&r.reporting_unit_id).is_some()) =>
        {
            Ok(None)
        }
        Some(d) => Sample::designed(rows, d).map(Some),
        None if rows.is_empty() => Ok(None),
        None => Sample::interim(rows).map(Some),
    }
}

/// Every figure of the stage: the estimates and their auxiliary cells, and the valid sample.
pub fn figures(rows: &[Row], design: Option<&Versioned<SampleDesign>>) -> Result<Vec<pb::Figure>> {
    let Some(sample) = sample(rows, design)? else {
        return Ok(Vec::new());
    };
    let cells = indicators()
        .into_iter()
        .map(|indicator| Cell {
            indicator,
            breakdown: None,
        })
        .collect();
    let mut figures = run(&sample, cells)?.figures;
    figures.extend(valid_sample(&sample));
    Ok(figures)
}

/// The valid sample, as the report describes it (table 2.3 and appendix figures 1-2): responding
/// units by subject type, responding enterprises by province, and responding key industry
/// enterprises by industry group. Counts of returns, not estimates: no weights, no interval.
fn valid_sample(sample: &Sample) -> Vec<pb::Figure> {
    type Classify = fn(&Questionnaire) -> Option<String>;
    let classifications: [(&str, Classify); 3] = [
        ("subject_type", |q| Some(q.subject_type.code().to_string())),
        ("province", |q| {
            is_enterprise(q).then(|| q.province_code.clone())
        }),
        ("industry", |q| {
            if is_kie(q) {
                q.industry.map(|i| i.code().to_string())
            } else {
                None
            }
        }),
    ];
    let mut out = Vec::new();
    for (dimension, classify) in classifications {
        let mut cells: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (r, q) in sample.respondents() {
            if let Some(level) = classify(q) {
                cells.entry(level).or_default().push(lineage_ref(r));
            }
        }
        for (level, returns) in cells {
            let count = returns.len();
            let lineage = pb::Lineage {
                inputs_hash: inputs_hash(returns.iter().map(String::as_str)),
                returns,
                method: "count of responding units in the sample design (the valid sample)".into(),
                reporters: count as u32,
                ..Default::default()
            };
            out.push(figure(
                VALID_SAMPLE,
                FigureKind::Auxiliary,
                count as f64,
                Unit::Count,
                lineage,
                &[(dimension, level.as_str())],
            ));
        }
    }
    out
}

/// The answer to `GetEstimates`: one indicator, nationally or by one breakdown.
pub struct IndicatorEstimates {
    pub figures: Vec<pb::Figure>,
    pub weighting_report: Vec<String>,
}

pub fn estimates(
    rows: &[Row],
    design: Option<&Versioned<SampleDesign>>,
    indicator: &str,
    breakdown: &str,
) -> Result<IndicatorEstimates> {
    let mut v = ndrs_core::Violations::new();
    let chosen: Vec<Indicator> = indicators()
        .into_iter()
        .filter(|i| i.id == indicator)
        .collect();
    v.check(
        !chosen.is_empty(),
        "indicator",
        "not an indicator of the application stage",
    );
    let breakdown = if breakdown.is_empty() {
        None
    } else {
        let b = BREAKDOWNS.iter().find(|b| **b == breakdown).copied();
        v.check(
            b.is_some(),
            "breakdown",
            format!("must be empty or one of {}", BREAKDOWNS.join(", ")),
        );
        b
    };
    v.finish(())?;
    let Some(sample) = sample(rows, design)? else {
        return Ok(IndicatorEstimates {
            figures: Vec::new(),
            weighting_report: Vec::new(),
        });
    };
    let mut cells = Vec::new();
    for indicator in chosen {
        match breakdown {
            None => cells.push(Cell {
                indicator,
                breakdown: None,
            }),
            Some(b) => {
                let levels: BTreeSet<String> = sample
                    .respondents()
                    .filter(|(_, q)| (indicator.domain)(q))
                    .filter_map(|(_, q)| breakdown_level(q, b))
                    .collect();
                cells.extend(levels.into_iter().map(|level| Cell {
                    indicator,
                    breakdown: Some((b, level)),
                }));
            }
        }
    }
    let Estimates {
        figures,
        weighting_report,
    } = run(&sample, cells)?;
    Ok(IndicatorEstimates {
        figures,
        weighting_report,
    })
}
