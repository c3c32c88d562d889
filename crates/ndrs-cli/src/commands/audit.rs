//! `ndrs audit verify`: fetch the whole audit log and recompute its hash chain locally
//! ([`crate::audit`]); fails naming the first broken row.

use ndrs_core::{Error, Result};

use super::{AggregatorTarget, load_settings};
use crate::audit::{Verdict, verify};
use crate::cli::AuditCommand;

pub(super) async fn run(command: AuditCommand, target: AggregatorTarget) -> Result<()> {
    let settings = load_settings()?;
    match command {
        AuditCommand::Verify => match verify(target.channel(&settings)?).await? {
            Verdict::Intact { rows, head } => {
                println!("audit log intact: {rows} rows, head {head}");
                Ok(())
            }
            Verdict::Broken(b) => Err(Error::FailedPrecondition(format!(
                "audit log tampered: {b}"
            ))),
        },
    }
}
