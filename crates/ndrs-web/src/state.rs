//! What every handler shares: the public session (a `reader` token), the endpoints to make a
//! signed-in person's session from, the console sessions, and the documents already fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ndrs_aggregator::release::Document;
use ndrs_client::Session;
use ndrs_core::Result;
use ndrs_platform::client::SystemEndpoints;
use ndrs_platform::settings::WebSettings;

use crate::releases::CycleReleases;
use crate::sessions::Sessions;

/// Release documents kept in memory at most; a release is immutable, so a kept one is never stale.
const MAX_CACHED_DOCUMENTS: usize = 256;

/// The service's state: cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    public: Session,
    secure_cookies: bool,
    sessions: Sessions,
    documents: Mutex<HashMap<(i32, u32), Arc<Document>>>,
    /// The public listing of cycles and release versions, and when it was read.
    listing: Mutex<Option<(Instant, Arc<Vec<CycleReleases>>)>>,
    listing_ttl: Duration,
}

impl Web {
    /// The service over the aggregator at `endpoints.aggregator`, reading public pages with
    /// `reader_token`.
    pub fn new(
        endpoints: SystemEndpoints,
        reader_token: &str,
        settings: &WebSettings,
    ) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner {
                public: Session::new(endpoints, reader_token)?,
                secure_cookies: settings.secure_cookies,
                sessions: Sessions::new(
                    std::time::Duration::from_secs(settings.session_minutes.saturating_mul(60)),
                    settings.max_sessions,
                ),
                documents: Mutex::new(HashMap::new()),
                listing: Mutex::new(None),
                listing_ttl: Duration::from_millis(settings.listing_cache_ms),
            }),
        })
    }

    /// The session public pages read with (a `reader` principal).
    pub(crate) fn public(&self) -> &Session {
        &self.inner.public
    }

    /// The same channels with a signed-in person's token.
    pub(crate) fn as_caller(&self, token: &str) -> Session {
        self.inner.public.as_caller(token)
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    pub(crate) fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// The listing read less than `web.listing_cache_ms` ago, if any.
    pub(crate) fn cached_listing(&self) -> Option<Arc<Vec<CycleReleases>>> {
        let kept = self.inner.listing.lock().unwrap_or_else(|e| e.into_inner());
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < self.inner.listing_ttl)
            .map(|(_, listing)| listing.clone())
    }

    pub(crate) fn keep_listing(&self, listing: Arc<Vec<CycleReleases>>) {
        *self.inner.listing.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), listing));
    }

    /// Forgets the listing, after an action of this service changed it (a publication).
    pub(crate) fn forget_listing(&self) {
        *self.inner.listing.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub(crate) fn cached_document(&self, key: (i32, u32)) -> Option<Arc<Document>> {
        self.inner
            .documents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    pub(crate) fn keep_document(&self, key: (i32, u32), document: Arc<Document>) {
        let mut documents = self
            .inner
            .documents
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if documents.len() >= MAX_CACHED_DOCUMENTS {
            documents.clear();
        }
        documents.insert(key, document);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::releases;

    /// A service whose aggregator cannot be reached: whatever it answers came from its cache.
    fn unreachable(listing_cache_ms: u64) -> Web {
        let mut settings = ndrs_platform::settings::Settings::defaults();
        settings.web.listing_cache_ms = listing_cache_ms;
        let nowhere = || "http://127.0.0.1:1".to_string();
        let endpoints = SystemEndpoints {
            aggregator: nowhere(),
            production: nowhere(),
            compute: nowhere(),
            circulation: nowhere(),
            application: nowhere(),
        };
        Web::new(endpoints, "reader-token", &settings.web).unwrap()
    }

    fn listing(year: i32) -> Arc<Vec<CycleReleases>> {
        Arc::new(vec![CycleReleases {
            cycle: ndrs_proto::v1::Cycle {
                cycle_year: year,
                ..Default::default()
            },
            releases: vec![ndrs_proto::v1::ReleaseSummary {
                cycle_year: year,
                version: 1,
                ..Default::default()
            }],
        }])
    }

    #[tokio::test]
    async fn the_public_listing_is_kept_for_its_time_and_forgotten_after_a_publication() {
        let web = unreachable(60_000);
        assert!(releases::by_cycle(&web).await.is_err(), "nothing kept yet");
        web.keep_listing(listing(2023));
        let kept = releases::of_cycle(&web, 2023).await.unwrap();
        assert_eq!(kept[0].version, 1, "answered without the aggregator");
        assert!(releases::of_cycle(&web, 2024).await.is_err());
        web.forget_listing();
        assert!(releases::by_cycle(&web).await.is_err());

        let uncached = unreachable(0);
        uncached.keep_listing(listing(2023));
        assert!(
            releases::by_cycle(&uncached).await.is_err(),
            "0 reads the listing every time"
        );
    }
}
