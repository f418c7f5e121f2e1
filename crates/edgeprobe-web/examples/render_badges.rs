//! Writes the README's badge examples (docs/badges/*.svg) from the same code that serves them:
//! `cargo run -p edgeprobe-web --example render_badges`.

use edgeprobe_core::status::Health;
use edgeprobe_web::badge::{
    badge_for, invalid_badge, parse_badge_query, render_svg, BadgeInput, BadgeSpec,
};

fn main() -> Result<(), String> {
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/badges");
    std::fs::create_dir_all(out).map_err(|e| format!("{out}: {e}"))?;
    let input = BadgeInput {
        health: Health::Up,
        regions: vec![("weur".into(), Health::Up), ("apac".into(), Health::Down)],
        uptime_24h: Some(99.98),
        uptime_7d: Some(99.95),
        uptime_30d: Some(99.912),
        latency_p50_24h: Some(142),
        latency_p50_7d: Some(151),
        latency_p50_30d: Some(149),
        latency_p95_24h: Some(388),
        latency_p95_7d: Some(412),
        latency_p95_30d: Some(1204),
        ..BadgeInput::never_probed("Shop", false)
    };
    let examples = [
        ("status", ""),
        ("status-region", "region=apac"),
        ("uptime-30d", "metric=uptime&window=30d"),
        ("p50-latency", "metric=latency"),
        ("p95-latency-7d", "metric=latency&stat=p95&window=7d"),
        ("label", "metric=uptime&window=7d&label=API%20uptime"),
        ("flat-square", "metric=uptime&style=flat-square"),
    ];
    let write = |name: &str, spec: &BadgeSpec| -> Result<(), String> {
        let path = format!("{out}/{name}.svg");
        std::fs::write(&path, render_svg(spec)).map_err(|e| format!("{path}: {e}"))
    };
    for (name, query) in examples {
        write(name, &badge_for(&parse_badge_query(query)?, &input))?;
    }
    write("invalid", &invalid_badge())?;
    Ok(())
}
