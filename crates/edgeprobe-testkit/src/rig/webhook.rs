//! A webhook receiver for alert tests: an HTTP/1.1 server on loopback that records every
//! request, can fail the first N with 503 (to exercise retries) or hang, and checks Standard
//! Webhooks signatures.
//!
//! It owns one listener thread and its connection threads; every wait is bounded. It judges
//! nothing about alert content: tests read the records.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::net::{read_request_head, sleep_unless};
use super::RigError;

const MAX_BODY: usize = 1024 * 1024;

/// How a receiver behaves.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Answer 503 to this many requests (counted across all), then 200.
    pub fail_first: usize,
    /// Never answer; close each connection after `hang_limit`.
    pub hang: bool,
    pub hang_limit: Duration,
    /// The `whsec_...` secret; when set, every record says whether its signature verified.
    pub secret: Option<String>,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        WebhookOptions {
            fail_first: 0,
            hang: false,
            hang_limit: Duration::from_secs(30),
            secret: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: SystemTime,
    /// The status answered; `None` when the receiver hung.
    pub answered: Option<u16>,
    /// `Some(true)` when a `v1,` signature matched the secret; `None` without a secret.
    pub signature_valid: Option<bool>,
}

impl WebhookRecord {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A running receiver. Dropping it stops it.
pub struct WebhookReceiver {
    port: u16,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    options: WebhookOptions,
    stop: AtomicBool,
    records: Mutex<Vec<WebhookRecord>>,
    connections: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

impl WebhookReceiver {
    pub fn start(options: WebhookOptions) -> Result<WebhookReceiver, RigError> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(RigError::io("bind webhook receiver"))?;
        let port = listener
            .local_addr()
            .map_err(RigError::io("webhook receiver address"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(RigError::io("webhook receiver nonblocking"))?;
        let shared = Arc::new(Shared {
            options,
            stop: AtomicBool::new(false),
            records: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let acceptor = thread::Builder::new()
            .name(format!("rig-webhook-{port}"))
            .spawn(move || accept_loop(listener, &s))
            .map_err(RigError::io("spawn webhook receiver"))?;
        Ok(WebhookReceiver {
            port,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The URL to register as a webhook channel (any path is accepted and recorded).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request so far, in arrival order.
    pub fn records(&self) -> Vec<WebhookRecord> {
        lock(&self.shared.records).clone()
    }

    /// Distinct `webhook-id` values, in first-seen order: one per logical alert, however many
    /// times it was retried.
    pub fn unique_ids(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.records()
            .iter()
            .filter_map(|r| r.header("webhook-id").map(str::to_string))
            .filter(|id| seen.insert(id.clone()))
            .collect()
    }

    /// Waits (bounded) until at least `n` requests arrived; returns what arrived either way.
    /// The alerts received, one per webhook-id (retries of one alert count once), oldest
    /// first, as (`data.kind`, `data`). Panics when a delivery is not validly signed (only
    /// meaningful with `WebhookOptions::secret` set): every alert must be.
    pub fn alerts(&self) -> Vec<(String, serde_json::Value)> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for rec in self.records() {
            let Some(id) = rec.header("webhook-id").map(str::to_string) else {
                continue;
            };
            assert_eq!(
                rec.signature_valid,
                Some(true),
                "every delivery is signed: {}",
                rec.body_text()
            );
            if !seen.insert(id) {
                continue;
            }
            let body = rec.body_json().unwrap_or_default();
            let kind = body["data"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            out.push((kind, body["data"].clone()));
        }
        out
    }

    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<WebhookRecord> {
        let deadline = Instant::now() + timeout;
        loop {
            let records = self.records();
            if records.len() >= n || Instant::now() >= deadline {
                return records;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        let connections = std::mem::take(&mut *lock(&self.shared.connections));
        for (stream, handler) in connections {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = handler.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        let Ok((stream, _)) = listener.accept() else {
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let prepared = stream
            .set_nonblocking(false)
            .and_then(|_| stream.set_read_timeout(Some(Duration::from_secs(5))))
            .and_then(|_| stream.try_clone());
        let Ok(conn) = prepared else { continue };
        let s = shared.clone();
        if let Ok(handler) = thread::Builder::new()
            .name("rig-webhook-conn".into())
            .spawn(move || serve(conn, &s))
        {
            let mut list = lock(&shared.connections);
            list.retain(|(_, h)| !h.is_finished());
            list.push((stream, handler));
        }
    }
}

fn serve(mut stream: TcpStream, shared: &Shared) {
    let head = read_request_head(&mut stream);
    if !head.complete {
        return;
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(req.parse(&head.head), Ok(httparse::Status::Complete(_))) {
        let _ = stream.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let method = req.method.unwrap_or("").to_string();
    let path = req.path.unwrap_or("").to_string();
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let mut body = head.rest;
    let mut chunk = [0u8; 8192];
    let complete = |b: &Vec<u8>| {
        if chunked {
            decode_chunked(b).is_some()
        } else {
            b.len() >= length
        }
    };
    while !complete(&body) && body.len() < MAX_BODY {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    if chunked {
        body = decode_chunked(&body).unwrap_or(body);
    } else {
        body.truncate(length);
    }

    let mut record = WebhookRecord {
        method,
        path,
        headers,
        body,
        received_at: SystemTime::now(),
        answered: None,
        signature_valid: None,
    };
    record.signature_valid = shared
        .options
        .secret
        .as_deref()
        .map(|s| verify_signature(s, &record));

    let answer = {
        let mut records = lock(&shared.records);
        let answer = if shared.options.hang {
            None
        } else if records.len() < shared.options.fail_first {
            Some(503)
        } else {
            Some(200)
        };
        record.answered = answer;
        records.push(record);
        answer
    };
    match answer {
        None => {
            sleep_unless(&shared.stop, shared.options.hang_limit);
        }
        Some(status) => {
            let reason = if status == 200 {
                "OK"
            } else {
                "Service Unavailable"
            };
            let body = if status == 200 { "ok\n" } else { "try again\n" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

/// The payload of a complete chunked body (trailers ignored); `None` until the last chunk.
pub fn decode_chunked(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let line_end = i + raw.get(i..)?.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[i..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        let data_start = line_end + 2;
        if size == 0 {
            return Some(out);
        }
        let data_end = data_start.checked_add(size)?;
        out.extend_from_slice(raw.get(data_start..data_end)?);
        if raw.get(data_end..data_end + 2)? != b"\r\n" {
            return None;
        }
        i = data_end + 2;
    }
}

/// Standard Webhooks: any `v1,<base64>` in webhook-signature equal to
/// HMAC-SHA256(key = base64(secret without "whsec_"), "{id}.{timestamp}.{body}").
pub fn verify_signature(secret: &str, record: &WebhookRecord) -> bool {
    let (Some(id), Some(ts), Some(sigs)) = (
        record.header("webhook-id"),
        record.header("webhook-timestamp"),
        record.header("webhook-signature"),
    ) else {
        return false;
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(key) = engine.decode(secret.strip_prefix("whsec_").unwrap_or(secret)) else {
        return false;
    };
    sigs.split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|candidate| {
            let Ok(expected) = engine.decode(candidate) else {
                return false;
            };
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
                return false;
            };
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(ts.as_bytes());
            mac.update(b".");
            mac.update(&record.body);
            // verify_slice compares in constant time.
            mac.verify_slice(&expected).is_ok()
        })
}

/// Signs like a Standard Webhooks sender would (for the rig's own self-test).
pub fn sign(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> Option<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!("v1,{}", engine.encode(mac.finalize().into_bytes())))
}
