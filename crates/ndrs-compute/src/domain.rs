//! A compute centre's annual return on the platform's submit path ([`AnsweredReturn`]): the typed
//! message read as answers by question id, and checked answers read back as the return the census
//! estimates use. Which answers are acceptable is the published questionnaire's to say
//! (`content/2023/compute_centre.toml`), not this module's.

use std::collections::BTreeMap;

use ndrs_content::{Answer, Answers, Respondent, TypedAnswers};
use ndrs_core::Violations;
use ndrs_core::classification::{CentreType, SubjectType};
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, ReturnHeader};
use ndrs_platform::stage::{AnsweredReturn, StageReturn, check_province};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// Precisions a capacity can be measured at, in the order they are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Fp64,
    Fp32,
    Fp16,
    Bf16,
    Int8,
}

impl Precision {
    /// The name reporters know the precision by.
    pub fn label(self) -> &'static str {
        match self {
            Precision::Fp64 => "FP64",
            Precision::Fp32 => "FP32",
            Precision::Fp16 => "FP16",
            Precision::Bf16 => "BF16",
            Precision::Int8 => "INT8",
        }
    }

    /// The code of the questionnaire's `precision` list.
    pub fn code(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Int8 => "int8",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Precision::Fp64,
            Precision::Fp32,
            Precision::Fp16,
            Precision::Bf16,
            Precision::Int8,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    fn from_proto(value: i32) -> Option<Self> {
        match pb::Precision::try_from(value).ok()? {
            pb::Precision::Fp64 => Some(Precision::Fp64),
            pb::Precision::Fp32 => Some(Precision::Fp32),
            pb::Precision::Fp16 => Some(Precision::Fp16),
            pb::Precision::Bf16 => Some(Precision::Bf16),
            pb::Precision::Int8 => Some(Precision::Int8),
            pb::Precision::Unspecified => None,
        }
    }

    /// Factor that converts a capacity at this precision to the FP32-equivalent basis.
    ///
    /// The survey publishes compute on one basis, FP32 (single precision), as the national compute
    /// statistics do. A centre that reports FP32 is taken at its word; otherwise its capacity is
    /// converted with the customary throughput ratios of current accelerators: one FP64 operation
    /// costs about two FP32 ones, FP16/BF16 run at about twice and INT8 at about four times the
    /// FP32 rate. The raw precisions are kept in the return.
    pub fn fp32_factor(self) -> f64 {
        match self {
            Precision::Fp64 => 2.0,
            Precision::Fp32 => 1.0,
            Precision::Fp16 | Precision::Bf16 => 0.5,
            Precision::Int8 => 0.25,
        }
    }
}

/// What one centre reports for a cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentreReturn {
    pub centre_type: CentreType,
    pub province_code: String,
    pub capacity_flops: BTreeMap<Precision, f64>,
    pub storage_capacity_bytes: u64,
    pub storage_used_bytes: u64,
    pub cloud_storage_bytes: u64,
    pub average_utilisation: f64,
    pub racks: u32,
    pub power_capacity_kw: f64,
    /// The published questionnaire the return was checked against, as lineage cites it.
    #[serde(default)]
    pub questionnaire_version: String,
    /// The answers by question id, exactly as given: stored with the return (and so in
    /// `GetReturn`), not read back by the census, whose figures read the typed fields. Skipping
    /// them when a stored return is read keeps the stage result as fast as before they were kept.
    #[serde(default, skip_deserializing)]
    pub answers: Answers,
}

impl CentreReturn {
    /// Capacity on the FP32-equivalent basis: the FP32 figure when reported, else the largest
    /// converted figure among the precisions reported.
    pub fn fp32_equivalent_flops(&self) -> f64 {
        if let Some(fp32) = self.capacity_flops.get(&Precision::Fp32) {
            return *fp32;
        }
        self.capacity_flops
            .iter()
            .map(|(p, f)| f * p.fp32_factor())
            .fold(0.0, f64::max)
    }
}

