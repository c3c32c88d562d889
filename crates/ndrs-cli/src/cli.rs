//! The command line: every command, argument and help text (`ndrs --help`, `ndrs <command>
//! --help`). Parsing only; [`crate::commands`] runs what was parsed.

use clap::{Parser, Subcommand, ValueEnum};
use ndrs_platform::auth::Role;

#[derive(Parser)]
#[command(name = "ndrs", version, about = "National data resource survey")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run services: `all` (default: every service in one process) or one of them.
    Serve {
        #[arg(value_enum, default_value_t = Service::All)]
        service: Service,
    },
    /// Run the survey walk-through on the embedded default in a fresh data directory.
    Demo {
        /// Keep the data here instead of a temporary directory.
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
        /// Run against separately started services (their configured addresses and identity
        /// database, e.g. from `scripts/run-local.sh`) instead of starting them in-process.
        #[arg(long)]
        remote: bool,
        /// Where the release is written (`<out>/release-<cycle>/`: JSON, CSV, SDMX, HTML).
        #[arg(long, default_value = "out")]
        out: std::path::PathBuf,
        /// Fraction of the 2023 sample's centres, data service providers and key industry
        /// enterprises to generate (1: the full sample; smaller is faster and reproduces every
        /// figure but the centre count, which is the scaled register's).
        #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
        scale: f64,
    },
    /// Check grpc.health.v1 of every service at its configured address.
    Health,
    /// Bring every service's schema and the identity store up to date, then exit (the
    /// Kubernetes migration Job runs this before a rollout; services also migrate at start).
    Migrate,
    /// Administration against the configured identity database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Candidate releases held by the aggregator.
    Candidate {
        #[command(subcommand)]
        command: CandidateCommand,
        /// Aggregator endpoint; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
        /// Bearer token (or set NDRS_TOKEN).
        #[arg(long, env = "NDRS_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
    },
    /// Published releases.
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
        /// Aggregator endpoint; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
        /// Bearer token (or set NDRS_TOKEN).
        #[arg(long, env = "NDRS_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
    },
    /// The survey's content documents: questionnaires, indicator documents and derived figures
    /// (docs/content.md). Each goes to the service its `kind` belongs to, at the configured
    /// addresses; answers are printed as JSON.
    Content {
        #[command(subcommand)]
        command: ContentCommand,
        /// Bearer token of an organiser (or set NDRS_TOKEN); `get` takes any role's.
        #[arg(long, env = "NDRS_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
    },
    /// The aggregator's hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        /// Aggregator endpoint; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
        /// Bearer token of an organiser (or set NDRS_TOKEN).
        #[arg(long, env = "NDRS_TOKEN", hide_env_values = true, global = true)]
        token: Option<String>,
    },
}

/// A cycle year, as the services accept them.
fn parse_cycle(text: &str) -> std::result::Result<i32, String> {
    match text.parse::<i32>() {
        Ok(year) if (2000..=2100).contains(&year) => Ok(year),
        _ => Err(format!("expected a cycle year such as 2024, got {text:?}")),
    }
}

#[derive(Subcommand)]
pub enum ContentCommand {
    /// Dry-run a draft: a questionnaire is compiled and compared with what was published; an
    /// indicator document is run over a cycle's stored returns beside the document in force,
    /// with every figure's difference. Nothing is stored.
    Check {
        /// The document (TOML).
        file: std::path::PathBuf,
        /// The cycle the draft is for.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// Whose stored returns an indicator document is run over (default: `--cycle`).
        #[arg(long, value_parser = parse_cycle)]
        returns_cycle: Option<i32>,
    },
    /// Publish a document as the cycle's next version (the same document again is a retry).
    Publish {
        file: std::path::PathBuf,
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Print a published document (its canonical JSON, which `publish` also accepts as TOML
    /// once converted).
    Get {
        /// `application_questionnaire`, `application_indicators`, `derived_figures`, ...
        #[arg(long)]
        kind: String,
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// 0: the latest version.
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    /// Publish the content that ships with the system (the 2023 round's) for a cycle.
    PublishShipped {
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Fetch every row and recompute the hash chain locally; fails naming the first broken row.
    Verify,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Service {
    All,
    Production,
    Compute,
    Circulation,
    Application,
    Aggregator,
}

/// Parses a role by its code (organiser, reporter, expert, publisher, reader, service).
fn parse_role(code: &str) -> std::result::Result<Role, String> {
    Role::from_code(code).ok_or_else(|| {
        let codes: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role {code}; expected one of {}", codes.join(", "))
    })
}

/// A dataset scale: above 0, at most 1 (the full 2023 sample).
fn parse_scale(text: &str) -> std::result::Result<f64, String> {
    match text.parse::<f64>() {
        Ok(scale) if scale > 0.0 && scale <= 1.0 => Ok(scale),
        _ => Err(format!(
            "expected a number above 0 and at most 1, got {text:?}"
        )),
    }
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Issue a bearer token; it is printed once and only its hash is stored.
    IssueToken {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Reporting unit a reporter is bound to.
        #[arg(long)]
        unit: Option<String>,
        /// Days the token is valid (default: the configured auth.token_validity_days).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_for_days: Option<u32>,
    },
    /// Revoke a token by its id.
    RevokeToken { token_id: String },
}

#[derive(Subcommand)]
pub enum CandidateCommand {
    /// Assemble a new candidate from the stage services' current results.
    Assemble {
        #[arg(long)]
        cycle: i32,
    },
    /// Show the latest candidate of a cycle.
    Show {
        #[arg(long)]
        cycle: i32,
    },
    /// List a cycle's candidates.
    List {
        #[arg(long)]
        cycle: i32,
    },
    /// Where a candidate stands in the three validation stages, with the reasons a stage has not
    /// passed.
    Status {
        /// Candidate id (see `ndrs candidate list`).
        candidate_id: String,
    },
}

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// List a cycle's release versions.
    List {
        #[arg(long)]
        cycle: i32,
    },
    /// Print a release version exactly as published (JSON, CSV or SDMX-ML), or its HTML report
    /// rendered here from the published JSON.
    Get {
        #[arg(long)]
        cycle: i32,
        /// 0: the latest version.
        #[arg(long, default_value_t = 0)]
        version: u32,
        #[arg(long, value_enum, default_value_t = ReleaseFormatArg::Json)]
        format: ReleaseFormatArg,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReleaseFormatArg {
    Json,
    Csv,
    Sdmx,
    /// The HTML report (Chinese and English, inline SVG charts) of the published JSON document.
    Html,
}
