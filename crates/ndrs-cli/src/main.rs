//! `ndrs`: parses the command line and runs the command ([`ndrs_cli::commands`]); every command
//! body lives in the library, where the tests drive it.

use std::process::ExitCode;

use clap::Parser;
use ndrs_cli::cli::Cli;

/// How long a command waits for background tasks after its work before it exits anyway.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ndrs: cannot start the async runtime: {e}");
            return ExitCode::from(ndrs_cli::exit::OTHER);
        }
    };
    let outcome = runtime.block_on(ndrs_cli::commands::run(cli));
    // The work is done: whatever background task is left (a pool's connection, a telemetry
    // exporter) gets a bounded moment to finish, so that the command always ends.
    runtime.shutdown_timeout(SHUTDOWN_TIMEOUT);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ndrs: {e}");
            ExitCode::from(ndrs_cli::exit::code(&e))
        }
    }
}
