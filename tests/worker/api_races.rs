//! API correctness found by fuzzing and racing (issue 10, item 6), through the running worker:
//! channels still in use, concurrent PATCHes and creates, deleting a monitor mid-round,
//! paused monitors and alerts, unknown methods, the bearer scheme's case, and the documented
//! error bodies. Each test names the fault it guards against.

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use crate::api::{create_monitor, expect_problem, monitor_body, webhook_secret};
use crate::client::{d1_execute, expect_status, unique, Api, Resp};
use crate::rig::webhook::{WebhookOptions, WebhookReceiver};

fn create_channel(api: &Api, url: &str) -> String {
    let r = api.post(
        "/api/v1/channels",
        &json!({"name": unique("ch"), "kind": "webhook", "url": url, "secret": webhook_secret()}),
    );
    expect_status(&r, 201);
    r.json()["id"].as_str().expect("channel id").to_string()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn kv_get(key: &str) -> Option<String> {
    let state = std::env::var("EDGEPROBE_STATE").expect("EDGEPROBE_STATE");
    let out = Command::new("node_modules/.bin/wrangler")
        .args([
            "kv",
            "key",
            "get",
            key,
            "--binding",
            "STATUS",
            "--local",
            "--persist-to",
            &state,
        ])
        .output()
        .expect("run wrangler kv key get");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    if text.contains("Value not found") || err.contains("Value not found") {
        return None;
    }
    assert!(
        out.status.success(),
        "wrangler kv key get failed: {text}{err}"
    );
    (!text.is_empty()).then_some(text)
}

/// A loopback HTTP server that accepts connections and never answers; every accepted
/// connection is reported on the channel. Connections are held until `hold` passes.
fn hanging_server(hold: Duration) -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let tx = tx.clone();
            thread::spawn(move || {
                let _ = tx.send(());
                let mut s = stream;
                let _ = s.set_read_timeout(Some(hold));
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                thread::sleep(hold);
            });
        }
    });
    (format!("http://127.0.0.1:{port}/"), rx)
}

// ---------- channels still in use ----------

#[test]
fn deleting_a_channel_in_use_is_refused_and_names_its_monitors() {
    let api = Api::from_env();
    let ch = create_channel(&api, "https://hooks.example.com/in-use");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (mut body, _) = monitor_body("http://127.0.0.1:9/");
        body["channels"] = json!([ch]);
        ids.push(id_of(&create_monitor(&api, &body)));
    }
    let r = api.delete(&format!("/api/v1/channels/{ch}"));
    let v = expect_problem(&r, 409);
    assert_eq!(
        v["type"], "https://edgeprobe.dev/problems/channel-in-use",
        "{v}"
    );
    let mut listed: Vec<String> = v["monitors"]
        .as_array()
        .expect("monitors member")
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(listed, want, "{v}");
    expect_status(&api.get(&format!("/api/v1/channels/{ch}")), 200);

    // The monitors stay editable, and once no monitor uses the channel it can go.
    for id in &ids {
        expect_status(
            &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"paused": true})),
            200,
        );
        let r = api.patch(&format!("/api/v1/monitors/{id}"), &json!({"channels": []}));
        expect_status(&r, 200);
    }
    expect_status(&api.delete(&format!("/api/v1/channels/{ch}")), 204);
    for id in &ids {
        expect_status(&api.delete(&format!("/api/v1/monitors/{id}")), 204);
    }
}

// ---------- concurrent writers ----------

/// Each writer's field and value; all of them must be present after the race.
fn writers(trial: usize) -> Vec<(&'static str, Value)> {
    vec![
        ("name", json!(format!("Renamed {trial}"))),
        ("tags", json!([format!("t{trial}")])),
        ("interval_seconds", json!(300 + 5 * trial)),
        ("timeout_ms", json!(4000 + trial)),
        ("public", json!(true)),
        ("method", json!("HEAD")),
        ("headers", json!({"x-trial": format!("{trial}")})),
        ("expect", json!({"keyword": format!("kw{trial}")})),
    ]
}

