//! The full-volume model's formula, written once.
//!
//! The published point estimate ([`crate::model`], at the parameters' central values) and the
//! Monte Carlo ([`crate::uncertainty::FullVolumeModel`], at every draw) both evaluate the
//! functions here; they differ only in how a source's value of a parameter is obtained (its
//! central value, or its draw), which each passes in as a function. So the two cannot drift
//! apart, and the central value of every simulated output is the published figure bit for bit.
//!
//! The model, per device type: production = installed base × active share × data per active
//! unit (created + captured + replicated + consumed); public data acquisition = installed base ×
//! active share × public share × captured data per active unit. Per storage medium and holder:
//! stock = used, capacity = installed capacity, new storage = newly added + overwritten. Sources
//! for the same device type (or medium and holder) are consolidated by the unweighted mean of
//! their values; totals are summed by category first, in the order of [`SourceCategory`].

use ndrs_platform::stage::ratio;

use crate::domain::{DeviceParameters, Medium, Parameter, SourceCategory, StorageMediumFigures};

/// The parameters every device return reports. The declaration order is the order in which the
/// Monte Carlo lays out a source's parameters, so `field as usize` is the field's offset there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceField {
    InstalledBase,
    ActiveShare,
    CreatedBytes,
    CapturedBytes,
    ReplicatedBytes,
    ConsumedBytes,
}

/// Name of the optional public share in parameter names; in a source's layout it follows the
/// [`DeviceField::ALL`] fields, when the source reports one.
pub const PUBLIC_SHARE: &str = "public_share";

impl DeviceField {
    /// Every field, in declaration order.
    pub const ALL: [DeviceField; 6] = [
        DeviceField::InstalledBase,
        DeviceField::ActiveShare,
        DeviceField::CreatedBytes,
        DeviceField::CapturedBytes,
        DeviceField::ReplicatedBytes,
        DeviceField::ConsumedBytes,
    ];

    /// The field's name, as in [`DeviceParameters`] and in the Monte Carlo's parameter names.
    pub fn name(self) -> &'static str {
        match self {
            DeviceField::InstalledBase => "installed_base",
            DeviceField::ActiveShare => "active_share",
            DeviceField::CreatedBytes => "created_bytes",
            DeviceField::CapturedBytes => "captured_bytes",
            DeviceField::ReplicatedBytes => "replicated_bytes",
            DeviceField::ConsumedBytes => "consumed_bytes",
        }
    }

    /// Whether the field is a share in [0, 1] (otherwise a count or a byte volume, at least 0).
    pub fn is_share(self) -> bool {
        self == DeviceField::ActiveShare
    }

    pub fn of(self, d: &DeviceParameters) -> &Parameter {
        match self {
            DeviceField::InstalledBase => &d.installed_base,
            DeviceField::ActiveShare => &d.active_share,
            DeviceField::CreatedBytes => &d.created_bytes,
            DeviceField::CapturedBytes => &d.captured_bytes,
            DeviceField::ReplicatedBytes => &d.replicated_bytes,
            DeviceField::ConsumedBytes => &d.consumed_bytes,
        }
    }
}

/// The parameters every storage medium return reports; the declaration order is the Monte
/// Carlo's layout, as for [`DeviceField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediumField {
    InstalledCapacityBytes,
    UsedBytes,
    NewlyAddedBytes,
    OverwrittenBytes,
}

impl MediumField {
    /// Every field, in declaration order.
    pub const ALL: [MediumField; 4] = [
        MediumField::InstalledCapacityBytes,
        MediumField::UsedBytes,
        MediumField::NewlyAddedBytes,
        MediumField::OverwrittenBytes,
    ];

    /// The field's name, as in [`StorageMediumFigures`] and in the Monte Carlo's parameter names.
    pub fn name(self) -> &'static str {
        match self {
            MediumField::InstalledCapacityBytes => "installed_capacity_bytes",
            MediumField::UsedBytes => "used_bytes",
            MediumField::NewlyAddedBytes => "newly_added_bytes",
            MediumField::OverwrittenBytes => "overwritten_bytes",
        }
    }

    pub fn of(self, m: &StorageMediumFigures) -> &Parameter {
        match self {
            MediumField::InstalledCapacityBytes => &m.installed_capacity_bytes,
            MediumField::UsedBytes => &m.used_bytes,
            MediumField::NewlyAddedBytes => &m.newly_added_bytes,
            MediumField::OverwrittenBytes => &m.overwritten_bytes,
        }
    }
}

