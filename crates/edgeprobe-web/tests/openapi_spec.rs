//! `schema/openapi.json` agrees with the code: the same routes as `core::routes::ROUTES`,
//! `components/schemas` generated from the view types (`edgeprobe_web::views`; regenerate with
//! `cargo run -p edgeprobe-web --example gen_openapi`), request examples that pass both their
//! JSON Schema and the real validators, response examples and real views that match their
//! schemas, and schemas that are valid JSON Schema (draft 2020-12, the dialect of OpenAPI
//! 3.1), checked with the `jsonschema` crate.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/gen_openapi.rs"]
mod gen_openapi;

use std::collections::BTreeSet;

use edgeprobe_core::monitor::{Channel, Monitor};
use edgeprobe_web::problem::{FieldError, Problem};
use edgeprobe_web::routes::ROUTES;
use edgeprobe_web::validate::limits::*;
use edgeprobe_web::validate::*;
use edgeprobe_web::views::*;
use serde_json::{json, Value};

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "patch", "delete", "head", "options", "trace",
];

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schema/openapi.json"
    ))
    .expect("schema/openapi.json");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

fn ctx() -> ValidationContext {
    ValidationContext {
        allowed_regions: [
            "wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me",
        ]
        .map(String::from)
        .to_vec(),
        default_regions: ["wnam", "weur", "apac"].map(String::from).to_vec(),
        allow_private_targets: false,
        tick_seconds: 5,
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
    jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("{pointer} does not compile: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
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
    assert_eq!(
        spec["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let documented: BTreeSet<(String, String)> = operations(&spec)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "undocumented routes: {missing:?}\ndocumented but not served: {extra:?}"
    );
    for (method, path, op) in operations(&spec) {
        let route = ROUTES
            .iter()
            .find(|r| r.method == method && r.path == path)
            .expect("route");
        assert_eq!(op["operationId"], route.operation_id, "{method} {path}");
        let public = op.get("security") == Some(&json!([]));
        assert_eq!(
            public, !route.auth,
            "{method} {path}: security must match Route::auth"
        );
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
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
        validate_new_monitor(
            &json!({"name": "Base", "url": "https://shop.example.com/"}),
            "mon_1".into(),
            &ctx(),
        )
        .unwrap()
    };
    let base_channel = || -> Channel {
        let fixture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/channel_create_webhook.json"
        ))
        .unwrap();
        validate_new_channel(
            &serde_json::from_str(&fixture).unwrap(),
            "ch_1".into(),
            &ctx(),
        )
        .unwrap()
    };
    match operation_id {
        "createMonitor" | "dryRunCheck" => {
            validate_new_monitor(body, "mon_1".into(), &ctx()).map(drop)
        }
        "updateMonitor" => apply_monitor_patch(&base_monitor(), body, &ctx()).map(drop),
        "createChannel" => validate_new_channel(body, "ch_1".into(), &ctx()).map(drop),
        "updateChannel" => apply_channel_patch(&base_channel(), body, &ctx()).map(drop),
        "createIncident" => validate_new_incident(body).map(drop),
        "postIncidentUpdate" => validate_update(body).map(drop),
        "createMaintenanceWindow" => validate_new_window(body).map(drop),
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
            let validator = schema_for(
                &spec,
                m["schema"]["$ref"]
                    .as_str()
                    .expect("request schemas are $refs"),
            );
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
    let expected: BTreeSet<String> = [
        "createMonitor",
        "updateMonitor",
        "createChannel",
        "updateChannel",
        "dryRunCheck",
        "createIncident",
        "postIncidentUpdate",
        "createMaintenanceWindow",
    ]
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
    let full: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/monitor_create_full.json"
        ))
        .unwrap(),
    )
    .unwrap();
    for body in [
        full,
        json!({"name": "Shop", "url": "https://shop.example.com/"}),
    ] {
        let m = validate_new_monitor(&body, "mon_1".into(), &ctx()).unwrap();
        assert_valid(
            &schema_for(&spec, "#/components/schemas/Monitor"),
            &monitor_view(&m),
            "monitor_view",
        );
    }
    let listed = validate_new_monitor(
        &json!({"name": "S", "url": "https://s.example/"}),
        "mon_2".into(),
        &ctx(),
    )
    .unwrap();
    let list = MonitorList::new(
        vec![MonitorListItem::new(&listed, None)],
        Some(&Cursor {
            sort_key: 5,
            id: "mon_2".into(),
        }),
    );
    assert_valid(
        &schema_for(&spec, "#/components/schemas/MonitorList"),
        &serde_json::to_value(&list).unwrap(),
        "MonitorList",
    );
    let wh: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/channel_create_webhook.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let c = validate_new_channel(&wh, "ch_1".into(), &ctx()).unwrap();
    assert_valid(
        &schema_for(&spec, "#/components/schemas/Channel"),
        &channel_view(&c),
        "channel_view",
    );
    let errs =
        validate_new_monitor(&json!({"url": 1, "x": 2}), "mon_1".into(), &ctx()).unwrap_err();
    let problem: Value = serde_json::from_str(
        &Problem::validation(errs)
            .with_instance("/api/v1/monitors")
            .to_json(),
    )
    .unwrap();
    assert_valid(
        &schema_for(&spec, "#/components/schemas/Problem"),
        &problem,
        "validation problem",
    );
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
    let bounds = |v: &Value| {
        (
            v["minimum"].as_u64().unwrap(),
            v["maximum"].as_u64().unwrap(),
        )
    };
    assert_eq!(bounds(&props["interval_seconds"]), INTERVAL_SECONDS_RANGE);
    assert_eq!(bounds(&props["timeout_ms"]), TIMEOUT_MS_RANGE);
    assert_eq!(
        props["interval_seconds"]["default"],
        DEFAULT_INTERVAL_SECONDS
    );
    assert_eq!(props["timeout_ms"]["default"], DEFAULT_TIMEOUT_MS);
    let conf = &props["confirmation"]["properties"];
    assert_eq!(
        bounds(&conf["recheck_delay_seconds"]),
        RECHECK_SECONDS_RANGE
    );
    assert_eq!(bounds(&conf["recovery_rounds"]), RECOVERY_ROUNDS_RANGE);
    assert_eq!(bounds(&conf["flap_threshold"]), FLAP_THRESHOLD_RANGE);
    assert_eq!(
        bounds(&conf["flap_window_minutes"]),
        FLAP_WINDOW_MINUTES_RANGE
    );
    assert_eq!(
        bounds(&conf["sustained_down_rounds"]),
        SUSTAINED_DOWN_ROUNDS_RANGE
    );
    assert_eq!(props["tags"]["maxItems"], TAGS_MAX);
    assert_eq!(props["channels"]["maxItems"], CHANNELS_MAX);
    let limit = &spec["components"]["parameters"]["Limit"]["schema"];
    assert_eq!(bounds(limit), PAGE_LIMIT_RANGE);
    assert_eq!(limit["default"], PAGE_LIMIT_DEFAULT);
}

