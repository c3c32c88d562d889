//! The console: the working group's and the experts' pages. Every page needs a signed-in session
//! ([`crate::sessions`]); every form carries the session's CSRF token, checked before anything
//! is called; every action is the gRPC call the CLI makes, with the signed-in person's token, so
//! the aggregator authorises it exactly as it would from the command line.
//!
//! - [`sign_in`]: the token form, sign-out;
//! - [`dashboard`]: cycles, and a cycle's progress, candidates, review rounds and releases;
//! - [`candidate`]: a candidate's three stages, its findings and the organiser's actions;
//! - [`review`]: the expert's review page and vote;
//! - [`audit`]: the audit log, paged, with its hash chain verified here.

pub mod audit;
pub mod candidate;
pub mod dashboard;
pub mod review;
pub mod sign_in;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use http::StatusCode;
use http::request::Parts;
use ndrs_client::Session;

use crate::Web;
use crate::error::WebError;
use crate::sessions::{SignedIn, cookie, session_cookie};

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/cycles/{year}", get(dashboard::cycle))
        .route("/candidates/{id}", get(candidate::show))
        .route("/candidates/{id}/justify", post(candidate::justify))
        .route("/candidates/{id}/review", post(candidate::open_review))
        .route("/candidates/{id}/publish", post(candidate::publish))
        .route("/rounds/{id}", get(review::show))
        .route("/rounds/{id}/vote", post(review::vote))
        .route("/audit", get(audit::show))
}

/// The signed-in person of a console request, with a session for their calls. A request
/// without a live session is sent to the sign-in page.
pub struct Console {
    pub who: SignedIn,
    pub session: Session,
}

impl FromRequestParts<Web> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let signed_in = cookie(&parts.headers, session_cookie(web.secure_cookies()))
            .and_then(|id| web.sessions().get(id));
        match signed_in {
            Some(who) => Ok(Console {
                session: web.as_caller(&who.token),
                who,
            }),
            None => Err(Redirect::to("/console/sign-in").into_response()),
        }
    }
}

impl Console {
    /// Refuses a form whose CSRF token is not this session's (403, nothing called).
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), WebError> {
        if self.who.csrf_matches(presented) {
            Ok(())
        } else {
            Err(WebError::new(
                StatusCode::FORBIDDEN,
                "the form's CSRF token is missing or not this session's: reload the page and try again",
            ))
        }
    }
}

/// A required confirmation checkbox of an action form.
pub fn confirmed(value: Option<&str>) -> Result<(), WebError> {
    if value == Some("yes") {
        Ok(())
    } else {
        Err(WebError::new(
            StatusCode::BAD_REQUEST,
            "tick the confirmation box to take this action",
        ))
    }
}
