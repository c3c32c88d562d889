//! `ndrs`: parses the command line and runs the command ([`ndrs_cli::commands`]); every command
//! body lives in the library, where the tests drive it.

use std::process::ExitCode;

use clap::Parser;
use ndrs_cli::cli::Cli;

/// How long a command waits for background tasks after its work before it exits anyway.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A command whose output is piped into `head` ends quietly when the reader goes away, as Unix
/// tools do, instead of panicking on the write. Not for the commands that serve: their sockets
/// must not be ended by a client hanging up.
#[cfg(unix)]
fn end_quietly_on_closed_stdout() {
    // SAFETY: sets SIGPIPE back to its default disposition before any other thread exists; no
    // handler runs Rust code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    #[cfg(unix)]
    if !matches!(
        cli.command,
        ndrs_cli::cli::Command::Serve { .. } | ndrs_cli::cli::Command::Demo { .. }
    ) {
        end_quietly_on_closed_stdout();
    }
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
