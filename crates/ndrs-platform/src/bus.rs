//! The event bus that carries "cycle inputs changed" from stage services to the aggregator.
//!
//! Two implementations behind one trait: Redis Streams in production (consumer groups, so that
//! each event is handled by one aggregator replica and survives a restart until acknowledged) and
//! an in-process broadcast for the embedded default. Delivery is at-least-once in both cases, so
//! every consumer must be idempotent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ndrs_core::{Error, Result};
use tokio::sync::{Mutex, broadcast, mpsc};

/// One event handed to a subscriber.
#[derive(Debug)]
pub struct Delivery {
    /// Stream entry id (Redis) or a process-local sequence number.
    pub id: String,
    pub payload: String,
    ack: Option<mpsc::UnboundedSender<String>>,
}

impl Delivery {
    /// Marks the event handled. Unacknowledged Redis entries stay pending, and are claimed again
    /// after `bus.claim_idle_ms` by whichever consumer of the group asks first.
    pub fn ack(mut self) {
        if let Some(tx) = self.ack.take() {
            let _ = tx.send(std::mem::take(&mut self.id));
        }
    }
}

/// What a subscription yields: an event, or word that events may have been lost.
#[derive(Debug)]
pub enum BusEvent {
    Message(Delivery),
    /// Events may have been lost (the stream or the consumer group was deleted, entries were
    /// trimmed before they were handled, an in-process subscriber fell behind): the consumer must
    /// resynchronise from the source of truth instead of relying on events.
    Gap {
        reason: String,
    },
}

/// A stream of deliveries for one consumer.
pub struct Subscription {
    rx: mpsc::Receiver<BusEvent>,
}

impl Subscription {
    /// Next event; `None` when the bus has shut down.
    pub async fn next(&mut self) -> Option<BusEvent> {
        self.rx.recv().await
    }
}

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, topic: &str, payload: &str) -> Result<()>;
    /// Subscribes `consumer` within `group`: each group sees every event. The first thing a new
    /// subscription yields may be a [`BusEvent::Gap`]: whatever was published before the group
    /// existed, or while it did not, is not in the stream for it.
    async fn subscribe(&self, topic: &str, group: &str, consumer: &str) -> Result<Subscription>;
    /// Short name for logs ("in_process" or "redis").
    fn kind(&self) -> &'static str;
}

/// Sends (sequence number, payload) to every subscriber of one topic.
type TopicSender = broadcast::Sender<(u64, String)>;

/// How many events an in-process subscriber may fall behind before it is told of a gap.
const IN_PROCESS_CAPACITY: usize = 4096;

/// In-process bus for the embedded default: a broadcast channel per topic. Every subscription
/// sees every event published after it subscribed; there is no persistence, which is acceptable
/// because the outbox is the durable record and the relay republishes what it has not published.
/// A subscriber that falls more than [`IN_PROCESS_CAPACITY`] events behind loses the oldest; it
/// is then sent a [`BusEvent::Gap`] so it resynchronises (the embedded path is not lossless, it
/// is self-correcting).
#[derive(Default, Clone)]
pub struct InProcessBus {
    topics: Arc<Mutex<HashMap<String, TopicSender>>>,
    sequence: Arc<std::sync::atomic::AtomicU64>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    async fn sender(&self, topic: &str) -> broadcast::Sender<(u64, String)> {
        let mut topics = self.topics.lock().await;
        topics
            .entry(topic.to_string())
            .or_insert_with(|| broadcast::channel(IN_PROCESS_CAPACITY).0)
            .clone()
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, topic: &str, payload: &str) -> Result<()> {
        let seq = self
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // No subscriber yet is not an error: the event is a hint and the outbox keeps the record.
        let _ = self.sender(topic).await.send((seq, payload.to_string()));
        Ok(())
    }

