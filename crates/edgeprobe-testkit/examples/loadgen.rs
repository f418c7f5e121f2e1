//! A bounded load generator for a running worker (`make dev` or `make demo`), reporting each
//! endpoint's throughput and latency as a ratio against `/healthz` measured in the same run
//! (these machines are noisy: absolute numbers mean little, ratios travel).
//!
//! cargo run --release -p edgeprobe-testkit --example loadgen -- http://127.0.0.1:8787 [seconds-per-endpoint] [connections] [path ...]
//!
//! Loopback only by intent: it refuses any base URL whose host is not 127.0.0.1/localhost/[::1].
//! Every loop is bounded by the duration; it stops by itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Stats {
    ok: u64,
    errors: u64,
    latencies_us: Vec<u64>,
}

fn one_request(agent: &ureq::Agent, url: &str) -> Result<u16, String> {
    match agent.get(url).call() {
        Ok(r) => {
            let code = r.status();
            // Read the body so the connection can be reused.
            r.into_string().map_err(|e| e.to_string())?;
            Ok(code)
        }
        Err(ureq::Error::Status(code, r)) => {
            let _ = r.into_string();
            Ok(code)
        }
        Err(e) => Err(e.to_string()),
    }
}

fn run(base: &str, path: &str, secs: u64, conns: usize) -> Stats {
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..conns)
        .map(|_| {
            let (stop, url) = (stop.clone(), format!("{base}{path}"));
            std::thread::spawn(move || {
                // One keep-alive connection per worker thread, like a browser tab.
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .max_idle_connections(1)
                    .build();
                let mut st = Stats {
                    ok: 0,
                    errors: 0,
                    latencies_us: Vec::new(),
                };
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match one_request(&agent, &url) {
                        Ok(code) if code < 500 => st.ok += 1,
                        _ => st.errors += 1,
                    }
                    st.latencies_us.push(t.elapsed().as_micros() as u64);
                }
                st
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut all = Stats {
        ok: 0,
        errors: 0,
        latencies_us: Vec::new(),
    };
    for w in workers {
        if let Ok(s) = w.join() {
            all.ok += s.ok;
            all.errors += s.errors;
            all.latencies_us.extend(s.latencies_us);
        }
    }
    all.latencies_us.sort_unstable();
    all
}

fn pct(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base = args
        .first()
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let secs: u64 = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .clamp(1, 60);
    let conns: usize = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
        .clamp(1, 32);
    let mut paths: Vec<String> = args.iter().skip(3).cloned().collect();
    if paths.is_empty() {
        paths = vec!["/status".into(), "/api/v1/openapi.json".into()];
    }
    let url = match url::Url::parse(&base) {
        Ok(url) => url,
        Err(e) => {
            eprintln!("loadgen: {base:?} is not a base URL such as http://127.0.0.1:8787: {e}");
            std::process::exit(2);
        }
    };
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    assert!(
        matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1"),
        "loopback targets only, got {host}"
    );
    let base = base.trim_end_matches('/').to_string();

    let baseline = run(&base, "/healthz", secs, conns);
    let base_rps = baseline.ok as f64 / secs as f64;
    let base_p50 = pct(&baseline.latencies_us, 0.5).max(1);
    println!(
        "{:<28} {:>9} {:>8} {:>10} {:>10} {:>12} {:>12}",
        "endpoint", "req/s", "errors", "p50 ms", "p95 ms", "rps ratio", "p50 ratio"
    );
    let line = |name: &str, s: &Stats| {
        let rps = s.ok as f64 / secs as f64;
        let p50 = pct(&s.latencies_us, 0.5);
        println!(
            "{:<28} {:>9.1} {:>8} {:>10.2} {:>10.2} {:>12.2} {:>12.2}",
            name,
            rps,
            s.errors,
            p50 as f64 / 1000.0,
            pct(&s.latencies_us, 0.95) as f64 / 1000.0,
            rps / base_rps.max(0.001),
            p50 as f64 / base_p50 as f64
        );
    };
    line("/healthz (baseline)", &baseline);
    for p in &paths {
        line(p, &run(&base, p, secs, conns));
    }
}
