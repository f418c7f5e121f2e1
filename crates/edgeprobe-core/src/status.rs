//! The current status of a monitor: the document stored in KV after every round, read by the
//! status page, the badges and the API.
//!
//! This module owns that shape and the one rule for whether a path "looks fine" in a region
//! ([`path_ok`]), so that rollups, the status grid and the diagnosis agree. Pure; no I/O.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{Diagnosis, Severity, Verdict};
use crate::monitor::Expectations;
use crate::observation::{EdgeOutcome, HttpStep, RegionReport};
use crate::time::{Millis, UnixMillis};

/// The one-word state shown on badges and the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Up,
    Degraded,
    Down,
    /// Never probed yet, or nothing could be observed.
    Unknown,
}

impl Health {
    pub fn of(d: &Diagnosis) -> Health {
        if d.verdict == Verdict::Inconclusive {
            return Health::Unknown;
        }
        match d.severity {
            Severity::Ok | Severity::Info => Health::Up,
            Severity::Warning => Health::Degraded,
            Severity::Critical => Health::Down,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Up => "up",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }
}

/// One path in one region, reduced to what a grid cell shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PathSummary {
    pub ok: bool,
    /// HTTP status when a response came back.
    pub status: Option<u16>,
    /// Time to response headers (edge) or to first byte (origin), when known.
    pub latency_ms: Option<Millis>,
    /// Short label: "200", "522", "refused", "timeout", "tls untrusted", ...
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegionSummary {
    pub region: String,
    pub colo: Option<String>,
    /// `None` when the region did not answer.
    pub edge: Option<PathSummary>,
    /// `None` when the monitor has no origin, or the region did not answer.
    pub origin: Option<PathSummary>,
    pub answered: bool,
}

/// The KV document: `status:{monitor_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CurrentStatus {
    pub monitor_id: String,
    pub slug: String,
    pub name: String,
    pub public: bool,
    pub health: Health,
    pub diagnosis: Diagnosis,
    pub regions: Vec<RegionSummary>,
    pub round_id: String,
    pub updated_at: UnixMillis,
}

/// Whether the edge answered as the monitor expects.
pub fn edge_ok(outcome: &EdgeOutcome, expect: &Expectations) -> bool {
    match outcome {
        EdgeOutcome::Response(r) => {
            r.status_is_valid() && expect.status_ok(r.status) && r.keyword_found != Some(false) && r.body_error.is_none()
        }
        EdgeOutcome::Failed { .. } => false,
    }
}

/// Whether the origin answered the direct probe at the HTTP layer with an expected status.
/// (The keyword is checked too: the origin serves the same content the front should.)
pub fn origin_ok(http: &HttpStep, expect: &Expectations) -> bool {
    match http {
        HttpStep::Response { response, .. } => expect.status_ok(response.status) && response.keyword_found != Some(false),
        _ => false,
    }
}

/// The per-path rule shared by rollups, the grid and uptime.
pub fn path_ok(report: &RegionReport, path: crate::diagnosis::PathKind, expect: &Expectations) -> Option<bool> {
    use crate::diagnosis::PathKind;
    let RegionReport::Probed(p) = report else { return None };
    match path {
        PathKind::Edge => Some(edge_ok(&p.edge.outcome, expect)),
        PathKind::Origin => p.origin.as_ref().map(|o| origin_ok(&o.http, expect)),
    }
}

/// Reduces one region's report to the grid row the status page and the API show: per path,
/// whether it looks fine (by [`edge_ok`] / [`origin_ok`], so the grid agrees with rollups),
/// the status code or a short failure label, and the latency (edge: time to headers; origin:
/// time to first byte). Latency is only given when a response came back: the time to a
/// failure is the timeout or the error, not a latency.
pub fn summarize_region(report: &RegionReport, expect: &Expectations) -> RegionSummary {
    let RegionReport::Probed(p) = report else {
        return RegionSummary {
            region: report.region().to_string(),
            colo: None,
            edge: None,
            origin: None,
            answered: false,
        };
    };
    let edge = match &p.edge.outcome {
        EdgeOutcome::Response(r) => PathSummary {
            ok: edge_ok(&p.edge.outcome, expect),
            status: Some(r.status),
            latency_ms: p.edge.headers_ms,
            label: status_label(r.status, r.keyword_found),
        },
        EdgeOutcome::Failed { failure, .. } => PathSummary {
            ok: false,
            status: None,
            latency_ms: None,
            label: edge_failure_label(*failure).to_string(),
        },
    };
    let origin = p.origin.as_ref().map(|o| match &o.http {
        HttpStep::Response { response, ttfb_ms, .. } => PathSummary {
            ok: origin_ok(&o.http, expect),
            status: Some(response.status),
            latency_ms: Some(*ttfb_ms),
            label: status_label(response.status, response.keyword_found),
        },
        _ => PathSummary {
            ok: false,
            status: None,
            latency_ms: None,
            label: origin_failure_label(o).to_string(),
        },
    });
    RegionSummary {
        region: p.region.clone(),
        colo: p.colo.clone(),
        edge: Some(edge),
        origin,
        answered: true,
    }
}

