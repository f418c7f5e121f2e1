//! One region's finding: both paths of one [`RegionProbe`] reduced to a cause.
//!
//! Owns the two-path rules (edge answer + attribution against the origin's connect, TLS and
//! HTTP steps). Combining regions is `super::combine`'s job; nothing here reads a clock.

use crate::cdn::{
    attribute, upstream_error, Attribution, Cdn, EdgeErrorClass, ErrorSource, OriginProxy,
    UpstreamError, UpstreamFault,
};
use crate::diagnosis::{Alternative, Confidence, Distinction, Evidence, PathKind, Verdict};
use crate::monitor::Expectations;
use crate::observation::{
    ConnectStep, EdgeFailure, EdgeOutcome, HttpFailure, HttpStep, OriginObservation, RegionProbe,
    ResponseSummary, TlsStep,
};
use crate::status::{edge_ok, origin_ok};

use super::words::{edge_fact, origin_fact};

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

fn alt(verdict: Verdict, reason: Distinction) -> Alternative {
    Alternative { verdict, reason }
}

/// The origin path's own failure, if a layer failed, with the alternatives that fit.
fn origin_fault(
    o: &OriginObservation,
    attr: Option<&Attribution>,
) -> Option<(Verdict, bool, Vec<Alternative>)> {
    // The bool says the platform's error was coarse (a classification, not a fact).
    let edge_says_handshake =
        attr.and_then(Attribution::single_class) == Some(EdgeErrorClass::TlsHandshake);
    Some(match &o.connect {
        ConnectStep::Refused { .. } => (Verdict::OriginRefused, false, vec![]),
        ConnectStep::TimedOut { .. } => (
            Verdict::OriginUnreachable,
            false,
            vec![alt(
                Verdict::OriginBlocksCdn,
                Distinction::FirewallDropsEveryone,
            )],
        ),
        ConnectStep::Unreachable { .. } => (Verdict::OriginUnreachable, false, vec![]),
        ConnectStep::DnsFailed { .. } => (Verdict::OriginDnsFailure, false, vec![]),
        ConnectStep::Failed { .. } => (Verdict::OriginUnreachable, true, vec![]),
        ConnectStep::Ok { .. } => match &o.tls {
            TlsStep::Untrusted { .. }
            | TlsStep::Expired { .. }
            | TlsStep::HostnameMismatch { .. } => (Verdict::OriginTlsInvalid, false, vec![]),
            TlsStep::HandshakeFailed { .. } => (Verdict::OriginTlsHandshakeFailed, false, vec![]),
            TlsStep::Failed { .. } if edge_says_handshake => (
                Verdict::OriginTlsHandshakeFailed,
                true,
                vec![alt(
                    Verdict::OriginTlsInvalid,
                    Distinction::TlsUnstatedCheckCertificate,
                )],
            ),
            TlsStep::Failed { .. } => (
                Verdict::OriginTlsInvalid,
                true,
                vec![alt(
                    Verdict::OriginTlsHandshakeFailed,
                    Distinction::TlsUnstatedCheckHandshake,
                )],
            ),
            TlsStep::NotApplicable | TlsStep::NotAttempted | TlsStep::Ok { .. } => match &o.http {
                HttpStep::Failed {
                    failure: HttpFailure::TimeoutBeforeHeaders | HttpFailure::TimeoutInBody,
                    ..
                } => (Verdict::OriginTimeout, false, vec![]),
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
        Verdict::OriginTlsInvalid | Verdict::OriginTlsHandshakeFailed => {
            matches!(c, TlsHandshake | TlsInvalidCert)
        }
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
    let mut ev = vec![Evidence {
        region: p.region.clone(),
        path: PathKind::Edge,
        step: "http".into(),
        fact: edge_fact(&p.edge, attr.as_ref()),
    }];
    if let Some(o) = &p.origin {
        let (step, fact) = origin_fact(o);
        ev.push(Evidence {
            region: p.region.clone(),
            path: PathKind::Origin,
            step: step.into(),
            fact,
        });
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
    let (cause, confidence, alternatives) =
        decide(p, expect, attr.as_ref(), &mut f.origin_probe_failed);
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
                (EdgeFailure::Timeout, Some((v, _, alts))) => (
                    v,
                    if v == Verdict::OriginTimeout {
                        High
                    } else {
                        Medium
                    },
                    alts,
                ),
                (EdgeFailure::Timeout, None) if origin.is_none() => (
                    Verdict::EdgeUnreachable,
                    Low,
                    vec![alt(
                        Verdict::OriginTimeout,
                        Distinction::FrontMayWaitOnOriginNoOrigin,
                    )],
                ),
                (EdgeFailure::Timeout, None) => (Verdict::EdgeUnreachable, Medium, vec![]),
                // The fetch failed without a response (the connection was lost or refused, or
                // the runtime does not say why) while the origin itself is failing: a front
                // that relays a broken origin answer looks exactly like this (nginx passes
                // non-HTTP bytes on as an HTTP/0.9 answer and closes; the Worker's fetch
                // says "Network connection lost." or gives a generic error). Name the origin
                // fault; the front being unreachable is the alternative.
                (EdgeFailure::Connection | EdgeFailure::Other, fault) => {
                    match fault.or_else(|| origin.and_then(answered_fault)) {
                        Some((v, _, mut alts)) => {
                            alts.push(alt(
                                Verdict::EdgeUnreachable,
                                Distinction::FrontRelaysBrokenAnswer,
                            ));
                            (v, Medium, alts)
                        }
                        None if *failure == EdgeFailure::Other => {
                            (Verdict::EdgeUnreachable, Medium, vec![])
                        }
                        None => (Verdict::EdgeUnreachable, High, vec![]),
                    }
                }
                // The front's name did not resolve, or TLS with the front failed: that is the
                // front whatever the origin does; an origin fault seen meanwhile is named beside
                // it.
                (_, Some((v, _, _))) => (
                    Verdict::EdgeUnreachable,
                    Medium,
                    vec![alt(v, Distinction::OriginFailingToo)],
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
                vec![alt(Verdict::Healthy, Distinction::StaleCopyNoOrigin)],
            ),
            None | Some(true) => (Verdict::Healthy, High, vec![]),
            Some(false) if attr.served_from_cache() => (
                Verdict::EdgeStaleOriginDown,
                if fault.is_some() { High } else { Medium },
                vec![],
            ),
            Some(false) => {
                *origin_probe_failed = true;
                (Verdict::Healthy, Medium, vec![])
            }
        };
    }

    // A body that broke off, or a status that is not HTTP, is an error whatever the code says.
    let is_error = r.status >= 500
        || attr.source == ErrorSource::Edge
        || r.body_error.is_some()
        || !r.status_is_valid();
    if !is_error {
        let same_at_origin = matches!(origin.map(|o| &o.http), Some(HttpStep::Response { response, .. }) if response.status == r.status);
        return (
            Verdict::UnexpectedResponse,
            if same_at_origin || origin.is_none() {
                High
            } else {
                Medium
            },
            vec![],
        );
    }

    let Some(o) = origin else {
        return edge_only(attr, r);
    };
    if let Some((v, coarse, alts)) = fault {
        let conf = if !coarse && (edge_agrees(v, attr) || attr.error_classes.is_empty()) {
            High
        } else {
            Medium
        };
        return (v, conf, alts);
    }
    let HttpStep::Response {
        response, ttfb_ms, ..
    } = &o.http
    else {
        return (Verdict::EdgeErrorOriginHealthy, Low, vec![]);
    };
    let single = attr.single_class();
    if response.status >= 500 {
        if single.is_some_and(EdgeErrorClass::is_connect) {
            return (
                Verdict::OriginBlocksCdn,
                Medium,
                vec![alt(
                    Verdict::OriginAppError,
                    Distinction::AppErrorWhileCdnCannotConnect {
                        status: response.status,
                    },
                )],
            );
        }
        if let Some(u) = upstream_error(response) {
            let (v, alts) = upstream_verdict(u, response.status);
            let conf = if u.certain && response.status == r.status {
                High
            } else {
                Medium
            };
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
            let healthy_alt = |why: Distinction| alt(Verdict::EdgeErrorOriginHealthy, why);
            match single {
                Some(EdgeErrorClass::OriginDns) => {
                    return (
                        Verdict::OriginDnsFailure,
                        weaker(Medium),
                        vec![healthy_alt(Distinction::CdnDnsFailureOnItsSide)],
                    );
                }
                Some(EdgeErrorClass::TlsInvalidCert) => {
                    return (
                        Verdict::OriginTlsInvalid,
                        weaker(Medium),
                        vec![healthy_alt(Distinction::CdnSeesOtherCertificate)],
                    );
                }
                Some(EdgeErrorClass::TlsHandshake) => {
                    return (
                        Verdict::OriginTlsHandshakeFailed,
                        weaker(Medium),
                        vec![healthy_alt(Distinction::CdnOffersOtherTls)],
                    );
                }
                Some(EdgeErrorClass::OriginTimeout)
                    if near_edge_wait(*ttfb_ms, p.edge.headers_ms) =>
                {
                    // The layers' timeouts disagree: the origin does answer, but only about
                    // when the CDN has already given up.
                    return (Verdict::OriginTimeout, weaker(High), vec![]);
                }
                Some(EdgeErrorClass::OriginTimeout) => {
                    return (
                        Verdict::OriginTimeout,
                        weaker(Medium),
                        vec![healthy_alt(Distinction::OriginFastForUs {
                            ttfb_ms: *ttfb_ms,
                        })],
                    );
                }
                Some(EdgeErrorClass::InvalidResponse) => {
                    return (
                        Verdict::EdgeErrorOriginHealthy,
                        weaker(Medium),
                        vec![
                            alt(
                                Verdict::OriginMalformedResponse,
                                Distinction::OriginAnswersCdnDifferently,
                            ),
                            alt(Verdict::OriginBlocksCdn, Distinction::FirewallResetsCdn),
                        ],
                    );
                }
                _ => {}
            }
            if attr.is_gateway_connect_class() {
                let timeout_possible = attr.error_classes.contains(&EdgeErrorClass::OriginTimeout);
                let edge_waited = p.edge.headers_ms.unwrap_or(0);
                if timeout_possible {
                    let how = Distinction::EdgeWaitVsTimeouts {
                        edge_waited_ms: edge_waited,
                        ttfb_ms: *ttfb_ms,
                    };
                    if near_edge_wait(*ttfb_ms, p.edge.headers_ms) {
                        return (
                            Verdict::OriginTimeout,
                            weaker(Medium),
                            vec![alt(Verdict::OriginBlocksCdn, how)],
                        );
                    }
                    return (
                        Verdict::OriginBlocksCdn,
                        weaker(Medium),
                        vec![alt(Verdict::OriginTimeout, how), misrouted_alt(&o.address)],
                    );
                }
                let mut alts = vec![];
                if attr
                    .error_classes
                    .contains(&EdgeErrorClass::InvalidResponse)
                {
                    alts.push(alt(
                        Verdict::OriginMalformedResponse,
                        Distinction::GatewayCoversInvalidAnswer,
                    ));
                }
                if attr.error_classes.contains(&EdgeErrorClass::TlsInvalidCert) {
                    alts.push(alt(
                        Verdict::OriginTlsInvalid,
                        Distinction::GatewayCoversTls,
                    ));
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
            vec![alt(
                Verdict::EdgeErrorOriginHealthy,
                Distinction::OriginFineForUs {
                    status: response.status,
                },
            )],
        ),
        ErrorSource::Unknown | ErrorSource::NotAnError => (
            Verdict::EdgeErrorOriginHealthy,
            weaker(Medium),
            vec![alt(
                Verdict::OriginAppError,
                Distinction::ErrorPageUnattributed,
            )],
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
            Distinction::IisPageCoversBoth,
        ));
    }
    if !u.certain {
        alts.push(alt(
            Verdict::OriginAppError,
            Distinction::ProxyPageMayBeApp {
                status,
                proxy: u.proxy,
            },
        ));
    }
    (v, alts)
}

/// The other cause that fits "the CDN cannot connect, we can": the CDN is not pointed where
/// we probe (a stale origin address, a wrong port or scheme in its origin settings).
fn misrouted_alt(address: &str) -> Alternative {
    alt(
        Verdict::EdgeErrorOriginHealthy,
        Distinction::CdnMayUseOtherOrigin {
            address: address.to_string(),
        },
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
    // A CDN passed on the origin's own proxy's gateway page (the origin's Server header is
    // usually rewritten by then, but the page is the proxy's).
    if attr.source == ErrorSource::Origin {
        if let Some(u) = upstream_error(r) {
            let (v, mut alts) = upstream_verdict(u, r.status);
            if alts.iter().all(|a| a.verdict != Verdict::OriginAppError) {
                alts.push(alt(
                    Verdict::OriginAppError,
                    Distinction::OnlyCdnCopyOfProxyPageNoOrigin { proxy: u.proxy },
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
            Distinction::RelayedNginx502NoOrigin,
        )),
        (Cdn::Nginx, ErrorSource::Edge, 504) => Some(alt(
            Verdict::OriginUpstreamTimeout,
            Distinction::RelayedNginx504NoOrigin,
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
                    Distinction::FirewallRejectsCdnNoOrigin,
                )],
            ),
            Some(ConnectTimeout) => (
                Verdict::OriginUnreachable,
                Medium,
                vec![alt(
                    Verdict::OriginBlocksCdn,
                    Distinction::FirewallDropsCdnNoOrigin,
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
                        Distinction::Gateway504CoversConnectTimeoutNoOrigin,
                    ),
                    alt(
                        Verdict::OriginBlocksCdn,
                        Distinction::FirewallDropsProxyNoOrigin,
                    ),
                ],
            ),
            Some(Unknown) | None if attr.is_gateway_connect_class() => {
                (Verdict::OriginRefused, Low, {
                    let mut alts = vec![
                        alt(
                            Verdict::OriginMalformedResponse,
                            Distinction::Gateway502CoversInvalidAnswerNoOrigin,
                        ),
                        alt(
                            Verdict::OriginBlocksCdn,
                            Distinction::FirewallRejectsProxyNoOrigin,
                        ),
                    ];
                    if attr
                        .error_classes
                        .iter()
                        .any(|c| matches!(c, TlsHandshake | TlsInvalidCert))
                    {
                        alts.push(alt(
                            Verdict::OriginTlsInvalid,
                            Distinction::Gateway502CoversTlsNoOrigin,
                        ));
                    }
                    alts
                })
            }
            _ => (Verdict::UnexpectedResponse, Low, vec![]),
        },
        ErrorSource::Origin => (Verdict::OriginAppError, Medium, vec![]),
        ErrorSource::Unknown | ErrorSource::NotAnError => (
            Verdict::OriginAppError,
            Low,
            vec![alt(
                Verdict::EdgeErrorOriginHealthy,
                Distinction::ErrorPageUnattributedNoOrigin,
            )],
        ),
    };
    alts.extend(origin_proxy_alt);
    (verdict, confidence, alts)
}
