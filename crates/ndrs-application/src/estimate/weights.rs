//! The weights out: what estimation computes for a cycle's design version over the returns
//! stored, as CSV for R `survey` or svy, so that any figure can be reproduced outside ndrs.
//!
//! The rows are the design's units in its order; the final weights are the full-sample
//! weighting's (non-respondents 0), and the replicate columns the design's replicate method with
//! the weighting re-applied to each, exactly the weights the figures' SEs come from. The values
//! an indicator reads (`<id>.domain`, `<id>.y`, `<id>.x`) can be added, so a figure is one
//! weighted estimate away.

use std::collections::{BTreeMap, BTreeSet};

use ndrs_core::{Result, Violations};
use ndrs_platform::documents::Versioned;
use ndrs_platform::indicators::InForceIndicators;
use ndrs_stats::{VarianceMethod, replicate_weights};

use super::Row;
use super::adapter::design_error;
use super::sample::Sample;
use crate::design::{FRAME_VARIABLES, SampleDesign};

/// Most weights (units x replicates) one export may hold: 160 MB of numbers, a few times that
/// as text. A design of 200,000 units exports up to 100 replicates.
pub const MAX_EXPORTED_WEIGHTS: usize = 20_000_000;
/// Most indicators whose values one export may add.
pub const MAX_EXPORTED_INDICATORS: usize = 20;
/// Rows are sent in chunks of about this many bytes of CSV.
const CHUNK_BYTES: usize = 1 << 20;

/// An export: CSV chunks (the first starting with the header line) and, with replicates, each
/// replicate column's coefficient and label.
pub struct WeightsExport {
    pub chunks: Vec<String>,
    pub method: String,
    pub replicate_coefficients: Vec<f64>,
    pub replicate_labels: Vec<String>,
}

