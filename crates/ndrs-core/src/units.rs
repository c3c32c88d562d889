//! Units that figures are computed and stored in, and the conversions at the edges.
//!
//! The system computes in base units only (bytes, FLOPS, plain ratios) so that no figure is ever
//! silently rescaled twice; presentation units such as ZB, ZFLOPS and percent are applied when a
//! figure leaves the system ([`present`]), and reported values in other units are converted once
//! when they enter it ([`parse_bytes`], [`parse_flops`]). Whether a zettabyte is 10^21 or 2^70
//! bytes is a setting ([`ZettabyteBase`]) that is printed with every figure, because the two differ
//! by 18% and the report's figures are decimal.

use serde::{Deserialize, Serialize};

use crate::error::Error;

code_list! {
    /// Unit of a figure. Mirrors `ndrs.v1.Unit`.
    pub enum Unit {
        Bytes = 1 => "bytes", "字节", "Bytes";
        /// Floating-point operations per second, at the precision the capacity was measured at.
        Flops = 2 => "flops", "每秒浮点运算次数", "FLOPS";
        Count = 3 => "count", "个数", "Count";
        /// A share in [0, 1]; never stored as a percentage.
        Ratio = 4 => "ratio", "比率", "Ratio";
        /// A multiple, e.g. buyers per seller.
        Times = 5 => "times", "倍数", "Times";
        Yuan = 6 => "yuan", "元", "Yuan";
        BytesPerYear = 7 => "bytes_per_year", "字节/年", "Bytes per year";
        /// Electrical power, e.g. a compute centre's power capacity.
        Kilowatts = 8 => "kilowatts", "千瓦", "Kilowatts";
    }
}

code_list! {
    /// Physical dimension of a unit. Comparing or adding figures is only meaningful within one
    /// dimension; validation rules check this instead of trusting that two numbers line up.
    pub enum Dimension {
        Volume = "volume", "数据量", "Data volume";
        Compute = "compute", "算力", "Compute";
        Count = "count", "数量", "Count";
        /// Ratios and multiples: both are pure numbers and may be compared with each other.
        Dimensionless = "dimensionless", "无量纲", "Dimensionless";
        Money = "money", "金额", "Money";
        /// Data volume per unit of time, e.g. annual production or traffic.
        VolumeRate = "volume_rate", "数据量速率", "Data volume rate";
        Power = "power", "功率", "Power";
    }
}

impl Unit {
    pub const fn dimension(self) -> Dimension {
        match self {
            Unit::Bytes => Dimension::Volume,
            Unit::Flops => Dimension::Compute,
            Unit::Count => Dimension::Count,
            Unit::Ratio | Unit::Times => Dimension::Dimensionless,
            Unit::Yuan => Dimension::Money,
            Unit::BytesPerYear => Dimension::VolumeRate,
            Unit::Kilowatts => Dimension::Power,
        }
    }
}

/// Which zettabyte to present volumes in.
///
/// Decimal is the default because the survey report and most industry sources (IDC and the like)
/// state volumes in SI units; binary exists for comparison with sources that use IEC units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ZettabyteBase {
    /// 1 ZB = 10^21 bytes.
    #[default]
    Decimal,
    /// 1 ZiB = 2^70 bytes.
    Binary,
}

const ZB_DECIMAL: f64 = 1e21;
const ZIB_BINARY: f64 = (1u128 << 70) as f64;

impl ZettabyteBase {
    pub const fn bytes_per_zb(self) -> f64 {
        match self {
            ZettabyteBase::Decimal => ZB_DECIMAL,
            ZettabyteBase::Binary => ZIB_BINARY,
        }
    }

    /// Unit symbol alone, `ZB` or `ZiB`.
    pub const fn symbol(self) -> &'static str {
        match self {
            ZettabyteBase::Decimal => "ZB",
            ZettabyteBase::Binary => "ZiB",
        }
    }

    /// Symbol with its definition, so that a printed figure cannot be misread in the other base.
    pub const fn label(self) -> &'static str {
        match self {
            ZettabyteBase::Decimal => "ZB (10^21 bytes)",
            ZettabyteBase::Binary => "ZiB (2^70 bytes)",
        }
    }

    const fn definition(self) -> &'static str {
        match self {
            ZettabyteBase::Decimal => "10^21 bytes",
            ZettabyteBase::Binary => "2^70 bytes",
        }
    }
}

/// A figure converted to its presentation unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Presented {
    pub value: f64,
    pub unit_label: String,
}

