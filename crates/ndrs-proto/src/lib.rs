//! The gRPC contracts of ndrs, generated from `proto/ndrs/v1`.
//!
//! Every other crate depends on this one for its messages, clients and servers, so that the whole
//! workspace shares one tonic and one prost. [`FILE_DESCRIPTOR_SET`] feeds gRPC server reflection.

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// The well-known types the contracts use (`google.protobuf.Timestamp`), so that every crate
/// names them through this one.
pub use prost_types;

/// Version 1 of the ndrs API.
pub mod v1 {
    tonic::include_proto!("ndrs.v1");
}

/// Encoded `FileDescriptorSet` of every ndrs proto file, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ndrs_descriptor.bin"));

/// Fully qualified names of the five ndrs gRPC services, as reflection lists them.
pub const SERVICE_NAMES: [&str; 5] = [
    "ndrs.v1.ProductionStorageService",
    "ndrs.v1.ComputeCensusService",
    "ndrs.v1.CirculationSurveyService",
    "ndrs.v1.ApplicationSurveyService",
    "ndrs.v1.AggregatorService",
];

pub mod json;
