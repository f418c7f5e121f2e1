//! The worker's operation counters (`GET /api/v1/metrics`, `core::meter`) move when a round
//! runs. Other tests run rounds beside this one, so only increases are asserted, never exact
//! values; the endpoint needs the API token like the rest of the API.

use serde_json::{json, Value};

use crate::client::{expect_status, unique, Api, Cleanup};
use crate::shared::rig;

fn metrics(api: &Api) -> Value {
    let r = api.get("/api/v1/metrics");
    expect_status(&r, 200);
    r.json()
}

fn counter(v: &Value, name: &str) -> u64 {
    v[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {name} in {v}"))
}

#[test]
fn a_round_moves_the_counters() {
    let api = Api::from_env();
    let cleanup = Cleanup::new(&api);
    let c = rig().case("healthy").expect("rig case healthy");
    let slug = unique("metered");
    let at_start = metrics(&api);
    let r = api.post(
        "/api/v1/monitors",
        &json!({
            "name": slug, "slug": slug, "url": c.front_url,
            "origin": { "host": c.origin_host, "port": c.origin_port, "scheme": c.origin_scheme },
            "regions": ["weur"], "timeout_ms": 3000,
        }),
    );
    expect_status(&r, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    cleanup.add(format!("/api/v1/monitors/{id}"));

    let before = metrics(&api);
    let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&r, 200);
    let after = metrics(&api);

    for name in [
        "rounds_recorded",
        "d1_queries",
        "d1_rows_written",
        "kv_writes",
        "do_requests_sent",
    ] {
        assert!(
            counter(&after, name) > counter(&before, name),
            "{name} did not move across a round: before {before}, after {after}"
        );
    }
    // A round writes at least its round row, one observation row and the alert state row
    // (indexes come on top; the meta of workerd's local D1 reports them).
    assert!(
        counter(&after, "d1_rows_written") >= counter(&before, "d1_rows_written") + 3,
        "before {before}, after {after}"
    );
    // Creating the monitor wrote its slot into the coordinator's own storage.
    assert!(
        counter(&after, "do_storage_writes") > counter(&at_start, "do_storage_writes"),
        "before {at_start}, after {after}"
    );
    let anonymous = api.raw("GET", "/api/v1/metrics", None, None, None, &[]);
    expect_status(&anonymous, 401);
}
