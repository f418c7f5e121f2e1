//! Terminal output: tables, the round as a reader wants it (verdict, summary, evidence per
//! region and path, checklist), colour only when stdout is a terminal, and a spinner on
//! stderr (only when stderr is a terminal) while a request waits.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// Colours for stdout (none when it is not a terminal or NO_COLOR is set).
pub struct Paint {
    on: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint {
            on: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Green for fine, yellow for a warning, red for a failure, by severity or health.
    pub fn level(&self, level: &str, s: &str) -> String {
        match level {
            "ok" | "info" | "up" | "healthy" => self.wrap("32", s),
            "warning" | "degraded" => self.wrap("33", s),
            "critical" | "down" => self.wrap("31", s),
            _ => self.wrap("2", s),
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

/// A spinner with what it waits for; stops (and clears its line) when dropped.
pub struct Spinner {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Spinner {
    pub fn start(what: &str) -> Spinner {
        let stop = Arc::new(AtomicBool::new(false));
        let handle = std::io::stderr().is_terminal().then(|| {
            let (stop, what) = (stop.clone(), what.to_string());
            thread::spawn(move || {
                let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    eprint!("\r{} {what}", frames[i % frames.len()]);
                    let _ = std::io::stderr().flush();
                    i += 1;
                    thread::sleep(Duration::from_millis(100));
                }
                eprint!("\r\x1b[2K");
            })
        });
        Spinner { stop, handle }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Rows as aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s += c;
            } else {
                s += &format!("{c:<w$}  ", w = widths[i]);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out += &line(r.clone());
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A round (`Round` of the API) for a terminal.
pub fn round(r: &Value, paint: &Paint) -> String {
    let d = &r["diagnosis"];
    let severity = d["severity"].as_str().unwrap_or("unknown");
    let mut out = format!(
        "{} {} ({} confidence)\n{}\n",
        paint.bold("verdict:"),
        paint.level(severity, &format!("{} [{severity}]", text(&d["verdict"]))),
        text(&d["confidence"]),
        text(&d["summary"]),
    );
    out += "\nper region and path:\n";
    let rows: Vec<Vec<String>> = r["observations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let ok = match o["ok"].as_bool() {
                Some(true) => paint.level("ok", "ok"),
                Some(false) => paint.level("critical", "FAIL"),
                None => paint.level("unknown", "no answer"),
            };
            let latency = o["latency_ms"]
                .as_i64()
                .map_or("-".into(), |l| format!("{l} ms"));
            let status = o["data"]["outcome"]["status"]
                .as_u64()
                .or_else(|| o["data"]["http"]["response"]["status"].as_u64())
                .map_or("-".into(), |s| s.to_string());
            vec![
                text(&o["region"]),
                text(&o["path"]),
                ok,
                status,
                latency,
                text(&o["colo"]),
            ]
        })
        .collect();
    out += &table(
        &["REGION", "PATH", "RESULT", "STATUS", "LATENCY", "COLO"],
        &rows,
    );
    let evidence: Vec<String> = d["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "  {}/{} {}: {}",
                text(&e["region"]),
                text(&e["path"]),
                text(&e["step"]),
                text(&e["finding"])
            )
        })
        .collect();
    if !evidence.is_empty() {
        out += "\nevidence:\n";
        out += &(evidence.join("\n") + "\n");
    }
    let checklist: Vec<String> = d["checklist"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| format!("  {}. {}", i + 1, text(c)))
        .collect();
    if !checklist.is_empty() {
        out += "\nchecklist:\n";
        out += &(checklist.join("\n") + "\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&["A", "LONGER"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "A    LONGER\nxyz  1\n");
    }
}
