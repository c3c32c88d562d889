//! The reporting frame of a cycle: every unit expected to report, how it is classified, which
//! return kinds it owes and whom to contact. A versioned document per cycle, loaded by the
//! organiser; response monitoring counts against it and `ndrs tokens issue` issues from it.

use std::collections::BTreeSet;

use ndrs_core::error::bounded;
use ndrs_core::{Result, Violations};
use ndrs_platform::client::RETURN_KINDS;
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::stage::{check_cycle_year, check_identifier, check_province};
use ndrs_proto::v1 as pb;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

/// The document kind frames are stored under.
pub const DOCUMENT_KIND: &str = "reporting_frame";
/// Most units one frame may hold (a census round is a few thousand; ten times that and more
/// fits).
pub const MAX_UNITS: usize = 200_000;
const MAX_NAME_CHARS: usize = 200;
/// Codes (industry, size class, stratum) are identifiers, as long as a unit id may be.
const MAX_CODE_CHARS: usize = 128;
const MAX_CONTACT_CHARS: usize = 200;

/// One unit of the frame, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameUnit {
    pub reporting_unit_id: String,
    pub name: String,
    /// The proto name of its subject type (`SUBJECT_TYPE_COMPUTE_CENTRE`), readable in the
    /// stored document.
    pub subject_type: String,
    pub province_code: String,
    pub industry: String,
    pub size_class: String,
    pub expected_kinds: Vec<String>,
    pub contact: String,
    pub stratum: String,
    pub design_weight: f64,
}

/// A frame's units, in the order loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FrameBody {
    pub units: Vec<FrameUnit>,
}

impl FrameBody {
    /// Expected (unit, kind) returns.
    pub fn expected_returns(&self) -> usize {
        self.units.iter().map(|u| u.expected_kinds.len()).sum()
    }
}

/// Converts and checks a `LoadFrameRequest`, naming every offending field.
pub fn from_request(request: pb::LoadFrameRequest) -> Result<(i32, FrameBody)> {
    let mut v = Violations::new();
    check_cycle_year("cycle_year", request.cycle_year, &mut v);
    if request.units.is_empty() {
        v.push("units", "a frame lists at least one unit");
    }
    if request.units.len() > MAX_UNITS {
        v.push("units", format!("at most {MAX_UNITS} units"));
        return v.finish((request.cycle_year, FrameBody::default()));
    }
    let mut seen = BTreeSet::new();
    let mut units = Vec::with_capacity(request.units.len());
    for (i, u) in request.units.into_iter().enumerate() {
        let field = |name: &str| format!("units[{i}].{name}");
        check_identifier(&field("reporting_unit_id"), &u.reporting_unit_id, &mut v);
        if !seen.insert(u.reporting_unit_id.clone()) {
            v.push(
                field("reporting_unit_id"),
                format!("{} is listed twice", bounded(&u.reporting_unit_id, 128)),
            );
        }
        v.check(
            u.name.chars().count() <= MAX_NAME_CHARS,
            field("name"),
            format!("at most {MAX_NAME_CHARS} characters"),
        );
        let subject_type = pb::SubjectType::try_from(u.subject_type)
            .ok()
            .filter(|t| *t != pb::SubjectType::Unspecified);
        if subject_type.is_none() {
            v.push(field("subject_type"), "a known subject type is required");
        }
        // A unit without a place (a national vendor, an association) has no province.
        if !u.province_code.is_empty() {
            check_province(field("province_code"), &u.province_code, &mut v);
        }
        for (name, code) in [
            ("industry", &u.industry),
            ("size_class", &u.size_class),
            ("stratum", &u.stratum),
        ] {
            v.check(
                code.chars().count() <= MAX_CODE_CHARS,
                field(name),
                format!("at most {MAX_CODE_CHARS} characters"),
            );
        }
        v.check(
            u.contact.chars().count() <= MAX_CONTACT_CHARS,
            field("contact"),
            format!("at most {MAX_CONTACT_CHARS} characters"),
        );
        if u.expected_kinds.is_empty() {
            v.push(field("expected_kinds"), "name at least one return kind");
        }
        let mut kinds = BTreeSet::new();
        for (k, kind) in u.expected_kinds.iter().enumerate() {
            if !RETURN_KINDS.contains(&kind.as_str()) {
                v.push(
                    format!("units[{i}].expected_kinds[{k}]"),
                    format!(
                        "`{}` is not a return kind; expected one of {}",
                        bounded(kind, 64),
                        RETURN_KINDS.join(", ")
                    ),
                );
            } else if !kinds.insert(kind.clone()) {
                v.push(format!("units[{i}].expected_kinds[{k}]"), "listed twice");
            }
        }
        v.check(
            u.design_weight.is_finite() && u.design_weight >= 0.0,
            field("design_weight"),
            "a finite weight, 0 or more (0: not a sampled unit)",
        );
        units.push(FrameUnit {
            reporting_unit_id: u.reporting_unit_id,
            name: u.name,
            subject_type: subject_type
                .map(|t| t.as_str_name().to_string())
                .unwrap_or_default(),
            province_code: u.province_code,
            industry: u.industry,
            size_class: u.size_class,
            expected_kinds: kinds.into_iter().collect(),
            contact: u.contact,
            stratum: u.stratum,
            design_weight: u.design_weight,
        });
    }
    v.finish((request.cycle_year, FrameBody { units }))
}

