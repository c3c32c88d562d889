//! The units estimation runs over: every sampled unit of the cycle's design (respondents with the
//! frame's classifications, non-respondents too), or, without a design, the respondents alone
//! as an interim simple random sample.

use ndrs_content::{CompiledIndicator, Values};
use ndrs_core::Result;
use ndrs_platform::documents::Versioned;
use ndrs_platform::indicators::InForceIndicators;
use ndrs_platform::returns::StoredReturn;
use ndrs_stats::{Design, LonelyPsu, Options, VarianceMethod, WeightingSpec};

use super::cells::{Cell, breakdown_level};
use super::{DESIGN_METHOD, INTERIM_METHOD, Row};
use crate::design::{DOCUMENT_KIND, Precision, SampleDesign};
use crate::domain::Questionnaire;

/// The units estimation runs over: every sampled unit with its design row, and the
/// questionnaire of those that responded.
pub(super) struct Sample<'a> {
    pub(super) design: Design,
    pub(super) spec: WeightingSpec,
    pub(super) variance: VarianceMethod,
    pub(super) options: Options,
    /// Per unit: the return and questionnaire (with the frame's classifications) of a
    /// respondent, `None` for a non-respondent.
    pub(super) answers: Vec<Option<(&'a StoredReturn, Questionnaire)>>,
    /// Per unit, every indicator's values (none in any domain for a non-respondent), evaluated
    /// once before any weighting.
    pub(super) values: Vec<Vec<Values>>,
    /// The indicator document the values come from.
    pub(super) indicators: &'a InForceIndicators,
    /// Categorical frame columns (weighting classes, margins), empty without a design.
    pub(super) frame_columns: Vec<(&'static str, Vec<String>)>,
    /// Lineage of the design: a citation of the version and a description of the method.
    pub(super) design_ref: Option<String>,
    pub(super) method: String,
    /// Returns from units outside the design (not estimated from).
    pub(super) outside_design: Vec<String>,
}

pub(super) const RESPONDENT: &str = "respondent";

impl<'a> Sample<'a> {
    pub(super) fn interim(rows: &'a [Row], indicators: &'a InForceIndicators) -> Result<Self> {
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
            values: Vec::new(),
            indicators,
            frame_columns: Vec::new(),
            design_ref: None,
            method: INTERIM_METHOD.to_string(),
            outside_design: Vec::new(),
        }
        .with_values())
    }

    /// The design's sample, its precision stated as `precision` says.
    pub(super) fn designed(
        rows: &'a [Row],
        design: &Versioned<SampleDesign>,
        indicators: &'a InForceIndicators,
        precision: &Precision,
    ) -> Result<Self> {
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
                    if unit.industry.is_some() {
                        q.industry = unit.industry;
                    }
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
            values: Vec::new(),
            indicators,
            design: stats_design,
            spec: d.weighting_spec(RESPONDENT),
            variance: precision.variance_method(),
            options: Options {
                level: precision.confidence_level,
                degrees_of_freedom: precision.degrees_of_freedom,
                ..Options::default()
            },
            answers,
            frame_columns,
            design_ref: Some(design.lineage_ref(DOCUMENT_KIND)),
            method: format!("{DESIGN_METHOD}: {}", d.describe(precision)),
            outside_design,
        }
        .with_values())
    }

    pub(super) fn respondents(&self) -> impl Iterator<Item = &(&'a StoredReturn, Questionnaire)> {
        self.answers.iter().flatten()
    }

    /// Evaluates every indicator over every respondent, once.
    fn with_values(mut self) -> Self {
        let readings: Vec<_> = self
            .respondents()
            .map(|(_, q)| (q.respondent(), q.answers_for_estimation()))
            .collect();
        let returns: Vec<_> = readings.iter().map(|(r, a)| (r, a.as_ref())).collect();
        let mut evaluated = self.indicators.indicators.evaluate(&returns).into_iter();
        let none = vec![Values::default(); self.indicators.indicators.indicators.len()];
        let values = self
            .answers
            .iter()
            .map(|a| match a {
                Some(_) => evaluated.next().unwrap_or_else(|| none.clone()),
                None => none.clone(),
            })
            .collect();
        self.values = values;
        self
    }

    pub(super) fn indicator(&self, cell: &Cell) -> &CompiledIndicator {
        &self.indicators.indicators.indicators[cell.indicator]
    }

    /// Whether unit `u` is in the cell's domain (its measure read).
    pub(super) fn contains(&self, cell: &Cell, u: usize) -> bool {
        self.values[u][cell.indicator].in_domain && self.in_breakdown(cell, u)
    }

    /// Whether unit `u` is in a `mean_ratio`'s denominator domain.
    pub(super) fn in_denominator(&self, cell: &Cell, u: usize) -> bool {
        self.values[u][cell.indicator].in_denominator_domain
    }

    /// Whether unit `u` belongs to the cell's level of every classification of its breakdown
    /// (any unit, without one).
    pub(super) fn in_breakdown(&self, cell: &Cell, u: usize) -> bool {
        cell.breakdown
            .iter()
            .all(|(b, level)| self.level(u, b).as_deref() == Some(level.as_str()))
    }

    /// Respondent `u`'s level of a classification: the design's stratum, or the
    /// questionnaire's (carrying the frame's classification under a design); `None` for a
    /// non-respondent or a classification the unit has no level of.
    pub(super) fn level(&self, u: usize, breakdown: &str) -> Option<String> {
        let (_, q) = self.answers[u].as_ref()?;
        if breakdown == "stratum" {
            return self
                .frame_columns
                .iter()
                .find(|(name, _)| *name == "stratum")
                .map(|(_, values)| values[u].clone());
        }
        breakdown_level(q, breakdown)
    }
}

///
/// `precision` overrides the design's statement of precision (a `GetEstimates` request's);
/// `None` keeps the design's, as the published figures do.
pub(super) fn sample<'a>(
    rows: &'a [Row],
    design: Option<&Versioned<SampleDesign>>,
    indicators: &'a InForceIndicators,
    precision: Option<&Precision>,
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
        Some(d) => {
            let own = d.body.precision();
            Sample::designed(rows, d, indicators, precision.unwrap_or(&own)).map(Some)
        }
        None if rows.is_empty() => Ok(None),
        None => Sample::interim(rows, indicators).map(Some),
    }
}

/// An estimation failure of `ndrs_stats` as the domain error it is: the service's own fault.
pub(super) fn stats_error(e: ndrs_stats::StatsError) -> ndrs_core::Error {
    ndrs_core::Error::Internal(format!("estimation: {e}"))
}
