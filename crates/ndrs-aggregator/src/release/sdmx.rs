//! The SDMX-ML 2.1 export of a release, the exchange format of statistical agencies. Written
//! once at publication and stored with the JSON.

use super::document::Document;

/// Media type of the SDMX export.
pub const SDMX_MEDIA_TYPE: &str = "application/vnd.sdmx.genericdata+xml;version=2.1";

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// An SDMX identifier from free text: characters outside `[A-Za-z0-9_-]` become `_`.
fn sdmx_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The SDMX-ML 2.1 generic-data export: one series per figure, keyed by INDICATOR and BREAKDOWN
/// (`_T` for the national total, otherwise the breakdown coordinates as `province_11`), one
/// observation at TIME_PERIOD = the cycle year, with the unit as a series attribute and the
/// interval bounds as observation attributes. Generic data needs no structure message to be
/// read, so the JSON stays the authoritative document and this is its exchange format.
pub fn to_sdmx(doc: &Document) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(
        "<message:GenericData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" \
         xmlns:generic=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic\" \
         xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n",
    );
    x.push_str("  <message:Header>\n");
    x.push_str(&format!(
        "    <message:ID>NDRS_{}_V{}</message:ID>\n",
        doc.cycle_year, doc.version
    ));
    x.push_str("    <message:Test>false</message:Test>\n");
    x.push_str(&format!(
        "    <message:Prepared>{}</message:Prepared>\n",
        xml_escape(&doc.published_at)
    ));
    x.push_str("    <message:Sender id=\"NDRS\"/>\n");
    x.push_str(
        "    <message:Structure structureID=\"NDRS_RELEASE\" dimensionAtObservation=\"TIME_PERIOD\">\n\
         \x20     <common:Structure>\n\
         \x20       <URN>urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=NDRS:DSD_NDRS_RELEASE(1.0)</URN>\n\
         \x20     </common:Structure>\n\
         \x20   </message:Structure>\n",
    );
    x.push_str("  </message:Header>\n");
    x.push_str("  <message:DataSet structureRef=\"NDRS_RELEASE\">\n");
    for f in &doc.figures {
        let breakdown = if f.dimensions.is_empty() {
            "_T".to_string()
        } else {
            f.dimensions
                .iter()
                .map(|(k, v)| sdmx_id(&format!("{k}_{v}")))
                .collect::<Vec<_>>()
                .join("__")
        };
        let value = |v: f64| {
            if v.is_finite() {
                format!("{v:?}")
            } else {
                "NaN".to_string()
            }
        };
        x.push_str("    <generic:Series>\n      <generic:SeriesKey>\n");
        x.push_str(&format!(
            "        <generic:Value id=\"INDICATOR\" value=\"{}\"/>\n",
            xml_escape(&sdmx_id(&f.id))
        ));
        x.push_str(&format!(
            "        <generic:Value id=\"BREAKDOWN\" value=\"{}\"/>\n",
            xml_escape(&breakdown)
        ));
        x.push_str("      </generic:SeriesKey>\n      <generic:Attributes>\n");
        x.push_str(&format!(
            "        <generic:Value id=\"UNIT_MEASURE\" value=\"{}\"/>\n",
            xml_escape(&f.unit.to_uppercase())
        ));
        x.push_str("      </generic:Attributes>\n      <generic:Obs>\n");
        x.push_str(&format!(
            "        <generic:ObsDimension value=\"{}\"/>\n        <generic:ObsValue value=\"{}\"/>\n",
            doc.cycle_year,
            f.value.map_or_else(|| "NaN".to_string(), value)
        ));
        x.push_str("        <generic:Attributes>\n");
        if f.value.is_some() {
            x.push_str("          <generic:Value id=\"OBS_STATUS\" value=\"A\"/>\n");
        } else {
            // Missing because confidential (SDMX code lists CL_OBS_STATUS M, CL_CONF_STATUS C).
            x.push_str("          <generic:Value id=\"OBS_STATUS\" value=\"M\"/>\n");
            x.push_str("          <generic:Value id=\"CONF_STATUS\" value=\"C\"/>\n");
        }
        if let Some(i) = &f.interval {
            x.push_str(&format!(
                "          <generic:Value id=\"LOWER_BOUND\" value=\"{}\"/>\n          <generic:Value id=\"UPPER_BOUND\" value=\"{}\"/>\n",
                value(i.lower),
                value(i.upper)
            ));
        }
        x.push_str("        </generic:Attributes>\n      </generic:Obs>\n    </generic:Series>\n");
    }
    x.push_str("  </message:DataSet>\n</message:GenericData>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::fixtures::{fig, sample_doc};

    #[test]
    fn sdmx_escapes_text_and_keys_breakdowns() {
        let mut f = fig("C04", 0.25);
        f.dimensions.insert("province".into(), "11".into());
        let mut doc = sample_doc(vec![fig("P01", 3.25e22), f]);
        doc.published_at = "<now> & then".into();
        let x = to_sdmx(&doc);
        assert!(x.contains("<message:Prepared>&lt;now&gt; &amp; then</message:Prepared>"));
        assert!(x.contains("<generic:Value id=\"BREAKDOWN\" value=\"province_11\"/>"));
        assert!(x.contains("<generic:ObsValue value=\"3.25e22\"/>"));
        assert_eq!(x.matches("<generic:Series>").count(), 2);
    }
}