/// A stored unit as the wire carries it.
pub fn unit_to_proto(u: &FrameUnit) -> pb::FrameUnit {
    pb::FrameUnit {
        reporting_unit_id: u.reporting_unit_id.clone(),
        name: u.name.clone(),
        subject_type: pb::SubjectType::from_str_name(&u.subject_type).map_or(0, |t| t as i32),
        province_code: u.province_code.clone(),
        industry: u.industry.clone(),
        size_class: u.size_class.clone(),
        expected_kinds: u.expected_kinds.clone(),
        contact: u.contact.clone(),
        stratum: u.stratum.clone(),
        design_weight: u.design_weight,
    }
}

pub fn summary(frame: &Versioned<FrameBody>) -> pb::FrameSummary {
    pb::FrameSummary {
        cycle_year: frame.cycle_year,
        version: frame.version,
        units: u32::try_from(frame.body.units.len()).unwrap_or(u32::MAX),
        expected_returns: u32::try_from(frame.body.expected_returns()).unwrap_or(u32::MAX),
        content_hash: frame.content_hash.clone(),
        loaded_at: ndrs_platform::timestamp::from_text(&frame.loaded_at),
        loaded_by: frame.loaded_by.clone(),
    }
}

/// The frames of every cycle, in the aggregator's database.
#[derive(Clone)]
pub struct Frames {
    documents: CycleDocuments,
}

impl Frames {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            documents: CycleDocuments::unannounced(db, DOCUMENT_KIND),
        }
    }

    pub async fn load(
        &self,
        cycle_year: i32,
        body: FrameBody,
        by: &str,
    ) -> Result<Versioned<FrameBody>> {
        self.documents.load(cycle_year, body, by).await
    }

    /// A version (0: the latest) of a cycle's frame, if one was loaded.
    pub async fn get(&self, cycle_year: i32, version: u32) -> Result<Option<Versioned<FrameBody>>> {
        self.documents.get(cycle_year, version).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, kinds: &[&str]) -> pb::FrameUnit {
        pb::FrameUnit {
            reporting_unit_id: id.into(),
            name: format!("unit {id}"),
            subject_type: pb::SubjectType::ComputeCentre as i32,
            province_code: "11".into(),
            expected_kinds: kinds.iter().map(ToString::to_string).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_frame_names_every_bad_unit_field() {
        let mut bad = unit("c-2", &["compute_centre", "nonsense"]);
        bad.province_code = "99".into();
        bad.design_weight = f64::NAN;
        let request = pb::LoadFrameRequest {
            cycle_year: 2024,
            units: vec![unit("c-1", &["compute_centre"]), bad, unit("c-1", &[])],
        };
        let error = from_request(request).unwrap_err();
        let fields: Vec<&str> = error
            .field_violations()
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        for expected in [
            "units[1].province_code",
            "units[1].expected_kinds[1]",
            "units[1].design_weight",
            "units[2].reporting_unit_id",
            "units[2].expected_kinds",
        ] {
            assert!(fields.contains(&expected), "{expected} not in {fields:?}");
        }
    }

    #[test]
    fn a_good_frame_counts_its_expected_returns() {
        let request = pb::LoadFrameRequest {
            cycle_year: 2024,
            units: vec![
                unit("c-1", &["compute_centre"]),
                unit("k-1", &["application_questionnaire", "sharing_hub"]),
            ],
        };
        let (cycle, body) = from_request(request).unwrap();
        assert_eq!(cycle, 2024);
        assert_eq!(body.expected_returns(), 3);
        assert_eq!(body.units[0].subject_type, "SUBJECT_TYPE_COMPUTE_CENTRE");
        assert_eq!(unit_to_proto(&body.units[0]).subject_type, 7);
    }
}
