//! The demo dataset: deterministic, seeded synthetic returns of every reporting unit of the 2023
//! sample (`reference/sample-2023.csv`) for cycles 2022 and 2023, plus the documents the organiser
//! loads (compute centre registers, application sample designs) and the model runs it asks for.
//!
//! The dataset is microdata only: returns, registers and designs as the proto requests that
//! reporting units and the organiser send. The figures come from the services. The generator is
//! calibrated so that the pipeline over it reproduces `reference/report-2023-indicators.csv`
//! (see `docs/demo-data.md` for the model, the calibration of each indicator and non-response);
//! to calibrate, it reads the published figures and runs replicas of the published methods
//! (census imputation, survey weighting) over its own microdata. The services never read them.
//!
//! [`DemoOptions::plant_inconsistencies`] plants known inconsistencies for validation tests
//! (the default plants nothing): compute centres that together hold more than the national data
//! stock, enterprises reporting purchases three times the exchanges' turnover, and a vendor's
//! smartphone installed base 60% above the association's.
//!
//! ```
//! use ndrs_demo::demo_data::{DemoOptions, generate};
//! let data = generate(7, &DemoOptions::default());
//! let c2023 = data.cycle(2023);
//! assert_eq!(c2023.centre_register.centres.len(), 2200);
//! assert!(c2023.submissions().iter().all(|s| !s.reporting_unit_id().is_empty()));
//! ```

mod application;
mod calib;
mod circulation;
mod compute;
mod production;
mod rng;
pub mod targets;

use ndrs_proto::v1 as pb;

pub use circulation::TRAFFIC_SCALE;
pub use compute::CENTRE_SHARE_OF_STOCK;

/// The cycles the dataset covers: 2023, and 2022 for the growth figures.
pub const CYCLES: [i32; 2] = [2022, 2023];

/// Draws of the model runs the dataset asks for: enough for stable p5/p95, and quick in debug
/// builds (the central values, which are the published figures, do not depend on draws).
pub const MODEL_DRAWS: u32 = 4_000;

#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Plant known inconsistencies for validation tests (see the module documentation). The
    /// planted dataset no longer reproduces the report where a planted value feeds a figure.
    pub plant_inconsistencies: bool,
    /// Fraction of the sample's compute centres, data service providers and key industry
    /// enterprises to generate (1.0: the full sample). Government bodies, research institutions,
    /// central SOEs, associations, carriers and exchanges are always complete. A scaled dataset is
    /// calibrated the same way and reproduces every figure except the count of centres (C01),
    /// which is the scaled register's size.
    pub scale: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            plant_inconsistencies: false,
            scale: 1.0,
        }
    }
}

impl DemoOptions {
    /// Units of a subject type with `full` units in the sample, at this scale (at least `min`).
    pub fn scaled(&self, full: usize, min: usize) -> usize {
        if self.scale >= 1.0 {
            return full;
        }
        ((full as f64 * self.scale).round() as usize).clamp(min.min(full), full)
    }
}

/// Everything one cycle needs, ready to send.
#[derive(Debug, Clone)]
pub struct CycleData {
    pub year: i32,
    /// Organiser: the compute census frame.
    pub centre_register: pb::LoadCentreRegistryRequest,
    /// Organiser: the application survey's sample design.
    pub sample_design: pb::LoadSampleDesignRequest,
    /// Organiser: the full-volume model run over the cycle's parameter returns.
    pub model_run: pb::RunModelRequest,
    pub device_parameters: Vec<pb::DeviceParameterReturn>,
    pub storage_media: Vec<pb::StorageMediumReturn>,
    pub centre_returns: Vec<pb::ComputeCentreReturn>,
    pub carrier_returns: Vec<pb::CarrierReturn>,
    pub exchange_returns: Vec<pb::ExchangeReturn>,
    pub questionnaires: Vec<pb::ApplicationReturn>,
    /// The government data sharing hub's administrative return (A01-A03).
    pub sharing_hub: pb::SharingHubReturn,
}

/// The whole dataset.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub seed: u64,
    pub options: DemoOptions,
    /// One entry per year of [`CYCLES`], in that order.
    pub cycles: Vec<CycleData>,
}

impl DemoData {
    pub fn cycle(&self, year: i32) -> &CycleData {
        self.cycles
            .iter()
            .find(|c| c.year == year)
            .unwrap_or_else(|| panic!("the demo dataset has no cycle {year}"))
    }
}