/// Converts a figure from its computation unit to the unit the report presents it in.
///
/// Compute is always presented in decimal ZFLOPS (10^21 FLOPS) whatever `base` says: FLOPS
/// prefixes are SI prefixes by definition and there is no binary FLOPS, so `base` only affects
/// volumes.
pub fn present(value: f64, unit: Unit, base: ZettabyteBase) -> Presented {
    let (value, unit_label) = match unit {
        Unit::Bytes => (value / base.bytes_per_zb(), base.label().to_owned()),
        Unit::BytesPerYear => (
            value / base.bytes_per_zb(),
            format!("{}/year ({})", base.symbol(), base.definition()),
        ),
        Unit::Flops => (value / ZB_DECIMAL, "ZFLOPS".to_owned()),
        Unit::Ratio => (value * 100.0, "%".to_owned()),
        Unit::Times => (value, "x".to_owned()),
        Unit::Count => (value, "count".to_owned()),
        Unit::Yuan => (value, "yuan".to_owned()),
        Unit::Kilowatts => (value, "kW".to_owned()),
    };
    Presented { value, unit_label }
}

const SI: [f64; 8] = [1.0, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 1e21];

const BYTE_UNITS: [(&str, f64); 15] = [
    ("B", 1.0),
    ("KB", SI[1]),
    ("MB", SI[2]),
    ("GB", SI[3]),
    ("TB", SI[4]),
    ("PB", SI[5]),
    ("EB", SI[6]),
    ("ZB", SI[7]),
    ("KiB", (1u128 << 10) as f64),
    ("MiB", (1u128 << 20) as f64),
    ("GiB", (1u128 << 30) as f64),
    ("TiB", (1u128 << 40) as f64),
    ("PiB", (1u128 << 50) as f64),
    ("EiB", (1u128 << 60) as f64),
    ("ZiB", (1u128 << 70) as f64),
];

const FLOPS_UNITS: [(&str, f64); 8] = [
    ("FLOPS", SI[0]),
    ("KFLOPS", SI[1]),
    ("MFLOPS", SI[2]),
    ("GFLOPS", SI[3]),
    ("TFLOPS", SI[4]),
    ("PFLOPS", SI[5]),
    ("EFLOPS", SI[6]),
    ("ZFLOPS", SI[7]),
];

/// The accepted input units of one dimension.
struct Scale {
    units: &'static [(&'static str, f64)],
    /// What the dimension is called in error messages.
    what: &'static str,
    /// The unit values are converted to.
    base_unit: &'static str,
}

const VOLUME: Scale = Scale {
    units: &BYTE_UNITS,
    what: "data volume",
    base_unit: "bytes",
};

const COMPUTE: Scale = Scale {
    units: &FLOPS_UNITS,
    what: "compute",
    base_unit: "FLOPS",
};

impl Scale {
    fn factor(&self, unit: &str) -> Option<f64> {
        self.units.iter().find(|(u, _)| *u == unit).map(|(_, f)| *f)
    }

    /// Scales `value` to the base unit, or explains why it cannot; `other` is the dimension a
    /// caller most plausibly confused this one with, so that mistake gets a precise message.
    fn parse(&self, value: f64, unit: &str, other: &Scale) -> Result<f64, Error> {
        let unit = unit.trim();
        let Some(factor) = self.factor(unit) else {
            let expected = self
                .units
                .iter()
                .map(|(u, _)| *u)
                .collect::<Vec<_>>()
                .join(", ");
            let description = if other.factor(unit).is_some() {
                format!(
                    "wrong dimension: `{unit}` is a {} unit, expected a {} unit ({expected})",
                    other.what, self.what
                )
            } else {
                format!(
                    "unknown {} unit `{unit}`, expected one of {expected}",
                    self.what
                )
            };
            return Err(Error::invalid("unit", description));
        };
        if !value.is_finite() {
            return Err(Error::invalid("value", "must be a finite number"));
        }
        let scaled = value * factor;
        if !scaled.is_finite() {
            return Err(Error::invalid(
                "value",
                format!("{value} {unit} is too large to hold in {}", self.base_unit),
            ));
        }
        Ok(scaled)
    }
}

/// Converts a reported volume to bytes.
///
/// Symbols are case-sensitive (`b` would be a bit, `kB` is not accepted as a spelling of `KB`):
/// a unit that is not recognised exactly is refused rather than guessed. Decimal symbols are
/// powers of 1000, IEC symbols (`KiB`..`ZiB`) powers of 1024. The sign of `value` is not checked;
/// that is a rule of the quantity, not of the unit.
pub fn parse_bytes(value: f64, unit: &str) -> Result<f64, Error> {
    VOLUME.parse(value, unit, &COMPUTE)
}

