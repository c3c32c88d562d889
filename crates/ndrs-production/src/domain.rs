//! Parameter returns of the full-volume model, validated. Every value carries its stated
//! uncertainty so the model can propagate it.

use ndrs_core::Violations;
use ndrs_platform::plausibility::{Quantity, Reported};
use ndrs_platform::returns::{EditFinding, FindingSeverity, ReturnHeader};
use ndrs_platform::stage::check_identifier;
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// The report's table 2.2 categories of data sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceCategory {
    DailyLife,
    Transport,
    IotSensing,
    Manufacturing,
    StorageCompute,
    Software,
}

impl SourceCategory {
    pub const ALL: [SourceCategory; 6] = [
        SourceCategory::DailyLife,
        SourceCategory::Transport,
        SourceCategory::IotSensing,
        SourceCategory::Manufacturing,
        SourceCategory::StorageCompute,
        SourceCategory::Software,
    ];

    pub fn from_proto(value: i32) -> Option<Self> {
        use pb::DataSourceCategory as C;
        Some(match C::try_from(value).ok()? {
            C::DailyLife => SourceCategory::DailyLife,
            C::Transport => SourceCategory::Transport,
            C::IotSensing => SourceCategory::IotSensing,
            C::Manufacturing => SourceCategory::Manufacturing,
            C::StorageCompute => SourceCategory::StorageCompute,
            C::Software => SourceCategory::Software,
            C::Unspecified => return None,
        })
    }

