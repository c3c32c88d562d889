//! `ndrs submit FILE...`: returns from JSON-lines files, each sent with its unit's token, a
//! bounded number at a time ([`ndrs_client::submit`]). Progress goes to stderr (a line that
//! rewrites itself in a terminal, a line per tenth of the work elsewhere), the summary to stdout,
//! every receipt to the receipts file.

use std::io::{IsTerminal as _, Write as _};

use ndrs_client::submit::{self, Callers, Outcome, Summary};
use ndrs_core::Result;

use super::session;
use crate::cli::{Global, Output, SubmitArgs};
use crate::output::{fields, print_json};

pub(super) async fn run(args: SubmitArgs, global: &Global) -> Result<()> {
    let session = match &args.tokens {
        // With a tokens file, no token of the caller's own is needed (questionnaires, which a
        // CSV of answers is typed by, are public to every token holder: the first unit's is used).
        Some(path) if global.token.as_deref().is_none_or(str::is_empty) => {
            let mut global = global.clone();
            global.token = submit::read_tokens(path)?.into_values().next();
            session(&global, None)?
        }
        _ => session(global, None)?,
    };
    // Every file is read and checked before anything is sent.
    let mut lines = Vec::new();
    for file in &args.files {
        if ndrs_client::files::Format::of(file) == ndrs_client::files::Format::Csv {
            let kind = args.kind.map(|k| k.code());
            for (number, ret) in
                ndrs_client::answers_csv::read(&session, file, kind, args.cycle).await?
            {
                lines.push(submit::Line {
                    number,
                    ret: submit::prepared(ret, args.cycle),
                });
            }
        } else {
            lines.extend(submit::read(file, args.cycle)?);
        }
    }
    let callers = match &args.tokens {
        Some(path) => Callers::PerUnit {
            session,
            tokens: submit::read_tokens(path)?,
        },
        None => Callers::One(session),
    };
    let total = lines.len();
    let mut progress = Progress::new(total);
    let summary = submit::submit(
        &callers,
        lines,
        usize::from(args.concurrency),
        &args.receipts,
        |outcome, summary| progress.update(outcome, summary),
    )
    .await?;
    progress.finish();
    print_summary(global.output, &summary, &args.receipts);
    summary.into_result().map(|_| ())
}

fn print_summary(output: Output, s: &Summary, receipts: &std::path::Path) {
    match output {
        Output::Json => print_json(&serde_json::json!({
            "accepted": s.accepted,
            "replayed": s.replayed,
            "already_done": s.already_done,
            "refused": s.refused,
            "failed": s.failed,
            "with_warnings": s.with_warnings,
            "receipts": receipts.display().to_string(),
        })),
        Output::Table => print!(
            "{}",
            fields(&[
                ("accepted", s.accepted.to_string()),
                ("  with warnings", s.with_warnings.to_string()),
                ("replayed", s.replayed.to_string()),
                ("already done", s.already_done.to_string()),
                ("refused", s.refused.to_string()),
                ("failed", s.failed.to_string()),
                ("receipts", receipts.display().to_string()),
            ])
        ),
    }
}

/// Progress on stderr: rewritten in place on a terminal, a plain line per tenth elsewhere (a CI
/// log or a file is not flooded). A refused return is named as it happens.
struct Progress {
    total: usize,
    done: usize,
    terminal: bool,
    next_report: usize,
}

impl Progress {
    fn new(total: usize) -> Self {
        Self {
            total,
            done: 0,
            terminal: std::io::stderr().is_terminal(),
            next_report: 0,
        }
    }

    fn update(&mut self, outcome: &Outcome, summary: &Summary) {
        self.done += 1;
        let mut stderr = std::io::stderr().lock();
        if let Some(error) = &outcome.error {
            let _ = writeln!(
                stderr,
                "{}line {} ({} {}): {} {error}",
                if self.terminal { "\r\x1b[K" } else { "" },
                outcome.line,
                outcome.kind,
                outcome.reporting_unit_id,
                outcome.status.as_str(),
            );
        }
        let line = format!(
            "{}/{} sent: {} accepted, {} replayed, {} already done, {} refused, {} failed",
            self.done,
            self.total,
            summary.accepted,
            summary.replayed,
            summary.already_done,
            summary.refused,
            summary.failed
        );
        if self.terminal {
            let _ = write!(stderr, "\r\x1b[K{line}");
        } else if self.done >= self.next_report || self.done == self.total {
            let _ = writeln!(stderr, "{line}");
            self.next_report = self.done + self.total.div_ceil(10).max(1);
        }
    }

    fn finish(&self) {
        if self.terminal && self.done > 0 {
            eprintln!();
        }
    }
}
