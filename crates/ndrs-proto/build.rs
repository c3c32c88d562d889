//! Compiles `proto/ndrs/v1/*.proto` with protox (a pure-Rust protobuf compiler, so no system
//! `protoc` is needed) and generates tonic clients and servers from the resulting descriptors.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest.join("../../proto");
    let files = [
        "ndrs/v1/common.proto",
        "ndrs/v1/content.proto",
        "ndrs/v1/production.proto",
        "ndrs/v1/compute.proto",
        "ndrs/v1/circulation.proto",
        "ndrs/v1/application.proto",
        "ndrs/v1/aggregator.proto",
        "ndrs/v1/cycle.proto",
        "ndrs/v1/identity.proto",
    ];
    for file in &files {
        println!("cargo:rerun-if-changed={}", proto_root.join(file).display());
    }
    let descriptors = protox::compile(files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("ndrs_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    // Type names (`prost::Name`) let `ndrs_proto::json` find each message's descriptor.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        // Ordered maps keep the encoding of a figure deterministic, so content hashes are stable.
        .btree_map(".")
        .build_server(true)
        .build_client(true)
        .compile_fds_with_config(descriptors, config)?;
    Ok(())
}
