//! The Worker's own CPU, apart from the local simulators: a V8 CPU profile of the user Worker's
//! isolate (`core:user:edgeprobe`: its fetch handler, its Durable Objects, which run in the
//! script's isolate, and the wasm inside) taken through workerd's own inspector, driven by
//! scripts/cdp-profile.mjs; and where workerd listens (inspector, entry socket), found from
//! /proc without `ss`.
//!
//! How the profile is read (checked by [`calibrate`], reported in every run):
//! - workerd's sampler records a sample only while the isolate is locked by its thread; time
//!   the isolate is not entered (waiting on I/O, or the thread running the D1/KV simulators'
//!   isolates or SQLite) leaves no sample. So busy time is *samples × the sampling period*,
//!   not the DevTools "time to the next sample" (which would stretch over those gaps).
//! - The period is the median gap between consecutive samples shorter than twice the nominal
//!   interval (the sampler's real period runs ~5-15 % over the nominal one).
//! - `(idle)` samples (the isolate locked with no JavaScript or wasm running: workerd's own
//!   bookkeeping under the lock, the inspector's messages) are not counted; `(program)` (V8
//!   itself: compiling, runtime calls) and `(garbage collector)` are: they are the Worker's
//!   CPU as the platform bills it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// TCP ports process `pid` listens on (IPv4 and IPv6), from /proc.
pub fn listening_ports(pid: u32) -> Vec<u16> {
    let mut inodes = std::collections::BTreeSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in dir.flatten() {
            if let Ok(link) = std::fs::read_link(e.path()) {
                let l = link.to_string_lossy();
                if let Some(i) = l.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                    inodes.insert(i.to_string());
                }
            }
        }
    }
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address, st (0A = LISTEN), inode.
            if f.len() > 9 && f[3] == "0A" && inodes.contains(f[9]) {
                if let Some(p) = f[1]
                    .rsplit(':')
                    .next()
                    .and_then(|h| u16::from_str_radix(h, 16).ok())
                {
                    ports.push(p);
                }
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The workerd process that runs the user Worker (miniflare starts it with `--inspector-addr`;
/// wrangler's proxy runs in another workerd), its inspector port and its entry socket (the
/// Worker served directly, without wrangler's proxy worker in front).
#[derive(Debug, Clone, Default)]
pub struct UserWorkerd {
    pub pid: u32,
    pub inspector_port: Option<u16>,
    pub entry_port: Option<u16>,
}

pub fn find_user_workerd(workerd: &[u32], agent: &ureq::Agent) -> Option<UserWorkerd> {
    let cmdline = |p: u32| std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
    let user = *workerd
        .iter()
        .find(|p| String::from_utf8_lossy(&cmdline(**p)).contains("--inspector-addr"))?;
    let mut out = UserWorkerd {
        pid: user,
        ..UserWorkerd::default()
    };
    for port in listening_ports(user) {
        let get = |path: &str| {
            agent
                .get(&format!("http://127.0.0.1:{port}{path}"))
                .timeout(Duration::from_secs(3))
                .call()
                .ok()
                .and_then(|r| r.into_string().ok())
                .unwrap_or_default()
        };
        if out.inspector_port.is_none() && get("/json").contains("\"core:user:") {
            out.inspector_port = Some(port);
        } else if out.entry_port.is_none() && get("/healthz").contains("\"service\":\"edgeprobe\"")
        {
            out.entry_port = Some(port);
        }
    }
    Some(out)
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/cdp-profile.mjs")
}

fn node() -> Command {
    let mut c = Command::new("node");
    c.arg("--experimental-websocket").arg(script());
    c
}

/// A running profile of one isolate.
pub struct Profiling {
    child: Child,
    stdin: Option<ChildStdin>,
    out: PathBuf,
    /// Unix ms when the profiler had started (the profile's clock is V8's own).
    pub started_ms: i64,
}

pub fn start(port: u16, target: &str, interval_us: u64, out: &Path) -> Result<Profiling, String> {
    let mut child = node()
        .args([
            "profile",
            &port.to_string(),
            target,
            &interval_us.to_string(),
        ])
        .arg(out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    let started_ms = line
        .strip_prefix("started ")
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| {
            let _ = child.kill();
            format!("the profiler did not start ({line:?})")
        })?;
    Ok(Profiling {
        child,
        stdin,
        out: out.to_path_buf(),
        started_ms,
    })
}

impl Profiling {
    /// Stops the profiler and returns the profile.
    pub fn stop(mut self) -> Result<Value, String> {
        if let Some(mut s) = self.stdin.take() {
            let _ = s.write_all(b"stop\n");
        }
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) if st.success() => break,
                Ok(Some(st)) => return Err(format!("cdp-profile.mjs exited with {st}")),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                _ => {
                    let _ = self.child.kill();
                    return Err("cdp-profile.mjs did not stop".into());
                }
            }
        }
        let text = std::fs::read_to_string(&self.out).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}

