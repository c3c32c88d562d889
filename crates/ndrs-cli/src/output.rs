//! How a command prints its answer: `--output json` is the proto3 JSON mapping of the gRPC
//! answer (what grpcurl prints, and what `load` commands read back), `--output table` a plain
//! text table for people. Results go to stdout only; progress and errors go to stderr.

use crate::cli::Output;

/// Prints `message` as JSON or as the table `table` renders.
pub fn emit<M>(output: Output, message: &M, table: impl FnOnce(&M) -> String)
where
    M: prost::Message + prost::Name,
{
    match output {
        Output::Json => print_json(&ndrs_proto::json::to_value(message)),
        Output::Table => print!("{}", table(message)),
    }
}

/// Prints a JSON value, pretty.
pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

pub use ndrs_client::text::{fields, table};
