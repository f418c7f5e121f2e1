//! The foundation slice: the worker serves /healthz, the D1 migration was applied, and a
//! Durable Object answers through the worker.

use crate::client::{expect_status, Api};

#[test]
fn healthz_names_the_service_version_and_build() {
    let api = Api::from_env();
    let r = api.get_public("/healthz");
    expect_status(&r, 200);
    assert!(r.content_type.starts_with("application/json"), "{}", r.content_type);
    let v = r.json();
    assert_eq!(v["service"], "edgeprobe");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["build"].as_str().is_some_and(|b| !b.is_empty()), "{v}");
    assert_eq!(v["runtime"], "local");
}

#[test]
fn migration_created_the_schema_version() {
    // The test script applied schema/migrations to this state directory; read it back with
    // wrangler's own D1 access to see the migration's effect in the real local database.
    let state = std::env::var("EDGEPROBE_STATE").expect("EDGEPROBE_STATE");
    let out = std::process::Command::new("node_modules/.bin/wrangler")
        .args(["d1", "execute", "DB", "--local", "--persist-to", &state, "--json", "--command", "SELECT value FROM meta WHERE key = 'schema_version'"])
        .output()
        .expect("run wrangler d1 execute");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("wrangler --json output");
    assert_eq!(v[0]["results"][0]["value"], "1", "{v}");
}