#[test]
fn concurrent_patches_of_different_fields_all_land() {
    let api = Api::from_env();
    for trial in 0..4 {
        let (body, _) = monitor_body("http://127.0.0.1:9/");
        let id = id_of(&create_monitor(&api, &body));
        let path = format!("/api/v1/monitors/{id}");
        let handles: Vec<_> = writers(trial)
            .into_iter()
            .map(|(field, value)| {
                let path = path.clone();
                thread::spawn(move || {
                    let api = Api::from_env();
                    let r = api.patch(&path, &json!({ field: value }));
                    (field, r)
                })
            })
            .collect();
        for h in handles {
            let (field, r) = h.join().expect("writer thread");
            assert_eq!(r.status, 200, "PATCH {field}: {}", r.body);
        }
        let got = api.get(&path).json();
        for (field, value) in writers(trial) {
            if field == "expect" {
                assert_eq!(
                    got["expect"]["keyword"], value["keyword"],
                    "trial {trial}: {got}"
                );
            } else {
                assert_eq!(got[field], value, "trial {trial}: {field} was lost: {got}");
            }
        }
        expect_status(&api.delete(&path), 204);
    }
}

#[test]
fn etags_and_if_match_guard_monitors_and_channels() {
    let api = Api::from_env();
    let (body, _) = monitor_body("http://127.0.0.1:9/");
    let created = api.post("/api/v1/monitors", &body);
    expect_status(&created, 201);
    let id = id_of(&created.json());
    let path = format!("/api/v1/monitors/{id}");
    let etag0 = created.header("etag").expect("ETag on create").to_string();
    let got = api.get(&path);
    assert_eq!(
        got.header("etag"),
        Some(etag0.as_str()),
        "GET after create has the same ETag"
    );
    assert!(
        etag0.starts_with('"') && etag0.ends_with('"'),
        "a strong ETag: {etag0}"
    );

    let patch = |etag: &str, body: Value| {
        api.raw(
            "PATCH",
            &path,
            Some(&api.token),
            Some("application/merge-patch+json"),
            Some(body.to_string().as_bytes()),
            &[("if-match", etag)],
        )
    };
    let r = patch(&etag0, json!({"name": "first"}));
    expect_status(&r, 200);
    let etag1 = r.header("etag").expect("ETag on PATCH").to_string();
    assert_ne!(etag1, etag0, "every write changes the ETag");
    assert_eq!(api.get(&path).header("etag"), Some(etag1.as_str()));

    // A writer that read before the first write is refused, and nothing changes.
    let v = expect_problem(&patch(&etag0, json!({"name": "stale"})), 412);
    assert_eq!(
        v["type"], "https://edgeprobe.dev/problems/precondition-failed",
        "{v}"
    );
    assert_eq!(api.get(&path).json()["name"], "first");
    // A list with the current tag matches, and so does "*".
    expect_status(
        &patch(&format!("\"nope\", {etag1}"), json!({"name": "second"})),
        200,
    );
    expect_status(&patch("*", json!({"name": "third"})), 200);
    // A weak tag never matches If-Match (strong comparison, RFC 9110 13.1.1).
    let etag3 = api.get(&path).header("etag").expect("etag").to_string();
    expect_problem(&patch(&format!("W/{etag3}"), json!({"name": "weak"})), 412);

    // Channels too.
    let ch = api.post(
        "/api/v1/channels",
        &json!({"name": unique("ch"), "kind": "webhook", "url": "https://hooks.example.com/e", "secret": webhook_secret()}),
    );
    expect_status(&ch, 201);
    let cpath = format!("/api/v1/channels/{}", id_of(&ch.json()));
    let ce0 = api
        .get(&cpath)
        .header("etag")
        .expect("channel ETag")
        .to_string();
    assert_eq!(ch.header("etag"), Some(ce0.as_str()));
    let cpatch = |etag: &str, body: Value| {
        api.raw(
            "PATCH",
            &cpath,
            Some(&api.token),
            Some("application/merge-patch+json"),
            Some(body.to_string().as_bytes()),
            &[("if-match", etag)],
        )
    };
    let r = cpatch(&ce0, json!({"enabled": false}));
    expect_status(&r, 200);
    assert_ne!(r.header("etag"), Some(ce0.as_str()));
    expect_problem(&cpatch(&ce0, json!({"name": "stale"})), 412);
    expect_status(&api.delete(&cpath), 204);
    expect_status(&api.delete(&path), 204);
}

