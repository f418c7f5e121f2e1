//! `schema/openapi.json` agrees with the code: the same routes as `core::routes::ROUTES`,
//! request examples that pass both their JSON Schema and the real validators, response
//! examples and real views that match their schemas, and schemas that are valid JSON Schema
//! (draft 2020-12, the dialect of OpenAPI 3.1), checked with the `jsonschema` crate.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use edgeprobe_core::monitor::{Channel, Monitor};
use edgeprobe_web::problem::{FieldError, Problem};
use edgeprobe_web::routes::ROUTES;
use edgeprobe_web::validate::limits::*;
use edgeprobe_web::validate::*;
use serde_json::{json, Value};

const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/openapi.json")).expect("schema/openapi.json");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

fn ctx() -> ValidationContext {
    ValidationContext {
        allowed_regions: ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]
            .map(String::from)
            .to_vec(),
        default_regions: ["wnam", "weur", "apac"].map(String::from).to_vec(),
        allow_private_targets: false,
        now: 1_795_305_600_000,
    }
}

/// A validator for `#/components/schemas/<name>`, with every other component reachable.
fn schema_for(spec: &Value, pointer: &str) -> jsonschema::Validator {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": pointer,
        "components": spec["components"],
    });
    jsonschema::draft202012::new(&root).unwrap_or_else(|e| panic!("{pointer} does not compile: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n  {}\ninstance: {instance:#}",
        errors.join("\n  ")
    );
}

fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if HTTP_METHODS.contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

