//! Who the session's token stands for (`IdentityService.WhoAmI`): the web console asks once at
//! sign-in; each action is still authorised by the call that performs it.

use ndrs_core::Result;
use ndrs_proto::v1 as pb;
use pb::identity_service_client::IdentityServiceClient;

use crate::session::Session;

/// The principal behind the session's token. UNAUTHENTICATED for an unknown, revoked or expired
/// token.
pub async fn who_am_i(session: &Session) -> Result<pb::Caller> {
    Ok(IdentityServiceClient::new(session.aggregator_channel()?)
        .who_am_i(pb::WhoAmIRequest {})
        .await
        .map_err(session.at_aggregator("ask who the token belongs to"))?
        .into_inner())
}
