//! The built `edgeprobe` CLI against the real worker: apply (create), apply again (no
//! changes), an edit (one update, its diff shown), `--prune` (delete), export -> apply (no
//! changes), validate errors at their lines, status, check and diagnose output, and both
//! imports on sample files written from Gatus' and Uptime Kuma's documented formats
//! (tests/fixtures/import/).
//!
//! The binary is built once (`cargo build -p edgeprobe-cli`) by the first test that needs it.
//! The apply test prunes everything the file does not declare, so it runs alone
//! (scripts/integration.sh RUN_ALONE).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::api::healthy_server;
use crate::client::{unique, Api};

/// What one CLI run printed and how it exited.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "edgeprobe-cli"])
            .current_dir(workspace())
            .status()
            .expect("cargo build");
        assert!(status.success(), "building the CLI failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target"));
        target.join("debug").join("edgeprobe")
    })
}

fn edgeprobe(args: &[&str], dir: &Path) -> Run {
    let api_url = std::env::var("EDGEPROBE_URL").expect("EDGEPROBE_URL");
    let token = std::env::var("EDGEPROBE_TOKEN").expect("EDGEPROBE_TOKEN");
    let out = Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("EDGEPROBE_URL", api_url)
        .env("EDGEPROBE_TOKEN", token)
        .env("EDGEPROBE_ALLOW_PRIVATE_TARGETS", "true")
        .env("NO_COLOR", "1")
        .output()
        .expect("run edgeprobe");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("edgeprobe-cli"));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn file_with(a: &str, b: Option<&str>, target: &str, channel: &str, interval: u32) -> String {
    let mut f = format!(
        r#"[[channel]]
name = "{channel}"
kind = "webhook"
url = "{target}hook"

[[monitor]]
slug = "{a}"
name = "Shop {a}"
url = "{target}"
interval_seconds = {interval}
regions = ["weur"]
channels = ["{channel}"]
paused = true
expect = {{ statuses = [200, "300-399"], keyword = "edgeprobe-ok" }}
"#
    );
    if let Some(b) = b {
        f += &format!(
            r#"
[[monitor]]
slug = "{b}"
name = "Blog {b}"
url = "{target}"
regions = ["weur"]
paused = true
tags = ["blog"]
"#
        );
    }
    f
}

