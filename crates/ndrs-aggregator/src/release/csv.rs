//! The CSV export of a release: one row per figure, for readers who want a table, not a
//! document. Written once at publication and stored with the JSON.

use ndrs_core::{Error, Result};

use super::document::Document;

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// The CSV export: one row per figure, in the document's order.
pub fn to_csv(doc: &Document) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let internal = |e: ::csv::Error| Error::Internal(format!("csv export: {e}"));
    w.write_record([
        "cycle_year",
        "version",
        "key",
        "id",
        "dimensions",
        "label",
        "kind",
        "value",
        "unit",
        "precision",
        "interval_lower",
        "interval_upper",
        "interval_level",
        "status",
        "suppression",
        "method",
        "inputs_hash",
    ])
    .map_err(internal)?;
    for f in &doc.figures {
        let dims: Vec<String> = f
            .dimensions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (lower, upper, level) = f.interval.as_ref().map_or_else(
            || (String::new(), String::new(), String::new()),
            |i| (number(i.lower), number(i.upper), number(i.level)),
        );
        let (method, inputs_hash) = f.lineage.as_ref().map_or_else(
            || (String::new(), String::new()),
            |l| (l.method.clone(), l.inputs_hash.clone()),
        );
        w.write_record([
            doc.cycle_year.to_string(),
            doc.version.to_string(),
            f.key.clone(),
            f.id.clone(),
            dims.join(";"),
            f.label.clone(),
            f.kind.clone(),
            f.value.map(number).unwrap_or_default(),
            f.unit.clone(),
            f.precision.clone(),
            lower,
            upper,
            level,
            f.status.clone(),
            f.suppression.clone().unwrap_or_default(),
            method,
            inputs_hash,
        ])
        .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Internal(format!("csv export: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(format!("csv export: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::fixtures::{fig, sample_doc};

    #[test]
    fn csv_quotes_labels_and_reads_back() {
        let doc = sample_doc(vec![fig("P01", 3.25e22)]);
        let csv = to_csv(&doc).unwrap();
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[5], "a, \"quoted\" label");
        assert_eq!(row[7].parse::<f64>().unwrap(), 3.25e22);
    }
}