/// Exports the weights of `design` over `rows`, with the values of `indicators` (ids of the
/// document in force) and, when asked, the replicate weights.
pub fn export_weights(
    rows: &[Row],
    design: &Versioned<SampleDesign>,
    in_force: &InForceIndicators,
    indicators: &[String],
    replicates: bool,
) -> Result<WeightsExport> {
    let mut v = Violations::new();
    v.check(
        indicators.len() <= MAX_EXPORTED_INDICATORS,
        "indicators",
        format!("at most {MAX_EXPORTED_INDICATORS} indicators per export"),
    );
    let defined = &in_force.indicators.indicators;
    let mut chosen = Vec::new();
    for (k, id) in indicators.iter().enumerate().take(MAX_EXPORTED_INDICATORS) {
        let matching: Vec<usize> = (0..defined.len())
            .filter(|&i| defined[i].id == *id)
            .collect();
        v.check(
            !matching.is_empty(),
            format!("indicators[{k}]"),
            format!("not an indicator of {}", in_force.lineage_ref),
        );
        chosen.extend(matching);
    }
    let precision = design.body.precision();
    let method = precision.variance_method();
    if replicates {
        v.check(
            method != VarianceMethod::Taylor,
            "replicates",
            "the design's variance method is Taylor linearisation, which has no replicate weights",
        );
    }
    let replicate_count = match method {
        VarianceMethod::Bootstrap { replicates, .. } => replicates,
        // The jackknife deletes each PSU once at most.
        _ => design
            .body
            .units
            .iter()
            .map(|u| (u.stratum.as_str(), u.psu.as_str()))
            .collect::<BTreeSet<_>>()
            .len(),
    };
    if replicates && method != VarianceMethod::Taylor {
        v.check(
            design.body.units.len().saturating_mul(replicate_count) <= MAX_EXPORTED_WEIGHTS,
            "replicates",
            format!(
                "{} units x up to {replicate_count} replicates exceed the {MAX_EXPORTED_WEIGHTS} \
                 weights one export may hold",
                design.body.units.len()
            ),
        );
    }
    v.finish(())?;

    let sample = Sample::designed(rows, design, in_force, &precision)?;
    let (data, _) = sample.columns(&[])?;
    let (final_weights, _) = sample
        .spec
        .apply(&sample.design, &data)
        .map_err(design_error)?;
    let reps = if replicates {
        Some(replicate_weights(&sample.design, &sample.spec, &data, method).map_err(design_error)?)
    } else {
        None
    };

    let d = &design.body;
    let mut header: Vec<String> = [
        "reporting_unit_id",
        "stratum",
        "psu",
        "population_psus",
        "certainty",
        "respondent",
        "design_weight",
        "final_weight",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(
        FRAME_VARIABLES
            .iter()
            .filter(|v| **v != "stratum")
            .map(|v| v.to_string()),
    );
    for &i in &chosen {
        let name = column_name(&defined[i].id, &defined[i].dimensions);
        header.push(format!("{name}.domain"));
        header.push(format!("{name}.y"));
        if defined[i].estimator == ndrs_content::indicators::Estimator::Ratio {
            header.push(format!("{name}.x"));
        }
    }
    if let Some(r) = &reps {
        header.extend((1..=r.weights.len()).map(|k| format!("replicate_{k}")));
    }

    // PSUs per stratum: a take-all stratum's population is its sample.
    let mut psus: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for u in &d.units {
        psus.entry(u.stratum.as_str())
            .or_default()
            .insert(u.psu.as_str());
    }
    let strata: BTreeMap<&str, _> = d.strata.iter().map(|s| (s.stratum.as_str(), s)).collect();
    let mut chunks = Vec::new();
    let mut chunk = csv_line(header.iter().map(String::as_str));
    for (row, u) in d.units.iter().enumerate() {
        let info = strata.get(u.stratum.as_str());
        let certainty = info.is_some_and(|s| s.certainty);
        let population = if certainty {
            Some(psus[u.stratum.as_str()].len() as f64)
        } else {
            info.and_then(|s| s.population_psus)
        };
        let respondent = sample.answers[row].is_some();
        let mut fields: Vec<String> = vec![
            u.reporting_unit_id.clone(),
            u.stratum.clone(),
            u.psu.clone(),
            population.map(|n| n.to_string()).unwrap_or_default(),
            u8::from(certainty).to_string(),
            u8::from(respondent).to_string(),
            u.design_weight.to_string(),
            final_weights[row].to_string(),
        ];
        fields.extend(
            FRAME_VARIABLES
                .iter()
                .filter(|v| **v != "stratum")
                .map(|v| u.frame_value(v)),
        );
        for &i in &chosen {
            let values = &sample.values[row][i];
            let read = respondent && values.in_domain;
            fields.push(u8::from(read).to_string());
            fields.push(if read {
                values.y.to_string()
            } else {
                String::new()
            });
            if defined[i].estimator == ndrs_content::indicators::Estimator::Ratio {
                fields.push(if read {
                    values.x.to_string()
                } else {
                    String::new()
                });
            }
        }
        if let Some(r) = &reps {
            fields.extend(r.weights.iter().map(|w| w[row].to_string()));
        }
        chunk.push_str(&csv_line(fields.iter().map(String::as_str)));
        if chunk.len() >= CHUNK_BYTES {
            chunks.push(std::mem::take(&mut chunk));
        }
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    let (replicate_coefficients, replicate_labels) = match reps {
        Some(r) => (r.coefficients, r.labels),
        None => (Vec::new(), Vec::new()),
    };
    Ok(WeightsExport {
        chunks,
        method: sample.method.clone(),
        replicate_coefficients,
        replicate_labels,
    })
}

/// `A11`, or `F07[industry=finance]` for an indicator with dimensions.
fn column_name(id: &str, dimensions: &[(String, String)]) -> String {
    if dimensions.is_empty() {
        return id.to_string();
    }
    let dims: Vec<String> = dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{id}[{}]", dims.join(","))
}

/// One CSV record (RFC 4180): a field with a comma, quote or line break is quoted.
fn csv_line<'a>(fields: impl Iterator<Item = &'a str>) -> String {
    let mut line = String::new();
    for (k, f) in fields.enumerate() {
        if k > 0 {
            line.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(f);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_they_must_be() {
        assert_eq!(
            csv_line(["a", "b,c", "say \"x\""].into_iter()),
            "a,\"b,c\",\"say \"\"x\"\"\"\r\n"
        );
    }

    #[test]
    fn indicator_columns_name_their_dimensions() {
        let dims = [("industry".to_string(), "finance".to_string())];
        assert_eq!(column_name("F07", &dims), "F07[industry=finance]");
        assert_eq!(column_name("A11", &[]), "A11");
    }
}
