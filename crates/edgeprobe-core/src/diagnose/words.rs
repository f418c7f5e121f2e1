//! What each path and step showed: the evidence [`Fact`]s taken from observations, their
//! plain-words findings (rendered when a diagnosis is read), and the runtime-text-free words
//! alerts and pages show for a path ([`edge_failure_plain`], [`origin_plain`]).
//!
//! Owns only wording and the facts it needs; it decides nothing and reads no clock. The runtime's own error texts
//! ("internal error; reference = …", "proxy request failed, cannot connect to the specified
//! address", "Network connection lost.") go into evidence findings only, where people
//! investigating need them verbatim; summaries, alert texts and pages use the plain words.

use crate::cdn::{
    upstream_error, Attribution, CacheStatus, Cdn, EdgeErrorClass, ErrorSource, UpstreamFault,
};
use crate::diagnosis::{BodyBreak, Evidence, Fact, OriginHttp, UpstreamPage};
use crate::observation::{
    ConnectStep, EdgeFailure, EdgeObservation, EdgeOutcome, HttpFailure, HttpStep,
    OriginObservation, ResponseSummary, TlsStep,
};

fn ms(v: Option<u32>) -> String {
    v.map(|v| format!(" after {v} ms")).unwrap_or_default()
}

fn class_words(c: EdgeErrorClass) -> &'static str {
    match c {
        EdgeErrorClass::ConnectRefused => "connection refused",
        EdgeErrorClass::ConnectTimeout => "connect timeout",
        EdgeErrorClass::ConnectOther => "origin unreachable",
        EdgeErrorClass::OriginTimeout => "read timeout",
        EdgeErrorClass::TlsHandshake => "TLS handshake failure",
        EdgeErrorClass::TlsInvalidCert => "invalid origin certificate",
        EdgeErrorClass::InvalidResponse => "invalid answer from the origin",
        EdgeErrorClass::OriginDns => "origin DNS failure",
        EdgeErrorClass::Unknown => "cause not stated",
    }
}

/// "a", "a or b", "a, b or c".
fn one_of(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Lower-cases the first letter, to embed a sentence after a colon.
pub(super) fn embedded(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn cache_words(c: CacheStatus) -> &'static str {
    match c {
        CacheStatus::Hit => "HIT",
        CacheStatus::Miss => "MISS",
        CacheStatus::Stale => "STALE",
        CacheStatus::Expired => "EXPIRED",
        CacheStatus::Updating => "UPDATING",
        CacheStatus::Revalidated => "REVALIDATED",
        CacheStatus::Bypass => "BYPASS",
        CacheStatus::Dynamic => "DYNAMIC",
    }
}

/// The edge path's fact: how fetching the public URL ended.
pub(super) fn edge_fact(edge: &EdgeObservation, attr: Option<&Attribution>) -> Fact {
    match &edge.outcome {
        EdgeOutcome::Failed { failure, detail } => Fact::EdgeFailed {
            failure: *failure,
            ms: edge.headers_ms,
            detail: detail.clone(),
        },
        EdgeOutcome::Response(r) => Fact::EdgeAnswered {
            status: r.status,
            ms: edge.headers_ms,
            attribution: attr.cloned(),
            keyword_missing: r.keyword_found == Some(false),
            body_break: body_break(r),
        },
    }
}

/// The body that did not arrive whole: a relayed 200 whose body was cut short is a broken
/// page, not "answered 200".
fn body_break(r: &ResponseSummary) -> Option<BodyBreak> {
    let error = r.body_error.as_ref()?;
    Some(BodyBreak {
        received: r.body_bytes,
        announced: r
            .headers
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok()),
        error: error.clone(),
    })
}

