//! Outgoing gRPC calls: a channel plus an interceptor that adds the bearer token and the W3C trace
//! context to every request, inside a client span per call ([`Traced`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ndrs_core::{Error, Result};
use tonic::codegen::Bytes;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::metrics::grpc_status;

/// Adds `authorization` and `traceparent` to each outgoing request.
#[derive(Clone)]
pub struct CallContext {
    authorization: Option<MetadataValue<Ascii>>,
}

impl CallContext {
    pub fn new(token: Option<&str>) -> Result<Self> {
        let authorization = token
            .map(|t| {
                format!("Bearer {t}")
                    .parse()
                    .map_err(|_| Error::invalid("token", "not a valid header value"))
            })
            .transpose()?;
        Ok(Self { authorization })
    }
}

impl Interceptor for CallContext {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        crate::telemetry::inject_into_metadata(request.metadata_mut());
        Ok(request)
    }
}

/// A channel whose requests carry the call context, each call in its own client span.
pub type AuthedChannel = Traced<InterceptedService<Channel, CallContext>>;

/// `channel` with `token` on every call.
pub fn authed(channel: Channel, token: Option<&str>) -> Result<AuthedChannel> {
    Ok(Traced(InterceptedService::new(
        channel,
        CallContext::new(token)?,
    )))
}

/// Runs every outgoing call in a client span named and attributed by the OpenTelemetry RPC
/// conventions ([`crate::telemetry::client_span`]), so the CLI's, the web service's and the
/// aggregator's calls show in a trace as the client half of the server's span. The interceptor
/// inside runs in the span, so the `traceparent` it sends is the client span's. The status is
/// recorded from the response headers (a trailers-only error) or, for a call that streamed a
/// body, from its trailers; the span ends when the body does.
#[derive(Clone)]
pub struct Traced<S>(S);

impl<S, B, R> tower::Service<http::Request<B>> for Traced<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    R::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn Future<Output = std::result::Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        use tracing::Instrument;
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let span = crate::telemetry::client_span(service, method);
        let call = {
            let _inside = span.enter();
            self.0.call(request)
        };
        Box::pin(async move {
            let outcome = call.instrument(span.clone()).await;
            match outcome {
                Ok(response) => {
                    if let Some(code) = grpc_status(response.headers()) {
                        crate::telemetry::record_client_code(&span, code);
                    }
                    let (parts, body) = response.into_parts();
                    let body = tonic::body::Body::new(StatusFromTrailers { body, span });
                    Ok(http::Response::from_parts(parts, body))
                }
                Err(e) => {
                    // The channel could not make the call (no connection): UNAVAILABLE to tonic.
                    crate::telemetry::record_client_code(&span, tonic::Code::Unavailable);
                    Err(e)
                }
            }
        })
    }
}

/// A response body that records the call's status from its trailers on the client span, and
/// holds the span open until the body is done.
struct StatusFromTrailers<R> {
    body: R,
    span: tracing::Span,
}