/// Reads a `ComputeCentreReturn` as the answers it gives (see [`ndrs_content::TypedAnswers`]):
/// each field answers the question of the same id, `capacity` a group of (precision, flops)
/// rows. Only what cannot be read at all is refused here; the published questionnaire judges the
/// rest, naming the message's own fields.
pub fn typed_answers(
    request: pb::ComputeCentreReturn,
) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
    let pb::ComputeCentreReturn {
        header,
        centre_type,
        province_code,
        capacity,
        storage_capacity_bytes,
        storage_used_bytes,
        cloud_storage_bytes,
        average_utilisation,
        racks,
        power_capacity_kw,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let mut typed = TypedAnswers::default();
    // A bad province is refused with the questionnaire's findings, so one refusal names every
    // bad field.
    let mut province = Violations::new();
    check_province("province_code", &province_code, &mut province);
    if let Err(e) = province.finish(()) {
        for f in e.field_violations() {
            typed.refuse(f.field.clone(), f.description.clone());
        }
    }
    let choice = |code: &str| Answer::Choice(vec![code.to_string()]);
    match centre_type {
        0 => {}
        n => match CentreType::from_i32(n) {
            Some(t) => typed.field("centre_type", choice(t.code()), false),
            None => v.push(
                "centre_type",
                "must be general, intelligent or supercomputing",
            ),
        },
    }
    let mut rows = Vec::with_capacity(capacity.len());
    for (i, pb::PrecisionCapacity { precision, flops }) in capacity.into_iter().enumerate() {
        let mut row = Answers::new().with(
            "flops",
            Answer::Decimal {
                value: flops,
                unit: "flops".into(),
            },
        );
        match Precision::from_proto(precision) {
            Some(p) => row = row.with("precision", choice(p.code())),
            None => v.push(format!("capacity[{i}].precision"), "unknown precision"),
        }
        rows.push(row);
    }
    if !rows.is_empty() {
        typed.field("capacity", Answer::Group(rows), false);
    }
    // Decimal answers: a large centre stores exabytes, beyond an integer answer's range. Every
    // stored count converts back exactly (a u64 read as f64 is an integer), as the estimates
    // always read them.
    for (id, bytes) in [
        ("storage_capacity_bytes", storage_capacity_bytes),
        ("storage_used_bytes", storage_used_bytes),
        ("cloud_storage_bytes", cloud_storage_bytes),
    ] {
        typed.field(
            id,
            Answer::Decimal {
                value: bytes as f64,
                unit: "bytes".into(),
            },
            bytes == 0,
        );
    }
    typed.field(
        "average_utilisation",
        Answer::Decimal {
            value: average_utilisation,
            unit: "ratio".into(),
        },
        average_utilisation == 0.0,
    );
    typed.field(
        "racks",
        Answer::Integer {
            value: i64::from(racks),
            unit: "count".into(),
        },
        racks == 0,
    );
    typed.field(
        "power_capacity_kw",
        Answer::Decimal {
            value: power_capacity_kw,
            unit: "kilowatts".into(),
        },
        power_capacity_kw == 0.0,
    );
    let header = v.finish(header)?;
    let respondent = Respondent {
        subject_type: SubjectType::ComputeCentre,
        province: province_code,
        industry: String::new(),
        size_class: String::new(),
    };
    Ok((header, respondent, typed))
}

