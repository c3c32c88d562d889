//! Helpers shared by the end-to-end test files.
#![allow(dead_code)]

use ndrs_cli::system::{self, RunningSystem};
use ndrs_platform::auth::Role;
use ndrs_platform::client::{AuthedChannel, channel};
use ndrs_proto::v1 as pb;
use ndrs_testkit::env::TestEnv;

pub async fn start() -> (TestEnv, RunningSystem) {
    let env = TestEnv::new().await;
    let system = system::start(env.settings.clone())
        .await
        .unwrap_or_else(|e| panic!("system did not start on {}: {e}", env.backend));
    (env, system)
}

pub async fn token(system: &RunningSystem, role: Role, unit: Option<&str>) -> String {
    system
        .runtime
        .identity
        .issue(&format!("test {role} {}", unit.unwrap_or("")), role, unit)
        .await
        .expect("issue token")
        .token
}

pub async fn as_reporter(system: &RunningSystem, endpoint: &str, unit: &str) -> AuthedChannel {
    channel(
        endpoint,
        Some(&token(system, Role::Reporter, Some(unit)).await),
    )
    .unwrap()
}

pub async fn as_organiser(system: &RunningSystem, endpoint: &str) -> AuthedChannel {
    channel(endpoint, Some(&token(system, Role::Organiser, None).await)).unwrap()
}

pub fn figure<'a>(candidate: &'a pb::Candidate, id: &str) -> &'a pb::Figure {
    candidate
        .stages
        .iter()
        .flat_map(|s| s.figures.iter())
        .find(|f| f.id == id && f.dimensions.is_empty())
        .unwrap_or_else(|| panic!("candidate has no figure {id}"))
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: expected {expected}, got {actual}"
    );
}
