//! Rounds from the coordinator's point of view (edgeprobe_core::round): which region objects
//! get which monitors, the wave plan and deadline under the connection limit, assembling region
//! answers into reports, and the rows recorded afterwards.

use std::collections::BTreeMap;

use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::limits::{FANOUT_MARGIN_MS, MAX_CONNECTIONS_IN_FLIGHT};
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{EdgeFailure, RegionReport};
use edgeprobe_core::round::*;
use edgeprobe_core::time::UnixMillis;
use edgeprobe_testkit::builders;

/// The testkit's monitor, probed from `regions` with this timeout, with or without an origin.
fn monitor(id: &str, regions: &[&str], origin: bool, timeout_ms: u32) -> Monitor {
    let m = builders::monitor();
    Monitor {
        id: id.into(),
        slug: id.into(),
        regions: regions.iter().map(|s| s.to_string()).collect(),
        origin: if origin { m.origin.clone() } else { None },
        timeout_ms,
        ..m
    }
}

/// An edge-only report: a response with this status in 12 ms, or a timeout.
fn probed(region: &str, status: Option<u16>) -> RegionReport {
    let edge = match status {
        Some(s) => builders::edge(s, &[], "", 12),
        None => builders::edge_failed(EdgeFailure::Timeout),
    };
    builders::probed(region, edge, None)
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

fn deadline(started_at: UnixMillis, batch: &[&Monitor]) -> UnixMillis {
    BatchPlan::for_monitors(batch).deadline(started_at)
}

/// Connections each wave of a plan holds (per wave, in order).
fn connections(plan: &BatchPlan, batch: &[&Monitor]) -> Vec<usize> {
    plan.waves
        .iter()
        .map(|w| w.iter().map(|&i| connections_per_monitor(batch[i])).sum())
        .collect()
}

/// Every index once, no wave over the limit, and a deadline no earlier than the slowest way
/// the region object can run the plan (each wave lasting its slowest member's timeout).
fn assert_sound(plan: &BatchPlan, batch: &[&Monitor]) {
    let mut seen: Vec<usize> = plan.waves.iter().flatten().copied().collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..batch.len()).collect::<Vec<_>>(), "{plan:?}");
    assert!(
        connections(plan, batch)
            .iter()
            .all(|&c| c <= MAX_CONNECTIONS_IN_FLIGHT),
        "{plan:?}"
    );
    let worst: i64 = plan
        .waves
        .iter()
        .map(|w| {
            w.iter()
                .map(|&i| i64::from(batch[i].timeout_ms))
                .max()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(plan.worst_case_ms, worst, "{plan:?}");
    assert!(plan.deadline(0) >= worst + FANOUT_MARGIN_MS);
}

#[test]
fn deadline_counts_waves_of_six_connections() {
    let with_origin = monitor("a", &["weur"], true, 3000);
    let edge_only = monitor("b", &["weur"], false, 1000);
    // 2 connections: one wave of the slowest timeout.
    assert_eq!(
        deadline(100, &[&with_origin]),
        100 + 3000 + FANOUT_MARGIN_MS
    );
    // 3 monitors with origins = 6 connections: still one wave.
    assert_eq!(
        deadline(0, &[&with_origin, &with_origin, &with_origin]),
        3000 + FANOUT_MARGIN_MS
    );
    // 30 monitors with origins = 60 connections: ten waves.
    let thirty: Vec<&Monitor> = std::iter::repeat_n(&with_origin, 30).collect();
    assert_eq!(deadline(0, &thirty), 10 * 3000 + FANOUT_MARGIN_MS);
    // The slowest timeout sets the wave length.
    assert_eq!(
        deadline(0, &[&edge_only, &with_origin]),
        3000 + FANOUT_MARGIN_MS
    );
    assert_eq!(deadline(0, &[]), FANOUT_MARGIN_MS);
    // (Formerly `schedule::round_deadline`'s test: the one deadline rule saturates.)
    let huge = BatchPlan {
        waves: Vec::new(),
        worst_case_ms: i64::MAX,
    };
    assert_eq!(huge.deadline(i64::MAX - 5), i64::MAX);
    assert!(BatchPlan::for_monitors(&[]).waves.is_empty());
}

/// Issue 10: 11 edge-only monitors and one with an origin, 10 s timeouts. The coordinator
/// counted 13 connections (3 waves, 35 s) while the region object ran 3 monitors at a time
/// because one had an origin (4 waves, 40 s), so a hanging outage came back "unanswered".
/// One plan now sets both: 13 connections packed into 3 waves the region really runs.
#[test]
fn a_mixed_batch_is_planned_in_waves_the_deadline_covers() {
    let origin = monitor("o", &["weur"], true, 10_000);
    let edge = monitor("e", &["weur"], false, 10_000);
    let mut batch: Vec<&Monitor> = std::iter::repeat_n(&edge, 11).collect();
    batch.push(&origin);
    let plan = BatchPlan::for_monitors(&batch);
    assert_sound(&plan, &batch);
    assert_eq!(connections(&plan, &batch), [6, 6, 1]);
    assert_eq!(
        plan.waves[0],
        [0, 1, 2, 3, 11],
        "the monitor with an origin goes first, in a full wave"
    );
    assert_eq!(plan.worst_case_ms, 30_000);
    assert_eq!(plan.deadline(0), 35_000);
}

#[test]
fn plans_for_mixed_batches_table() {
    let e1 = monitor("e1", &["weur"], false, 1_000);
    let e10 = monitor("e10", &["weur"], false, 10_000);
    let o2 = monitor("o2", &["weur"], true, 2_000);
    let o10 = monitor("o10", &["weur"], true, 10_000);
    // (batch, connections per wave, worst case)
    let cases: Vec<(Vec<&Monitor>, Vec<usize>, i64)> = vec![
        (vec![&e1], vec![1], 1_000),
        (vec![&e1; 6], vec![6], 1_000),
        (vec![&e1; 7], vec![6, 1], 2_000),
        (vec![&o2; 4], vec![6, 2], 4_000),
        // Slow monitors share waves instead of each stretching one.
        (
            vec![
                &e1, &e10, &e1, &e10, &e1, &e10, &e1, &e10, &e1, &e10, &e1, &e10,
            ],
            vec![6, 6],
            11_000,
        ),
        // 24 edge-only + 1 origin (the integration test's batch): 26 connections, 5 waves.
        (
            std::iter::repeat_n(&e1, 24)
                .chain(std::iter::once(&o2))
                .collect(),
            vec![6, 6, 6, 6, 2],
            2_000 + 4 * 1_000,
        ),
        // Widest first within a timeout, slowest first overall: both origins lead wave 1.
        (
            vec![&o10, &e1, &e1, &e1, &e1, &o2],
            vec![6, 2],
            10_000 + 1_000,
        ),
    ];
    for (batch, want_connections, want_worst) in cases {
        let plan = BatchPlan::for_monitors(&batch);
        assert_sound(&plan, &batch);
        assert_eq!(connections(&plan, &batch), want_connections, "{plan:?}");
        assert_eq!(plan.worst_case_ms, want_worst, "{plan:?}");
    }
}

mod plan_properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any batch: the plan covers it, respects the limit, and uses no more waves than
        /// twice the lower bound (first fit with items of size 1 or 2 into bins of 6).
        #[test]
        fn any_batch_gets_a_sound_plan(spec in proptest::collection::vec((any::<bool>(), 1u32..30), 0..60)) {
            let ms: Vec<Monitor> = spec
                .iter()
                .enumerate()
                .map(|(i, (origin, secs))| monitor(&format!("m{i}"), &["weur"], *origin, secs * 1000))
                .collect();
            let batch: Vec<&Monitor> = ms.iter().collect();
            let plan = BatchPlan::for_monitors(&batch);
            assert_sound(&plan, &batch);
            let total: usize = batch.iter().map(|m| connections_per_monitor(m)).sum();
            prop_assert!(plan.waves.len() <= 2 * total.div_ceil(MAX_CONNECTIONS_IN_FLIGHT).max(1));
        }
    }
}

