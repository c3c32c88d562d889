//! The read side every stage service offers on its returns: `GetReturn` and `ListReturns` with
//! the ownership check, and the opaque page tokens that continue a listing.

use ndrs_core::{Error, Result, Violations};
use ndrs_proto::v1 as pb;

use super::{check_identifier, cycle_request_checks, version_to_proto};
use crate::IntoStatus;
use crate::auth::{IdentityStore, Principal, Role};
use crate::returns::ReturnStore;

/// The read side every stage service offers on its returns, with the ownership check: the whole
/// `GetReturn` and `ListReturns` RPCs, so a stage service's handlers only delegate.
#[derive(Clone)]
pub struct ReturnReader {
    pub store: ReturnStore,
    pub identity: IdentityStore,
}

impl ReturnReader {
    pub fn new(store: ReturnStore, identity: IdentityStore) -> Self {
        Self { store, identity }
    }

    /// `GetReturn`: authenticate, read with the ownership check, map the error.
    pub async fn get_return_rpc(
        &self,
        request: tonic::Request<pb::GetReturnRequest>,
    ) -> std::result::Result<tonic::Response<pb::ReturnHistory>, tonic::Status> {
        self.as_caller(request, Self::get_return).await
    }

    /// `ListReturns`: authenticate, list one page with the ownership check, map the error.
    pub async fn list_returns_rpc(
        &self,
        request: tonic::Request<pb::ListReturnsRequest>,
    ) -> std::result::Result<tonic::Response<pb::ListReturnsResponse>, tonic::Status> {
        self.as_caller(request, Self::list_returns).await
    }

    /// Both read RPCs: authenticate the caller, `read` on its behalf (the ownership check is the
    /// read's), map the error.
    async fn as_caller<M, T>(
        &self,
        request: tonic::Request<M>,
        read: impl AsyncFnOnce(&Self, &Principal, M) -> Result<T>,
    ) -> std::result::Result<tonic::Response<T>, tonic::Status> {
        let principal = self
            .identity
            .principal(request.metadata())
            .await
            .into_status()?;
        read(self, &principal, request.into_inner())
            .await
            .map(tonic::Response::new)
            .into_status()
    }

    pub async fn get_return(
        &self,
        principal: &Principal,
        req: pb::GetReturnRequest,
    ) -> Result<pb::ReturnHistory> {
        let pb::GetReturnRequest { return_id, version } = req;
        let mut v = Violations::new();
        check_identifier("return_id", &return_id, &mut v);
        v.finish(())?;
        let history = self.store.history(&return_id).await?;
        let Some(first) = history.first() else {
            return Err(Error::NotFound(format!("return {return_id}")));
        };
        // Another unit's return answers NOT_FOUND, not PERMISSION_DENIED, so ids cannot be probed.
        if !principal.may_read_unit(&first.reporting_unit_id) {
            return Err(Error::NotFound(format!("return {return_id}")));
        }
        let versions: Vec<_> = history
            .into_iter()
            .filter(|r| version == 0 || r.version as u32 == version)
            .map(version_to_proto)
            .collect();
        if versions.is_empty() {
            return Err(Error::NotFound(format!(
                "return {return_id} version {version}"
            )));
        }
        Ok(pb::ReturnHistory { versions })
    }

    pub async fn list_returns(
        &self,
        principal: &Principal,
        req: pb::ListReturnsRequest,
    ) -> Result<pb::ListReturnsResponse> {
        let pb::ListReturnsRequest {
            cycle_year,
            reporting_unit_id,
            page_size,
            page_token,
        } = req;
        let mut v = cycle_request_checks(cycle_year);
        if !reporting_unit_id.is_empty() {
            check_identifier("reporting_unit_id", &reporting_unit_id, &mut v);
        }
        v.check(
            page_size <= MAX_PAGE_SIZE,
            "page_size",
            format!("at most {MAX_PAGE_SIZE}"),
        );
        let after = PageToken::decode(&page_token, cycle_year, &reporting_unit_id, &mut v);
        v.finish(())?;
        let page_size = if page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            page_size
        };
        let unit = match (principal.role, reporting_unit_id.is_empty()) {
            (Role::Reporter, true) => principal.reporting_unit_id.clone(),
            (_, false) => {
                if !principal.may_read_unit(&reporting_unit_id) {
                    return Err(Error::PermissionDenied(format!(
                        "{} may not read returns of {reporting_unit_id}",
                        principal.name
                    )));
                }
                Some(reporting_unit_id.clone())
            }
            (Role::Organiser | Role::Service, true) => None,
            (role, true) => {
                return Err(Error::PermissionDenied(format!(
                    "role {role} may not list returns"
                )));
            }
        };
        let (rows, more) = self
            .store
            .latest_page(
                cycle_year,
                unit.as_deref(),
                after.as_deref(),
                u64::from(page_size),
            )
            .await?;
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => {
                PageToken::encode(cycle_year, &reporting_unit_id, &last.return_id)
            }
            _ => String::new(),
        };
        Ok(pb::ListReturnsResponse {
            returns: rows.into_iter().map(version_to_proto).collect(),
            next_page_token,
        })
    }
}

/// Returns per `ListReturns` page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 500;
/// The most returns one `ListReturns` page holds.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// A `ListReturns` page token: opaque to clients (hex), bound to the query it continues, holding
/// the last return id of the previous page.
struct PageToken;

impl PageToken {
    fn encode(cycle_year: i32, unit: &str, last_return_id: &str) -> String {
        hex::encode(format!("{cycle_year}\n{unit}\n{last_return_id}"))
    }

    /// The return id to continue after; a token that is not one of ours, or that belongs to
    /// another query, is a violation on `page_token`.
    fn decode(token: &str, cycle_year: i32, unit: &str, v: &mut Violations) -> Option<String> {
        if token.is_empty() {
            return None;
        }
        let decoded = (token.len() <= 1_024)
            .then(|| hex::decode(token).ok())
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        let parts: Option<(String, String, String)> = decoded.and_then(|text| {
            let mut it = text.splitn(3, '\n');
            Some((
                it.next()?.to_string(),
                it.next()?.to_string(),
                it.next()?.to_string(),
            ))
        });
        match parts {
            Some((year, token_unit, after))
                if year == cycle_year.to_string() && token_unit == unit =>
            {
                Some(after)
            }
            Some(_) => {
                v.push(
                    "page_token",
                    "belongs to a listing of another cycle or unit",
                );
                None
            }
            None => {
                v.push("page_token", "is not a page token of this listing");
                None
            }
        }
    }
}
