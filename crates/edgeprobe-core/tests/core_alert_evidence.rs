//! The evidence an alert carries per region (edgeprobe_core::alerting::alert): the first failing
//! origin step, unanswered and unknown regions, and stable, distinct message ids.

use edgeprobe_core::alerting::alert::{alert_regions, channel_test_alert, message_id};
use edgeprobe_core::alerting::{AlertKind, Links};
use edgeprobe_core::observation::{
    CertificateInfo, ConnectStep, EdgeFailure, EdgeOutcome, HttpFailure, HttpStep, RegionReport,
    TlsStep,
};
use edgeprobe_core::time::Millis;
use edgeprobe_testkit::builders;

/// A report from `region` whose edge ended in `edge` and whose origin went through these steps.
fn probe(
    region: &str,
    edge: EdgeOutcome,
    origin: Option<(ConnectStep, TlsStep, HttpStep)>,
) -> RegionReport {
    let mut e = builders::edge(200, &[], "", 7);
    e.outcome = edge;
    builders::probed(
        region,
        e,
        origin.map(|(connect, tls, http)| builders::origin(connect, tls, http)),
    )
}

#[test]
fn region_evidence_names_the_first_failing_origin_step() {
    let edge_502 = || EdgeOutcome::Response(builders::response(502, &[], ""));
    let reports = vec![
        RegionReport::Unanswered {
            region: "afr".into(),
            reason: "timeout".into(),
        },
        probe(
            "enam",
            EdgeOutcome::Failed {
                failure: EdgeFailure::Dns,
                detail: "NXDOMAIN".into(),
            },
            None,
        ),
        probe(
            "weur",
            edge_502(),
            Some((
                ConnectStep::Refused {
                    ms: 2,
                    detail: "ECONNREFUSED".into(),
                },
                TlsStep::NotAttempted,
                HttpStep::NotAttempted,
            )),
        ),
        probe(
            "apac",
            edge_502(),
            Some((
                ConnectStep::Ok { ms: 5 },
                TlsStep::Expired {
                    ms: 20,
                    detail: "notAfter 2026-01-01".into(),
                },
                HttpStep::NotAttempted,
            )),
        ),
        probe(
            "oc",
            edge_502(),
            Some((
                ConnectStep::Ok { ms: 5 },
                TlsStep::Ok {
                    ms: 20,
                    certificate: CertificateInfo::NotObservable,
                },
                HttpStep::Failed {
                    failure: HttpFailure::EmptyReply,
                    ms: 3,
                    detail: "closed".into(),
                    bytes_received: 0,
                },
            )),
        ),
        probe(
            "sam",
            EdgeOutcome::Response(builders::response(200, &[], "")),
            Some((
                ConnectStep::Ok { ms: 5 },
                TlsStep::NotApplicable,
                HttpStep::Response {
                    response: builders::response(200, &[], ""),
                    ttfb_ms: 9,
                    total_ms: 10,
                },
            )),
        ),
    ];
    let names: Vec<String> = [
        "afr", "enam", "weur", "apac", "oc", "sam", "missing", "weur",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let got = alert_regions(&reports, &names);
    // (region, edge status, edge failure, failed origin step, origin detail, origin ms)
    type Row<'a> = (
        &'a str,
        Option<u16>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<Millis>,
    );
    let want: [Row; 6] = [
        ("afr", None, Some("unanswered: timeout"), None, None, None),
        ("enam", None, Some("dns: NXDOMAIN"), None, None, None),
        (
            "weur",
            Some(502),
            None,
            Some("connect"),
            Some("refused: ECONNREFUSED"),
            Some(2),
        ),
        (
            "apac",
            Some(502),
            None,
            Some("tls"),
            Some("expired certificate: notAfter 2026-01-01"),
            Some(25),
        ),
        (
            "oc",
            Some(502),
            None,
            Some("http"),
            Some("empty_reply: closed"),
            Some(28),
        ),
        ("sam", Some(200), None, None, Some("HTTP 200"), Some(15)),
    ];
    assert_eq!(
        got.len(),
        want.len(),
        "unknown regions are skipped and duplicates dropped"
    );
    for (r, (region, status, edge_failure, step, detail, ms)) in got.iter().zip(want) {
        assert_eq!(r.region, region);
        assert_eq!(r.edge_status, status, "{region}");
        assert_eq!(r.edge_failure.as_deref(), edge_failure, "{region}");
        assert_eq!(r.origin_failed_step.as_deref(), step, "{region}");
        assert_eq!(r.origin_detail.as_deref(), detail, "{region}");
        assert_eq!(r.origin_ms, ms, "{region}");
    }
}

#[test]
fn message_ids_are_stable_and_distinct() {
    assert_eq!(
        message_id("inc_1", AlertKind::Down, 0),
        message_id("inc_1", AlertKind::Down, 0)
    );
    let ids = [
        message_id("inc_1", AlertKind::Down, 0),
        message_id("inc_1", AlertKind::Reminder, 1),
        message_id("inc_1", AlertKind::Reminder, 2),
        message_id("inc_2", AlertKind::Down, 0),
    ];
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
}

#[test]
fn channel_test_alerts_are_labelled_and_distinct() {
    let links = Links {
        base_url: "https://probe.example/".into(),
        docs_base: "https://docs.example/d".into(),
    };
    let a = channel_test_alert("chn_1", "ops", &links, 1_000);
    assert_eq!(a.kind, AlertKind::Test);
    assert_eq!(a.id, "msg_test_chn_1_1000_test_0");
    assert_eq!(a.incident_id, None);
    assert!(a.summary.contains("ops"), "{}", a.summary);
    assert_eq!(a.links.api, "https://probe.example/api/v1/channels/chn_1");
    assert_eq!(a.links.docs, "https://docs.example/d/diagnoses.md#healthy");
    assert!(a.regions.is_empty());
    let ids: std::collections::BTreeSet<String> = [
        channel_test_alert("chn_1", "ops", &links, 1_001).id,
        channel_test_alert("chn_2", "ops", &links, 1_000).id,
        a.id,
    ]
    .into();
    assert_eq!(
        ids.len(),
        3,
        "another time or channel gives another webhook-id"
    );
}
