//! Self-test of the test rig, without the worker: every case must fail (or not) through the
//! nginx front and directly the way it was designed to, so that a wrong verdict from the
//! worker later is the worker's fault, not the rig's.
//!
//! Run it both ways:
//!   cargo test -p edgeprobe-testkit --test rig_selftest
//!   scripts/netns.sh cargo test -p edgeprobe-testkit --test rig_selftest
//! Outside a private namespace the script created (and marked), the firewall cases are
//! skipped and say so on stderr.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::rig;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use rig::net::{http_get, http_get_with_headers};
use rig::{Case, Rig, RigOptions, WebhookOptions, WebhookReceiver};

const FRONT_TIMEOUT: Duration = Duration::from_secs(10);

/// A check's outcome: Ok, or what went wrong in words.
type Check = Result<(), String>;

fn front(case: &Case) -> Result<(rig::RawResponse, Duration), String> {
    let port = port_of(&case.front_url)?;
    let started = Instant::now();
    let r =
        http_get(port, "/", FRONT_TIMEOUT).map_err(|e| format!("front of {}: {e}", case.name))?;
    Ok((r, started.elapsed()))
}

fn port_of(url: &str) -> Result<u16, String> {
    url.trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("no port in {url}"))
}

fn expect_status(case: &Case, want: u16, within: Option<(Duration, Duration)>) -> Check {
    let (r, took) = front(case)?;
    if r.status != want {
        return Err(format!(
            "{}: front answered {} instead of {want} (body {:?})",
            case.name,
            r.status,
            String::from_utf8_lossy(&r.body)
        ));
    }
    if let Some((min, max)) = within {
        if took < min || took > max {
            return Err(format!(
                "{}: front took {took:?}, expected between {min:?} and {max:?}",
                case.name
            ));
        }
    }
    Ok(())
}

fn direct_raw(case: &Case) -> Result<Vec<u8>, String> {
    raw_get(case.origin_port).map_err(|e| format!("{}: direct: {e}", case.name))
}

/// Everything 127.0.0.1:`port` sends back to a GET, unparsed.
fn raw_get(port: u16) -> Result<Vec<u8>, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect to {port}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    Ok(out)
}

fn expect_direct_prefix(case: &Case, prefix: &[u8]) -> Check {
    let raw = direct_raw(case)?;
    if raw.starts_with(prefix) {
        Ok(())
    } else {
        Err(format!(
            "{}: direct answer starts {:?}, expected {:?}",
            case.name,
            String::from_utf8_lossy(&raw[..raw.len().min(60)]),
            String::from_utf8_lossy(prefix)
        ))
    }
}

fn expect_refused(case: &Case) -> Check {
    let addr = SocketAddr::from(([127, 0, 0, 1], case.origin_port));
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
        Err(e) => Err(format!(
            "{}: direct connect failed with {e}, expected refused",
            case.name
        )),
        Ok(_) => Err(format!(
            "{}: direct connect succeeded, expected refused",
            case.name
        )),
    }
}