#[test]
fn racing_creates_for_one_slug_get_one_201_and_409s() {
    for _ in 0..3 {
        let slug = unique("race");
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let slug = slug.clone();
                thread::spawn(move || {
                    let api = Api::from_env();
                    api.post(
                        "/api/v1/monitors",
                        &json!({"name": format!("racer {i}"), "url": "http://127.0.0.1:9/", "slug": slug, "paused": true}),
                    )
                })
            })
            .collect();
        let answers: Vec<Resp> = handles
            .into_iter()
            .map(|h| h.join().expect("creator"))
            .collect();
        let created: Vec<&Resp> = answers.iter().filter(|r| r.status == 201).collect();
        assert_eq!(created.len(), 1, "exactly one create wins: {answers:?}");
        for r in answers.iter().filter(|r| r.status != 201) {
            let v = expect_problem(r, 409);
            assert_eq!(v["type"], "https://edgeprobe.dev/problems/conflict", "{v}");
            assert_eq!(v["errors"][0]["pointer"], "/slug", "{v}");
        }
        let api = Api::from_env();
        expect_status(
            &api.delete(&format!("/api/v1/monitors/{}", id_of(&created[0].json()))),
            204,
        );
    }
}

// ---------- rounds racing deletes, paused monitors ----------

#[test]
fn deleting_a_monitor_mid_round_leaves_nothing_behind() {
    let api = Api::from_env();
    let receiver = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let ch = create_channel(&api, &receiver.url());
    let (url, connected) = hanging_server(Duration::from_secs(20));
    let slug = unique("midround");
    // Not paused (a paused monitor sends no alerts); an hourly interval and a 5-minute
    // re-check keep the scheduler from adding rounds during the test in all likelihood, and a
    // scheduled round racing the delete would be covered by the same guard anyway.
    let m = create_monitor(
        &api,
        &json!({"name": slug, "slug": slug, "url": url, "regions": ["weur"], "timeout_ms": 2000,
                "interval_seconds": 3600, "channels": [ch], "confirmation": {"recheck_delay_seconds": 300}}),
    );
    let id = id_of(&m);
    // First round: the target hangs, so the monitor becomes suspect; the next failing round
    // would open an incident and queue a Down alert.
    let first = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&first, 200);
    assert_ne!(
        first.json()["diagnosis"]["verdict"],
        "healthy",
        "{}",
        first.body
    );
    while connected.try_recv().is_ok() {}

    let check = {
        let id = id.clone();
        thread::spawn(move || Api::from_env().post_empty(&format!("/api/v1/monitors/{id}/check")))
    };
    connected
        .recv_timeout(Duration::from_secs(30))
        .expect("the second round reached the target");
    expect_status(&api.delete(&format!("/api/v1/monitors/{id}")), 204);
    let second = check.join().expect("check thread");
    // The round ran but its monitor was gone when it was recorded: nothing to show.
    expect_problem(&second, 404);

    for table in [
        "round_log",
        "hour_stats",
        "alert_state",
        "incidents",
        "deliveries",
    ] {
        let rows = d1_execute(&format!(
            "SELECT count(*) AS n FROM {table} WHERE monitor_id = '{id}'"
        ));
        assert_eq!(rows[0]["n"], 0, "{table} has rows of the deleted monitor");
    }
    assert_eq!(
        kv_get(&format!("status:{id}")),
        None,
        "the status document was re-created"
    );
    expect_problem(&api.get(&format!("/api/v1/monitors/{id}/status")), 404);
    let d = api.get(&format!("/api/v1/channels/{ch}/deliveries"));
    expect_status(&d, 200);
    assert_eq!(
        d.json()["items"],
        json!([]),
        "no alert for a deleted monitor"
    );
    expect_status(&api.delete(&format!("/api/v1/channels/{ch}")), 204);
}

#[test]
fn manual_check_of_a_paused_failing_monitor_opens_no_incident_and_sends_nothing() {
    let api = Api::from_env();
    let receiver = WebhookReceiver::start(WebhookOptions::default()).expect("receiver");
    let ch = create_channel(&api, &receiver.url());
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["regions"] = json!(["weur"]);
    body["channels"] = json!([ch]);
    body["paused"] = json!(true);
    let id = id_of(&create_monitor(&api, &body));
    // Two failing rounds in a row would confirm an outage (incident + Down alert).
    for _ in 0..2 {
        let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
        expect_status(&r, 200);
        assert_ne!(r.json()["diagnosis"]["verdict"], "healthy", "{}", r.body);
    }
    let rounds = api.get(&format!("/api/v1/monitors/{id}/results")).json();
    assert_eq!(
        rounds["items"].as_array().map(Vec::len),
        Some(2),
        "both rounds are recorded: {rounds}"
    );
    let incidents = api.get(&format!("/api/v1/monitors/{id}/incidents")).json();
    assert_eq!(
        incidents["items"],
        json!([]),
        "a paused monitor opens no incident"
    );
    let d = api.get(&format!("/api/v1/channels/{ch}/deliveries")).json();
    assert_eq!(d["items"], json!([]), "a paused monitor sends no alert");
    expect_status(&api.delete(&format!("/api/v1/monitors/{id}")), 204);
    expect_status(&api.delete(&format!("/api/v1/channels/{ch}")), 204);
    assert!(receiver.records().is_empty());
}

