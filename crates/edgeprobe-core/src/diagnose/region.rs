//! One region's finding: both paths of one [`RegionProbe`] reduced to a cause.
//!
//! Owns the two-path rules (edge answer + attribution against the origin's connect, TLS and
//! HTTP steps). Combining regions is `super::combine`'s job; nothing here reads a clock.

use crate::cdn::{
    attribute, upstream_error, Attribution, Cdn, EdgeErrorClass, ErrorSource, OriginProxy, UpstreamError, UpstreamFault,
};
use crate::diagnosis::{Alternative, Confidence, Evidence, PathKind, Verdict};
use crate::monitor::Expectations;
use crate::observation::{
    ConnectStep, EdgeFailure, EdgeOutcome, HttpFailure, HttpStep, OriginObservation, RegionProbe, ResponseSummary, TlsStep,
};
use crate::status::{edge_ok, origin_ok};

use super::words::{edge_finding, evidence, origin_finding};

/// What one region shows.
#[derive(Debug, Clone)]
pub(super) struct Finding {
    pub region: String,
    /// `Healthy`, `EdgeStaleOriginDown`, or a failure verdict.
    pub cause: Verdict,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    pub alternatives: Vec<Alternative>,
    pub has_origin: bool,
    /// The front is fine, but the direct origin probe failed and nothing shows the front was
    /// serving from cache (typically: the origin only admits the CDN's addresses).
    pub origin_probe_failed: bool,
}

fn alt(verdict: Verdict, how: impl Into<String>) -> Alternative {
    Alternative {
        verdict,
        how_to_tell_apart: how.into(),
    }
}

/// The origin path's own failure, if a layer failed, with the alternatives that fit.
fn origin_fault(o: &OriginObservation, attr: Option<&Attribution>) -> Option<(Verdict, bool, Vec<Alternative>)> {
    // The bool says the platform's error was coarse (a classification, not a fact).
    let edge_says_handshake = attr.and_then(Attribution::single_class) == Some(EdgeErrorClass::TlsHandshake);
    Some(match &o.connect {
        ConnectStep::Refused { .. } => (Verdict::OriginRefused, false, vec![]),
        ConnectStep::TimedOut { .. } => (
            Verdict::OriginUnreachable,
            false,
            vec![alt(
                Verdict::OriginBlocksCdn,
                "A firewall that silently drops all outside traffic (ours included) looks the same from here. If the server is up and answers from inside its own network, its firewall or security group is dropping packets.",
            )],
        ),
        ConnectStep::Unreachable { .. } => (Verdict::OriginUnreachable, false, vec![]),
        ConnectStep::DnsFailed { .. } => (Verdict::OriginDnsFailure, false, vec![]),
        ConnectStep::Failed { .. } => (Verdict::OriginUnreachable, true, vec![]),
        ConnectStep::Ok { .. } => match &o.tls {
            TlsStep::Untrusted { .. } | TlsStep::Expired { .. } | TlsStep::HostnameMismatch { .. } => (Verdict::OriginTlsInvalid, false, vec![]),
            TlsStep::HandshakeFailed { .. } => (Verdict::OriginTlsHandshakeFailed, false, vec![]),
            TlsStep::Failed { .. } if edge_says_handshake => (
                Verdict::OriginTlsHandshakeFailed,
                true,
                vec![alt(Verdict::OriginTlsInvalid, "The probe's TLS error does not say why. Check the certificate with `openssl s_client -connect <origin> -servername <host>`: a chain or expiry error means an invalid certificate, no certificate at all means a handshake failure.")],
            ),
            TlsStep::Failed { .. } => (
                Verdict::OriginTlsInvalid,
                true,
                vec![alt(Verdict::OriginTlsHandshakeFailed, "The probe's TLS error does not say why. Check with `openssl s_client -connect <origin> -servername <host>`: if no certificate is presented at all (protocol or cipher mismatch, not TLS on that port), it is a handshake failure.")],
            ),
            TlsStep::NotApplicable | TlsStep::NotAttempted | TlsStep::Ok { .. } => match &o.http {
                HttpStep::Failed { failure: HttpFailure::TimeoutBeforeHeaders | HttpFailure::TimeoutInBody, .. } => (Verdict::OriginTimeout, false, vec![]),
                HttpStep::Failed { .. } => (Verdict::OriginMalformedResponse, false, vec![]),
                HttpStep::NotAttempted | HttpStep::Response { .. } => return None,
            },
        },
    })
}