fn check_case(rig: &Rig, case: &Case) -> Check {
    let s = Duration::from_secs;
    match case.name {
        "healthy" => {
            let (r, _) = front(case)?;
            let body = String::from_utf8_lossy(&r.body);
            if r.status != 200 || !body.contains("edgeprobe-ok") {
                return Err(format!("healthy: {} {body:?}", r.status));
            }
            expect_direct_prefix(case, b"HTTP/1.1 200 OK")
        }
        "origin_down" => {
            expect_status(case, 502, Some((Duration::ZERO, s(2))))?;
            expect_refused(case)
        }
        "crash_mid_response" => {
            let (r, _) = front(case)?;
            // nginx has already passed on 200 and the length when the origin dies: the client
            // sees a truncated body, as behind a real CDN.
            if r.status != 200 || r.header("content-length") != Some("1000") || r.body.len() >= 1000
            {
                return Err(format!(
                    "crash: {} len {:?} body {} bytes",
                    r.status,
                    r.header("content-length"),
                    r.body.len()
                ));
            }
            let raw = direct_raw(case)?;
            let body_start = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| i + 4)
                .unwrap_or(raw.len());
            if raw.len() - body_start != 10 {
                return Err(format!(
                    "crash: direct body has {} bytes, expected 10",
                    raw.len() - body_start
                ));
            }
            Ok(())
        }
        "malformed_status_line" => {
            // nginx does not answer 502 here: it logs "upstream sent no valid HTTP/1.0 header"
            // and relays the bytes as an HTTP/0.9 body, so the edge shows the garbage too.
            let port = port_of(&case.front_url)?;
            let through_front = raw_get(port)?;
            if !through_front.starts_with(b"HTTP/1.1 2OO OK") {
                return Err(format!(
                    "malformed_status_line: front relayed {:?}",
                    String::from_utf8_lossy(&through_front)
                ));
            }
            expect_direct_prefix(case, b"HTTP/1.1 2OO OK")
        }
        "malformed_header" => {
            expect_status(case, 502, None)?;
            let raw = direct_raw(case)?;
            if !String::from_utf8_lossy(&raw)
                .contains("\r\nThis Header Has Spaces And No Colon\r\n")
            {
                return Err("malformed_header: direct answer lacks the bad header".into());
            }
            Ok(())
        }
        "empty_reply" => {
            expect_status(case, 502, Some((Duration::ZERO, s(2))))?;
            let raw = direct_raw(case)?;
            if raw.is_empty() {
                Ok(())
            } else {
                Err(format!("empty_reply: got {} bytes directly", raw.len()))
            }
        }
        // Upper bounds leave room for a loaded machine but stay below the slow origin's 5 s.
        "slow_origin" => expect_status(
            case,
            504,
            Some((Duration::from_millis(2900), Duration::from_millis(4500))),
        ),
        "hang" => expect_status(
            case,
            504,
            Some((Duration::from_millis(2900), Duration::from_millis(4500))),
        ),
        "app_500" | "app_503" => {
            let want = if case.name == "app_500" { 500 } else { 503 };
            let (r, _) = front(case)?;
            let body = String::from_utf8_lossy(&r.body);
            if r.status != want || !body.contains("from app") {
                return Err(format!(
                    "{}: front {} {body:?}, expected {want} with the app's body",
                    case.name, r.status
                ));
            }
            Ok(())
        }
        "stale_cache" => {
            let primed = rig.prime_cache(case.name).map_err(|e| e.to_string())?;
            if primed.header("x-cache-status") != Some("MISS") {
                return Err(format!(
                    "stale_cache: priming X-Cache-Status {:?}, expected MISS",
                    primed.header("x-cache-status")
                ));
            }
            rig.stop_origin(case.name).map_err(|e| e.to_string())?;
            expect_refused(case)?;
            let (r, _) = front(case)?;
            if r.status != 200
                || r.header("x-cache-status") != Some("STALE")
                || !String::from_utf8_lossy(&r.body).contains("edgeprobe-ok")
            {
                return Err(format!(
                    "stale_cache: after stop got {} with X-Cache-Status {:?}",
                    r.status,
                    r.header("x-cache-status")
                ));
            }
            rig.restart_origin(case.name).map_err(|e| e.to_string())?;
            expect_direct_prefix(case, b"HTTP/1.1 200 OK")
        }
        "origin_blocks_cdn" => {
            expect_status(
                case,
                504,
                Some((Duration::from_millis(1900), Duration::from_millis(3500))),
            )?;
            expect_direct_prefix(case, b"HTTP/1.1 200 OK")
        }
        "origin_unreachable" => {
            expect_status(
                case,
                504,
                Some((Duration::from_millis(1900), Duration::from_millis(3500))),
            )?;
            let addr = SocketAddr::from(([127, 0, 0, 1], case.origin_port));
            match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(()),
                other => Err(format!(
                    "origin_unreachable: direct connect gave {other:?}, expected a timeout"
                )),
            }
        }
        "dns_failure" => {
            expect_status(case, 502, Some((Duration::ZERO, s(2))))?;
            let log = rig.nginx_error_log();
            if log.contains("could not be resolved (3: Host not found)") {
                Ok(())
            } else {
                Err(format!(
                    "dns_failure: nginx error log lacks the NXDOMAIN failure:\n{log}"
                ))
            }
        }
        "front_misrouted" => {
            expect_status(case, 502, None)?;
            expect_direct_prefix(case, b"HTTP/1.1 200 OK")
        }
        // tls_legacy: the front (OpenSSL) still speaks RSA key exchange, so it answers.
        "tls_valid" | "tls_expiring" | "tls_legacy" => {
            expect_status(case, 200, None)?;
            accepts_tcp(case)
        }
        // The front verifies the origin's certificate (or cannot agree on TLS at all).
        "tls_expired"
        | "tls_self_signed"
        | "tls_wrong_host"
        | "tls_not_yet_valid"
        | "tls_unknown_issuer"
        | "tls_missing_intermediate"
        | "tls_no_common_cipher"
        | "tls_plain_http" => {
            expect_status(case, 502, None)?;
            accepts_tcp(case)
        }
        "one_region_blocked" => {
            let port = port_of(&case.front_url)?;
            let get = |region: Option<&str>| {
                let headers: Vec<(&str, &str)> = region
                    .map(|r| ("edgeprobe-region", r))
                    .into_iter()
                    .collect();
                http_get_with_headers(port, "/", &headers, FRONT_TIMEOUT)
                    .map_err(|e| format!("one_region_blocked {region:?}: {e}"))
            };
            for (region, want) in [
                (None, 200),
                (Some("weur"), 200),
                (Some("enam"), 200),
                (Some(rig::BLOCKED_REGION), 502),
            ] {
                let r = get(region)?;
                if r.status != want {
                    return Err(format!(
                        "one_region_blocked: region {region:?} got {} instead of {want}",
                        r.status
                    ));
                }
            }
            expect_direct_prefix(case, b"HTTP/1.1 200 OK")?;
            // nginx saw the header: what the worker test relies on to prove probes send it.
            let log = rig.probe_requests();
            let logged = |port: u16, from: &str, region: &str, status: u16| {
                log.iter().any(|l| {
                    l.port == port && l.from == from && l.region == region && l.status == status
                })
            };
            let origin = rig.regional_origin_port();
            if !(logged(port, "127.0.0.1", rig::BLOCKED_REGION, 502)
                && logged(port, "127.0.0.1", "weur", 200)
                && logged(origin, "127.0.0.2", "weur", 200))
            {
                return Err(format!(
                    "one_region_blocked: the probe log lacks the requests just made: {log:?}"
                ));
            }
            Ok(())
        }
        "not_http" => {
            // nginx relays the SSH banner as an HTTP/0.9 answer (no status line) and, with
            // keep-alive off on this front, closes: the client sees the bytes, then the end.
            let port = port_of(&case.front_url)?;
            let through_front = raw_get(port)?;
            if through_front != rig::origin::SSH_BANNER {
                return Err(format!(
                    "not_http: front relayed {:?}",
                    String::from_utf8_lossy(&through_front)
                ));
            }
            expect_direct_prefix(case, b"SSH-2.0-")
        }
        "origin_upstream_down" => {
            // The origin's own nginx answers 502 about its closed application port, at once,
            // directly and through the front alike.
            expect_status(case, 502, Some((Duration::ZERO, s(2))))?;
            expect_direct_prefix(case, b"HTTP/1.1 502 Bad Gateway")?;
            let raw = String::from_utf8_lossy(&direct_raw(case)?).to_string();
            if raw.contains("<center>nginx") {
                Ok(())
            } else {
                Err(format!(
                    "origin_upstream_down: direct answer is not nginx's own page: {raw}"
                ))
            }
        }
        "origin_upstream_timeout" => {
            // Its proxy_read_timeout is 1 s, below the front's 3 s: the 504 is the origin's.
            expect_status(
                case,
                504,
                Some((Duration::from_millis(900), Duration::from_millis(2900))),
            )?;
            expect_direct_prefix(case, b"HTTP/1.1 504 Gateway Time-out")
        }
        other => Err(format!("no self-test for case {other}: add one")),
    }
}

