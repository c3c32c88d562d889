//! The walk-through `ndrs demo` performs, in the library so that tests run exactly what the
//! command runs: the survey acted out on the seeded demo dataset, from frames to releases on disk
//! and the reproduction table of the published 2023 report.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::demo_data::{self, DemoOptions};
use ndrs_core::{Error, Result};
use ndrs_proto::v1 as pb;

use crate::publication::Trail;
use crate::target::Target;
use crate::{dataset, publication};

/// The demo dataset's seed: the same returns, figures and release on every run.
pub const DEMO_SEED: u64 = 20_231_231;

/// The survey acted out on the demo dataset ([`crate::demo_data`], generated with `options`;
/// `ndrs demo` uses the defaults): the organiser loads the frames and rule sets, every reporting
/// unit submits with its own token, the organiser runs the model; then each cycle (2022 first, so
/// 2023's growth rules read a published release) goes through the three validation stages to a
/// release written under `out`. Then late revisions carrying the planted inconsistencies must be
/// caught. Ends with the reproduction table of 2023 against the published report; fails if any
/// indicator does not reproduce. Returns the files written.
pub async fn walk_through(
    target: &Target<'_>,
    options: &DemoOptions,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let started = std::time::Instant::now();
    // The published figures calibrate the dataset and judge the result: a table that does not
    // parse is a clear error here, before anything runs.
    demo_data::targets::load()
        .map_err(|e| Error::FailedPrecondition(format!("the embedded 2023 reference data: {e}")))?;
    let data = demo_data::generate(DEMO_SEED, options);
    let mut written = Vec::new();
    let years: Vec<i32> = data.cycles.iter().map(|c| c.year).collect();
    println!(
        "== demo dataset (seed {DEMO_SEED}): cycles {years:?}, every reporting unit of the 2023 sample"
    );

    // The walk-through acts a survey out from its start. Services that already published one of
    // its cycles hold an earlier run (and possibly its planted revisions): a second run would
    // revise those releases, which needs a note a person writes, so it stops here instead.
    for year in &years {
        if let Some(release) = publication::releases(target, *year).await?.last() {
            return Err(Error::FailedPrecondition(format!(
                "cycle {year} already has release version {} on these services: the walk-through \
                 acts out a survey from the start and needs services with no releases \
                 (scripts/run-local.sh reset, or a fresh database)",
                release.version
            )));
        }
    }

    println!("== the organiser opens each cycle, loads its frames and rule set");
    dataset::load_frames(target, &data).await?;
    let mut rule_sets = BTreeMap::new();
    for (cycle, year) in data.cycles.iter().zip(&years) {
        let rules = publication::load_default_rules(target, *year).await?;
        println!(
            "   {year}: compute register of {} centres, application sample of {} units, rule set v{} ({} rules)",
            cycle.centre_register.centres.len(),
            cycle.sample_design.units.len(),
            rules.version,
            rules.rules
        );
        rule_sets.insert(*year, rules);
    }

    println!("== every reporting unit submits its returns over gRPC with its own token");
    let submitted = dataset::submit_all(target, &data, |done, total| {
        if done % 50 == 0 || done == total {
            let width = 40;
            let filled = width * done / total.max(1);
            eprint!(
                "\r   [{}{}] {done}/{total} units",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    })
    .await?;
    eprintln!();
    println!(
        "   {} returns from {} units in {:.1?}",
        submitted.returns,
        submitted.units,
        started.elapsed()
    );
    if !submitted.refused.is_empty() {
        return Err(Error::FailedPrecondition(format!(
            "{} returns refused:\n{}",
            submitted.refused.len(),
            submitted.refused.join("\n")
        )));
    }
    println!("== the organiser watches the round: `ndrs cycle progress`");
    for report in dataset::progress(target, &data).await? {
        print!(
            "{}",
            ndrs_client::text::progress_table(&report, 5, &["kind"])
        );
    }

    println!("== the organiser runs the full-volume model (seeded Monte Carlo)");
    for run in dataset::run_models(target, &data).await? {
        println!(
            "   {}: run {} with {} draws over {} inputs",
            run.cycle_year,
            run.run_id,
            run.draws,
            run.inputs.len()
        );
    }

    let mut last_candidate = None;
    for year in &years {
        println!("== cycle {year}: candidate, three validation stages, publication");
        let candidate = crate::publication::assemble(target, *year).await?;
        let rules = rule_sets
            .remove(year)
            .ok_or_else(|| Error::Internal(format!("no rule set loaded for {year}")))?;
        let trail = publication::validate_review_publish(target, &candidate, rules).await?;
        print_trail(&trail);
        let dir = out.join(format!("release-{year}"));
        for path in publication::write_release(target, &trail, &dir).await? {
            println!("   wrote {}", path.display());
            written.push(path);
        }
        last_candidate = Some(candidate);
    }

    let Some(candidate) = last_candidate else {
        return Err(Error::Internal("the demo dataset has no cycle".into()));
    };
    what_validation_catches(
        target,
        &data,
        options,
        candidate.cycle_year,
        &submitted.receipts,
    )
    .await?;
    let national: BTreeMap<&str, &pb::Figure> = candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .filter(|f| f.dimensions.is_empty())
        .map(|f| (f.id.as_str(), f))
        .collect();
    // A scaled dataset has a scaled register: C01 must count exactly its centres.
    let register = (options.scale < 1.0).then(|| {
        data.cycles
            .last()
            .map_or(0.0, |c| c.centre_register.centres.len() as f64)
    });
    let table = dataset::reproduction(&national, register);
    println!("== reproduction of the published 2023 report");
    println!("{}", table.lines.join("\n"));
    println!(
        "{} indicators reproduced, {} not produced (listed with the reason), {} failing; {:.1?} in all",
        table.reproduced,
        dataset::NOT_PRODUCED.len(),
        table.failing.len(),
        started.elapsed()
    );
    if table.failing.is_empty() {
        Ok(written)
    } else {
        Err(Error::FailedPrecondition(format!(
            "{} indicators do not reproduce:\n{}",
            table.failing.len(),
            table.failing.join("\n")
        )))
    }
}

fn print_trail(trail: &Trail) {
    let not_passed = trail
        .validation
        .results
        .iter()
        .filter(|r| r.status != pb::RuleStatus::Passed as i32)
        .count();
    println!(
        "   stage 1: {} rules; errors passed; {not_passed} warning(s) justified by the organiser",
        trail.validation.results.len()
    );
    let justified_deviations = trail
        .justifications
        .iter()
        .filter(|j| j.stage == pb::ValidationStage::Benchmarks as i32)
        .count();
    println!(
        "   stage 2: {} benchmark comparison(s) against registry v{}; {justified_deviations} deviation(s) justified",
        trail.benchmarks.comparisons.len(),
        trail.benchmarks.registry_version,
    );
    println!(
        "   stage 3: review round {} approved by {} demo experts (quorum {})",
        trail.round.number,
        trail.round.votes.len(),
        trail.round.quorum
    );
    println!(
        "   published release {} v{} (JSON sha256 {})",
        trail.release.release_id, trail.release.version, trail.release.document_sha256
    );
}

/// The last act: late revisions carrying known errors (the demo dataset's planted
/// inconsistencies) arrive after publication. Each unit revises its stored return; the organiser
/// assembles the changed cycle and runs stage 1, which must catch them and block publication,
/// while the published release stands unchanged.
async fn what_validation_catches(
    target: &Target<'_>,
    data: &demo_data::DemoData,
    options: &DemoOptions,
    year: i32,
    receipts: &dataset::Receipts,
) -> Result<()> {
    println!(
        "== what validation catches: late revisions of {year} carrying known errors (the dataset's planted inconsistencies)"
    );
    let started = std::time::Instant::now();
    let planted = demo_data::generate(
        DEMO_SEED,
        &DemoOptions {
            plant_inconsistencies: true,
            ..options.clone()
        },
    );
    let revisions = dataset::changed_returns(data, &planted, year)?;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (_, revision) in &revisions {
        *kinds.entry(revision.kind().to_string()).or_default() += 1;
    }
    let revised = dataset::submit_revisions(target, revisions, receipts).await?;
    if !revised.refused.is_empty() {
        return Err(Error::FailedPrecondition(format!(
            "{} revisions refused:\n{}",
            revised.refused.len(),
            revised.refused.join("\n")
        )));
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}(s)")).collect();
    println!(
        "   {} returns revised by {} units in {:.1?}: {}",
        revised.returns,
        revised.units,
        started.elapsed(),
        kinds.join(", ")
    );
    let candidate = crate::publication::assemble(target, year).await?;
    let (report, status) = publication::validate(target, &candidate).await?;
    println!(
        "   assembled and validated in {:.1?} since the first revision",
        started.elapsed()
    );
    for r in report
        .results
        .iter()
        .filter(|r| r.status != pb::RuleStatus::Passed as i32)
    {
        let severity = pb::Severity::try_from(r.severity)
            .map_or("?", |s| s.as_str_name())
            .trim_start_matches("RULE_SEVERITY_")
            .to_lowercase();
        let read: Vec<String> = r
            .inputs
            .iter()
            .map(|(name, value)| format!("{name} = {value:.4e}"))
            .collect();
        println!(
            "   {severity:<7} {}: {} [{}]",
            r.rule_id,
            r.description,
            read.join(", ")
        );
    }
    let blocked: Vec<String> = status
        .stages
        .iter()
        .filter(|s| !s.passed)
        .flat_map(|s| s.reasons.iter().cloned())
        .take(1)
        .collect();
    println!(
        "   candidate {} (sequence {}): publishable {}{}; the published release of {year} is unchanged",
        &candidate.candidate_id,
        candidate.sequence,
        status.publishable,
        blocked.first().map_or(String::new(), |r| format!(" ({r})"))
    );
    if report.passed_errors || status.publishable {
        return Err(Error::FailedPrecondition(
            "validation did not catch the planted inconsistencies".into(),
        ));
    }
    Ok(())
}
