//! The test rig: real misbehaving origins and a real nginx front on loopback, one *case* per
//! failure the worker must name. Integration tests (and `examples/rig.rs`) start a [`Rig`],
//! create monitors from each [`Case`]'s front URL and origin, and compare the worker's
//! verdict with [`Case::expected`].
//!
//! Layout: `origin` (std::net origins with one behaviour each), `nginx` (the front and the
//! TLS origins), `tls` (certificates made with the openssl CLI), `dns` (an NXDOMAIN resolver),
//! `firewall` (nftables drops, only in a private network namespace), `webhook` (the alert
//! receiver), `net` (socket helpers).
//!
//! It owns every process, thread, socket, nft table and temp file it creates and releases
//! them on drop; every wait is bounded. It mocks nothing: nginx, the kernel's TCP and the
//! firewall produce the failures. It is test code: it never runs inside the worker.

pub mod dns;
pub mod firewall;
pub mod net;
pub mod nginx;
pub mod origin;
pub mod origin_proxy;
pub mod tls;
pub mod webhook;

use std::fmt;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use self::firewall::{DropRule, Firewall};
use self::net::{http_get, is_listening, ClosedPort};
use self::nginx::{FrontSpec, Nginx, TlsOriginSpec, Upstream};
use self::origin::{Behaviour, OriginServer};
use self::tls::CertSet;

pub use self::net::RawResponse;
#[allow(unused_imports)] // re-exported for the integration tests
pub use self::webhook::{WebhookOptions, WebhookReceiver, WebhookRecord};

/// The origin name of the DNS-failure case: `.invalid` never resolves (RFC 2606).
pub const UNRESOLVABLE_HOST: &str = "origin.edgeprobe.invalid";
/// How long the cached case's origin lets the front keep its page fresh (Cache-Control).
const CACHE_MAX_AGE: Duration = Duration::from_secs(1);
/// The region the `one_region_blocked` front cannot serve (by the probes' `edgeprobe-region`).
pub const BLOCKED_REGION: &str = "apac";

/// What the rig should do; `Default` suits the integration tests.
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// How long the slow origin waits before answering: longer than the front's read timeout.
    pub slow_delay: Duration,
    /// How long the hanging origin keeps a connection open without answering.
    pub hang_limit: Duration,
    /// The test run says it created a private network namespace (scripts/netns.sh exported
    /// `EDGEPROBE_NETNS_MARKER`); the rig still verifies the marker and that only `lo` exists
    /// (`firewall::firewall_allowed`) before adding firewall rules.
    pub netns_declared: bool,
    /// Where the test CA lives when it must exist before the rig starts (`EDGEPROBE_RIG_CA_DIR`:
    /// the scripts make it before `wrangler dev`, which trusts it via `NODE_EXTRA_CA_CERTS`);
    /// `None`: a fresh CA in the rig's temp dir.
    pub ca_dir: Option<std::path::PathBuf>,
}

impl Default for RigOptions {
    fn default() -> Self {
        RigOptions {
            slow_delay: Duration::from_secs(5),
            hang_limit: Duration::from_secs(30),
            netns_declared: std::env::var_os("EDGEPROBE_NETNS_MARKER").is_some(),
            ca_dir: std::env::var_os("EDGEPROBE_RIG_CA_DIR")
                .filter(|d| !d.is_empty())
                .map(Into::into),
        }
    }
}

/// Why the rig could not start.
#[derive(Debug)]
pub enum RigError {
    /// A socket, file or process operation failed.
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    /// An external tool (nginx, openssl) ran but failed; `detail` has its own words.
    Tool { tool: &'static str, detail: String },
    /// Something started but did not become ready in time.
    NotReady { what: String },
    /// A rig operation was asked of a case that does not support it.
    WrongCase { name: String, why: &'static str },
}

impl RigError {
    fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> RigError {
        move |source| RigError::Io { what, source }
    }
}

impl fmt::Display for RigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RigError::Io { what, source } => write!(f, "rig: {what}: {source}"),
            RigError::Tool { tool, detail } => write!(f, "rig: {tool}: {detail}"),
            RigError::NotReady { what } => write!(f, "rig: not ready in time: {what}"),
            RigError::WrongCase { name, why } => write!(f, "rig: case {name}: {why}"),
        }
    }
}