/// Converts a reported compute capacity to FLOPS. Prefixes are decimal only (see [`present`]).
pub fn parse_flops(value: f64, unit: &str) -> Result<f64, Error> {
    COMPUTE.parse(value, unit, &VOLUME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[test]
    fn unit_mirrors_protobuf_numbers() {
        for (i, u) in Unit::ALL.iter().enumerate() {
            assert_eq!(u.as_i32(), i as i32 + 1);
            assert_eq!(Unit::from_i32(u.as_i32()), Some(*u));
        }
        assert_eq!(Unit::from_i32(0), None);
        assert_eq!(Unit::from_code("bytes_per_year"), Some(Unit::BytesPerYear));
        assert_eq!(Unit::Ratio.dimension(), Unit::Times.dimension());
        assert_ne!(Unit::Bytes.dimension(), Unit::Flops.dimension());
        assert_ne!(Unit::Bytes.dimension(), Unit::BytesPerYear.dimension());
    }

    #[test]
    fn decimal_and_binary_zettabytes_differ() {
        assert_eq!(ZettabyteBase::default(), ZettabyteBase::Decimal);
        assert_eq!(ZettabyteBase::Decimal.bytes_per_zb(), 1e21);
        assert_eq!(
            ZettabyteBase::Binary.bytes_per_zb(),
            1_180_591_620_717_411_303_424.0
        );
        let bytes = 32.85e21;
        let dec = present(bytes, Unit::Bytes, ZettabyteBase::Decimal);
        assert!(close(dec.value, 32.85));
        assert_eq!(dec.unit_label, "ZB (10^21 bytes)");
        let bin = present(bytes, Unit::Bytes, ZettabyteBase::Binary);
        assert!((bin.value - 27.825).abs() < 1e-3, "{}", bin.value);
        assert_eq!(bin.unit_label, "ZiB (2^70 bytes)");
        assert_eq!(
            present(bytes, Unit::BytesPerYear, ZettabyteBase::Decimal).unit_label,
            "ZB/year (10^21 bytes)"
        );
        assert_eq!(parse_bytes(1.0, "ZiB").unwrap(), ZIB_BINARY);
        assert_eq!(parse_bytes(1.0, "ZB").unwrap(), 1e21);
        assert_eq!(parse_bytes(2.0, "KiB").unwrap(), 2048.0);
        assert_eq!(parse_bytes(2.0, " KB ").unwrap(), 2000.0);
    }

    #[test]
    fn zettabyte_base_deserialises_lowercase() {
        let b: ZettabyteBase = serde_json::from_str("\"binary\"").unwrap();
        assert_eq!(b, ZettabyteBase::Binary);
        let d: ZettabyteBase = serde_json::from_str("\"decimal\"").unwrap();
        assert_eq!(d, ZettabyteBase::Decimal);
        assert!(serde_json::from_str::<ZettabyteBase>("\"Binary\"").is_err());
    }

    #[test]
    fn presentation_of_other_units() {
        let base = ZettabyteBase::Binary;
        let c = present(0.23e21, Unit::Flops, base);
        assert!(close(c.value, 0.23));
        assert_eq!(c.unit_label, "ZFLOPS");
        let r = present(0.179, Unit::Ratio, base);
        assert!(close(r.value, 17.9));
        assert_eq!(r.unit_label, "%");
        assert_eq!(present(249.0, Unit::Times, base).unit_label, "x");
        assert_eq!(present(2200.0, Unit::Count, base).value, 2200.0);
    }

    #[test]
    fn wrong_dimension_is_rejected() {
        let err = parse_bytes(3.0, "PFLOPS").unwrap_err();
        let v = &err.field_violations()[0];
        assert_eq!(v.field, "unit");
        assert!(v.description.contains("wrong dimension"), "{err}");
        let err = parse_flops(3.0, "PB").unwrap_err();
        assert!(err.to_string().contains("wrong dimension"), "{err}");
        assert!(parse_flops(1.0, "PiFLOPS").is_err());
        assert!(
            parse_flops(1.0, "PiB")
                .unwrap_err()
                .to_string()
                .contains("wrong dimension")
        );
    }

    #[test]
    fn unknown_units_and_bad_values_are_rejected() {
        let err = parse_bytes(1.0, "kb").unwrap_err();
        assert!(
            err.to_string().contains("unknown data volume unit `kb`"),
            "{err}"
        );
        assert!(parse_bytes(1.0, "").is_err());
        assert_eq!(parse_flops(2.0, "PFLOPS").unwrap(), 2e15);
        assert_eq!(
            parse_bytes(f64::NAN, "B").unwrap_err().field_violations()[0].field,
            "value"
        );
        assert!(parse_bytes(1e300, "ZB").is_err());
    }

    proptest! {
        #[test]
        fn parse_then_present_round_trips(v in 0.0f64..1e6, binary in any::<bool>()) {
            let base = if binary { ZettabyteBase::Binary } else { ZettabyteBase::Decimal };
            let bytes = parse_bytes(v, base.symbol()).unwrap();
            let shown = present(bytes, Unit::Bytes, base);
            prop_assert!(close(shown.value, v) || v == 0.0 && shown.value == 0.0);
        }
    }
}
