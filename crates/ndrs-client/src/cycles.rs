//! The round's calendar and frame, as the organiser runs them: open a cycle's collection window,
//! extend its deadline, close it; load the reporting frame; see how the round is going.

use ndrs_core::Result;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;
use pb::survey_cycle_service_client::SurveyCycleServiceClient;

use crate::session::{MAX_RESPONSE_BYTES, Session};

fn client(
    session: &Session,
) -> Result<SurveyCycleServiceClient<ndrs_platform::client::AuthedChannel>> {
    Ok(SurveyCycleServiceClient::new(session.aggregator_channel()?)
        .max_decoding_message_size(MAX_RESPONSE_BYTES))
}

/// Opens a cycle's collection window (`opens_at` `None`: now; `reference_date` empty: 31
/// December of the year).
pub async fn open(
    session: &Session,
    cycle_year: i32,
    reference_date: &str,
    opens_at: Option<Timestamp>,
    deadline: Timestamp,
) -> Result<pb::Cycle> {
    let request = pb::OpenCycleRequest {
        cycle_year,
        reference_date: reference_date.to_string(),
        opens_at,
        deadline: Some(deadline),
    };
    Ok(client(session)?
        .open_cycle(request)
        .await
        .map_err(session.at_aggregator("open the cycle"))?
        .into_inner())
}

/// Moves an open cycle's deadline later.
pub async fn extend(
    session: &Session,
    cycle_year: i32,
    deadline: Timestamp,
    reason: &str,
) -> Result<pb::Cycle> {
    let request = pb::ExtendCycleRequest {
        cycle_year,
        deadline: Some(deadline),
        reason: reason.to_string(),
    };
    Ok(client(session)?
        .extend_cycle(request)
        .await
        .map_err(session.at_aggregator("extend the cycle"))?
        .into_inner())
}

/// Closes an open cycle: no return for it is taken after this.
pub async fn close(session: &Session, cycle_year: i32) -> Result<pb::Cycle> {
    Ok(client(session)?
        .close_cycle(pb::CloseCycleRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("close the cycle"))?
        .into_inner())
}

/// A cycle with its history.
pub async fn get(session: &Session, cycle_year: i32) -> Result<pb::Cycle> {
    Ok(client(session)?
        .get_cycle(pb::GetCycleRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("get the cycle"))?
        .into_inner())
}

/// Every cycle, latest first.
pub async fn list(session: &Session) -> Result<Vec<pb::Cycle>> {
    Ok(client(session)?
        .list_cycles(pb::ListCyclesRequest {})
        .await
        .map_err(session.at_aggregator("list cycles"))?
        .into_inner()
        .cycles)
}

/// Loads a reporting frame as the cycle's next version.
pub async fn load_frame(
    session: &Session,
    request: pb::LoadFrameRequest,
) -> Result<pb::FrameSummary> {
    Ok(client(session)?
        .load_frame(request)
        .await
        .map_err(session.at_aggregator("load the reporting frame"))?
        .into_inner())
}

/// A version (0: the latest) of a cycle's frame.
pub async fn frame(session: &Session, cycle_year: i32, version: u32) -> Result<pb::Frame> {
    Ok(client(session)?
        .get_frame(pb::GetFrameRequest {
            cycle_year,
            version,
        })
        .await
        .map_err(session.at_aggregator("get the reporting frame"))?
        .into_inner())
}

/// How the round is going.
pub async fn progress(session: &Session, cycle_year: i32) -> Result<pb::CycleProgress> {
    Ok(client(session)?
        .get_cycle_progress(pb::GetCycleProgressRequest { cycle_year })
        .await
        .map_err(session.at_aggregator("get the cycle's progress"))?
        .into_inner())
}

/// Reads a reporting frame: a `LoadFrameRequest` in JSON or TOML, or a CSV with a header row
/// naming at least `reporting_unit_id`, `subject_type`, `province_code` and `expected_kinds`
/// (kinds separated by `;`), and optionally `name`, `industry`, `size_class`, `contact`, `stratum`
/// and `design_weight`. `cycle_year` fills a file that names none.
pub fn read_frame(path: &std::path::Path, cycle_year: Option<i32>) -> Result<pb::LoadFrameRequest> {
    use ndrs_core::Error;
    let mut request = read_frame_file(path)?;
    match (request.cycle_year, cycle_year) {
        (0, Some(year)) => request.cycle_year = year,
        (0, None) => {
            return Err(Error::invalid(
                "cycle_year",
                format!("{} names no cycle; pass --cycle", path.display()),
            ));
        }
        (file, Some(flag)) if file != flag => {
            return Err(Error::invalid(
                "cycle_year",
                format!("{} is for cycle {file}, not {flag}", path.display()),
            ));
        }
        _ => {}
    }
    Ok(request)
}