impl std::error::Error for RigError {}

/// One situation the worker must diagnose: where to point a monitor, and what it should say.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub name: &'static str,
    /// The public URL, through the nginx front ("the edge").
    pub front_url: String,
    pub origin_host: String,
    pub origin_port: u16,
    /// "http" or "https".
    pub origin_scheme: &'static str,
    /// The verdict name the worker should produce (snake_case, as in `Verdict::as_str`).
    pub expected: &'static str,
    /// What the case sets up, in plain words.
    pub description: &'static str,
    /// Set when the rig could not set this case up here (and why); tests must report it.
    pub skipped: Option<String>,
}

/// One request logged by the regional case's servers (nginx `$http_edgeprobe_region` etc.).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ProbeRequest {
    /// The server's port: the case's front, or its origin (`Rig::regional_origin_port`).
    pub port: u16,
    /// The client address: 127.0.0.1 for probes, the front's 127.0.0.2 for what it relays.
    pub from: String,
    /// The status nginx answered with.
    pub status: u16,
    /// The request's `edgeprobe-region` header ("" when absent).
    pub region: String,
    pub user_agent: String,
}

impl Case {
    /// The origin as a URL, e.g. `https://127.0.0.1:41015/`.
    pub fn origin_url(&self) -> String {
        format!(
            "{}://{}:{}/",
            self.origin_scheme, self.origin_host, self.origin_port
        )
    }
}