fn status_label(status: u16, keyword_found: Option<bool>) -> String {
    // A 200 without the expected keyword fails; the label must say why, not just "200".
    if keyword_found == Some(false) {
        format!("{status} no keyword")
    } else {
        status.to_string()
    }
}

fn edge_failure_label(failure: crate::observation::EdgeFailure) -> &'static str {
    use crate::observation::EdgeFailure;
    match failure {
        EdgeFailure::Timeout => "timeout",
        EdgeFailure::Dns => "dns",
        EdgeFailure::Connection => "unreachable",
        EdgeFailure::Tls => "tls error",
        EdgeFailure::Other => "error",
    }
}

/// The first layer that failed names the cell: connect, then TLS, then HTTP.
fn origin_failure_label(o: &crate::observation::OriginObservation) -> &'static str {
    use crate::observation::{ConnectStep, HttpFailure, TlsStep};
    match &o.connect {
        ConnectStep::Ok { .. } => {}
        ConnectStep::Refused { .. } => return "refused",
        ConnectStep::TimedOut { .. } => return "timeout",
        ConnectStep::Unreachable { .. } => return "unreachable",
        ConnectStep::DnsFailed { .. } => return "dns",
        ConnectStep::Failed { .. } => return "connect error",
    }
    match &o.tls {
        TlsStep::NotApplicable | TlsStep::Ok { .. } => {}
        TlsStep::NotAttempted => return "not attempted",
        TlsStep::Untrusted { .. } => return "tls untrusted",
        TlsStep::Expired { .. } => return "tls expired",
        TlsStep::HostnameMismatch { .. } => return "tls hostname",
        TlsStep::HandshakeFailed { .. } => return "tls handshake",
        TlsStep::Failed { .. } => return "tls error",
    }
    match &o.http {
        HttpStep::Response { .. } | HttpStep::NotAttempted => "not attempted",
        HttpStep::Failed { failure, .. } => match failure {
            HttpFailure::EmptyReply => "empty reply",
            HttpFailure::InvalidStatusLine => "bad status line",
            HttpFailure::InvalidHeader => "bad header",
            HttpFailure::ClosedBeforeHeaders => "closed early",
            HttpFailure::BodyShorterThanContentLength => "short body",
            HttpFailure::InvalidChunkedBody => "bad chunking",
            HttpFailure::Reset => "reset",
            HttpFailure::TimeoutBeforeHeaders => "timeout",
            HttpFailure::TimeoutInBody => "slow body",
            HttpFailure::HeadersTooLarge => "headers too large",
            HttpFailure::WriteFailed => "write failed",
        },
    }
}