    pub fn to_proto(self) -> pb::DataSourceCategory {
        use pb::DataSourceCategory as C;
        match self {
            SourceCategory::DailyLife => C::DailyLife,
            SourceCategory::Transport => C::Transport,
            SourceCategory::IotSensing => C::IotSensing,
            SourceCategory::Manufacturing => C::Manufacturing,
            SourceCategory::StorageCompute => C::StorageCompute,
            SourceCategory::Software => C::Software,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            SourceCategory::DailyLife => "daily_life",
            SourceCategory::Transport => "transport",
            SourceCategory::IotSensing => "iot_sensing",
            SourceCategory::Manufacturing => "manufacturing",
            SourceCategory::StorageCompute => "storage_compute",
            SourceCategory::Software => "software",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Hdd,
    Ssd,
    Tape,
    Optical,
    TerminalFlash,
    Cloud,
}

impl Medium {
    fn from_proto(value: i32) -> Option<Self> {
        use pb::StorageMedium as M;
        Some(match M::try_from(value).ok()? {
            M::Hdd => Medium::Hdd,
            M::Ssd => Medium::Ssd,
            M::Tape => Medium::Tape,
            M::Optical => Medium::Optical,
            M::TerminalFlash => Medium::TerminalFlash,
            M::Cloud => Medium::Cloud,
            M::Unspecified => return None,
        })
    }

    /// The medium's code in parameter names.
    pub fn code(self) -> &'static str {
        match self {
            Medium::Hdd => "hdd",
            Medium::Ssd => "ssd",
            Medium::Tape => "tape",
            Medium::Optical => "optical",
            Medium::TerminalFlash => "terminal_flash",
            Medium::Cloud => "cloud",
        }
    }
}

/// Stated uncertainty of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Uncertainty {
    Exact,
    Range { low: f64, high: f64 },
    Normal { standard_deviation: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub value: f64,
    pub uncertainty: Uncertainty,
}

/// Who holds the storage a medium return describes.
pub const HOLDERS: [&str; 4] = ["compute_centre", "government", "enterprise", "personal"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceParameters {
    pub category: SourceCategory,
    pub device_type: String,
    pub installed_base: Parameter,
    pub active_share: Parameter,
    pub created_bytes: Parameter,
    pub captured_bytes: Parameter,
    pub replicated_bytes: Parameter,
    pub consumed_bytes: Parameter,
    pub source: String,
    pub vintage: i32,
    /// Share of the active units operated by public bodies, when the source reports the split
    /// (returns stored before the field existed read as not reporting it).
    #[serde(default)]
    pub public_share: Option<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageMediumFigures {
    pub medium: Medium,
    pub holder: String,
    pub installed_capacity_bytes: Parameter,
    pub used_bytes: Parameter,
    pub newly_added_bytes: Parameter,
    pub overwritten_bytes: Parameter,
    pub source: String,
    pub vintage: i32,
}

/// Converts a parameter; `bounds` limits the value and its range (e.g. [0, 1] for shares).
/// What a parameter measures, which decides its bounds and the units it may be reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    /// A data volume: non-negative, reported in bytes or a byte unit.
    Bytes,
    /// A number of units: non-negative, no unit.
    Count,
    /// A share in [0, 1], no unit.
    Share,
}

/// Converts a parameter to canonical units (bytes, counts, shares) and checks it; every problem is
/// recorded under the parameter's field path.
fn parameter(
    field: &str,
    p: Option<pb::Parameter>,
    measure: Measure,
    v: &mut Violations,
) -> Parameter {
    let Some(pb::Parameter {
        value,
        uncertainty,
        unit,
    }) = p
    else {
        v.push(field, "is required");
        return Parameter {
            value: 0.0,
            uncertainty: Uncertainty::Exact,
        };
    };
    let factor = match (measure, unit.as_str()) {
        (_, "") => 1.0,
        (Measure::Bytes, unit) => match ndrs_core::units::parse_bytes(1.0, unit) {
            Ok(f) => f,
            Err(e) => {
                let why = e
                    .field_violations()
                    .first()
                    .map_or_else(|| e.to_string(), |f| f.description.clone());
                v.push(format!("{field}.unit"), why);
                1.0
            }
        },
        (_, _) => {
            v.push(format!("{field}.unit"), "counts and shares take no unit");
            1.0
        }
    };
    let (lo, hi) = match measure {
        Measure::Share => (0.0, 1.0),
        Measure::Bytes | Measure::Count => (0.0, f64::MAX),
    };
    let value = value * factor;
    let in_bounds = |x: f64| x.is_finite() && x >= lo && x <= hi;
    if !in_bounds(value) {
        v.push(
            format!("{field}.value"),
            format!("must be a finite number in [{lo}, {hi}]"),
        );
    }
    let uncertainty = match uncertainty {
        None => Uncertainty::Exact,
        Some(pb::parameter::Uncertainty::Range(pb::Range { low, high })) => {
            let (low, high) = (low * factor, high * factor);
            if !(in_bounds(low) && in_bounds(high) && low <= value && value <= high) {
                v.push(
                    format!("{field}.range"),
                    format!("must satisfy {lo} <= low <= value <= high <= {hi}"),
                );
            }
            Uncertainty::Range { low, high }
        }
        Some(pb::parameter::Uncertainty::StandardDeviation(sd)) => {
            let sd = sd * factor;
            v.non_negative(format!("{field}.standard_deviation"), sd);
            Uncertainty::Normal {
                standard_deviation: sd,
            }
        }
    };
    Parameter { value, uncertainty }
}

fn check_source(source: &str, vintage: i32, cycle_year: i32, v: &mut Violations) {
    v.check(
        !source.trim().is_empty(),
        "source",
        "name the publication or data set the figures come from",
    );
    v.check(
        source.len() <= 512,
        "source",
        "must be at most 512 characters",
    );
    // The cycle year is the client's too: checked arithmetic, so i32::MAX cannot wrap.
    let latest = cycle_year.saturating_add(1);
    v.check(
        (1990..=latest).contains(&vintage),
        "vintage",
        format!("must be a year between 1990 and {latest}"),
    );
}

pub fn device_parameters_from_proto(
    request: pb::DeviceParameterReturn,
) -> ndrs_core::Result<(ReturnHeader, DeviceParameters)> {
    let pb::DeviceParameterReturn {
        header,
        category,
        device_type,
        installed_base,
        active_share,
        data_per_active_unit,
        source,
        vintage,
        public_share,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let category = SourceCategory::from_proto(category);
    v.check(
        category.is_some(),
        "category",
        "unknown data source category",
    );
    check_identifier("device_type", &device_type, &mut v);
    let installed_base = parameter("installed_base", installed_base, Measure::Count, &mut v);
    let active_share = parameter("active_share", active_share, Measure::Share, &mut v);
    let pb::DataPerUnit {
        created_bytes,
        captured_bytes,
        replicated_bytes,
        consumed_bytes,
    } = data_per_active_unit.unwrap_or_else(|| {
        v.push("data_per_active_unit", "is required");
        pb::DataPerUnit::default()
    });
    let value = DeviceParameters {
        category: category.unwrap_or(SourceCategory::DailyLife),
        device_type,
        installed_base,
        active_share,
        created_bytes: parameter(
            "data_per_active_unit.created_bytes",
            created_bytes,
            Measure::Bytes,
            &mut v,
        ),
        captured_bytes: parameter(
            "data_per_active_unit.captured_bytes",
            captured_bytes,
            Measure::Bytes,
            &mut v,
        ),
        replicated_bytes: parameter(
            "data_per_active_unit.replicated_bytes",
            replicated_bytes,
            Measure::Bytes,
            &mut v,
        ),
        consumed_bytes: parameter(
            "data_per_active_unit.consumed_bytes",
            consumed_bytes,
            Measure::Bytes,
            &mut v,
        ),
        source,
        vintage,
        public_share: public_share
            .map(|p| parameter("public_share", Some(p), Measure::Share, &mut v)),
    };
    check_source(&value.source, vintage, header.cycle_year, &mut v);
    v.finish((header, value))
}

pub fn storage_medium_from_proto(
    request: pb::StorageMediumReturn,
) -> ndrs_core::Result<(ReturnHeader, StorageMediumFigures)> {
    let pb::StorageMediumReturn {
        header,
        medium,
        holder,
        installed_capacity_bytes,
        used_bytes,
        newly_added_bytes,
        overwritten_bytes,
        source,
        vintage,
    } = request;
    let mut v = Violations::new();
    let header = ndrs_platform::stage::header_from_proto(header, &mut v);
    let medium = Medium::from_proto(medium);
    v.check(medium.is_some(), "medium", "unknown storage medium");
    v.check(
        HOLDERS.contains(&holder.as_str()),
        "holder",
        format!("must be one of {}", HOLDERS.join(", ")),
    );
    let value = StorageMediumFigures {
        medium: medium.unwrap_or(Medium::Hdd),
        holder,
        installed_capacity_bytes: parameter(
            "installed_capacity_bytes",
            installed_capacity_bytes,
            Measure::Bytes,
            &mut v,
        ),
        used_bytes: parameter("used_bytes", used_bytes, Measure::Bytes, &mut v),
        newly_added_bytes: parameter(
            "newly_added_bytes",
            newly_added_bytes,
            Measure::Bytes,
            &mut v,
        ),
        overwritten_bytes: parameter(
            "overwritten_bytes",
            overwritten_bytes,
            Measure::Bytes,
            &mut v,
        ),
        source,
        vintage,
    };
    // Impossible at the central values: more stored than the space that holds it.
    v.check(
        value.used_bytes.value <= value.installed_capacity_bytes.value,
        "used_bytes",
        "stored data cannot exceed installed capacity",
    );
    check_source(&value.source, vintage, header.cycle_year, &mut v);
    v.finish((header, value))
}

/// Every number a device return reports, with its field and what it measures (for the
/// plausibility bounds). Ranges and standard deviations are bounded like the value they qualify.
pub fn device_quantities(d: &DeviceParameters) -> Vec<Reported> {
    let mut out = parameter_quantities("installed_base", &d.installed_base, Quantity::DeviceUnits);
    for (field, p) in [
        ("data_per_active_unit.created_bytes", &d.created_bytes),
        ("data_per_active_unit.captured_bytes", &d.captured_bytes),
        ("data_per_active_unit.replicated_bytes", &d.replicated_bytes),
        ("data_per_active_unit.consumed_bytes", &d.consumed_bytes),
    ] {
        out.extend(parameter_quantities(field, p, Quantity::BytesPerDevice));
    }
    out
}

/// Every number a storage medium return reports (see [`device_quantities`]).
pub fn medium_quantities(m: &StorageMediumFigures) -> Vec<Reported> {
    [
        ("installed_capacity_bytes", &m.installed_capacity_bytes),
        ("used_bytes", &m.used_bytes),
        ("newly_added_bytes", &m.newly_added_bytes),
        ("overwritten_bytes", &m.overwritten_bytes),
    ]
    .into_iter()
    .flat_map(|(field, p)| parameter_quantities(field, p, Quantity::MediumBytes))
    .collect()
}

fn parameter_quantities(field: &str, p: &Parameter, quantity: Quantity) -> Vec<Reported> {
    let mut out = vec![(quantity, format!("{field}.value"), p.value)];
    match p.uncertainty {
        Uncertainty::Exact => {}
        Uncertainty::Range { high, .. } => out.push((quantity, format!("{field}.range"), high)),
        Uncertainty::Normal { standard_deviation } => out.push((
            quantity,
            format!("{field}.standard_deviation"),
            standard_deviation,
        )),
    }
    out
}

pub fn device_findings(d: &DeviceParameters) -> Vec<EditFinding> {
    let mut findings = Vec::new();
    if d.active_share.value == 0.0 {
        findings.push(EditFinding {
            rule_id: "production.no_active_units".into(),
            severity: FindingSeverity::Warning,
            message: "active share is zero: the device type contributes no data".into(),
            fields: vec!["active_share.value".into()],
        });
    }
    findings
}

pub fn medium_findings(m: &StorageMediumFigures) -> Vec<EditFinding> {
    let mut findings = Vec::new();
    if m.newly_added_bytes.value > m.used_bytes.value {
        findings.push(EditFinding {
            rule_id: "storage.new_exceeds_stock".into(),
            severity: FindingSeverity::Warning,
            message: "newly added data exceeds the data stored at year end".into(),
            fields: vec!["newly_added_bytes.value".into(), "used_bytes.value".into()],
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndrs_testkit::sample;

    fn with_unit(value: f64, unit: &str) -> Option<pb::Parameter> {
        Some(pb::Parameter {
            value,
            uncertainty: Some(pb::parameter::Uncertainty::Range(pb::Range {
                low: value * 0.5,
                high: value * 2.0,
            })),
            unit: unit.into(),
        })
    }

    /// A value without a stated uncertainty or unit.
    fn plain(value: f64) -> Option<pb::Parameter> {
        Some(pb::Parameter {
            value,
            uncertainty: None,
            unit: String::new(),
        })
    }

    /// An enterprise's return for `medium`: 1e21 bytes installed, 1e20 used.
    fn enterprise(medium: pb::StorageMedium) -> pb::StorageMediumReturn {
        sample::medium("v", "k", medium, "enterprise", [1.0e21, 1.0e20, 0.0, 0.0])
    }

    /// The fields an error names, in order.
    fn fields(err: &ndrs_core::Error) -> Vec<&str> {
        err.field_violations()
            .iter()
            .map(|f| f.field.as_str())
            .collect()
    }

    #[test]
    fn decimal_and_binary_byte_units_are_converted() {
        let mut m = enterprise(pb::StorageMedium::Hdd);
        m.installed_capacity_bytes = with_unit(2.0, "ZB");
        m.used_bytes = with_unit(1.0, "ZiB");
        let (_, parsed) = storage_medium_from_proto(m).unwrap();
        assert_eq!(parsed.installed_capacity_bytes.value, 2.0e21);
        assert_eq!(parsed.used_bytes.value, 2f64.powi(70));
        assert_eq!(
            parsed.used_bytes.uncertainty,
            Uncertainty::Range {
                low: 0.5 * 2f64.powi(70),
                high: 2.0 * 2f64.powi(70)
            }
        );
    }

    #[test]
    fn a_unit_of_the_wrong_dimension_is_refused() {
        let mut m = enterprise(pb::StorageMedium::Ssd);
        m.used_bytes = with_unit(1.0, "PFLOPS");
        let err = storage_medium_from_proto(m).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "used_bytes.unit");
        let mut d = sample::smartphones("v", "k", 1.0e9, "s");
        d.active_share = with_unit(0.4, "GB");
        let err = device_parameters_from_proto(d).unwrap_err();
        assert_eq!(err.field_violations()[0].field, "active_share.unit");
    }

    #[test]
    fn bad_parameters_name_their_fields() {
        let mut d = sample::smartphones("v", "k", 1.0e9, "s");
        d.installed_base = plain(-5.0);
        d.active_share = plain(1.2);
        d.data_per_active_unit.as_mut().unwrap().created_bytes = plain(f64::NAN);
        d.public_share = plain(1.5);
        let err = device_parameters_from_proto(d).unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "installed_base.value",
                "active_share.value",
                "data_per_active_unit.created_bytes.value",
                "public_share.value"
            ]
        );
    }

    #[test]
    fn the_largest_cycle_year_is_refused_without_overflow() {
        for year in [i32::MAX, i32::MIN] {
            let mut d = sample::smartphones("v", "k", 1.0e9, "s");
            d.header.as_mut().unwrap().cycle_year = year;
            let err = device_parameters_from_proto(d).unwrap_err();
            let named = fields(&err);
            assert!(named.contains(&"header.cycle_year"), "{named:?}");
        }
    }
}