/// The origin path's step (where it stopped: "connect", "tls" or "http") and fact.
pub(super) fn origin_fact(o: &OriginObservation) -> (&'static str, Fact) {
    let step = if !o.connect.is_ok() {
        "connect"
    } else if !matches!(
        o.tls,
        TlsStep::NotApplicable | TlsStep::NotAttempted | TlsStep::Ok { .. }
    ) {
        "tls"
    } else {
        "http"
    };
    let http = match &o.http {
        HttpStep::NotAttempted => OriginHttp::NotAttempted,
        HttpStep::Response {
            response,
            ttfb_ms,
            total_ms,
        } => OriginHttp::Response {
            status: response.status,
            ttfb_ms: *ttfb_ms,
            total_ms: *total_ms,
            upstream: upstream_error(response).map(|u| UpstreamPage {
                proxy: u.proxy,
                fault: u.fault,
                server: response.headers.get("server").cloned(),
            }),
            keyword_missing: response.keyword_found == Some(false),
        },
        HttpStep::Failed {
            failure,
            ms,
            detail,
            bytes_received,
        } => OriginHttp::Failed {
            failure: *failure,
            ms: *ms,
            bytes_received: *bytes_received,
            detail: detail.clone(),
        },
    };
    (
        step,
        Fact::Origin {
            address: o.address.clone(),
            connect: o.connect.clone(),
            tls: o.tls.clone(),
            http,
        },
    )
}

/// One piece of evidence in plain words.
pub(crate) fn finding(e: &Evidence) -> String {
    match &e.fact {
        Fact::EdgeFailed {
            failure,
            ms: at,
            detail,
        } => edge_failed_words(*failure, *at, detail),
        Fact::EdgeAnswered {
            status,
            ms: at,
            attribution,
            keyword_missing,
            body_break,
        } => edge_answered_words(
            *status,
            *at,
            attribution.as_ref(),
            *keyword_missing,
            body_break.as_ref(),
        ),
        Fact::Origin {
            address,
            connect,
            tls,
            http,
        } => origin_words(address, connect, tls, http),
        Fact::LegacyTls { detail } => {
            format!("origin TLS works for the platform, but not with modern TLS only ({detail})")
        }
        Fact::CertificateExpiring { subject, days_left } => {
            let who = subject
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            match days_left {
                None => format!("{} certificate{who} has expired", e.path.as_str()),
                Some(days) => format!(
                    "{} certificate{who} expires in {days} days",
                    e.path.as_str()
                ),
            }
        }
        Fact::Slow {
            ms,
            p50_ms,
            samples,
        } => format!(
            "{} answered in {ms} ms, usual p50 is {p50_ms} ms ({samples} samples)",
            e.path.as_str()
        ),
        Fact::RegionUnanswered { reason } => {
            format!("region did not answer the coordinator: {reason}")
        }
        Fact::PolicyRefused { reason } => {
            format!("not probed: refused by the target policy ({reason})")
        }
        Fact::Recorded { finding } => finding.clone(),
    }
}

/// "no answer from the front within the timeout (…)".
fn edge_failed_words(failure: EdgeFailure, at: Option<u32>, detail: &str) -> String {
    let what = match failure {
        EdgeFailure::Timeout => "no answer from the front within the timeout",
        EdgeFailure::Dns => "the front's name did not resolve",
        EdgeFailure::Connection => "could not connect to the front",
        EdgeFailure::Tls => "TLS with the front failed",
        EdgeFailure::Other => "fetching the front failed",
    };
    format!("{what}{} ({detail})", ms(at))
}

