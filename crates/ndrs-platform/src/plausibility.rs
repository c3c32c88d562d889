//! Plausibility bounds per reported quantity: what no single return can credibly report.
//!
//! One reporter's typo (a device's yearly data of 1e300 bytes, a centre of 1e308 FLOPS) must not
//! turn a national figure into infinity and stop the cycle for everyone. Every quantity a return
//! reports has two bounds, configured under `[plausibility]` (defaults and their reasoning in
//! `config/default.toml`):
//! - beyond the **hard** bound the return is refused (`INVALID_ARGUMENT` naming the field);
//! - beyond the **soft** bound it is accepted with a warning finding in the receipt, for the
//!   reporter to confirm or correct.
//!
//! The same hard bounds screen what is already stored when a stage computes its result (a return
//! stored before a bound was tightened is set aside with its reason, not used): see
//! [`crate::stage::screen`].

use serde::Deserialize;

use crate::findings::{EditFinding, FindingSeverity};

/// A soft and a hard upper bound; every reported quantity is also finite and not negative.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    pub soft: f64,
    pub hard: f64,
}

/// What a reported number measures. Each has its own bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Installed units of one device type.
    DeviceUnits,
    /// Bytes one active device creates, captures, replicates or consumes in a year.
    BytesPerDevice,
    /// Bytes of one holder's storage medium (installed, used, added, overwritten).
    MediumBytes,
    /// FLOPS of one compute centre at one precision.
    CentreFlops,
    /// Bytes of one compute centre's storage.
    CentreBytes,
    /// Racks of one compute centre.
    CentreRacks,
    /// Power capacity of one compute centre, kW.
    CentrePowerKw,
    /// Bytes of one carrier's yearly traffic (or one category of it).
    CarrierTrafficBytes,
    /// Counts of one exchange's industry line (products, buyers, sellers).
    ExchangeCount,
    /// Yuan of one exchange's industry line.
    ExchangeYuan,
    /// Bytes one surveyed body stores, receives, sends or opens.
    RespondentBytes,
    /// Yuan one surveyed body invests or spends.
    RespondentYuan,
    /// Counts of the government data sharing hub (departments, resources, calls).
    HubCount,
}

/// The bounds of every quantity (`[plausibility]` in the configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plausibility {
    pub device_units: Bound,
    pub bytes_per_device: Bound,
    pub medium_bytes: Bound,
    pub centre_flops: Bound,
    pub centre_bytes: Bound,
    pub centre_racks: Bound,
    pub centre_power_kw: Bound,
    pub carrier_traffic_bytes: Bound,
    pub exchange_count: Bound,
    pub exchange_yuan: Bound,
    pub respondent_bytes: Bound,
    pub respondent_yuan: Bound,
    pub hub_count: Bound,
}

/// One reported number with the field it came in and what it measures.
pub type Reported = (Quantity, String, f64);

impl Plausibility {
    pub fn bound(&self, quantity: Quantity) -> Bound {
        use Quantity::*;
        match quantity {
            DeviceUnits => self.device_units,
            BytesPerDevice => self.bytes_per_device,
            MediumBytes => self.medium_bytes,
            CentreFlops => self.centre_flops,
            CentreBytes => self.centre_bytes,
            CentreRacks => self.centre_racks,
            CentrePowerKw => self.centre_power_kw,
            CarrierTrafficBytes => self.carrier_traffic_bytes,
            ExchangeCount => self.exchange_count,
            ExchangeYuan => self.exchange_yuan,
            RespondentBytes => self.respondent_bytes,
            RespondentYuan => self.respondent_yuan,
            HubCount => self.hub_count,
        }
    }