#[test]
fn embedded_document_is_the_schema_file() {
    let embedded: Value =
        serde_json::from_str(edgeprobe_web::routes::OPENAPI_JSON).expect("embedded JSON");
    assert_eq!(embedded, spec());
}

/// Issue 10 (security): the schema states the port, header and header-value rules the
/// validator applies, with the same list of refused ports.
#[test]
fn schema_documents_the_security_rules() {
    let spec = spec();
    let port = &spec["components"]["schemas"]["MonitorCreate"]["properties"]["origin"]
        ["properties"]["port"];
    let documented: Vec<u64> = port["not"]["enum"]
        .as_array()
        .expect("refused ports")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let code: Vec<u64> = target::REFUSED_PORTS
        .iter()
        .filter(|p| **p != 0)
        .map(|p| *p as u64)
        .collect();
    assert_eq!(
        documented, code,
        "port 0 is below the minimum; the rest must be listed"
    );

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
    v.pointer_mut(parent)?
        .as_object_mut()?
        .insert(last.to_string(), Value::Null);
    Some(v)
}

/// The smallest merge patch that sets `pointer` to null: objects along the way, and for an
/// array the source's whole array (arrays are replaced, not merged) with the member nulled.
fn patch_setting_null(source: &Value, pointer: &str) -> Option<Value> {
    let segs: Vec<&str> = pointer.split('/').skip(1).collect();
    if let Some(i) = segs.iter().position(|s| s.parse::<usize>().is_ok()) {
        let array_ptr = format!("/{}", segs[..i].join("/"));
        let array = with_null(
            &source.pointer(&array_ptr)?.clone(),
            &format!("/{}", segs[i..].join("/")),
        )?;
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
    let full: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/monitor_create_full.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let webhook: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/api/channel_create_webhook.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let pagerduty =
        json!({"name": "Pager", "kind": "pagerduty", "secret": "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"});
    let slack = json!({"name": "Slack", "kind": "slack", "url": "https://hooks.slack.com/services/T0/B0/X"});
    let mut mismatches = Vec::new();
    let mut checked = 0;

    // Creates: a member is nullable when, on some valid body of the schema (for channels the
    // kind decides whether a secret is needed), null is documented / accepted.
    let create = |schema: &str,
                  bases: &[&Value],
                  validate: &dyn Fn(&Value) -> bool,
                  mismatches: &mut Vec<String>,
                  checked: &mut i32| {
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
                mismatches.push(format!(
                    "{schema} {p}: null documented {documented}, accepted {served}"
                ));
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
            let Some(patch) = patch_setting_null(source, &p) else {
                continue;
            };
            let documented = validator.is_valid(&patch);
            let served = if schema == "MonitorPatch" {
                apply_monitor_patch(&monitor, &patch, &ctx()).is_ok()
            } else {
                channels
                    .iter()
                    .any(|c| apply_channel_patch(c, &patch, &ctx()).is_ok())
            };
            checked += 1;
            if documented != served {
                mismatches.push(format!(
                    "{schema} {p} ({patch}): null documented {documented}, accepted {served}"
                ));
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
        assert_eq!(
            match_route("QUERY", route.path),
            RouteMatch::NotImplemented,
            "{}",
            route.path
        );
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
        ApiError::MethodNotAllowed {
            method: "PUT".into(),
        },
        ApiError::MethodNotImplemented {
            method: "QUERY".into(),
        },
        ApiError::Conflict {
            detail: String::new(),
        },
        ApiError::SlugTaken { slug: "s".into() },
        ApiError::ChannelInUse {
            channel_id: "ch".into(),
            monitors: vec![],
        },
        ApiError::PreconditionFailed {
            detail: String::new(),
        },
        ApiError::RouteNotFound,
        ApiError::Unavailable {
            log_detail: String::new(),
        },
        ApiError::Internal {
            log_detail: String::new(),
        },
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
    assert!(
        described.contains("bad-request (400"),
        "the badges' 400 problem type"
    );
    // Every operation that can answer 412/409 for a write documents it; ETags where served.
    let ops = operations(&spec);
    let op = |id: &str| {
        ops.iter()
            .find(|(_, _, o)| o["operationId"] == id)
            .map(|(_, _, o)| *o)
            .unwrap()
    };
    for id in ["getMonitor", "updateMonitor", "getChannel", "updateChannel"] {
        let ok = op(id)["responses"]["200"]["headers"]["ETag"].is_object();
        assert!(ok, "{id} documents its ETag");
    }
    for id in ["createMonitor", "createChannel"] {
        assert!(
            op(id)["responses"]["201"]["headers"]["ETag"].is_object(),
            "{id} documents its ETag"
        );
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
    assert!(
        html_404["text/html"].is_object(),
        "the status page's 404 is HTML"
    );
    assert!(op("getBadgeSvg")["responses"]["404"]["content"]["image/svg+xml"].is_object());
}

/// The committed `components/schemas` are exactly what the view types generate, and nothing
/// else in the document is touched by generating them.
#[test]
fn committed_components_equal_the_generated_ones() {
    let committed = std::fs::read_to_string(gen_openapi::PATH).expect("schema/openapi.json");
    let generated = gen_openapi::regenerate(&committed).unwrap_or_else(|e| panic!("{e}"));
    if generated != committed {
        let stale: Vec<String> = {
            let (c, g): (Value, Value) = (
                serde_json::from_str(&committed).unwrap(),
                serde_json::from_str(&generated).unwrap(),
            );
            let names: BTreeSet<&String> = c["components"]["schemas"]
                .as_object()
                .unwrap()
                .keys()
                .chain(g["components"]["schemas"].as_object().unwrap().keys())
                .collect();
            names
                .into_iter()
                .filter(|n| {
                    c["components"]["schemas"][n.as_str()] != g["components"]["schemas"][n.as_str()]
                })
                .cloned()
                .collect()
        };
        panic!(
            "schema/openapi.json's components/schemas differ from the view types (schemas: {stale:?}).\n\
             Regenerate with: cargo run -p edgeprobe-web --example gen_openapi"
        );
    }
    let doc: Value = serde_json::from_str(&committed).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, _) in edgeprobe_web::views::openapi::component_schemas() {
        assert!(schemas.contains_key(&name), "{name}");
    }
    for name in edgeprobe_web::views::openapi::HAND_WRITTEN {
        assert!(schemas.contains_key(name), "hand-written {name}");
    }
}

/// Every `$ref` of the document names a component that exists.
#[test]
fn every_reference_resolves() {
    fn walk(v: &Value, doc: &Value, at: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    let ok = r
                        .strip_prefix('#')
                        .is_some_and(|p| doc.pointer(p).is_some());
                    if !ok {
                        bad.push(format!("{at}: {r}"));
                    }
                }
                m.iter()
                    .for_each(|(k, x)| walk(x, doc, &format!("{at}/{k}"), bad));
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, doc, &format!("{at}/{i}"), bad)),
            _ => {}
        }
    }
    let spec = spec();
    let mut bad = Vec::new();
    walk(&spec, &spec, "", &mut bad);
    assert!(
        bad.is_empty(),
        "dangling references:\n  {}",
        bad.join("\n  ")
    );
}

