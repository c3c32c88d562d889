//! `ndrs`: serve the services, administer tokens, drive the survey and run the demo.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ndrs_core::{Error, Result};
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_platform::client::channel;
use ndrs_platform::settings::Settings;
use ndrs_platform::stage::{Runtime, cancel_on_signal, shutdown_signal};
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;

#[derive(Parser)]
#[command(name = "ndrs", version, about = "National data resource survey")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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

#[derive(Subcommand)]
enum AuditCommand {
    /// Fetch every row and recompute the hash chain locally; fails naming the first broken row.
    Verify,
}

#[derive(Clone, Copy, ValueEnum)]
enum Service {
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
enum AdminCommand {
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
enum CandidateCommand {
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
enum ReleaseCommand {
    /// List a cycle's release versions.
    List {
        #[arg(long)]
        cycle: i32,
    },
    /// Print a release version exactly as published (JSON, CSV or SDMX-ML).
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
enum ReleaseFormatArg {
    Json,
    Csv,
    Sdmx,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ndrs: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // The work is done: whatever background task is left (a pool's connection, a telemetry
    // exporter) gets a bounded moment to finish, so that the command always ends.
    runtime.shutdown_timeout(SHUTDOWN_TIMEOUT);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ndrs: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How long a command waits for background tasks after its work before it exits anyway.
const SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn load_settings() -> Result<Settings> {
    Settings::load().map_err(|e| Error::FailedPrecondition(e.to_string()))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { service } => serve(service).await,
        Command::Demo {
            data_dir,
            remote,
            out,
            scale,
        } => {
            let options = ndrs_testkit::demo_data::DemoOptions {
                scale,
                ..Default::default()
            };
            if remote {
                demo_remote(&out, &options).await
            } else {
                demo(data_dir, &out, &options).await
            }
        }
        Command::Health => health().await,
        Command::Migrate => migrate().await,
        Command::Admin { command } => admin(command).await,
        Command::Candidate {
            command,
            url,
            token,
        } => candidate(command, url, token).await,
        Command::Release {
            command,
            url,
            token,
        } => release(command, url, token).await,
        Command::Audit {
            command,
            url,
            token,
        } => audit(command, url, token).await,
    }
}

async fn release(
    command: ReleaseCommand,
    url: Option<String>,
    token: Option<String>,
) -> Result<()> {
    let settings = load_settings()?;
    let url = url.unwrap_or_else(|| {
        format!(
            "http://{}:{}",
            settings.server.host, settings.services.aggregator.port
        )
    });
    let token =
        token.ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
    let mut client = AggregatorServiceClient::new(channel(&url, Some(&token))?);
    let status = ndrs_platform::grpc_status::from_status;
    match command {
        ReleaseCommand::List { cycle } => {
            let list = client
                .list_releases(pb::ListReleasesRequest { cycle_year: cycle })
                .await
                .map_err(status)?
                .into_inner();
            for r in list.releases {
                let embargo = if r.embargo_until.is_empty() {
                    "public".to_string()
                } else {
                    format!("embargo until {}", r.embargo_until)
                };
                println!(
                    "v{:<3} {} {} {} {} {}",
                    r.version, r.published_at, r.candidate_hash, r.document_sha256, embargo, r.note
                );
            }
        }
        ReleaseCommand::Get {
            cycle,
            version,
            format,
        } => {
            let format = match format {
                ReleaseFormatArg::Json => pb::ReleaseFormat::Json,
                ReleaseFormatArg::Csv => pb::ReleaseFormat::Csv,
                ReleaseFormatArg::Sdmx => pb::ReleaseFormat::Sdmx,
            };
            let document = client
                .get_release(pb::GetReleaseRequest {
                    cycle_year: cycle,
                    version,
                    format: format as i32,
                })
                .await
                .map_err(status)?
                .into_inner();
            use std::io::Write;
            std::io::stdout()
                .write_all(&document.content)
                .map_err(|e| Error::Internal(format!("stdout: {e}")))?;
        }
    }
    Ok(())
}

async fn audit(command: AuditCommand, url: Option<String>, token: Option<String>) -> Result<()> {
    let settings = load_settings()?;
    let url = url.unwrap_or_else(|| {
        format!(
            "http://{}:{}",
            settings.server.host, settings.services.aggregator.port
        )
    });
    let token =
        token.ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
    match command {
        AuditCommand::Verify => {
            match ndrs_cli::audit::verify(channel(&url, Some(&token))?).await? {
                ndrs_cli::audit::Verdict::Intact { rows, head } => {
                    println!("audit log intact: {rows} rows, head {head}");
                    Ok(())
                }
                ndrs_cli::audit::Verdict::Broken(b) => Err(Error::FailedPrecondition(format!(
                    "audit log tampered: {b}"
                ))),
            }
        }
    }
}

async fn serve(service: Service) -> Result<()> {
    let settings = load_settings()?;
    let _telemetry = ndrs_platform::telemetry::init(&settings.telemetry, "ndrs")
        .map_err(Error::FailedPrecondition)?;
    if let Service::All = service {
        let mut system = ndrs_cli::system::start(settings).await?;
        for (name, endpoint) in system.endpoints.services() {
            println!("{name:<36} {endpoint}");
        }
        println!("all services serving; Ctrl-C to stop");
        tokio::select! {
            _ = shutdown_signal() => {}
            e = system.any_stopped() => {
                let _ = system.stop().await;
                return Err(e);
            }
        }
        return system.stop().await;
    }
    let s = &settings.services;
    let port = match service {
        Service::Production => s.production.port,
        Service::Compute => s.compute.port,
        Service::Circulation => s.circulation.port,
        Service::Application => s.application.port,
        Service::Aggregator | Service::All => s.aggregator.port,
    };
    let listener = ndrs_platform::server::bind(&settings.server.host, port).await?;
    let endpoints = ndrs_aggregator::startup::endpoints_from_settings(&settings);
    let runtime = Runtime::from_settings(settings).await?;
    let shutdown = cancel_on_signal();
    match service {
        Service::Production => ndrs_production::startup::run(runtime, listener, shutdown).await,
        Service::Compute => ndrs_compute::startup::run(runtime, listener, shutdown).await,
        Service::Circulation => ndrs_circulation::startup::run(runtime, listener, shutdown).await,
        Service::Application => ndrs_application::startup::run(runtime, listener, shutdown).await,
        Service::Aggregator | Service::All => {
            ndrs_aggregator::startup::run(runtime, listener, endpoints, shutdown).await
        }
    }
}

async fn demo(
    data_dir: Option<std::path::PathBuf>,
    out: &std::path::Path,
    options: &ndrs_testkit::demo_data::DemoOptions,
) -> Result<()> {
    let mut settings = Settings::defaults();
    let temporary = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
    settings.data_dir = data_dir.unwrap_or_else(|| temporary.path().to_path_buf());
    for port in [
        &mut settings.services.aggregator.port,
        &mut settings.services.production.port,
        &mut settings.services.compute.port,
        &mut settings.services.circulation.port,
        &mut settings.services.application.port,
    ] {
        *port = 0;
    }
    settings.telemetry.log_filter = "warn".into();
    // Thousands of returns arrive within two minutes: re-assembling after every 200 ms burst
    // would recompute every stage hundreds of times for nothing. The demo assembles itself.
    settings.aggregator.revalidate_debounce_ms = 3_000;
    let _telemetry = ndrs_platform::telemetry::init(&settings.telemetry, "ndrs-demo")
        .map_err(Error::FailedPrecondition)?;
    println!(
        "starting every service on loopback (embedded SQLite in {})",
        settings.data_dir.display()
    );
    let system = ndrs_cli::system::start(settings).await?;
    let outcome = ndrs_cli::walkthrough::walk_through(&(&system).into(), options, out)
        .await
        .map(|_| ());
    system.stop().await?;
    outcome
}

async fn demo_remote(
    out: &std::path::Path,
    options: &ndrs_testkit::demo_data::DemoOptions,
) -> Result<()> {
    let settings = load_settings()?;
    let host = &settings.server.host;
    let s = &settings.services;
    let url = |port: u16| format!("http://{host}:{port}");
    let endpoints = ndrs_cli::system::SystemEndpoints {
        aggregator: url(s.aggregator.port),
        production: url(s.production.port),
        compute: url(s.compute.port),
        circulation: url(s.circulation.port),
        application: url(s.application.port),
    };
    for (service, endpoint) in endpoints.services() {
        ndrs_cli::system::health_status(endpoint, service).await?;
    }
    let identity = IdentityStore::open(&settings).await?;
    println!("running the walk-through against the services at {host}");
    ndrs_cli::walkthrough::walk_through(
        &ndrs_cli::demo::Target {
            endpoints: &endpoints,
            identity: &identity,
        },
        options,
        out,
    )
    .await
    .map(|_| ())
}

async fn health() -> Result<()> {
    let settings = load_settings()?;
    let host = &settings.server.host;
    let s = &settings.services;
    let mut all_serving = true;
    for (service, port) in [
        ("ndrs.v1.AggregatorService", s.aggregator.port),
        ("ndrs.v1.ProductionStorageService", s.production.port),
        ("ndrs.v1.ComputeCensusService", s.compute.port),
        ("ndrs.v1.CirculationSurveyService", s.circulation.port),
        ("ndrs.v1.ApplicationSurveyService", s.application.port),
    ] {
        let endpoint = format!("http://{host}:{port}");
        match ndrs_cli::system::health_status(&endpoint, service).await {
            Ok(status) => {
                all_serving &=
                    status == tonic_health::pb::health_check_response::ServingStatus::Serving;
                println!("{service:<36} {endpoint:<24} {}", status.as_str_name());
            }
            Err(e) => {
                all_serving = false;
                println!("{service:<36} {endpoint:<24} unreachable ({e})");
            }
        }
    }
    if all_serving {
        Ok(())
    } else {
        Err(Error::Unavailable("not every service is serving".into()))
    }
}

async fn migrate() -> Result<()> {
    use ndrs_platform::db::{DatabaseTarget, connect_and_migrate};
    let settings = load_settings()?;
    IdentityStore::open(&settings).await?;
    println!("identity: up to date");
    let target = |name: &str| DatabaseTarget::resolve(&settings, name, "");
    connect_and_migrate(
        &target(ndrs_production::STAGE_NAME)?,
        &ndrs_production::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_compute::STAGE_NAME)?,
        &ndrs_compute::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_circulation::STAGE_NAME)?,
        &ndrs_circulation::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_application::STAGE_NAME)?,
        &ndrs_application::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_aggregator::SERVICE_NAME)?,
        &ndrs_aggregator::startup::Migrator,
    )
    .await?;
    println!("production, compute, circulation, application, aggregator: up to date");
    Ok(())
}