fn accepts_tcp(case: &Case) -> Check {
    let addr = SocketAddr::from(([127, 0, 0, 1], case.origin_port));
    TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map(|_| ())
        .map_err(|e| format!("{}: TLS port: {e}", case.name))
}

#[test]
fn every_case_behaves_as_designed_through_the_front_and_directly() {
    let rig =
        Rig::start(RigOptions::default()).unwrap_or_else(|e| panic!("rig failed to start: {e}"));
    let started = Instant::now();
    let results: Vec<(String, Check)> = thread::scope(|scope| {
        let handles: Vec<_> = rig
            .cases()
            .iter()
            .filter(|c| c.skipped.is_none())
            .map(|c| (c.name, scope.spawn(|| check_case(&rig, c))))
            .collect();
        handles
            .into_iter()
            .map(|(n, h)| {
                (
                    n.to_string(),
                    h.join()
                        .unwrap_or_else(|_| Err(format!("{n}: check panicked"))),
                )
            })
            .collect()
    });
    for c in rig.cases().iter().filter(|c| c.skipped.is_some()) {
        eprintln!("SKIPPED {}: {}", c.name, c.skipped.as_deref().unwrap_or(""));
    }
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| r.clone().err())
        .collect();
    eprintln!("checked {} cases in {:?}", results.len(), started.elapsed());
    assert!(
        failures.is_empty(),
        "{} case(s) misbehave:\n{}\nnginx error log:\n{}",
        failures.len(),
        failures.join("\n"),
        rig.nginx_error_log()
    );
}