/// The stored return of answers that passed the questionnaire's check.
pub fn from_answers(
    respondent: Respondent,
    answers: Answers,
    questionnaire_ref: String,
) -> ndrs_core::Result<CentreReturn> {
    let mut v = Violations::new();
    let code = |id: &str| match answers.get(id) {
        Some(Answer::Choice(codes)) => codes.first().cloned(),
        _ => None,
    };
    let centre_type = code("centre_type").and_then(|c: String| CentreType::from_code(&c));
    if centre_type.is_none() {
        v.push(
            "answers.centre_type",
            "is not a kind of centre the census knows",
        );
    }
    let mut capacity_flops = BTreeMap::new();
    if let Some(Answer::Group(rows)) = answers.get("capacity") {
        for (i, row) in rows.iter().enumerate() {
            let precision = match row.get("precision") {
                Some(Answer::Choice(codes)) => codes.first().and_then(|c| Precision::from_code(c)),
                _ => None,
            };
            let flops = match row.get("flops") {
                Some(Answer::Decimal { value, .. }) => Some(*value),
                _ => None,
            };
            match (precision, flops) {
                (Some(p), Some(f)) => {
                    if capacity_flops.insert(p, f).is_some() {
                        v.push(
                            format!("answers.capacity[{i}].precision"),
                            "precision reported twice",
                        );
                    }
                }
                _ => v.push(
                    format!("answers.capacity[{i}]"),
                    "a row needs a known precision and its capacity",
                ),
            }
        }
    }
    let bytes = |id: &str| match answers.get(id) {
        // Checked non-negative and finite by the questionnaire; `as` saturates beyond u64.
        Some(Answer::Decimal { value, .. }) => *value as u64,
        Some(Answer::Integer { value, .. }) => u64::try_from(*value).unwrap_or(0),
        _ => 0,
    };
    let decimal = |id: &str| match answers.get(id) {
        Some(Answer::Decimal { value, .. }) => *value,
        _ => 0.0,
    };
    let value = CentreReturn {
        centre_type: centre_type.unwrap_or(CentreType::General),
        province_code: respondent.province,
        capacity_flops,
        storage_capacity_bytes: bytes("storage_capacity_bytes"),
        storage_used_bytes: bytes("storage_used_bytes"),
        cloud_storage_bytes: bytes("cloud_storage_bytes"),
        average_utilisation: decimal("average_utilisation"),
        racks: u32::try_from(bytes("racks")).unwrap_or(u32::MAX),
        power_capacity_kw: decimal("power_capacity_kw"),
        questionnaire_version: questionnaire_ref,
        answers: Answers::default(),
    };
    let mut value = v.finish(value)?;
    value.answers = answers;
    Ok(value)
}

/// Every number a centre return reports, with its field and what it measures (for the
/// plausibility bounds). Capacities are named by their precision (`capacity[FP32].flops`): the
/// stored return keeps one capacity per precision, not the request's order.
pub fn centre_quantities(r: &CentreReturn) -> Vec<Reported> {
    let mut out: Vec<Reported> = r
        .capacity_flops
        .iter()
        .map(|(precision, flops)| {
            (
                Quantity::CentreFlops,
                format!("capacity[{}].flops", precision.label()),
                *flops,
            )
        })
        .collect();
    out.extend([
        (
            Quantity::CentreBytes,
            "storage_capacity_bytes".to_string(),
            r.storage_capacity_bytes as f64,
        ),
        (
            Quantity::CentreBytes,
            "storage_used_bytes".to_string(),
            r.storage_used_bytes as f64,
        ),
        (
            Quantity::CentreBytes,
            "cloud_storage_bytes".to_string(),
            r.cloud_storage_bytes as f64,
        ),
        (
            Quantity::CentreRacks,
            "racks".to_string(),
            f64::from(r.racks),
        ),
        (
            Quantity::CentrePowerKw,
            "power_capacity_kw".to_string(),
            r.power_capacity_kw,
        ),
    ]);
    out
}

impl StageReturn for CentreReturn {
    const KIND: &'static str = "compute_centre";
    /// Its edit rules are its questionnaire's constraints, checked before it is built.
    fn edit_findings(&self) -> Vec<EditFinding> {
        Vec::new()
    }
    fn quantities(&self) -> Vec<Reported> {
        centre_quantities(self)
    }
}