/// "edge answered 504 generated by nginx after 3012 ms (meaning: connect timeout or read
/// timeout)".
fn edge_answered_words(
    status: u16,
    at: Option<u32>,
    attr: Option<&Attribution>,
    keyword_missing: bool,
    body_break: Option<&BodyBreak>,
) -> String {
    let Some(a) = attr else {
        return format!(
            "edge answered {status}{}{}",
            ms(at),
            broken_body(body_break)
        );
    };
    let by = match a.source {
        ErrorSource::Edge => format!(" generated by {}", a.cdn.name()),
        ErrorSource::Origin => format!(" passed through {} from the origin", a.cdn.name()),
        ErrorSource::Unknown if a.cdn != Cdn::Unknown => {
            format!(" via {} (who generated it is not visible)", a.cdn.name())
        }
        _ if a.cdn != Cdn::Unknown => format!(" via {}", a.cdn.name()),
        _ => String::new(),
    };
    let mut s = format!("edge answered {status}{by}{}", ms(at));
    if !a.error_classes.is_empty() {
        let words: Vec<&str> = a.error_classes.iter().map(|c| class_words(*c)).collect();
        s.push_str(&format!(" (meaning: {})", one_of(&words)));
    }
    if let Some(p) = &a.pop {
        s.push_str(&format!(", PoP {p}"));
    }
    if let Some(c) = a.cache {
        s.push_str(&format!(", cache {}", cache_words(c)));
    }
    if let Some(age) = a.age_s.filter(|a| *a > 0) {
        s.push_str(&format!(", age {age} s"));
    }
    if keyword_missing {
        s.push_str(", expected keyword missing");
    }
    s.push_str(&broken_body(body_break));
    s
}

/// ", but the body broke off: 10 of 1000 bytes received (…)".
fn broken_body(b: Option<&BodyBreak>) -> String {
    let Some(b) = b else { return String::new() };
    let received = match b.announced {
        Some(cl) => format!("{} of {cl} bytes (Content-Length) received", b.received),
        None => format!("{} bytes received", b.received),
    };
    format!(", but the body broke off: {received} ({})", b.error)
}

/// " (nginx's own 502 page about its upstream: the application server behind it is down)".
fn upstream_words(status: u16, u: Option<&UpstreamPage>) -> String {
    let Some(u) = u else { return String::new() };
    let what = match u.fault {
        UpstreamFault::Down => "the application server behind it refused, failed or is unavailable",
        UpstreamFault::Timeout => "the application server behind it did not answer in time",
    };
    let server = u
        .server
        .as_ref()
        .map(|s| format!(", server: {s}"))
        .unwrap_or_default();
    format!(
        " ({}'s own {status} page about its upstream{server}: {what})",
        u.proxy.name()
    )
}

/// "origin connect ok in 1 ms, HTTP 200 in 4 ms" or where the layers stopped.
fn origin_words(address: &str, connect: &ConnectStep, tls: &TlsStep, http: &OriginHttp) -> String {
    let mut parts = Vec::new();
    match connect {
        ConnectStep::Ok { ms } => parts.push(format!("origin {address} connect ok in {ms} ms")),
        ConnectStep::Refused { ms, detail } => {
            return format!("origin {address} refused the connection after {ms} ms ({detail})");
        }
        ConnectStep::TimedOut { ms } => {
            return format!("connecting to origin {address} timed out after {ms} ms")
        }
        ConnectStep::Unreachable { ms, detail } => {
            return format!("origin {address} unreachable after {ms} ms ({detail})")
        }
        ConnectStep::DnsFailed { ms, detail } => {
            return format!("origin name in {address} did not resolve after {ms} ms ({detail})");
        }
        ConnectStep::Failed { ms, detail } => {
            return format!("connecting to origin {address} failed after {ms} ms ({detail})")
        }
    }
    match tls {
        TlsStep::NotApplicable | TlsStep::NotAttempted => {}
        TlsStep::Ok { ms, .. } => parts.push(format!("TLS ok in {ms} ms")),
        TlsStep::Untrusted { ms, detail } => {
            return format!(
                "{}, TLS certificate not trusted after {ms} ms ({detail})",
                parts.join(", ")
            );
        }
        TlsStep::Expired { ms, detail } => {
            return format!(
                "{}, TLS certificate expired, seen after {ms} ms ({detail})",
                parts.join(", ")
            );
        }
        TlsStep::HostnameMismatch { ms, detail } => {
            return format!(
                "{}, TLS certificate does not match the host name, seen after {ms} ms ({detail})",
                parts.join(", ")
            );
        }
        TlsStep::HandshakeFailed { ms, detail } => {
            return format!(
                "{}, TLS handshake failed after {ms} ms ({detail})",
                parts.join(", ")
            );
        }
        TlsStep::Failed { ms, detail } => {
            return format!("{}, TLS failed after {ms} ms ({detail})", parts.join(", "))
        }
    }
    match http {
        OriginHttp::NotAttempted => parts.push("HTTP not attempted".into()),
        OriginHttp::Response {
            status,
            ttfb_ms,
            total_ms,
            upstream,
            keyword_missing,
        } => {
            let mut s = format!(
                "HTTP {status} in {ttfb_ms} ms (body done at {total_ms} ms){}",
                upstream_words(*status, upstream.as_ref())
            );
            if *keyword_missing {
                s.push_str(", expected keyword missing");
            }
            parts.push(s);
        }
        OriginHttp::Failed {
            failure,
            ms,
            bytes_received,
            detail,
        } => parts.push(format!(
            "HTTP failed: {} after {ms} ms, {bytes_received} bytes received ({detail})",
            http_failure_words(*failure)
        )),
    }
    parts.join(", ")
}