#[test]
fn firewall_cases_run_in_a_private_namespace_and_are_skipped_loudly_elsewhere() {
    let opts = RigOptions::default();
    let rig = Rig::start(opts.clone()).unwrap_or_else(|e| panic!("rig failed to start: {e}"));
    let private = rig::firewall::private_namespace_check(opts.netns_declared).is_ok();
    for name in ["origin_blocks_cdn", "origin_unreachable"] {
        let case = rig
            .case(name)
            .unwrap_or_else(|| panic!("case {name} missing"));
        assert_eq!(
            case.skipped.is_none(),
            private,
            "{name}: skipped={:?} but private namespace={private}",
            case.skipped
        );
        if let Some(reason) = &case.skipped {
            eprintln!("SKIPPED {name}: {reason}");
        }
    }
    let Some(table) = rig.firewall_table().map(str::to_string) else {
        assert!(!private, "private namespace but no firewall table");
        return;
    };
    let tables = || {
        String::from_utf8_lossy(
            &Command::new("nft")
                .args(["list", "tables"])
                .output()
                .expect("nft")
                .stdout,
        )
        .into_owned()
    };
    assert!(
        tables().contains(&table),
        "table {table} missing while the rig runs"
    );
    drop(rig);
    assert!(
        !tables().contains(&table),
        "table {table} left behind after drop"
    );
}