// ---------- methods and authentication ----------

#[test]
fn unknown_methods_are_501_and_known_ones_405_with_allow() {
    let api = Api::from_env();
    let t = api.token.clone();
    for (method, path) in [
        ("QUERY", "/api/v1/monitors"),
        ("PURGE", "/status"),
        ("PROPFIND", "/healthz"),
        ("QUERY", "/no/such/path"),
    ] {
        let r = api.raw(method, path, Some(&t), None, None, &[]);
        let v = expect_problem(&r, 501);
        assert_eq!(
            v["type"], "https://edgeprobe.dev/problems/not-implemented",
            "{method} {path}: {v}"
        );
    }
    for (method, path, allow) in [
        ("OPTIONS", "/api/v1/monitors", "GET, POST, HEAD"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("TRACE", "/status", "GET, HEAD"),
    ] {
        let r = api.raw(method, path, Some(&t), None, None, &[]);
        expect_problem(&r, 405);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }
}

#[test]
fn bearer_scheme_is_case_insensitive() {
    let api = Api::from_env();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let h = format!("{scheme} {}", api.token);
        let r = api.raw(
            "GET",
            "/api/v1/monitors?limit=1",
            None,
            None,
            None,
            &[("authorization", &h)],
        );
        expect_status(&r, 200);
    }
    for bad in [
        format!("Bearer{}", api.token),
        format!("Bearer {}x", api.token),
        format!("Bearerx {}", api.token),
    ] {
        let r = api.raw(
            "GET",
            "/api/v1/monitors?limit=1",
            None,
            None,
            None,
            &[("authorization", &bad)],
        );
        expect_problem(&r, 401);
    }
}

// ---------- served == documented ----------

fn spec() -> Value {
    serde_json::from_str(&std::fs::read_to_string("schema/openapi.json").expect("openapi.json"))
        .expect("JSON")
}

/// The media types documented for (path template, method, status), following `$ref`s.
fn documented(spec: &Value, path: &str, method: &str, status: u16) -> Vec<String> {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let mut resp = &op["responses"][status.to_string()];
    assert!(
        resp.is_object(),
        "{method} {path} does not document {status}"
    );
    if let Some(r) = resp["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        resp = &spec["components"]["responses"][name];
    }
    resp["content"]
        .as_object()
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default()
}

#[track_caller]
fn assert_documented(spec: &Value, r: &Resp, path: &str, method: &str) {
    let media = r
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let doc = documented(spec, path, method, r.status);
    assert!(
        doc.contains(&media),
        "{method} {path} answered {} {media}; documented: {doc:?}",
        r.status
    );
}

#[test]
fn error_bodies_are_the_documented_ones() {
    let api = Api::from_env();
    let spec = spec();
    let r = api.get_public("/status/no-such-monitor");
    expect_status(&r, 404);
    assert_documented(&spec, &r, "/status/{slug}", "get");
    let r = api.get_public("/badge/no-such-monitor.svg");
    expect_status(&r, 404);
    assert_documented(&spec, &r, "/badge/{slug}.svg", "get");
    let r = api.get_public("/badge/no-such-monitor.json");
    expect_status(&r, 404);
    assert_documented(&spec, &r, "/badge/{slug}.json", "get");
    for p in ["/badge/x.svg?metric=zz", "/badge/x.json?metric=zz"] {
        let r = api.get_public(p);
        if p.contains(".svg") {
            // An image, so a README still shows something (a grey "invalid query" badge).
            expect_status(&r, 400);
            assert!(
                r.content_type.starts_with("image/svg+xml"),
                "{}",
                r.content_type
            );
        } else {
            expect_problem(&r, 400);
        }
        let tmpl = if p.contains(".svg") {
            "/badge/{slug}.svg"
        } else {
            "/badge/{slug}.json"
        };
        assert_documented(&spec, &r, tmpl, "get");
    }
    // 405 and 501 are documented as shared responses.
    for (name, status) in [("MethodNotAllowed", 405), ("NotImplemented", 501)] {
        let resp = &spec["components"]["responses"][name];
        assert!(
            resp["content"]["application/problem+json"].is_object(),
            "{name} {status} undocumented"
        );
    }
    assert!(spec["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"].is_object());

    // An empty cursor is the first page, as documented.
    let r = api.get("/api/v1/monitors?limit=1&cursor=");
    expect_status(&r, 200);
    assert!(
        spec["components"]["parameters"]["Cursor"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("empty")),
        "the Cursor parameter documents the empty value"
    );

    // null is refused for members that are not documented nullable, naming the member.
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["public"] = Value::Null;
    body["expect"] = json!({"statuses": null, "keyword": null});
    let v = expect_problem(&api.post("/api/v1/monitors", &body), 422);
    let mut pointers: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        ["/expect/statuses", "/public"],
        "keyword is documented nullable: {v}"
    );
    let (body, _) = monitor_body("http://127.0.0.1:9/");
    let id = id_of(&create_monitor(&api, &body));
    let v = expect_problem(
        &api.patch(&format!("/api/v1/monitors/{id}"), &json!({"name": null})),
        422,
    );
    assert_eq!(v["errors"][0]["pointer"], "/name", "{v}");
    assert_eq!(
        spec["components"]["schemas"]["MonitorPatch"]["properties"]["name"]["type"], "string",
        "name is documented non-nullable in patches"
    );
    expect_status(&api.delete(&format!("/api/v1/monitors/{id}")), 204);
}

