//! `ndrs health`: grpc.health.v1 of every service at its configured address; fails unless every
//! one is SERVING.

use ndrs_core::{Error, Result};
use tonic_health::pb::health_check_response::ServingStatus;

use super::demo::configured_endpoints;
use super::load_settings;

pub(super) async fn run() -> Result<()> {
    let settings = load_settings()?;
    let endpoints = configured_endpoints(&settings);
    let mut all_serving = true;
    for (service, endpoint) in endpoints.services() {
        match crate::system::health_status(endpoint, service).await {
            Ok(status) => {
                all_serving &= status == ServingStatus::Serving;
                println!("{service:<36} {endpoint:<24} {}", status.as_str_name());
            }
            Err(e) => {
                all_serving = false;
                println!("{service:<36} {endpoint:<24} unreachable ({e})");
            }
        }
    }
    if all_serving {
        Ok(())
    } else {
        Err(Error::Unavailable("not every service is serving".into()))
    }
}