/// The unweighted mean, summed in the order given (so both callers get the same bits); 0 for no
/// values.
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// One device type's parameters, each consolidated over the type's sources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceValues {
    pub installed_base: f64,
    pub active_share: f64,
    pub created_bytes: f64,
    pub captured_bytes: f64,
    pub replicated_bytes: f64,
    pub consumed_bytes: f64,
    /// Consolidated over the sources that report a public share only; `None` when none does.
    pub public_share: Option<f64>,
}

impl DeviceValues {
    /// Consolidates the sources of one device type: `value(source, field)` is a source's value of
    /// a field, `public_shares` the public shares of the sources that report one.
    pub fn consolidate<S>(
        sources: &[S],
        value: impl Fn(&S, DeviceField) -> f64,
        public_shares: impl Iterator<Item = f64>,
    ) -> Self {
        let m = |field| mean(sources.iter().map(|s| value(s, field)));
        let (sum, n) = public_shares.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
        DeviceValues {
            installed_base: m(DeviceField::InstalledBase),
            active_share: m(DeviceField::ActiveShare),
            created_bytes: m(DeviceField::CreatedBytes),
            captured_bytes: m(DeviceField::CapturedBytes),
            replicated_bytes: m(DeviceField::ReplicatedBytes),
            consumed_bytes: m(DeviceField::ConsumedBytes),
            public_share: (n > 0).then(|| sum / n as f64),
        }
    }

    /// Annual data the device type produces: installed base × active share × data per active
    /// unit (created + captured + replicated + consumed).
    pub fn production(&self) -> f64 {
        let per_unit =
            self.created_bytes + self.captured_bytes + self.replicated_bytes + self.consumed_bytes;
        self.installed_base * self.active_share * per_unit
    }

    /// Data the type's publicly operated units capture in the year, or `None` when no source
    /// splits the installed base.
    pub fn public_acquisition(&self) -> Option<f64> {
        self.public_share
            .map(|p| self.installed_base * self.active_share * p * self.captured_bytes)
    }
}

/// One storage medium and holder's figures, each consolidated over its sources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediumValues {
    pub installed_capacity_bytes: f64,
    pub used_bytes: f64,
    pub newly_added_bytes: f64,
    pub overwritten_bytes: f64,
}

impl MediumValues {
    /// Consolidates the sources of one medium and holder, as [`DeviceValues::consolidate`].
    pub fn consolidate<S>(sources: &[S], value: impl Fn(&S, MediumField) -> f64) -> Self {
        let m = |field| mean(sources.iter().map(|s| value(s, field)));
        MediumValues {
            installed_capacity_bytes: m(MediumField::InstalledCapacityBytes),
            used_bytes: m(MediumField::UsedBytes),
            newly_added_bytes: m(MediumField::NewlyAddedBytes),
            overwritten_bytes: m(MediumField::OverwrittenBytes),
        }
    }

    /// Data newly stored in the year: newly added + overwritten.
    pub fn new_storage(&self) -> f64 {
        self.newly_added_bytes + self.overwritten_bytes
    }
}

/// The model's totals over all device types and media.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// Production by category, in the order of [`SourceCategory`]; every category with a device
    /// type is listed.
    pub by_category: Vec<(SourceCategory, f64)>,
    /// Public data acquisition by category; only categories with a device type some source
    /// splits are listed.
    pub public_by_category: Vec<(SourceCategory, f64)>,
    /// P01: the sum of `by_category`.
    pub produced: f64,
    /// The sum of `public_by_category`.
    pub public_acquisition: f64,
    /// The IoT sensing part of the public acquisition.
    pub public_iot: f64,
    /// P03: data stored (used).
    pub stock: f64,
    /// P04: data newly stored.
    pub new: f64,
    /// P06: installed capacity.
    pub space: f64,
    /// Data stored on cloud media (a check figure).
    pub cloud: f64,
}

/// Adds `value` to `category`'s entry, making one (at 0) when there is none.
fn add(by_category: &mut Vec<(SourceCategory, f64)>, category: SourceCategory, value: f64) {
    match by_category.iter_mut().find(|(c, _)| *c == category) {
        Some((_, total)) => *total += value,
        None => by_category.push((category, 0.0 + value)),
    }
}

