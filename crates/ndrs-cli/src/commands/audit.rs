//! `ndrs audit verify`: fetch the whole audit log and recompute its hash chain locally
//! ([`crate::audit`]); fails naming the first broken row.

use ndrs_core::{Error, Result};

use super::session;
use crate::audit::{Verdict, verify};
use crate::cli::{AuditCommand, Global, Output};
use crate::output::print_json;

pub(super) async fn run(command: AuditCommand, global: &Global, url: Option<String>) -> Result<()> {
    let session = session(global, url)?;
    match command {
        AuditCommand::Verify => match verify(session.aggregator_channel()?).await? {
            Verdict::Intact { rows, head } => {
                match global.output {
                    Output::Json => print_json(&serde_json::json!({
                        "intact": true, "rows": rows, "head": head
                    })),
                    Output::Table => println!("audit log intact: {rows} rows, head {head}"),
                }
                Ok(())
            }
            Verdict::Broken(b) => Err(Error::FailedPrecondition(format!(
                "audit log tampered: {b}"
            ))),
        },
    }
}