#[test]
fn reports_are_assembled_per_region_and_failures_become_unanswered() {
    let ms = vec![
        monitor("a", &["weur", "enam", "apac"], false, 5000),
        monitor("b", &["enam"], false, 5000),
    ];
    let batches = region_batches(&ms);
    let mut answers = BTreeMap::new();
    answers.insert(
        "weur".to_string(),
        RegionAnswer::Reports(vec![probed("weur", Some(200))]),
    );
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
    let ms = vec![
        monitor("a", &["weur"], false, 5000),
        monitor("b", &["weur"], false, 5000),
    ];
    let batches = region_batches(&ms);
    let mut answers = BTreeMap::new();
    answers.insert(
        "weur".to_string(),
        RegionAnswer::Reports(vec![probed("weur", Some(200))]),
    );
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
        (
            rows[0].region.as_str(),
            rows[0].path,
            rows[0].ok,
            rows[0].latency_ms
        ),
        ("weur", Some(PathKind::Edge), Some(false), Some(12))
    );
    assert_eq!(
        (rows[1].region.as_str(), rows[1].path, rows[1].ok),
        ("apac", None, None)
    );
    assert_eq!(
        rows.iter().map(|r| path_column(r.path)).collect::<Vec<_>>(),
        ["edge", "none"]
    );
    assert_eq!(rows[1].data["unanswered"], "timeout");
}

#[test]
fn missed_slots_step_back_one_interval_each() {
    assert_eq!(
        missed_slots(600_000, 60_000, 3),
        vec![420_000, 480_000, 540_000]
    );
    assert!(missed_slots(600_000, 60_000, 0).is_empty());
}

/// Row kinds and paths are stored in D1 (`rounds.kind`, `observations.path`, `rollups.path`) and
/// served by the API: their strings must never change, whatever the enums are renamed to.
#[test]
fn stored_kind_and_path_strings_are_stable() {
    let kinds: Vec<(&str, String)> = RoundKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                serde_json::to_value(k)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("scheduled", "scheduled".to_string()),
            ("recheck", "recheck".to_string()),
            ("manual", "manual".to_string()),
            ("missed", "missed".to_string()),
        ]
    );
    for k in RoundKind::ALL {
        let back: RoundKind = serde_json::from_value(serde_json::json!(k.as_str())).unwrap();
        assert_eq!(back, k);
    }
    let paths = [
        (Some(PathKind::Edge), "edge"),
        (Some(PathKind::Origin), "origin"),
        (None, "none"),
    ];
    for (path, stored) in paths {
        assert_eq!(path_column(path), stored);
        if let Some(p) = path {
            assert_eq!(serde_json::to_value(p).unwrap(), stored);
            assert_eq!(p.as_str(), stored);
        }
    }
}
