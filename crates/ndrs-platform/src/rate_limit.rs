//! Per-principal rate limits, so that one client's flood cannot slow every other partner.
//!
//! Each token gets a token bucket: `auth.rate_limit_burst` calls at once, refilled at
//! `auth.rate_limit_per_second`. A call beyond it is refused with RESOURCE_EXHAUSTED and a
//! `google.rpc.RetryInfo` saying when a call will be accepted again. With `bus.kind = redis` the
//! buckets live in Redis (one script call per request, atomic, shared by every replica of every
//! service); embedded, they live in the process. The aggregator's own service principal is not
//! limited: its calls are the system's, not a partner's.
//!
//! A limiter that cannot reach Redis lets the call through and logs it: rate limiting protects
//! the survey, it must never be the thing that stops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bucket parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// Where the buckets live.
#[derive(Clone)]
pub enum RateLimiter {
    InProcess {
        rate: Rate,
        buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
    },
    Redis {
        rate: Rate,
        connection: redis::aio::ConnectionManager,
        namespace: String,
    },
}

/// Token bucket in Redis: refills by elapsed time (server clock), takes one token or answers how
/// many milliseconds until one is available.
const BUCKET_SCRIPT: &str = r"
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
";

impl RateLimiter {
    pub fn in_process(rate: Rate) -> Self {
        RateLimiter::InProcess {
            rate,
            buckets: Arc::default(),
        }
    }

    /// A limiter whose buckets live in Redis at `url`, under `namespace`.
    pub async fn redis(url: &str, namespace: &str, rate: Rate) -> ndrs_core::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| ndrs_core::Error::invalid("bus.redis_url", e.to_string()))?;
        let connection = tokio::time::timeout(
            Duration::from_secs(5),
            redis::aio::ConnectionManager::new(client),
        )
        .await
        .map_err(|_| ndrs_core::Error::Unavailable("redis: connect timed out".into()))?
        .map_err(|e| ndrs_core::Error::Unavailable(format!("redis: {e}")))?;
        Ok(RateLimiter::Redis {
            rate,
            connection,
            namespace: namespace.to_string(),
        })
    }

    /// Takes one call from `key`'s bucket: `None` when allowed, else how long to wait.
    pub async fn acquire(&self, key: &str) -> Option<Duration> {
        match self {
            RateLimiter::InProcess { rate, buckets } => {
                let now = Instant::now();
                let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
                // Forget idle buckets now and then, so that the table stays as small as the set
                // of active clients.
                if buckets.len() > 10_000 {
                    let full = Duration::from_secs_f64(rate.burst / rate.per_second);
                    buckets.retain(|_, (_, at)| now.duration_since(*at) < full);
                }
                let (tokens, at) = buckets.entry(key.to_string()).or_insert((rate.burst, now));
                *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate.per_second)
                    .min(rate.burst);
                *at = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    None
                } else {
                    Some(Duration::from_secs_f64((1.0 - *tokens) / rate.per_second))
                }
            }
            RateLimiter::Redis {
                rate,
                connection,
                namespace,
            } => {
                let mut conn = connection.clone();
                let waited: redis::RedisResult<u64> = redis::cmd("EVAL")
                    .arg(BUCKET_SCRIPT)
                    .arg(1)
                    .arg(format!("{namespace}:rate:{key}"))
                    .arg(rate.per_second)
                    .arg(rate.burst)
                    .query_async(&mut conn)
                    .await;
                match waited {
                    Ok(0) => None,
                    Ok(ms) => Some(Duration::from_millis(ms)),
                    Err(e) => {
                        tracing::warn!(error = %e, "rate limiter unavailable; the call is let through");
                        None
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn drain(limiter: &RateLimiter, key: &str, calls: usize) -> usize {
        let mut refused = 0;
        for _ in 0..calls {
            if limiter.acquire(key).await.is_some() {
                refused += 1;
            }
        }
        refused
    }

    async fn check(limiter: RateLimiter) {
        // A burst of 10: ten pass at once, the rest wait; another key is untouched.
        assert_eq!(drain(&limiter, "flood", 25).await, 15);
        let wait = limiter.acquire("flood").await.expect("still limited");
        assert!(wait <= Duration::from_millis(600), "{wait:?}");
        assert_eq!(drain(&limiter, "quiet", 5).await, 0);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(limiter.acquire("flood").await.is_none(), "refilled");
    }

    #[tokio::test]
    async fn in_process_buckets_limit_one_key_and_refill() {
        check(RateLimiter::in_process(Rate {
            per_second: 2.0,
            burst: 10.0,
        }))
        .await;
    }

    #[tokio::test]
    async fn redis_buckets_limit_one_key_and_refill() {
        let Some(url) = std::env::var("NDRS_TEST_REDIS_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            eprintln!("skipped: NDRS_TEST_REDIS_URL is not set");
            return;
        };
        let namespace = format!("ndrs-rate-test-{}", uuid::Uuid::new_v4().simple());
        let limiter = RateLimiter::redis(
            &url,
            &namespace,
            Rate {
                per_second: 2.0,
                burst: 10.0,
            },
        )
        .await
        .expect("NDRS_TEST_REDIS_URL is set but Redis is unreachable");
        check(limiter).await;
    }
}
