//! `ndrs candidate assemble|show|list|status`: the aggregator's candidate releases, printed as a
//! table of their published-indicator figures in presentation units.

use std::fmt::Write as _;

use ndrs_core::Result;
use ndrs_core::catalogue::Catalogue;
use ndrs_core::units::{Unit, ZettabyteBase, present};
use ndrs_platform::grpc_status::answer;
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::{AggregatorTarget, load_settings};
use crate::cli::CandidateCommand;

pub(super) async fn run(command: CandidateCommand, target: AggregatorTarget) -> Result<()> {
    let settings = load_settings()?;
    let mut client = target.client(&settings)?;
    let base = settings.presentation.zettabyte_base;
    match command {
        CandidateCommand::Assemble { cycle } => {
            let request = pb::AssembleCandidateRequest { cycle_year: cycle };
            let c = answer(client.assemble_candidate(request).await)?;
            print!("{}", render(&c, base));
        }
        CandidateCommand::Show { cycle } => {
            let request = pb::GetCandidateRequest {
                candidate: Some(pb::get_candidate_request::Candidate::CycleYear(cycle)),
            };
            let c = answer(client.get_candidate(request).await)?;
            print!("{}", render(&c, base));
        }
        CandidateCommand::Status { candidate_id } => {
            let request = pb::GetCandidateStatusRequest { candidate_id };
            let s = answer(client.get_candidate_status(request).await)?;
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
            let request = pb::ListCandidatesRequest { cycle_year: cycle };
            let list = answer(client.list_candidates(request).await)?;
            for c in list.candidates {
                println!(
                    "#{:<3} {} {} {} {}",
                    c.sequence,
                    c.candidate_id,
                    c.content_hash,
                    display(c.assembled_at.as_ref()),
                    pb::CandidateTrigger::try_from(c.trigger)
                        .map_or("unknown", |t| t.as_str_name())
                );
            }
        }
    }
    Ok(())
}

/// A table of a candidate's published-indicator figures, in presentation units.
pub fn render(candidate: &pb::Candidate, base: ZettabyteBase) -> String {
    let catalogue = Catalogue::embedded();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "candidate {} (cycle {}, #{}), content hash {}",
        candidate.candidate_id, candidate.cycle_year, candidate.sequence, candidate.content_hash
    );
    let _ = writeln!(
        out,
        "{:<5} {:<48} {:>14}  {:<22} {:<27} inputs",
        "id", "indicator", "value", "unit", "95% interval"
    );
    for stage in &candidate.stages {
        for f in stage
            .figures
            .iter()
            .filter(|f| f.kind == pb::FigureKind::Estimate as i32)
        {
            let name = catalogue
                .get(&f.id)
                .map_or("(not in catalogue)", |i| i.name_en.as_str());
            let Some(unit) = Unit::from_i32(f.unit) else {
                continue;
            };
            let p = present(f.value, unit, base);
            let inputs = f.lineage.as_ref().map_or(0, |l| l.returns.len());
            let interval = f.interval.as_ref().map_or(String::new(), |i| {
                let scale = if f.value == 0.0 {
                    1.0
                } else {
                    p.value / f.value
                };
                format!("[{:.6}, {:.6}]", i.lower * scale, i.upper * scale)
            });
            let _ = writeln!(
                out,
                "{:<5} {:<48} {:>14.6}  {:<22} {:<27} {} returns",
                f.id, name, p.value, p.unit_label, interval, inputs
            );
        }
    }
    out
}
