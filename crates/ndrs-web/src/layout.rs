//! The page frame every page shares, and the small pieces several pages print the same way:
//! figures in presentation units, timestamps, forms with their CSRF token.

use maud::{DOCTYPE, Markup, html};
use ndrs_proto::prost_types::Timestamp;

use crate::sessions::SignedIn;

/// A whole page: header with the signed-in person (and a sign-out form), then `body`.
pub fn page(title: &str, who: Option<&SignedIn>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · 全国数据资源调查 NDRS" }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                header.site {
                    a.brand href="/" { "全国数据资源调查 · National data resource survey" }
                    nav {
                        a href="/" { "Releases" }
                        a href="/sdmx/dataflow/NDRS" { "SDMX" }
                        a href="/console" { "Console" }
                        @if let Some(who) = who {
                            span.who { (who.caller.name) " (" (who.caller.role) ")" }
                            form.inline method="post" action="/console/sign-out" {
                                (csrf_field(who))
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field every console form carries.
pub fn csrf_field(who: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}

/// A figure's value in presentation units, e.g. ("32.85", "ZB (10^21 bytes)").
pub fn value(value: Option<f64>, unit: &str) -> String {
    match value {
        Some(v) => {
            let (number, unit) = ndrs_report::shown(v, unit);
            format!("{number} {unit}")
        }
        None => "withheld".into(),
    }
}

/// A wire timestamp as people read it, to the minute in UTC ("2027-03-01 09:00 UTC"); "—" when
/// unset.
pub fn time(t: Option<&Timestamp>) -> String {
    let Some(t) = t else { return "—".into() };
    match std::time::SystemTime::try_from(*t) {
        Ok(at) => chrono::DateTime::<chrono::Utc>::from(at)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => ndrs_platform::timestamp::display(Some(t)),
    }
}

/// A percentage with one decimal.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The first 12 characters of a hash, as people quote it.
pub fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}
