//! The dispatcher: one Durable Object that delivers the outbox (D1 `deliveries`) to channels,
//! with retries, driven by its own alarm so sending never blocks probing.
//!
//! `kick` only moves the alarm forward and returns: rounds and API calls never wait for a
//! receiver. The alarm sends due rows a few at a time (each POST bounded by a timeout),
//! records every attempt, asks `core::alerting::retry` what to do after a failure and re-arms
//! itself at the next due row. What to send is decided by the core (`payload::build`, at each
//! attempt: same `webhook-id` and body, fresh timestamp and signature); this module only
//! sends it. Attempt rows never carry a channel URL or secret.
//!
//! Before each attempt the channel is checked against the current target policy
//! (`core::validate::target::channel_refusal`): a channel saved under a looser setting is not
//! sent to, and the delivery is dead with the reason. Redirects are never followed (a signed
//! POST goes only to the configured URL, never where a receiver points it, e.g. loopback):
//! a 3xx is a failed attempt whose log names the `Location` (`retry::redirect_error`).

use std::time::Duration;

use futures::future::{select, Either};
use futures::StreamExt;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, AbortController, D1Database, DurableObject, Env, Fetch, Headers, Method,
    Request, RequestInit, RequestRedirect, Response, Result, ScheduledTime, State,
};

use crate::store::deliveries::{AttemptRecord, Delivery, Outcome};
use crate::store::{self, channels, deliveries};
use crate::{env, objects};
use edgeprobe_core::alerting::payload::{self, OutgoingRequest, Target};
use edgeprobe_core::alerting::retry::{
    after_failure, classify_response, redirect_error, DeliveryOutcome, RetryDecision, RetryPolicy,
};
use edgeprobe_core::limits::{
    DELIVERIES_PER_ALARM, DELIVERY_DRAIN_MS, DELIVERY_TIMEOUT_MS, MAX_CONNECTIONS_IN_FLIGHT,
};
use edgeprobe_core::messages::DispatcherRequest;
use edgeprobe_core::monitor::Channel;

/// How long one POST may take before it counts as a retryable failure.
const TIMEOUT: Duration = Duration::from_millis(DELIVERY_TIMEOUT_MS);
/// Longest error text kept per attempt.
const MAX_ERROR_CHARS: usize = 200;

/// Asks the dispatcher to look at the outbox now (fire and forget from the caller's view).
pub async fn kick(env: &Env) -> Result<()> {
    let stub = env
        .durable_object("DISPATCHER")?
        .get_by_name("dispatcher")?;
    objects::send(&stub, "dispatcher", &DispatcherRequest::Kick)
        .await
        .map(|_| ())
}

#[durable_object]
pub struct Dispatcher {
    state: State,
    env: Env,
}

impl DurableObject for Dispatcher {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match objects::read(&mut req).await {
            Ok(DispatcherRequest::Kick) => {
                self.arm_by(env::now()).await?;
                Response::ok("ok")
            }
            Err(answer) => answer,
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let db = store::db(&self.env)?;
        let due = deliveries::due(&db, env::now(), DELIVERIES_PER_ALARM).await?;
        let allow_private = env::Config::from_env(&self.env).allow_private_targets;
        futures::stream::iter(due.iter())
            // Each POST holds one connection: stay within the platform's limit.
            .for_each_concurrent(MAX_CONNECTIONS_IN_FLIGHT, |d| async {
                if let Err(e) = deliver(&db, d, allow_private).await {
                    // The row stays pending and due, so the next alarm tries it again.
                    worker::console_error!("dispatcher: delivery {}: {e}", d.id);
                }
            })
            .await;
        if let Some(next) = deliveries::next_due_at(&db).await? {
            self.arm_by(next.max(env::now())).await?;
        }
        Response::ok("ok")
    }
}

impl Dispatcher {
    /// Sets the alarm to `at` unless one is already set sooner.
    async fn arm_by(&self, at: i64) -> Result<()> {
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(current) if current <= at => Ok(()),
            // An i64 passed to set_alarm is an offset from now, not a time: give a Date.
            _ => {
                storage
                    .set_alarm(ScheduledTime::new(js_sys::Date::new(&JsValue::from_f64(
                        at as f64,
                    ))))
                    .await
            }
        }
    }
}

