//! The origin probe: the origin reached directly, in layers, on one Workers TCP socket:
//! connect, then TLS (https origins, via StartTLS), then one HTTP/1.1 exchange whose bytes
//! are judged by `core::http1::ResponseReader`. Each layer is recorded with its time and, on
//! failure, the runtime's text. It must not decide health, guess a TLS cause the runtime did
//! not state, outlive the monitor's timeout, leave the socket open, or panic.
//!
//! What workerd (wrangler dev, compatibility date 2026-04-01) reported on the rig
//! (crates/edgeprobe-testkit/src/rig), both in the host's network and under `unshare -n` (no DNS server there):
//! - Closed loopback port: `opened()` rejects after 1-2 ms with "Error: proxy request failed,
//!   cannot connect to the specified address".
//! - Name that does not resolve (`origin.edgeprobe.invalid`): the SAME text after 2-11 ms, in
//!   both namespaces; on port 80/443 workerd appends ". It looks like you might be trying to
//!   connect to a HTTP-based service — consider using fetch instead". (The edge fetch of such a
//!   name fails with "Error: internal error; reference = <id>".)
//! - Unroutable address (192.0.2.1) in either namespace: the same text within 1-3 ms (the
//!   network said no), so "fast cannot connect" means "refused or unreachable", not only RST.
//! - Port whose packets are dropped (rig's nft rule, netns only): `opened()` never settles;
//!   only our timer ends it (TimedOut at the monitor's timeout, 3002 ms for 3000).
//! - Origin that accepts and never answers: connect ok in 1-2 ms, the read never settles;
//!   our timer ends it (TimeoutBeforeHeaders at ~3000 ms for 3000).
//! - TLS origins with a self-signed, expired, wrong-host or unknown-CA certificate (workerd
//!   does not trust the rig's CA, so even its valid cert counts): `start_tls()` itself
//!   succeeds, the handshake runs under the first read, which rejects 4-8 ms later with
//!   "Error: internal error; reference = <id>" — the cause is not in the text, so the step is
//!   the coarse `TlsStep::Failed`.
//! - Edge fetch of a closed port: "Error: Network connection lost." after 2-3 ms.

use futures::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker::{SecureTransport, Socket};

use crate::env;
use crate::probe::timing::{since, Deadline};
use crate::probe::{own_tls, Handshakes};
use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::http1::{build_request, Progress, ResponseReader, StreamEnd};
use edgeprobe_core::monitor::{Monitor, OriginTarget, Scheme};
use edgeprobe_core::observation::{
    CertificateInfo, ConnectStep, HttpStep, OriginObservation, TlsStep,
};
use edgeprobe_core::probe_identity::ProbeIdentity;
use edgeprobe_core::time::Millis;
use edgeprobe_core::tls::TlsSettings;

// Body bytes read at most on the origin path.
use edgeprobe_core::limits::PROBE_BODY_MAX_BYTES as ORIGIN_BODY_CAP;

/// Probes the origin once; respects `m.timeout_ms` overall (connect, TLS and HTTP together).
/// The request identifies the probe and its region as `identity` says (as the edge path does).
///
/// On https origins the own TLS client (`own_tls`, `core::tls`) also runs: beside the
/// platform's path when the lane's plan granted it (the certificate schedule,
/// `core::tls::own_client_due`, or a request deferred earlier), and after it when the
/// platform's TLS failed without saying why and the invocation's budget allows (else it is
/// queued, `core::tls::plan`) — within the same deadline. Its outcome refines the TLS step
/// (`core::tls::merge`) and is kept as `own_tls` evidence.
pub async fn probe_origin(
    m: &Monitor,
    o: &OriginTarget,
    identity: &ProbeIdentity,
    handshakes: &Handshakes,
) -> OriginObservation {
    let own_due = handshakes.granted(&m.id, PathKind::Origin);
    let start = env::now();
    let deadline = Deadline::after(start, m.timeout_ms);
    let tls_expected = o.scheme == Scheme::Https;
    let settings = TlsSettings::for_origin(&o.host, &o.tls);
    let scheduled = async {
        match tls_expected && own_due {
            true => Some(own_tls::handshake(&o.host, o.port, &settings, deadline).await),
            false => None,
        }
    };
    let (mut obs, own) = futures::join!(probe_platform(m, o, identity, start, deadline), scheduled);
    let own = match own {
        Some(own) => Some(own),
        None if tls_expected
            && matches!(obs.tls, TlsStep::Failed { .. })
            && handshakes.take_or_defer(&m.id, PathKind::Origin) =>
        {
            Some(own_tls::handshake(&o.host, o.port, &settings, deadline).await)
        }
        None => None,
    };
    if let Some(own) = own {
        obs.tls = edgeprobe_core::tls::merge(obs.tls, &own);
        obs.own_tls = Some(own);
    }
    obs
}

