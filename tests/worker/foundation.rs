//! The foundation slice: the worker serves /healthz, the D1 migration was applied, and a
//! Durable Object answers through the worker.

use crate::client::{expect_status, reports_of, Api};

#[test]
fn healthz_names_the_service_version_and_build() {
    let api = Api::from_env();
    let r = api.get_public("/healthz");
    expect_status(&r, 200);
    assert!(
        r.content_type.starts_with("application/json"),
        "{}",
        r.content_type
    );
    let v = r.json();
    assert_eq!(v["service"], "edgeprobe");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["build"].as_str().is_some_and(|b| !b.is_empty()), "{v}");
    assert_eq!(v["runtime"], "local");
}

#[test]
fn migration_created_the_schema_version() {
    // The test script applied schema/migrations to this state directory; the worker reads the
    // version back from the real local D1 on every /healthz.
    // Each migration sets the version to its own number, so it is the newest file's number.
    let newest = std::fs::read_dir("schema/migrations")
        .expect("schema/migrations")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .max()
        .expect("at least one migration");
    let v = Api::from_env().get_public("/healthz").json();
    assert_eq!(v["schema_version"], newest.to_string(), "{v}");
}

#[test]
fn durable_objects_answer_through_the_worker() {
    // "Check now" goes Worker → Coordinator object → one RegionProber object per region and
    // back: every region must answer as probed, placed "local" under wrangler dev.
    let api = Api::from_env();
    let healthy = crate::shared::rig().case("healthy").expect("healthy case");
    let body = serde_json::json!({
        "name": "do round trip", "slug": crate::client::unique("do-round-trip"), "url": healthy.front_url,
        "regions": ["weur", "apac"], "timeout_ms": 5000,
    });
    let m = api.post("/api/v1/monitors", &body);
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();
    let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&r, 200);
    let v = r.json();
    let reports = reports_of(&v);
    let reports = reports.as_array().expect("reports");
    let regions: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["region"].as_str())
        .collect();
    assert_eq!(regions, ["weur", "apac"], "{v}");
    for rep in reports {
        assert_eq!(rep["status"], "probed", "{rep}");
        assert_eq!(rep["colo"], "local", "{rep}");
    }
    assert_eq!(v["diagnosis"]["verdict"], "healthy", "{v}");
}