// ---------- interrupted rounds ----------

/// A worker of its own (wrangler dev on a state directory this test owns), so it can be killed
/// mid-round without disturbing the shared one. Dropping it kills its process group and
/// removes the state.
struct OwnWorker {
    child: Option<std::process::Child>,
    state: std::path::PathBuf,
    port: u16,
    token: String,
    /// Extra `--var NAME:value` settings for the next start.
    vars: Vec<String>,
}

impl OwnWorker {
    fn new() -> OwnWorker {
        let state = std::env::temp_dir().join(unique("edgeprobe-own-state"));
        std::fs::create_dir_all(&state).expect("state dir");
        let out = Command::new("node_modules/.bin/wrangler")
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&state)
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(
            out.status.success(),
            "migrations: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        OwnWorker {
            child: None,
            state,
            port: 0,
            token: unique("own-token"),
            vars: Vec::new(),
        }
    }

    /// Starts wrangler dev on a free port and waits (bounded) for /healthz.
    fn start(&mut self) {
        use std::os::unix::process::CommandExt;
        self.port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let log = std::fs::File::create(self.state.join(format!("wrangler-{}.log", self.port)))
            .expect("log");
        let child = Command::new("node_modules/.bin/wrangler")
            .args([
                "dev",
                "--port",
                &self.port.to_string(),
                "--ip",
                "127.0.0.1",
                "--persist-to",
            ])
            .arg(&self.state)
            .args([
                "--var",
                "ALLOW_PRIVATE_TARGETS:true",
                "--var",
                "RUNTIME:local",
            ])
            .args([
                "--var",
                &format!("API_TOKEN:{}", self.token),
                "--var",
                "DEFAULT_REGIONS:weur",
            ])
            .args([
                "--var",
                &format!("PUBLIC_BASE_URL:http://127.0.0.1:{}", self.port),
            ])
            .args(self.vars.iter().flat_map(|v| ["--var", v.as_str()]))
            .args([
                "--test-scheduled",
                "--show-interactive-dev-session=false",
                "--log-level",
                "warn",
            ])
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start wrangler dev");
        self.child = Some(child);
        for _ in 0..360 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.api().get_public("/healthz").status == 200
            {
                return;
            }
            thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(self.state.join(format!("wrangler-{}.log", self.port)))
            .unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        panic!(
            "own wrangler dev did not come up on port {} within 90 s; its log ends:\n{}",
            self.port,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// SIGKILL to the whole process group: workerd dies mid-whatever, as in a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The group id is wrangler's pid (process_group(0)): node and the workerd it spawned.
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn api(&self) -> Api {
        Api::with(
            format!("http://127.0.0.1:{}", self.port),
            self.token.clone(),
        )
    }
}

impl Drop for OwnWorker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

/// The coordinator advances the schedule before probing; killing workerd while that round
/// runs must leave a `missed` round for its slot, recorded by the next instance's alarm,
/// instead of the round silently vanishing.
#[test]
fn a_round_cut_short_by_killing_workerd_is_recorded_missed() {
    let mut worker = OwnWorker::new();
    worker.start();
    let (url, connected) = hanging_server(Duration::from_secs(60));
    let api = worker.api();
    let m = create_monitor(
        &api,
        &json!({"name": "interrupted", "url": url, "regions": ["weur"], "interval_seconds": 30, "timeout_ms": 20000}),
    );
    let id = id_of(&m);
    // The first scheduled round (within one interval) reaches the hanging target: kill now.
    connected
        .recv_timeout(Duration::from_secs(60))
        .expect("a scheduled round reached the target");
    let killed_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    worker.kill();
    assert!(
        d1_rows_in(
            &worker.state,
            &format!("SELECT count(*) AS n FROM round_log WHERE monitor_id = '{id}'")
        )[0]["n"]
            == 0,
        "the round was cut short before it was recorded"
    );

    worker.start();
    let api = worker.api();
    // The cron re-arms the coordinator's alarm; the next alarm finds the old instance's marker.
    let mut missed = Vec::new();
    for _ in 0..60 {
        let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
        assert!(fired.status < 300, "cron: {} {}", fired.status, fired.body);
        let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=100"));
        expect_status(&r, 200);
        missed = r.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|x| {
                x["kind"] == "missed"
                    && x["scheduled_for"]
                        .as_str()
                        .and_then(edgeprobe_core::time::parse_rfc3339)
                        .is_some_and(|t| t <= killed_at)
            })
            .cloned()
            .collect();
        if !missed.is_empty() {
            break;
        }
        thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(
        missed.len(),
        1,
        "the interrupted slot is recorded as missed, once: {missed:?}"
    );
    assert!(missed[0]["verdict"].is_null(), "{}", missed[0]);
}

/// The slots of a monitor's stored scheduled rounds, sorted (Unix ms).
fn scheduled_slots(api: &Api, id: &str) -> Vec<i64> {
    let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=100"));
    expect_status(&r, 200);
    let mut v: Vec<i64> = r.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|x| x["kind"] == "scheduled")
        .filter_map(|x| {
            x["scheduled_for"]
                .as_str()
                .and_then(edgeprobe_core::time::parse_rfc3339)
        })
        .collect();
    v.sort_unstable();
    v
}