/// Whether the edge's stated class agrees with what the origin probe found.
fn edge_agrees(v: Verdict, attr: &Attribution) -> bool {
    use EdgeErrorClass::*;
    attr.error_classes.iter().any(|c| match v {
        Verdict::OriginRefused => *c == ConnectRefused,
        Verdict::OriginUnreachable => matches!(c, ConnectTimeout | ConnectOther),
        Verdict::OriginDnsFailure => matches!(c, OriginDns | ConnectOther),
        Verdict::OriginTlsInvalid | Verdict::OriginTlsHandshakeFailed => matches!(c, TlsHandshake | TlsInvalidCert),
        Verdict::OriginTimeout => *c == OriginTimeout,
        Verdict::OriginMalformedResponse => *c == InvalidResponse,
        _ => false,
    })
}

pub(super) fn classify(p: &RegionProbe, expect: &Expectations) -> Finding {
    let attr = match &p.edge.outcome {
        EdgeOutcome::Response(r) => Some(attribute(r)),
        EdgeOutcome::Failed { .. } => None,
    };
    let mut ev = vec![evidence(&p.region, PathKind::Edge, "http", edge_finding(&p.edge, attr.as_ref()))];
    if let Some(o) = &p.origin {
        let (step, text) = origin_finding(o);
        ev.push(evidence(&p.region, PathKind::Origin, &step, text));
    }
    let mut f = Finding {
        region: p.region.clone(),
        cause: Verdict::Healthy,
        confidence: Confidence::High,
        evidence: ev,
        alternatives: vec![],
        has_origin: p.origin.is_some(),
        origin_probe_failed: false,
    };
    let (cause, confidence, alternatives) = decide(p, expect, attr.as_ref(), &mut f.origin_probe_failed);
    f.cause = cause;
    f.confidence = confidence;
    f.alternatives = alternatives;
    f
}

