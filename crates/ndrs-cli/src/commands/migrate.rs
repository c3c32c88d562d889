//! `ndrs migrate`: every service's schema and the identity store brought up to date, then exit
//! (the Kubernetes migration Job runs this before a rollout; services also migrate at start).

use ndrs_core::Result;
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::db::{DatabaseTarget, connect_and_migrate};

use super::load_settings;

/// Migrates each stage crate's schema in turn: every stage crate names its schema `STAGE_NAME`
/// and its migrations `startup::Migrator`, so the statement is the same for each.
macro_rules! migrate_stages {
    ($target:ident, $($stage:ident),+) => {
        $(connect_and_migrate(&$target($stage::STAGE_NAME)?, &$stage::startup::Migrator).await?;)+
    };
}

pub(super) async fn run() -> Result<()> {
    let settings = load_settings()?;
    IdentityStore::open(&settings).await?;
    println!("identity: up to date");
    let target = |name: &str| DatabaseTarget::resolve(&settings, name, "");
    migrate_stages!(
        target,
        ndrs_production,
        ndrs_compute,
        ndrs_circulation,
        ndrs_application
    );
    connect_and_migrate(
        &target(ndrs_aggregator::SERVICE_NAME)?,
        &ndrs_aggregator::startup::Migrator,
    )
    .await?;
    println!("production, compute, circulation, application, aggregator: up to date");
    Ok(())
}
