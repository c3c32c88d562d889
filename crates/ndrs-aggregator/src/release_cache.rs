//! Cache of published release documents: Redis in production (shared by every aggregator
//! replica), a small in-process map when embedded.
//!
//! Caching is trivially correct here because a release version never changes: a key
//! (cycle, version, format) maps to the same bytes forever, so there is nothing to invalidate.
//! "The latest version" is resolved against the database before the cache is asked. The cache is
//! an optimisation only: a Redis failure is logged and the read falls through to the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ndrs_core::{Error, Result};
use ndrs_platform::settings::{BusKind, Settings};

/// Entries kept by the in-process cache before it starts over (releases are few and large).
const IN_PROCESS_CAPACITY: usize = 64;

/// How long a Redis entry lives; re-filled from the database on the next read after expiry.
const REDIS_TTL_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Clone)]
pub enum ReleaseCache {
    InProcess(Arc<Mutex<HashMap<String, Vec<u8>>>>),
    Redis {
        conn: redis::aio::MultiplexedConnection,
        namespace: String,
    },
}

impl ReleaseCache {
    pub fn in_process() -> Self {
        ReleaseCache::InProcess(Arc::default())
    }

    /// Redis when the deployment uses Redis (`bus.kind = redis`, same server and namespace as
    /// the event stream), in-process otherwise. An unreachable Redis fails the start.
    pub async fn from_settings(settings: &Settings) -> Result<Self> {
        if settings.bus.kind != BusKind::Redis {
            return Ok(Self::in_process());
        }
        let client = redis::Client::open(settings.bus.redis_url.as_str())
            .map_err(|e| Error::invalid("bus.redis_url", e.to_string()))?;
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_multiplexed_async_connection(),
        )
        .await
        .map_err(|_| Error::Unavailable("redis: connect timed out".into()))?
        .map_err(|e| Error::Unavailable(format!("redis: {e}")))?;
        Ok(ReleaseCache::Redis {
            conn,
            namespace: settings.bus.namespace.clone(),
        })
    }

    /// The Redis key of a release document (also used by tests to look at the cache).
    pub fn redis_key(namespace: &str, key: &str) -> String {
        format!("{namespace}:release:{key}")
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self {
            ReleaseCache::InProcess(map) => map.lock().ok()?.get(key).cloned(),
            ReleaseCache::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                match redis::cmd("GET")
                    .arg(Self::redis_key(namespace, key))
                    .query_async::<Option<Vec<u8>>>(&mut conn)
                    .await
                {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::warn!(error = %e, key, "release cache read failed; using the database");
                        None
                    }
                }
            }
        }
    }

    pub async fn put(&self, key: &str, bytes: &[u8]) {
        match self {
            ReleaseCache::InProcess(map) => {
                if let Ok(mut map) = map.lock() {
                    if map.len() >= IN_PROCESS_CAPACITY {
                        map.clear();
                    }
                    map.insert(key.to_string(), bytes.to_vec());
                }
            }
            ReleaseCache::Redis { conn, namespace } => {
                let mut conn = conn.clone();
                if let Err(e) = redis::cmd("SET")
                    .arg(Self::redis_key(namespace, key))
                    .arg(bytes)
                    .arg("EX")
                    .arg(REDIS_TTL_SECONDS)
                    .query_async::<()>(&mut conn)
                    .await
                {
                    tracing::warn!(error = %e, key, "release cache write failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_process_cache_returns_what_was_put_and_stays_bounded() {
        let cache = ReleaseCache::in_process();
        assert_eq!(cache.get("2023:1:json").await, None);
        cache.put("2023:1:json", b"{}").await;
        assert_eq!(cache.get("2023:1:json").await.as_deref(), Some(&b"{}"[..]));
        for i in 0..(IN_PROCESS_CAPACITY * 2) {
            cache.put(&format!("k{i}"), b"x").await;
        }
        if let ReleaseCache::InProcess(map) = &cache {
            assert!(map.lock().unwrap().len() <= IN_PROCESS_CAPACITY);
        }
    }
}