fn decide(
    p: &RegionProbe,
    expect: &Expectations,
    attr: Option<&Attribution>,
    origin_probe_failed: &mut bool,
) -> (Verdict, Confidence, Vec<Alternative>) {
    use Confidence::*;
    let origin = p.origin.as_ref();
    let fault = origin.and_then(|o| origin_fault(o, attr));
    let origin_fine = origin.map(|o| origin_ok(&o.http, expect));

    let (r, attr) = match (&p.edge.outcome, attr) {
        (EdgeOutcome::Failed { failure, .. }, _) => {
            return match (failure, fault) {
                (EdgeFailure::Timeout, Some((v, _, alts))) => (v, if v == Verdict::OriginTimeout { High } else { Medium }, alts),
                (EdgeFailure::Timeout, None) if origin.is_none() => (
                    Verdict::EdgeUnreachable,
                    Low,
                    vec![alt(
                        Verdict::OriginTimeout,
                        "The front may be waiting on a slow origin. Configure the origin address so the probe can measure it directly.",
                    )],
                ),
                (EdgeFailure::Timeout, None) => (Verdict::EdgeUnreachable, Medium, vec![]),
                // The fetch failed without a response (the connection was lost or refused, or
                // the runtime does not say why) while the origin itself is failing: a front
                // that relays a broken origin answer looks exactly like this (nginx passes
                // non-HTTP bytes on as an HTTP/0.9 answer and closes; the Worker's fetch
                // says "Network connection lost." or gives a generic error). Name the origin
                // fault; the front being unreachable is the alternative.
                (EdgeFailure::Connection | EdgeFailure::Other, fault) => match fault.or_else(|| origin.and_then(answered_fault)) {
                    Some((v, _, mut alts)) => {
                        alts.push(alt(
                            Verdict::EdgeUnreachable,
                            "Fetching the public URL failed without any response while our direct probe found the origin failing. A front that relays the origin's broken answer ends the same way. If the front's own address does not answer either (a connection to it is refused, other URLs fail too), the front is unreachable as well.",
                        ));
                        (v, Medium, alts)
                    }
                    None if *failure == EdgeFailure::Other => (Verdict::EdgeUnreachable, Medium, vec![]),
                    None => (Verdict::EdgeUnreachable, High, vec![]),
                },
                // The front's name did not resolve, or TLS with the front failed: that is the
                // front whatever the origin does; an origin fault seen meanwhile is named beside
                // it.
                (_, Some((v, _, _))) => (
                    Verdict::EdgeUnreachable,
                    Medium,
                    vec![alt(
                        v,
                        "Our direct probe found the origin failing too. Once the public address answers again, the origin's fault will show through it; check both.",
                    )],
                ),
                _ => (Verdict::EdgeUnreachable, High, vec![]),
            };
        }
        (EdgeOutcome::Response(r), Some(a)) => (r, a),
        (EdgeOutcome::Response(_), None) => return (Verdict::Inconclusive, Low, vec![]),
    };

    if edge_ok(&p.edge.outcome, expect) {
        return match origin_fine {
            None if attr.cache == Some(crate::cdn::CacheStatus::Stale) => (
                Verdict::EdgeStaleOriginDown,
                Low,
                vec![alt(Verdict::Healthy, "The CDN served a STALE copy, which it does when it could not refresh from the origin. Configure the origin address to check the origin directly.")],
            ),
            None | Some(true) => (Verdict::Healthy, High, vec![]),
            Some(false) if attr.served_from_cache() => (Verdict::EdgeStaleOriginDown, if fault.is_some() { High } else { Medium }, vec![]),
            Some(false) => {
                *origin_probe_failed = true;
                (Verdict::Healthy, Medium, vec![])
            }
        };
    }

    // A body that broke off, or a status that is not HTTP, is an error whatever the code says.
    let is_error = r.status >= 500 || attr.source == ErrorSource::Edge || r.body_error.is_some() || !r.status_is_valid();
    if !is_error {
        let same_at_origin = matches!(origin.map(|o| &o.http), Some(HttpStep::Response { response, .. }) if response.status == r.status);
        return (
            Verdict::UnexpectedResponse,
            if same_at_origin || origin.is_none() { High } else { Medium },
            vec![],
        );
    }

    let Some(o) = origin else { return edge_only(attr, r) };
    if let Some((v, coarse, alts)) = fault {
        let conf = if !coarse && (edge_agrees(v, attr) || attr.error_classes.is_empty()) {
            High
        } else {
            Medium
        };
        return (v, conf, alts);
    }
    let HttpStep::Response { response, ttfb_ms, .. } = &o.http else {
        return (Verdict::EdgeErrorOriginHealthy, Low, vec![]);
    };
    let single = attr.single_class();
    if response.status >= 500 {
        if single.is_some_and(EdgeErrorClass::is_connect) {
            return (
                Verdict::OriginBlocksCdn,
                Medium,
                vec![alt(Verdict::OriginAppError, format!("The origin's application answers us with {}, while the CDN says it cannot even connect. If the CDN's connection attempts show up in the origin's access log, the application error is the cause.", response.status))],
            );
        }
        if let Some(u) = upstream_error(response) {
            let (v, alts) = upstream_verdict(u, response.status);
            let conf = if u.certain && response.status == r.status { High } else { Medium };
            return (v, conf, alts);
        }
        let conf = if attr.source == ErrorSource::Origin || response.status == r.status {
            High
        } else {
            Medium
        };
        return (Verdict::OriginAppError, conf, vec![]);
    }

    let weaker = |c: Confidence| if origin_fine == Some(true) { c } else { Low };
    match attr.source {
        ErrorSource::Edge => {
            let healthy_alt = |what: &str| alt(Verdict::EdgeErrorOriginHealthy, format!("Our direct request to the origin works. {what}"));
            match single {
                Some(EdgeErrorClass::OriginDns) => {
                    return (Verdict::OriginDnsFailure, weaker(Medium), vec![healthy_alt("If the origin host name configured in the CDN resolves publicly, the CDN's DNS failure is on its side.")]);
                }
                Some(EdgeErrorClass::TlsInvalidCert) => {
                    return (Verdict::OriginTlsInvalid, weaker(Medium), vec![healthy_alt("The certificate the CDN sees may differ from ours (other SNI name, strict validation mode); check it with the host name the CDN uses.")]);
                }
                Some(EdgeErrorClass::TlsHandshake) => {
                    return (Verdict::OriginTlsHandshakeFailed, weaker(Medium), vec![healthy_alt("The CDN may offer other TLS versions, ciphers or SNI than our probe; compare the origin's TLS settings with the CDN's requirements.")]);
                }
                Some(EdgeErrorClass::OriginTimeout) if near_edge_wait(*ttfb_ms, p.edge.headers_ms) => {
                    // The layers' timeouts disagree: the origin does answer, but only about
                    // when the CDN has already given up.
                    return (Verdict::OriginTimeout, weaker(High), vec![]);
                }
                Some(EdgeErrorClass::OriginTimeout) => {
                    return (
                        Verdict::OriginTimeout,
                        weaker(Medium),
                        vec![healthy_alt(&format!("Our direct request got headers in {ttfb_ms} ms, far below the CDN's read timeout: the slowness may hit only some requests, or the CDN reaches a different server or virtual host."))],
                    );
                }
                Some(EdgeErrorClass::InvalidResponse) => {
                    return (
                        Verdict::EdgeErrorOriginHealthy,
                        weaker(Medium),
                        vec![
                            alt(Verdict::OriginMalformedResponse, "The origin may answer the CDN differently than us (other Host header, keep-alive, HTTP version). The origin's logs for the CDN's requests will show resets or empty replies."),
                            alt(Verdict::OriginBlocksCdn, "A firewall or rate limiter that accepts the CDN's connections and then resets them looks the same; check for resets from CDN addresses."),
                        ],
                    );
                }
                _ => {}
            }
            if attr.is_gateway_connect_class() {
                let timeout_possible = attr.error_classes.contains(&EdgeErrorClass::OriginTimeout);
                let edge_waited = p.edge.headers_ms.unwrap_or(0);
                if timeout_possible {
                    let how = format!(
                        "The edge gave up after {edge_waited} ms; our direct request got headers in {ttfb_ms} ms. If the edge's wait matches its read timeout (nginx proxy_read_timeout, 60 s by default; CloudFront's origin response timeout, 30 s by default) and the origin is close to that, it is a timeout; if it matches the connect timeout, or the origin is fast, the edge could not connect."
                    );
                    if near_edge_wait(*ttfb_ms, p.edge.headers_ms) {
                        return (Verdict::OriginTimeout, weaker(Medium), vec![alt(Verdict::OriginBlocksCdn, how)]);
                    }
                    return (Verdict::OriginBlocksCdn, weaker(Medium), vec![alt(Verdict::OriginTimeout, how), misrouted_alt(&o.address)]);
                }
                let mut alts = vec![];
                if attr.error_classes.contains(&EdgeErrorClass::InvalidResponse) {
                    alts.push(alt(Verdict::OriginMalformedResponse, "The proxy's 502 also covers an invalid or reset answer from the origin; its error log says which (nginx: \"connect() failed\" vs \"upstream prematurely closed\")."));
                }
                if attr.error_classes.contains(&EdgeErrorClass::TlsInvalidCert) {
                    alts.push(alt(Verdict::OriginTlsInvalid, "The CDN's 502 also covers a TLS failure towards the origin; check the certificate the origin presents for the CDN's host name."));
                }
                alts.push(misrouted_alt(&o.address));
                let conf = if single.is_some() { High } else { Medium };
                return (Verdict::OriginBlocksCdn, weaker(conf), alts);
            }
            (Verdict::EdgeErrorOriginHealthy, weaker(Medium), vec![])
        }
        ErrorSource::Origin => (
            Verdict::OriginAppError,
            Low,
            vec![alt(Verdict::EdgeErrorOriginHealthy, format!("The CDN passed on an error from the origin, but our direct request got {}. The origin may fail only for some requests, or the CDN reaches a different server or virtual host.", response.status))],
        ),
        ErrorSource::Unknown | ErrorSource::NotAnError => (
            Verdict::EdgeErrorOriginHealthy,
            weaker(Medium),
            vec![alt(Verdict::OriginAppError, "The error page does not say who made it. If the origin's access log shows the failing requests with a 5xx status, the origin made it.")],
        ),
    }
}