    /// Every bound, by its configuration key, for validation.
    fn all(&self) -> [(&'static str, Bound); 13] {
        [
            ("device_units", self.device_units),
            ("bytes_per_device", self.bytes_per_device),
            ("medium_bytes", self.medium_bytes),
            ("centre_flops", self.centre_flops),
            ("centre_bytes", self.centre_bytes),
            ("centre_racks", self.centre_racks),
            ("centre_power_kw", self.centre_power_kw),
            ("carrier_traffic_bytes", self.carrier_traffic_bytes),
            ("exchange_count", self.exchange_count),
            ("exchange_yuan", self.exchange_yuan),
            ("respondent_bytes", self.respondent_bytes),
            ("respondent_yuan", self.respondent_yuan),
            ("hub_count", self.hub_count),
        ]
    }

    /// Checks the configured bounds: finite, positive, soft not above hard. The error names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, b) in self.all() {
            if !(b.soft.is_finite() && b.hard.is_finite() && b.soft > 0.0 && b.soft <= b.hard) {
                return Err(format!(
                    "plausibility.{key}: soft and hard must be finite, positive and soft <= hard"
                ));
            }
        }
        Ok(())
    }

    /// Why a reported number is beyond belief (non-finite, negative or over its hard bound), if it is.
    pub fn breach(&self, quantity: Quantity, value: f64) -> Option<String> {
        let hard = self.bound(quantity).hard;
        if !value.is_finite() {
            Some("must be a finite number".into())
        } else if value < 0.0 {
            Some("must not be negative".into())
        } else if value > hard {
            Some(format!(
                "{value:e} is beyond the plausible maximum of {hard:e} for one return (plausibility bound)"
            ))
        } else {
            None
        }
    }

    /// Edit findings for a return's reported numbers: an error per hard breach (which refuses the
    /// return, naming the field), a warning per number above its soft bound.
    pub fn findings(&self, reported: &[Reported]) -> Vec<EditFinding> {
        let mut findings = Vec::new();
        for (quantity, field, value) in reported {
            if let Some(reason) = self.breach(*quantity, *value) {
                findings.push(EditFinding {
                    rule_id: "plausibility.hard_bound".into(),
                    severity: FindingSeverity::Error,
                    message: reason,
                    fields: vec![field.clone()],
                });
            } else if *value > self.bound(*quantity).soft {
                findings.push(EditFinding {
                    rule_id: "plausibility.soft_bound".into(),
                    severity: FindingSeverity::Warning,
                    message: format!(
                        "{value:e} is unusually large for one return (above {:e}); please confirm or correct it",
                        self.bound(*quantity).soft
                    ),
                    fields: vec![field.clone()],
                });
            }
        }
        findings
    }

    /// The first hard breach among a stored return's numbers: (field, reason).
    pub fn first_breach(&self, reported: &[Reported]) -> Option<(String, String)> {
        reported.iter().find_map(|(quantity, field, value)| {
            self.breach(*quantity, *value)
                .map(|reason| (field.clone(), reason))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Plausibility {
        crate::settings::Settings::defaults().plausibility
    }

    #[test]
    fn the_default_bounds_are_valid() {
        defaults().validate().unwrap();
    }

    #[test]
    fn hard_breaches_refuse_and_soft_ones_warn() {
        let p = defaults();
        let reported = vec![
            (Quantity::BytesPerDevice, "created".to_string(), 1e300),
            (Quantity::CentreFlops, "flops".to_string(), f64::INFINITY),
            (
                Quantity::DeviceUnits,
                "units".to_string(),
                p.device_units.soft * 2.0,
            ),
            (Quantity::DeviceUnits, "fine".to_string(), 1.0e6),
        ];
        let findings = p.findings(&reported);
        assert_eq!(findings.len(), 3);
        assert_eq!(findings[0].severity, FindingSeverity::Error);
        assert_eq!(findings[0].fields, ["created"]);
        assert_eq!(findings[1].severity, FindingSeverity::Error);
        assert_eq!(findings[2].severity, FindingSeverity::Warning);
        assert_eq!(
            p.first_breach(&reported).map(|(f, _)| f),
            Some("created".to_string())
        );
    }

    #[test]
    fn soft_above_hard_is_refused_naming_the_key() {
        let mut p = defaults();
        p.centre_flops.soft = p.centre_flops.hard * 10.0;
        assert!(
            p.validate()
                .unwrap_err()
                .contains("plausibility.centre_flops")
        );
    }
}
