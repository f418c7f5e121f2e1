//! The edge probe: the monitor's public URL fetched through the runtime's `fetch`, like a
//! browser would but without following redirects. It records status, identifying headers,
//! time to headers and a capped read of the body; a failure is recorded with the runtime's
//! text and a conservative classification. It must not decide health (the core does), read
//! an unbounded body, or outlive the monitor's timeout.

use futures::StreamExt;
use worker::{AbortController, Fetch, Headers, Method, Request, RequestInit, RequestRedirect};

use crate::env;
use crate::probe::timing::{since, Deadline};
use edgeprobe_core::http1::{summarize_fetch_response, BodyRead};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{CertificateInfo, EdgeFailure, EdgeObservation, EdgeOutcome};
use edgeprobe_core::probe_identity::{is_probe_owned, ProbeIdentity};

// Body bytes read at most on the edge path (the keyword is searched in these).
use edgeprobe_core::limits::PROBE_BODY_MAX_BYTES as EDGE_BODY_CAP;

/// Fetches the front URL once and describes what came back. The request identifies the probe
/// and its region as `identity` says (the same headers the origin path sends).
pub async fn probe_edge(m: &Monitor, identity: &ProbeIdentity) -> EdgeObservation {
    let start = env::now();
    let deadline = Deadline::after(start, m.timeout_ms);
    let observe = |outcome, headers_ms, total_ms| EdgeObservation {
        url: m.url.clone(),
        outcome,
        headers_ms,
        total_ms,
        // Workers' fetch does not expose the peer certificate (the own client may read it
        // afterwards, `probe::edge_certificate`).
        certificate: CertificateInfo::NotObservable,
        own_tls: None,
    };
    let failed = |failure, detail: String| EdgeOutcome::Failed { failure, detail };

    let req = match build_request(m, identity) {
        Ok(r) => r,
        Err(e) => {
            return observe(
                failed(
                    EdgeFailure::Other,
                    format!("could not build the request: {e}"),
                ),
                None,
                None,
            )
        }
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let mut resp = match deadline.race(fetch.send_with_signal(&signal)).await {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            let ms = since(start);
            let detail = e.to_string();
            return observe(
                failed(edgeprobe_core::classify::edge_failure(&detail), detail),
                Some(ms),
                Some(ms),
            );
        }
        None => {
            controller.abort();
            let ms = since(start);
            return observe(
                failed(
                    EdgeFailure::Timeout,
                    format!("no response headers within {} ms", m.timeout_ms),
                ),
                Some(ms),
                Some(ms),
            );
        }
    };
    let headers_ms = since(start);
    let status = resp.status_code();
    let headers: Vec<(String, String)> = resp.headers().entries().collect();

    let (body, truncated, read) = if m.method.eq_ignore_ascii_case("HEAD") {
        (Vec::new(), false, BodyRead::NotRead)
    } else {
        read_capped(&mut resp, deadline, controller).await
    };
    let summary = summarize_fetch_response(
        status,
        headers.into_iter(),
        &body,
        truncated,
        m.expect.keyword.as_deref(),
        read,
    );
    observe(
        EdgeOutcome::Response(summary),
        Some(headers_ms),
        Some(since(start)),
    )
}

fn build_request(m: &Monitor, identity: &ProbeIdentity) -> worker::Result<Request> {
    let headers = Headers::new();
    for (k, v) in m.headers.iter().filter(|(k, _)| !is_probe_owned(k)) {
        // A header the runtime refuses is skipped rather than failing the probe.
        let _ = headers.set(k, v);
    }
    // After the monitor's: the probe's own headers win (core::probe_identity).
    for (name, value) in identity.own_headers(&m.headers) {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(m.method.to_ascii_uppercase()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    Request::new_with_init(&m.url, &init)
}

/// Reads the body chunk by chunk until the cap, the end, or the deadline; never buffers more
/// than the cap. Returns the kept bytes, whether the body was longer than the cap, and how the
/// read ended (a break or our deadline mid-body is recorded, not hidden behind the status).
async fn read_capped(
    resp: &mut worker::Response,
    deadline: Deadline,
    controller: AbortController,
) -> (Vec<u8>, bool, BodyRead) {
    let mut stream = match resp.stream() {
        Ok(s) => s,
        Err(_) => return (Vec::new(), false, BodyRead::Ended), // no body (e.g. 204, 304)
    };
    let mut body = Vec::new();
    loop {
        match deadline.race(stream.next()).await {
            Some(Some(Ok(chunk))) => {
                let room = EDGE_BODY_CAP - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return (body, true, BodyRead::Ended);
                }
                body.extend_from_slice(&chunk);
                if body.len() == EDGE_BODY_CAP {
                    // Exactly at the cap: longer only if another byte follows, which we do not
                    // wait for; say "not truncated" only when the stream really ended.
                    return match deadline.race(stream.next()).await {
                        Some(None) => (body, false, BodyRead::Ended),
                        _ => (body, true, BodyRead::Ended),
                    };
                }
            }
            Some(None) => return (body, false, BodyRead::Ended),
            Some(Some(Err(e))) => return (body, false, BodyRead::Broken(e.to_string())),
            None => {
                // Stop the transfer: the headers arrived, the body did not finish in time.
                controller.abort();
                return (
                    body,
                    false,
                    BodyRead::Broken("the body did not finish within the timeout".into()),
                );
            }
        }
    }
}