/// The origin answered our direct probe with a server error: its own proxy's gateway error
/// about the application server, or the application's error. `None` for any other answer.
fn answered_fault(o: &OriginObservation) -> Option<(Verdict, bool, Vec<Alternative>)> {
    let HttpStep::Response { response, .. } = &o.http else {
        return None;
    };
    if response.status < 500 {
        return None;
    }
    Some(match upstream_error(response) {
        Some(u) => {
            let (v, alts) = upstream_verdict(u, response.status);
            (v, !u.certain, alts)
        }
        None => (Verdict::OriginAppError, false, vec![]),
    })
}

/// The verdict for a reverse proxy's gateway error about its upstream, and the causes that
/// also fit when its page does not settle it.
fn upstream_verdict(u: UpstreamError, status: u16) -> (Verdict, Vec<Alternative>) {
    let v = match u.fault {
        UpstreamFault::Down => Verdict::OriginUpstreamDown,
        UpstreamFault::Timeout => Verdict::OriginUpstreamTimeout,
    };
    let mut alts = Vec::new();
    if u.proxy == OriginProxy::Iis {
        alts.push(alt(
            Verdict::OriginUpstreamTimeout,
            "IIS's 502.3 page covers an application server that timed out as well as one that refused or reset; the detailed error on the server (0x80072ee2 is a timeout) or the ARR/Failed Request Tracing log tells which.",
        ));
    }
    if !u.certain {
        alts.push(alt(
            Verdict::OriginAppError,
            format!(
                "The {status} looks like {}'s own page about its upstream, but an application can send the same words. If the application's log shows these requests answered with {status}, the application made it; if the proxy's error log shows upstream errors, the proxy did.",
                u.proxy.name()
            ),
        ));
    }
    (v, alts)
}

