//! A small blocking HTTP client for the worker's API (ureq), with the base URL and token from
//! the environment the test script sets.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

pub struct Api {
    pub base: String,
    pub token: String,
    agent: ureq::Agent,
}

/// A response: status, headers we care about, body text.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Api {
    pub fn from_env() -> Api {
        let base = std::env::var("EDGEPROBE_URL")
            .expect("EDGEPROBE_URL must point at the running worker (run `make test`)");
        let token = std::env::var("EDGEPROBE_TOKEN")
            .expect("EDGEPROBE_TOKEN must be the worker's API token");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(90))
            .redirects(0)
            .build();
        Api { base, token, agent }
    }

    /// A client for another worker than the shared one (a test that runs its own).
    pub fn with(base: String, token: String) -> Api {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(90))
            .redirects(0)
            .build();
        Api { base, token, agent }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Any request; `auth` adds the bearer token; `body` is sent as-is with `content_type`.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        content_type: Option<&str>,
        body: Option<&[u8]>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.agent.request(method, &self.url(path));
        if let Some(t) = auth {
            req = req.set("authorization", &format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.set("content-type", ct);
        }
        for (k, v) in extra {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: transport error {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| (n.clone(), resp.header(&n).unwrap_or("").to_string()))
            .collect();
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let body = resp.into_string().unwrap_or_default();
        Resp {
            status,
            content_type,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.raw("GET", path, Some(&self.token.clone()), None, None, &[])
    }
    pub fn get_public(&self, path: &str) -> Resp {
        self.raw("GET", path, None, None, None, &[])
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.raw("DELETE", path, Some(&self.token.clone()), None, None, &[])
    }
    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.raw(
            "POST",
            path,
            Some(&self.token.clone()),
            Some("application/json"),
            Some(body.to_string().as_bytes()),
            &[],
        )
    }
    pub fn patch(&self, path: &str, body: &Value) -> Resp {
        self.raw(
            "PATCH",
            path,
            Some(&self.token.clone()),
            Some("application/merge-patch+json"),
            Some(body.to_string().as_bytes()),
            &[],
        )
    }
    /// POST with an empty body (e.g. "check now").
    pub fn post_empty(&self, path: &str) -> Resp {
        self.raw("POST", path, Some(&self.token.clone()), None, None, &[])
    }
}

/// Asserts a status with the body in the message.
#[track_caller]
pub fn expect_status(r: &Resp, status: u16) {
    assert_eq!(
        r.status, status,
        "expected {status}, got {}: {}",
        r.status, r.body
    );
}

/// A unique suffix for names/slugs so tests can run in parallel against one worker.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Deletes what a test created (API paths, newest first), even when the test fails half-way.
pub struct Cleanup<'a> {
    api: &'a Api,
    paths: std::sync::Mutex<Vec<String>>,
}

impl<'a> Cleanup<'a> {
    pub fn new(api: &'a Api) -> Cleanup<'a> {
        Cleanup {
            api,
            paths: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn add(&self, path: String) {
        self.paths
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path);
    }
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let paths = std::mem::take(&mut *self.paths.lock().unwrap_or_else(|p| p.into_inner()));
        for p in paths.iter().rev() {
            let _ = self.api.delete(p);
        }
    }
}

/// Runs SQL on the worker's local D1 from outside (`wrangler d1 execute`, a second process on
/// the worker's SQLite file) and returns the rows. The worker writes the same file, so a busy
/// database is retried, boundedly. Tests that call this run alone (scripts/integration.sh).
pub fn d1_execute(sql: &str) -> Vec<Value> {
    let state = std::env::var("EDGEPROBE_STATE").expect("EDGEPROBE_STATE");
    let mut last = String::new();
    for _ in 0..40 {
        let out = std::process::Command::new("node_modules/.bin/wrangler")
            .args([
                "d1",
                "execute",
                "DB",
                "--local",
                "--persist-to",
                &state,
                "--json",
                "--command",
                sql,
            ])
            .output()
            .expect("run wrangler d1 execute");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() {
            let v: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("wrangler output is not JSON ({e}): {stdout}"));
            return v[0]["results"].as_array().cloned().unwrap_or_default();
        }
        last = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        if !last.contains("SQLITE_BUSY") && !last.contains("database is locked") {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("wrangler d1 execute failed: {last}");
}

/// The per-region reports of a round as the API shows rounds (check now, results, dry run):
/// its observations grouped back by region, `{"status": "probed", "region", "colo", "edge",
/// "origin"}` or `{"status": "unanswered" | "refused", "region", "reason"}`, in observation
/// order. Tests written against the coordinator's reports read the one round shape with it.
pub fn reports_of(round: &Value) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let observations = round["observations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for o in observations {
        let region = o["region"].clone();
        let data = &o["data"];
        let report = match o["path"].as_str() {
            Some("edge") | Some("origin") => {
                let at = out
                    .iter()
                    .position(|r| r["region"] == region && r["status"] == "probed");
                let i = at.unwrap_or_else(|| {
                    out.push(serde_json::json!({"status": "probed", "region": region,
                        "colo": o["colo"], "edge": null, "origin": null}));
                    out.len() - 1
                });
                let path = o["path"].as_str().unwrap_or("edge");
                out[i][path] = data.clone();
                continue;
            }
            _ if data.get("unanswered").is_some() => serde_json::json!({"status": "unanswered",
                "region": region, "reason": data["unanswered"]}),
            _ => serde_json::json!({"status": "refused", "region": region,
                "reason": data["refused_by_policy"]}),
        };
        out.push(report);
    }
    Value::Array(out)
}
