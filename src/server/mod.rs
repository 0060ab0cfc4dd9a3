//! `raci serve`: the JSON API under `/api/v1/` and the pages, over the same
//! database and the same use cases as the command line. This module only
//! translates: HTTP in, a use case's request and context, the use case's
//! answer (or its refusal, by its kind) out.

mod api;
pub mod auth;
pub mod db;
mod pages;
mod signed;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::app::Context;
use crate::error::{Error, Result};
pub use auth::Throttle;
use db::Db;

/// The largest JSON body.
pub const JSON_LIMIT: usize = 1 << 20;
/// The largest CSV import.
pub const IMPORT_LIMIT: usize = 64 << 20;

/// How `raci serve` was asked to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub db: PathBuf,
    /// TLS in front (a reverse proxy, or our own): cookies are `Secure`.
    pub secure: bool,
    /// Trust the last `X-Forwarded-For` hop as the client's address.
    pub behind_proxy: bool,
    /// Serve HTTPS with this certificate chain and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// A fixed clock (`RACI_NOW`), for tests and demonstrations.
    pub now: Option<DateTime<Utc>>,
}

/// What every request can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub throttle: Arc<Throttle>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> AppState {
        AppState { db, config: Arc::new(config), throttle: Arc::new(Throttle::default()) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.config.now.unwrap_or_else(Utc::now)
    }

    /// The context of a command made by `principal`.
    fn context(&self, principal: &crate::app::identity::Principal) -> Context {
        Context {
            now: self.now(),
            acting: Some(principal.handle.clone()),
            os_user: None,
            channel: principal.kind().channel(),
            token_id: Some(principal.token_id.clone()),
            ..Context::default()
        }
    }
}

/// A refusal, as the API answers it: the kind's status and
/// `{"error": {"kind", "message"}}`, the message without the CLI's hint.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A write run as a draft stops with the statement it would record.
        if let Some(statement) = self.0.statement {
            return axum::Json(crate::api::StatementView { statement }).into_response();
        }
        let status = StatusCode::from_u16(self.0.kind.http_status())
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let body = crate::api::ErrorBody {
            error: crate::api::ErrorDetail { kind: self.0.kind, message: self.0.message },
        };
        (status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// The whole application: API, pages, limits and headers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes().layer(middleware::from_fn(signed::take_signature)))
        .merge(pages::routes())
        .fallback(|| async {
            ApiError(Error::not_found("no such page or route; the API is under /api/v1/"))
        })
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .layer(middleware::from_fn(deadline))
        .layer(middleware::from_fn(wrong_method))
        .layer(middleware::from_fn(headers))
        .layer(middleware::from_fn(access_log))
        .with_state(state)
}

/// A method a route does not take: 405 as the router answers it, with the
/// API's JSON error naming the methods it does take.
async fn wrong_method(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let res = next.run(req).await;
    if res.status() != StatusCode::METHOD_NOT_ALLOWED {
        return res;
    }
    let allowed =
        res.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = serde_json::json!({
        "error": {
            "kind": crate::error::Kind::BadInput.as_str(),
            "message": if allowed.is_empty() {
                format!("{method} is not a method of this route; /api/v1/openapi.json lists each route's methods")
            } else {
                format!("{method} is not a method of this route; it takes {allowed}")
            },
        }
    });
    let mut out = (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&allowed) {
        out.headers_mut().insert(header::ALLOW, v);
    }
    out
}

/// How long a request may take before it is answered 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A request still running after [`REQUEST_TIMEOUT`] is refused as any
/// other storage failure, inside the layer that adds the headers.
async fn deadline(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError(Error::storage(format!(
            "the request took over {} seconds; the database may be busy",
            REQUEST_TIMEOUT.as_secs()
        )))
        .into_response(),
    }
}

/// Every response: a content security policy with no inline script and no
/// other origin, no sniffing, no framing, no referrer (an invitation's URL
/// holds its code).
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// One structured line per request: the route's template (never its
/// values, which can hold an invitation code), the status and the time.
async fn access_log(req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(unmatched)".to_string(), |p| p.as_str().to_string());
    let res = next.run(req).await;
    tracing::info!(
        target: "raci::access",
        method = %method,
        route = %route,
        status = res.status().as_u16(),
        micros = start.elapsed().as_micros() as u64,
    );
    res
}

/// Runs the server until SIGTERM or SIGINT, then finishes what is in flight.
pub fn serve(config: Config) -> Result<()> {
    let listen = config.listen;
    let db = Db::open(&config.db, 4)?;
    let state = AppState::new(db, config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::storage(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        // Listen for the signals before saying where it listens, so a
        // SIGTERM sent the moment it is up still stops it cleanly.
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        };
        let tls = state.config.tls.clone();
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        let Some((cert, key)) = tls else {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| Error::storage(format!("cannot listen on {listen}: {e}")))?;
            announce("http", listener.local_addr()?);
            return axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
                .map_err(|e| Error::storage(format!("the server stopped: {e}")));
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.map_err(
            |e| {
                Error::bad_input(format!(
                    "cannot use --tls-cert {} and --tls-key {}: {e}; expected a PEM certificate chain and its private key",
                    cert.display(),
                    key.display()
                ))
            },
        )?;
        let listener = std::net::TcpListener::bind(listen)
            .map_err(|e| Error::storage(format!("cannot listen on {listen}: {e}")))?;
        listener.set_nonblocking(true)?;
        announce("https", listener.local_addr()?);
        let handle = axum_server::Handle::new();
        let stopping = handle.clone();
        tokio::spawn(async move {
            stop.await;
            stopping.graceful_shutdown(Some(Duration::from_secs(30)));
        });
        axum_server::from_tcp_rustls(listener, tls)?
            .handle(handle)
            .serve(app)
            .await
            .map_err(|e| Error::storage(format!("the server stopped: {e}")))
    })
}

/// The first line on stdout says where it listens (port 0 picks one).
fn announce(scheme: &str, bound: SocketAddr) {
    println!("raci serving on {scheme}://{bound}");
    tracing::info!(target: "raci::server", listen = %bound, "serving");
}

/// A path made absolute with the address the client used (an invitation's
/// URL), `https` when TLS is in front.
fn absolute(st: &AppState, headers: &axum::http::HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| st.config.listen.to_string(), str::to_string);
    let scheme = if st.config.secure { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

/// Whether an address may be served without TLS in front.
pub fn loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Refuses a non-loopback address with neither TLS nor a proxy in front.
pub fn check_listen(addr: &SocketAddr, tls: bool, behind_proxy: bool) -> Result<()> {
    if loopback(addr) || tls || behind_proxy {
        return Ok(());
    }
    Err(Error::bad_input(format!(
        "--listen {addr} is not a loopback address; serving it needs TLS (--tls-cert and --tls-key) or a TLS proxy in front (--behind-proxy)"
    )))
}
