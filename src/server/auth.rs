//! Who is asking: a bearer token or a browser session, checked against the
//! database on every request; CSRF for browsers; sign-in throttling.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};

use super::{ApiError, AppState};
use crate::app::Context;
use crate::app::identity::{self, Principal};
use crate::error::{Error, Kind};

/// The cookie that carries a browser session.
pub const SESSION_COOKIE: &str = "raci_session";
/// The header that carries a session's CSRF token on an API call.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated request: who, and the context their commands run in.
pub struct Auth {
    pub principal: Principal,
    pub ctx: Context,
}

/// The secret a request presents, and how.
pub(super) enum Presented {
    Bearer(String),
    Cookie(String),
}

pub(super) fn presented(parts: &Parts) -> Option<Presented> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        let token = text.strip_prefix("Bearer ").or_else(|| text.strip_prefix("bearer "))?;
        return Some(Presented::Bearer(token.trim().to_string()));
    }
    cookie(parts, SESSION_COOKIE).map(Presented::Cookie)
}

/// A cookie's value.
pub(super) fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts.headers.get_all(header::COOKIE).iter().find_map(|v| {
        v.to_str().ok()?.split(';').find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    })
}

/// Who a presented secret proves, checked now; notes its use at most once a
/// minute, so reads do not queue behind the writer.
pub(super) async fn principal(state: &AppState, secret: String) -> Result<Principal, ApiError> {
    let now = state.now();
    let principal = state.db.read(move |store| identity::authenticate(store, now, &secret)).await?;
    let stale = principal.last_used_at.as_deref().is_none_or(|at| {
        chrono::DateTime::parse_from_rfc3339(at)
            .map_or(true, |t| now.signed_duration_since(t) > chrono::Duration::seconds(60))
    });
    if stale {
        let db = state.db.clone();
        let p = principal.clone();
        tokio::spawn(async move {
            let _ = db.write(move |store| identity::touch(store, now, &p)).await;
        });
    }
    Ok(principal)
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(presented) = presented(parts) else {
            return Err(Error::unauthenticated(
                "sign in first: send Authorization: Bearer TOKEN (from `raci login` or `raci token create`)",
            )
            .into());
        };
        let (secret, by_cookie) = match presented {
            Presented::Bearer(s) => (s, false),
            Presented::Cookie(s) => (s, true),
        };
        let principal = principal(state, secret).await?;
        if by_cookie && !principal.session {
            return Err(
                Error::unauthenticated("this cookie is not a session; sign in again").into()
            );
        }
        if is_write(&parts.method) {
            if by_cookie {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent.is_none() || sent != principal.csrf.as_deref() {
                    return Err(Error::not_permitted(
                        "a change made with a browser session must carry the page's CSRF token",
                    )
                    .into());
                }
            }
            // Signing out revokes the presenting token itself, which a
            // read-only token may do.
            let path = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.path().to_string(), |u| u.path().to_string());
            if principal.read_only && path != "/api/v1/logout" {
                return Err(Error::not_permitted(
                    "this token is read-only; changes need a token made without --read-only",
                )
                .into());
            }
        }
        let mut ctx = state.context(&principal);
        if let Some(super::signed::Carried(signing)) = parts.extensions.get() {
            ctx.signing = signing.clone();
        }
        Ok(Auth { principal, ctx })
    }
}

/// The client's address: the peer, or with `--behind-proxy` the last hop
/// the proxy appended to `X-Forwarded-For`.
pub(super) fn client(parts: &Parts, behind_proxy: bool) -> String {
    if behind_proxy
        && let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip.to_string();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string())
}

/// Failed sign-ins: after 5 for one handle, or 20 from one address, within
/// 15 minutes, every attempt is refused until the window passes.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_HANDLE: usize = 5;
const PER_CLIENT: usize = 20;

impl Throttle {
    fn keys(handle: &str, client: &str) -> [(String, usize); 2] {
        [
            (format!("handle:{}", handle.to_ascii_lowercase()), PER_HANDLE),
            (format!("client:{client}"), PER_CLIENT),
        ]
    }

    /// Counts a sign-in attempt as failed before its password is checked,
    /// so attempts made all at once cannot slip past the limit; refuses
    /// (429) while either limit is reached. A success is [`Throttle::forgive`]n.
    pub fn attempt(&self, handle: &str, client: &str) -> Result<Attempt, Error> {
        let mut map = self.failures.lock().map_err(|_| Error::storage("the throttle failed"))?;
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) <= WINDOW));
        }
        let keys = Self::keys(handle, client);
        for (key, limit) in &keys {
            if let Some(times) = map.get_mut(key) {
                while times.front().is_some_and(|t| now.duration_since(*t) > WINDOW) {
                    times.pop_front();
                }
                if times.len() >= *limit {
                    return Err(Error::new(
                        Kind::TooManyRequests,
                        "too many failed sign-ins; wait 15 minutes before trying again",
                    ));
                }
            }
        }
        for (key, _) in &keys {
            map.entry(key.clone()).or_default().push_back(now);
        }
        Ok(Attempt { keys: keys.map(|(k, _)| k), at: now })
    }

    /// The attempt's password was right: it does not count as a failure.
    pub fn forgive(&self, attempt: Attempt) {
        let Ok(mut map) = self.failures.lock() else { return };
        for key in &attempt.keys {
            if let Some(times) = map.get_mut(key)
                && let Some(i) = times.iter().position(|t| *t == attempt.at)
            {
                times.remove(i);
            }
        }
    }
}

/// A sign-in attempt counted by the [`Throttle`] until forgiven.
pub struct Attempt {
    keys: [String; 2],
    at: Instant,
}
