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
use tokio::sync::{Mutex, broadcast, mpsc, oneshot};

/// One event handed to a subscriber.
#[derive(Debug)]
pub struct Delivery {
    /// Stream entry id (Redis) or a process-local sequence number.
    pub id: String,
    pub payload: String,
    ack: Option<oneshot::Sender<()>>,
}

impl Delivery {
    /// Marks the event handled. Unacknowledged Redis entries stay pending for redelivery.
    pub fn ack(mut self) {
        if let Some(tx) = self.ack.take() {
            let _ = tx.send(());
        }
    }
}

/// A stream of deliveries for one consumer.
pub struct Subscription {
    rx: mpsc::Receiver<Delivery>,
}

impl Subscription {
    /// Next delivery; `None` when the bus has shut down.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.rx.recv().await
    }
}

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, topic: &str, payload: &str) -> Result<()>;
    /// Subscribes `consumer` within `group`: each group sees every event.
    async fn subscribe(&self, topic: &str, group: &str, consumer: &str) -> Result<Subscription>;
    /// Short name for logs ("in_process" or "redis").
    fn kind(&self) -> &'static str;
}

/// Sends (sequence number, payload) to every subscriber of one topic.
type TopicSender = broadcast::Sender<(u64, String)>;

/// In-process bus for the embedded default: a broadcast channel per topic. Every subscription
/// sees every event published after it subscribed; there is no persistence, which is acceptable
/// because the outbox is the durable record and the relay republishes what it has not published.
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
            .or_insert_with(|| broadcast::channel(1024).0)
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

    async fn subscribe(&self, topic: &str, _group: &str, consumer: &str) -> Result<Subscription> {
        let mut source = self.sender(topic).await.subscribe();
        let (tx, rx) = mpsc::channel(256);
        let consumer = consumer.to_string();
        tokio::spawn(async move {
            loop {
                match source.recv().await {
                    Ok((seq, payload)) => {
                        let delivery = Delivery {
                            id: seq.to_string(),
                            payload,
                            ack: None,
                        };
                        if tx.send(delivery).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(consumer = %consumer, skipped = n, "in-process bus subscriber lagged");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Ok(Subscription { rx })
    }

    fn kind(&self) -> &'static str {
        "in_process"
    }
}

/// How long one XREADGROUP waits for new entries.
const READ_BLOCK_MS: u64 = 1_000;

/// Redis Streams bus: `XADD` to publish, consumer groups with `XREADGROUP` / `XACK` to consume.
#[derive(Clone)]
pub struct RedisBus {
    client: redis::Client,
    publisher: redis::aio::MultiplexedConnection,
    max_len: u64,
    namespace: String,
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
    pub async fn connect(url: &str, namespace: &str, max_len: u64) -> Result<Self> {
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
        })
    }

    fn key(&self, topic: &str) -> String {
        format!("{}:{topic}", self.namespace)
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
        let topic = &self.key(topic);
        let mut conn = self.publisher.clone();
        let created: redis::RedisResult<String> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(topic)
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await;
        // BUSYGROUP: the group exists already, which is what we want.
        if let Err(e) = created
            && e.code() != Some("BUSYGROUP")
        {
            return Err(redis_error(e));
        }
        // Blocking reads get a connection of their own so they never stall publishers.
        // The response timeout must outlast the BLOCK time, or the client gives up on a read whose
        // entries the server has already moved to this consumer's pending list.
        let config = redis::AsyncConnectionConfig::new()
            .set_response_timeout(Some(Duration::from_millis(READ_BLOCK_MS + 5_000)));
        let mut reader = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_error)?;
        let (tx, rx) = mpsc::channel(64);
        let (topic, group, consumer) = (topic.to_string(), group.to_string(), consumer.to_string());
        tokio::spawn(async move {
            // First drain this consumer's pending entries (delivered before a crash, never
            // acknowledged), then read new ones.
            let mut cursor = "0".to_string();
            loop {
                let reply: redis::RedisResult<Option<redis::streams::StreamReadReply>> =
                    redis::cmd("XREADGROUP")
                        .arg("GROUP")
                        .arg(&group)
                        .arg(&consumer)
                        .arg("COUNT")
                        .arg(32)
                        .arg("BLOCK")
                        .arg(READ_BLOCK_MS)
                        .arg("STREAMS")
                        .arg(&topic)
                        .arg(&cursor)
                        .query_async(&mut reader)
                        .await;
                let entries = match reply {
                    Ok(Some(reply)) => reply
                        .keys
                        .into_iter()
                        .flat_map(|k| k.ids)
                        .collect::<Vec<_>>(),
                    Ok(None) => Vec::new(),
                    Err(e) => {
                        tracing::warn!(error = %e, topic = %topic, "redis stream read failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                if entries.is_empty() && cursor != ">" {
                    cursor = ">".to_string();
                    continue;
                }
                for entry in entries {
                    let payload: String = entry.get("payload").unwrap_or_default();
                    let (ack_tx, ack_rx) = oneshot::channel();
                    let delivery = Delivery {
                        id: entry.id.clone(),
                        payload,
                        ack: Some(ack_tx),
                    };
                    if tx.send(delivery).await.is_err() {
                        return;
                    }
                    if ack_rx.await.is_ok() {
                        let acked: redis::RedisResult<i64> = redis::cmd("XACK")
                            .arg(&topic)
                            .arg(&group)
                            .arg(&entry.id)
                            .query_async(&mut reader)
                            .await;
                        if let Err(e) = acked {
                            tracing::warn!(error = %e, id = %entry.id, "redis xack failed");
                        }
                    }
                }
            }
        });
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
            )
            .await?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_bus_delivers_to_every_subscriber() {
        let bus = InProcessBus::new();
        let mut a = bus.subscribe("t", "g1", "a").await.unwrap();
        let mut b = bus.subscribe("t", "g2", "b").await.unwrap();
        bus.publish("t", "hello").await.unwrap();
        assert_eq!(a.next().await.unwrap().payload, "hello");
        assert_eq!(b.next().await.unwrap().payload, "hello");
    }
}