/// The running rig. Dropping it stops nginx, the origins, the DNS server, removes the nft
/// table and the temp dir.
pub struct Rig {
    cases: Vec<Case>,
    // Drop order matters: nginx first (it connects to everything else), the temp dir last.
    nginx: Nginx,
    /// The origin-side nginx of the `origin_upstream_*` cases (stopped after the front).
    #[allow(dead_code)] // held for its Drop
    origin_proxy: Nginx,
    /// The hanging application server behind `origin_upstream_timeout`'s origin proxy.
    #[allow(dead_code)] // held for its Drop
    upstream_app: OriginServer,
    firewall: Option<Firewall>,
    origins: Vec<(&'static str, Behaviour, Mutex<Option<OriginServer>>)>,
    closed_ports: Vec<ClosedPort>,
    #[allow(dead_code)] // held for its Drop
    dns: dns::NxdomainServer,
    certs: CertSet,
    primed_at: Mutex<Option<Instant>>,
    #[allow(dead_code)] // held for its Drop: removed last
    dir: tempfile::TempDir,
}

/// Cases served by the rig's own std::net origins: (name, behaviour, expected, description).
fn plain_origins(opts: &RigOptions) -> Vec<(&'static str, Behaviour, &'static str, &'static str)> {
    vec![
        (
            "healthy",
            Behaviour::Healthy { max_age: None },
            "healthy",
            "origin answers 200 with the keyword edgeprobe-ok",
        ),
        (
            "crash_mid_response",
            Behaviour::CrashMidResponse,
            "origin_malformed_response",
            "origin announces Content-Length 1000, sends 10 bytes and closes",
        ),
        (
            "malformed_status_line",
            Behaviour::MalformedStatusLine,
            "origin_malformed_response",
            "origin's status line is \"HTTP/1.1 2OO OK\"; nginx relays it verbatim (as HTTP/0.9), no 502",
        ),
        (
            "not_http",
            Behaviour::NotHttp,
            "origin_malformed_response",
            "origin's port speaks SSH; nginx relays the banner as an HTTP/0.9 answer and the Worker's fetch fails without a response",
        ),
        (
            "malformed_header",
            Behaviour::MalformedHeader,
            "origin_malformed_response",
            "origin sends a header line with spaces in its name and no colon",
        ),
        (
            "empty_reply",
            Behaviour::EmptyReply,
            "origin_malformed_response",
            "origin reads the request and closes without a byte",
        ),
        (
            "slow_origin",
            Behaviour::Slow(opts.slow_delay),
            "origin_timeout",
            "origin answers only after longer than the front's 3 s read timeout",
        ),
        (
            "hang",
            Behaviour::Hang(opts.hang_limit),
            "origin_timeout",
            "origin accepts and never answers",
        ),
        (
            "app_500",
            Behaviour::AppError { status: 500 },
            "origin_app_error",
            "origin's application answers 500 with its own page",
        ),
        (
            "app_503",
            Behaviour::AppError { status: 503 },
            "origin_app_error",
            "origin's application answers 503 with its own page",
        ),
        (
            "stale_cache",
            Behaviour::Healthy {
                max_age: Some(CACHE_MAX_AGE.as_secs() as u32),
            },
            "edge_stale_origin_down",
            "front caches the page and serves it stale once the origin stops (call prime_cache, then stop_origin)",
        ),
        (
            "origin_blocks_cdn",
            Behaviour::Healthy { max_age: None },
            "origin_blocks_cdn",
            "nftables drops packets from the front's address 127.0.0.2; direct probes get 200",
        ),
        (
            "origin_unreachable",
            Behaviour::Healthy { max_age: None },
            "origin_unreachable",
            "nftables drops every packet to the origin's port: connections time out",
        ),
    ]
}

/// Cases served by nginx TLS origins: (name, expected, description).
const TLS_CASES: &[(&str, &str, &str)] = &[
    (
        "tls_valid",
        "healthy",
        "HTTPS origin with a valid certificate for localhost/127.0.0.1 from the rig's test CA",
    ),
    (
        // The platform's TLS does not expose the certificate; the Worker's own TLS client
        // (core::tls) reads it on a new monitor's first round: cert_expiring with days left.
        "tls_expiring",
        "cert_expiring",
        "HTTPS origin whose test-CA certificate expires in 5 days",
    ),
    (
        "tls_expired",
        "origin_tls_invalid",
        "HTTPS origin whose certificate expired in 2024",
    ),
    (
        "tls_self_signed",
        "origin_tls_invalid",
        "HTTPS origin with a self-signed certificate",
    ),
    (
        "tls_wrong_host",
        "origin_tls_invalid",
        "HTTPS origin whose certificate names only wrong-host.edgeprobe.invalid",
    ),
    (
        "tls_not_yet_valid",
        "origin_tls_invalid",
        "HTTPS origin whose certificate is valid only from 2099",
    ),
    (
        "tls_unknown_issuer",
        "origin_tls_invalid",
        "HTTPS origin whose chain ends at a CA nobody trusts",
    ),
    (
        "tls_missing_intermediate",
        "origin_tls_invalid",
        "HTTPS origin whose leaf comes from an intermediate it does not send",
    ),
    (
        "tls_legacy",
        "origin_tls_legacy",
        "HTTPS origin offering only RSA key exchange (TLS 1.2, AES-GCM): the platform's TLS connects, rustls does not",
    ),
    (
        "tls_no_common_cipher",
        "origin_tls_handshake_failed",
        "HTTPS origin offering only an ARIA cipher suite no client here supports",
    ),
    (
        "tls_plain_http",
        "origin_tls_handshake_failed",
        "plain HTTP on the port the monitor expects TLS on",
    ),
];

/// nginx settings of the TLS origins that are not plain certificate cases:
/// (ssl_protocols, ssl_ciphers, plain HTTP).
fn tls_server_settings(name: &str) -> (Option<&'static str>, Option<&'static str>, bool) {
    match name {
        "tls_legacy" => (Some("TLSv1.2"), Some("AES128-GCM-SHA256"), false),
        "tls_no_common_cipher" => (
            Some("TLSv1.2"),
            Some("ECDHE-ECDSA-ARIA128-GCM-SHA256"),
            false,
        ),
        "tls_plain_http" => (None, None, true),
        _ => (None, None, false),
    }
}

impl Rig {
    pub fn start(opts: RigOptions) -> Result<Rig, RigError> {
        let dir = tempfile::Builder::new()
            .prefix("edgeprobe-rig-")
            .tempdir()
            .map_err(RigError::io("create temp dir"))?;
        let certs = tls::make_certs(&dir.path().join("tls"), opts.ca_dir.as_deref())?;
        let dns = dns::NxdomainServer::start().map_err(RigError::io("start DNS server"))?;
        let down = ClosedPort::reserve().map_err(RigError::io("reserve closed port"))?;
        let misrouted_target =
            ClosedPort::reserve().map_err(RigError::io("reserve closed port"))?;
        let blocked_region_target =
            ClosedPort::reserve().map_err(RigError::io("reserve closed port"))?;

        let plain = plain_origins(&opts);
        let mut origins = Vec::new();
        for (name, behaviour, _, _) in &plain {
            let server = OriginServer::start(*behaviour).map_err(RigError::io("start origin"))?;
            origins.push((*name, *behaviour, server));
        }
        let origin_port = |name: &str| {
            origins
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, s)| s.port())
                .unwrap_or(0)
        };

