//! SDMX, the exchange standard of statistical agencies: the data structure the published
//! figures fit ([`structure`]: dataflow `NDRS:DF_NDRS(1.0)`, DSD `NDRS:DSD_NDRS(1.0)`, code
//! lists) and the data messages that carry them ([`data`]).
//!
//! Publication stores a release's SDMX-ML 2.1 export ([`to_sdmx`]) beside its JSON; the web
//! service's SDMX REST API answers queries across releases with the same structure and
//! writers, so a downloaded export and a REST answer key the same figure the same way.

pub mod data;
pub mod structure;
mod xml;

pub use self::structure::{AGENCY, DATAFLOW, DSD, Selection, Structure, TOTAL, VERSION};

use super::document::Document;

/// Media type of the stored export (generic data, readable without the structure).
pub const SDMX_MEDIA_TYPE: &str = GENERIC_DATA;
/// SDMX-ML 2.1 generic data.
pub const GENERIC_DATA: &str = "application/vnd.sdmx.genericdata+xml;version=2.1";
/// SDMX-ML 2.1 structure-specific data.
pub const STRUCTURE_SPECIFIC_DATA: &str =
    "application/vnd.sdmx.structurespecificdata+xml;version=2.1";
/// SDMX-ML 2.1 structure messages.
pub const STRUCTURE_MESSAGE: &str = "application/vnd.sdmx.structure+xml;version=2.1";
/// SDMX-CSV 1.0.
pub const SDMX_CSV: &str = "application/vnd.sdmx.data+csv;version=1.0.0";

/// The SDMX-ML 2.1 export of one release, written once at publication: generic data referring
/// to `NDRS:DF_NDRS(1.0)`, one series per figure keyed FREQ, INDICATOR and one dimension per
/// breakdown variable (`_T` where the figure is not broken down by it), one observation at the
/// cycle year with unit, status and interval bounds, in one data set that names the version
/// (`setID`, `validFromDate`). Generic data needs no structure message to be read; the DSD
/// that converts it is served by the SDMX REST API. The JSON stays the authoritative document.
pub fn to_sdmx(doc: &Document) -> String {
    let structure = Structure::of([doc]);
    let figures = doc.figures.iter().collect();
    data::generic(
        &[(doc, figures)],
        &structure,
        true,
        &format!("NDRS_{}_V{}", doc.cycle_year, doc.version),
        &doc.published_at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::fixtures::{fig, sample_doc};

    #[test]
    fn the_export_escapes_text_and_gives_each_breakdown_its_own_dimension() {
        let mut f = fig("C04", 0.25);
        f.dimensions.insert("province".into(), "11".into());
        let mut doc = sample_doc(vec![fig("P01", 3.25e22), f]);
        doc.published_at = "<now> & then".into();
        let x = to_sdmx(&doc);
        assert!(x.contains("<message:Prepared>&lt;now&gt; &amp; then</message:Prepared>"));
        assert!(x.contains("<Ref agencyID=\"NDRS\" id=\"DF_NDRS\" version=\"1.0\"/>"));
        assert!(!x.contains("BREAKDOWN") && !x.contains("DSD_NDRS_RELEASE"));
        assert!(x.contains("<generic:Value id=\"PROVINCE\" value=\"11\"/>"));
        assert!(x.contains("<generic:Value id=\"PROVINCE\" value=\"_T\"/>"));
        assert!(x.contains("<generic:Value id=\"FREQ\" value=\"A\"/>"));
        assert!(x.contains("<generic:ObsValue value=\"3.25e22\"/>"));
        assert_eq!(x.matches("<generic:Series>").count(), 2);
        assert_eq!(x.matches("<message:DataSet ").count(), 1);
    }
}
