//! `edgeprobe import gatus config.yaml` / `import uptime-kuma backup.json`: their HTTP monitors
//! (name, URL, interval, expected status, keyword, method, headers) as `[[monitor]]` tables,
//! and a list of what could not be converted (other protocols, conditions edgeprobe does not
//! express, alerting). Pure: text in, TOML and notes out.
//!
//! Formats: Gatus' `endpoints[]` (`name`, `group`, `url`, `method`, `headers`, `interval` as
//! a Go duration, `conditions` such as `[STATUS] == 200` and `[BODY] == pat(*ok*)`, `enabled`);
//! Uptime Kuma's Settings → Backup JSON (`monitorList[]` with `type`, `name`, `url`, `method`,
//! `interval` in seconds, `keyword`, `accepted_statuscodes` like `"200-299"`, `active`,
//! `tags`). Intervals below edgeprobe's minimum (30 s) are raised to it, with a note.

use serde_json::{json, Map, Value};

/// What an import produced.
pub struct Imported {
    /// The monitors, each a create body with a `slug` (from the name, made unique).
    pub monitors: Vec<Value>,
    /// One line per thing not converted (or converted with a change), naming the source entry.
    pub notes: Vec<String>,
}

const MIN_INTERVAL: u64 = 30;
const MAX_INTERVAL: u64 = 86_400;

/// A slug from a name, unique among `taken`.
fn slug_for(name: &str, taken: &[Value]) -> String {
    let mut s = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let base: String = s.trim_end_matches('-').chars().take(50).collect();
    let base = if base.is_empty() {
        "monitor".to_string()
    } else {
        base
    };
    let used = |c: &str| taken.iter().any(|m| m["slug"] == c);
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|c| !used(c))
        .unwrap_or(base)
}

fn interval(secs: u64, who: &str, notes: &mut Vec<String>) -> u64 {
    let clamped = secs.clamp(MIN_INTERVAL, MAX_INTERVAL);
    if clamped != secs {
        notes.push(format!(
            "{who}: interval {secs}s is outside 30s..1d; set to {clamped}s"
        ));
    }
    clamped
}

/// A Go duration such as `30s`, `5m`, `1h30m` in seconds.
fn go_duration(s: &str) -> Option<u64> {
    let (mut total, mut num) = (0f64, String::new());
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    num.is_empty().then_some(total.round() as u64)
}

/// Gatus' `config.yaml`.
pub fn gatus(text: &str) -> Result<Imported, String> {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| format!("not Gatus YAML: {e}"))?;
    let mut out = Imported {
        monitors: Vec::new(),
        notes: Vec::new(),
    };
    let endpoints = doc["endpoints"].as_array().cloned().unwrap_or_default();
    if endpoints.is_empty() {
        return Err("no endpoints[] in this file".into());
    }
    for (k, _) in doc.as_object().into_iter().flatten() {
        if k != "endpoints" {
            out.notes.push(format!(
                "top-level `{k}`: not converted (edgeprobe configures this elsewhere)"
            ));
        }
    }
    for e in endpoints {
        let name = e["name"].as_str().unwrap_or("unnamed").to_string();
        let who = format!("endpoint {name:?}");
        let url = e["url"].as_str().unwrap_or_default();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            out.notes.push(format!(
                "{who}: {url:?} is not an HTTP(S) check (tcp/icmp/dns/ssh...): skipped"
            ));
            continue;
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("url".into(), json!(url));
        if let Some(method) = e["method"].as_str() {
            if method == "GET" || method == "HEAD" {
                m.insert("method".into(), json!(method));
            } else {
                out.notes.push(format!(
                    "{who}: method {method} not supported (GET/HEAD only): skipped"
                ));
                continue;
            }
        }
        let secs = match e["interval"].as_str() {
            None => 60,
            Some(d) => go_duration(d).unwrap_or_else(|| {
                out.notes
                    .push(format!("{who}: interval {d:?} not understood; using 60s"));
                60
            }),
        };
        m.insert(
            "interval_seconds".into(),
            json!(interval(secs, &who, &mut out.notes)),
        );
        if let Some(h) = e["headers"].as_object() {
            m.insert("headers".into(), Value::Object(h.clone()));
        }
        if let Some(g) = e["group"].as_str() {
            m.insert("tags".into(), json!([g]));
        }
        if e["enabled"] == false {
            m.insert("paused".into(), json!(true));
        }
        let mut expect = Map::new();
        for c in e["conditions"].as_array().into_iter().flatten() {
            let c = c.as_str().unwrap_or_default().trim();
            let status = c
                .strip_prefix("[STATUS] == ")
                .and_then(|n| n.trim().parse::<u16>().ok());
            let keyword = c
                .strip_prefix("[BODY] == pat(*")
                .and_then(|r| r.strip_suffix("*)"))
                .filter(|k| !k.contains('*'));
            if let Some(code) = status {
                expect.insert("statuses".into(), json!([code]));
            } else if let Some(k) = keyword {
                expect.insert("keyword".into(), json!(k));
            } else {
                out.notes
                    .push(format!("{who}: condition {c:?} not converted"));
            }
        }
        if !expect.is_empty() {
            m.insert("expect".into(), Value::Object(expect));
        }
        for key in [
            "alerts",
            "body",
            "graphql",
            "dns",
            "client",
            "ui",
            "maintenance-windows",
        ] {
            if !e[key].is_null() {
                out.notes.push(format!("{who}: `{key}` not converted"));
            }
        }
        let slug = slug_for(&name, &out.monitors);
        m.insert("slug".into(), json!(slug));
        out.monitors.push(Value::Object(m));
    }
    Ok(out)
}

