//! Issue 10 (security): the target policy is re-checked when probing, not only when saving.
//! The region object calls `target::refused_report` (with the deployment's setting) before
//! connecting; these tests drive that seam and what the core makes of its report: the round is
//! recorded, inconclusive, says why, and sends nothing.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::builders as common;

use common::{links, monitor, T0};
use edgeprobe_core::alerting::{step, AlertState, Effect, RoundInput, RoundKind};
use edgeprobe_core::diagnose::{diagnose, RoundInput as DiagnoseInput};
use edgeprobe_core::diagnosis::Verdict;
use edgeprobe_core::monitor::{Monitor, OriginTarget, Scheme};
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::round::{observation_rows, path_column};
use edgeprobe_core::target::refused_report;

/// A monitor saved while private targets were allowed (local development).
fn saved_under_loose_policy() -> Monitor {
    Monitor {
        url: "https://shop.example.com/".into(),
        origin: Some(OriginTarget {
            host: "10.0.0.5".into(),
            port: 8080,
            scheme: Scheme::Http,
            tls: Default::default(),
        }),
        ..monitor()
    }
}

fn reports(m: &Monitor, allow_private: bool) -> Vec<Option<RegionReport>> {
    m.regions
        .iter()
        .map(|r| refused_report(m, r, allow_private))
        .collect()
}

#[test]
fn a_monitor_saved_under_a_looser_policy_is_not_probed() {
    let m = saved_under_loose_policy();
    assert!(
        reports(&m, true).iter().all(Option::is_none),
        "allowed while private targets are allowed"
    );
    let refused: Vec<RegionReport> = reports(&m, false)
        .into_iter()
        .map(|r| r.expect("refused"))
        .collect();
    assert_eq!(refused.len(), m.regions.len());
    for (report, region) in refused.iter().zip(&m.regions) {
        match report {
            RegionReport::Refused { region: r, reason } => {
                assert_eq!(r, region);
                assert!(
                    reason.contains("origin host") && reason.contains("private"),
                    "{reason}"
                );
                assert!(
                    !reason.contains("10.0.0.5"),
                    "the address is not echoed: {reason}"
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    // Diagnosed: inconclusive, and it says why rather than "no region answered".
    let d = diagnose(&DiagnoseInput {
        reports: &refused,
        expect: &m.expect,
        baselines: &[],
        now: T0,
    });
    assert_eq!(d.verdict, Verdict::Inconclusive);
    assert!(
        d.summary().contains("refused by the target policy"),
        "{}",
        d.summary()
    );
    assert!(
        d.evidence.iter().all(|e| e.step == "policy"),
        "{:?}",
        d.evidence
    );
    assert_eq!(d.evidence.len(), m.regions.len());

    // Recorded: one row per region, classified as a refusal (not a probe, not unanswered).
    let rows = observation_rows(&m, &refused);
    assert_eq!(rows.len(), m.regions.len());
    for row in &rows {
        assert_eq!(path_column(row.path), "none");
        assert!(
            row.data["refused_by_policy"]
                .as_str()
                .is_some_and(|r| r.contains("private")),
            "{:?}",
            row.data
        );
    }

    // Alerting: nothing is sent and no incident opens, round after round.
    let links = links();
    let mut state = AlertState::default();
    for i in 0..5 {
        let round_id = format!("rnd_{i}");
        let input = RoundInput {
            diagnosis: &d,
            reports: &refused,
            kind: RoundKind::Scheduled,
            round_id: &round_id,
            now: T0 + i * 60_000,
            links: &links,
        };
        let (next, effects) = step(state, &input, &m, || "inc_1".to_string());
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Send(_) | Effect::OpenIncident(_))),
            "round {i}: {effects:?}"
        );
        state = next;
    }
}

#[test]
fn the_url_is_rechecked_too_and_public_monitors_are_probed() {
    let public = Monitor {
        origin: None,
        ..saved_under_loose_policy()
    };
    assert!(reports(&public, false).iter().all(Option::is_none));
    let local_url = Monitor {
        url: "http://127.0.0.1:8080/health".into(),
        origin: None,
        ..monitor()
    };
    let r = refused_report(&local_url, "weur", false).expect("refused");
    assert!(
        matches!(&r, RegionReport::Refused { reason, .. } if reason.contains("url") && reason.contains("loopback")),
        "{r:?}"
    );
}