/// One attempt for one row: render, POST, record, decide.
async fn deliver(db: &D1Database, d: &Delivery, allow_private: bool) -> Result<()> {
    let attempt = d.attempts.saturating_add(1);
    let started = env::now();
    let record = |status_code: Option<u16>, error: Option<String>| AttemptRecord {
        attempt,
        at: started,
        status_code,
        error,
        duration_ms: (env::now() - started).max(0),
    };
    let Some(channel) = channels::get(db, &d.channel_id).await? else {
        let reason = "channel was deleted".to_string();
        let a = record(None, Some(reason.clone()));
        return deliveries::finish_attempt(db, &d.id, &a, &Outcome::Dead { reason }).await;
    };
    if !channel.enabled {
        let reason = "channel is disabled".to_string();
        let a = record(None, Some(reason.clone()));
        return deliveries::finish_attempt(db, &d.id, &a, &Outcome::Dead { reason }).await;
    }
    if let Some(why) = edgeprobe_core::target::channel_refusal(&channel, allow_private) {
        // Saved under a looser policy: sending again cannot help until the channel is fixed.
        let reason = format!("refused by the target policy: {}", redact(&why, &channel));
        let a = record(None, Some(reason.clone()));
        return deliveries::finish_attempt(db, &d.id, &a, &Outcome::Dead { reason }).await;
    }
    let target = Target {
        previous_secret: channel.previous_secret_at(started),
        ..Target::from(&channel)
    };
    let outgoing = match payload::render(&target, &d.alert, started / 1000) {
        Ok(o) => o,
        Err(e) => {
            // A configuration error: sending again cannot help until the channel is fixed.
            let reason = e.to_string();
            let a = record(None, Some(reason.clone()));
            return deliveries::finish_attempt(db, &d.id, &a, &Outcome::Dead { reason }).await;
        }
    };
    let (status, error) = match post(&outgoing).await {
        Ok(Answer { status, location })
            if ::http::StatusCode::from_u16(status).is_ok_and(|s| s.is_redirection()) =>
        {
            (
                Some(status),
                Some(redact(
                    &redirect_error(status, location.as_deref()),
                    &channel,
                )),
            )
        }
        Ok(Answer { status, .. }) => (Some(status), None),
        Err(text) => (None, Some(redact(&text, &channel))),
    };
    let outcome = match status.map(classify_response) {
        Some(DeliveryOutcome::Delivered) => Outcome::Delivered,
        Some(DeliveryOutcome::PermanentFailure) => Outcome::Dead {
            reason: format!(
                "HTTP {}: the receiver refused the request",
                status.unwrap_or(0)
            ),
        },
        Some(DeliveryOutcome::RetryableFailure) | None => {
            let error = error
                .clone()
                .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0)));
            // The retry window is measured from when the alert was queued (≈ the first attempt).
            match after_failure(
                &RetryPolicy::default(),
                attempt,
                d.created_at,
                env::now(),
                env::random_unit(),
            ) {
                RetryDecision::RetryAt(at) => Outcome::RetryAt { at, error },
                RetryDecision::Dead { reason } => Outcome::Dead {
                    reason: format!("{reason} (last: {error})"),
                },
            }
        }
    };
    let error_text = match (&outcome, &error) {
        (_, Some(e)) => Some(e.clone()),
        (Outcome::Delivered, None) => None,
        (_, None) => status.map(|s| format!("HTTP {s}")),
    };
    deliveries::finish_attempt(db, &d.id, &record(status, error_text), &outcome).await
}

/// What a receiver answered: its status, and where it redirects to (3xx).
struct Answer {
    status: u16,
    location: Option<String>,
}

/// POSTs the rendered request without following redirects; the answer, or the transport
/// error's text (timeouts too).
async fn post(out: &OutgoingRequest) -> std::result::Result<Answer, String> {
    let request = build_request(out).map_err(|e| format!("cannot build request: {e}"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let send = Box::pin(async move { Fetch::Request(request).send_with_signal(&signal).await });
    let timer = Box::pin(worker::Delay::from(TIMEOUT));
    match select(send, timer).await {
        Either::Left((Ok(mut resp), _)) => {
            let status = resp.status_code();
            let location = resp.headers().get("location").ok().flatten();
            // Drain a little of the body so the connection can close cleanly; its content
            // does not matter (and may echo secrets), so it is discarded.
            let _ = select(
                Box::pin(resp.bytes()),
                Box::pin(worker::Delay::from(Duration::from_millis(
                    DELIVERY_DRAIN_MS,
                ))),
            )
            .await;
            Ok(Answer { status, location })
        }
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(_) => {
            controller.abort();
            Err(format!("timed out after {} s", TIMEOUT.as_secs()))
        }
    }
}

/// The request to the URL the core rendered (the channel's, or derived from it: see
/// `core::alerting::payload`).
fn build_request(out: &OutgoingRequest) -> Result<Request> {
    let headers = Headers::new();
    headers.set("content-type", out.content_type)?;
    headers.set(
        "user-agent",
        concat!("edgeprobe/", env!("CARGO_PKG_VERSION")),
    )?;
    for (name, value) in &out.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_redirect(RequestRedirect::Manual)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&out.body)));
    Request::new_with_init(&out.url, &init)
}

/// Error text fit to store: the channel's URL, host and secret removed (runtime errors may
/// quote the URL, which can carry a token), and bounded in length.
fn redact(text: &str, channel: &Channel) -> String {
    let mut t = text.replace(&channel.url, "<channel url>");
    if let Ok(u) = url::Url::parse(&channel.url) {
        if let Some(host) = u.host_str().filter(|h| !h.is_empty()) {
            t = t.replace(host, "<channel host>");
        }
        let path = u.path();
        if path.len() > 1 {
            t = t.replace(path, "<path>");
        }
    }
    let previous = channel.previous_secret.as_ref().map(|p| p.secret.as_str());
    for secret in [channel.secret.as_deref(), previous].into_iter().flatten() {
        if !secret.is_empty() {
            t = t.replace(secret, "<secret>");
        }
    }
    t.chars().take(MAX_ERROR_CHARS).collect()
}