#[test]
fn documented_routes_equal_the_route_table() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    let documented: BTreeSet<(String, String)> = operations(&spec).into_iter().map(|(m, p, _)| (m, p)).collect();
    let served: BTreeSet<(String, String)> = ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_string())).collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "undocumented routes: {missing:?}\ndocumented but not served: {extra:?}"
    );
    for (method, path, op) in operations(&spec) {
        let route = ROUTES.iter().find(|r| r.method == method && r.path == path).expect("route");
        assert_eq!(op["operationId"], route.operation_id, "{method} {path}");
        let public = op.get("security") == Some(&json!([]));
        assert_eq!(public, !route.auth, "{method} {path}: security must match Route::auth");
    }
    assert_eq!(spec["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
}

#[test]
fn every_schema_is_valid_json_schema() {
    let spec = spec();
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    assert!(schemas.len() >= 10);
    for (name, schema) in schemas {
        let mut s = schema.clone();
        s["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        if let Err(e) = jsonschema::meta::validate(&s) {
            panic!("components/schemas/{name} is not valid JSON Schema: {e}");
        }
        schema_for(&spec, &format!("#/components/schemas/{name}"));
    }
}

/// Runs a documented request body through the real validator of its operation.
fn validate_with_code(operation_id: &str, body: &Value) -> Result<(), Vec<FieldError>> {
    let base_monitor = || -> Monitor {
        validate_new_monitor(&json!({"name": "Base", "url": "https://shop.example.com/"}), "mon_1".into(), &ctx()).unwrap()
    };
    let base_channel = || -> Channel {
        let fixture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api/channel_create_webhook.json")).unwrap();
        validate_new_channel(&serde_json::from_str(&fixture).unwrap(), "ch_1".into(), &ctx()).unwrap()
    };
    match operation_id {
        "createMonitor" => validate_new_monitor(body, "mon_1".into(), &ctx()).map(drop),
        "updateMonitor" => apply_monitor_patch(&base_monitor(), body, &ctx()).map(drop),
        "createChannel" => validate_new_channel(body, "ch_1".into(), &ctx()).map(drop),
        "updateChannel" => apply_channel_patch(&base_channel(), body, &ctx()).map(drop),
        other => panic!("no validator known for request body of {other}"),
    }
}

#[test]
fn request_examples_pass_their_schema_and_the_validator() {
    let spec = spec();
    let mut checked = BTreeSet::new();
    for (method, path, op) in operations(&spec) {
        let Some(content) = op["requestBody"]["content"].as_object() else {
            continue;
        };
        let op_id = op["operationId"].as_str().expect("operationId");
        for (media, m) in content {
            let validator = schema_for(&spec, m["schema"]["$ref"].as_str().expect("request schemas are $refs"));
            let examples = m["examples"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {media} has no examples"));
            for (name, ex) in examples {
                let what = format!("{method} {path} {media} example {name}");
                assert_valid(&validator, &ex["value"], &what);
                if let Err(errs) = validate_with_code(op_id, &ex["value"]) {
                    panic!("{what} is refused by the validator: {errs:?}");
                }
                checked.insert(op_id.to_string());
            }
        }
    }
    let expected: BTreeSet<String> = ["createMonitor", "updateMonitor", "createChannel", "updateChannel"]
        .map(String::from)
        .into();
    assert_eq!(checked, expected);
}

#[test]
fn response_examples_match_their_schemas() {
    let spec = spec();
    let mut count = 0;
    let mut check = |content: &Value, what: &str| {
        for (media, m) in content.as_object().into_iter().flatten() {
            if let (Some(ex), Some(_)) = (m.get("example"), m.get("schema")) {
                let v = if let Some(r) = m["schema"]["$ref"].as_str() {
                    schema_for(&spec, r)
                } else {
                    jsonschema::draft202012::new(&m["schema"]).unwrap()
                };
                assert_valid(&v, ex, &format!("{what} {media}"));
                count += 1;
            }
        }
    };
    for (name, resp) in spec["components"]["responses"].as_object().unwrap() {
        check(&resp["content"], &format!("components/responses/{name}"));
    }
    for (method, path, op) in operations(&spec) {
        for (status, resp) in op["responses"].as_object().unwrap() {
            check(&resp["content"], &format!("{method} {path} {status}"));
        }
    }
    assert!(count >= 15, "only {count} response examples were checked");
}

#[test]
fn real_views_and_problems_match_the_documented_schemas() {
    let spec = spec();
    let full: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api/monitor_create_full.json")).unwrap()).unwrap();
    for body in [full, json!({"name": "Shop", "url": "https://shop.example.com/"})] {
        let m = validate_new_monitor(&body, "mon_1".into(), &ctx()).unwrap();
        assert_valid(
            &schema_for(&spec, "#/components/schemas/Monitor"),
            &monitor_view(&m),
            "monitor_view",
        );
    }
    let list = list_view(
        vec![monitor_view(
            &validate_new_monitor(&json!({"name": "S", "url": "https://s.example/"}), "mon_2".into(), &ctx()).unwrap(),
        )],
        Some(&Cursor {
            sort_key: 5,
            id: "mon_2".into(),
        }),
    );
    assert_valid(&schema_for(&spec, "#/components/schemas/MonitorList"), &list, "list_view");
    let wh: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api/channel_create_webhook.json")).unwrap()).unwrap();
    let c = validate_new_channel(&wh, "ch_1".into(), &ctx()).unwrap();
    assert_valid(
        &schema_for(&spec, "#/components/schemas/Channel"),
        &channel_view(&c),
        "channel_view",
    );
    let errs = validate_new_monitor(&json!({"url": 1, "x": 2}), "mon_1".into(), &ctx()).unwrap_err();
    let problem: Value = serde_json::from_str(&Problem::validation(errs).with_instance("/api/v1/monitors").to_json()).unwrap();
    assert_valid(&schema_for(&spec, "#/components/schemas/Problem"), &problem, "validation problem");
}

/// Bodies the validator refuses that the schema must refuse too (the schema cannot express
/// everything, e.g. target policy or regions_to_agree <= regions, so those are not listed).
#[test]
fn schema_and_validator_agree_on_bad_bodies() {
    let spec = spec();
    let create = schema_for(&spec, "#/components/schemas/MonitorCreate");
    let bad = [
        json!({"name": "x"}),
        json!({"name": "", "url": "https://a.example/"}),
        json!({"name": "x", "url": "https://a.example/", "interval_seconds": 29}),
        json!({"name": "x", "url": "https://a.example/", "timeout_ms": 30_001}),
        json!({"name": "x", "url": "https://a.example/", "method": "POST"}),
        json!({"name": "x", "url": "https://a.example/", "slug": "Bad"}),
        json!({"name": "x", "url": "https://a.example/", "origin": {"host": "o.example", "port": 25}}),
        json!({"name": "x", "url": "https://a.example/", "headers": {"Host": "y"}}),
        json!({"name": "x", "url": "https://a.example/", "expect": {"statuses": []}}),
        json!({"name": "x", "url": "https://a.example/", "regions": ["weur", "weur"]}),
        json!({"name": "x", "url": "https://a.example/", "colour": "red"}),
    ];
    for body in bad {
        assert!(!create.is_valid(&body), "schema accepts {body}");
        assert!(
            validate_new_monitor(&body, "mon_1".into(), &ctx()).is_err(),
            "validator accepts {body}"
        );
    }
    let channel = schema_for(&spec, "#/components/schemas/ChannelCreate");
    for body in [
        json!({"name": "w", "kind": "webhook", "url": "https://h.example/"}),
        json!({"name": "w", "kind": "webhook", "url": "https://h.example/", "secret": "plain"}),
        json!({"name": "p", "kind": "pagerduty", "secret": "short"}),
        json!({"name": "s", "kind": "slack"}),
        json!({"name": "s", "kind": "email", "url": "https://h.example/"}),
    ] {
        assert!(!channel.is_valid(&body), "schema accepts {body}");
        assert!(
            validate_new_channel(&body, "ch_1".into(), &ctx()).is_err(),
            "validator accepts {body}"
        );
    }
}

#[test]
fn documented_bounds_match_the_code() {
    let spec = spec();
    let props = &spec["components"]["schemas"]["MonitorCreate"]["properties"];
    let bounds = |v: &Value| (v["minimum"].as_u64().unwrap(), v["maximum"].as_u64().unwrap());
    assert_eq!(bounds(&props["interval_seconds"]), INTERVAL_SECONDS_RANGE);
    assert_eq!(bounds(&props["timeout_ms"]), TIMEOUT_MS_RANGE);
    assert_eq!(props["interval_seconds"]["default"], DEFAULT_INTERVAL_SECONDS);
    assert_eq!(props["timeout_ms"]["default"], DEFAULT_TIMEOUT_MS);
    let conf = &props["confirmation"]["properties"];
    assert_eq!(bounds(&conf["recheck_delay_seconds"]), RECHECK_SECONDS_RANGE);
    assert_eq!(bounds(&conf["recovery_rounds"]), RECOVERY_ROUNDS_RANGE);
    assert_eq!(bounds(&conf["flap_threshold"]), FLAP_THRESHOLD_RANGE);
    assert_eq!(bounds(&conf["flap_window_minutes"]), FLAP_WINDOW_MINUTES_RANGE);
    assert_eq!(bounds(&conf["sustained_down_rounds"]), SUSTAINED_DOWN_ROUNDS_RANGE);
    assert_eq!(props["tags"]["maxItems"], TAGS_MAX);
    assert_eq!(props["channels"]["maxItems"], CHANNELS_MAX);
    let limit = &spec["components"]["parameters"]["Limit"]["schema"];
    assert_eq!(bounds(limit), PAGE_LIMIT_RANGE);
    assert_eq!(limit["default"], PAGE_LIMIT_DEFAULT);
}

#[test]
fn embedded_document_is_the_schema_file() {
    let embedded: Value = serde_json::from_str(edgeprobe_web::routes::OPENAPI_JSON).expect("embedded JSON");
    assert_eq!(embedded, spec());
}

/// Issue 10 (security): the schema states the port, header and header-value rules the
/// validator applies, with the same list of refused ports.
#[test]
fn schema_documents_the_security_rules() {
    let spec = spec();
    let port = &spec["components"]["schemas"]["MonitorCreate"]["properties"]["origin"]["properties"]["port"];
    let documented: Vec<u64> = port["not"]["enum"]
        .as_array()
        .expect("refused ports")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let code: Vec<u64> = target::REFUSED_PORTS.iter().filter(|p| **p != 0).map(|p| *p as u64).collect();
    assert_eq!(documented, code, "port 0 is below the minimum; the rest must be listed");

    let create = schema_for(&spec, "#/components/schemas/MonitorCreate");
    let base = || json!({"name": "x", "url": "https://a.example/"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    for body in [
        with("origin", json!({"host": "o.example", "port": 6379})),
        with("origin", json!({"host": "o.example", "port": 22})),
        with("headers", json!({"TE": "trailers"})),
        with("headers", json!({"upgrade": "h2c"})),
        with("headers", json!({"Keep-Alive": "timeout=5"})),
        with("headers", json!({"Proxy-Authorization": "Basic eA=="})),
        with("headers", json!({"x-a": "café"})),
        with("headers", json!({"x-a": "a\tb"})),
        with("headers", json!({"x-a": " padded"})),
    ] {
        assert!(!create.is_valid(&body), "schema accepts {body}");
        assert!(
            validate_new_monitor(&body, "mon_1".into(), &ctx()).is_err(),
            "validator accepts {body}"
        );
    }
    for body in [
        with("origin", json!({"host": "o.example", "port": 8443})),
        with(
            "headers",
            json!({"Accept": "text/html, */*;q=0.8", "X-Token": "a b", "X-Empty": ""}),
        ),
    ] {
        assert!(create.is_valid(&body), "schema refuses {body}");
        assert!(
            validate_new_monitor(&body, "mon_1".into(), &ctx()).is_ok(),
            "validator refuses {body}"
        );
    }
}

/// Every object member a schema documents, as JSON Pointers (array items as index 0),
/// following `$ref`s into `components/schemas`.
fn member_pointers(spec: &Value, schema: &Value, base: &str, out: &mut Vec<String>) {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &spec["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    if let Some(props) = schema["properties"].as_object() {
        for (k, v) in props {
            let p = format!("{base}/{k}");
            out.push(p.clone());
            member_pointers(spec, v, &p, out);
        }
    }
    if schema["items"].is_object() {
        member_pointers(spec, &schema["items"], &format!("{base}/0"), out);
    }
}

/// `body` with the member at `pointer` set to null (its parents must exist in `body`).
fn with_null(body: &Value, pointer: &str) -> Option<Value> {
    let mut v = body.clone();
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)?.as_object_mut()?.insert(last.to_string(), Value::Null);
    Some(v)
}

/// The smallest merge patch that sets `pointer` to null: objects along the way, and for an
/// array the source's whole array (arrays are replaced, not merged) with the member nulled.
fn patch_setting_null(source: &Value, pointer: &str) -> Option<Value> {
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    if let Some(i) = segs.iter().position(|s| s.parse::<usize>().is_ok()) {
        let array_ptr = format!("/{}", segs[..i].join("/"));
        let array = with_null(&source.pointer(&array_ptr)?.clone(), &format!("/{}", segs[i..].join("/")))?;
        let mut patch = array;
        for s in segs[..i].iter().rev() {
            patch = json!({ *s: patch });
        }
        return Some(patch);
    }
    let mut patch = Value::Null;
    for s in segs.iter().rev() {
        patch = json!({ *s: patch });
    }
    Some(patch)
}

/// `null` is accepted exactly where the schemas say a member is nullable, for creates and
/// patches of monitors and channels: the validator and the documentation agree member by member.
#[test]
fn null_is_accepted_exactly_where_documented() {
    let spec = spec();
    let full: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api/monitor_create_full.json")).unwrap()).unwrap();
    let webhook: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api/channel_create_webhook.json")).unwrap()).unwrap();
    let pagerduty = json!({"name": "Pager", "kind": "pagerduty", "secret": "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"});
    let slack = json!({"name": "Slack", "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/X"});
    let mut mismatches = Vec::new();
    let mut checked = 0;

    // Creates: a member is nullable when, on some valid body of the schema (for channels the
    // kind decides whether a secret is needed), null is documented / accepted.
    let create = |schema: &str, bases: &[&Value], validate: &dyn Fn(&Value) -> bool, mismatches: &mut Vec<String>, checked: &mut i32| {
        let validator = schema_for(&spec, &format!("#/components/schemas/{schema}"));
        let mut ptrs = Vec::new();
        member_pointers(&spec, &spec["components"]["schemas"][schema], "", &mut ptrs);
        for p in ptrs {
            let bodies: Vec<Value> = bases.iter().filter_map(|b| with_null(b, &p)).collect();
            if bodies.is_empty() {
                continue;
            }
            let documented = bodies.iter().any(|b| validator.is_valid(b));
            let served = bodies.iter().any(validate);
            *checked += 1;
            if documented != served {
                mismatches.push(format!("{schema} {p}: null documented {documented}, accepted {served}"));
            }
        }
    };
    create(
        "MonitorCreate",
        &[&full],
        &|b| validate_new_monitor(b, "mon_1".into(), &ctx()).is_ok(),
        &mut mismatches,
        &mut checked,
    );
    create(
        "ChannelCreate",
        &[&webhook, &pagerduty, &slack],
        &|b| validate_new_channel(b, "ch_1".into(), &ctx()).is_ok(),
        &mut mismatches,
        &mut checked,
    );

    // Patches: null is "back to the default"; a member is nullable when some stored resource
    // takes it (for channels the default can depend on the kind: url only for pagerduty).
    let monitor = validate_new_monitor(&full, "mon_1".into(), &ctx()).unwrap();
    let channels: Vec<Channel> = [&webhook, &pagerduty, &slack]
        .iter()
        .map(|b| validate_new_channel(b, "ch_1".into(), &ctx()).unwrap())
        .collect();
    for (schema, source) in [("MonitorPatch", &full), ("ChannelPatch", &webhook)] {
        let validator = schema_for(&spec, &format!("#/components/schemas/{schema}"));
        let mut ptrs = Vec::new();
        member_pointers(&spec, &spec["components"]["schemas"][schema], "", &mut ptrs);
        for p in ptrs {
            let Some(patch) = patch_setting_null(source, &p) else { continue };
            let documented = validator.is_valid(&patch);
            let served = if schema == "MonitorPatch" {
                apply_monitor_patch(&monitor, &patch, &ctx()).is_ok()
            } else {
                channels.iter().any(|c| apply_channel_patch(c, &patch, &ctx()).is_ok())
            };
            checked += 1;
            if documented != served {
                mismatches.push(format!("{schema} {p} ({patch}): null documented {documented}, accepted {served}"));
            }
        }
    }
    assert!(checked >= 60, "only {checked} members checked");
    assert!(
        mismatches.is_empty(),
        "documentation and validator disagree:\n  {}",
        mismatches.join("\n  ")
    );
}

/// What the router answers besides the documented operations is documented too: 405 with
/// Allow, 501 for unknown methods, and every problem type the API can produce.
#[test]
fn routing_answers_and_problem_types_are_documented() {
    use edgeprobe_web::problem::ApiError;
    use edgeprobe_web::routes::{match_route, RouteMatch};
    let spec = spec();
    let responses = &spec["components"]["responses"];
    assert!(responses["MethodNotAllowed"]["headers"]["Allow"].is_object());
    assert_eq!(
        responses["MethodNotAllowed"]["content"]["application/problem+json"]["example"]["status"],
        405
    );
    assert_eq!(
        responses["NotImplemented"]["content"]["application/problem+json"]["example"]["status"],
        501
    );
    for route in ROUTES {
        assert!(matches!(
            match_route("PUT", route.path),
            RouteMatch::MethodNotAllowed { .. } | RouteMatch::Found(..)
        ));
        assert_eq!(match_route("QUERY", route.path), RouteMatch::NotImplemented, "{}", route.path);
    }
    let described = spec["components"]["schemas"]["Problem"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    let errors = [
        ApiError::Validation(vec![]),
        ApiError::MalformedJson { line: 1, column: 1 },
        ApiError::PayloadTooLarge { limit_bytes: 1 },
        ApiError::UnsupportedMediaType,
        ApiError::Unauthorized,
        ApiError::MethodNotAllowed { method: "PUT".into() },
        ApiError::MethodNotImplemented { method: "QUERY".into() },
        ApiError::Conflict { detail: String::new() },
        ApiError::SlugTaken { slug: "s".into() },
        ApiError::ChannelInUse {
            channel_id: "ch".into(),
            monitors: vec![],
        },
        ApiError::PreconditionFailed { detail: String::new() },
        ApiError::RouteNotFound,
        ApiError::Unavailable { log_detail: String::new() },
        ApiError::Internal { log_detail: String::new() },
    ];
    for e in errors {
        let p = e.to_problem();
        let kind = p.type_uri.rsplit('/').next().unwrap().to_string();
        assert!(
            described.contains(&format!("{kind} ({})", p.status)),
            "problem type {kind} ({}) is not documented",
            p.status
        );
    }
    assert!(described.contains("bad-request (400"), "the badges' 400 problem type");
    // Every operation that can answer 412/409 for a write documents it; ETags where served.
    let ops = operations(&spec);
    let op = |id: &str| ops.iter().find(|(_, _, o)| o["operationId"] == id).map(|(_, _, o)| *o).unwrap();
    for id in ["getMonitor", "updateMonitor", "getChannel", "updateChannel"] {
        let ok = op(id)["responses"]["200"]["headers"]["ETag"].is_object();
        assert!(ok, "{id} documents its ETag");
    }
    for id in ["createMonitor", "createChannel"] {
        assert!(op(id)["responses"]["201"]["headers"]["ETag"].is_object(), "{id} documents its ETag");
    }
    for id in ["updateMonitor", "updateChannel"] {
        assert!(op(id)["responses"]["412"].is_object(), "{id} documents 412");
        assert!(
            op(id)["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["$ref"] == "#/components/parameters/IfMatch"),
            "{id} documents If-Match"
        );
    }
    assert_eq!(
        op("deleteChannel")["responses"]["409"]["$ref"],
        "#/components/responses/ChannelInUse"
    );
    for id in ["getBadgeSvg", "getBadgeJson"] {
        assert!(op(id)["responses"]["400"].is_object(), "{id} documents 400");
    }
    let html_404 = &op("getMonitorStatusPage")["responses"]["404"]["content"];
    assert!(html_404["text/html"].is_object(), "the status page's 404 is HTML");
    assert!(op("getBadgeSvg")["responses"]["404"]["content"]["image/svg+xml"].is_object());
}