        let tls_specs: Vec<TlsOriginSpec> = TLS_CASES
            .iter()
            .map(|(name, _, _)| {
                let (protocols, ciphers, plain) = tls_server_settings(name);
                TlsOriginSpec {
                    name,
                    cert: tls_cert(&certs, name).clone(),
                    protocols,
                    ciphers,
                    plain,
                }
            })
            .collect();
        let mut front_names: Vec<&'static str> = plain.iter().map(|p| p.0).collect();
        front_names.extend(TLS_CASES.iter().map(|t| t.0));
        front_names.extend(["origin_down", "dns_failure", "front_misrouted"]);
        // The regional case's origin is an nginx server in front of the healthy origin, so the
        // direct probe's requests are logged too (not a case of its own).
        front_names.extend(["one_region_blocked", "regional_origin"]);
        let blocked_region_port = blocked_region_target.port();

        // The origin's own reverse proxy (a second nginx) in front of an application server
        // that is down (closed port) or hangs; the front proxies to it like to any origin.
        let app_down = ClosedPort::reserve().map_err(RigError::io("reserve closed port"))?;
        let upstream_app = OriginServer::start(Behaviour::Hang(opts.hang_limit))
            .map_err(RigError::io("start hanging app"))?;
        let origin_proxy = origin_proxy::start(
            &dir.path().join("origin-proxy"),
            &[
                origin_proxy::OriginProxySpec {
                    name: "origin_upstream_down",
                    app_port: app_down.port(),
                },
                origin_proxy::OriginProxySpec {
                    name: "origin_upstream_timeout",
                    app_port: upstream_app.port(),
                },
            ],
        )?;
        let proxy_port = |name: &str| origin_proxy.ports.front(name).unwrap_or(0);
        let (upstream_down_port, upstream_timeout_port) = (
            proxy_port("origin_upstream_down"),
            proxy_port("origin_upstream_timeout"),
        );
        front_names.extend(["origin_upstream_down", "origin_upstream_timeout"]);

