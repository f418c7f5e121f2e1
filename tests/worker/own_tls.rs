//! The own TLS client end to end: for each TLS rig case the direct path's evidence must name
//! the exact cause (the TLS step, `own_tls.outcome` and the presented leaf), checked in every
//! region; plus a server that stalls mid-handshake, the per-monitor TLS settings' validation,
//! and a valid certificate trusted only through the monitor's own anchor.
//!
//! Monitors on https origins get the rig's test CA as `origin.tls.extra_trust_anchors_pem`
//! (the own client trusts Mozilla's roots plus the monitor's anchors; workerd trusts the test
//! CA through NODE_EXTRA_CA_CERTS, so both clients see the same trust).

use std::process::Command;

use serde_json::{json, Value};

use crate::client::{expect_status, unique, Api};
use crate::rig::tls::{EXPIRING_DAYS, INTERMEDIATE_CN, OTHER_CA_CN, WRONG_HOST};
use crate::shared::rig;

/// The rig's test CA, PEM: the anchor a monitor adds for the rig's origins.
pub fn rig_anchor() -> String {
    std::fs::read_to_string(rig().ca_cert_path()).expect("read the rig CA")
}

fn origins(outcome: &Value) -> Vec<(String, Value)> {
    let reports = crate::client::reports_of(outcome)
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!reports.is_empty(), "no reports: {outcome}");
    reports
        .iter()
        .map(|r| (r["region"].to_string(), r["origin"].clone()))
        .collect()
}