impl<R: http_body::Body + Unpin> http_body::Body for StatusFromTrailers<R> {
    type Data = R::Data;
    type Error = R::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(trailers) = frame.trailers_ref()
            && let Some(code) = grpc_status(trailers)
        {
            crate::telemetry::record_client_code(&self.span, code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Lazily connecting channel to `url`; connection errors surface on the first call, so services
/// can start in any order.
pub fn channel(url: &str, token: Option<&str>) -> Result<AuthedChannel> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|e| Error::invalid("url", format!("{url}: {e}")))?
        .connect_timeout(std::time::Duration::from_secs(5));
    authed(endpoint.connect_lazy(), token)
}

/// Every return kind a reporting unit can send, in stage order.
pub const RETURN_KINDS: [&str; 7] = [
    "device_parameters",
    "storage_medium",
    "compute_centre",
    "carrier_traffic",
    "exchange_activity",
    "application_questionnaire",
    "sharing_hub",
];

/// Addresses the services listen on, as `http://host:port`.
#[derive(Debug, Clone)]
pub struct SystemEndpoints {
    pub aggregator: String,
    pub production: String,
    pub compute: String,
    pub circulation: String,
    pub application: String,
}

impl SystemEndpoints {
    /// (gRPC service name, endpoint) for every service, for health checks.
    pub fn services(&self) -> [(&'static str, &str); 5] {
        [
            ("ndrs.v1.AggregatorService", &self.aggregator),
            ("ndrs.v1.ProductionStorageService", &self.production),
            ("ndrs.v1.ComputeCensusService", &self.compute),
            ("ndrs.v1.CirculationSurveyService", &self.circulation),
            ("ndrs.v1.ApplicationSurveyService", &self.application),
        ]
    }

    /// The service that receives returns of `kind`, where its questionnaires are published.
    pub fn receiving(&self, kind: &str) -> Option<&str> {
        Some(match kind {
            "device_parameters" | "storage_medium" => &self.production,
            "compute_centre" => &self.compute,
            "carrier_traffic" | "exchange_activity" => &self.circulation,
            "application_questionnaire" | "sharing_hub" => &self.application,
            _ => return None,
        })
    }

    /// The service whose figures an indicator document of `kind` defines.
    pub fn estimating(&self, kind: &str) -> Option<&str> {
        Some(match kind {
            "application_indicators" | "sharing_hub_indicators" => &self.application,
            _ => return None,
        })
    }
}

/// Publishes, as the organiser whose `token` is given, the shipped content that describes
/// `cycle_year` ([`ndrs_content::builtin`]): every questionnaire to the service receiving its
/// kind, then every indicator document to the service estimating it (indicators are compiled
/// against the questionnaire in force, so they come second), then the derived figures to the
/// aggregator. What a working group does first
/// when a round keeps the built-in content. Returns how lineage cites each published document.
pub async fn publish_shipped_content(
    endpoints: &SystemEndpoints,
    token: &str,
    cycle_year: i32,
) -> Result<Vec<String>> {
    use ndrs_proto::v1 as pb;
    use pb::indicator_service_client::IndicatorServiceClient;
    use pb::questionnaire_service_client::QuestionnaireServiceClient;
    let context = |path: &str| {
        let what = format!("publish {path} for {cycle_year}");
        move |status| crate::grpc_status::from_status(status).in_context(&what)
    };
    let mut published = Vec::new();
    for shipped in ndrs_content::builtin::questionnaires_for(cycle_year) {
        let endpoint = endpoints.receiving(shipped.kind).ok_or_else(|| {
            Error::Internal(format!("no service receives {} returns", shipped.kind))
        })?;
        let mut client = QuestionnaireServiceClient::new(channel(endpoint, Some(token))?);
        let request = pb::PublishQuestionnaireRequest {
            cycle_year,
            source: Some(pb::QuestionnaireSource {
                format: Some(pb::questionnaire_source::Format::Toml(shipped.text.into())),
            }),
        };
        let summary = client
            .publish_questionnaire(request)
            .await
            .map_err(context(shipped.path))?;
        published.push(summary.into_inner().lineage_ref);
    }
    for shipped in ndrs_content::builtin::indicators_for(cycle_year) {
        let endpoint = endpoints.estimating(shipped.kind).ok_or_else(|| {
            Error::Internal(format!("no service estimates {} figures", shipped.kind))
        })?;
        let mut client = IndicatorServiceClient::new(channel(endpoint, Some(token))?);
        let request = pb::PublishIndicatorsRequest {
            cycle_year,
            source: Some(pb::IndicatorSource {
                format: Some(pb::indicator_source::Format::Toml(shipped.text.into())),
            }),
        };
        let summary = client
            .publish_indicators(request)
            .await
            .map_err(context(shipped.path))?;
        published.push(summary.into_inner().lineage_ref);
    }
    for shipped in ndrs_content::builtin::derived_for(cycle_year) {
        use pb::aggregator_service_client::AggregatorServiceClient;
        let mut client = AggregatorServiceClient::new(channel(&endpoints.aggregator, Some(token))?);
        let request = pb::PublishDerivedFiguresRequest {
            cycle_year,
            source: Some(pb::IndicatorSource {
                format: Some(pb::indicator_source::Format::Toml(shipped.text.into())),
            }),
        };
        let summary = client
            .publish_derived_figures(request)
            .await
            .map_err(context(shipped.path))?;
        published.push(summary.into_inner().lineage_ref);
    }
    Ok(published)
}
