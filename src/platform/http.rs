//! Response helpers and bearer-token authentication for the HTTP surface.

use serde::Serialize;
use worker::{Headers, Response, Result};

pub fn json<T: Serialize>(body: &T, status: u16) -> Result<Response> {
    let text = serde_json::to_string(body).map_err(|e| worker::Error::RustError(e.to_string()))?;
    with_type(text, status, "application/json")
}

pub fn with_type(body: String, status: u16, content_type: &str) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    Ok(Response::ok(body)?.with_status(status).with_headers(headers))
}