/// The other cause that fits "the CDN cannot connect, we can": the CDN is not pointed where
/// we probe (a stale origin address, a wrong port or scheme in its origin settings).
fn misrouted_alt(address: &str) -> Alternative {
    alt(
        Verdict::EdgeErrorOriginHealthy,
        format!("The CDN may be configured with a different origin address or port than {address}, the one we probe. If its origin setting matches {address}, a firewall or allowlist is blocking the CDN; if not, fix the setting."),
    )
}

/// True when our direct request took at least 80% of what the edge waited before giving up:
/// the origin is as slow as the edge's timeout, so the edge most likely timed out reading.
fn near_edge_wait(ttfb_ms: u32, edge_headers_ms: Option<u32>) -> bool {
    match edge_headers_ms {
        Some(waited) if waited > 0 => u64::from(ttfb_ms) * 10 >= u64::from(waited) * 8,
        _ => false,
    }
}

/// No origin probe: only what the CDN's own error code states may be claimed.
fn edge_only(attr: &Attribution, r: &ResponseSummary) -> (Verdict, Confidence, Vec<Alternative>) {
    use Confidence::*;
    use EdgeErrorClass::*;
    let configure = "Configure the origin address on the monitor so the probe can check the origin directly.";
    // A CDN passed on the origin's own proxy's gateway page (the origin's Server header is
    // usually rewritten by then, but the page is the proxy's).
    if attr.source == ErrorSource::Origin {
        if let Some(u) = upstream_error(r) {
            let (v, mut alts) = upstream_verdict(u, r.status);
            if alts.iter().all(|a| a.verdict != Verdict::OriginAppError) {
                alts.push(alt(
                    Verdict::OriginAppError,
                    format!(
                        "Only the CDN's copy of the page was seen; it looks like {}'s own gateway page, but an application could answer with the same page. {configure}",
                        u.proxy.name()
                    ),
                ));
            }
            return (v, if u.certain { Medium } else { Low }, alts);
        }
    }
    // nginx passes an origin nginx's own 502/504 page on unchanged, so a front nginx's page may
    // as well be the origin host's own proxy's, about its application server.
    let origin_proxy_alt = match (attr.cdn, attr.source, r.status) {
        (Cdn::Nginx, ErrorSource::Edge, 502) => Some(alt(
            Verdict::OriginUpstreamDown,
            format!("If the origin host runs nginx in front of its application, this 502 page may be that nginx's, passed through: the application server behind it is down. {configure}"),
        )),
        (Cdn::Nginx, ErrorSource::Edge, 504) => Some(alt(
            Verdict::OriginUpstreamTimeout,
            format!("If the origin host runs nginx in front of its application, this 504 page may be that nginx's, passed through: the application server behind it is too slow. {configure}"),
        )),
        _ => None,
    };
    let (verdict, confidence, mut alts) = match attr.source {
        ErrorSource::Edge => match attr.single_class() {
            Some(ConnectRefused) => (
                Verdict::OriginRefused,
                Medium,
                vec![alt(
                    Verdict::OriginBlocksCdn,
                    format!("A firewall rejecting only the CDN's addresses looks the same to the CDN. {configure}"),
                )],
            ),
            Some(ConnectTimeout) => (
                Verdict::OriginUnreachable,
                Medium,
                vec![alt(
                    Verdict::OriginBlocksCdn,
                    format!("A firewall dropping only the CDN's addresses looks the same to the CDN. {configure}"),
                )],
            ),
            Some(ConnectOther) => (Verdict::OriginUnreachable, Medium, vec![]),
            Some(OriginTimeout) => (Verdict::OriginTimeout, Medium, vec![]),
            Some(TlsHandshake) => (Verdict::OriginTlsHandshakeFailed, Medium, vec![]),
            Some(TlsInvalidCert) => (Verdict::OriginTlsInvalid, Medium, vec![]),
            Some(InvalidResponse) => (Verdict::OriginMalformedResponse, Medium, vec![]),
            Some(OriginDns) => (Verdict::OriginDnsFailure, Medium, vec![]),
            Some(Unknown) | None if attr.error_classes.contains(&OriginTimeout) => (
                Verdict::OriginTimeout,
                Low,
                vec![
                    alt(
                        Verdict::OriginUnreachable,
                        format!("The proxy's 504 covers a connect timeout too. {configure}"),
                    ),
                    alt(
                        Verdict::OriginBlocksCdn,
                        format!("A firewall dropping the proxy's connections also ends in a 504. {configure}"),
                    ),
                ],
            ),
            Some(Unknown) | None if attr.is_gateway_connect_class() => (Verdict::OriginRefused, Low, {
                let mut alts = vec![
                    alt(
                        Verdict::OriginMalformedResponse,
                        format!("The proxy's 502 covers an invalid or reset answer too. {configure}"),
                    ),
                    alt(
                        Verdict::OriginBlocksCdn,
                        format!("A firewall rejecting the proxy's connections also ends in a 502. {configure}"),
                    ),
                ];
                if attr.error_classes.iter().any(|c| matches!(c, TlsHandshake | TlsInvalidCert)) {
                    alts.push(alt(
                        Verdict::OriginTlsInvalid,
                        format!("The proxy's 502 also covers a failed TLS handshake or certificate check towards the origin. {configure}"),
                    ));
                }
                alts
            }),
            _ => (Verdict::UnexpectedResponse, Low, vec![]),
        },
        ErrorSource::Origin => (Verdict::OriginAppError, Medium, vec![]),
        ErrorSource::Unknown | ErrorSource::NotAnError => (
            Verdict::OriginAppError,
            Low,
            vec![alt(
                Verdict::EdgeErrorOriginHealthy,
                format!("The error page does not say who made it. {configure}"),
            )],
        ),
    };
    alts.extend(origin_proxy_alt);
    (verdict, confidence, alts)
}
