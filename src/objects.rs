//! Calling a Durable Object: one `POST` whose JSON body is a request enum of
//! `edgeprobe_core::messages`, and reading its answer. Callers use the typed functions of
//! each object's module (`coordinator::check_now`, `dispatcher::kick`, …); the objects decode
//! the same enum with [`read`] and match it exhaustively. There are no paths: the URL below
//! only satisfies the runtime, which requires an absolute URL for a stub's fetch.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Method, Request, RequestInit, Response, Result, Stub};

use crate::store;

/// The URL every object request is sent to; objects ignore it.
const OBJECT_URL: &str = "https://object.invalid/";

/// Sends `message` to the object behind `stub`; an answer of 400 or more is an error naming
/// `what` and the status.
pub async fn send<M: Serialize>(stub: &Stub, what: &str, message: &M) -> Result<Response> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(store::to_json(message)?.into()));
    let req = Request::new_with_init(OBJECT_URL, &init)?;
    let resp = stub.fetch_with_request(req).await?;
    let status = ::http::StatusCode::from_u16(resp.status_code())
        .unwrap_or(::http::StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_client_error() || status.is_server_error() {
        return Err(worker::Error::RustError(format!(
            "{what}: status {}",
            status.as_u16()
        )));
    }
    Ok(resp)
}

/// Decodes the request an object received; `Err` carries a 400 answer for an unreadable one
/// (a caller from another deploy, or a bug).
pub async fn read<M: DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<M, Result<Response>> {
    match req.json::<M>().await {
        Ok(m) => Ok(m),
        Err(e) => Err(Response::error(format!("unreadable request: {e}"), 400)),
    }
}
