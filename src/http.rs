//! Response helpers, request-body reading, bearer-token authentication, and the security
//! headers every response gets ([`with_security_headers`], applied once by the fetch handler).
//!
//! The mapping from errors to status codes lives in `core::problem`; this module only turns
//! the resulting problem document into an HTTP response. Which security headers a response
//! carries is decided by `core::security_headers`.

use serde::Serialize;
use subtle::ConstantTimeEq;
use worker::{Env, Headers, Request, Response, Result};

use crate::env;
use edgeprobe_web::problem::ApiError;
use edgeprobe_web::security_headers::{response_kind, security_headers};

use edgeprobe_core::limits::API_BODY_MAX_BYTES as MAX_BODY_BYTES;

pub fn json<T: Serialize>(body: &T, status: u16) -> Result<Response> {
    let text = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    with_type(text, status, "application/json")
}

pub fn with_type(body: String, status: u16, content_type: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    Ok(Response::ok(body)?
        .with_status(status)
        .with_headers(headers))
}

pub fn no_content() -> Result<Response> {
    Ok(Response::empty()?.with_status(204))
}

/// An RFC 9457 problem response for `e`.
pub fn problem(e: &ApiError, instance: &str) -> Result<Response> {
    let p = e.to_problem().with_instance(instance);
    let resp = with_type(p.to_json(), p.status, "application/problem+json")?;
    if matches!(e, ApiError::Unauthorized) {
        resp.headers()
            .set("www-authenticate", "Bearer realm=\"edgeprobe\"")?;
    }
    Ok(resp)
}

/// `Authorization: Bearer <API_TOKEN>` (scheme case-insensitive), compared in constant time. No token configured means
/// every authenticated route is refused (never open by accident).
pub fn authorized(req: &Request, env: &Env) -> bool {
    let Some(expected) = env::secret(env, "API_TOKEN") else {
        return false;
    };
    let Ok(Some(header)) = req.headers().get("authorization") else {
        return false;
    };
    let Some(given) = edgeprobe_web::routes::bearer_token(&header) else {
        return false;
    };
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Reads a JSON body: 415 unless the content type is JSON, 413 past [`MAX_BODY_BYTES`],
/// 400 with line/column when it does not parse.
pub async fn read_json(req: &mut Request) -> std::result::Result<serde_json::Value, ApiError> {
    let ctype = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && essence != "application/merge-patch+json" {
        return Err(ApiError::UnsupportedMediaType);
    }
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len
            .trim()
            .parse::<usize>()
            .map(|n| n > MAX_BODY_BYTES)
            .unwrap_or(false)
        {
            return Err(ApiError::PayloadTooLarge {
                limit_bytes: MAX_BODY_BYTES,
            });
        }
    }
    let bytes = req.bytes().await.map_err(|e| ApiError::Unavailable {
        log_detail: format!("reading body: {e}"),
    })?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit_bytes: MAX_BODY_BYTES,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::from_json_error(&e))
}

/// Maps a platform error (D1, KV, Durable Object) to a 503 that logs its text.
pub fn unavailable(what: &str) -> impl Fn(worker::Error) -> ApiError + '_ {
    move |e| ApiError::Unavailable {
        log_detail: format!("{what}: {e}"),
    }
}

/// Sets the security headers for `resp`'s kind (from its content type) on it. Called once, by
/// the fetch handler, on every response it returns.
pub fn with_security_headers(resp: Response) -> Result<Response> {
    let content_type = resp.headers().get("content-type")?;
    let headers = resp.headers().clone();
    for (name, value) in security_headers(response_kind(content_type.as_deref())) {
        headers.set(name, value)?;
    }
    Ok(resp.with_headers(headers))
}