#[test]
fn cli_apply_plans_diffs_prunes_and_export_round_trips() {
    let api = Api::from_env();
    let dir = scratch();
    let target = healthy_server();
    let (a, b, ch) = (unique("cli-a"), unique("cli-b"), unique("cli-hook"));
    let path = dir.join("edgeprobe.toml");

    // Create.
    std::fs::write(&path, file_with(&a, Some(&b), &target, &ch, 60)).unwrap();
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    for line in [
        format!("+ channel {ch}"),
        format!("+ monitor {a}"),
        format!("+ monitor {b}"),
    ] {
        assert!(r.stdout.contains(&line), "{line} in {r:?}");
    }
    assert!(
        r.stdout
            .contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{r:?}"
    );
    assert!(r.stderr.contains("generated its signing secret"), "{r:?}");
    let made = api.get(&format!("/api/v1/monitors?slug={a}")).json();
    assert_eq!(made["items"][0]["interval_seconds"], 60, "{made}");
    assert_eq!(
        made["items"][0]["channels"].as_array().map(Vec::len),
        Some(1)
    );

    // Idempotent.
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("No changes."), "{r:?}");

    // One edit, one update, its diff shown; --dry-run changes nothing.
    std::fs::write(&path, file_with(&a, Some(&b), &target, &ch, 120)).unwrap();
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml", "--dry-run"], &dir);
    assert!(
        r.stdout.contains(&format!(
            "~ monitor {a}\n      ~ interval_seconds: 60 -> 120"
        )),
        "{r:?}"
    );
    assert_eq!(
        api.get(&format!("/api/v1/monitors?slug={a}")).json()["items"][0]["interval_seconds"],
        60
    );
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("interval_seconds: 60 -> 120"), "{r:?}");
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{r:?}"
    );
    assert_eq!(
        api.get(&format!("/api/v1/monitors?slug={a}")).json()["items"][0]["interval_seconds"],
        120
    );

    // Dropped from the file: deleted with --prune only.
    std::fs::write(&path, file_with(&a, None, &target, &ch, 120)).unwrap();
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml"], &dir);
    assert!(
        r.stdout.contains("No changes."),
        "without --prune nothing is deleted: {r:?}"
    );
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml", "--prune"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(&format!("- monitor {b}")), "{r:?}");
    assert_eq!(
        api.get(&format!("/api/v1/monitors?slug={b}")).json()["items"],
        serde_json::json!([])
    );
    let r = edgeprobe(&["apply", "-f", "edgeprobe.toml", "--prune"], &dir);
    assert!(r.stdout.contains("No changes."), "{r:?}");

    // Export -> apply: no changes.
    let r = edgeprobe(&["export"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(&format!("slug = \"{a}\"")), "{r:?}");
    std::fs::write(dir.join("exported.toml"), &r.stdout).unwrap();
    let r = edgeprobe(&["apply", "-f", "exported.toml", "--prune"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("No changes."),
        "export then apply changes nothing: {r:?}"
    );

    // Status, as a table and as JSON.
    let r = edgeprobe(&["status"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("SLUG"), "{r:?}");
    assert!(
        r.stdout.lines().any(|l| l.starts_with(a.as_str())
            && l.contains("unknown")
            && l.contains("never probed")),
        "{r:?}"
    );

    // Check: a round now, its diagnosis and evidence per region and path.
    let r = edgeprobe(&["check", &a], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("verdict: healthy [ok]"), "{r:?}");
    assert!(r.stdout.contains("REGION  PATH"), "{r:?}");
    assert!(
        r.stdout.lines().any(|l| l.starts_with("weur")
            && l.contains("edge")
            && l.contains("ok")
            && l.contains("200")),
        "{r:?}"
    );
    let r = edgeprobe(&["status", "--json"], &dir);
    let all: Value = serde_json::from_str(&r.stdout).expect("status --json is JSON");
    let mine = all
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["slug"] == a.as_str())
        .expect("listed");
    assert_eq!(mine["health"], "up", "{mine}");
    assert_eq!(mine["verdict"], "healthy", "{mine}");
    let r = edgeprobe(&["check", "no-such-slug-here"], &dir);
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn cli_validate_reports_file_lines_with_the_apis_messages() {
    let dir = scratch();
    let bad = r#"[[channel]]
name = "ops"
kind = "webhook"
url = "https://hooks.example.com/in"
secret = "whsec_c2VjcmV0LWluLXRoZS1maWxlLWlzLXdyb25nLTEyMzQ="

[[monitor]]
slug = "shop"
name = "Shop"
url = "ftp://shop.example.com/"
interval_seconds = 5
channels = ["ops"]
"#;
    std::fs::write(dir.join("bad.toml"), bad).unwrap();
    let r = edgeprobe(&["validate", "-f", "bad.toml"], &dir);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .contains("bad.toml:5:1: /secret: secrets never go in the file"),
        "{r:?}"
    );

    // With the file's own rule fixed, the API's validator speaks, at the lines of the members.
    std::fs::write(
        dir.join("bad.toml"),
        bad.replace("secret = ", "secret_env = \"OPS_SECRET\" # ")
            .replace("whsec_", ""),
    )
    .unwrap();
    let r = edgeprobe(&["validate", "-f", "bad.toml"], &dir);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("bad.toml:10:1: /url: "), "{r:?}");
    assert!(
        r.stderr.contains("bad.toml:11:1: /interval_seconds: "),
        "{r:?}"
    );
    // The same words as the API's problem document for that body.
    let api = Api::from_env();
    let answer = api.post("/api/v1/check", &serde_json::json!({"name": "Shop", "url": "ftp://shop.example.com/", "interval_seconds": 5}));
    for e in answer.json()["errors"].as_array().expect("errors") {
        let line = format!(
            "{}: {}",
            e["pointer"].as_str().unwrap(),
            e["detail"].as_str().unwrap()
        );
        assert!(r.stderr.contains(&line), "{line} in {r:?}");
    }

    let good = "[[monitor]]\nslug = \"ok\"\nname = \"OK\"\nurl = \"https://ok.example.com/\"\n";
    std::fs::write(dir.join("good.toml"), good).unwrap();
    let r = edgeprobe(&["validate", "-f", "good.toml"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    let r = edgeprobe(&["validate", "-f", "missing.toml"], &dir);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn cli_diagnose_probes_once_without_saving() {
    let dir = scratch();
    let target = healthy_server();
    let r = edgeprobe(&["diagnose", &target, "--regions", "weur"], &dir);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("verdict: healthy [ok]"), "{r:?}");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("weur") && l.contains("edge")),
        "{r:?}"
    );

    // A front that refuses connections: a problem, exit 4, with a checklist.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}/");
    let r = edgeprobe(&["diagnose", &url, "--regions", "weur", "--json"], &dir);
    assert_eq!(r.code, 4, "{r:?}");
    let round: Value = serde_json::from_str(&r.stdout).expect("--json is JSON");
    assert_ne!(round["verdict"], "healthy", "{round}");
    assert!(
        round["id"].as_str().is_some_and(|i| i.starts_with("dry_")),
        "{round}"
    );
    let r = edgeprobe(&["diagnose", &url, "--origin", "nope"], &dir);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn cli_imports_gatus_and_uptime_kuma_and_lists_what_it_could_not_convert() {
    let dir = scratch();
    let fixtures = workspace().join("tests/fixtures/import");
    let gatus = edgeprobe(
        &[
            "import",
            "gatus",
            fixtures.join("gatus-config.yaml").to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(gatus.code, 0, "{gatus:?}");
    assert!(gatus.stderr.contains("converted 3 monitors"), "{gatus:?}");
    for note in [
        "endpoint \"front-end\": condition \"[BODY].status == UP\" not converted",
        "endpoint \"front-end\": condition \"[RESPONSE_TIME] < 150\" not converted",
        "endpoint \"back-end\": condition \"[CERTIFICATE_EXPIRATION] > 48h\" not converted",
        "endpoint \"blog keyword\": interval 10s is outside 30s..1d; set to 30s",
        "endpoint \"blog keyword\": `alerts` not converted",
        "endpoint \"example-dns-query\": \"8.8.8.8\" is not an HTTP(S) check",
        "endpoint \"icmp-ping\": \"icmp://example.org\" is not an HTTP(S) check",
        "endpoint \"redis\": \"tcp://127.0.0.1:6379\" is not an HTTP(S) check",
        "endpoint \"post-api\": method POST not supported",
        "top-level `alerting`: not converted",
    ] {
        assert!(gatus.stderr.contains(note), "{note} in {gatus:?}");
    }
    for text in [
        "slug = \"front-end\"",
        "interval_seconds = 300",
        "interval_seconds = 5400",
        "tags = [\"core\"]",
        "keyword = \"healthy\"",
        "method = \"HEAD\"",
    ] {
        assert!(gatus.stdout.contains(text), "{text} in {gatus:?}");
    }

    let kuma = edgeprobe(
        &[
            "import",
            "uptime-kuma",
            fixtures.join("uptime-kuma-backup.json").to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(kuma.code, 0, "{kuma:?}");
    assert!(kuma.stderr.contains("converted 3 monitors"), "{kuma:?}");
    for note in [
        "notificationList: notifications are not converted",
        "monitor \"Gateway ping\": type \"ping\" is not an HTTP check: skipped",
        "monitor \"Postgres\": type \"port\"",
        "monitor \"Nightly backup\": type \"push\"",
        "monitor \"Status API\": method POST not supported",
        "monitor \"Shop\": interval 20s is outside 30s..1d; set to 30s",
        "monitor \"Shop\": ignoreTls not converted",
        "monitor \"Not down\": an inverted keyword (must NOT appear) is not converted",
        "monitor \"Not down\": upside-down mode not converted",
    ] {
        assert!(kuma.stderr.contains(note), "{note} in {kuma:?}");
    }
    for text in [
        "slug = \"shop\"",
        "slug = \"shop-2\"",
        "statuses = [\"200-299\", 301]",
        "keyword = \"Add to cart\"",
        "paused = true",
        "tags = [\"prod\"]",
    ] {
        assert!(kuma.stdout.contains(text), "{text} in {kuma:?}");
    }

    // What an import writes is a valid edgeprobe.toml.
    for (name, out) in [("gatus.toml", &gatus.stdout), ("kuma.toml", &kuma.stdout)] {
        std::fs::write(dir.join(name), out).unwrap();
        let r = edgeprobe(&["validate", "-f", name], &dir);
        assert_eq!(r.code, 0, "{name}: {r:?}");
    }
}