/// What a profile says.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub samples: u64,
    pub busy_samples: u64,
    pub idle_samples: u64,
    pub gc_samples: u64,
    pub program_samples: u64,
    /// The sampler's real period, µs.
    pub period_us: f64,
    pub busy_ms: f64,
    /// Busy ms per 5 s tick of the wall clock (the coordinator's grid), every tick of
    /// `[from_ms, to_ms)` including empty ones.
    pub per_tick_ms: Vec<f64>,
    /// (self ms, function, where) by self time, most first.
    pub top: Vec<(f64, String, String)>,
}

pub const TICK_MS: i64 = 5_000;

/// The wasm's function names (index → name), which scripts/build.sh saves to
/// target/worker-function-names.tsv before it drops the name section from the bundle; empty
/// when the file is missing or older than the bundle.
pub fn wasm_names() -> BTreeMap<u64, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let tsv = target.join("worker-function-names.tsv");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    // Written by the same build step just before the bundle's wasm: a file from another build
    // is minutes apart from it.
    match (modified(&tsv), modified(&root.join("build/index_bg.wasm"))) {
        (Some(names), Some(wasm))
            if wasm
                .duration_since(names)
                .or_else(|e| Ok::<_, ()>(e.duration()))
                .is_ok_and(|d| d < Duration::from_secs(60)) => {}
        _ => return BTreeMap::new(),
    }
    std::fs::read_to_string(tsv)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(i, n)| Some((i.parse().ok()?, demangle(n))))
        .collect()
}