async fn admin(command: AdminCommand) -> Result<()> {
    let settings = load_settings()?;
    let identity = IdentityStore::open(&settings).await?;
    let done = match command {
        AdminCommand::IssueToken {
            name,
            role,
            unit,
            valid_for_days,
        } => match valid_for_days {
            Some(days) => {
                identity
                    .issue_valid_for(
                        &name,
                        role,
                        unit.as_deref(),
                        std::time::Duration::from_secs(u64::from(days) * 86_400),
                    )
                    .await
            }
            None => identity.issue(&name, role, unit.as_deref()).await,
        }
        .map(|issued| {
            eprintln!(
                "issued token {} for {} ({}); it is shown once, store it now",
                issued.token_id, issued.principal.name, issued.principal.role
            );
            println!("{}", issued.token);
        }),
        AdminCommand::RevokeToken { token_id } => identity
            .revoke(&token_id)
            .await
            .map(|()| println!("revoked {token_id}")),
    };
    identity.close().await;
    done
}

async fn candidate(
    command: CandidateCommand,
    url: Option<String>,
    token: Option<String>,
) -> Result<()> {
    let settings = load_settings()?;
    let url = url.unwrap_or_else(|| {
        format!(
            "http://{}:{}",
            settings.server.host, settings.services.aggregator.port
        )
    });
    let token =
        token.ok_or_else(|| Error::Unauthenticated("pass --token or set NDRS_TOKEN".into()))?;
    let mut client = AggregatorServiceClient::new(channel(&url, Some(&token))?);
    let status = ndrs_platform::grpc_status::from_status;
    let base = settings.presentation.zettabyte_base;
    match command {
        CandidateCommand::Assemble { cycle } => {
            let c = client
                .assemble_candidate(pb::AssembleCandidateRequest { cycle_year: cycle })
                .await
                .map_err(status)?
                .into_inner();
            print!("{}", ndrs_cli::demo::render(&c, base));
        }
        CandidateCommand::Show { cycle } => {
            let c = client
                .get_candidate(pb::GetCandidateRequest {
                    candidate_id: String::new(),
                    cycle_year: cycle,
                })
                .await
                .map_err(status)?
                .into_inner();
            print!("{}", ndrs_cli::demo::render(&c, base));
        }
        CandidateCommand::Status { candidate_id } => {
            let s = client
                .get_candidate_status(pb::GetCandidateStatusRequest { candidate_id })
                .await
                .map_err(status)?
                .into_inner();
            println!("candidate {} ({})", s.candidate_id, s.candidate_hash);
            for stage in &s.stages {
                let name = pb::ValidationStage::try_from(stage.stage)
                    .map_or("unknown", |st| st.as_str_name())
                    .trim_start_matches("VALIDATION_STAGE_")
                    .to_lowercase();
                println!(
                    "  {name:<10} {}",
                    if stage.passed { "passed" } else { "not passed" }
                );
                for reason in &stage.reasons {
                    println!("    - {reason}");
                }
            }
            println!(
                "{}",
                if s.publishable {
                    "publishable"
                } else {
                    "not publishable"
                }
            );
        }
        CandidateCommand::List { cycle } => {
            let list = client
                .list_candidates(pb::ListCandidatesRequest { cycle_year: cycle })
                .await
                .map_err(status)?
                .into_inner();
            for c in list.candidates {
                println!(
                    "#{:<3} {} {} {} {}",
                    c.sequence,
                    c.candidate_id,
                    c.content_hash,
                    c.assembled_at,
                    pb::CandidateTrigger::try_from(c.trigger)
                        .map_or("unknown", |t| t.as_str_name())
                );
            }
        }
    }
    Ok(())
}
