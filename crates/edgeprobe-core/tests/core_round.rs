//! Rounds from the coordinator's point of view (edgeprobe_core::round): which region objects
//! get which monitors, the wave plan and deadline under the connection limit, assembling region
//! answers into reports, and the rows recorded afterwards.

use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{EdgeFailure, RegionReport};
use edgeprobe_core::round::*;
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
