//! The command line: every command, argument and help text (`ndrs --help`, `ndrs <command>
//! --help`). Parsing only; [`crate::commands`] runs what was parsed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ndrs_platform::auth::Role;

/// What `--help` says of exit codes; [`crate::exit`] is the one place that chooses them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0   success
  1   any other failure (an internal error of a service, an unexpected reply)
  2   usage: an unknown command or option, a missing or malformed argument
  3   invalid argument: a service or a file refused the input (every offending field is named)
  4   permission or authentication: no token, an unknown or expired one, or a role that may not
  5   not found, or a precondition or conflict: the thing asked for is absent or not in a state
      to do it
  69  unavailable: a service could not be reached (the address is named); retry later

Addresses come from the configuration (config/*.toml, NDRS__SERVER__HOST,
NDRS__SERVICES__<SERVICE>__PORT). Results go to stdout, progress and errors to stderr.";

#[derive(Parser)]
#[command(
    name = "ndrs",
    version,
    about = "National data resource survey: run the services, and every step of a survey round",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Options every command accepts.
#[derive(Args, Clone)]
pub struct Global {
    /// Bearer token of the caller (an organiser's, a reporter's, an expert's...). Only its
    /// holder's role matters; commands that need one say which.
    #[arg(long, env = "NDRS_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// How read commands print their answer: a table for people, or JSON (the proto3 JSON
    /// mapping of the gRPC answer) for scripts.
    #[arg(long, value_enum, default_value_t = Output::Table, global = true)]
    pub output: Output,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run services: `all` (default: every service in one process) or one of them.
    Serve {
        /// Which service to run.
        #[arg(value_enum, default_value_t = Service::All)]
        service: Service,
    },
    /// Run the survey walk-through on the embedded default in a fresh data directory.
    Demo {
        /// Keep the data here instead of a temporary directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Run against separately started services (their configured addresses and identity
        /// database, e.g. from `scripts/run-local.sh`) instead of starting them in-process.
        #[arg(long)]
        remote: bool,
        /// Where the release is written (`<out>/release-<cycle>/`: JSON, CSV, SDMX, HTML).
        #[arg(long, default_value = "out")]
        out: PathBuf,
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
    /// A cycle's collection window: open, extend, close, and how the round is going
    /// (organisers).
    Cycle {
        #[command(subcommand)]
        command: CycleCommand,
    },
    /// The cycle's reporting frame: every unit expected to report (organisers). Besides JSON and
    /// TOML, a frame loads from a CSV with the columns reporting_unit_id, name, subject_type,
    /// province_code, industry, size_class, expected_kinds (separated by `;`), contact, stratum
    /// and design_weight.
    Frame {
        #[command(subcommand)]
        command: FrameCommand,
    },
    /// Reporter tokens for the units of a frame, written to a file for distribution
    /// (against the configured identity database, like `admin`).
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
    /// Submit returns from JSON-lines files (organisers: with a tokens file; reporters: their
    /// own unit's), idempotently: running a file twice stores nothing twice.
    #[command(after_help = SUBMIT_HELP)]
    Submit(SubmitArgs),
    /// Stored returns: a cycle's list, one return, its versions.
    Returns {
        #[command(subcommand)]
        command: ReturnsCommand,
    },
    /// The application survey's sample design, loaded from a file (organisers).
    Design {
        #[command(subcommand)]
        command: FrameCommand,
    },
    /// The compute census's centre register, loaded from a file (organisers).
    Register {
        #[command(subcommand)]
        command: FrameCommand,
    },
    /// Stage 1: a cycle's cross-entity rule set (organisers).
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Stage 2: the registry of outside figures the candidate is compared with (organisers).
    Benchmarks {
        #[command(subcommand)]
        command: BenchmarksCommand,
    },
    /// Candidate releases held by the aggregator, and running stages 1 and 2 on one.
    Candidate {
        #[command(subcommand)]
        command: CandidateCommand,
        /// Aggregator address; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// Record why a failed warning rule or an out-of-band benchmark is acceptable (organisers).
    Justify(JustifyArgs),
    /// Stage 3: expert review rounds over a frozen candidate.
    Review {
        #[command(subcommand)]
        command: ReviewCommand,
    },
    /// Publish a candidate that passed all three stages as the cycle's next release version
    /// (publishers).
    Publish(PublishArgs),
    /// Published releases.
    Release {
        #[command(subcommand)]
        command: ReleaseCommand,
        /// Aggregator address; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// The survey's content documents: questionnaires, indicator documents and derived figures
    /// (docs/content.md). Each goes to the service its `kind` belongs to, at the configured
    /// addresses; answers are printed as JSON.
    Content {
        #[command(subcommand)]
        command: ContentCommand,
    },
    /// The aggregator's hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        /// Aggregator address; defaults to the configured host and port.
        #[arg(long, global = true)]
        url: Option<String>,
    },
    /// Print a shell completion script (e.g. `ndrs completions bash > /etc/bash_completion.d/ndrs`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const SUBMIT_HELP: &str = "\
Each line of a file is one return of one unit, a JSON object:
  {\"kind\": \"compute_centre\", \"return\": {\"header\": {\"cycleYear\": 2024, \"reportingUnitId\": \"c-1\"}, ...}}
  {\"kind\": \"application_questionnaire\", \"answers\": {\"header\": {...}, \"respondent\": {...}, \"answers\": {...}}}
`return` is the kind's return message and `answers` an AnswerReturn, both in the proto3 JSON mapping.
A header without an idempotency key gets one derived from the line, so the same line is stored once
however often it is sent; a header with a return id revises that return. Every outcome is appended
to the receipts file as it arrives; running the same files again skips what was accepted.
A CSV (for kinds answered by question id: compute_centre, application_questionnaire) has a
header row: reserved columns kind (or --kind), reporting_unit_id, cycle_year (or --cycle),
idempotency_key, return_id, subject_type, province_code, industry, size_class, and one column
per question id of the kind's published questionnaire, typed by it. An empty cell is a question
not answered; several codes of a choice are separated by `;`; repeat groups need JSON lines.
Exits 3 when a return was refused and 69 when one could not be sent (run it again to resume).";

#[derive(Subcommand)]
pub enum CycleCommand {
    /// Open a cycle's collection window. Returns are taken from `--opens-at`; after the deadline
    /// they are still taken but counted late, until the cycle is closed.
    Open {
        /// The cycle year (the reference year the figures describe).
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// RFC 3339 time of the deadline, e.g. 2025-03-31T18:00:00+08:00.
        #[arg(long)]
        deadline: String,
        /// RFC 3339 time the window opens (default: now).
        #[arg(long)]
        opens_at: Option<String>,
        /// The standard time point, YYYY-MM-DD (default: 31 December of the cycle year).
        #[arg(long, default_value = "")]
        reference_date: String,
    },
    /// Move an open cycle's deadline later.
    Extend {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// The new deadline (RFC 3339), later than the one in force.
        #[arg(long)]
        deadline: String,
        /// Why the deadline moves (recorded and audited).
        #[arg(long)]
        reason: String,
    },
    /// Close an open cycle: no return for it is taken after this.
    Close {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// A cycle's window and history.
    Show {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Every cycle.
    List,
    /// How the round is going: expected, received, late, revised, refused and outstanding
    /// returns, by kind, stratum, subject type, province and size class; response rates; the
    /// outstanding units to chase; receipts per day.
    Progress {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// Most outstanding returns listed in the table (JSON lists them all).
        #[arg(long, default_value_t = 20)]
        outstanding: usize,
        /// The breakdowns the table shows (repeat or separate with commas; default: all).
        #[arg(long, value_enum, value_delimiter = ',')]
        by: Vec<Breakdown>,
    },
}

/// A breakdown of the progress report.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Breakdown {
    Kind,
    Stratum,
    SubjectType,
    Province,
    SizeClass,
}

impl Breakdown {
    pub fn code(self) -> &'static str {
        match self {
            Breakdown::Kind => "kind",
            Breakdown::Stratum => "stratum",
            Breakdown::SubjectType => "subject_type",
            Breakdown::Province => "province",
            Breakdown::SizeClass => "size_class",
        }
    }
}

#[derive(Subcommand)]
pub enum TokensCommand {
    /// Issue a reporter token for every unit of a frame and write them to `--out` (CSV:
    /// reporting_unit_id, name, contact, token_id, token, expires_at; readable by its owner
    /// only). Tokens are never printed or logged; only their hashes are stored.
    Issue {
        /// A frame file (as `ndrs frame load` reads it) ...
        #[arg(long, required_unless_present = "cycle", conflicts_with = "cycle")]
        frame: Option<PathBuf>,
        /// ... or the cycle whose loaded frame the aggregator holds (needs an organiser's token).
        #[arg(long, value_parser = parse_cycle)]
        cycle: Option<i32>,
        /// Only units expected to send this return kind.
        #[arg(long, value_enum)]
        kind: Option<ReturnKind>,
        /// Where the tokens are written; refused if it exists, so no file of live tokens is
        /// overwritten by mistake.
        #[arg(long)]
        out: PathBuf,
        /// Days the tokens are valid (default: the configured auth.token_validity_days).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        valid_for_days: Option<u32>,
    },
}

#[derive(Args)]
pub struct SubmitArgs {
    /// Files of returns: JSON lines (`.jsonl`, one return per line, `#` starts a comment line)
    /// or a CSV of answers by question id (`.csv`, one return per row, see below).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The return kind of every row of a CSV that has no `kind` column.
    #[arg(long, value_enum)]
    pub kind: Option<ReturnKind>,
    /// The cycle of returns whose header names none.
    #[arg(long, value_parser = parse_cycle)]
    pub cycle: Option<i32>,
    /// A CSV of `reporting_unit_id,token` (what `ndrs admin issue-token` gives, one per unit):
    /// each return is sent with its unit's token. Without it every return is sent with `--token`.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Returns in flight at once (1 to 64).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Where every receipt is appended (JSON lines); also what a second run resumes from.
    #[arg(long, default_value = "receipts.jsonl")]
    pub receipts: PathBuf,
}

/// The return kinds, as `--kind` accepts them.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ReturnKind {
    DeviceParameters,
    StorageMedium,
    ComputeCentre,
    CarrierTraffic,
    ExchangeActivity,
    ApplicationQuestionnaire,
    SharingHub,
}

impl ReturnKind {
    pub fn code(self) -> &'static str {
        match self {
            ReturnKind::DeviceParameters => "device_parameters",
            ReturnKind::StorageMedium => "storage_medium",
            ReturnKind::ComputeCentre => "compute_centre",
            ReturnKind::CarrierTraffic => "carrier_traffic",
            ReturnKind::ExchangeActivity => "exchange_activity",
            ReturnKind::ApplicationQuestionnaire => "application_questionnaire",
            ReturnKind::SharingHub => "sharing_hub",
        }
    }
}

#[derive(Subcommand)]
pub enum ReturnsCommand {
    /// The latest version of every return a stage service holds for a cycle (a reporter sees
    /// its own unit's).
    List {
        /// A return kind; the list is of the whole service that receives it.
        #[arg(long, value_enum)]
        kind: ReturnKind,
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// Only this reporting unit's returns.
        #[arg(long)]
        unit: Option<String>,
    },
    /// One version of a return, with its payload (from whichever stage holds it).
    Show {
        /// The return id a receipt names.
        return_id: String,
        /// The version (0: the latest).
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    /// Every stored version of a return, oldest first.
    History {
        /// The return id a receipt names.
        return_id: String,
    },
}

#[derive(Subcommand)]
pub enum FrameCommand {
    /// Load a file (the load request in the proto3 JSON mapping, `.json`, or the same fields in
    /// TOML, `.toml`; a frame also `.csv`) as the cycle's next version.
    Load {
        /// The file.
        file: PathBuf,
        /// The cycle, when the file names none (or to check that it names this one).
        #[arg(long, value_parser = parse_cycle)]
        cycle: Option<i32>,
    },
    /// Print a cycle's version (`--output json` gives a file `load` accepts again).
    Show {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// The version (0: the latest).
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Load a rule set as the cycle's next version: a file holding `{"rules": [...]}` (JSON or
    /// TOML; each rule has id, description, expression, severity SEVERITY_ERROR or
    /// SEVERITY_WARNING, tolerance), or the built-in default with `--default`.
    Load {
        /// The rules file (omit with `--default`).
        #[arg(required_unless_present = "default", conflicts_with = "default")]
        file: Option<PathBuf>,
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// Load the survey's built-in default rule set.
        #[arg(long)]
        default: bool,
    },
    /// Print a cycle's rule set (`--output json` gives rules `load` accepts again).
    Show {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// The version (0: the latest).
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
}

#[derive(Subcommand)]
pub enum BenchmarksCommand {
    /// Add outside figures as the registry's next version: a file holding
    /// `{"note": "...", "benchmarks": [...]}` (JSON or TOML).
    Add {
        /// The benchmarks file.
        file: PathBuf,
    },
    /// Print the registry.
    Show {
        /// The version (0: the latest).
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
}

/// A validation stage a finding belongs to.
#[derive(Clone, Copy, ValueEnum)]
pub enum StageArg {
    /// Stage 1: a failed warning rule, named by its rule id.
    Rules,
    /// Stage 2: an out-of-band benchmark, named by its benchmark id.
    Benchmarks,
}

#[derive(Args)]
pub struct JustifyArgs {
    /// The candidate the finding is on.
    #[arg(long)]
    pub candidate: String,
    /// Which stage's finding.
    #[arg(long, value_enum)]
    pub stage: StageArg,
    /// The rule id (stage 1) or benchmark id (stage 2).
    #[arg(long)]
    pub subject: String,
    /// Why the finding is acceptable (at most 4,000 characters).
    #[arg(
        long,
        required_unless_present = "text_file",
        conflicts_with = "text_file"
    )]
    pub text: Option<String>,
    /// A file holding the justification text.
    #[arg(long)]
    pub text_file: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Open a review round over a candidate, freezing its figures (organisers).
    Open {
        /// The candidate to review.
        #[arg(long)]
        candidate: String,
        /// Distinct experts whose approval passes the round (1 to 100).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        quorum: u32,
    },
    /// A round's state, votes and frozen figures.
    Show {
        /// The round id `open` printed.
        round_id: String,
    },
    /// Cast an expert's vote on the whole candidate or on one frozen figure (experts).
    Vote {
        /// The round id.
        round_id: String,
        /// The verdict.
        #[arg(long, value_enum)]
        verdict: VerdictArg,
        /// A frozen figure's key (P01, or C04{province=11}); omit to vote on the whole candidate.
        #[arg(long)]
        figure: Option<String>,
        /// The reason; required to reject or to approve with comments.
        #[arg(long)]
        reason: Option<String>,
        /// The content hash of the candidate reviewed (default: the round's, as `show` prints
        /// it). A vote on another hash is refused.
        #[arg(long)]
        candidate_hash: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum VerdictArg {
    Approve,
    ApproveWithComments,
    Reject,
}

#[derive(Args)]
pub struct PublishArgs {
    /// The candidate to publish (it must have passed all three stages).
    #[arg(long)]
    pub candidate: String,
    /// RFC 3339 time before which readers see only that the release exists
    /// (e.g. 2025-03-01T09:00:00+08:00); default: public at once.
    #[arg(long)]
    pub embargo_until: Option<String>,
    /// What changed and why; required for a revision (version 2 and later).
    #[arg(long, default_value = "")]
    pub note: String,
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
        /// The document (TOML).
        file: std::path::PathBuf,
        /// The cycle the document is for.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Print a published document (its canonical JSON, which `publish` also accepts as TOML
    /// once converted).
    Get {
        /// `application_questionnaire`, `application_indicators`, `derived_figures`, ...
        #[arg(long)]
        kind: String,
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// 0: the latest version.
        #[arg(long, default_value_t = 0)]
        version: u32,
    },
    /// Publish the content that ships with the system (the 2023 round's) for a cycle.
    PublishShipped {
        /// The cycle year.
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
    /// Every service in one process.
    All,
    Production,
    Compute,
    Circulation,
    Application,
    Aggregator,
    /// The web console and public pages, a client of the aggregator.
    Web,
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
        /// Who the token is for, as the audit log names them.
        #[arg(long)]
        name: String,
        /// organiser, reporter, expert, publisher, reader or service.
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
    RevokeToken {
        /// The token id `issue-token` printed.
        token_id: String,
    },
}

#[derive(Subcommand)]
pub enum CandidateCommand {
    /// Assemble a new candidate from the stage services' current results.
    Assemble {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Show the latest candidate of a cycle.
    Show {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// List a cycle's candidates.
    List {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Run stage 1 (cross-entity rules) and stage 2 (benchmarks) on a candidate and print both
    /// reports; exits 5 while a stage has findings that block publication.
    Validate {
        /// Candidate id (see `ndrs candidate list`).
        candidate_id: String,
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
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
    },
    /// Print a release version exactly as published (JSON, CSV or SDMX-ML), or its HTML report
    /// rendered here from the published JSON.
    Get {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// 0: the latest version.
        #[arg(long, default_value_t = 0)]
        version: u32,
        /// The form printed.
        #[arg(long, value_enum, default_value_t = ReleaseFormatArg::Json)]
        format: ReleaseFormatArg,
    },
    /// What changed between two versions, figure by figure (added, removed, revised).
    Diff {
        /// The cycle year.
        #[arg(long, value_parser = parse_cycle)]
        cycle: i32,
        /// The earlier version.
        from: u32,
        /// The later version.
        to: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReleaseFormatArg {
    /// The release document as published (the canonical JSON).
    Json,
    /// One row per figure.
    Csv,
    /// SDMX-ML 2.1 generic data.
    Sdmx,
    /// The HTML report (Chinese and English, inline SVG charts) of the published JSON document.
    Html,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    /// Every command and every argument of every command says what it is for.
    #[test]
    fn every_command_and_argument_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            if command.get_about().is_none() && path != "ndrs" {
                missing.push(format!("{path}: no about"));
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if ["help", "version"].contains(&id) {
                    continue;
                }
                if arg.get_help().is_none() {
                    missing.push(format!("{path} {id}: no help"));
                }
            }
            for sub in command.get_subcommands() {
                if sub.get_name() != "help" {
                    walk(sub, &path, missing);
                }
            }
        }
        let mut missing = Vec::new();
        let command = Cli::command();
        command.clone().debug_assert();
        walk(&command, "", &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
    }
}
