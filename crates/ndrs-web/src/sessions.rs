//! Signing in to the console. A person pastes the token the working group issued them; the
//! service asks the aggregator who it stands for (`WhoAmI`) and keeps it, server-side, behind a
//! random session id sent as a cookie: HttpOnly (no script can read it), SameSite=Strict (no other
//! site can make the browser send it) and, behind TLS, Secure under the `__Host-` prefix. The
//! token never appears in a URL, a page or a log line.
//!
//! Every form carries the session's CSRF token (synchronizer-token pattern), checked before the
//! form's action; the sign-in form, which has no session yet, carries one matched against a
//! short-lived cookie of its own (double submit).
//!
//! Sessions live in this process: a restart signs everyone out, and they sign in again. They end
//! at `web.session_minutes` or when the token expires, whichever is first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use ndrs_proto::v1 as pb;
use rand::RngCore;

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The token their actions are made with.
    pub token: String,
    pub caller: pb::Caller,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    expires: Instant,
}

impl SignedIn {
    /// Whether the role may take the actions of `role` (the aggregator checks again).
    pub fn is(&self, role: &str) -> bool {
        self.caller.role == role
    }

    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: Option<&str>) -> bool {
        presented.is_some_and(|p| constant_time_eq(p.as_bytes(), self.csrf.as_bytes()))
    }
}

/// The sessions of this process, by session id.
pub struct Sessions {
    by_id: Mutex<HashMap<String, SignedIn>>,
    lifetime: Duration,
    max: usize,
}

impl Sessions {
    pub fn new(lifetime: Duration, max: usize) -> Self {
        Self {
            by_id: Mutex::new(HashMap::new()),
            lifetime,
            max,
        }
    }

    /// How long a session lasts at most.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Starts a session for `token`; returns its id. The session ends at the service's lifetime
    /// or at the token's expiry, whichever is first.
    pub fn start(&self, token: String, caller: pb::Caller) -> String {
        let mut lifetime = self.lifetime;
        if let Some(expires_at) = caller.expires_at.as_ref()
            && let Ok(at) = std::time::SystemTime::try_from(*expires_at)
        {
            let left = at
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            lifetime = lifetime.min(left);
        }
        let id = random_hex();
        let session = SignedIn {
            token,
            caller,
            csrf: random_hex(),
            expires: Instant::now() + lifetime,
        };
        let mut sessions = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= self.max
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(id, _)| id.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(id.clone(), session);
        id
    }

    /// The live session with this id.
    pub fn get(&self, id: &str) -> Option<SignedIn> {
        let mut sessions = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        match sessions.get(id) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn end(&self, id: &str) {
        self.by_id
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}

/// 256 random bits, hex.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie's name: `__Host-` prefixed behind TLS, which browsers accept only with
/// Secure, Path=/ and no Domain, so no sibling host can set or shadow it.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-ndrs_session"
    } else {
        "ndrs_session"
    }
}

/// The sign-in form's own CSRF cookie.
pub fn sign_in_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-ndrs_sign_in"
    } else {
        "ndrs_sign_in"
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure behind TLS; `max_age` 0
/// removes it.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: &str) -> pb::Caller {
        pb::Caller {
            name: "someone".into(),
            role: role.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_session_ends_at_its_lifetime_and_the_oldest_goes_first() {
        let sessions = Sessions::new(Duration::from_secs(60), 2);
        let a = sessions.start("t1".into(), caller("expert"));
        let b = sessions.start("t2".into(), caller("organiser"));
        assert_eq!(sessions.get(&a).unwrap().token, "t1");
        let c = sessions.start("t3".into(), caller("expert"));
        assert!(sessions.get(&a).is_none(), "the oldest was signed out");
        assert!(sessions.get(&b).is_some() && sessions.get(&c).is_some());
        sessions.end(&b);
        assert!(sessions.get(&b).is_none());
        let short = Sessions::new(Duration::ZERO, 10);
        let d = short.start("t4".into(), caller("expert"));
        assert!(short.get(&d).is_none(), "an expired session is gone");
    }

    #[test]
    fn a_session_ends_no_later_than_its_token() {
        let sessions = Sessions::new(Duration::from_secs(3600), 10);
        let mut c = caller("expert");
        c.expires_at = Some(std::time::SystemTime::now().into());
        let id = sessions.start("t".into(), c);
        assert!(sessions.get(&id).is_none());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let sessions = Sessions::new(Duration::from_secs(60), 10);
        let s = sessions
            .get(&sessions.start("t".into(), caller("expert")))
            .unwrap();
        assert!(s.csrf_matches(Some(&s.csrf.clone())));
        assert!(!s.csrf_matches(None));
        assert!(!s.csrf_matches(Some("")));
        assert!(!s.csrf_matches(Some(&s.csrf[1..])));
    }

    #[test]
    fn cookies_are_read_from_every_header_and_set_strict() {
        let mut headers = HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "a=1; ndrs_session=xyz".parse().unwrap(),
        );
        headers.append(http::header::COOKIE, "b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "ndrs_session"), Some("xyz"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, "c"), None);
        let set = set_cookie("__Host-ndrs_session", "v", Duration::from_secs(5), true);
        assert_eq!(
            set,
            "__Host-ndrs_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=5; Secure"
        );
    }
}