/// A frame file as it is, its cycle 0 when it names none (CSV never does).
pub fn read_frame_file(path: &std::path::Path) -> Result<pb::LoadFrameRequest> {
    use crate::files::{self, Format};
    match Format::of(path) {
        Format::Csv => Ok(pb::LoadFrameRequest {
            cycle_year: 0,
            units: frame_csv(path, &files::read_text(path)?)?,
        }),
        _ => files::read_message(path),
    }
}

/// A subject type by its proto name, with or without the `SUBJECT_TYPE_` prefix, any case (what
/// a frame or an answers CSV writes).
pub fn subject_type(text: &str) -> Option<pb::SubjectType> {
    let upper = text.trim().to_uppercase();
    pb::SubjectType::from_str_name(&upper)
        .or_else(|| pb::SubjectType::from_str_name(&format!("SUBJECT_TYPE_{upper}")))
}

fn frame_csv(path: &std::path::Path, text: &str) -> Result<Vec<pb::FrameUnit>> {
    use ndrs_core::error::bounded;
    use ndrs_core::{Error, FieldViolation};
    let name = bounded(&path.display().to_string(), 200).into_owned();
    let invalid = |row: usize, what: String| FieldViolation::new(format!("{name}:{row}"), what);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid(name.clone(), e.to_string()))?
        .clone();
    let column = |column: &str| headers.iter().position(|h| h.trim() == column);
    let mut missing = Vec::new();
    for required in [
        "reporting_unit_id",
        "subject_type",
        "province_code",
        "expected_kinds",
    ] {
        if column(required).is_none() {
            missing.push(invalid(1, format!("no `{required}` column")));
        }
    }
    if !missing.is_empty() {
        return Err(Error::InvalidArgument(missing));
    }
    let mut units = Vec::new();
    let mut violations = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                violations.push(invalid(row, e.to_string()));
                continue;
            }
        };
        let get = |c: &str| {
            column(c)
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let subject = get("subject_type");
        let Some(subject_type) = subject_type(&subject) else {
            violations.push(invalid(
                row,
                format!("`{}` is not a subject type", bounded(&subject, 64)),
            ));
            continue;
        };
        let weight = get("design_weight");
        let design_weight = if weight.is_empty() {
            0.0
        } else if let Ok(w) = weight.parse::<f64>() {
            w
        } else {
            violations.push(invalid(
                row,
                format!("design_weight `{}` is not a number", bounded(&weight, 32)),
            ));
            continue;
        };
        units.push(pb::FrameUnit {
            reporting_unit_id: get("reporting_unit_id"),
            name: get("name"),
            subject_type: subject_type as i32,
            province_code: get("province_code"),
            industry: get("industry"),
            size_class: get("size_class"),
            expected_kinds: get("expected_kinds")
                .split(';')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect(),
            contact: get("contact"),
            stratum: get("stratum"),
            design_weight,
        });
    }
    if violations.is_empty() {
        Ok(units)
    } else {
        Err(Error::InvalidArgument(violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_frame_reads_into_units_and_names_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("frame.csv");
        std::fs::write(
            &path,
            "reporting_unit_id,name,subject_type,province_code,expected_kinds,design_weight\n\
             cc-1,Centre one,compute_centre,11,compute_centre,\n\
             k-1,Firm,KEY_INDUSTRY_ENTERPRISE,31,application_questionnaire; sharing_hub,12.5\n",
        )
        .unwrap();
        let request = read_frame(&path, Some(2024)).unwrap();
        assert_eq!(request.cycle_year, 2024);
        assert_eq!(request.units.len(), 2);
        assert_eq!(
            request.units[0].subject_type,
            pb::SubjectType::ComputeCentre as i32
        );
        assert_eq!(
            request.units[1].expected_kinds,
            ["application_questionnaire", "sharing_hub"]
        );
        assert_eq!(request.units[1].design_weight, 12.5);
        std::fs::write(
            &path,
            "reporting_unit_id,subject_type,province_code,expected_kinds,design_weight\n\
             a,planet,11,compute_centre,1\nb,compute_centre,11,compute_centre,heavy\n",
        )
        .unwrap();
        let error = read_frame(&path, Some(2024)).unwrap_err();
        let rows: Vec<&str> = error
            .field_violations()
            .iter()
            .map(|v| v.field.rsplit(':').next().unwrap())
            .collect();
        assert_eq!(rows, ["2", "3"], "{error}");
        assert!(read_frame(&path, None).is_err());
    }
}