#[cfg(test)]
mod summarize_region_tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::observation::{
        CertificateInfo, ConnectStep, EdgeFailure, EdgeObservation, HttpFailure, OriginObservation, RegionProbe, ResponseSummary, TlsStep,
    };

    fn response(status: u16, keyword_found: Option<bool>) -> ResponseSummary {
        ResponseSummary {
            status,
            headers: BTreeMap::new(),
            body_bytes: 10,
            body_truncated: false,
            body_excerpt: None,
            keyword_found,
            body_error: None,
        }
    }

    fn probe(edge: EdgeOutcome, origin: Option<OriginObservation>) -> RegionReport {
        RegionReport::Probed(RegionProbe {
            region: "weur".into(),
            colo: Some("CDG".into()),
            started_at: 0,
            edge: EdgeObservation {
                url: "https://example.com/".into(),
                outcome: edge,
                headers_ms: Some(120),
                total_ms: Some(150),
                certificate: CertificateInfo::NotObservable,
            },
            origin,
        })
    }

    fn origin(connect: ConnectStep, tls: TlsStep, http: HttpStep) -> Option<OriginObservation> {
        Some(OriginObservation {
            address: "203.0.113.7:443".into(),
            tls_expected: true,
            connect,
            tls,
            http,
        })
    }

    fn tls_ok() -> TlsStep {
        TlsStep::Ok {
            ms: 30,
            certificate: CertificateInfo::NotObservable,
        }
    }

    fn http_failed(failure: HttpFailure) -> HttpStep {
        HttpStep::Failed {
            failure,
            ms: 5,
            detail: String::new(),
            bytes_received: 0,
        }
    }

    fn d() -> String {
        "x".into()
    }

    #[test]
    fn origin_labels_name_the_first_failing_layer() {
        let ok_connect = || ConnectStep::Ok { ms: 10 };
        let cases: Vec<(ConnectStep, TlsStep, HttpStep, &str)> = vec![
            (
                ConnectStep::Refused { ms: 1, detail: d() },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
                "refused",
            ),
            (
                ConnectStep::TimedOut { ms: 1 },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
                "timeout",
            ),
            (
                ConnectStep::Unreachable { ms: 1, detail: d() },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
                "unreachable",
            ),
            (
                ConnectStep::DnsFailed { ms: 1, detail: d() },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
                "dns",
            ),
            (
                ConnectStep::Failed { ms: 1, detail: d() },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
                "connect error",
            ),
            (
                ok_connect(),
                TlsStep::Untrusted { ms: 1, detail: d() },
                HttpStep::NotAttempted,
                "tls untrusted",
            ),
            (
                ok_connect(),
                TlsStep::Expired { ms: 1, detail: d() },
                HttpStep::NotAttempted,
                "tls expired",
            ),
            (
                ok_connect(),
                TlsStep::HostnameMismatch { ms: 1, detail: d() },
                HttpStep::NotAttempted,
                "tls hostname",
            ),
            (
                ok_connect(),
                TlsStep::HandshakeFailed { ms: 1, detail: d() },
                HttpStep::NotAttempted,
                "tls handshake",
            ),
            (
                ok_connect(),
                TlsStep::Failed { ms: 1, detail: d() },
                HttpStep::NotAttempted,
                "tls error",
            ),
            (ok_connect(), tls_ok(), http_failed(HttpFailure::EmptyReply), "empty reply"),
            (
                ok_connect(),
                tls_ok(),
                http_failed(HttpFailure::InvalidStatusLine),
                "bad status line",
            ),
            (ok_connect(), tls_ok(), http_failed(HttpFailure::InvalidHeader), "bad header"),
            (
                ok_connect(),
                tls_ok(),
                http_failed(HttpFailure::ClosedBeforeHeaders),
                "closed early",
            ),
            (
                ok_connect(),
                tls_ok(),
                http_failed(HttpFailure::BodyShorterThanContentLength),
                "short body",
            ),
            (ok_connect(), tls_ok(), http_failed(HttpFailure::Reset), "reset"),
            (ok_connect(), tls_ok(), http_failed(HttpFailure::TimeoutBeforeHeaders), "timeout"),
            (ok_connect(), tls_ok(), http_failed(HttpFailure::TimeoutInBody), "slow body"),
            (
                ok_connect(),
                TlsStep::NotApplicable,
                http_failed(HttpFailure::WriteFailed),
                "write failed",
            ),
        ];
        for (connect, tls, http, label) in cases {
            let report = probe(EdgeOutcome::Response(response(200, None)), origin(connect, tls, http));
            let s = summarize_region(&report, &Expectations::default());
            let o = s.origin.expect("origin configured");
            assert_eq!(o.label, label);
            assert!(!o.ok, "{label}");
            assert_eq!((o.status, o.latency_ms), (None, None), "{label}");
        }
    }

    #[test]
    fn responses_are_labelled_by_status_and_judged_by_expectations() {
        let http = |status, kw| HttpStep::Response {
            response: response(status, kw),
            ttfb_ms: 42,
            total_ms: 50,
        };
        let report = probe(
            EdgeOutcome::Response(response(522, None)),
            origin(ConnectStep::Ok { ms: 3 }, tls_ok(), http(200, None)),
        );
        let s = summarize_region(&report, &Expectations::default());
        assert!(s.answered);
        assert_eq!(s.colo.as_deref(), Some("CDG"));
        assert_eq!(
            s.edge,
            Some(PathSummary {
                ok: false,
                status: Some(522),
                latency_ms: Some(120),
                label: "522".into()
            })
        );
        assert_eq!(
            s.origin,
            Some(PathSummary {
                ok: true,
                status: Some(200),
                latency_ms: Some(42),
                label: "200".into()
            })
        );

        let keyword_missing = probe(
            EdgeOutcome::Response(response(200, Some(false))),
            origin(ConnectStep::Ok { ms: 3 }, tls_ok(), http(200, Some(true))),
        );
        let s = summarize_region(&keyword_missing, &Expectations::default());
        let edge = s.edge.expect("edge");
        assert_eq!((edge.ok, edge.label.as_str()), (false, "200 no keyword"));
        assert!(s.origin.expect("origin").ok);

        let only_204 = Expectations {
            statuses: vec![(204, 204)],
            ..Expectations::default()
        };
        let s = summarize_region(&probe(EdgeOutcome::Response(response(200, None)), None), &only_204);
        assert!(!s.edge.expect("edge").ok);
        assert_eq!(s.origin, None, "no origin configured");
    }

    #[test]
    fn edge_failures_have_labels_and_no_latency() {
        let cases = [
            (EdgeFailure::Timeout, "timeout"),
            (EdgeFailure::Dns, "dns"),
            (EdgeFailure::Connection, "unreachable"),
            (EdgeFailure::Tls, "tls error"),
            (EdgeFailure::Other, "error"),
        ];
        for (failure, label) in cases {
            let report = probe(EdgeOutcome::Failed { failure, detail: d() }, None);
            let edge = summarize_region(&report, &Expectations::default()).edge.expect("edge");
            assert_eq!(
                edge,
                PathSummary {
                    ok: false,
                    status: None,
                    latency_ms: None,
                    label: label.into()
                }
            );
        }
    }

    #[test]
    fn unanswered_region_has_no_paths() {
        let report = RegionReport::Unanswered {
            region: "apac".into(),
            reason: "timeout".into(),
        };
        let s = summarize_region(&report, &Expectations::default());
        assert_eq!(
            s,
            RegionSummary {
                region: "apac".into(),
                colo: None,
                edge: None,
                origin: None,
                answered: false
            }
        );
    }
}