        let (down_port, misrouted_port, dns_port, ca) = (
            down.port(),
            misrouted_target.port(),
            dns.port(),
            certs.ca.clone(),
        );
        let nginx = nginx::start(
            &dir.path().join("nginx"),
            &tls_specs,
            |ports| {
                front_names
                    .iter()
                    .map(|&name| {
                        let upstream = match name {
                            "origin_down" => Upstream::Http { port: down_port },
                            "front_misrouted" => Upstream::Http {
                                port: misrouted_port,
                            },
                            "one_region_blocked" => Upstream::ByRegion {
                                default_port: ports.front("regional_origin").unwrap_or(0),
                                by_region: vec![(BLOCKED_REGION, blocked_region_port)],
                            },
                            "regional_origin" => Upstream::HttpLogged {
                                port: origin_port("healthy"),
                            },
                            "origin_upstream_down" => Upstream::Http {
                                port: upstream_down_port,
                            },
                            "origin_upstream_timeout" => Upstream::Http {
                                port: upstream_timeout_port,
                            },
                            "dns_failure" => Upstream::ByName {
                                host: UNRESOLVABLE_HOST.into(),
                                port: 80,
                                resolver_port: dns_port,
                            },
                            tls if ports.tls_origin(tls).is_some() => Upstream::Https {
                                port: ports.tls_origin(tls).unwrap_or(0),
                                ca: ca.clone(),
                            },
                            plain_name => Upstream::Http {
                                port: origin_port(plain_name),
                            },
                        };
                        FrontSpec {
                            name,
                            upstream,
                            cache: name == "stale_cache",
                            close_after_response: name == "not_http",
                        }
                    })
                    .collect()
            },
            &front_names,
        )?;

        let front_url =
            |name: &str| format!("http://127.0.0.1:{}/", nginx.ports.front(name).unwrap_or(0));
        let mut cases = Vec::new();
        for (name, _, expected, description) in &plain {
            cases.push(Case {
                name,
                front_url: front_url(name),
                origin_host: "127.0.0.1".into(),
                origin_port: origin_port(name),
                origin_scheme: "http",
                expected,
                description,
                skipped: None,
            });
        }
        for (name, expected, description) in TLS_CASES {
            cases.push(Case {
                name,
                front_url: front_url(name),
                origin_host: "127.0.0.1".into(),
                origin_port: nginx.ports.tls_origin(name).unwrap_or(0),
                origin_scheme: "https",
                expected,
                description,
                skipped: None,
            });
        }
        cases.push(Case {
            name: "origin_down",
            front_url: front_url("origin_down"),
            origin_host: "127.0.0.1".into(),
            origin_port: down_port,
            origin_scheme: "http",
            expected: "origin_refused",
            description: "nothing listens on the origin's port: connections are refused",
            skipped: None,
        });
        cases.push(Case {
            name: "dns_failure",
            front_url: front_url("dns_failure"),
            origin_host: UNRESOLVABLE_HOST.into(),
            origin_port: 80,
            origin_scheme: "http",
            expected: "origin_dns_failure",
            description: "the origin's name does not resolve (NXDOMAIN): the front answers 502",
            skipped: None,
        });
        cases.push(Case {
            name: "front_misrouted",
            front_url: front_url("front_misrouted"),
            origin_host: "127.0.0.1".into(),
            origin_port: origin_port("healthy"),
            origin_scheme: "http",
            expected: "edge_error_origin_healthy",
            description:
                "the front proxies to a wrong (closed) port while the real origin is healthy",
            skipped: None,
        });
        cases.push(Case {
            name: "one_region_blocked",
            front_url: front_url("one_region_blocked"),
            origin_host: "127.0.0.1".into(),
            origin_port: nginx.ports.front("regional_origin").unwrap_or(0),
            origin_scheme: "http",
            expected: "regional",
            description: "the front cannot connect to the origin for requests from region apac (edgeprobe-region header), \
as when the origin's firewall blocks one region's CDN addresses; other regions and direct probes get 200",
            skipped: None,
        });