/// The firewall decision (src/rig/firewall.rs), on the facts it reads: allowed only with this
/// run's marker naming the rig's own namespace, and nothing but `lo` in it.
#[test]
fn firewall_is_touched_only_in_a_namespace_the_script_created_and_marked() {
    use rig::firewall::{firewall_allowed, NamespaceFacts};
    let marked = NamespaceFacts {
        token: Some("3f9c1a".into()),
        marker: Some((
            "/tmp/edgeprobe-netns.x".into(),
            Ok("token=3f9c1a\nnetns=net:[4026532300]\n".into()),
        )),
        netns: "net:[4026532300]".into(),
        interfaces: vec!["lo".into()],
    };
    assert_eq!(firewall_allowed(&marked), Ok(()));

    let refused = |facts: NamespaceFacts, why: &str| {
        let reason = firewall_allowed(&facts).expect_err(why);
        assert!(!reason.is_empty(), "{why}: the skip must say why");
        reason
    };
    // The host, or a container whose PID 1 shares the namespace: no marker at all.
    let r = refused(
        NamespaceFacts {
            token: None,
            marker: None,
            ..marked.clone()
        },
        "no marker",
    );
    assert!(r.contains("no namespace marker"), "{r}");
    // A marker from another run (stale file, or copied environment): token differs.
    let r = refused(
        NamespaceFacts {
            token: Some("other".into()),
            ..marked.clone()
        },
        "wrong token",
    );
    assert!(r.contains("token"), "{r}");
    // The marker names another namespace: e.g. the env leaked into a process on the host.
    let r = refused(
        NamespaceFacts {
            netns: "net:[4026531840]".into(),
            ..marked.clone()
        },
        "other namespace",
    );
    assert!(r.contains("net:[4026531840]"), "{r}");
    // Marked, but the namespace carries real interfaces: not a namespace of loopback only.
    let r = refused(
        NamespaceFacts {
            interfaces: vec!["lo".into(), "eth0".into()],
            ..marked.clone()
        },
        "eth0 present",
    );
    assert!(r.contains("eth0"), "{r}");
    // The marker file cannot be read.
    refused(
        NamespaceFacts {
            marker: Some(("/tmp/gone".into(), Err("No such file or directory".into()))),
            ..marked.clone()
        },
        "unreadable marker",
    );
    // An empty token never matches (an empty env var must not unlock the firewall).
    refused(
        NamespaceFacts {
            token: Some(String::new()),
            marker: Some((
                "/tmp/m".into(),
                Ok("token=\nnetns=net:[4026532300]\n".into()),
            )),
            ..marked.clone()
        },
        "empty token",
    );
}

