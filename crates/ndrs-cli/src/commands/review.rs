//! `ndrs review open|show|vote`: stage 3, expert review rounds over a frozen candidate.

use ndrs_client::review;
use ndrs_core::Result;
use ndrs_platform::timestamp::display;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{Global, ReviewCommand, VerdictArg};
use crate::output::{emit, fields, table};

pub(super) async fn run(command: ReviewCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    let round = match command {
        ReviewCommand::Open { candidate, quorum } => {
            review::open(&session, &candidate, quorum).await?
        }
        ReviewCommand::Show { round_id } => review::show(&session, &round_id).await?,
        ReviewCommand::Vote {
            round_id,
            verdict,
            figure,
            reason,
            candidate_hash,
        } => {
            let verdict = match verdict {
                VerdictArg::Approve => pb::Verdict::Approve,
                VerdictArg::ApproveWithComments => pb::Verdict::ApproveWithComments,
                VerdictArg::Reject => pb::Verdict::Reject,
            };
            let request = pb::CastVoteRequest {
                round_id,
                candidate_hash: candidate_hash.unwrap_or_default(),
                figure_id: figure.unwrap_or_default(),
                verdict: verdict as i32,
                reason: reason.unwrap_or_default(),
            };
            review::vote(&session, request).await?
        }
    };
    emit(global.output, &round, render);
    Ok(())
}

fn name(text: &str, prefix: &str) -> String {
    text.trim_start_matches(prefix).to_lowercase()
}

fn render(r: &pb::ReviewRound) -> String {
    let state = pb::RoundState::try_from(r.state).map_or("unknown", |s| s.as_str_name());
    let mut text = fields(&[
        ("round", r.round_id.clone()),
        ("cycle", r.cycle_year.to_string()),
        ("number", r.number.to_string()),
        ("candidate", r.candidate_id.clone()),
        ("candidate hash", r.candidate_hash.clone()),
        ("frozen hash", r.frozen_hash.clone()),
        ("state", name(state, "ROUND_STATE_")),
        ("quorum", r.quorum.to_string()),
        ("figures frozen", r.figures.len().to_string()),
        ("opened", display(r.opened_at.as_ref())),
    ]);
    let rows: Vec<[String; 4]> = r
        .votes
        .iter()
        .map(|v| {
            let verdict = pb::Verdict::try_from(v.verdict).map_or("unknown", |x| x.as_str_name());
            [
                v.expert.clone(),
                if v.figure_id.is_empty() {
                    "(whole candidate)".into()
                } else {
                    v.figure_id.clone()
                },
                name(verdict, "VERDICT_"),
                v.reason.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        text.push_str(&table(["expert", "figure", "verdict", "reason"], &rows));
    }
    text
}
