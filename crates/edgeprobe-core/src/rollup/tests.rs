//! Rollup tests: table-driven cases for grouping, merging and windows, a recorded round as a
//! fixture, and property tests for the exact hourly-to-daily merge and percentile error.

use proptest::prelude::*;

use super::histogram::{MAX_RELATIVE_ERROR, OVERFLOW_MS};
use super::retention::{raw_prune_before, MAX_HOURS_PER_CALL};
use super::*;
use crate::observation::RegionReport;
use crate::time::MINUTE;

const T0: UnixMillis = 1_795_305_600_000; // 2026-11-22T00:00:00Z, a day boundary

fn sample(
    region: &str,
    path: PathKind,
    at: UnixMillis,
    ok: bool,
    latency_ms: Option<u32>,
) -> Sample {
    Sample {
        monitor_id: "mon_a".into(),
        region: region.into(),
        path,
        at,
        ok,
        latency_ms,
    }
}

fn load(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/rollup/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

#[test]
fn recorded_round_gives_one_sample_per_probed_path() {
    let reports: Vec<RegionReport> =
        serde_json::from_str(&load("round_mixed.json")).expect("fixture parses");
    let got = samples_from_round("mon_a", &reports, &Expectations::default(), T0);
    let want: Vec<Sample> =
        serde_json::from_str(&load("round_mixed.samples.json")).expect("expected samples parse");
    assert_eq!(
        got,
        want,
        "\n got: {}\nwant: {}",
        serde_json::to_string_pretty(&got).unwrap_or_default(),
        serde_json::to_string_pretty(&want).unwrap_or_default()
    );
}

#[test]
fn groups_by_monitor_region_path_and_bucket() {
    let samples = vec![
        sample("weur", PathKind::Edge, T0 + 10, true, Some(100)),
        sample("weur", PathKind::Edge, T0 + HOUR - 1, false, Some(30_000)),
        sample("weur", PathKind::Edge, T0 + HOUR, true, Some(100)),
        sample("weur", PathKind::Origin, T0 + 10, true, Some(50)),
        sample("enam", PathKind::Edge, T0 + 10, true, None),
    ];
    let hours = rollup(&samples, Granularity::Hour);
    let got: Vec<(&str, PathKind, UnixMillis, u32, u32, u32)> = hours
        .iter()
        .map(|r| {
            (
                r.region.as_str(),
                r.path,
                r.bucket_start,
                r.checks,
                r.failures,
                r.latency.count(),
            )
        })
        .collect();
    // The failed check's 30 s latency is not in the histogram; the untimed success counts as a check only.
    let want = vec![
        ("enam", PathKind::Edge, T0, 1, 0, 0),
        ("weur", PathKind::Edge, T0, 2, 1, 1),
        ("weur", PathKind::Edge, T0 + HOUR, 1, 0, 1),
        ("weur", PathKind::Origin, T0, 1, 0, 1),
    ];
    assert_eq!(got, want);
    let days = rollup(&samples, Granularity::Day);
    assert_eq!(days.len(), 3);
    assert!(days
        .iter()
        .all(|d| d.bucket_start == T0 && d.granularity == Granularity::Day));
}

#[test]
fn derived_uptime_and_percentiles() {
    let cases: [(u32, u32, Option<f64>); 4] = [
        (0, 0, None),
        (4, 0, Some(100.0)),
        (4, 1, Some(75.0)),
        (3, 3, Some(0.0)),
    ];
    for (checks, failures, want) in cases {
        let r = Rollup {
            checks,
            failures,
            ..rollup(
                &[sample("x", PathKind::Edge, T0, true, None)],
                Granularity::Hour,
            )[0]
            .clone()
        };
        assert_eq!(r.uptime(), want, "{checks} checks, {failures} failures");
    }
    let samples: Vec<Sample> = (1..=20)
        .map(|i| sample("x", PathKind::Edge, T0, true, Some(i * 100)))
        .collect();
    let r = &rollup(&samples, Granularity::Hour)[0];
    // Exact nearest-rank p50 is 1000 ms and p95 is 1900 ms; the histogram reports its buckets.
    assert_eq!((r.p50(), r.p95()), (Some(900), Some(2069)));
}

#[test]
fn merge_refuses_different_keys() {
    let a = rollup(
        &[sample("weur", PathKind::Edge, T0, true, Some(10))],
        Granularity::Hour,
    )
    .remove(0);
    let mut b = a.clone();
    assert_eq!(
        merge(&a, &b).map(|m| (m.checks, m.latency.count())),
        Ok((2, 2))
    );
    for change in [
        |r: &mut Rollup| r.region = "enam".into(),
        |r: &mut Rollup| r.path = PathKind::Origin,
        |r: &mut Rollup| r.bucket_start += HOUR,
        |r: &mut Rollup| r.granularity = Granularity::Day,
        |r: &mut Rollup| r.monitor_id = "mon_b".into(),
    ] {
        b = a.clone();
        change(&mut b);
        assert_eq!(merge(&a, &b), Err(MergeError::KeyMismatch));
    }
}

#[test]
fn a_stored_partial_day_is_extended_by_later_hours() {
    let morning = sample("weur", PathKind::Edge, T0 + 3 * HOUR, true, Some(80));
    let evening = sample("weur", PathKind::Edge, T0 + 20 * HOUR, false, None);
    let stored_day =
        roll_hours_into_days(&rollup(std::slice::from_ref(&morning), Granularity::Hour));
    let mut input = stored_day;
    input.extend(rollup(std::slice::from_ref(&evening), Granularity::Hour));
    assert_eq!(
        roll_hours_into_days(&input),
        rollup(&[morning, evening], Granularity::Day)
    );
}

#[test]
fn rollups_serialise_compactly_and_round_trip() {
    let r = rollup(
        &[sample("weur", PathKind::Edge, T0, true, Some(100))],
        Granularity::Hour,
    )
    .remove(0);
    let text = serde_json::to_string(&r).unwrap_or_default();
    assert_eq!(
        text,
        r#"{"monitor_id":"mon_a","region":"weur","path":"edge","granularity":"hour","bucket_start":1795305600000,"checks":1,"failures":0,"latency":[[17,1]]}"#
    );
    assert_eq!(serde_json::from_str::<Rollup>(&text).ok(), Some(r));
}

fn hourly_fixture() -> Vec<Rollup> {
    let mut samples = Vec::new();
    for h in 0..4 {
        for i in 0..10 {
            let ok = !(h == 2 && i < 5);
            samples.push(sample(
                "weur",
                PathKind::Edge,
                T0 + h * HOUR + i * MINUTE,
                ok,
                Some(100 * (h as u32 + 1)),
            ));
        }
    }
    rollup(&samples, Granularity::Hour)
}

#[test]
fn windows_select_buckets_by_start() {
    let hours = hourly_fixture();
    let cases: [(UnixMillis, UnixMillis, Option<f64>, Option<u32>); 5] = [
        (T0, T0 + 4 * HOUR, Some(87.5), Some(224)),
        (T0, T0 + HOUR, Some(100.0), Some(98)),
        (T0 + 2 * HOUR, T0 + 3 * HOUR, Some(50.0), Some(296)),
        (T0 + 1, T0 + HOUR, None, None), // the bucket starting at T0 is not split
        (T0 + 4 * HOUR, T0 + 9 * HOUR, None, None),
    ];
    for (from, to, want_uptime, want_p50) in cases {
        assert_eq!(
            uptime(&hours, from, to),
            want_uptime,
            "uptime [{from}, {to})"
        );
        assert_eq!(
            latency_p50(&hours, from, to),
            want_p50,
            "p50 [{from}, {to})"
        );
    }
}

#[test]
fn latency_series_has_one_point_per_step() {
    let hours = hourly_fixture();
    let got = latency_series(&hours, T0 - HOUR, T0 + 4 * HOUR, HOUR);
    let want = vec![
        (T0 - HOUR, None),
        (T0, Some(98)),
        (T0 + HOUR, Some(224)),
        (T0 + 2 * HOUR, Some(296)),
        (T0 + 3 * HOUR, Some(391)),
    ];
    assert_eq!(got, want);
    assert_eq!(
        latency_series(&hours, T0, T0 + 4 * HOUR, 2 * HOUR),
        vec![(T0, Some(98)), (T0 + 2 * HOUR, Some(391))]
    );
    assert!(latency_series(&hours, T0, T0 + HOUR, 0).is_empty());
    assert!(latency_series(&hours, T0, T0, HOUR).is_empty());
    assert_eq!(
        latency_series(&hours, i64::MIN, i64::MAX, 1).len(),
        window::MAX_SERIES_POINTS
    );
}

#[test]
fn baselines_per_region_and_path() {
    let samples = vec![
        sample("weur", PathKind::Edge, T0, true, Some(100)),
        sample("weur", PathKind::Edge, T0 + DAY, true, Some(120)),
        sample("weur", PathKind::Edge, T0 + DAY, true, Some(120)),
        sample("weur", PathKind::Origin, T0, false, None),
        sample("apac", PathKind::Origin, T0, true, Some(300)),
    ];
    let got = baselines(&rollup(&samples, Granularity::Hour));
    let want = vec![
        ("apac".to_string(), PathKind::Origin, 296, 1),
        ("weur".to_string(), PathKind::Edge, 129, 3),
    ];
    assert_eq!(got, want);
}

#[test]
fn retention_cutoffs_align_to_buckets() {
    let now = T0 + 5 * HOUR + 17 * MINUTE;
    let c = cutoffs(&Retention::default(), now);
    assert_eq!(c.raw_before, now - 7 * DAY);
    assert_eq!(c.hourly_before, T0 + 5 * HOUR - 90 * DAY);
    assert_eq!(c.daily_before, T0 - 400 * DAY);
    let huge = Retention {
        raw_days: u32::MAX,
        hourly_days: u32::MAX,
        daily_days: u32::MAX,
    };
    assert!(cutoffs(&huge, now).raw_before < 0);
}

#[test]
fn raw_rows_wait_for_the_roller() {
    let c = cutoffs(&Retention::default(), T0 + 10 * DAY);
    let cases = [
        (None, None),
        (Some(T0 + 9 * DAY), Some(T0 + 3 * DAY)), // roller is current: retention decides
        (Some(T0), Some(T0 + HOUR)),              // roller is 10 days behind: keep unrolled rows
    ];
    for (last, want) in cases {
        assert_eq!(raw_prune_before(&c, last), want, "last rolled {last:?}");
    }
}

#[test]
fn hours_to_roll_catches_up_in_bounded_steps() {
    let now = T0 + 10 * HOUR + 4 * MINUTE; // within the grace period after 10:00
    assert_eq!(hours_to_roll(Some(T0 + 7 * HOUR), now), vec![T0 + 8 * HOUR]);
    assert_eq!(
        hours_to_roll(Some(T0 + 7 * HOUR), now + MINUTE),
        vec![T0 + 8 * HOUR, T0 + 9 * HOUR]
    );
    assert_eq!(
        hours_to_roll(Some(T0 + 9 * HOUR), now + MINUTE),
        Vec::<UnixMillis>::new()
    );
    assert_eq!(
        hours_to_roll(Some(T0 + 20 * HOUR), now),
        Vec::<UnixMillis>::new()
    );
    // A roller that was down for five days catches up 48 hours per call, oldest first.
    let mut last = T0 - 5 * DAY;
    let mut calls = 0;
    loop {
        let hours = hours_to_roll(Some(last), now);
        if hours.is_empty() {
            break;
        }
        assert!(hours.len() <= MAX_HOURS_PER_CALL);
        assert_eq!(hours[0], last + HOUR);
        last = hours[hours.len() - 1];
        calls += 1;
    }
    assert_eq!((calls, last), (3, T0 + 8 * HOUR));
    let first_run = hours_to_roll(None, now);
    assert_eq!(first_run.len(), MAX_HOURS_PER_CALL);
    assert_eq!(first_run.last(), Some(&(T0 + 8 * HOUR)));
    assert!(hours_to_roll(Some(i64::MAX), i64::MAX).is_empty());
    assert_eq!(hours_to_roll(None, i64::MIN), Vec::<UnixMillis>::new());
}

fn arb_samples() -> impl Strategy<Value = Vec<Sample>> {
    let one = (
        0usize..3,
        any::<bool>(),
        0i64..3 * DAY,
        any::<bool>(),
        proptest::option::of(0u32..120_000),
    )
        .prop_map(|(region, origin, offset, ok, latency_ms)| Sample {
            monitor_id: "mon_p".into(),
            region: ["weur", "enam", "apac"][region].into(),
            path: if origin {
                PathKind::Origin
            } else {
                PathKind::Edge
            },
            at: T0 - DAY + offset,
            ok,
            latency_ms,
        });
    proptest::collection::vec(one, 0..200)
}

fn nearest_rank(sorted: &[u32], q: f64) -> u32 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

proptest! {
    #[test]
    fn hours_merged_into_days_equal_days_rolled_directly(samples in arb_samples()) {
        let via_hours = roll_hours_into_days(&rollup(&samples, Granularity::Hour));
        prop_assert_eq!(via_hours, rollup(&samples, Granularity::Day));
    }

    #[test]
    fn percentiles_stay_within_the_documented_error(latencies in proptest::collection::vec(0u32..OVERFLOW_MS, 1..300), q in 0.0f64..=1.0) {
        let mut h = LatencyHistogram::default();
        for &l in &latencies {
            h.record(l);
        }
        let mut sorted = latencies.clone();
        sorted.sort_unstable();
        let exact = nearest_rank(&sorted, q);
        let reported = h.quantile(q).unwrap_or(u32::MAX);
        let err = (f64::from(reported) - f64::from(exact)).abs() / f64::from(exact.max(1));
        prop_assert!(err <= MAX_RELATIVE_ERROR, "q={} exact={} reported={} err={}", q, exact, reported, err);
    }

    #[test]
    fn merging_a_rollup_with_itself_doubles_its_counts(samples in arb_samples()) {
        for r in rollup(&samples, Granularity::Hour) {
            let m = merge(&r, &r);
            prop_assert_eq!(m.as_ref().map(|m| (m.checks, m.failures, m.latency.count())), Ok((2 * r.checks, 2 * r.failures, 2 * r.latency.count())));
        }
    }
}
