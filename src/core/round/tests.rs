use std::collections::BTreeMap;

use super::*;
use crate::core::monitor::{ConfirmationPolicy, Expectations, OriginTarget, Scheme};
use crate::core::observation::{CertificateInfo, EdgeFailure, EdgeObservation, EdgeOutcome, RegionProbe, ResponseSummary};

fn monitor(id: &str, regions: &[&str], origin: bool, timeout_ms: u32) -> Monitor {
    Monitor {
        id: id.into(),
        name: id.into(),
        url: "https://shop.example.com/health".into(),
        origin: origin.then(|| OriginTarget {
            host: "203.0.113.10".into(),
            port: 443,
            scheme: Scheme::Https,
        }),
        method: "GET".into(),
        headers: BTreeMap::new(),
        expect: Expectations::default(),
        interval_ms: 60_000,
        timeout_ms,
        regions: regions.iter().map(|s| s.to_string()).collect(),
        confirmation: ConfirmationPolicy::default(),
        channels: vec![],
        public: false,
        slug: id.into(),
        maintenance: vec![],
        tags: vec![],
        paused: false,
        created_at: 0,
        updated_at: 0,
    }
}

fn probed(region: &str, status: Option<u16>) -> RegionReport {
    let outcome = match status {
        Some(s) => EdgeOutcome::Response(ResponseSummary {
            status: s,
            headers: BTreeMap::new(),
            body_bytes: 0,
            body_truncated: false,
            body_excerpt: None,
            keyword_found: None,
            body_error: None,
        }),
        None => EdgeOutcome::Failed {
            failure: EdgeFailure::Timeout,
            detail: "timed out".into(),
        },
    };
    RegionReport::Probed(RegionProbe {
        region: region.into(),
        colo: Some("local".into()),
        started_at: 1,
        edge: EdgeObservation {
            url: "u".into(),
            outcome,
            headers_ms: Some(12),
            total_ms: Some(15),
            certificate: CertificateInfo::NotObservable,
        },
        origin: None,
    })
}

#[test]
fn batches_group_monitors_by_region_without_duplicates() {
    let ms = vec![
        monitor("a", &["weur", "enam"], true, 5000),
        monitor("b", &["enam", "enam"], false, 5000),
    ];
    let b = region_batches(&ms);
    assert_eq!(b.get("weur"), Some(&vec![0]));
    assert_eq!(b.get("enam"), Some(&vec![0, 1]));
    assert_eq!(b.len(), 2);
}

#[test]
fn deadline_counts_waves_of_six_connections() {
    let with_origin = monitor("a", &["weur"], true, 3000);
    let edge_only = monitor("b", &["weur"], false, 1000);
    // 2 connections: one wave of the slowest timeout.
    assert_eq!(batch_deadline(100, &[&with_origin]), 100 + 3000 + FANOUT_MARGIN_MS);
    // 3 monitors with origins = 6 connections: still one wave.
    assert_eq!(
        batch_deadline(0, &[&with_origin, &with_origin, &with_origin]),
        3000 + FANOUT_MARGIN_MS
    );
    // 30 monitors with origins = 60 connections: ten waves.
    let thirty: Vec<&Monitor> = std::iter::repeat_n(&with_origin, 30).collect();
    assert_eq!(batch_deadline(0, &thirty), 10 * 3000 + FANOUT_MARGIN_MS);
    // The slowest timeout sets the wave length.
    assert_eq!(batch_deadline(0, &[&edge_only, &with_origin]), 3000 + FANOUT_MARGIN_MS);
    assert_eq!(batch_deadline(0, &[]), FANOUT_MARGIN_MS);
}

#[test]
fn reports_are_assembled_per_region_and_failures_become_unanswered() {
    let ms = vec![
        monitor("a", &["weur", "enam", "apac"], false, 5000),
        monitor("b", &["enam"], false, 5000),
    ];
    let batches = region_batches(&ms);
    let mut answers = BTreeMap::new();
    answers.insert("weur".to_string(), RegionAnswer::Reports(vec![probed("weur", Some(200))]));
    answers.insert(
        "enam".to_string(),
        RegionAnswer::Reports(vec![probed("enam", Some(502)), probed("enam", Some(200))]),
    );
    answers.insert("apac".to_string(), RegionAnswer::Failed("timeout".into()));

    let a = reports_for(0, &ms[0], &batches, &answers);
    assert_eq!(a.len(), 3);
    assert_eq!(a[0], probed("weur", Some(200)));
    assert_eq!(a[1], probed("enam", Some(502)));
    assert_eq!(
        a[2],
        RegionReport::Unanswered {
            region: "apac".into(),
            reason: "timeout".into()
        }
    );
    let b = reports_for(1, &ms[1], &batches, &answers);
    assert_eq!(b, vec![probed("enam", Some(200))]);
}

#[test]
fn a_malformed_region_answer_is_not_trusted() {
    let ms = vec![monitor("a", &["weur"], false, 5000), monitor("b", &["weur"], false, 5000)];
    let batches = region_batches(&ms);
    let mut answers = BTreeMap::new();
    answers.insert("weur".to_string(), RegionAnswer::Reports(vec![probed("weur", Some(200))]));
    let a = reports_for(0, &ms[0], &batches, &answers);
    assert!(
        matches!(&a[0], RegionReport::Unanswered { reason, .. } if reason.contains("1 reports for 2")),
        "{a:?}"
    );

    answers.insert(
        "weur".to_string(),
        RegionAnswer::Reports(vec![probed("enam", Some(200)), probed("weur", Some(200))]),
    );
    let a = reports_for(0, &ms[0], &batches, &answers);
    assert!(
        matches!(&a[0], RegionReport::Unanswered { reason, .. } if reason.contains("reported region enam")),
        "{a:?}"
    );
}

#[test]
fn observation_rows_cover_every_path_and_unanswered_region() {
    let m = monitor("a", &["weur", "apac"], false, 5000);
    let reports = vec![
        probed("weur", Some(503)),
        RegionReport::Unanswered {
            region: "apac".into(),
            reason: "timeout".into(),
        },
    ];
    let rows = observation_rows(&m, &reports);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].region.as_str(), rows[0].path, rows[0].ok, rows[0].latency_ms),
        ("weur", "edge", Some(false), Some(12))
    );
    assert_eq!((rows[1].region.as_str(), rows[1].path, rows[1].ok), ("apac", "none", None));
    assert_eq!(rows[1].data["unanswered"], "timeout");
}

#[test]
fn missed_slots_step_back_one_interval_each() {
    assert_eq!(missed_slots(600_000, 60_000, 3), vec![420_000, 480_000, 540_000]);
    assert!(missed_slots(600_000, 60_000, 0).is_empty());
}
