//! The aggregator's audit log, read a page at a time (the web console) or whole with its hash
//! chain recomputed here, on the caller's machine (`ndrs audit verify`), so a row edited in the
//! database (or by a compromised server) is detected without trusting the server's own judgement.

use ndrs_aggregator::audit::{ChainBreak, verify_chain};
use ndrs_core::Result;
use ndrs_platform::client::AuthedChannel;
use ndrs_proto::v1 as pb;
use ndrs_proto::v1::aggregator_service_client::AggregatorServiceClient;

/// Rows fetched per call.
const PAGE: u32 = 500;

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every row links to its predecessor and matches its hash; the head hash is worth recording
    /// outside the system, since whoever rewrites the whole table can recompute every hash.
    Intact {
        rows: usize,
        head: String,
    },
    Broken(ChainBreak),
}

/// Up to `limit` rows after sequence number `after_seq`, in order.
pub async fn page(
    channel: AuthedChannel,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<pb::AuditEntry>> {
    Ok(AggregatorServiceClient::new(channel)
        .list_audit_log(pb::ListAuditLogRequest { after_seq, limit })
        .await
        .map_err(ndrs_platform::grpc_status::from_status_in(
            "list the audit log",
        ))?
        .into_inner()
        .entries)
}

/// Fetches every audit row in order.
pub async fn fetch_all(channel: AuthedChannel) -> Result<Vec<pb::AuditEntry>> {
    let mut client = AggregatorServiceClient::new(channel);
    let mut entries: Vec<pb::AuditEntry> = Vec::new();
    loop {
        let after_seq = entries.last().map_or(0, |e| e.seq);
        let page = client
            .list_audit_log(pb::ListAuditLogRequest {
                after_seq,
                limit: PAGE,
            })
            .await
            .map_err(ndrs_platform::grpc_status::from_status_in(
                "list the audit log",
            ))?
            .into_inner()
            .entries;
        let done = page.len() < PAGE as usize;
        entries.extend(page);
        if done {
            return Ok(entries);
        }
    }
}

/// Fetches the log and verifies its chain.
pub async fn verify(channel: AuthedChannel) -> Result<Verdict> {
    let entries = fetch_all(channel).await?;
    Ok(match verify_chain(&entries) {
        Ok(head) => Verdict::Intact {
            rows: entries.len(),
            head,
        },
        Err(b) => Verdict::Broken(b),
    })
}
