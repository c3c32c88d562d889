//! What every handler shares: the public session (a `reader` token), the endpoints to make a
//! signed-in person's session from, the console sessions, and the documents already fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ndrs_aggregator::release::Document;
use ndrs_client::Session;
use ndrs_core::Result;
use ndrs_platform::client::SystemEndpoints;
use ndrs_platform::settings::WebSettings;

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