/// [`d1_execute`] against another state directory.
fn d1_rows_in(state: &std::path::Path, sql: &str) -> Vec<Value> {
    let out = Command::new("node_modules/.bin/wrangler")
        .args(["d1", "execute", "DB", "--local", "--persist-to"])
        .arg(state)
        .args(["--json", "--command", sql])
        .output()
        .expect("run wrangler d1 execute");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "wrangler d1 execute: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    v[0]["results"].as_array().cloned().unwrap_or_default()
}

/// A monitor that already points at a channel that no longer exists (left by versions that
/// let such channels be deleted) stays editable: a PATCH that does not add channels never
/// fails because of it, and one that adds channels is checked for the added ones only.
#[test]
fn a_stale_channel_reference_never_blocks_a_patch_that_leaves_channels_alone() {
    let mut worker = OwnWorker::new();
    worker.start();
    let api = worker.api();
    let ch = create_channel(&api, "https://hooks.example.com/stale");
    let (mut body, _) = monitor_body("http://127.0.0.1:9/");
    body["channels"] = json!([ch]);
    let id = id_of(&create_monitor(&api, &body));
    // Make the reference dangle the way the old DELETE did: the channel row goes, the id stays.
    let state = worker.state.clone();
    d1_rows_in(&state, &format!("DELETE FROM channels WHERE id = '{ch}'"));
    let path = format!("/api/v1/monitors/{id}");
    for patch in [
        json!({"paused": true}),
        json!({"name": "renamed"}),
        json!({"tags": ["x"]}),
    ] {
        let r = api.patch(&path, &patch);
        assert_eq!(r.status, 200, "PATCH {patch}: {}", r.body);
        assert_eq!(
            r.json()["channels"],
            json!([ch]),
            "the reference is kept, not silently dropped"
        );
    }
    let r = api.patch(&path, &json!({"channels": [ch, "ch_never_existed"]}));
    let v = expect_problem(&r, 422);
    let pointers: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/channels/1"],
        "only the added channel is checked: {v}"
    );
    expect_status(&api.patch(&path, &json!({"channels": []})), 200);
}

