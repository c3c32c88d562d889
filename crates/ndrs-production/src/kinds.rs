//! The production stage's two return kinds as the platform's submit path runs them
//! ([`StageReturn`]): device parameters and storage media, each with its conversion, edit rules
//! and plausibility quantities from [`crate::domain`].

use ndrs_platform::plausibility::Reported;
use ndrs_platform::returns::{EditFinding, ReturnHeader};
use ndrs_platform::stage::{StageReturn, TypedReturn};
use ndrs_proto::v1 as pb;

use crate::domain::{self, DeviceParameters, StorageMediumFigures};

impl StageReturn for DeviceParameters {
    const KIND: &'static str = "device_parameters";
    fn edit_findings(&self) -> Vec<EditFinding> {
        domain::device_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        domain::device_quantities(self)
    }
}

impl TypedReturn for DeviceParameters {
    type Proto = pb::DeviceParameterReturn;
    fn from_proto(message: pb::DeviceParameterReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        domain::device_parameters_from_proto(message)
    }
}

impl StageReturn for StorageMediumFigures {
    const KIND: &'static str = "storage_medium";
    fn edit_findings(&self) -> Vec<EditFinding> {
        domain::medium_findings(self)
    }
    fn quantities(&self) -> Vec<Reported> {
        domain::medium_quantities(self)
    }
}

impl TypedReturn for StorageMediumFigures {
    type Proto = pb::StorageMediumReturn;
    fn from_proto(message: pb::StorageMediumReturn) -> ndrs_core::Result<(ReturnHeader, Self)> {
        domain::storage_medium_from_proto(message)
    }
}
