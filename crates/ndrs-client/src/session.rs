//! Who calls and where: the services' addresses and the caller's bearer token, and the one way
//! a failed call becomes an error that names the call and the address.

use ndrs_core::error::bounded;
use ndrs_core::{Error, Result};
use ndrs_platform::client::{AuthedChannel, SystemEndpoints};
use ndrs_platform::grpc_status::from_status;
use ndrs_proto::v1 as pb;
use pb::aggregator_service_client::AggregatorServiceClient;
use pb::application_survey_service_client::ApplicationSurveyServiceClient;
use pb::circulation_survey_service_client::CirculationSurveyServiceClient;
use pb::compute_census_service_client::ComputeCensusServiceClient;
use pb::production_storage_service_client::ProductionStorageServiceClient;
use tonic::transport::{Channel, Endpoint};

/// Responses of census size (a candidate, a stage's returns) exceed gRPC's default 4 MiB.
pub const MAX_RESPONSE_BYTES: usize = ndrs_aggregator::stages::MAX_STAGE_RESULT_BYTES;

/// The four stage services, by the lifecycle stage they survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Production,
    Compute,
    Circulation,
    Application,
}

impl Stage {
    /// The stage that receives returns of `kind` (`compute_centre`, `application_questionnaire`,
    /// ...), or an invalid-argument error listing the kinds there are.
    pub fn receiving(kind: &str) -> Result<Self> {
        Ok(match kind {
            "device_parameters" | "storage_medium" => Stage::Production,
            "compute_centre" => Stage::Compute,
            "carrier_traffic" | "exchange_activity" => Stage::Circulation,
            "application_questionnaire" | "sharing_hub" => Stage::Application,
            _ => {
                return Err(Error::invalid(
                    "kind",
                    format!(
                        "`{}` is not a return kind; expected one of {}",
                        bounded(kind, 64),
                        RETURN_KINDS.join(", ")
                    ),
                ));
            }
        })
    }
}

pub use ndrs_platform::client::RETURN_KINDS;

/// The services' addresses and the caller's token. Cheap to clone: the channels are made once,
/// connect lazily on the first call, and are shared by every clone and every [`as_caller`]
/// session, so a thousand reporters submitting through one session open a handful of
/// connections, not a thousand.
///
/// [`as_caller`]: Session::as_caller
#[derive(Clone)]
pub struct Session {
    endpoints: SystemEndpoints,
    channels: Channels,
    token: String,
}

/// One lazily connecting channel per service.
#[derive(Clone)]
struct Channels {
    aggregator: Channel,
    production: Channel,
    compute: Channel,
    circulation: Channel,
    application: Channel,
}

fn lazy(address: &str) -> Result<Channel> {
    Ok(Endpoint::from_shared(address.to_string())
        .map_err(|e| Error::invalid("url", format!("{}: {e}", bounded(address, 200))))?
        .connect_timeout(std::time::Duration::from_secs(5))
        .connect_lazy())
}

impl Session {
    /// A session of the caller whose bearer `token` is given. An address without `http://` or
    /// `https://` is refused here, naming it, rather than failing later as a transport error.
    pub fn new(endpoints: SystemEndpoints, token: impl Into<String>) -> Result<Self> {
        for (name, address) in endpoints.services() {
            if !(address.starts_with("http://") || address.starts_with("https://")) {
                return Err(Error::invalid(
                    "url",
                    format!(
                        "`{}` (for {name}) needs a scheme, e.g. http://{}",
                        bounded(address, 200),
                        bounded(address, 200)
                    ),
                ));
            }
        }
        let channels = Channels {
            aggregator: lazy(&endpoints.aggregator)?,
            production: lazy(&endpoints.production)?,
            compute: lazy(&endpoints.compute)?,
            circulation: lazy(&endpoints.circulation)?,
            application: lazy(&endpoints.application)?,
        };
        Ok(Self {
            endpoints,
            channels,
            token: token.into(),
        })
    }

    pub fn endpoints(&self) -> &SystemEndpoints {
        &self.endpoints
    }

    /// The same addresses and channels with another caller's token (a reporter's, for its own
    /// returns).
    pub fn as_caller(&self, token: impl Into<String>) -> Self {
        Self {
            endpoints: self.endpoints.clone(),
            channels: self.channels.clone(),
            token: token.into(),
        }
    }

    fn authed(&self, channel: &Channel) -> Result<AuthedChannel> {
        ndrs_platform::client::authed(channel.clone(), Some(&self.token))
    }