    async fn subscribe(&self, topic: &str, group: &str, consumer: &str) -> Result<Subscription> {
        let mut source = self.sender(topic).await.subscribe();
        let (tx, rx) = mpsc::channel(256);
        let consumer = consumer.to_string();
        let (topic, group) = (topic.to_string(), group.to_string());
        tokio::spawn(async move {
            loop {
                // Nothing is acknowledged in process; the lag is what the subscriber has not
                // taken from the broadcast yet.
                crate::metrics::record_bus("in_process", &topic, &group, 0, source.len() as u64);
                let event = match source.recv().await {
                    Ok((seq, payload)) => BusEvent::Message(Delivery {
                        id: seq.to_string(),
                        payload,
                        ack: None,
                    }),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(consumer = %consumer, skipped = n, "in-process bus subscriber lagged; asking it to resynchronise");
                        BusEvent::Gap {
                            reason: format!(
                                "the subscriber fell behind and {n} events were dropped"
                            ),
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                if tx.send(event).await.is_err() {
                    break;
                }
            }
        });
        Ok(Subscription { rx })
    }

    fn kind(&self) -> &'static str {
        "in_process"
    }
}

/// How often a Redis consumer samples its group's pending and unread entries for the metrics.
const BUS_SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// How long one XREADGROUP waits for new entries.
const READ_BLOCK_MS: u64 = 1_000;
/// The most entries one read or claim fetches.
const READ_COUNT: usize = 100;
/// Longest pause between attempts while Redis is unreachable.
const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(10);

/// Redis Streams bus: `XADD` to publish, consumer groups with `XREADGROUP` / `XACK` to consume,
/// `XAUTOCLAIM` to take over what a crashed consumer left pending.
#[derive(Clone)]
pub struct RedisBus {
    client: redis::Client,
    publisher: redis::aio::MultiplexedConnection,
    max_len: u64,
    namespace: String,
    claim_idle: Duration,
}

fn redis_error(e: redis::RedisError) -> Error {
    if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() {
        Error::Unavailable(format!("redis: {e}"))
    } else {
        Error::Internal(format!("redis: {e}"))
    }
}

impl RedisBus {
    /// Connects and pings, so a misconfigured or unreachable Redis fails at start.
    pub async fn connect(
        url: &str,
        namespace: &str,
        max_len: u64,
        claim_idle: Duration,
    ) -> Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| Error::invalid("bus.redis_url", e.to_string()))?;
        let mut publisher = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| Error::Unavailable("redis: connect timed out".into()))?
        .map_err(redis_error)?;
        let _: String = redis::cmd("PING")
            .query_async(&mut publisher)
            .await
            .map_err(redis_error)?;
        Ok(Self {
            client,
            publisher,
            max_len,
            namespace: namespace.to_string(),
            claim_idle,
        })
    }

    fn key(&self, topic: &str) -> String {
        format!("{}:{topic}", self.namespace)
    }
}

/// Creates the consumer group (and the stream) unless it exists. `Ok(true)`: it was created now,
/// so whatever was published before is not pending for it.
async fn ensure_group(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    group: &str,
) -> redis::RedisResult<bool> {
    let created: redis::RedisResult<String> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Ok(_) => Ok(true),
        // BUSYGROUP: the group exists already, which is what we want.
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(false),
        Err(e) => Err(e),
    }
}

/// One consumer's reading loop: its own pending entries first, then claimed and new ones.
struct RedisReader {
    reader: redis::aio::MultiplexedConnection,
    key: String,
    topic: String,
    group: String,
    consumer: String,
    claim_idle: Duration,
    tx: mpsc::Sender<BusEvent>,
    acks: mpsc::UnboundedSender<String>,
}