/// The origin through the platform's sockets: connect, StartTLS, one HTTP/1.1 exchange.
async fn probe_platform(
    m: &Monitor,
    o: &OriginTarget,
    identity: &ProbeIdentity,
    start: edgeprobe_core::time::UnixMillis,
    deadline: Deadline,
) -> OriginObservation {
    let tls_expected = o.scheme == Scheme::Https;
    let mut obs = OriginObservation {
        address: address(o),
        tls_expected,
        connect: ConnectStep::TimedOut { ms: 0 },
        tls: if tls_expected {
            TlsStep::NotAttempted
        } else {
            TlsStep::NotApplicable
        },
        http: HttpStep::NotAttempted,
        own_tls: None,
    };

    let transport = if tls_expected {
        SecureTransport::StartTls
    } else {
        SecureTransport::Off
    };
    let socket = match Socket::builder()
        .secure_transport(transport)
        .connect(o.host.clone(), o.port)
    {
        Ok(s) => s,
        Err(e) => {
            obs.connect =
                connect_failure_with_dns(&o.host, &e.to_string(), since(start), &deadline).await;
            return obs;
        }
    };
    match deadline.race(socket.opened()).await {
        Some(Ok(_)) => obs.connect = ConnectStep::Ok { ms: since(start) },
        Some(Err(e)) => {
            obs.connect =
                connect_failure_with_dns(&o.host, &e.to_string(), since(start), &deadline).await;
            close(socket);
            return obs;
        }
        None => {
            obs.connect = ConnectStep::TimedOut { ms: since(start) };
            close(socket);
            return obs;
        }
    }

    let mut socket = if tls_expected {
        socket.start_tls()
    } else {
        socket
    };
    let tls_start = env::now();
    let request = build_request(
        &m.method,
        &m.host_header(),
        &path_and_query(&m.url),
        &m.headers,
        identity,
    );
    let head = m.method.eq_ignore_ascii_case("HEAD");
    let mut reader = ResponseReader::new(head, ORIGIN_BODY_CAP, m.expect.keyword.clone());

    // The TLS handshake runs lazily under the first write/read: a bad certificate surfaces as
    // an error there, before any response byte. Until a byte arrives, TLS is unproven.
    let req_start = env::now();
    let write = deadline
        .race(async {
            socket.write_all(&request).await?;
            socket.flush().await
        })
        .await;
    let mut tls_failed: Option<String> = None;
    let mut end: Option<StreamEnd> = match write {
        Some(Ok(())) => None,
        Some(Err(e)) => {
            let text = e.to_string();
            if tls_expected {
                tls_failed = Some(text);
                Some(StreamEnd::ReadError(String::new()))
            } else {
                obs.http = HttpStep::Failed {
                    failure: edgeprobe_core::observation::HttpFailure::WriteFailed,
                    ms: since(req_start),
                    detail: text,
                    bytes_received: 0,
                };
                close(socket);
                return obs;
            }
        }
        None => Some(StreamEnd::Timeout),
    };

    let mut ttfb_ms: Millis = 0;
    let mut buf = vec![0u8; 16 * 1024];
    while end.is_none() {
        end = match deadline.race(socket.read(&mut buf)).await {
            Some(Ok(0)) => Some(StreamEnd::Eof),
            Some(Ok(n)) => {
                if !reader.got_first_byte() {
                    ttfb_ms = since(req_start);
                    if tls_expected {
                        obs.tls = TlsStep::Ok {
                            ms: since(tls_start),
                            certificate: CertificateInfo::NotObservable,
                        };
                    }
                }
                match reader.feed(&buf[..n]) {
                    Progress::NeedMore => None,
                    Progress::Complete | Progress::Broken => Some(StreamEnd::Complete),
                }
            }
            Some(Err(e)) => {
                let text = e.to_string();
                if tls_expected && !reader.got_first_byte() {
                    tls_failed = Some(text);
                    Some(StreamEnd::ReadError(String::new()))
                } else if text.to_ascii_lowercase().contains("reset") {
                    Some(StreamEnd::Reset(text))
                } else {
                    Some(StreamEnd::ReadError(text))
                }
            }
            None => Some(StreamEnd::Timeout),
        };
    }
    close(socket);
    let total_ms = since(req_start);

    if let Some(text) = tls_failed {
        obs.tls = edgeprobe_core::classify::tls_failure(&text, since(tls_start));
        return obs;
    }
    if tls_expected && !reader.got_first_byte() {
        // No byte and no error over TLS. A clean close means the handshake completed (a failed
        // one errors, as observed); a timeout leaves it unproven, and the contract has no
        // "unknown" TLS step, so it is recorded as the coarse `Failed` with that said plainly,
        // next to the HTTP step's timeout (the engine sees both).
        if !matches!(end, Some(StreamEnd::Eof)) {
            obs.tls = TlsStep::Failed {
                ms: since(tls_start),
                detail: "no TLS data and no error before the timeout: handshake outcome unknown"
                    .into(),
            };
        } else {
            obs.tls = TlsStep::Ok {
                ms: since(tls_start),
                certificate: CertificateInfo::NotObservable,
            };
        }
    }
    let end = end.unwrap_or(StreamEnd::Eof);
    obs.http = reader.finish(end, ttfb_ms, total_ms);
    obs
}

