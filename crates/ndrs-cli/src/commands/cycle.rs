//! `ndrs cycle open|extend|close|show|list|progress` and `ndrs frame load|show`: the round's
//! calendar and frame, and the progress report a working group reads every day of the window.

use ndrs_client::cycles;
use ndrs_core::{Error, Result};
use ndrs_platform::timestamp::display;
use ndrs_proto::prost_types::Timestamp;
use ndrs_proto::v1 as pb;

use super::session;
use crate::cli::{CycleCommand, FrameCommand, Global};
use crate::output::{emit, fields, table};
use ndrs_client::text::cycle_state as state;

/// An RFC 3339 time from the command line, as a wire timestamp; the error names the option.
fn time(option: &str, text: &str) -> Result<Timestamp> {
    let t = chrono::DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        Error::invalid(
            option,
            format!(
                "`{}` is not an RFC 3339 time such as 2025-03-31T18:00:00+08:00: {e}",
                ndrs_core::error::bounded(text, 64)
            ),
        )
    })?;
    Ok(Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

pub(super) async fn run(command: CycleCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    let output = global.output;
    match command {
        CycleCommand::Open {
            cycle,
            deadline,
            opens_at,
            reference_date,
        } => {
            let deadline = time("--deadline", &deadline)?;
            let opens_at = opens_at.map(|t| time("--opens-at", &t)).transpose()?;
            let c = cycles::open(&session, cycle, &reference_date, opens_at, deadline).await?;
            emit(output, &c, render_cycle);
        }
        CycleCommand::Extend {
            cycle,
            deadline,
            reason,
        } => {
            let deadline = time("--deadline", &deadline)?;
            let c = cycles::extend(&session, cycle, deadline, &reason).await?;
            emit(output, &c, render_cycle);
        }
        CycleCommand::Close { cycle } => {
            let c = cycles::close(&session, cycle).await?;
            emit(output, &c, render_cycle);
        }
        CycleCommand::Show { cycle } => {
            let c = cycles::get(&session, cycle).await?;
            emit(output, &c, render_cycle);
        }
        CycleCommand::List => {
            let list = pb::ListCyclesResponse {
                cycles: cycles::list(&session).await?,
            };
            emit(output, &list, |l| {
                let rows: Vec<[String; 4]> = l
                    .cycles
                    .iter()
                    .map(|c| {
                        [
                            c.cycle_year.to_string(),
                            state(c),
                            display(c.opens_at.as_ref()),
                            display(c.deadline.as_ref()),
                        ]
                    })
                    .collect();
                table(["cycle", "state", "opens", "deadline"], &rows)
            });
        }
        CycleCommand::Progress {
            cycle,
            outstanding,
            by,
        } => {
            let p = cycles::progress(&session, cycle).await?;
            let by: Vec<&str> = if by.is_empty() {
                ndrs_client::text::PROGRESS_DIMENSIONS.to_vec()
            } else {
                by.iter().map(|d| d.code()).collect()
            };
            emit(output, &p, |p| {
                ndrs_client::text::progress_table(p, outstanding, &by)
            });
        }
    }
    Ok(())
}

pub(super) async fn frame(command: FrameCommand, global: &Global) -> Result<()> {
    let session = session(global, None)?;
    match command {
        FrameCommand::Load { file, cycle } => {
            let request = cycles::read_frame(&file, cycle)?;
            let s = cycles::load_frame(&session, request).await?;
            emit(global.output, &s, render_frame_summary);
        }
        FrameCommand::Show { cycle, version } => {
            let f = cycles::frame(&session, cycle, version).await?;
            emit(global.output, &f, |f| {
                let mut text = f
                    .summary
                    .as_ref()
                    .map(render_frame_summary)
                    .unwrap_or_default();
                let rows: Vec<[String; 5]> = f
                    .units
                    .iter()
                    .map(|u| {
                        [
                            u.reporting_unit_id.clone(),
                            u.name.clone(),
                            u.province_code.clone(),
                            u.expected_kinds.join(";"),
                            u.contact.clone(),
                        ]
                    })
                    .collect();
                text.push_str(&table(
                    ["unit", "name", "province", "expects", "contact"],
                    &rows,
                ));
                text
            });
        }
    }
    Ok(())
}

fn render_frame_summary(s: &pb::FrameSummary) -> String {
    fields(&[
        ("cycle", s.cycle_year.to_string()),
        ("version", s.version.to_string()),
        ("units", s.units.to_string()),
        ("expected returns", s.expected_returns.to_string()),
        ("content hash", s.content_hash.clone()),
        ("loaded", display(s.loaded_at.as_ref())),
    ])
}

fn render_cycle(c: &pb::Cycle) -> String {
    let mut text = fields(&[
        ("cycle", c.cycle_year.to_string()),
        ("reference date", c.reference_date.clone()),
        ("state", state(c)),
        ("opens", display(c.opens_at.as_ref())),
        ("deadline", display(c.deadline.as_ref())),
    ]);
    let rows: Vec<[String; 4]> = c
        .events
        .iter()
        .map(|e| {
            [
                display(e.at.as_ref()),
                e.action.clone(),
                e.actor.clone(),
                match &e.deadline {
                    Some(d) => format!("deadline {}{}", display(Some(d)), reason(&e.reason)),
                    None => reason(&e.reason),
                },
            ]
        })
        .collect();
    text.push_str(&table(["at", "action", "by", "detail"], &rows));
    text
}

fn reason(r: &str) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!(" ({r})")
    }
}