impl RedisReader {
    /// Hands entries to the subscriber; `false` when it has gone away.
    async fn deliver(&self, entries: Vec<redis::streams::StreamId>) -> bool {
        for entry in entries {
            let payload: String = entry.get("payload").unwrap_or_default();
            let delivery = Delivery {
                id: entry.id,
                payload,
                ack: Some(self.acks.clone()),
            };
            if self.tx.send(BusEvent::Message(delivery)).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn gap(&self, reason: String) -> bool {
        tracing::warn!(stream = %self.key, group = %self.group, %reason, "event stream gap; the consumer resynchronises");
        self.tx.send(BusEvent::Gap { reason }).await.is_ok()
    }

    /// Claims every entry idle for longer than `claim_idle`, whoever it was delivered to. Entries
    /// pending but trimmed from the stream are lost events: reported as a gap (and so
    /// acknowledged by the claim itself, which removes them from the pending list).
    async fn claim_stale(&mut self) -> redis::RedisResult<bool> {
        let mut cursor = "0-0".to_string();
        loop {
            let reply: redis::streams::StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(&self.key)
                .arg(&self.group)
                .arg(&self.consumer)
                .arg(self.claim_idle.as_millis() as u64)
                .arg(&cursor)
                .arg("COUNT")
                .arg(READ_COUNT)
                .query_async(&mut self.reader)
                .await?;
            if !reply.claimed.is_empty() {
                tracing::info!(stream = %self.key, consumer = %self.consumer, claimed = reply.claimed.len(), "claimed stale pending entries");
            }
            if !reply.deleted_ids.is_empty()
                && !self
                    .gap(format!(
                        "{} pending entries were trimmed before they were handled",
                        reply.deleted_ids.len()
                    ))
                    .await
            {
                return Ok(false);
            }
            if !self.deliver(reply.claimed).await {
                return Ok(false);
            }
            if reply.next_stream_id == "0-0" {
                return Ok(true);
            }
            cursor = reply.next_stream_id;
        }
    }

    /// Records the group's pending and unread entries (`XINFO GROUPS`; `lag` needs Redis 7).
    async fn sample(&mut self) -> redis::RedisResult<()> {
        let reply: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.key)
            .query_async(&mut self.reader)
            .await?;
        if let Some(group) = reply.groups.iter().find(|g| g.name == self.group) {
            crate::metrics::record_bus(
                "redis",
                &self.topic,
                &self.group,
                group.pending as u64,
                group.lag.unwrap_or(0) as u64,
            );
        }
        Ok(())
    }

    /// Reads from `cursor` ("0": this consumer's own pending entries, ">": new ones).
    async fn read(&mut self, cursor: &str) -> redis::RedisResult<Vec<redis::streams::StreamId>> {
        let reply: Option<redis::streams::StreamReadReply> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(READ_BLOCK_MS)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(cursor)
            .query_async(&mut self.reader)
            .await?;
        Ok(reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default())
    }

    async fn run(mut self, group_is_new: bool) {
        if group_is_new
            && !self
                .gap("the consumer group was created; earlier events are not in it".into())
                .await
        {
            return;
        }
        // Own pending entries first (delivered to this consumer name before a restart), from
        // the start of the pending list onwards, then new ones (">").
        let mut cursor = "0".to_string();
        let mut next_claim = tokio::time::Instant::now();
        let mut next_sample = tokio::time::Instant::now();
        let mut backoff = Duration::from_millis(100);
        loop {
            if self.tx.is_closed() {
                return;
            }
            if tokio::time::Instant::now() >= next_sample {
                next_sample = tokio::time::Instant::now() + BUS_SAMPLE_EVERY;
                if let Err(e) = self.sample().await {
                    tracing::debug!(error = %e, stream = %self.key, "bus lag not measured");
                }
            }
            let step: redis::RedisResult<bool> = async {
                if tokio::time::Instant::now() >= next_claim {
                    if !self.claim_stale().await? {
                        return Ok(false);
                    }
                    next_claim = tokio::time::Instant::now() + self.claim_idle / 2;
                }
                let entries = self.read(&cursor).await?;
                if cursor != ">" {
                    cursor = entries
                        .last()
                        .map_or_else(|| ">".to_string(), |e| e.id.clone());
                }
                Ok(self.deliver(entries).await)
            }
            .await;
            match step {
                Ok(true) => backoff = Duration::from_millis(100),
                Ok(false) => return,
                Err(e) if e.code() == Some("NOGROUP") => {
                    // The stream or the group was deleted (Redis flushed, or restarted without
                    // persistence): re-create it, and have the consumer resynchronise, since
                    // whatever was in it is gone.
                    match ensure_group(&mut self.reader, &self.key, &self.group).await {
                        Ok(_) => {
                            cursor = ">".to_string();
                            if !self
                                .gap("the stream or its consumer group was deleted".into())
                                .await
                            {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, stream = %self.key, "cannot re-create the consumer group");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, stream = %self.key, "redis stream read failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_RECONNECT_BACKOFF);
                }
            }
        }
    }
}

/// Acknowledges handled entries on a connection of its own, in the order they were handled, so
/// that a consumer never waits for one entry's acknowledgement before it gets the next.
async fn acknowledge(
    mut conn: redis::aio::MultiplexedConnection,
    key: String,
    group: String,
    mut acks: mpsc::UnboundedReceiver<String>,
) {
    while let Some(id) = acks.recv().await {
        let mut ids = vec![id];
        while let Ok(more) = acks.try_recv() {
            ids.push(more);
        }
        let acked: redis::RedisResult<i64> = redis::cmd("XACK")
            .arg(&key)
            .arg(&group)
            .arg(&ids)
            .query_async(&mut conn)
            .await;
        // A lost acknowledgement only means the entry is claimed and handled again later, which
        // at-least-once consumers tolerate.
        if let Err(e) = acked {
            tracing::warn!(error = %e, entries = ids.len(), "redis xack failed");
        }
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, topic: &str, payload: &str) -> Result<()> {
        let mut conn = self.publisher.clone();
        let _: String = redis::cmd("XADD")
            .arg(self.key(topic))
            .arg("MAXLEN")
            .arg("~")
            .arg(self.max_len)
            .arg("*")
            .arg("payload")
            .arg(payload)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    async fn subscribe(&self, topic: &str, group: &str, consumer: &str) -> Result<Subscription> {
        let key = self.key(topic);
        let mut conn = self.publisher.clone();
        let group_is_new = ensure_group(&mut conn, &key, group)
            .await
            .map_err(redis_error)?;
        // Blocking reads get a connection of their own so they never stall publishers.
        // The response timeout must outlast the BLOCK time, or the client gives up on a read whose
        // entries the server has already moved to this consumer's pending list.
        let config = redis::AsyncConnectionConfig::new()
            .set_response_timeout(Some(Duration::from_millis(READ_BLOCK_MS + 5_000)));
        let reader = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_error)?;
        let (tx, rx) = mpsc::channel(READ_COUNT * 2);
        let (acks, ack_rx) = mpsc::unbounded_channel();
        tokio::spawn(acknowledge(
            self.publisher.clone(),
            key.clone(),
            group.to_string(),
            ack_rx,
        ));
        let reader = RedisReader {
            reader,
            key,
            topic: topic.to_string(),
            group: group.to_string(),
            consumer: consumer.to_string(),
            claim_idle: self.claim_idle,
            tx,
            acks,
        };
        tokio::spawn(reader.run(group_is_new));
        Ok(Subscription { rx })
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

/// Builds the bus the settings ask for.
pub async fn from_settings(settings: &crate::settings::Settings) -> Result<Arc<dyn EventBus>> {
    match settings.bus.kind {
        crate::settings::BusKind::InProcess => Ok(Arc::new(InProcessBus::new())),
        crate::settings::BusKind::Redis => Ok(Arc::new(
            RedisBus::connect(
                &settings.bus.redis_url,
                &settings.bus.namespace,
                settings.bus.stream_max_len,
                Duration::from_millis(settings.bus.claim_idle_ms),
            )
            .await?,
        )),
    }
}

#[cfg(test)]
mod tests;