impl Totals {
    /// The totals of the given device types (with their category) and media; each sum runs in
    /// the order given, category totals in the order of [`SourceCategory`].
    pub fn new(
        devices: impl IntoIterator<Item = (SourceCategory, DeviceValues)>,
        media: impl IntoIterator<Item = (Medium, MediumValues)>,
    ) -> Self {
        let mut by_category = Vec::new();
        let mut public_by_category = Vec::new();
        for (category, d) in devices {
            add(&mut by_category, category, d.production());
            if let Some(bytes) = d.public_acquisition() {
                add(&mut public_by_category, category, bytes);
            }
        }
        by_category.sort_by_key(|(c, _)| *c);
        public_by_category.sort_by_key(|(c, _)| *c);
        let public_iot = public_by_category
            .iter()
            .find(|(c, _)| *c == SourceCategory::IotSensing)
            .map_or(0.0, |(_, v)| *v);
        let (mut stock, mut space, mut new, mut cloud) = (0.0, 0.0, 0.0, 0.0);
        for (medium, m) in media {
            stock += m.used_bytes;
            space += m.installed_capacity_bytes;
            new += m.new_storage();
            if medium == Medium::Cloud {
                cloud += m.used_bytes;
            }
        }
        Totals {
            produced: by_category.iter().map(|(_, v)| *v).sum(),
            public_acquisition: public_by_category.iter().map(|(_, v)| *v).sum(),
            by_category,
            public_by_category,
            public_iot,
            stock,
            new,
            space,
            cloud,
        }
    }

    /// P05: new storage over production (`None` when nothing is produced).
    pub fn conversion_rate(&self) -> Option<f64> {
        ratio(self.new, self.produced)
    }

    /// P07: data stored over installed capacity (`None` without capacity).
    pub fn utilisation(&self) -> Option<f64> {
        ratio(self.stock, self.space)
    }

    /// P15: the IoT sensing share of public data acquisition (`None` without any).
    pub fn iot_share_of_public_acquisition(&self) -> Option<f64> {
        ratio(self.public_iot, self.public_acquisition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_order_is_the_declaration_order() {
        for (i, f) in DeviceField::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f:?}");
        }
        for (i, f) in MediumField::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f:?}");
        }
    }

    #[test]
    fn sources_are_consolidated_by_their_mean_and_totals_follow_the_formula() {
        // Two sources as rows of values in field order; the second also reports a public share.
        let rows = [
            [10.0, 0.5, 1.0, 2.0, 3.0, 4.0],
            [30.0, 0.5, 3.0, 2.0, 3.0, 4.0],
        ];
        let d = DeviceValues::consolidate(&rows, |r, f| r[f as usize], [0.25].into_iter());
        assert_eq!(d.installed_base, 20.0);
        assert_eq!(d.created_bytes, 2.0);
        assert_eq!(d.public_share, Some(0.25));
        assert_eq!(d.production(), 20.0 * 0.5 * (2.0 + 2.0 + 3.0 + 4.0));
        assert_eq!(d.public_acquisition(), Some(20.0 * 0.5 * 0.25 * 2.0));
        let none = DeviceValues::consolidate(&rows, |r, f| r[f as usize], std::iter::empty());
        assert_eq!(none.public_acquisition(), None);

        let m = MediumValues::consolidate(&[[100.0, 40.0, 8.0, 2.0]], |r, f| r[f as usize]);
        let t = Totals::new(
            [
                (SourceCategory::IotSensing, d),
                (SourceCategory::DailyLife, none),
                (SourceCategory::IotSensing, none),
            ],
            [(Medium::Cloud, m), (Medium::Hdd, m)],
        );
        let categories: Vec<_> = t.by_category.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            categories,
            [SourceCategory::DailyLife, SourceCategory::IotSensing]
        );
        assert_eq!(t.produced, 110.0 + 2.0 * 110.0);
        assert_eq!(t.public_by_category, [(SourceCategory::IotSensing, 5.0)]);
        assert_eq!(t.iot_share_of_public_acquisition(), Some(1.0));
        assert_eq!(
            (t.stock, t.space, t.new, t.cloud),
            (80.0, 200.0, 20.0, 40.0)
        );
        assert_eq!(t.utilisation(), Some(0.4));
        assert_eq!(t.conversion_rate(), Some(20.0 / 330.0));
        assert_eq!(Totals::new([], []).conversion_rate(), None);
    }
}
