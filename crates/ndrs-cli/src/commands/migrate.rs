//! `ndrs migrate`: every service's schema and the identity store brought up to date, then exit
//! (the Kubernetes migration Job runs this before a rollout; services also migrate at start).

use ndrs_core::Result;
use ndrs_platform::auth::IdentityStore;
use ndrs_platform::db::{DatabaseTarget, connect_and_migrate};

use super::load_settings;

pub(super) async fn run() -> Result<()> {
    let settings = load_settings()?;
    IdentityStore::open(&settings).await?;
    println!("identity: up to date");
    let target = |name: &str| DatabaseTarget::resolve(&settings, name, "");
    connect_and_migrate(
        &target(ndrs_production::STAGE_NAME)?,
        &ndrs_production::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_compute::STAGE_NAME)?,
        &ndrs_compute::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_circulation::STAGE_NAME)?,
        &ndrs_circulation::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_application::STAGE_NAME)?,
        &ndrs_application::startup::Migrator,
    )
    .await?;
    connect_and_migrate(
        &target(ndrs_aggregator::SERVICE_NAME)?,
        &ndrs_aggregator::startup::Migrator,
    )
    .await?;
    println!("production, compute, circulation, application, aggregator: up to date");
    Ok(())
}
