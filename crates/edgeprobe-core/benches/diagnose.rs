//! Diagnosing a recorded 9-region round with both paths, beside an in-run baseline (cloning
//! the round and serializing it to JSON) so the cost reads as a ratio that does not depend
//! on the machine: `cargo bench -p edgeprobe-core --bench diagnose`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use edgeprobe_core::diagnose::{diagnose, LatencyBaseline, RoundInput};
use edgeprobe_core::monitor::Expectations;
use edgeprobe_core::observation::RegionReport;

#[derive(serde::Deserialize)]
struct RoundFile {
    reports: Vec<RegionReport>,
    expect: Expectations,
    baselines: Vec<LatencyBaseline>,
    now: i64,
}

fn load() -> RoundFile {
    let path = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/rounds/cf_522_origin_blocks_cdn_9_regions.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bench(c: &mut Criterion) {
    let round = load();
    assert_eq!(round.reports.len(), 9);
    let mut g = c.benchmark_group("round_9_regions");
    g.bench_function("baseline_clone_and_serialize", |b| {
        b.iter(|| {
            let copy = black_box(&round.reports).clone();
            serde_json::to_string(&copy).map(|s| s.len()).unwrap_or(0)
        })
    });
    g.bench_function("diagnose", |b| {
        b.iter(|| {
            diagnose(black_box(&RoundInput {
                reports: &round.reports,
                expect: &round.expect,
                baselines: &round.baselines,
                now: round.now,
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