    /// A channel to a stage's service carrying the token, for the services every stage serves
    /// beside its own (questionnaires, return activity).
    pub fn stage_channel(&self, stage: Stage) -> Result<AuthedChannel> {
        self.authed(match stage {
            Stage::Production => &self.channels.production,
            Stage::Compute => &self.channels.compute,
            Stage::Circulation => &self.channels.circulation,
            Stage::Application => &self.channels.application,
        })
    }

    /// A channel to the aggregator carrying the token, for clients built elsewhere.
    pub fn aggregator_channel(&self) -> Result<AuthedChannel> {
        self.authed(&self.channels.aggregator)
    }

    pub fn aggregator(&self) -> Result<AggregatorServiceClient<AuthedChannel>> {
        Ok(
            AggregatorServiceClient::new(self.authed(&self.channels.aggregator)?)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
        )
    }

    pub fn production(&self) -> Result<ProductionStorageServiceClient<AuthedChannel>> {
        Ok(
            ProductionStorageServiceClient::new(self.authed(&self.channels.production)?)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
        )
    }

    pub fn compute(&self) -> Result<ComputeCensusServiceClient<AuthedChannel>> {
        Ok(
            ComputeCensusServiceClient::new(self.authed(&self.channels.compute)?)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
        )
    }

    pub fn circulation(&self) -> Result<CirculationSurveyServiceClient<AuthedChannel>> {
        Ok(
            CirculationSurveyServiceClient::new(self.authed(&self.channels.circulation)?)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
        )
    }

    pub fn application(&self) -> Result<ApplicationSurveyServiceClient<AuthedChannel>> {
        Ok(
            ApplicationSurveyServiceClient::new(self.authed(&self.channels.application)?)
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
        )
    }

    /// The address of a stage's service.
    pub fn stage_address(&self, stage: Stage) -> &str {
        match stage {
            Stage::Production => &self.endpoints.production,
            Stage::Compute => &self.endpoints.compute,
            Stage::Circulation => &self.endpoints.circulation,
            Stage::Application => &self.endpoints.application,
        }
    }

    /// Maps a failed call to the aggregator to its domain error, naming the call and the address.
    pub(crate) fn at_aggregator(&self, what: &str) -> impl FnOnce(tonic::Status) -> Error {
        failed(what, &self.endpoints.aggregator)
    }

    /// Maps a failed call to a stage service to its domain error, naming the call and the address.
    pub(crate) fn at_stage(&self, stage: Stage, what: &str) -> impl FnOnce(tonic::Status) -> Error {
        failed(what, self.stage_address(stage))
    }
}

/// A failed call as its domain error: the call is named in every message, and where the service
/// could not be reached, its address too (`unavailable: list releases at http://...: ...`).
fn failed(what: &str, address: &str) -> impl FnOnce(tonic::Status) -> Error {
    let what = what.to_string();
    let address = address.to_string();
    move |status| match from_status(status) {
        Error::Unavailable(m) => Error::Unavailable(format!("{what} at {address}: {m}")),
        other => other.in_context(&what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints(aggregator: &str) -> SystemEndpoints {
        SystemEndpoints {
            aggregator: aggregator.into(),
            production: "http://127.0.0.1:1".into(),
            compute: "http://127.0.0.1:2".into(),
            circulation: "http://127.0.0.1:3".into(),
            application: "http://127.0.0.1:4".into(),
        }
    }

    #[test]
    fn an_address_without_a_scheme_is_refused_naming_it() {
        let error = Session::new(endpoints("127.0.0.1:50051"), "t")
            .err()
            .expect("refused");
        let text = error.to_string();
        assert!(text.contains("127.0.0.1:50051"), "{text}");
        assert!(text.contains("http://127.0.0.1:50051"), "{text}");
    }

    #[tokio::test]
    async fn an_unreachable_service_is_unavailable_naming_the_call_and_the_address() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Nothing listens on the port once the listener above is dropped.
        let address = format!("http://127.0.0.1:{port}");
        let session = Session::new(endpoints(&address), "t").unwrap();
        let error = session
            .aggregator()
            .unwrap()
            .list_releases(pb::ListReleasesRequest { cycle_year: 2024 })
            .await
            .map_err(session.at_aggregator("list releases"))
            .unwrap_err();
        assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains(&address) && text.contains("list releases"),
            "{text}"
        );
    }
}