/// A symbol without its hash: Rust's legacy mangling (`_ZN` len-prefixed segments `E`)
/// decoded, or a demangled name's `::h<hash>` dropped.
fn demangle(s: &str) -> String {
    let Some(mut rest) = s.strip_prefix("_ZN") else {
        // Already demangled (wasm-ld writes demangled names): drop the `::h<hash>` suffix.
        return match s.rsplit_once("::h") {
            Some((head, h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                head.to_string()
            }
            _ => s.to_string(),
        };
    };
    let mut parts = Vec::new();
    while let Some(digits) = rest.find(|c: char| !c.is_ascii_digit()).filter(|d| *d > 0) {
        let Ok(n) = rest[..digits].parse::<usize>() else {
            break;
        };
        let Some(part) = rest.get(digits..digits + n) else {
            break;
        };
        rest = &rest[digits + n..];
        let hash = part.len() == 17 && part.starts_with('h');
        if !hash {
            parts.push(
                part.replace("$LT$", "<")
                    .replace("$GT$", ">")
                    .replace("$u20$", " ")
                    .replace("$RF$", "&")
                    .replace("$C$", ",")
                    .replace("$u7b$", "{")
                    .replace("$u7d$", "}")
                    .replace("$u27$", "'")
                    .replace("$BP$", "*")
                    .replace("..", "::"),
            );
        }
    }
    if parts.is_empty() {
        s.to_string()
    } else {
        parts.join("::")
    }
}

pub fn analyse(
    profile: &Value,
    wasm: &BTreeMap<u64, String>,
    nominal_us: u64,
    started_ms: i64,
    from_ms: i64,
    to_ms: i64,
) -> Analysis {
    let mut names: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for n in profile["nodes"].as_array().into_iter().flatten() {
        let f = &n["callFrame"];
        let mut name = f["functionName"].as_str().unwrap_or("").to_string();
        if name.is_empty() {
            name = "(anonymous)".into();
        }
        if let Some(i) = name
            .strip_prefix("wasm-function[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<u64>().ok())
        {
            if let Some(known) = wasm.get(&i) {
                name = format!("{known} (wasm)");
            }
        }
        let url = f["url"].as_str().unwrap_or("");
        let place = match url.rsplit('/').next() {
            Some(u) if !u.is_empty() => {
                format!("{u}:{}", f["lineNumber"].as_i64().unwrap_or(-1) + 1)
            }
            _ => String::new(),
        };
        names.insert(n["id"].as_u64().unwrap_or(0), (name, place));
    }
    let samples: Vec<u64> = profile["samples"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let deltas: Vec<i64> = profile["timeDeltas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .collect();
    let mut short: Vec<i64> = deltas
        .iter()
        .copied()
        .filter(|d| *d > 0 && *d < 2 * nominal_us as i64)
        .collect();
    short.sort_unstable();
    let period_us = if short.len() >= 10 {
        short[short.len() / 2] as f64
    } else {
        nominal_us as f64
    };
    let start_us = profile["startTime"].as_i64().unwrap_or(0);
    let ticks = ((to_ms - from_ms).max(0) / TICK_MS + 1) as usize;
    let mut a = Analysis {
        period_us,
        per_tick_ms: vec![0.0; ticks],
        ..Analysis::default()
    };
    let mut by_fn: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut t_us = start_us;
    for (i, id) in samples.iter().enumerate() {
        t_us += deltas.get(i).copied().unwrap_or(0);
        a.samples += 1;
        let (name, place) = names.get(id).cloned().unwrap_or_default();
        match name.as_str() {
            "(idle)" => {
                a.idle_samples += 1;
                continue;
            }
            "(garbage collector)" => a.gc_samples += 1,
            "(program)" => a.program_samples += 1,
            _ => {}
        }
        a.busy_samples += 1;
        *by_fn.entry((name, place)).or_insert(0) += 1;
        let wall = started_ms + (t_us - start_us) / 1_000;
        if (from_ms..to_ms).contains(&wall) {
            let k = ((wall - from_ms) / TICK_MS) as usize;
            if let Some(slot) = a.per_tick_ms.get_mut(k) {
                *slot += period_us / 1_000.0;
            }
        }
    }
    a.busy_ms = a.busy_samples as f64 * period_us / 1_000.0;
    let mut top: Vec<(f64, String, String)> = by_fn
        .into_iter()
        .map(|((n, p), c)| (c as f64 * period_us / 1_000.0, n, p))
        .collect();
    top.sort_by(|x, y| y.0.total_cmp(&x.0));
    a.top = top;
    a
}

/// (p95, max) of the per-tick busy time.
pub fn tick_stats(a: &Analysis) -> (f64, f64) {
    let mut v = a.per_tick_ms.clone();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let p95 = v[((v.len() - 1) as f64 * 0.95).round() as usize];
    (p95, v[v.len() - 1])
}

/// The method's check: a loop of `iterations` evaluated inside the isolate, profiled, against
/// the CPU of workerd's main thread (which runs the isolates) over the same time, minus its
/// idle rate measured just before (no monitors, no profiler).
#[derive(Debug, Clone, Copy)]
pub struct Calibration {
    /// The user workerd's main thread's CPU while idle, ms per s.
    pub idle_ms_per_s: f64,
    /// The loop's CPU as the process saw it (idle rate subtracted), ms.
    pub process_ms: f64,
    /// The loop as the profile counted it, ms.
    pub busy_ms: f64,
    /// How long the evaluation took, wall ms.
    pub wall_ms: f64,
}

pub fn calibrate(
    workerd_pid: u32,
    port: u16,
    target: &str,
    interval_us: u64,
    iterations: u64,
    out: &Path,
) -> Result<Calibration, String> {
    // The main thread, which runs the isolates: the process total would add the profiler's own
    // sampling thread.
    let cpu_seconds = |pid: u32| {
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/stat")).unwrap_or_default();
        let f: Vec<f64> = stat
            .rsplit_once(')')
            .map(|(_, r)| {
                r.split_whitespace()
                    .map(|x| x.parse().unwrap_or(0.0))
                    .collect()
            })
            .unwrap_or_default();
        f.get(11)
            .zip(f.get(12))
            .map_or(0.0, |(u, s)| (u + s) / 100.0)
    };
    let idle_t = Instant::now();
    let c0 = cpu_seconds(workerd_pid);
    std::thread::sleep(Duration::from_secs(5));
    let idle_rate = (cpu_seconds(workerd_pid) - c0) / idle_t.elapsed().as_secs_f64();
    let run = || {
        node()
            .args([
                "calibrate",
                &port.to_string(),
                target,
                &interval_us.to_string(),
            ])
            .arg(out)
            .arg(iterations.to_string())
            .output()
    };
    let mut t = Instant::now();
    let mut c1 = cpu_seconds(workerd_pid);
    let mut o = run();
    // A session booted by another client attaching (wrangler's inspector proxy does once after
    // start): once more.
    if o.as_ref().is_ok_and(|o| !o.status.success()) {
        std::thread::sleep(Duration::from_secs(3));
        t = Instant::now();
        c1 = cpu_seconds(workerd_pid);
        o = run();
    }
    let o = o.map_err(|e| format!("node: {e}"))?;
    let c2 = cpu_seconds(workerd_pid);
    if !o.status.success() {
        return Err(format!(
            "cdp-profile.mjs calibrate: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    let wall_ms: f64 = String::from_utf8_lossy(&o.stdout)
        .trim()
        .strip_prefix("done ")
        .and_then(|x| x.parse().ok())
        .unwrap_or(f64::NAN);
    let process_ms = ((c2 - c1) - idle_rate * t.elapsed().as_secs_f64()) * 1_000.0;
    let text = std::fs::read_to_string(out).map_err(|e| e.to_string())?;
    let profile: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let a = analyse(&profile, &BTreeMap::new(), interval_us, 0, 0, 0);
    Ok(Calibration {
        idle_ms_per_s: idle_rate * 1_000.0,
        process_ms,
        busy_ms: a.busy_ms,
        wall_ms,
    })
}

/// Self time by where it runs: the Worker's wasm by Rust crate, wasm-bindgen's JS glue,
/// workerd's own JS and native APIs, GC; most first.
pub fn by_category(a: &Analysis) -> Vec<(f64, String)> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for (ms, name, place) in &a.top {
        let key = if let Some(rust) = name.strip_suffix(" (wasm)") {
            let krate = rust
                .trim_start_matches('<')
                .split([':', '[', '<', ' '])
                .next()
                .unwrap_or("?");
            format!("wasm: {krate}")
        } else if name.starts_with("wasm-function[") {
            "wasm: (unnamed)".to_string()
        } else if name == "wasm-to-js"
            || name.starts_with("js-to-wasm")
            || place.starts_with("index.js")
        {
            "JS glue (wasm-bindgen: index.js, wasm<->JS calls)".to_string()
        } else if name == "(garbage collector)" || name == "(program)" {
            name.clone()
        } else if place.starts_with("cloudflare-internal") || place.starts_with("node:") {
            "workerd's JS (D1 client, sockets, ...)".to_string()
        } else {
            "runtime builtins and native APIs (fetch, connect, streams, JSON, ...)".to_string()
        };
        *out.entry(key).or_insert(0.0) += ms;
    }
    let mut v: Vec<(f64, String)> = out.into_iter().map(|(k, ms)| (ms, k)).collect();
    v.sort_by(|x, y| y.0.total_cmp(&x.0));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(id: u64, name: &str, url: &str) -> Value {
        json!({"id": id, "callFrame": {"functionName": name, "url": url, "lineNumber": 0}})
    }

    /// Busy = non-idle samples × the real period (median of the short gaps), whatever the
    /// gaps between bursts; ticks are binned on the wall clock.
    #[test]
    fn busy_time_is_samples_times_period_without_idle_or_gaps() {
        let profile = json!({
            "nodes": [node(1, "(root)", ""), node(2, "(idle)", ""), node(3, "work", "index.js"),
                      node(4, "(garbage collector)", ""), node(5, "wasm-function[7]", "")],
            "startTime": 1_000_000,
            // 10 samples 1.1 ms apart, a 7 s gap, 10 more; one idle, one GC.
            "samples": [3, 3, 3, 3, 3, 3, 3, 3, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
            "timeDeltas": [1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100,
                           7_000_000, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100, 1100],
        });
        let wasm = BTreeMap::from([(7, "edgeprobe_core::tick::plan".to_string())]);
        let a = analyse(&profile, &wasm, 1_000, 10_000, 10_000, 20_000);
        assert_eq!(
            (a.samples, a.busy_samples, a.idle_samples, a.gc_samples),
            (20, 19, 1, 1)
        );
        assert!((a.period_us - 1100.0).abs() < 1e-9, "{}", a.period_us);
        assert!((a.busy_ms - 19.0 * 1.1).abs() < 1e-9, "{}", a.busy_ms);
        // First burst in tick 0 (10.0–10.011 s), the second after 7 s in tick 1.
        assert_eq!(a.per_tick_ms.len(), 3);
        assert!(
            (a.per_tick_ms[0] - 9.0 * 1.1).abs() < 1e-9,
            "{:?}",
            a.per_tick_ms
        );
        assert!(
            (a.per_tick_ms[1] - 10.0 * 1.1).abs() < 1e-9,
            "{:?}",
            a.per_tick_ms
        );
        assert_eq!(a.top[0].1, "edgeprobe_core::tick::plan (wasm)");
        assert_eq!(by_category(&a)[0].1, "wasm: edgeprobe_core");
    }

    #[test]
    fn symbols_lose_their_hash() {
        assert_eq!(
            demangle("edgeprobe_core::tick::Tick::plan::h0123456789abcdef"),
            "edgeprobe_core::tick::Tick::plan"
        );
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE"),
            "core::fmt::write"
        );
        assert_eq!(demangle("memcpy"), "memcpy");
    }
}