/// Which type each operation's success body is (as its handler in `src/api` serializes it),
/// and the schema the document names for it: the document's response schema is the type's
/// generated schema. Bodies that are not views (HTML, SVG, the document itself, hand-written
/// schemas) are listed by schema name.
#[test]
fn operations_document_the_schema_of_the_type_they_serve() {
    use schemars::JsonSchema;
    let spec = spec();
    let served: &[(&str, &str, String)] = &[
        ("getHealth", "200", ServiceHealth::schema_name()),
        ("getHealth", "503", ServiceHealth::schema_name()),
        ("listMonitors", "200", MonitorList::schema_name()),
        ("createMonitor", "201", MonitorView::schema_name()),
        ("getMonitor", "200", MonitorView::schema_name()),
        ("updateMonitor", "200", MonitorView::schema_name()),
        ("getMonitorStatus", "200", StatusView::schema_name()),
        ("listMonitorResults", "200", RoundList::schema_name()),
        ("listMonitorIncidents", "200", IncidentList::schema_name()),
        ("getIncident", "200", AnyIncident::schema_name()),
        ("createIncident", "201", ManualIncidentView::schema_name()),
        ("postIncidentUpdate", "201", AnyIncident::schema_name()),
        (
            "listMaintenanceWindows",
            "200",
            MaintenanceWindowList::schema_name(),
        ),
        (
            "createMaintenanceWindow",
            "201",
            MaintenanceWindowItem::schema_name(),
        ),
        (
            "createMaintenanceWindow",
            "200",
            MaintenanceWindowItem::schema_name(),
        ),
        ("listMonitorRollups", "200", RollupList::schema_name()),
        ("checkMonitorNow", "200", RoundView::schema_name()),
        ("dryRunCheck", "200", RoundView::schema_name()),
        ("listChannels", "200", ChannelList::schema_name()),
        ("createChannel", "201", ChannelCreated::schema_name()),
        (
            "rotateChannelSecret",
            "200",
            ChannelWithSecret::schema_name(),
        ),
        ("getChannel", "200", ChannelView::schema_name()),
        ("updateChannel", "200", ChannelView::schema_name()),
        ("testChannel", "202", Accepted::schema_name()),
        ("listChannelDeliveries", "200", DeliveryList::schema_name()),
        ("getDelivery", "200", DeliveryDetail::schema_name()),
        ("redriveDelivery", "202", Accepted::schema_name()),
        (
            "getMetrics",
            "200",
            edgeprobe_core::meter::Report::schema_name(),
        ),
        (
            "resetMetrics",
            "200",
            edgeprobe_core::meter::Report::schema_name(),
        ),
        // Hand-written (views::openapi::HAND_WRITTEN).
        ("getBadgeJson", "200", "BadgeEndpoint".into()),
    ];
    let ops = operations(&spec);
    let mut json_bodies = 0;
    for (_, _, op) in &ops {
        for (status, resp) in op["responses"].as_object().unwrap() {
            if let Some(r) = resp["content"]["application/json"]["schema"]["$ref"].as_str() {
                json_bodies += 1;
                let id = op["operationId"].as_str().unwrap();
                let expected = served
                    .iter()
                    .find(|(o, s, _)| *o == id && s == status)
                    .unwrap_or_else(|| {
                        panic!("{id} {status}: which type does its handler serialize? add it here")
                    });
                assert_eq!(
                    r,
                    format!("#/components/schemas/{}", expected.2),
                    "{id} {status}"
                );
            }
        }
    }
    assert_eq!(
        json_bodies,
        served.len(),
        "every listed operation documents its body"
    );
}

