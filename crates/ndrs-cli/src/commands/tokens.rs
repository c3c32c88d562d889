//! `ndrs tokens issue`: a reporter token for every unit of a frame, written to a file for
//! distribution (the one place a token's text exists besides its holder's hands). The file is
//! created new, readable by its owner only, and nothing of a token is printed or logged.

use std::io::Write as _;

use ndrs_core::{Error, Result};
use ndrs_platform::auth::{IdentityStore, Role};
use ndrs_proto::v1 as pb;

use super::{load_settings, session};
use crate::cli::{Global, Output, TokensCommand};
use crate::output::{fields, print_json};

pub(super) async fn run(command: TokensCommand, global: &Global) -> Result<()> {
    let TokensCommand::Issue {
        frame,
        cycle,
        kind,
        out,
        valid_for_days,
    } = command;
    let units: Vec<pb::FrameUnit> = match (frame, cycle) {
        (Some(path), _) => ndrs_client::cycles::read_frame_file(&path)?.units,
        (None, Some(cycle)) => {
            ndrs_client::cycles::frame(&session(global, None)?, cycle, 0)
                .await?
                .units
        }
        (None, None) => return Err(Error::invalid("frame", "give --frame FILE or --cycle")),
    };
    let units: Vec<pb::FrameUnit> = units
        .into_iter()
        .filter(|u| kind.is_none_or(|k| u.expected_kinds.iter().any(|e| e == k.code())))
        .collect();
    if units.is_empty() {
        return Err(Error::invalid("frame", "no unit of the frame is selected"));
    }
    let mut file = create_private(&out)?;
    let settings = load_settings()?;
    let identity = IdentityStore::open(&settings).await?;
    let issued = issue_all(&identity, &units, valid_for_days, &mut file).await;
    identity.close().await;
    let issued = issued?;
    match global.output {
        Output::Json => print_json(&serde_json::json!({
            "issued": issued, "file": out.display().to_string(),
        })),
        Output::Table => print!(
            "{}",
            fields(&[
                ("issued", issued.to_string()),
                ("file", out.display().to_string()),
            ])
        ),
    }
    Ok(())
}

/// Creates `path` new (never overwriting a file of live tokens), readable by its owner only.
fn create_private(path: &std::path::Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        Error::invalid(
            "out",
            format!(
                "{}: {e} (tokens are written to a new file only)",
                path.display()
            ),
        )
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

async fn issue_all(
    identity: &IdentityStore,
    units: &[pb::FrameUnit],
    valid_for_days: Option<u32>,
    file: &mut std::fs::File,
) -> Result<usize> {
    let write = |file: &mut std::fs::File, line: String| {
        writeln!(file, "{line}").map_err(|e| Error::Internal(format!("writing tokens: {e}")))
    };
    write(
        file,
        "reporting_unit_id,name,contact,token_id,token,expires_at".into(),
    )?;
    for unit in units {
        let name = if unit.name.is_empty() {
            format!("reporter {}", unit.reporting_unit_id)
        } else {
            unit.name.clone()
        };
        let issued = match valid_for_days {
            Some(days) => {
                identity
                    .issue_valid_for(
                        &name,
                        Role::Reporter,
                        Some(&unit.reporting_unit_id),
                        std::time::Duration::from_secs(u64::from(days) * 86_400),
                    )
                    .await?
            }
            None => {
                identity
                    .issue(&name, Role::Reporter, Some(&unit.reporting_unit_id))
                    .await?
            }
        };
        let expires = identity.expiry(&issued.token_id).await?.unwrap_or_default();
        write(
            file,
            [
                csv_field(&unit.reporting_unit_id),
                csv_field(&unit.name),
                csv_field(&unit.contact),
                csv_field(&issued.token_id),
                issued.token,
                expires,
            ]
            .join(","),
        )?;
    }
    file.sync_all()
        .map_err(|e| Error::Internal(format!("writing tokens: {e}")))?;
    Ok(units.len())
}