/// How fetching the public URL failed, in plain words (no runtime text).
pub fn edge_failure_plain(f: EdgeFailure) -> &'static str {
    match f {
        EdgeFailure::Timeout => "no answer within the timeout",
        EdgeFailure::Dns => "the site's name did not resolve",
        EdgeFailure::Connection => "could not connect to the site, or the connection was lost",
        EdgeFailure::Tls => "the secure (TLS) connection to the site failed",
        EdgeFailure::Other => "the request failed without any response",
    }
}

/// What the direct probe of the origin found at its first failing layer, in plain words (no
/// runtime text): "connection refused", "TLS certificate expired", "HTTP 502", ...
pub fn origin_plain(o: &OriginObservation) -> String {
    let connect = match &o.connect {
        ConnectStep::Ok { .. } => None,
        ConnectStep::Refused { .. } => Some("connection refused"),
        ConnectStep::TimedOut { .. } => Some("connection timed out"),
        ConnectStep::Unreachable { .. } => Some("network unreachable"),
        ConnectStep::DnsFailed { .. } => Some("the origin's name did not resolve"),
        ConnectStep::Failed { .. } => Some("could not connect"),
    };
    if let Some(c) = connect {
        return c.to_string();
    }
    let tls = match &o.tls {
        TlsStep::NotApplicable | TlsStep::NotAttempted | TlsStep::Ok { .. } => None,
        TlsStep::Untrusted { .. } => Some("TLS certificate not trusted"),
        TlsStep::Expired { .. } => Some("TLS certificate expired"),
        TlsStep::HostnameMismatch { .. } => Some("TLS certificate is for another host name"),
        TlsStep::HandshakeFailed { .. } => Some("TLS handshake failed"),
        TlsStep::Failed { .. } => Some("TLS failed (certificate or handshake)"),
    };
    if let Some(t) = tls {
        return t.to_string();
    }
    match &o.http {
        HttpStep::NotAttempted => "HTTP not attempted".to_string(),
        HttpStep::Response { response, .. } => format!("HTTP {}", response.status),
        HttpStep::Failed { failure, .. } => http_failure_words(*failure).to_string(),
    }
}

pub(super) fn http_failure_words(f: HttpFailure) -> &'static str {
    match f {
        HttpFailure::EmptyReply => "connection closed without any reply",
        HttpFailure::InvalidStatusLine => "the reply is not HTTP (invalid status line)",
        HttpFailure::InvalidHeader => "a response header is malformed",
        HttpFailure::ClosedBeforeHeaders => "connection closed before the headers ended",
        HttpFailure::BodyShorterThanContentLength => "body shorter than announced",
        HttpFailure::InvalidChunkedBody => "malformed chunked body",
        HttpFailure::Reset => "connection reset",
        HttpFailure::TimeoutBeforeHeaders => "no response headers within the timeout",
        HttpFailure::TimeoutInBody => "body did not finish within the timeout",
        HttpFailure::HeadersTooLarge => "header block too large",
        HttpFailure::WriteFailed => "sending the request failed",
    }
}