/// Views built from real core data (a diagnosed round, its observations, the status document,
/// an incident, rollups, a test alert's delivery) validate against the generated schemas, as
/// serialized by serde for the wire.
#[test]
fn served_views_match_their_generated_schemas() {
    use edgeprobe_core::alerting::alert::channel_test_alert;
    use edgeprobe_core::alerting::{Incident, TimelineEvent, TimelineKind};
    use edgeprobe_core::diagnosis::Verdict;
    use edgeprobe_core::rollup::{rollup, samples_from_round, Granularity};
    use edgeprobe_core::round::{current_status, observation_rows};
    use edgeprobe_testkit::builders::{self, Round, T0};
    use schemars::JsonSchema;

    let spec = spec();
    let check = |name: String, body: Value, what: &str| {
        assert_valid(
            &schema_for(&spec, &format!("#/components/schemas/{name}")),
            &body,
            what,
        );
    };
    let v = |x: &dyn erased::Ser| x.value();
    let mut m = builders::monitor();
    m.origin = Some(edgeprobe_core::monitor::OriginTarget {
        host: "origin.example.com".into(),
        port: 8443,
        scheme: edgeprobe_core::monitor::Scheme::Https,
        tls: Default::default(),
    });
    let mut checked = 0;
    for round in [
        Round::Healthy,
        Round::Fail(Verdict::OriginTimeout, &["weur"]),
        Round::FailRestUnanswered(Verdict::OriginRefused, &["enam"]),
        Round::NoAnswer,
    ] {
        let d = builders::diagnosis(round);
        let reports = builders::reports(round, T0);
        let status = current_status(&m, &d, &reports, "rnd_1", T0);
        let item = MonitorListItem::new(&m, Some(&status));
        assert_eq!(item.verdict, Some(d.verdict));
        check(
            MonitorList::schema_name(),
            v(&MonitorList::new(vec![item], None)),
            "monitor list with health",
        );
        check(
            StatusView::schema_name(),
            v(&StatusView::probed(status)),
            "status",
        );
        let observations: Vec<ObservationView> = observation_rows(&m, &reports)
            .into_iter()
            .map(|o| ObservationView {
                region: o.region,
                path: edgeprobe_core::round::path_column(o.path).to_string(),
                at: Some(Rfc3339(T0)),
                ok: o.ok,
                latency_ms: o.latency_ms.map(i64::from),
                colo: o.colo,
                data: o.data,
            })
            .collect();
        let diagnosis_text = serde_json::to_string(&d).unwrap();
        let rounds = RoundList::new(
            vec![
                RoundView {
                    id: "rnd_1".into(),
                    monitor_id: m.id.clone(),
                    kind: "scheduled".into(),
                    scheduled_for: Some(Rfc3339(T0)),
                    started_at: Rfc3339(T0),
                    finished_at: Some(Rfc3339(T0 + 900)),
                    verdict: Some(d.verdict.as_str().into()),
                    severity: Some("critical".into()),
                    diagnosis: Some(StoredDiagnosis::parse(&diagnosis_text)),
                    observations,
                },
                RoundView {
                    id: "rnd_0".into(),
                    monitor_id: m.id.clone(),
                    kind: "missed".into(),
                    scheduled_for: Some(Rfc3339(T0 - 60_000)),
                    started_at: Rfc3339(T0 - 60_000),
                    finished_at: Some(Rfc3339(T0)),
                    verdict: None,
                    severity: None,
                    diagnosis: None,
                    observations: vec![],
                },
            ],
            Some(&Cursor {
                sort_key: T0 - 60_000,
                id: "rnd_0".into(),
            }),
        );
        assert!(matches!(
            rounds.items[0].diagnosis,
            Some(StoredDiagnosis::Diagnosis(_))
        ));
        check(RoundList::schema_name(), v(&rounds), "rounds");
        let samples = samples_from_round(&m.id, &reports, &m.expect, T0);
        let rollups = RollupList {
            items: rollup(&samples, Granularity::Hour)
                .iter()
                .map(RollupView::from)
                .collect(),
        };
        assert_eq!(
            rollups.items.is_empty(),
            matches!(round, Round::NoAnswer),
            "rollups of a round where some region answered"
        );
        check(RollupList::schema_name(), v(&rollups), "rollups");
        checked += 1;
    }
    check(
        StatusView::schema_name(),
        v(&StatusView::never_probed(&m)),
        "never probed",
    );
    assert_eq!(
        v(&StatusView::never_probed(&m)),
        json!({"monitor_id": m.id, "slug": m.slug, "name": m.name, "public": m.public, "health": "unknown", "never_probed": true, "updated_at": null})
    );

    let d = builders::diagnosis(Round::Fail(Verdict::OriginTimeout, &["weur", "apac"]));
    let event = |kind, at| TimelineEvent {
        at,
        kind,
        verdict: d.verdict,
        summary: d.summary(),
        regions: d.affected_regions.clone(),
        round_id: "rnd_1".into(),
    };
    let incident = Incident {
        id: "inc_1".into(),
        monitor_id: m.id.clone(),
        started_at: T0,
        confirmed_at: T0 + 10_000,
        verdict: d.verdict,
        severity: d.severity,
        summary: d.summary(),
        regions: d.affected_regions.clone(),
        timeline: vec![
            event(TimelineKind::Suspected, T0),
            event(TimelineKind::Confirmed, T0 + 10_000),
        ],
    };
    for closed in [None, Some(T0 + 600_000)] {
        let view = IncidentView::new(incident.clone(), T0 + 10_000, closed);
        check(IncidentView::schema_name(), v(&view), "incident");
        // The view is the core's Incident plus the two columns, every time in RFC 3339.
        let mut expected = serde_json::to_value(&incident).unwrap();
        let rfc = |t: i64| json!(edgeprobe_core::time::format_rfc3339(t));
        expected["started_at"] = rfc(T0);
        expected["confirmed_at"] = rfc(T0 + 10_000);
        expected["timeline"][0]["at"] = rfc(T0);
        expected["timeline"][1]["at"] = rfc(T0 + 10_000);
        expected["opened_at"] = rfc(T0 + 10_000);
        expected["closed_at"] = closed.map_or(Value::Null, rfc);
        expected["kind"] = json!("automatic");
        expected["updates"] = json!([]);
        assert_eq!(v(&view), expected);
        // With an operator update, and beside a manual incident in a monitor's list.
        let update = edgeprobe_core::communication::IncidentUpdate {
            id: "upd_1".into(),
            incident_id: "inc_1".into(),
            at: T0 + 60_000,
            state: edgeprobe_core::communication::UpdateState::Identified,
            message: "A fix is rolling out.\nMore soon.".into(),
        };
        let view = view.with_updates(vec![update.clone()]);
        check(AnyIncident::schema_name(), v(&view), "incident with update");
        let (manual, first) = edgeprobe_core::communication::ManualIncident::open(
            "inc_2".into(),
            "upd_2".into(),
            validate_new_incident(&json!({"title": "Emails late", "message": "Looking."})).unwrap(),
            T0,
        );
        let manual = ManualIncidentView::new(manual, vec![first]);
        check(
            ManualIncidentView::schema_name(),
            v(&manual),
            "manual incident",
        );
        check(
            IncidentList::schema_name(),
            v(&IncidentList::new(
                vec![
                    AnyIncident::Automatic(Box::new(view)),
                    AnyIncident::Manual(Box::new(manual)),
                ],
                None,
            )),
            "incidents",
        );
    }
    let window = validate_new_window(&json!({
        "starts_at": "2026-12-24T02:00:00Z",
        "ends_at": "2026-12-24T03:00:00Z",
        "reason": null
    }))
    .unwrap();
    let item = MaintenanceWindowItem::new("mon_1", &window, T0);
    check(MaintenanceWindowItem::schema_name(), v(&item), "window");
    check(
        MaintenanceWindowList::schema_name(),
        v(&MaintenanceWindowList { items: vec![item] }),
        "windows",
    );

    let alert = channel_test_alert("ch_1", "Ops", &builders::links(), T0);
    for (status, next, delivered, error, monitor) in [
        ("pending", Some(T0 + 5_000), None, None, ""),
        ("delivered", None, Some(T0 + 1_000), None, "mon_1"),
        (
            "dead",
            None,
            None,
            Some("HTTP 500 Internal Server Error"),
            "mon_1",
        ),
    ] {
        let row = edgeprobe_web::views::delivery::DeliveryRow {
            id: "dlv_1",
            webhook_id: &alert.id,
            channel_id: "ch_1",
            monitor_id: monitor,
            kind: "test",
            status,
            attempts: 2,
            created_at: T0,
            next_attempt_at: next,
            delivered_at: delivered,
            last_error: error,
        };
        let view = DeliveryView::new(&row);
        assert_eq!(view.monitor_id.is_none(), monitor.is_empty());
        check(
            DeliveryList::schema_name(),
            v(&DeliveryList::new(vec![view.clone()], None)),
            "deliveries",
        );
        let detail = DeliveryDetail {
            delivery: view,
            alert: (&alert).into(),
            attempt_log: vec![
                AttemptView::new(
                    1,
                    T0,
                    Some(500),
                    Some("HTTP 500 Internal Server Error"),
                    120,
                ),
                AttemptView::new(2, T0 + 4_000, None, Some("timeout"), 10_000),
            ],
        };
        check(DeliveryDetail::schema_name(), v(&detail), "delivery");
    }
    check(
        Accepted::schema_name(),
        v(&Accepted::new("dlv_1")),
        "accepted",
    );
    for schema_version in [Some("3".to_string()), None] {
        let health = ServiceHealth {
            service: "edgeprobe",
            version: "0.1.0",
            build: "dev",
            runtime: "local".into(),
            schema_version,
        };
        check(ServiceHealth::schema_name(), v(&health), "health");
    }
    assert_eq!(checked, 4);
}