        cases.push(Case {
            name: "origin_upstream_down",
            front_url: front_url("origin_upstream_down"),
            origin_host: "127.0.0.1".into(),
            origin_port: upstream_down_port,
            origin_scheme: "http",
            expected: "origin_upstream_down",
            description: "the origin's own nginx proxies to an application port that is closed: it answers its own 502",
            skipped: None,
        });
        cases.push(Case {
            name: "origin_upstream_timeout",
            front_url: front_url("origin_upstream_timeout"),
            origin_host: "127.0.0.1".into(),
            origin_port: upstream_timeout_port,
            origin_scheme: "http",
            expected: "origin_upstream_timeout",
            description: "the origin's own nginx (1 s proxy_read_timeout) proxies to an application that never answers: its own 504",
            skipped: None,
        });

        let firewall = install_firewall(
            &opts,
            &mut cases,
            origin_port("origin_blocks_cdn"),
            origin_port("origin_unreachable"),
        );

        let rig = Rig {
            cases,
            nginx,
            origin_proxy,
            upstream_app,
            firewall,
            origins: origins
                .into_iter()
                .map(|(n, b, s)| (n, b, Mutex::new(Some(s))))
                .collect(),
            closed_ports: vec![down, misrouted_target, blocked_region_target, app_down],
            dns,
            certs,
            primed_at: Mutex::new(None),
            dir,
        };
        rig.check_ready()?;
        Ok(rig)
    }

    /// Every case, skipped ones included (check `skipped`).
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    pub fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.name == name)
    }

    /// The test CA's certificate (PEM): trust it to accept `tls_valid` and `tls_expiring`.
    pub fn ca_cert_path(&self) -> &std::path::Path {
        &self.certs.ca
    }

    /// Every certificate the TLS origins serve, by role.
    pub fn certs(&self) -> &CertSet {
        &self.certs
    }

    /// The nft table (family inet) holding the firewall cases' rules, when they are active.
    pub fn firewall_table(&self) -> Option<&str> {
        self.firewall.as_ref().map(Firewall::table)
    }

    /// Every request the `one_region_blocked` front and its origin (`regional_origin`) got so
    /// far, oldest first: which region the probe said it was, its User-Agent, the answer.
    pub fn probe_requests(&self) -> Vec<ProbeRequest> {
        let text =
            std::fs::read_to_string(self.nginx.dir.join(nginx::PROBE_LOG)).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The port of the server standing in as the `one_region_blocked` case's origin.
    pub fn regional_origin_port(&self) -> u16 {
        self.nginx.ports.front("regional_origin").unwrap_or(0)
    }

    /// nginx's error log (useful in failure messages).
    pub fn nginx_error_log(&self) -> String {
        std::fs::read_to_string(self.nginx.dir.join("logs/error.log")).unwrap_or_default()
    }

    /// Fetches the case's front once so its cache holds the page (the origin must be up).
    pub fn prime_cache(&self, name: &str) -> Result<RawResponse, RigError> {
        let port = self.front_port(name)?;
        if name != "stale_cache" {
            return Err(RigError::WrongCase {
                name: name.into(),
                why: "only stale_cache has a caching front",
            });
        }
        let response =
            http_get(port, "/", Duration::from_secs(5)).map_err(RigError::io("prime cache"))?;
        if response.status != 200 {
            return Err(RigError::NotReady {
                what: format!("cache priming got {} instead of 200", response.status),
            });
        }
        *self.primed_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(response)
    }

    /// Stops the case's origin: its port refuses connections from now on. For `stale_cache`
    /// it also waits until the primed copy is past its max-age, so the front answers STALE.
    pub fn stop_origin(&self, name: &str) -> Result<(), RigError> {
        let slot = self.origin_slot(name)?;
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(server) = guard.as_mut() {
            server.stop_listening();
        }
        if name == "stale_cache" {
            if let Some(primed) = *self.primed_at.lock().unwrap_or_else(|p| p.into_inner()) {
                // nginx keeps time in whole seconds and expires an entry only once
                // `valid_sec < now`: up to max-age + 1 s after priming it still says HIT.
                let fresh_until = primed + CACHE_MAX_AGE + Duration::from_millis(1300);
                thread::sleep(fresh_until.saturating_duration_since(Instant::now()));
            }
        }
        Ok(())
    }

    /// Brings a stopped origin back on the same port with the same behaviour.
    pub fn restart_origin(&self, name: &str) -> Result<(), RigError> {
        let (behaviour, port) =
            {
                let (_, behaviour, _) = self.origins.iter().find(|(n, _, _)| *n == name).ok_or(
                    RigError::WrongCase {
                        name: name.into(),
                        why: "its origin is not one the rig can stop and restart",
                    },
                )?;
                (
                    *behaviour,
                    self.case(name).map(|c| c.origin_port).unwrap_or(0),
                )
            };
        let slot = self.origin_slot(name)?;
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        // Drop the old server (and its in-flight connections) before rebinding its port.
        *guard = None;
        *guard =
            Some(OriginServer::start_on(port, behaviour).map_err(RigError::io("restart origin"))?);
        Ok(())
    }

    fn origin_slot(&self, name: &str) -> Result<&Mutex<Option<OriginServer>>, RigError> {
        self.origins
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, s)| s)
            .ok_or(RigError::WrongCase {
                name: name.into(),
                why: "its origin is not one the rig can stop and restart",
            })
    }

    fn front_port(&self, name: &str) -> Result<u16, RigError> {
        self.nginx.ports.front(name).ok_or(RigError::WrongCase {
            name: name.into(),
            why: "no such case",
        })
    }

    /// Bounded check that every front and origin listener accepts, and the down ports refuse.
    fn check_ready(&self) -> Result<(), RigError> {
        let deadline = Instant::now() + Duration::from_secs(5);
        for case in &self.cases {
            let port = self.front_port(case.name)?;
            while !is_listening(port) {
                if Instant::now() >= deadline {
                    return Err(RigError::NotReady {
                        what: format!("front of {}", case.name),
                    });
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        for port in self.closed_ports.iter().map(ClosedPort::port) {
            if is_listening(port) {
                return Err(RigError::NotReady {
                    what: format!("port {port} should refuse connections but accepts"),
                });
            }
        }
        Ok(())
    }
}

fn tls_cert<'a>(certs: &'a CertSet, name: &str) -> &'a tls::CertFiles {
    match name {
        "tls_expiring" => &certs.expiring,
        "tls_expired" => &certs.expired,
        "tls_self_signed" => &certs.self_signed,
        "tls_wrong_host" => &certs.wrong_host,
        "tls_not_yet_valid" => &certs.not_yet_valid,
        "tls_legacy" => &certs.valid_rsa,
        "tls_unknown_issuer" => &certs.unknown_issuer,
        "tls_missing_intermediate" => &certs.missing_intermediate,
        _ => &certs.valid,
    }
}

/// Adds the drop rules of the firewall cases, or marks those cases skipped (loudly).
fn install_firewall(
    opts: &RigOptions,
    cases: &mut [Case],
    blocks_cdn_port: u16,
    unreachable_port: u16,
) -> Option<Firewall> {
    let firewalled = ["origin_blocks_cdn", "origin_unreachable"];
    let result = firewall::private_namespace_check(opts.netns_declared).and_then(|()| {
        Firewall::install(&[
            DropRule {
                saddr: Some(nginx::FRONT_SOURCE_ADDR),
                dport: blocks_cdn_port,
            },
            DropRule {
                saddr: None,
                dport: unreachable_port,
            },
        ])
    });
    match result {
        Ok(fw) => Some(fw),
        Err(reason) => {
            for case in cases.iter_mut().filter(|c| firewalled.contains(&c.name)) {
                eprintln!("RIG: SKIPPED case {}: {reason}", case.name);
                case.skipped = Some(reason.clone());
            }
            None
        }
    }
}