/// `"200-299"` or `"200"` as edgeprobe writes statuses.
fn kuma_status(s: &str) -> Option<Value> {
    match s.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (
                lo.trim().parse::<u16>().ok()?,
                hi.trim().parse::<u16>().ok()?,
            );
            Some(if lo == hi {
                json!(lo)
            } else {
                json!(format!("{lo}-{hi}"))
            })
        }
        None => s.trim().parse::<u16>().ok().map(|c| json!(c)),
    }
}

/// Uptime Kuma's backup JSON.
pub fn uptime_kuma(text: &str) -> Result<Imported, String> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| format!("not an Uptime Kuma backup: {e}"))?;
    let list = doc["monitorList"]
        .as_array()
        .ok_or("no monitorList[] in this file")?;
    let mut out = Imported {
        monitors: Vec::new(),
        notes: Vec::new(),
    };
    if doc["notificationList"]
        .as_array()
        .is_some_and(|n| !n.is_empty())
    {
        out.notes.push(
            "notificationList: notifications are not converted; declare [[channel]] tables".into(),
        );
    }
    for k in list {
        let name = k["name"].as_str().unwrap_or("unnamed").to_string();
        let who = format!("monitor {name:?}");
        let kind = k["type"].as_str().unwrap_or("http");
        if kind != "http" && kind != "keyword" {
            out.notes.push(format!(
                "{who}: type {kind:?} is not an HTTP check: skipped"
            ));
            continue;
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(name));
        m.insert("url".into(), k["url"].clone());
        match k["method"].as_str().map(str::to_ascii_uppercase).as_deref() {
            None | Some("GET") => {}
            Some("HEAD") => {
                m.insert("method".into(), json!("HEAD"));
            }
            Some(other) => {
                out.notes.push(format!(
                    "{who}: method {other} not supported (GET/HEAD only): skipped"
                ));
                continue;
            }
        }
        let secs = k["interval"].as_u64().unwrap_or(60);
        m.insert(
            "interval_seconds".into(),
            json!(interval(secs, &who, &mut out.notes)),
        );
        if k["active"] == false {
            m.insert("paused".into(), json!(true));
        }
        let mut expect = Map::new();
        let statuses: Vec<Value> = k["accepted_statuscodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let got = s.as_str().and_then(kuma_status);
                if got.is_none() {
                    out.notes
                        .push(format!("{who}: accepted status {s} not converted"));
                }
                got
            })
            .collect();
        if !statuses.is_empty() {
            expect.insert("statuses".into(), Value::Array(statuses));
        }
        if kind == "keyword" {
            match k["keyword"].as_str() {
                Some(word) if k["invertKeyword"] != true => {
                    expect.insert("keyword".into(), json!(word));
                }
                Some(_) => out.notes.push(format!(
                    "{who}: an inverted keyword (must NOT appear) is not converted"
                )),
                None => {}
            }
        }
        if !expect.is_empty() {
            m.insert("expect".into(), Value::Object(expect));
        }
        let tags: Vec<Value> = k["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().or(t.as_str()).map(|s| json!(s)))
            .collect();
        if !tags.is_empty() {
            m.insert("tags".into(), Value::Array(tags));
        }
        if k["upsideDown"] == true {
            out.notes
                .push(format!("{who}: upside-down mode not converted"));
        }
        if k["ignoreTls"] == true {
            out.notes.push(format!(
                "{who}: ignoreTls not converted (edgeprobe always verifies certificates)"
            ));
        }
        let slug = slug_for(&name, &out.monitors);
        m.insert("slug".into(), json!(slug));
        out.monitors.push(Value::Object(m));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_slugs() {
        assert_eq!(go_duration("5m"), Some(300));
        assert_eq!(go_duration("1h30m"), Some(5400));
        assert_eq!(go_duration("30s"), Some(30));
        assert_eq!(go_duration("soon"), None);
        let taken = vec![json!({"slug": "shop"})];
        assert_eq!(slug_for("Shop", &taken), "shop-2");
        assert_eq!(slug_for("  Front-end (EU) ", &[]), "front-end-eu");
    }

    #[test]
    fn kuma_statuses() {
        assert_eq!(kuma_status("200-299"), Some(json!("200-299")));
        assert_eq!(kuma_status("301"), Some(json!(301)));
        assert_eq!(kuma_status("nope"), None);
    }
}
