//! Signed writes over HTTP. A write's JSON body may carry `"signature"` (the
//! armored sshsig) and, from raci's own CLI, the `"statement"` it signed,
//! beside the route's own fields. They are taken out here, before the
//! route reads its body, and handed to the request's context; the use case
//! then settles them as on the command line. `POST /statements` runs a
//! write's route as a draft to answer the statement to sign.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, JSON_LIMIT};
use crate::app::Signing;
use crate::error::{Error, Kind};

/// What a request's body carried for its signing.
#[derive(Debug, Clone)]
pub(super) struct Carried(pub Signing);

/// Takes `signature` and `statement` out of a JSON write's body.
pub(super) async fn take_signature(req: Request, next: Next) -> Response {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"));
    // offline/apply takes a statement and signature as its own fields.
    if req.method() != Method::POST || !json || req.uri().path().ends_with("/offline/apply") {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, JSON_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError(Error::new(
                Kind::TooLarge,
                format!("the body is over the limit of {JSON_LIMIT} bytes"),
            ))
            .into_response();
        }
    };
    let mentions = bytes.windows(11).any(|w| w == b"\"signature\"");
    let mut map = match mentions.then(|| serde_json::from_slice::<serde_json::Value>(&bytes)) {
        Some(Ok(serde_json::Value::Object(map))) if map.contains_key("signature") => map,
        _ => return next.run(Request::from_parts(parts, Body::from(bytes))).await,
    };
    let text = |v: Option<serde_json::Value>, what: &str| match v {
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        None => Ok(None),
        Some(_) => Err(ApiError(Error::bad_input(format!(
            "\"{what}\" must be a string: {}",
            if what == "signature" {
                "the armored output of `ssh-keygen -Y sign -n raci-step@v1`"
            } else {
                "the statement, byte for byte as POST /api/v1/statements answered it"
            }
        )))),
    };
    let signature = match text(map.remove("signature"), "signature") {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return e.into_response(),
    };
    let statement = match text(map.remove("statement"), "statement") {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let taken = Some((Signing::Signed { signature, statement, offline: false }, map));
    let bytes = match taken {
        Some((signing, rest)) => {
            parts.extensions.insert(Carried(signing));
            let rest = serde_json::to_vec(&rest).unwrap_or_default();
            if let Ok(len) = HeaderValue::from_str(&rest.len().to_string()) {
                parts.headers.insert(header::CONTENT_LENGTH, len);
            }
            axum::body::Bytes::from(rest)
        }
        None => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