/// Issue 12 (past one object): raising the number of coordinator shards re-homes monitors by a
/// hash of their id; a re-homed monitor keeps its slots on the same grid (no slot run twice,
/// none skipped beyond the restart) and its alert state (a monitor already down opens no
/// second incident).
#[test]
fn more_coordinator_shards_rehome_monitors_keeping_phase_and_state() {
    let mut worker = OwnWorker::new();
    worker.start();
    let api = worker.api();
    // A failing monitor (a closed port) that moves to another shard when there are 4.
    let mut id = String::new();
    for _ in 0..20 {
        let slug = unique("rehome");
        let r = api.post(
            "/api/v1/monitors",
            &json!({"name": slug, "slug": slug, "url": "http://127.0.0.1:9/", "regions": ["weur"],
                    "interval_seconds": 30, "timeout_ms": 2000,
                    "confirmation": {"regions_to_agree": 1, "recheck_delay_seconds": 300}}),
        );
        expect_status(&r, 201);
        let candidate = r.json()["id"].as_str().expect("id").to_string();
        if edgeprobe_core::tick::shard_of(&candidate, 4) != 0 {
            id = candidate;
            break;
        }
    }
    assert!(
        !id.is_empty(),
        "no monitor id hashed to another shard in 20 tries"
    );
    let scheduled = |api: &Api| scheduled_slots(api, &id);
    let incidents = |api: &Api| -> usize {
        let r = api.get(&format!("/api/v1/monitors/{id}/incidents"));
        expect_status(&r, 200);
        r.json()["items"].as_array().map_or(0, Vec::len)
    };
    let mut before = Vec::new();
    for _ in 0..90 {
        before = scheduled(&api);
        if !before.is_empty() && incidents(&api) == 1 {
            break;
        }
        thread::sleep(Duration::from_secs(1));
    }
    assert!(!before.is_empty(), "a scheduled round ran on one shard");
    assert_eq!(incidents(&api), 1, "the monitor is down with one incident");

    worker.kill();
    worker.vars = vec!["COORDINATOR_SHARDS:4".into()];
    worker.start();
    let api = worker.api();
    // The cron re-syncs every shard: the new home takes the monitor, the old one drops it.
    let fired = api.get_public("/__scheduled?cron=*+*+*+*+*");
    assert!(fired.status < 300, "cron: {} {}", fired.status, fired.body);
    let last_before = *before.last().expect("rounds");
    let mut after = Vec::new();
    for _ in 0..90 {
        after = scheduled(&api);
        if after.iter().filter(|&&t| t > last_before).count() >= 2 {
            break;
        }
        thread::sleep(Duration::from_secs(1));
    }
    let new: Vec<i64> = after.iter().copied().filter(|&t| t > last_before).collect();
    assert!(new.len() >= 2, "the re-homed monitor runs: {after:?}");
    for t in &new {
        assert_eq!(
            (t - last_before) % 30_000,
            0,
            "same grid after re-homing: {after:?}"
        );
    }
    let mut dedup = after.clone();
    dedup.dedup();
    assert_eq!(
        dedup, after,
        "no slot ran twice (old and new shard): {after:?}"
    );
    assert_eq!(
        incidents(&api),
        1,
        "the alert state moved with it: no second incident"
    );
    // Where the slot lives now: exactly one coordinator object holds it, and it is not the
    // only coordinator (read from the objects' own SQLite files in the state directory).
    let dir = std::fs::read_dir(worker.state.join("v3/do"))
        .expect("durable object state")
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with("Coordinator"))
        .expect("coordinator objects")
        .path();
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .expect("coordinator files")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .collect();
    assert!(
        files.len() >= 2,
        "more than one coordinator object: {files:?}"
    );
    let holders = files
        .iter()
        .filter(|f| {
            let out = Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
                     print(c.execute('select count(*) from _cf_KV where key=?', (sys.argv[2],)).fetchone()[0])",
                ])
                .arg(f)
                .arg(format!("slot:{id}"))
                .output()
                .expect("python3");
            String::from_utf8_lossy(&out.stdout).trim() == "1"
        })
        .count();
    assert_eq!(holders, 1, "the slot lives in exactly one shard: {files:?}");
}

