//! `ndrs admin issue-token|revoke-token`, against the configured identity database. A token is
//! printed once, on stdout alone, so it can be redirected to a file; only its hash is stored.

use ndrs_core::Result;
use ndrs_platform::auth::IdentityStore;

use super::load_settings;
use crate::cli::AdminCommand;

pub(super) async fn run(command: AdminCommand) -> Result<()> {
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
