//! Signing in with a token and out again.

use std::time::Duration;

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderMap, StatusCode, header};
use maud::html;
use serde::Deserialize;

use super::Console;
use crate::Web;
use crate::error::WebError;
use crate::layout::page;
use crate::sessions::{cookie, random_hex, session_cookie, set_cookie, sign_in_cookie};

/// Longest token accepted from the form (issued tokens are 69 characters).
const MAX_TOKEN_CHARS: usize = 200;
/// How long the sign-in form stays valid.
const SIGN_IN_FORM_LIFETIME: Duration = Duration::from_secs(30 * 60);

fn sign_in_page(csrf: &str, problem: Option<&str>) -> maud::Markup {
    page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in · 登录" }
            p { "Paste the token the working group issued you. It is kept on the server for this \
                 session only; the browser holds a session cookie, never the token." }
            @if let Some(problem) = problem { p.error { (problem) } }
            form.action method="post" action="/console/sign-in" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Token " input type="password" name="token" autocomplete="off" required; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The form, with a fresh CSRF value in a cookie of its own (double submit).
pub async fn form(State(web): State<Web>) -> Response {
    let csrf = random_hex();
    let secure = web.secure_cookies();
    (
        [(
            header::SET_COOKIE,
            set_cookie(sign_in_cookie(secure), &csrf, SIGN_IN_FORM_LIFETIME, secure),
        )],
        sign_in_page(&csrf, None),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: Option<String>,
    token: Option<String>,
}

pub async fn submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let secure = web.secure_cookies();
    let expected = cookie(&headers, sign_in_cookie(secure));
    let matches =
        matches!((expected, form.csrf.as_deref()), (Some(a), Some(b)) if !a.is_empty() && a == b);
    if !matches {
        return Err(WebError::new(
            StatusCode::FORBIDDEN,
            "the sign-in form's CSRF token is missing or stale: open the sign-in page again",
        ));
    }
    let token = form.token.unwrap_or_default().trim().to_string();
    let again = |status: StatusCode, problem: &str| {
        let csrf = expected.unwrap_or_default();
        (status, sign_in_page(csrf, Some(problem))).into_response()
    };
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Ok(again(
            StatusCode::BAD_REQUEST,
            "Enter the token you were issued.",
        ));
    }
    let caller = match ndrs_client::identity::who_am_i(&web.as_caller(&token)).await {
        Ok(c) => c,
        Err(e) => {
            let status = crate::error::status_of(&e);
            // The aggregator's reason (unknown, revoked, expired); never the token itself.
            return Ok(again(status, &format!("The token was not accepted: {e}")));
        }
    };
    tracing::info!(principal = %caller.name, role = %caller.role, "console sign-in");
    let id = web.sessions().start(token, caller);
    let lifetime = web.sessions().lifetime();
    let mut response = Redirect::to("/console").into_response();
    let h = response.headers_mut();
    for value in [
        set_cookie(session_cookie(secure), &id, lifetime, secure),
        set_cookie(sign_in_cookie(secure), "", Duration::ZERO, secure),
    ] {
        if let Ok(v) = value.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct SignOutForm {
    csrf: Option<String>,
}

pub async fn sign_out(
    State(web): State<Web>,
    headers: HeaderMap,
    console: Console,
    Form(form): Form<SignOutForm>,
) -> Result<Response, WebError> {
    console.check_csrf(form.csrf.as_deref())?;
    let secure = web.secure_cookies();
    if let Some(id) = cookie(&headers, session_cookie(secure)) {
        web.sessions().end(id);
    }
    Ok((
        [(
            header::SET_COOKIE,
            set_cookie(session_cookie(secure), "", Duration::ZERO, secure),
        )],
        Redirect::to("/"),
    )
        .into_response())
}
