//! The full-volume model over random parameters, for the Monte Carlo.
//!
//! [`FullVolumeModel`] evaluates the formula of [`crate::formula`], the one [`crate::model`]
//! evaluates at the central values, over random parameters: each source's return is its own set
//! of independent random variables; sources for the same device type (or medium and holder) are
//! consolidated draw by draw by the same unweighted mean the central-value model applies to
//! central values. A source's parameters are laid out consecutively in the order of
//! [`DeviceField::ALL`] (then its public share, when it reports one) or [`MediumField::ALL`],
//! and named after the fields, so there is no index to keep in step by hand.
//!
//! All parameters are drawn independently, so e.g. `used` and `installed capacity` of a medium
//! can fall in a draw where used exceeds capacity; utilisation above 1 in some draws is a sign
//! that the stated uncertainties are wide compared with the headroom, not a bug.

use std::collections::{BTreeMap, HashSet};

use super::{Bounds, Distribution, SimulationResult, UncertaintyError, simulate};
use crate::domain::{DeviceParameters, Medium, Parameter, SourceCategory, StorageMediumFigures};
use crate::formula::{DeviceField, DeviceValues, MediumField, MediumValues, PUBLIC_SHARE, Totals};

/// Output names of [`FullVolumeModel`].
pub const TOTAL_PRODUCTION: &str = "P01";
pub const STORAGE_STOCK: &str = "P03";
pub const NEW_STORAGE: &str = "P04";
pub const CONVERSION_RATE: &str = "P05";
pub const CAPACITY: &str = "P06";
pub const UTILISATION: &str = "P07";
pub const IOT_SHARE_OF_PUBLIC_ACQUISITION: &str = "P15";

/// Output name of the production of one category of data sources.
pub fn category_output(category: SourceCategory) -> String {
    format!("production.bytes/{}", category.code())
}

/// Where a source's public share, when it reports one, stands in its layout: after its
/// [`DeviceField::ALL`] fields.
const PUBLIC_SHARE_OFFSET: usize = DeviceField::ALL.len();

/// One device type: per source, the index of the source's first parameter (its fields follow in
/// the order of [`DeviceField::ALL`]); `public_sources` are the sources that also report a
/// public share (at [`PUBLIC_SHARE_OFFSET`]).
#[derive(Debug, Clone)]
struct DeviceGroup {
    category: SourceCategory,
    sources: Vec<usize>,
    public_sources: Vec<usize>,
}

impl DeviceGroup {
    /// The device type's consolidated parameters in one draw.
    fn values(&self, values: &[f64]) -> DeviceValues {
        DeviceValues::consolidate(
            &self.sources,
            |&base, field| values[base + field as usize],
            self.public_sources
                .iter()
                .map(|&base| values[base + PUBLIC_SHARE_OFFSET]),
        )
    }
}

/// One medium and holder; sources as in [`DeviceGroup`], fields in the order of
/// [`MediumField::ALL`].
#[derive(Debug, Clone)]
struct MediumGroup {
    medium: Medium,
    sources: Vec<usize>,
}

impl MediumGroup {
    /// The medium and holder's consolidated figures in one draw.
    fn values(&self, values: &[f64]) -> MediumValues {
        MediumValues::consolidate(&self.sources, |&base, field| values[base + field as usize])
    }
}

/// The full-volume model of [`crate::formula`] over random parameters.
///
/// Outputs, in order: P01 and production by category (in the order of [`SourceCategory`]) when
/// there are device returns; P03, P04, P06 when there are medium returns; P05 = P04 / P01 when
/// there are both and the central P01 is not zero; P07 = P03 / P06 when the central P06 is not
/// zero (as the central-value model, which does not publish a ratio over zero); P15 (the IoT
/// sensing share of public data acquisition) when a source reports a public share and the
/// central public acquisition is not zero.
#[derive(Debug, Clone)]
pub struct FullVolumeModel {
    parameters: Vec<(String, Distribution)>,
    outputs: Vec<String>,
    devices: Vec<DeviceGroup>,
    media: Vec<MediumGroup>,
    conversion_rate: bool,
    utilisation: bool,
    public_iot_share: bool,
}

/// Appends `prefix` made unique with `#2`, `#3`, ... (the same device type and source can
/// appear in two returns, and a `/` inside a source can make two prefixes alike).
fn unique_prefix(prefix: String, used: &mut HashSet<String>) -> String {
    let mut candidate = prefix.clone();
    let mut index = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{prefix}#{index}");
        index += 1;
    }
    candidate
}

