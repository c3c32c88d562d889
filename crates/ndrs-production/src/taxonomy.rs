//! The device taxonomy: which device types produce data, under which category of the report's
//! table 2.2. A built-in taxonomy covers the report's examples; the organiser can load a cycle's
//! own (new device types appear every year), stored as a new version on every load. Once one is
//! loaded for a cycle, device parameter returns must name its device types, in their category, so
//! that the same device cannot be counted under two names or two categories.

use std::collections::BTreeSet;

use ndrs_core::{Result, Violations};
use ndrs_platform::documents::{CycleDocuments, Versioned};
use ndrs_platform::stage::{check_identifier, cycle_request_checks};
use ndrs_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::domain::SourceCategory;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceType {
    pub device_type: String,
    pub category: SourceCategory,
    pub name_zh: String,
    pub name_en: String,
}

/// The report's table 2.2 examples: device type, category, Chinese and English names.
#[rustfmt::skip]
const BUILT_IN: [(&str, SourceCategory, &str, &str); 18] = {
    use SourceCategory::*;
    [
        ("smartphone", DailyLife, "手机", "Smartphones"),
        ("pc", DailyLife, "电脑", "Personal computers"),
        ("smart_home", DailyLife, "智能家居", "Smart home devices"),
        ("wearable", DailyLife, "可穿戴设备", "Wearables"),
        ("train", Transport, "火车", "Trains"),
        ("aircraft", Transport, "飞机", "Aircraft"),
        ("ship", Transport, "船舶", "Ships"),
        ("connected_vehicle", Transport, "网联汽车", "Connected vehicles"),
        ("camera", IotSensing, "摄像头", "Cameras"),
        ("meter", IotSensing, "仪表", "Meters"),
        ("sensor", IotSensing, "传感器", "Sensors"),
        ("edge_device", Manufacturing, "边缘设备", "Edge devices"),
        ("industrial_robot", Manufacturing, "工业机器人", "Industrial robots"),
        ("cnc_machine", Manufacturing, "数控机床", "CNC machines"),
        ("server", StorageCompute, "服务器", "Servers"),
        ("memory", StorageCompute, "内存", "Memory"),
        ("disk", StorageCompute, "硬盘", "Disks"),
        ("software_system", Software, "软件系统", "Software systems"),
    ]
};

/// The report's table 2.2 examples, used when no taxonomy is loaded for a cycle.
pub fn built_in() -> Vec<DeviceType> {
    BUILT_IN
        .into_iter()
        .map(|(id, category, zh, en)| DeviceType {
            device_type: id.into(),
            category,
            name_zh: zh.into(),
            name_en: en.into(),
        })
        .collect()
}

/// Most device types one taxonomy may list (the report's table 2.2 has a few dozen).
pub const MAX_DEVICE_TYPES: usize = 10_000;

/// Validates a taxonomy load, naming every bad entry.
pub fn taxonomy_from_proto(
    request: pb::LoadDeviceTaxonomyRequest,
) -> Result<(i32, Vec<DeviceType>)> {
    let pb::LoadDeviceTaxonomyRequest {
        cycle_year,
        device_types,
    } = request;
    let mut v = cycle_request_checks(cycle_year);
    v.check(
        !device_types.is_empty(),
        "device_types",
        "a taxonomy needs at least one device type",
    );
    v.items("device_types", device_types.len(), MAX_DEVICE_TYPES);
    let device_types = if device_types.len() > MAX_DEVICE_TYPES {
        Vec::new()
    } else {
        device_types
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(device_types.len());
    for (i, d) in device_types.into_iter().enumerate() {
        let pb::DeviceTypeEntry {
            device_type,
            category,
            name_zh,
            name_en,
        } = d;
        let f = |name: &str| format!("device_types[{i}].{name}");
        check_identifier(&f("device_type"), &device_type, &mut v);
        if !seen.insert(device_type.clone()) {
            v.push(f("device_type"), "device type listed twice");
        }
        let category = SourceCategory::from_proto(category);
        v.check(
            category.is_some(),
            f("category"),
            "unknown data source category",
        );
        v.check(
            !name_en.is_empty() && name_en.len() <= 256 && name_zh.len() <= 256,
            f("name_en"),
            "an English name of at most 256 bytes is required (Chinese name at most 256)",
        );
        if let Some(category) = category {
            out.push(DeviceType {
                device_type,
                category,
                name_zh,
                name_en,
            });
        }
    }
    out.sort_by(|a, b| a.device_type.cmp(&b.device_type));
    v.finish((cycle_year, out))
}

pub fn entry_to_proto(d: &DeviceType) -> pb::DeviceTypeEntry {
    pb::DeviceTypeEntry {
        device_type: d.device_type.clone(),
        category: d.category.to_proto() as i32,
        name_zh: d.name_zh.clone(),
        name_en: d.name_en.clone(),
    }
}

pub fn summary_proto(t: &Versioned<Vec<DeviceType>>) -> pb::DeviceTaxonomySummary {
    pb::DeviceTaxonomySummary {
        cycle_year: t.cycle_year,
        version: t.version,
        device_types: t.body.len() as u32,
        content_hash: t.content_hash.clone(),
        loaded_at: ndrs_platform::timestamp::from_text(&t.loaded_at),
        loaded_by: t.loaded_by.clone(),
    }
}

/// Taxonomy versions in the service's database.
#[derive(Clone)]
pub struct Taxonomies {
    documents: CycleDocuments,
}

impl Taxonomies {
    pub fn new(store: &ndrs_platform::returns::ReturnStore) -> Self {
        Self {
            documents: CycleDocuments::new(store, "device-taxonomy"),
        }
    }

    pub async fn load(
        &self,
        cycle_year: i32,
        device_types: Vec<DeviceType>,
        loaded_by: &str,
    ) -> Result<Versioned<Vec<DeviceType>>> {
        self.documents
            .load(cycle_year, device_types, loaded_by)
            .await
    }

    /// A loaded version (0: the latest), if any.
    pub async fn get(
        &self,
        cycle_year: i32,
        version: u32,
    ) -> Result<Option<Versioned<Vec<DeviceType>>>> {
        self.documents.get(cycle_year, version).await
    }

    /// Checks a device return against the cycle's loaded taxonomy; no taxonomy loaded, no check.
    pub async fn check(
        &self,
        cycle_year: i32,
        device_type: &str,
        category: SourceCategory,
    ) -> Result<()> {
        let Some(taxonomy) = self.get(cycle_year, 0).await? else {
            return Ok(());
        };
        let mut v = Violations::new();
        match taxonomy.body.iter().find(|d| d.device_type == device_type) {
            None => v.push(
                "device_type",
                format!(
                    "not in the cycle's device taxonomy (version {}); the organiser adds new device types",
                    taxonomy.version
                ),
            ),
            Some(d) if d.category != category => v.push(
                "category",
                format!(
                    "{device_type} is under {} in the cycle's device taxonomy (version {})",
                    d.category.code(),
                    taxonomy.version
                ),
            ),
            Some(_) => {}
        }
        v.finish(())
    }
}
