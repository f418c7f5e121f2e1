//! The own TLS client's pure parts: when it runs (cadence), what its outcomes mean for the
//! origin's TLS step (merge, legacy), and how an outcome reads.

use edgeprobe_core::observation::{
    CertificateInfo, LeafCertificate, OwnTls, OwnTlsOutcome, TlsStep,
};
use edgeprobe_core::time::{HOUR, MINUTE};
use edgeprobe_core::tls::{describe, merge, own_client_due, CERT_CHECK_PERIOD_MS};
use edgeprobe_testkit::builders::monitor;

#[test]
fn own_client_runs_on_the_first_round_then_once_per_period_per_region() {
    let mut m = monitor();
    m.interval_ms = 60_000;
    m.created_at = 1_000_000;
    m.updated_at = 1_000_000;
    assert!(
        own_client_due(&m, "weur", 1_000_000 + 30_000),
        "first round"
    );
    // Over one day of rounds every minute: exactly 24h / 6h = 4 due rounds per region.
    let start = m.created_at + MINUTE;
    for region in ["weur", "enam", "apac"] {
        let due = (0..24 * 60)
            .filter(|i| own_client_due(&m, region, start + i * MINUTE))
            .count();
        assert_eq!(due, (24 * HOUR / CERT_CHECK_PERIOD_MS) as usize, "{region}");
    }
    // An edit makes the next round check at once.
    m.updated_at = 50 * HOUR;
    assert!(own_client_due(&m, "weur", 50 * HOUR + 10_000));
}

#[test]
fn plain_http_origins_never_run_it() {
    let mut m = monitor();
    if let Some(o) = m.origin.as_mut() {
        o.scheme = edgeprobe_core::monitor::Scheme::Http;
    }
    assert!(!own_client_due(&m, "weur", m.created_at + 1));
}

fn own(outcome: OwnTlsOutcome) -> OwnTls {
    OwnTls {
        ms: 3,
        outcome,
        version: None,
        cipher_suite: None,
        presented: 1,
        leaf: Some(LeafCertificate {
            subject: "CN=localhost".into(),
            issuer: "CN=test CA".into(),
            sans: vec!["localhost".into()],
            not_before: 0,
            not_after: 1_706_745_600_000,
            days_left: -3,
            serial: "10:00".into(),
            sha256: "AB".into(),
        }),
    }
}

#[test]
fn the_own_client_names_what_the_platform_could_not() {
    let platform = TlsStep::Failed {
        ms: 5,
        detail: "Error: internal error; reference = x".into(),
    };
    let cases = [
        (
            OwnTlsOutcome::Expired {
                not_after: 1_706_745_600_000,
            },
            "expired",
            "certificate expired: notAfter 2024-02-01T00:00:00.000Z",
        ),
        (
            OwnTlsOutcome::SelfSigned,
            "untrusted",
            "self-signed certificate",
        ),
        (
            OwnTlsOutcome::NameMismatch {
                expected: "localhost".into(),
                presented: vec!["wrong-host.edgeprobe.invalid".into()],
            },
            "hostname_mismatch",
            "certificate is not valid for localhost; it names wrong-host.edgeprobe.invalid",
        ),
        (
            OwnTlsOutcome::NotTls {
                first_bytes: "HTTP/1.1 400 Bad".into(),
            },
            "handshake_failed",
            "the server does not speak TLS; it answered \"HTTP/1.1 400 Bad\"",
        ),
        (
            OwnTlsOutcome::Timeout,
            "handshake_failed",
            "no end to the handshake before the timeout",
        ),
    ];
    for (outcome, result, detail) in cases {
        let step = merge(platform.clone(), &own(outcome.clone()));
        let v = serde_json::to_value(&step).unwrap();
        assert_eq!(v["result"], result, "{outcome:?}");
        assert_eq!(v["detail"], detail, "{outcome:?}");
        assert_eq!(describe(&outcome), detail);
    }
}

#[test]
fn a_failure_only_the_own_client_sees_keeps_the_platform_ok_and_the_certificate() {
    let platform = TlsStep::Ok {
        ms: 4,
        certificate: CertificateInfo::NotObservable,
    };
    let step = merge(
        platform,
        &own(OwnTlsOutcome::NoCommonProtocol {
            alert: "HandshakeFailure".into(),
        }),
    );
    assert_eq!(
        step,
        TlsStep::Ok {
            ms: 4,
            certificate: CertificateInfo::Known {
                not_after: 1_706_745_600_000,
                subject: Some("CN=localhost".into()),
                issuer: Some("CN=test CA".into()),
            },
        }
    );
}

#[test]
fn the_edge_certificate_has_its_own_schedule_on_https_fronts_only() {
    use edgeprobe_core::tls::{edge_check_due, edge_target};
    let mut m = monitor();
    m.interval_ms = 60_000;
    let start = m.created_at + MINUTE;
    for region in ["weur", "enam"] {
        let edge: Vec<i64> = (0..24 * 60)
            .map(|i| start + i * MINUTE)
            .filter(|&t| edge_check_due(&m, region, t))
            .collect();
        let origin: Vec<i64> = (0..24 * 60)
            .map(|i| start + i * MINUTE)
            .filter(|&t| own_client_due(&m, region, t))
            .collect();
        assert_eq!(
            edge.len(),
            (24 * HOUR / CERT_CHECK_PERIOD_MS) as usize,
            "{region}"
        );
        assert_ne!(
            edge, origin,
            "{region}: the two handshakes fall in different rounds"
        );
    }
    assert_eq!(
        edge_target("https://shop.example.com:8443/x"),
        Some(("shop.example.com".into(), 8443))
    );
    assert_eq!(
        edge_target("https://[2001:db8::1]/"),
        Some(("2001:db8::1".into(), 443))
    );
    m.url = "http://shop.example.com/".into();
    assert_eq!(edge_target(&m.url), None);
    assert!(!edge_check_due(&m, "weur", m.created_at + 1));
}

#[test]
fn a_front_on_cloudflare_is_managed_by_the_cdn_and_others_are_handshaken() {
    use edgeprobe_core::cdn::Cdn;
    use edgeprobe_core::observation::EdgeFailure;
    use edgeprobe_core::tls::{edge_reachability, EdgeReach};
    use edgeprobe_testkit::builders::{edge, edge_failed};
    let cf = edge(
        200,
        &[("server", "cloudflare"), ("cf-ray", "8f1-CDG")],
        "",
        40,
    );
    assert_eq!(
        edge_reachability(&cf),
        EdgeReach::ManagedByCdn(Cdn::Cloudflare)
    );
    let nginx = edge(200, &[("server", "nginx")], "", 40);
    assert_eq!(edge_reachability(&nginx), EdgeReach::Socket);
    let cloudfront = edge(200, &[("x-amz-cf-pop", "CDG50-C1")], "", 40);
    assert_eq!(edge_reachability(&cloudfront), EdgeReach::Socket);
    assert_eq!(
        edge_reachability(&edge_failed(EdgeFailure::Tls)),
        EdgeReach::Socket
    );
}
