//! A region's grid row (edgeprobe_core::status::summarize_region): per path whether it looks
//! fine, the status or the first failing layer's label, and a latency only for responses.

use edgeprobe_core::monitor::Expectations;
use edgeprobe_core::observation::{
    CertificateInfo, ConnectStep, EdgeFailure, EdgeOutcome, HttpFailure, HttpStep,
    OriginObservation, RegionReport, ResponseSummary, TlsStep,
};
use edgeprobe_core::status::{summarize_region, PathSummary, RegionSummary};
use edgeprobe_testkit::builders;

/// A response with this status and, when checked, whether the keyword was found.
fn response(status: u16, keyword_found: Option<bool>) -> ResponseSummary {
    ResponseSummary {
        keyword_found,
        ..builders::response(status, &[], "")
    }
}

/// The weur (CDG) report: the edge ended in `edge` after 120 ms to headers; the origin as given.
fn probe(edge: EdgeOutcome, origin: Option<OriginObservation>) -> RegionReport {
    let mut e = builders::edge(200, &[], "", 120);
    e.outcome = edge;
    builders::probed("weur", e, origin)
}

fn origin(connect: ConnectStep, tls: TlsStep, http: HttpStep) -> Option<OriginObservation> {
    Some(builders::origin(connect, tls, http))
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
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::EmptyReply),
            "empty reply",
        ),
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::InvalidStatusLine),
            "bad status line",
        ),
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::InvalidHeader),
            "bad header",
        ),
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
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::Reset),
            "reset",
        ),
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::TimeoutBeforeHeaders),
            "timeout",
        ),
        (
            ok_connect(),
            tls_ok(),
            http_failed(HttpFailure::TimeoutInBody),
            "slow body",
        ),
        (
            ok_connect(),
            TlsStep::NotApplicable,
            http_failed(HttpFailure::WriteFailed),
            "write failed",
        ),
    ];
    for (connect, tls, http, label) in cases {
        let report = probe(
            EdgeOutcome::Response(response(200, None)),
            origin(connect, tls, http),
        );
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
    let s = summarize_region(
        &probe(EdgeOutcome::Response(response(200, None)), None),
        &only_204,
    );
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
        let report = probe(
            EdgeOutcome::Failed {
                failure,
                detail: d(),
            },
            None,
        );
        let edge = summarize_region(&report, &Expectations::default())
            .edge
            .expect("edge");
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