/// `openssl x509 -noout <flag>` of a PEM file, the value after `=`, colons removed.
fn openssl_field(pem: &std::path::Path, flags: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout"])
        .args(flags)
        .arg("-in")
        .arg(pem)
        .output()
        .expect("run openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .split_once('=')
        .map(|(_, v)| v.replace(':', "").to_ascii_uppercase())
        .unwrap_or_default()
}

/// The exact TLS evidence each TLS rig case must show on the direct path, in every region.
/// Returns false for cases that are not TLS cases.
pub fn assert_tls_evidence(name: &str, outcome: &Value) -> bool {
    let (step, own): (&str, Value) = match name {
        "tls_valid" | "tls_expiring" => ("ok", json!({"result": "ok"})),
        "tls_expired" => (
            "expired",
            json!({"result": "expired", "not_after": 1_706_745_600_000_i64}),
        ),
        "tls_not_yet_valid" => (
            "expired",
            json!({"result": "not_yet_valid", "not_before": 4_070_908_800_000_i64}),
        ),
        "tls_self_signed" => ("untrusted", json!({"result": "self_signed"})),
        "tls_unknown_issuer" => (
            "untrusted",
            json!({"result": "unknown_issuer", "issuer": format!("CN={OTHER_CA_CN}")}),
        ),
        "tls_missing_intermediate" => (
            "untrusted",
            json!({"result": "incomplete_chain", "missing_issuer": format!("CN={INTERMEDIATE_CN}")}),
        ),
        "tls_wrong_host" => (
            "hostname_mismatch",
            json!({"result": "name_mismatch", "expected": "127.0.0.1", "presented": [WRONG_HOST]}),
        ),
        "tls_legacy" => (
            // workerd's TLS refuses RSA key exchange too: both of the Worker's clients fail,
            // while the CDN's front (nginx, OpenSSL) gets through.
            "handshake_failed",
            json!({"result": "no_common_protocol", "alert": "HandshakeFailure"}),
        ),
        "tls_no_common_cipher" => (
            "handshake_failed",
            json!({"result": "no_common_protocol", "alert": "HandshakeFailure"}),
        ),
        "tls_plain_http" => ("handshake_failed", Value::Null),
        _ => return false,
    };
    for (region, o) in origins(outcome) {
        assert_eq!(
            o["tls"]["result"], step,
            "case {name}, region {region}: {o}"
        );
        let got = &o["own_tls"]["outcome"];
        if name == "tls_plain_http" {
            assert_eq!(
                got["result"], "not_tls",
                "case {name}, region {region}: {o}"
            );
            let first = got["first_bytes"].as_str().unwrap_or_default();
            assert!(first.starts_with("HTTP/1.1 400"), "case {name}: {o}");
            assert_eq!(
                o["tls"]["detail"],
                format!("the server does not speak TLS; it answered {first:?}"),
                "case {name}: {o}"
            );
            continue;
        }
        assert_eq!(*got, own, "case {name}, region {region}: {o}");
        if step != "ok" {
            assert!(
                !o["tls"]["detail"].as_str().unwrap_or_default().is_empty(),
                "case {name}: the TLS step names the cause: {o}"
            );
        }
    }
    match name {
        "tls_expired" => {
            for (_, o) in origins(outcome) {
                assert_eq!(
                    o["tls"]["detail"],
                    "certificate expired: notAfter 2024-02-01T00:00:00.000Z"
                );
                assert_eq!(o["own_tls"]["leaf"]["subject"], "CN=localhost", "{o}");
            }
        }
        "tls_valid" => {
            let pem = &rig().certs().valid.cert;
            for (_, o) in origins(outcome) {
                let own = &o["own_tls"];
                // Debian's nginx 1.22 offers TLS 1.2 by default (1.3 only when configured).
                let version = own["version"].as_str().unwrap_or_default();
                assert!(["TLSv1_2", "TLSv1_3"].contains(&version), "{o}");
                let suite = own["cipher_suite"].as_str().unwrap_or_default();
                assert!(suite.contains("GCM") || suite.contains("CHACHA20"), "{o}");
                let leaf = &own["leaf"];
                assert_eq!(leaf["subject"], "CN=localhost", "{o}");
                assert_eq!(leaf["issuer"], "CN=edgeprobe rig test CA", "{o}");
                assert_eq!(leaf["sans"], json!(["localhost", "127.0.0.1"]), "{o}");
                let fp = leaf["sha256"].as_str().unwrap_or_default().replace(':', "");
                assert_eq!(fp, openssl_field(pem, &["-fingerprint", "-sha256"]), "{o}");
                let serial = leaf["serial"].as_str().unwrap_or_default().replace(':', "");
                assert_eq!(serial, openssl_field(pem, &["-serial"]), "{o}");
                assert_eq!(o["tls"]["certificate"]["kind"], "known", "{o}");
            }
        }
        "tls_expiring" => {
            let left = i64::from(EXPIRING_DAYS) - 1;
            for (_, o) in origins(outcome) {
                assert_eq!(o["own_tls"]["leaf"]["days_left"], left, "{o}");
            }
            let d = &outcome["diagnosis"];
            let also = d["also"].as_array().cloned().unwrap_or_default();
            assert!(
                d["verdict"] == "cert_expiring" || also.contains(&json!("cert_expiring")),
                "cert_expiring must be named: {d}"
            );
            let facts: Vec<&Value> = d["evidence"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["step"] == "certificate")
                .collect();
            assert!(!facts.is_empty(), "certificate evidence: {d}");
            for f in facts {
                assert_eq!(f["fact"]["days_left"], left, "{f}");
            }
        }
        "tls_legacy" => {
            let d = &outcome["diagnosis"];
            // Never broken TLS: the CDN gets through, so the only finding is the legacy
            // warning, at severity info, with the own client's reason as evidence.
            assert_eq!(d["verdict"], "origin_tls_legacy", "{d}");
            assert_eq!(d["severity"], "info", "{d}");
            assert!(
                d["evidence"].to_string().contains("legacy_tls"),
                "legacy evidence: {d}"
            );
        }
        _ => {}
    }
    true
}

fn monitor_body(front_url: &str, port: u16, tls: Value) -> Value {
    json!({
        "name": unique("own-tls"),
        "slug": unique("own-tls"),
        "url": front_url,
        "origin": {"host": "127.0.0.1", "port": port, "scheme": "https", "tls": tls},
        "regions": ["weur"],
        "timeout_ms": 3000,
        "interval_seconds": 300,
    })
}

fn check(api: &Api, body: &Value) -> Value {
    let m = api.post("/api/v1/monitors", body);
    expect_status(&m, 201);
    let id = m.json()["id"].as_str().expect("id").to_string();
    let r = api.post_empty(&format!("/api/v1/monitors/{id}/check"));
    expect_status(&r, 200);
    r.json()
}

#[test]
fn a_server_that_stalls_mid_handshake_is_a_handshake_timeout() {
    // The rig's `hang` origin accepts the connection and never sends a byte.
    let case = rig().case("hang").expect("hang case").clone();
    let out = check(
        &Api::from_env(),
        &monitor_body(&case.front_url, case.origin_port, json!({})),
    );
    for (region, o) in origins(&out) {
        assert_eq!(o["connect"]["result"], "ok", "{region}: {o}");
        assert_eq!(o["tls"]["result"], "handshake_failed", "{region}: {o}");
        assert_eq!(
            o["tls"]["detail"],
            "no end to the handshake before the timeout"
        );
        assert_eq!(o["own_tls"]["outcome"]["result"], "timeout", "{o}");
    }
}

#[test]
fn a_valid_certificate_from_a_private_ca_is_trusted_only_through_the_monitor_anchor() {
    let case = rig().case("tls_valid").expect("tls_valid").clone();
    let api = Api::from_env();
    let with = check(
        &api,
        &monitor_body(
            &case.front_url,
            case.origin_port,
            json!({"extra_trust_anchors_pem": rig_anchor()}),
        ),
    );
    let without = check(
        &api,
        &monitor_body(&case.front_url, case.origin_port, json!({})),
    );
    for (_, o) in origins(&with) {
        assert_eq!(o["own_tls"]["outcome"]["result"], "ok", "{o}");
    }
    // Without the anchor the leaf alone, from an unknown CA, reads as a chain that stops
    // before a trusted root (the platform trusts the test CA here, so its TLS step stays ok).
    for (_, o) in origins(&without) {
        assert_eq!(
            o["own_tls"]["outcome"],
            json!({"result": "incomplete_chain", "missing_issuer": "CN=edgeprobe rig test CA"}),
            "{o}"
        );
    }
}

#[test]
fn origin_tls_settings_are_validated_per_field() {
    let api = Api::from_env();
    let body = json!({
        "name": "bad tls",
        "url": "https://127.0.0.1:1/",
        "origin": {"host": "127.0.0.1", "port": 443, "scheme": "https", "tls": {
            "extra_trust_anchors_pem": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
            "sni": "-bad-.example",
            "trust_cloudflare_origin_ca": "yes",
            "pin": "x"
        }},
    });
    let r = api.post("/api/v1/monitors", &body);
    expect_status(&r, 422);
    let problem = r.json();
    let pointers: Vec<String> = problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["pointer"].as_str().map(String::from))
        .collect();
    for p in [
        "/origin/tls/extra_trust_anchors_pem",
        "/origin/tls/sni",
        "/origin/tls/trust_cloudflare_origin_ca",
        "/origin/tls/pin",
    ] {
        assert!(pointers.contains(&p.to_string()), "{p} missing: {problem}");
    }
    // A valid setting is stored and read back.
    let ok = api.post(
        "/api/v1/monitors",
        &json!({
            "name": "good tls",
            "url": "https://127.0.0.1:1/",
            "origin": {"host": "127.0.0.1", "port": 443, "scheme": "https",
                "tls": {"sni": "Origin.Example", "trust_cloudflare_origin_ca": true}},
        }),
    );
    expect_status(&ok, 201);
    assert_eq!(
        ok.json()["origin"]["tls"],
        json!({"sni": "origin.example", "trust_cloudflare_origin_ca": true}),
    );
}