/// `host:port` (IPv6 literals in brackets).
fn address(o: &OriginTarget) -> String {
    if o.host.contains(':') {
        format!("[{}]:{}", o.host, o.port)
    } else {
        format!("{}:{}", o.host, o.port)
    }
}

/// The request target of the front URL (the origin serves the same path).
fn path_and_query(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => "/".into(),
    }
}

/// Starts closing the socket without waiting for the peer (the first poll issues `close()`).
fn close(mut socket: Socket) {
    let _ = socket.close().now_or_never();
}

/// The public DNS-over-HTTPS resolver asked when a connect to a name fails without saying why.
const DOH_URL: &str = "https://cloudflare-dns.com/dns-query";

/// Classifies a connect failure (core::classify); when the result is the coarse `Failed` on a
/// name, asks DNS-over-HTTPS whether the name exists so a DNS failure is named as one. Where
/// the resolver cannot be reached (local runs without internet) nothing changes.
async fn connect_failure_with_dns(
    host: &str,
    detail: &str,
    ms: Millis,
    deadline: &Deadline,
) -> ConnectStep {
    let step = edgeprobe_core::classify::connect_failure(host, detail, ms);
    if !matches!(step, ConnectStep::Failed { .. }) || !edgeprobe_core::classify::needs_lookup(host)
    {
        return step;
    }
    let answer = match deadline.race(resolve(host)).await {
        Some(Ok(body)) => edgeprobe_core::classify::parse_dns_json(&body),
        _ => edgeprobe_core::classify::DnsAnswer::Unknown,
    };
    edgeprobe_core::classify::refine_with_dns(step, &answer)
}

async fn resolve(host: &str) -> worker::Result<String> {
    let mut url = url::Url::parse(DOH_URL)?;
    url.query_pairs_mut()
        .append_pair("name", host)
        .append_pair("type", "A");
    let headers = worker::Headers::new();
    headers.set("accept", "application/dns-json")?;
    let mut init = worker::RequestInit::new();
    init.with_headers(headers);
    let req = worker::Request::new_with_init(url.as_str(), &init)?;
    let mut resp = worker::Fetch::Request(req).send().await?;
    resp.text().await
}
