//! What `GetDeviceTaxonomy` answers: the cycle's loaded device taxonomy, or, when none was
//! loaded and the latest was asked for, the built-in one (reporters need a taxonomy to name their
//! device types before the organiser loads the cycle's own).

use ndrs_core::{Error, Result};
use ndrs_platform::documents::Versioned;
use ndrs_proto::v1 as pb;

use crate::taxonomy::{self, DeviceType};

/// The answer for `cycle_year` and `version` (0: the latest), given what is loaded.
pub fn taxonomy_answer(
    loaded: Option<Versioned<Vec<DeviceType>>>,
    cycle_year: i32,
    version: u32,
) -> Result<pb::DeviceTaxonomy> {
    match loaded {
        Some(t) => Ok(pb::DeviceTaxonomy {
            summary: Some(taxonomy::summary_proto(&t)),
            device_types: t.body.iter().map(taxonomy::entry_to_proto).collect(),
        }),
        None if version == 0 => {
            let device_types = taxonomy::built_in();
            Ok(pb::DeviceTaxonomy {
                summary: Some(pb::DeviceTaxonomySummary {
                    cycle_year,
                    version: 0,
                    device_types: device_types.len() as u32,
                    loaded_by: "built-in".into(),
                    ..Default::default()
                }),
                device_types: device_types.iter().map(taxonomy::entry_to_proto).collect(),
            })
        }
        None => Err(Error::NotFound(format!(
            "device taxonomy version {version} for cycle {cycle_year}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_loaded_taxonomy_the_latest_is_the_built_in_one() {
        let answer = taxonomy_answer(None, 2023, 0).unwrap();
        let summary = answer.summary.unwrap();
        assert_eq!(summary.loaded_by, "built-in");
        assert_eq!(summary.version, 0);
        assert_eq!(summary.device_types as usize, taxonomy::built_in().len());
        assert_eq!(answer.device_types.len(), taxonomy::built_in().len());
    }

    #[test]
    fn a_version_never_loaded_is_not_found() {
        assert!(matches!(
            taxonomy_answer(None, 2023, 2),
            Err(Error::NotFound(_))
        ));
    }
}