#[test]
fn certificates_have_the_intended_properties() {
    let rig = Rig::start(RigOptions {
        netns_declared: false,
        ..RigOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let certs = rig.certs();
    let x509 = |path: &Path, args: &[&str]| -> (bool, String) {
        let out = Command::new("openssl")
            .arg("x509")
            .arg("-in")
            .arg(path)
            .args(args)
            .output()
            .expect("run openssl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // -checkend 0: fails when already expired; 30 days: fails when expiring within a month.
    assert!(
        !x509(&certs.expired.cert, &["-noout", "-checkend", "0"]).0,
        "expired cert is not expired"
    );
    assert!(
        x509(&certs.valid.cert, &["-noout", "-checkend", "2592000"]).0,
        "valid cert expires within 30 days"
    );
    assert!(
        x509(&certs.expiring.cert, &["-noout", "-checkend", "0"]).0,
        "expiring cert already expired"
    );
    assert!(
        !x509(&certs.expiring.cert, &["-noout", "-checkend", "2592000"]).0,
        "expiring cert does not expire within 30 days"
    );
    let (_, wrong) = x509(
        &certs.wrong_host.cert,
        &["-noout", "-ext", "subjectAltName"],
    );
    assert!(
        wrong.contains("wrong-host.edgeprobe.invalid") && !wrong.contains("localhost"),
        "wrong-host SAN: {wrong}"
    );
    let (_, selfsigned) = x509(&certs.self_signed.cert, &["-noout", "-subject", "-issuer"]);
    let lines: Vec<&str> = selfsigned
        .lines()
        .map(|l| l.split_once('=').map(|(_, v)| v).unwrap_or(l))
        .collect();
    assert_eq!(lines.len(), 2, "{selfsigned}");
    assert_eq!(
        lines[0], lines[1],
        "self-signed cert: subject differs from issuer"
    );
    for (name, files) in [
        ("valid", &certs.valid),
        ("expiring", &certs.expiring),
        ("expired", &certs.expired),
        ("wrong_host", &certs.wrong_host),
    ] {
        let out = Command::new("openssl")
            .args(["verify", "-no_check_time", "-CAfile"])
            .arg(&certs.ca)
            .arg(&files.cert)
            .output()
            .expect("run openssl verify");
        assert!(
            out.status.success(),
            "{name} is not signed by the test CA: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&certs.ca)
        .arg(&certs.self_signed.cert)
        .output()
        .expect("verify");
    assert!(
        !out.status.success(),
        "self-signed cert verifies against the test CA"
    );
}

/// The CA the scripts make before `wrangler dev` starts (examples/rig.rs --make-ca) is the one
/// the rig signs with, so a runtime trusting that file accepts the rig's valid certificates.
#[test]
fn rig_signs_its_leaves_with_a_ca_made_before_it_started() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_dir = dir.path().join("ca");
    let made = rig::tls::ensure_ca(&ca_dir).unwrap_or_else(|e| panic!("{e}"));
    let pem = std::fs::read(&made.cert).expect("ca.pem");
    // Asking again keeps the CA (leaves already issued by it must stay valid).
    let again = rig::tls::ensure_ca(&ca_dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::fs::read(&again.cert).expect("ca.pem"),
        pem,
        "ensure_ca replaced an existing CA"
    );
    let rig = Rig::start(RigOptions {
        netns_declared: false,
        ca_dir: Some(ca_dir.clone()),
        ..RigOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for (name, files) in [
        ("valid", &rig.certs().valid),
        ("expiring", &rig.certs().expiring),
    ] {
        let out = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&made.cert)
            .arg(&files.cert)
            .output()
            .expect("run openssl verify");
        assert!(
            out.status.success(),
            "{name} does not verify against the CA made beforehand: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn drop_stops_nginx_and_removes_files() {
    let rig = Rig::start(RigOptions {
        netns_declared: false,
        ..RigOptions::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let front = port_of(&rig.case("healthy").expect("healthy case").front_url).expect("port");
    let origin = rig.case("healthy").expect("healthy case").origin_port;
    let origin_proxy = rig
        .case("origin_upstream_down")
        .expect("origin proxy case")
        .origin_port;
    let dir = rig
        .certs()
        .ca
        .parent()
        .and_then(Path::parent)
        .expect("rig dir")
        .to_path_buf();
    assert!(dir.exists());
    assert!(rig::net::is_listening(origin_proxy));
    drop(rig);
    assert!(
        !rig::net::is_listening(front),
        "nginx still listens after drop"
    );
    assert!(
        !rig::net::is_listening(origin_proxy),
        "the origin-side nginx still listens after drop"
    );
    assert!(
        !rig::net::is_listening(origin),
        "origin still listens after drop"
    );
    assert!(!dir.exists(), "temp dir {} left behind", dir.display());
}

#[test]
fn webhook_receiver_retries_then_accepts_and_verifies_signatures() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let receiver = WebhookReceiver::start(WebhookOptions {
        fail_first: 2,
        secret: Some(secret.into()),
        ..WebhookOptions::default()
    })
    .expect("start receiver");
    let body = br#"{"type":"incident.opened"}"#;
    let good = rig::webhook::sign(secret, "msg_1", "1700000000", body).expect("sign");
    let post = |id: &str, sig: &str| -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", receiver.port())).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let head = format!(
            "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nwebhook-id: {id}\r\n\
webhook-timestamp: 1700000000\r\nwebhook-signature: v1,bogus {sig}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).expect("write");
        s.write_all(body).expect("write");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
    };
    assert_eq!(post("msg_1", &good), 503);
    assert_eq!(post("msg_1", &good), 503);
    assert_eq!(post("msg_1", &good), 200);
    assert_eq!(post("msg_2", &good), 200); // signature over msg_1's id: must not verify
    let records = receiver.wait_for(4, Duration::from_secs(2));
    assert_eq!(records.len(), 4);
    assert_eq!(
        records.iter().map(|r| r.answered).collect::<Vec<_>>(),
        vec![Some(503), Some(503), Some(200), Some(200)]
    );
    assert_eq!(
        records
            .iter()
            .map(|r| r.signature_valid)
            .collect::<Vec<_>>(),
        vec![Some(true), Some(true), Some(true), Some(false)]
    );
    assert_eq!(
        receiver.unique_ids(),
        vec!["msg_1".to_string(), "msg_2".to_string()]
    );
    assert_eq!(records[0].body, body);
    assert_eq!(records[0].path, "/hook");
    assert_eq!(records[0].method, "POST");
}

#[test]
fn hanging_webhook_receiver_records_but_never_answers() {
    let receiver = WebhookReceiver::start(WebhookOptions {
        hang: true,
        hang_limit: Duration::from_secs(3),
        ..WebhookOptions::default()
    })
    .expect("start receiver");
    let mut s = TcpStream::connect(("127.0.0.1", receiver.port())).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    s.write_all(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        .expect("write");
    let mut buf = [0u8; 16];
    let read = s.read(&mut buf);
    assert!(read.is_err(), "hanging receiver answered: {read:?}");
    let records = receiver.wait_for(1, Duration::from_secs(1));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].answered, None);
    let started = Instant::now();
    drop(receiver); // must not wait out the hang
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop waited {:?}",
        started.elapsed()
    );
}

#[test]
fn nxdomain_reply_echoes_the_question_with_rcode_3() {
    // A query for "a.invalid" type A, class IN, id 0x1234, RD set, with an EDNS OPT record.
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(&[
        1, b'a', 7, b'i', b'n', b'v', b'a', b'l', b'i', b'd', 0, 0, 1, 0, 1,
    ]);
    q.extend_from_slice(&[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
    let r = rig::dns::nxdomain_reply(&q).expect("reply");
    assert_eq!(&r[..12], &[0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&r[12..], &q[12..27]);
    assert_eq!(
        rig::dns::nxdomain_reply(&r),
        None,
        "a response is not a query"
    );
    assert_eq!(
        rig::dns::nxdomain_reply(&q[..14]),
        None,
        "truncated question"
    );
}

#[test]
fn rig_can_be_shared_between_test_threads() {
    // Integration tests may keep one rig in a `static OnceLock<Rig>`.
    fn shareable<T: Send + Sync>() {}
    shareable::<Rig>();
    shareable::<WebhookReceiver>();
}

#[test]
fn webhook_receiver_decodes_chunked_bodies() {
    let cases: &[(&[u8], Option<&[u8]>)] = &[
        (
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            Some(b"hello world"),
        ),
        (b"5;ext=1\r\nhello\r\n0\r\n\r\n", Some(b"hello")),
        (b"5\r\nhello\r\n", None), // last chunk not yet received
        (b"5\r\nhel", None),
        (b"zz\r\n", None),
    ];
    for (raw, want) in cases {
        assert_eq!(
            rig::webhook::decode_chunked(raw).as_deref(),
            *want,
            "input {:?}",
            String::from_utf8_lossy(raw)
        );
    }
    let receiver = WebhookReceiver::start(WebhookOptions::default()).expect("start receiver");
    let mut s = TcpStream::connect(("127.0.0.1", receiver.port())).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(
        b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    )
    .expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert_eq!(receiver.records()[0].body, b"{}");
}