impl FullVolumeModel {
    /// Builds the model; parameter names are `{device_type}/{source}/{field}` and
    /// `{medium}/{holder}/{source}/{field}`. Fails on the first parameter whose value or stated
    /// uncertainty does not describe a distribution, naming it.
    pub fn new(
        devices: &[DeviceParameters],
        media: &[StorageMediumFigures],
    ) -> Result<Self, UncertaintyError> {
        let mut parameters = Vec::new();
        let mut used = HashSet::new();
        let mut push = |prefix: String,
                        fields: &[(&str, &Parameter, Bounds)],
                        parameters: &mut Vec<(String, Distribution)>|
         -> Result<usize, UncertaintyError> {
            let prefix = unique_prefix(prefix, &mut used);
            let base = parameters.len();
            for (field, p, bounds) in fields {
                let name = format!("{prefix}/{field}");
                let distribution =
                    Distribution::from_parameter(p, *bounds).map_err(|e| e.named(&name))?;
                parameters.push((name, distribution));
            }
            Ok(base)
        };

        // Per device type: every source's base, and whether it reports a public share.
        let mut by_device: BTreeMap<(SourceCategory, &str), Vec<(usize, bool)>> = BTreeMap::new();
        for d in devices {
            let mut fields: Vec<(&str, &Parameter, Bounds)> = DeviceField::ALL
                .iter()
                .map(|&field| {
                    let bounds = if field.is_share() {
                        Bounds::SHARE
                    } else {
                        Bounds::NON_NEGATIVE
                    };
                    (field.name(), field.of(d), bounds)
                })
                .collect();
            if let Some(public_share) = &d.public_share {
                fields.push((PUBLIC_SHARE, public_share, Bounds::SHARE));
            }
            let base = push(
                format!("{}/{}", d.device_type, d.source),
                &fields,
                &mut parameters,
            )?;
            by_device
                .entry((d.category, d.device_type.as_str()))
                .or_default()
                .push((base, d.public_share.is_some()));
        }
        let mut by_medium: BTreeMap<(Medium, &str), Vec<usize>> = BTreeMap::new();
        for m in media {
            let fields: Vec<(&str, &Parameter, Bounds)> = MediumField::ALL
                .iter()
                .map(|&field| (field.name(), field.of(m), Bounds::NON_NEGATIVE))
                .collect();
            let base = push(
                format!("{}/{}/{}", m.medium.code(), m.holder, m.source),
                &fields,
                &mut parameters,
            )?;
            by_medium
                .entry((m.medium, m.holder.as_str()))
                .or_default()
                .push(base);
        }

        let devices: Vec<DeviceGroup> = by_device
            .into_iter()
            .map(|((category, _), sources)| DeviceGroup {
                category,
                public_sources: sources
                    .iter()
                    .filter(|(_, public)| *public)
                    .map(|(base, _)| *base)
                    .collect(),
                sources: sources.into_iter().map(|(base, _)| base).collect(),
            })
            .collect();
        let media: Vec<MediumGroup> = by_medium
            .into_iter()
            .map(|((medium, _), sources)| MediumGroup { medium, sources })
            .collect();

        let mut model = FullVolumeModel {
            parameters,
            outputs: Vec::new(),
            devices,
            media,
            conversion_rate: false,
            utilisation: false,
            public_iot_share: false,
        };
        // Which ratios are outputs is decided at the central values, as the central-value model
        // decides which it publishes.
        let central_values: Vec<f64> = model.parameters.iter().map(|(_, d)| d.central()).collect();
        let totals = model.totals(&central_values);
        model.conversion_rate = !model.devices.is_empty()
            && !model.media.is_empty()
            && totals.conversion_rate().is_some();
        model.utilisation = !model.media.is_empty() && totals.utilisation().is_some();
        // Some only when some source reports a public share.
        model.public_iot_share = totals.iot_share_of_public_acquisition().is_some();
        if !model.devices.is_empty() {
            model.outputs.push(TOTAL_PRODUCTION.to_string());
            model
                .outputs
                .extend(totals.by_category.iter().map(|(c, _)| category_output(*c)));
        }
        if !model.media.is_empty() {
            model.outputs.push(STORAGE_STOCK.to_string());
            model.outputs.push(NEW_STORAGE.to_string());
        }
        if model.conversion_rate {
            model.outputs.push(CONVERSION_RATE.to_string());
        }
        if !model.media.is_empty() {
            model.outputs.push(CAPACITY.to_string());
        }
        if model.utilisation {
            model.outputs.push(UTILISATION.to_string());
        }
        if model.public_iot_share {
            model
                .outputs
                .push(IOT_SHARE_OF_PUBLIC_ACQUISITION.to_string());
        }
        Ok(model)
    }

    pub fn parameters(&self) -> &[(String, Distribution)] {
        &self.parameters
    }

    pub fn outputs(&self) -> &[String] {
        &self.outputs
    }

    /// The formula's totals for one set of parameter values.
    fn totals(&self, values: &[f64]) -> Totals {
        Totals::new(
            self.devices.iter().map(|g| (g.category, g.values(values))),
            self.media.iter().map(|g| (g.medium, g.values(values))),
        )
    }

    fn evaluate_unchecked(&self, values: &[f64]) -> Vec<f64> {
        let t = self.totals(values);
        // A ratio whose denominator is zero in a draw is NaN, which the engine reports as a
        // non-finite output.
        let ratio = |r: Option<f64>| r.unwrap_or(f64::NAN);
        let mut out = Vec::with_capacity(self.outputs.len());
        if !self.devices.is_empty() {
            out.push(t.produced);
            out.extend(t.by_category.iter().map(|(_, v)| *v));
        }
        if !self.media.is_empty() {
            out.push(t.stock);
            out.push(t.new);
        }
        if self.conversion_rate {
            out.push(ratio(t.conversion_rate()));
        }
        if !self.media.is_empty() {
            out.push(t.space);
        }
        if self.utilisation {
            out.push(ratio(t.utilisation()));
        }
        if self.public_iot_share {
            out.push(ratio(t.iot_share_of_public_acquisition()));
        }
        out
    }
    /// The outputs for one set of parameter values (in the order of [`Self::parameters`]).
    pub fn evaluate(&self, values: &[f64]) -> Result<Vec<f64>, UncertaintyError> {
        if values.len() != self.parameters.len() {
            return Err(UncertaintyError::ParameterCountMismatch {
                expected: self.parameters.len(),
                got: values.len(),
            });
        }
        Ok(self.evaluate_unchecked(values))
    }

    /// Runs [`simulate`] over this model.
    pub fn simulate(&self, draws: usize, seed: u64) -> Result<SimulationResult, UncertaintyError> {
        simulate(
            &self.parameters,
            &self.outputs,
            |x| self.evaluate_unchecked(x),
            draws,
            seed,
        )
    }
}