/// The generated monitor view documents the validator's bounds (it is what a GET returns and
/// what a PATCH sends back).
#[test]
fn the_monitor_view_documents_the_validators_bounds() {
    let spec = spec();
    let s = &spec["components"]["schemas"];
    let bounds = |v: &Value| {
        (
            v["minimum"].as_u64().unwrap(),
            v["maximum"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        bounds(&s["Monitor"]["properties"]["interval_seconds"]),
        INTERVAL_SECONDS_RANGE
    );
    assert_eq!(
        bounds(&s["Monitor"]["properties"]["timeout_ms"]),
        TIMEOUT_MS_RANGE
    );
    assert_eq!(s["Monitor"]["properties"]["tags"]["maxItems"], TAGS_MAX);
    assert_eq!(
        s["Monitor"]["properties"]["channels"]["maxItems"],
        CHANNELS_MAX
    );
    assert_eq!(
        s["Monitor"]["properties"]["name"]["maxLength"],
        NAME_MAX_CHARS
    );
    let conf = &s["Confirmation"]["properties"];
    assert_eq!(
        bounds(&conf["recheck_delay_seconds"]),
        RECHECK_SECONDS_RANGE
    );
    assert_eq!(bounds(&conf["recovery_rounds"]), RECOVERY_ROUNDS_RANGE);
    assert_eq!(
        bounds(&conf["reminder_interval_minutes"]),
        REMINDER_MINUTES_RANGE
    );
    assert_eq!(bounds(&conf["flap_threshold"]), FLAP_THRESHOLD_RANGE);
    assert_eq!(
        bounds(&conf["flap_window_minutes"]),
        FLAP_WINDOW_MINUTES_RANGE
    );
    assert_eq!(
        bounds(&conf["sustained_down_rounds"]),
        SUSTAINED_DOWN_ROUNDS_RANGE
    );
    let expect = &s["Expectations"]["properties"];
    assert_eq!(bounds(&expect["latency_factor"]), LATENCY_FACTOR_RANGE);
    assert_eq!(
        expect["cert_warning_days"]["maximum"],
        CERT_WARNING_DAYS_MAX
    );
    // The create schema's port rule and the view's are the same list.
    assert_eq!(
        s["Origin"]["properties"]["port"]["not"],
        s["MonitorCreate"]["properties"]["origin"]["properties"]["port"]["not"]
    );
}

/// Serialization for the checks above: a view as the JSON value the wire carries.
mod erased {
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("views serialize")
        }
    }
}