/// One return as a reporting unit sends it: the client library's return, so the demo submits
/// exactly as `ndrs submit` does.
pub use ndrs_client::returns::Return as Submission;

impl CycleData {
    /// Every return of the cycle, each to be sent with its own unit's token.
    pub fn submissions(&self) -> Vec<Submission> {
        /// Each of `returns`, as the submission of kind `kind`.
        fn each<T: Clone>(returns: &[T], kind: fn(T) -> Submission) -> Vec<Submission> {
            returns.iter().cloned().map(kind).collect()
        }
        let mut out = Vec::new();
        out.extend(each(&self.device_parameters, Submission::DeviceParameters));
        out.extend(each(&self.storage_media, Submission::StorageMedium));
        out.extend(each(&self.centre_returns, Submission::Centre));
        out.extend(each(&self.carrier_returns, Submission::Carrier));
        out.extend(each(&self.exchange_returns, Submission::Exchange));
        out.extend(each(&self.questionnaires, Submission::Questionnaire));
        out.push(Submission::SharingHub(self.sharing_hub.clone()));
        out
    }
}

/// A first submission's header; the idempotency key names the dataset, cycle and what is sent,
/// so re-sending the same dataset replays the same receipts.
pub(crate) fn header(year: i32, unit: &str, what: &str) -> Option<pb::ReturnHeader> {
    Some(pb::ReturnHeader {
        cycle_year: year,
        reporting_unit_id: unit.to_string(),
        idempotency_key: format!("demo-{year}-{what}"),
        return_id: String::new(),
    })
}