/// Issue 12 (cost per check): a deployment with a longer tick (`TICK_SECONDS`) puts every
/// monitor of an interval on the same slots, so they share one alarm and one request per region
/// lane; intervals that are not whole ticks are refused by name.
#[test]
fn a_longer_tick_puts_monitors_of_one_interval_on_the_same_slots() {
    let mut worker = OwnWorker::new();
    worker.vars = vec!["TICK_SECONDS:30".into()];
    worker.start();
    let api = worker.api();
    let refused = api.post(
        "/api/v1/monitors",
        &json!({"name": "odd", "url": "http://127.0.0.1:9/", "regions": ["weur"],
                "interval_seconds": 45}),
    );
    let problem = expect_problem(&refused, 422);
    let detail = problem["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["pointer"] == "/interval_seconds"))
        .and_then(|e| e["detail"].as_str())
        .unwrap_or_else(|| panic!("no error for /interval_seconds: {problem}"));
    assert!(detail.contains("multiple of 30"), "{problem}");
    let ids: Vec<String> = (0..6)
        .map(|i| {
            let r = api.post(
                "/api/v1/monitors",
                &json!({"name": format!("tick-{i}"), "url": "http://127.0.0.1:9/",
                        "regions": ["weur"], "interval_seconds": 30, "timeout_ms": 2000,
                        "confirmation": {"regions_to_agree": 1, "recheck_delay_seconds": 300}}),
            );
            expect_status(&r, 201);
            r.json()["id"].as_str().expect("id").to_string()
        })
        .collect();
    let scheduled = |id: &str| scheduled_slots(&api, id);
    let mut all: Vec<Vec<i64>> = Vec::new();
    for _ in 0..150 {
        all = ids.iter().map(|id| scheduled(id)).collect();
        if all.iter().all(|s| s.len() >= 3) {
            break;
        }
        thread::sleep(Duration::from_secs(1));
    }
    assert!(
        all.iter().all(|s| s.len() >= 3),
        "every monitor ran three scheduled rounds: {all:?}"
    );
    for s in &all {
        assert!(
            s.iter().all(|t| t % 30_000 == 0),
            "slots on the 30 s grid: {all:?}"
        );
    }
    // The rounds all six ran in common: one slot time each, shared by all (on a 5 s grid six
    // ids would spread over six phases).
    let first_common = all.iter().map(|s| s[0]).max().expect("rounds");
    let last_common = all
        .iter()
        .map(|s| *s.last().expect("rounds"))
        .min()
        .expect("rounds");
    assert!(last_common > first_common, "{all:?}");
    let window = |s: &Vec<i64>| -> Vec<i64> {
        s.iter()
            .copied()
            .filter(|t| (first_common..=last_common).contains(t))
            .collect()
    };
    for s in &all {
        assert_eq!(
            window(s),
            window(&all[0]),
            "same slots for every monitor: {all:?}"
        );
    }
}

/// A loopback HTTP server that answers every request `200 ok`.
fn ok_server() -> String {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut s = stream;
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            });
        }
    });
    format!("http://127.0.0.1:{port}/")
}

/// Issue 12 (lean storage over time): a coordinator that restarts (evicted between the alarms
/// of a long tick, or a deploy) keeps what its memory needs beside each slot, so a steady
/// healthy monitor's next rounds after the restart still write only their hour row — no stored
/// round (nor KV document) just because the instance is new.
#[test]
fn a_restarted_coordinator_does_not_store_a_steady_monitors_rounds_again() {
    let mut worker = OwnWorker::new();
    worker.start();
    let url = ok_server();
    let api = worker.api();
    let m = create_monitor(
        &api,
        &json!({"name": "steady", "url": url, "regions": ["weur"], "interval_seconds": 30,
                "timeout_ms": 5000}),
    );
    let id = id_of(&m);
    let stored = |api: &Api| -> usize {
        let r = api.get(&format!("/api/v1/monitors/{id}/results?limit=100"));
        expect_status(&r, 200);
        r.json()["items"].as_array().map_or(0, Vec::len)
    };
    let mut first = 0;
    for _ in 0..90 {
        first = stored(&api);
        if first >= 1 {
            break;
        }
        thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(first, 1, "the first round is stored");
    let counts = |state: &std::path::Path| -> (i64, i64) {
        let rounds = d1_rows_in(
            state,
            &format!("SELECT count(*) AS n FROM round_log WHERE monitor_id = '{id}'"),
        );
        let checks = d1_rows_in(
            state,
            &format!("SELECT coalesce(sum(seq), 0) AS n FROM hour_stats WHERE monitor_id = '{id}'"),
        );
        (
            rounds[0]["n"].as_i64().expect("count"),
            checks[0]["n"].as_i64().expect("sum"),
        )
    };
    worker.kill();
    let (rounds_before, checks_before) = counts(&worker.state);
    assert_eq!(rounds_before, 1, "one stored round before the restart");

    worker.start();
    // Two more intervals and a margin: at least two scheduled rounds of the new instance.
    thread::sleep(Duration::from_secs(75));
    worker.kill();
    let (rounds_after, checks_after) = counts(&worker.state);
    assert!(
        checks_after >= checks_before + 2,
        "the restarted coordinator ran rounds: {checks_before} -> {checks_after}"
    );
    assert_eq!(
        rounds_after, rounds_before,
        "no round stored again after the restart (healthy, verdict unchanged, heartbeat 30 min)"
    );
}