impl AnsweredReturn for CentreReturn {
    type Proto = pb::ComputeCentreReturn;
    fn typed_answers(
        message: pb::ComputeCentreReturn,
    ) -> ndrs_core::Result<(ReturnHeader, Respondent, TypedAnswers)> {
        typed_answers(message)
    }
    fn from_answers(
        respondent: Respondent,
        answers: Answers,
        questionnaire_ref: String,
    ) -> ndrs_core::Result<Self> {
        from_answers(respondent, answers, questionnaire_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A typed return checked as the service checks it, against the shipped questionnaire.
    fn checked(
        message: pb::ComputeCentreReturn,
    ) -> ndrs_core::Result<(CentreReturn, Vec<EditFinding>)> {
        static COMPILED: std::sync::LazyLock<ndrs_content::CompiledQuestionnaire> =
            std::sync::LazyLock::new(|| {
                let shipped =
                    ndrs_content::builtin::questionnaire(2023, CentreReturn::KIND).unwrap();
                ndrs_content::CompiledQuestionnaire::from_toml(shipped.text)
                    .unwrap_or_else(|e| panic!("{e:?}"))
            });
        ndrs_platform::stage::check_typed::<CentreReturn>(message, &COMPILED, "c2023")
            .map(|(_, r, f)| (r, f))
    }

    fn valid() -> pb::ComputeCentreReturn {
        pb::ComputeCentreReturn {
            header: Some(pb::ReturnHeader {
                cycle_year: 2023,
                reporting_unit_id: "cc-0001".into(),
                idempotency_key: "k1".into(),
                return_id: String::new(),
            }),
            centre_type: pb::CentreType::Intelligent as i32,
            province_code: "32".into(),
            capacity: vec![pb::PrecisionCapacity {
                precision: pb::Precision::Fp16 as i32,
                flops: 4.0e18,
            }],
            storage_capacity_bytes: 100,
            storage_used_bytes: 60,
            cloud_storage_bytes: 30,
            average_utilisation: 0.5,
            racks: 300,
            power_capacity_kw: 5000.0,
        }
    }

    fn fields(err: &ndrs_core::Error) -> Vec<&str> {
        err.field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect()
    }

    #[test]
    fn a_valid_return_converts_and_normalises() {
        let (r, findings) = checked(valid()).unwrap();
        assert_eq!(r.fp32_equivalent_flops(), 2.0e18);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(r.questionnaire_version, "c2023");
        assert_eq!(r.province_code, "32");
        assert_eq!(r.centre_type, CentreType::Intelligent);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = valid();
        bad.province_code = "99".into();
        let err = checked(bad).unwrap_err();
        assert_eq!(fields(&err), ["province_code"]);
        let mut bad = valid();
        bad.storage_used_bytes = 200;
        bad.average_utilisation = 1.2;
        bad.capacity[0].flops = f64::INFINITY;
        let err = checked(bad).unwrap_err();
        let named = fields(&err);
        for expected in [
            "storage_used_bytes",
            "average_utilisation",
            "capacity[0].flops",
        ] {
            assert!(
                named.contains(&expected),
                "{expected} missing from {named:?}"
            );
        }
    }

    #[test]
    fn a_precision_twice_or_no_capacity_is_refused() {
        let mut twice = valid();
        twice.capacity.push(twice.capacity[0]);
        let err = checked(twice).unwrap_err();
        assert_eq!(fields(&err), ["capacity"]);
        let mut none = valid();
        none.capacity.clear();
        let err = checked(none).unwrap_err();
        assert_eq!(fields(&err), ["capacity"]);
    }

    #[test]
    fn the_warnings_travel_in_the_receipt() {
        let mut idle = valid();
        idle.average_utilisation = 0.0;
        idle.racks = 0;
        let (_, findings) = checked(idle).unwrap();
        let rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, ["question.average_utilisation", "question.racks"]);
    }
}