/// Generates the dataset for [`CYCLES`]; the same seed and options give the same dataset.
///
/// # Panics
/// When the embedded reference tables do not parse; call [`targets::load`] first to get that as
/// an error (the demo does).
pub fn generate(seed: u64, options: &DemoOptions) -> DemoData {
    let years = CYCLES;
    let compute = compute::generate(seed, options, years);
    let production = production::generate(seed, options, years, compute.census);
    let circulation = circulation::generate(seed, options, years);
    let application = application::generate(seed, options, years, circulation.turnover);
    let compute::ComputeData {
        registers, returns, ..
    } = compute;
    let [reg22, reg23] = registers;
    let [ret22, ret23] = returns;
    let [dev22, dev23] = production.devices;
    let [med22, med23] = production.media;
    let [car22, car23] = circulation.carriers;
    let [ex22, ex23] = circulation.exchanges;
    let [des22, des23] = application.designs;
    let [q22, q23] = application.returns;
    let [hub22, hub23] = application::sharing_hub(years);
    let cycle =
        |year: i32, register, design, devices, media, centres, carriers, exchanges, qs, hub| {
            CycleData {
                year,
                centre_register: register,
                sample_design: design,
                model_run: pb::RunModelRequest {
                    cycle_year: year,
                    seed: seed ^ u64::from(year.unsigned_abs()),
                    draws: MODEL_DRAWS,
                },
                device_parameters: devices,
                storage_media: media,
                centre_returns: centres,
                carrier_returns: carriers,
                exchange_returns: exchanges,
                questionnaires: qs,
                sharing_hub: hub,
            }
        };
    DemoData {
        seed,
        options: options.clone(),
        cycles: vec![
            cycle(
                years[0], reg22, des22, dev22, med22, ret22, car22, ex22, q22, hub22,
            ),
            cycle(
                years[1], reg23, des23, dev23, med23, ret23, car23, ex23, q23, hub23,
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(11, &DemoOptions::default());
        let b = generate(11, &DemoOptions::default());
        let c = generate(12, &DemoOptions::default());
        assert_eq!(
            format!("{:?}", a.cycle(2023).questionnaires),
            format!("{:?}", b.cycle(2023).questionnaires)
        );
        assert_ne!(
            format!("{:?}", a.cycle(2023).centre_returns),
            format!("{:?}", c.cycle(2023).centre_returns)
        );
    }

    /// The microdata support P08: the centres' cloud storage (as the census counts it, with
    /// imputation) is over 40% of the national stock.
    #[test]
    fn centres_cloud_storage_supports_p08() {
        let options = DemoOptions::default();
        let census = compute::generate(3, &options, CYCLES).census[1];
        let share = census.cloud / targets::get("P03").native();
        assert!(targets::get("P08").passes(share * 100.0), "{share}");
        assert!(census.storage_used <= targets::get("P03").native());
        assert!(census.storage_capacity <= targets::get("P06").native());
    }

    /// The device returns support P15 as the model defines it: per device type, mean installed
    /// base x mean active share x mean reported public share x mean captured data; IoT sensing's
    /// part of the total is over 40% in both cycles, and every device type carries a split.
    #[test]
    fn public_shares_support_p15() {
        let data = generate(11, &DemoOptions::default());
        for year in CYCLES {
            let mut by_type: BTreeMap<&str, Vec<&pb::DeviceParameterReturn>> = BTreeMap::new();
            for r in &data.cycle(year).device_parameters {
                by_type.entry(r.device_type.as_str()).or_default().push(r);
            }
            let value = |p: &Option<pb::Parameter>| p.as_ref().map_or(0.0, |p| p.value);
            let (mut iot, mut all) = (0.0, 0.0);
            for returns in by_type.values() {
                let mean = |f: &dyn Fn(&pb::DeviceParameterReturn) -> Option<f64>| {
                    let v: Vec<f64> = returns.iter().filter_map(|r| f(r)).collect();
                    v.iter().sum::<f64>() / v.len() as f64
                };
                let public = mean(&|r| r.public_share.as_ref().map(|p| p.value));
                assert!(
                    public.is_finite(),
                    "{} has no public share",
                    returns[0].device_type
                );
                let captured =
                    mean(&|r| Some(value(&r.data_per_active_unit.as_ref()?.captured_bytes)))
                        * mean(&|r| Some(value(&r.installed_base)))
                        * mean(&|r| Some(value(&r.active_share)))
                        * public;
                all += captured;
                if returns[0].category == pb::DataSourceCategory::IotSensing as i32 {
                    iot += captured;
                }
            }
            assert!(
                targets::get("P15").passes(iot / all * 100.0),
                "{year}: {}",
                iot / all
            );
        }
    }

    #[test]
    fn every_unit_of_the_sample_is_in_the_dataset() {
        let data = generate(5, &DemoOptions::default());
        let c = data.cycle(2023);
        let counts = targets::sample_counts();
        assert_eq!(
            c.centre_register.centres.len(),
            counts["compute_centre"],
            "register"
        );
        assert_eq!(c.carrier_returns.len(), counts["telecom_carrier"]);
        assert_eq!(c.exchange_returns.len(), counts["data_exchange"]);
        let sampled = |t: pb::SubjectType| {
            c.sample_design
                .units
                .iter()
                .filter(|u| u.subject_type == t as i32)
                .count()
        };
        for (key, t) in [
            ("national_department", pb::SubjectType::NationalDepartment),
            (
                "provincial_data_bureau",
                pb::SubjectType::ProvincialDataBureau,
            ),
            (
                "planned_city_data_bureau",
                pb::SubjectType::PlannedCityDataBureau,
            ),
            ("university", pb::SubjectType::University),
            (
                "national_science_data_centre",
                pb::SubjectType::NationalScienceDataCentre,
            ),
            ("national_laboratory", pb::SubjectType::NationalLaboratory),
            ("central_soe", pb::SubjectType::CentralSoe),
            (
                "data_service_provider/platform",
                pb::SubjectType::PlatformDataServiceProvider,
            ),
            (
                "data_service_provider/non_platform",
                pb::SubjectType::NonPlatformDataServiceProvider,
            ),
            (
                "key_industry_enterprise",
                pb::SubjectType::KeyIndustryEnterprise,
            ),
        ] {
            assert_eq!(sampled(t), counts[key], "{key}");
        }
        let associations: BTreeSet<&str> = c
            .device_parameters
            .iter()
            .map(|r| r.header.as_ref().unwrap().reporting_unit_id.as_str())
            .chain(
                c.storage_media
                    .iter()
                    .map(|r| r.header.as_ref().unwrap().reporting_unit_id.as_str()),
            )
            .filter(|u| u.starts_with("association-"))
            .collect();
        assert_eq!(associations.len(), counts["industry_association"]);
        // Some non-response, but not much.
        let responding = c.centre_returns.len() as f64 / c.centre_register.centres.len() as f64;
        assert!((0.85..0.97).contains(&responding), "{responding}");
        let q = c.questionnaires.len() as f64 / c.sample_design.units.len() as f64;
        assert!((0.9..0.99).contains(&q), "{q}");
        // Idempotency keys are unique per unit.
        let keys: BTreeSet<(String, String)> = c
            .submissions()
            .iter()
            .map(|s| {
                let h = s.header().unwrap();
                (h.reporting_unit_id.clone(), h.idempotency_key.clone())
            })
            .collect();
        assert_eq!(keys.len(), c.submissions().len());
    }
}
