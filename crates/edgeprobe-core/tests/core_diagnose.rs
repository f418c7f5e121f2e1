//! The diagnosis engine, table-driven: at least three distinct evidence patterns per verdict,
//! then whole recorded rounds under tests/fixtures/rounds/ against their diagnoses' snapshots
//! beside them (`<round>.expected.json.snap`).

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edgeprobe_testkit::assert_fixture_snapshot;
use edgeprobe_testkit::builders::*;

use edgeprobe_core::diagnose::{diagnose, LatencyBaseline, RoundInput};
use edgeprobe_core::diagnosis::{
    Confidence, Diagnosis, Distinction, Fact, PathKind, Severity, Verdict,
};
use edgeprobe_core::monitor::Expectations;
use edgeprobe_core::observation::{EdgeFailure, HttpFailure, RegionReport, TlsStep};
use edgeprobe_core::time::DAY;

struct Case {
    name: &'static str,
    reports: Vec<RegionReport>,
    expect: Expectations,
    baselines: Vec<LatencyBaseline>,
    verdict: Verdict,
    regional_cause: Option<Verdict>,
}

fn case(name: &'static str, verdict: Verdict, reports: Vec<RegionReport>) -> Case {
    Case {
        name,
        reports,
        expect: Expectations::default(),
        baselines: vec![],
        verdict,
        regional_cause: None,
    }
}

fn everywhere(
    edge: impl Fn() -> edgeprobe_core::observation::EdgeObservation,
    origin: Option<fn() -> edgeprobe_core::observation::OriginObservation>,
) -> Vec<RegionReport> {
    ["enam", "weur", "apac"]
        .iter()
        .map(|r| probed(r, edge(), origin.map(|o| o())))
        .collect()
}

fn kw_expect() -> Expectations {
    Expectations {
        keyword: Some("Welcome".into()),
        ..Expectations::default()
    }
}

/// A raw HTTP response under tests/fixtures/vendors/, read by the probe's own HTTP/1.1 reader.
fn vendor_page(name: &str) -> edgeprobe_core::observation::ResponseSummary {
    use edgeprobe_core::http1::{ResponseReader, StreamEnd};
    use edgeprobe_core::observation::HttpStep;
    let path = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join(format!("tests/fixtures/vendors/{name}.http"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = ResponseReader::new(false, 64 * 1024, None);
    reader.feed(&bytes);
    match reader.finish(StreamEnd::Eof, 4, 5) {
        HttpStep::Response { response, .. } => response,
        other => panic!("{name}: not a complete response: {other:?}"),
    }
}

/// The origin answering our direct probe with a recorded page.
fn origin_page(name: &str) -> edgeprobe_core::observation::OriginObservation {
    use edgeprobe_core::observation::{ConnectStep, HttpStep, OriginObservation};
    OriginObservation {
        address: "203.0.113.10:80".into(),
        tls_expected: false,
        connect: ConnectStep::Ok { ms: 1 },
        tls: TlsStep::NotApplicable,
        http: HttpStep::Response {
            response: vendor_page(name),
            ttfb_ms: 4,
            total_ms: 5,
        },
        own_tls: None,
    }
}

/// The same page as the edge shows it behind a CDN that passes origin errors through
/// (Cloudflare: its own Server header and Ray ID, the origin's status and body).
fn edge_passes(name: &str) -> edgeprobe_core::observation::EdgeObservation {
    let mut e = edge(200, CF, "", 30);
    let mut r = vendor_page(name);
    r.headers.insert("server".into(), "cloudflare".into());
    r.headers
        .insert("cf-ray".into(), "8f1c2a3b4c5d6e7f-CDG".into());
    e.outcome = edgeprobe_core::observation::EdgeOutcome::Response(r);
    e
}

/// The page as the edge shows it behind a front nginx, which replaces Server with its own.
fn edge_via_nginx(name: &str) -> edgeprobe_core::observation::EdgeObservation {
    let mut e = edge(200, CF, "", 30);
    let mut r = vendor_page(name);
    r.headers.insert("server".into(), "nginx/1.22.1".into());
    e.outcome = edgeprobe_core::observation::EdgeOutcome::Response(r);
    e
}

fn edge_fetch_error(detail: &str) -> edgeprobe_core::observation::EdgeObservation {
    let mut e = edge_failed(EdgeFailure::Other);
    e.headers_ms = Some(12);
    e.outcome = edgeprobe_core::observation::EdgeOutcome::Failed {
        failure: EdgeFailure::Other,
        detail: detail.into(),
    };
    e
}

fn cases() -> Vec<Case> {
    use Verdict::*;
    let mut v = vec![
        // healthy
        case(
            "healthy: both paths 200",
            Healthy,
            everywhere(
                || {
                    edge(
                        200,
                        &[("server", "cloudflare"), ("cf-ray", "1-CDG")],
                        "",
                        40,
                    )
                },
                Some(|| origin_ok(200, 5)),
            ),
        ),
        case(
            "healthy: no origin configured",
            Healthy,
            everywhere(|| edge(200, &[("server", "cloudflare")], "", 40), None),
        ),
        case(
            "healthy: origin probe blocked, front fine and uncached",
            Healthy,
            everywhere(
                || {
                    edge(
                        200,
                        &[("server", "cloudflare"), ("cf-cache-status", "DYNAMIC")],
                        "",
                        40,
                    )
                },
                Some(origin_connect_timeout),
            ),
        ),
        // origin_refused
        case(
            "origin_refused: nginx 502 + refused",
            OriginRefused,
            everywhere(
                || edge(502, &[("server", "nginx/1.22.1")], NGINX_502, 3),
                Some(origin_refused),
            ),
        ),
        case(
            "origin_refused: CF 521 + refused",
            OriginRefused,
            everywhere(|| edge(521, CF, CF_521, 30), Some(origin_refused)),
        ),
        case(
            "origin_refused: CF 521 without origin",
            OriginRefused,
            everywhere(|| edge(521, CF, CF_521, 30), None),
        ),
        case(
            "origin_refused: CloudFront 502 + refused",
            OriginRefused,
            everywhere(
                || edge(502, CLOUDFRONT, CLOUDFRONT_502, 30),
                Some(origin_refused),
            ),
        ),
        // origin_unreachable
        case(
            "origin_unreachable: CF 522 + connect timeout",
            OriginUnreachable,
            everywhere(
                || edge(522, CF, CF_522, 15_000),
                Some(origin_connect_timeout),
            ),
        ),
        case(
            "origin_unreachable: CF 522 without origin",
            OriginUnreachable,
            everywhere(|| edge(522, CF, CF_522, 15_000), None),
        ),
        case(
            "origin_unreachable: nginx 504 + no route",
            OriginUnreachable,
            everywhere(
                || edge(504, &[("server", "nginx")], NGINX_504, 60_000),
                Some(origin_no_route),
            ),
        ),
        case(
            "origin_unreachable: CF 523 without origin",
            OriginUnreachable,
            everywhere(|| edge(523, CF, "", 30), None),
        ),
        // origin_blocks_cdn
        case(
            "origin_blocks_cdn: CF 522 while origin answers",
            OriginBlocksCdn,
            everywhere(|| edge(522, CF, CF_522, 15_000), Some(|| origin_ok(200, 4))),
        ),
        case(
            "origin_blocks_cdn: nginx 502 while origin answers",
            OriginBlocksCdn,
            everywhere(
                || edge(502, &[("server", "nginx/1.22.1")], NGINX_502, 3),
                Some(|| origin_ok(200, 4)),
            ),
        ),
        case(
            "origin_blocks_cdn: nginx 504 with fast origin",
            OriginBlocksCdn,
            everywhere(
                || edge(504, &[("server", "nginx")], NGINX_504, 3012),
                Some(|| origin_ok(200, 4)),
            ),
        ),
        case(
            "origin_blocks_cdn: CloudFront 504 with fast origin",
            OriginBlocksCdn,
            everywhere(
                || edge(504, CLOUDFRONT, CLOUDFRONT_504, 30_000),
                Some(|| origin_ok(200, 20)),
            ),
        ),
        // origin_tls_invalid
        case(
            "origin_tls_invalid: expired origin cert",
            OriginTlsInvalid,
            everywhere(
                || edge(526, CF, "", 50),
                Some(|| {
                    origin_tls(TlsStep::Expired {
                        ms: 3,
                        detail: "certificate expired".into(),
                    })
                }),
            ),
        ),
        case(
            "origin_tls_invalid: coarse TLS failure, nginx 502",
            OriginTlsInvalid,
            everywhere(
                || edge(502, &[("server", "nginx")], NGINX_502, 5),
                Some(|| {
                    origin_tls(TlsStep::Failed {
                        ms: 3,
                        detail: "TLS error".into(),
                    })
                }),
            ),
        ),
        case(
            "origin_tls_invalid: CF 526 without origin",
            OriginTlsInvalid,
            everywhere(|| edge(526, CF, "", 50), None),
        ),
        case(
            "origin_tls_invalid: CF 526 while our TLS succeeds",
            OriginTlsInvalid,
            everywhere(|| edge(526, CF, "", 50), Some(|| origin_ok(200, 4))),
        ),
        // origin_tls_handshake_failed
        case(
            "origin_tls_handshake_failed: handshake failed",
            OriginTlsHandshakeFailed,
            everywhere(
                || edge(525, CF, "", 50),
                Some(|| {
                    origin_tls(TlsStep::HandshakeFailed {
                        ms: 3,
                        detail: "protocol version".into(),
                    })
                }),
            ),
        ),
        case(
            "origin_tls_handshake_failed: coarse failure + CF 525",
            OriginTlsHandshakeFailed,
            everywhere(
                || edge(525, CF, "", 50),
                Some(|| {
                    origin_tls(TlsStep::Failed {
                        ms: 3,
                        detail: "TLS error".into(),
                    })
                }),
            ),
        ),
        case(
            "origin_tls_handshake_failed: CF 525 without origin",
            OriginTlsHandshakeFailed,
            everywhere(|| edge(525, CF, "", 50), None),
        ),
        // origin_timeout
        case(
            "origin_timeout: CF 524 + origin timeout before headers",
            OriginTimeout,
            everywhere(
                || edge(524, CF, "", 100_000),
                Some(|| origin_http_fail(HttpFailure::TimeoutBeforeHeaders)),
            ),
        ),
        case(
            "origin_timeout: nginx 504 with origin as slow as the proxy waits",
            OriginTimeout,
            everywhere(
                || edge(504, &[("server", "nginx")], NGINX_504, 60_000),
                Some(|| origin_ok(200, 59_000)),
            ),
        ),
        case(
            "origin_timeout: CF 524 without origin",
            OriginTimeout,
            everywhere(|| edge(524, CF, "", 100_000), None),
        ),
        case(
            "origin_timeout: edge fetch timed out, origin times out in body",
            OriginTimeout,
            everywhere(
                || edge_failed(EdgeFailure::Timeout),
                Some(|| origin_http_fail(HttpFailure::TimeoutInBody)),
            ),
        ),
        // origin_malformed_response
        case(
            "origin_malformed_response: CF 520 + empty reply",
            OriginMalformedResponse,
            everywhere(
                || edge(520, CF, "", 40),
                Some(|| origin_http_fail(HttpFailure::EmptyReply)),
            ),
        ),
        case(
            "origin_malformed_response: nginx 502 + invalid status line",
            OriginMalformedResponse,
            everywhere(
                || edge(502, &[("server", "nginx")], NGINX_502, 4),
                Some(|| origin_http_fail(HttpFailure::InvalidStatusLine)),
            ),
        ),
        case(
            "origin_malformed_response: CF 520 without origin",
            OriginMalformedResponse,
            everywhere(|| edge(520, CF, "", 40), None),
        ),
        case(
            "origin_malformed_response: body shorter than announced",
            OriginMalformedResponse,
            everywhere(
                || edge(502, CLOUDFRONT, CLOUDFRONT_502, 40),
                Some(|| origin_http_fail(HttpFailure::BodyShorterThanContentLength)),
            ),
        ),
        // origin_app_error
        case(
            "origin_app_error: both paths 500",
            OriginAppError,
            everywhere(
                || {
                    edge(
                        500,
                        &[("server", "cloudflare"), ("cf-ray", "1-CDG")],
                        "Internal Server Error from app",
                        40,
                    )
                },
                Some(|| origin_ok(500, 5)),
            ),
        ),
        case(
            "origin_app_error: nginx 502 and the origin's own 502",
            OriginAppError,
            everywhere(
                || edge(502, &[("server", "nginx")], NGINX_502, 4),
                Some(|| origin_ok(502, 5)),
            ),
        ),
        case(
            "origin_app_error: passed-through 503 without origin",
            OriginAppError,
            everywhere(
                || {
                    edge(
                        503,
                        &[("server", "cloudflare"), ("cf-ray", "1-CDG")],
                        "Service Unavailable - maintenance",
                        40,
                    )
                },
                None,
            ),
        ),
        // origin_dns_failure
        case(
            "origin_dns_failure: origin name does not resolve",
            OriginDnsFailure,
            everywhere(|| edge(530, CF, "error code: 1016", 40), Some(origin_dns)),
        ),
        case(
            "origin_dns_failure: CF 530/1016 without origin",
            OriginDnsFailure,
            everywhere(|| edge(530, CF, "error code: 1016 cloudflare", 40), None),
        ),
        case(
            "origin_dns_failure: CF 530/1016 while our probe connects",
            OriginDnsFailure,
            everywhere(
                || edge(530, CF, "error code: 1016", 40),
                Some(|| origin_ok(200, 5)),
            ),
        ),
        // edge_error_origin_healthy
        case(
            "edge_error_origin_healthy: CF 520 while origin answers",
            EdgeErrorOriginHealthy,
            everywhere(|| edge(520, CF, "", 40), Some(|| origin_ok(200, 5))),
        ),
        case(
            "edge_error_origin_healthy: unattributed 500 while origin answers",
            EdgeErrorOriginHealthy,
            everywhere(|| edge(500, &[], "", 40), Some(|| origin_ok(200, 5))),
        ),
        case(
            "edge_error_origin_healthy: Akamai 500 page while origin answers",
            EdgeErrorOriginHealthy,
            everywhere(
                || {
                    edge(
                        500,
                        &[("server", "AkamaiGHost")],
                        "An error occurred. Reference #18.2d",
                        40,
                    )
                },
                Some(|| origin_ok(200, 5)),
            ),
        ),
        // unexpected_response
        case(
            "unexpected_response: 404 everywhere",
            UnexpectedResponse,
            everywhere(
                || edge(404, CF, "Not Found", 40),
                Some(|| origin_ok(404, 5)),
            ),
        ),
        case(
            "unexpected_response: WAF 403 at the edge only",
            UnexpectedResponse,
            everywhere(
                || edge(403, CF, "Access denied", 40),
                Some(|| origin_ok(200, 5)),
            ),
        ),
        Case {
            expect: kw_expect(),
            ..case(
                "unexpected_response: keyword missing",
                UnexpectedResponse,
                everywhere(|| edge_kw(200, false), None),
            )
        },
        // regional
        Case {
            regional_cause: Some(OriginBlocksCdn),
            ..case(
                "regional: one PoP cannot reach the origin",
                Regional,
                vec![
                    probed("enam", edge(200, CF, "", 40), Some(origin_ok(200, 4))),
                    probed(
                        "weur",
                        edge(522, CF, CF_522, 15_000),
                        Some(origin_ok(200, 4)),
                    ),
                    probed("apac", edge(200, CF, "", 40), Some(origin_ok(200, 4))),
                ],
            )
        },
        Case {
            regional_cause: Some(EdgeUnreachable),
            ..case(
                "regional: front unreachable from one region",
                Regional,
                vec![
                    probed("enam", edge(200, CF, "", 40), None),
                    probed("apac", edge_failed(EdgeFailure::Connection), None),
                ],
            )
        },
        Case {
            regional_cause: Some(OriginRefused),
            ..case(
                "regional: refused in two of three, third stale",
                Regional,
                vec![
                    probed("enam", edge(521, CF, CF_521, 30), Some(origin_refused())),
                    probed("weur", edge(521, CF, CF_521, 30), Some(origin_refused())),
                    probed(
                        "apac",
                        edge(
                            200,
                            &[("server", "cloudflare"), ("cf-cache-status", "HIT")],
                            "",
                            30,
                        ),
                        Some(origin_refused()),
                    ),
                ],
            )
        },
        // edge_stale_origin_down
        case(
            "edge_stale_origin_down: CF HIT while origin refused",
            EdgeStaleOriginDown,
            everywhere(
                || {
                    edge(
                        200,
                        &[("server", "cloudflare"), ("cf-cache-status", "HIT")],
                        "",
                        30,
                    )
                },
                Some(origin_refused),
            ),
        ),
        case(
            "edge_stale_origin_down: Age while origin 500",
            EdgeStaleOriginDown,
            everywhere(
                || edge(200, &[("server", "varnish"), ("age", "300")], "", 30),
                Some(|| origin_ok(500, 5)),
            ),
        ),
        case(
            "edge_stale_origin_down: STALE without origin",
            EdgeStaleOriginDown,
            everywhere(
                || {
                    edge(
                        200,
                        &[("server", "cloudflare"), ("cf-cache-status", "STALE")],
                        "",
                        30,
                    )
                },
                None,
            ),
        ),
        // edge_unreachable
        case(
            "edge_unreachable: DNS of the front",
            EdgeUnreachable,
            everywhere(|| edge_failed(EdgeFailure::Dns), Some(|| origin_ok(200, 5))),
        ),
        case(
            "edge_unreachable: TLS to the front",
            EdgeUnreachable,
            everywhere(|| edge_failed(EdgeFailure::Tls), None),
        ),
        case(
            "edge_unreachable: connection to the front, origin fine",
            EdgeUnreachable,
            everywhere(
                || edge_failed(EdgeFailure::Connection),
                Some(|| origin_ok(200, 5)),
            ),
        ),
        // inconclusive
        case(
            "inconclusive: nobody answered",
            Inconclusive,
            vec![unanswered("enam"), unanswered("weur")],
        ),
        case("inconclusive: no regions at all", Inconclusive, vec![]),
        case(
            "inconclusive: one region, error text",
            Inconclusive,
            vec![RegionReport::Unanswered {
                region: "apac".into(),
                reason: "Durable Object reset".into(),
            }],
        ),
    ];
    // cert_expiring
    v.push(case(
        "cert_expiring: origin cert in 5 days",
        CertExpiring,
        everywhere(
            || edge(200, CF, "", 40),
            Some(|| origin_tls_ok_cert(NOW + 5 * DAY)),
        ),
    ));
    v.push(case(
        "cert_expiring: edge cert known and expiring",
        CertExpiring,
        everywhere(
            || with_edge_cert(edge(200, CF, "", 40), NOW + 2 * DAY),
            None,
        ),
    ));
    v.push(Case {
        expect: Expectations {
            cert_warning_days: 30,
            ..Expectations::default()
        },
        ..case(
            "cert_expiring: 20 days inside a 30-day window",
            CertExpiring,
            everywhere(
                || edge(200, CF, "", 40),
                Some(|| origin_tls_ok_cert(NOW + 20 * DAY)),
            ),
        )
    });
    // origin_tls_legacy: the platform's TLS works, only the own client (modern TLS) fails
    v.push(case(
        "origin_tls_legacy: CBC-only origin, every region",
        OriginTlsLegacy,
        everywhere(
            || edge(200, CF, "", 40),
            Some(|| legacy_origin("HandshakeFailure")),
        ),
    ));
    v.push(case(
        "origin_tls_legacy: TLS 1.0-only origin answers with a protocol_version alert",
        OriginTlsLegacy,
        everywhere(
            || edge(200, CF, "", 40),
            Some(|| legacy_origin("ProtocolVersion")),
        ),
    ));
    v.push(case(
        "origin_tls_legacy: both Workers' TLS clients refuse it, the CDN still gets through",
        OriginTlsLegacy,
        everywhere(|| edge(200, CF, "", 40), Some(legacy_origin_both_refuse)),
    ));
    v.push(case(
        "origin_tls_legacy: one region saw it (the others did not run the own client)",
        OriginTlsLegacy,
        vec![
            probed(
                "enam",
                edge(200, CF, "", 40),
                Some(legacy_origin("HandshakeFailure")),
            ),
            probed("weur", edge(200, CF, "", 40), Some(origin_ok(200, 5))),
            probed("apac", edge(200, CF, "", 40), Some(origin_ok(200, 5))),
        ],
    ));
    // degraded_latency
    let base = |region: &str, path, p50| LatencyBaseline {
        region: region.into(),
        path,
        p50_ms: p50,
        samples: 50,
    };
    v.push(Case {
        baselines: vec![base("weur", PathKind::Edge, 40)],
        ..case(
            "degraded_latency: edge 10x slower in one region",
            DegradedLatency,
            everywhere(|| edge(200, CF, "", 400), Some(|| origin_ok(200, 5))),
        )
    });
    v.push(Case {
        baselines: vec![
            base("enam", PathKind::Origin, 50),
            base("weur", PathKind::Origin, 50),
        ],
        ..case(
            "degraded_latency: origin slower than 3x",
            DegradedLatency,
            everywhere(|| edge(200, CF, "", 40), Some(|| origin_ok(200, 900))),
        )
    });
    v.push(Case {
        baselines: ["enam", "weur", "apac"]
            .iter()
            .map(|r| base(r, PathKind::Edge, 100))
            .collect(),
        ..case(
            "degraded_latency: every region",
            DegradedLatency,
            everywhere(|| edge(200, CF, "", 2_000), None),
        )
    });
    // Regressions found against the real nginx rig:
    // a 200 whose body the origin cut short, passed through by the proxy;
    v.push(case(
        "origin_malformed_response: proxy passes a 200 whose body broke off",
        OriginMalformedResponse,
        everywhere(
            || {
                let mut e = edge(
                    200,
                    &[("server", "nginx/1.22.1"), ("content-length", "1000")],
                    "",
                    9,
                );
                if let edgeprobe_core::observation::EdgeOutcome::Response(r) = &mut e.outcome {
                    r.body_error = Some(
                        "the body ended after 10 of 1000 bytes announced by Content-Length".into(),
                    );
                }
                e
            },
            Some(|| origin_http_fail(HttpFailure::BodyShorterThanContentLength)),
        ),
    ));
    // a front that relays an origin's non-HTTP answer as HTTP/0.9, which the runtime's fetch
    // rejects with a generic error: the origin's fault, not "check DNS and the CDN";
    v.push(case(
        "origin_malformed_response: edge fetch fails generically while the origin sends garbage",
        OriginMalformedResponse,
        everywhere(
            || edge_fetch_error("Error: internal error; reference = 4kq9r1vh2d7s"),
            Some(|| origin_http_fail(HttpFailure::InvalidStatusLine)),
        ),
    ));
    v.push(case(
        "origin_refused: edge fetch fails generically while the origin refuses",
        OriginRefused,
        everywhere(
            || edge_fetch_error("Error: internal error; reference = 9z"),
            Some(origin_refused),
        ),
    ));
    v.push(case(
        "edge_unreachable: edge fetch fails generically, origin fine",
        EdgeUnreachable,
        everywhere(
            || edge_fetch_error("Error: internal error; reference = 9z"),
            Some(|| origin_ok(200, 5)),
        ),
    ));
    // the origin's own reverse proxy reports its application server down or slow;
    v.push(case(
        "origin_upstream_down: nginx on the origin, app refused, passed through nginx front",
        OriginUpstreamDown,
        everywhere(
            || edge_via_nginx("nginx_502_upstream"),
            Some(|| origin_page("nginx_502_upstream")),
        ),
    ));
    v.push(case(
        "origin_upstream_down: Apache Proxy Error through Cloudflare",
        OriginUpstreamDown,
        everywhere(
            || edge_passes("apache_502_proxy_error"),
            Some(|| origin_page("apache_502_proxy_error")),
        ),
    ));
    v.push(case(
        "origin_upstream_down: HAProxy no server available",
        OriginUpstreamDown,
        everywhere(
            || edge_passes("haproxy_503_no_server"),
            Some(|| origin_page("haproxy_503_no_server")),
        ),
    ));
    v.push(case(
        "origin_upstream_down: Envoy upstream connect error",
        OriginUpstreamDown,
        everywhere(
            || edge_passes("envoy_503_connect_error"),
            Some(|| origin_page("envoy_503_connect_error")),
        ),
    ));
    v.push(case(
        "origin_upstream_down: Caddy empty 502",
        OriginUpstreamDown,
        everywhere(
            || edge_passes("caddy_502_empty"),
            Some(|| origin_page("caddy_502_empty")),
        ),
    ));
    v.push(case(
        "origin_upstream_down: HAProxy page passed through, no origin configured",
        OriginUpstreamDown,
        everywhere(|| edge_passes("haproxy_503_no_server"), None),
    ));
    v.push(case(
        "origin_upstream_timeout: nginx on the origin gave up on the app",
        OriginUpstreamTimeout,
        everywhere(
            || edge_via_nginx("nginx_504_upstream"),
            Some(|| origin_page("nginx_504_upstream")),
        ),
    ));
    v.push(case(
        "origin_upstream_timeout: Apache Gateway Timeout",
        OriginUpstreamTimeout,
        everywhere(
            || edge_passes("apache_504_gateway_timeout"),
            Some(|| origin_page("apache_504_gateway_timeout")),
        ),
    ));
    v.push(case(
        "origin_upstream_timeout: HAProxy server didn't respond in time",
        OriginUpstreamTimeout,
        everywhere(
            || edge_passes("haproxy_504_timeout"),
            Some(|| origin_page("haproxy_504_timeout")),
        ),
    ));
    v.push(case(
        "origin_upstream_timeout: Envoy upstream request timeout",
        OriginUpstreamTimeout,
        everywhere(
            || edge_passes("envoy_504_timeout"),
            Some(|| origin_page("envoy_504_timeout")),
        ),
    ));
    v.push(case(
        "origin_upstream_timeout: Caddy empty 504",
        OriginUpstreamTimeout,
        everywhere(
            || edge_passes("caddy_504_empty"),
            Some(|| origin_page("caddy_504_empty")),
        ),
    ));
    // an application's own error page behind those proxies stays the application's.
    v.push(case(
        "origin_app_error: maintenance 503 page behind nginx",
        OriginAppError,
        everywhere(
            || edge_passes("app_503_maintenance_behind_nginx"),
            Some(|| origin_page("app_503_maintenance_behind_nginx")),
        ),
    ));
    v.push(case(
        "origin_app_error: JSON 502 from the app behind Apache",
        OriginAppError,
        everywhere(
            || edge_passes("app_502_json_behind_apache"),
            Some(|| origin_page("app_502_json_behind_apache")),
        ),
    ));
    v.push(case(
        "origin_app_error: gunicorn's 500 behind nginx",
        OriginAppError,
        everywhere(
            || edge_passes("app_500_gunicorn_behind_nginx"),
            Some(|| origin_page("app_500_gunicorn_behind_nginx")),
        ),
    ));
    v.push(case(
        "origin_app_error: the app's own 504 text behind Caddy",
        OriginAppError,
        everywhere(
            || edge_passes("app_504_text_behind_caddy"),
            Some(|| origin_page("app_504_text_behind_caddy")),
        ),
    ));
    // a proxy that passes garbage through as an HTTP/0.9 body, parsed as a nonsense status.
    v.push(case(
        "origin_malformed_response: proxy passes a garbage status line",
        OriginMalformedResponse,
        everywhere(
            || edge(2, &[("server", "nginx/1.22.1")], "HTTP/1.1 2OO OK", 9),
            Some(|| origin_http_fail(HttpFailure::InvalidStatusLine)),
        ),
    ));
    v
}

#[test]
fn every_verdict_has_three_patterns_and_each_holds() {
    let cases = cases();
    let mut failures = Vec::new();
    for c in &cases {
        let d = diagnose(&RoundInput {
            reports: &c.reports,
            expect: &c.expect,
            baselines: &c.baselines,
            now: NOW,
        });
        if d.verdict != c.verdict || d.regional_cause != c.regional_cause {
            failures.push(format!(
                "{}:\n  expected {:?} ({:?})\n  got      {:?} ({:?}) conf {:?}\n  summary: {}\n  evidence: {:#?}",
                c.name,
                c.verdict,
                c.regional_cause,
                d.verdict,
                d.regional_cause,
                d.confidence,
                d.summary(),
                d.evidence
            ));
        }
        if d.checklist().is_empty() && d.verdict != Verdict::Healthy {
            failures.push(format!("{}: empty checklist", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for v in Verdict::ALL {
        let n = cases.iter().filter(|c| c.verdict == *v).count();
        assert!(n >= 3, "{} has {n} pattern(s), want at least 3", v.as_str());
    }
}

#[test]
fn edge_only_evidence_is_never_high_confidence() {
    let reports = everywhere(|| edge(521, CF, CF_521, 30), None);
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    assert_eq!(d.confidence, Confidence::Medium);
    assert!(
        d.summary().contains("No origin is configured"),
        "{}",
        d.summary()
    );
    assert!(d
        .alternatives
        .iter()
        .any(|a| a.verdict == Verdict::OriginBlocksCdn));
}

#[test]
fn nginx_504_with_fast_origin_names_the_timeout_alternative() {
    let reports = everywhere(
        || edge(504, &[("server", "nginx")], NGINX_504, 3012),
        Some(|| origin_ok(200, 4)),
    );
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    assert_eq!(d.verdict, Verdict::OriginBlocksCdn);
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::OriginTimeout
                && a.how_to_tell_apart().contains("3012 ms")),
        "{:?}",
        d.alternatives
    );
    assert!(
        d.evidence.iter().any(|e| e
            .finding()
            .starts_with("edge answered 504 generated by nginx after 3012 ms")),
        "{:?}",
        d.evidence
    );
    assert!(
        d.evidence
            .iter()
            .any(|e| e.finding().contains("connect ok in 1 ms, HTTP 200 in 4 ms")),
        "{:?}",
        d.evidence
    );
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(
        d.affected_regions,
        vec!["apac", "enam", "weur"],
        "regions sorted"
    );
}

#[test]
fn secondary_findings_go_to_also_when_something_else_is_wrong() {
    let reports = everywhere(
        || edge(502, &[("server", "nginx")], NGINX_502, 3),
        Some(|| origin_tls_ok_cert_status(502, NOW + 3 * DAY)),
    );
    let base: Vec<LatencyBaseline> = vec![];
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &base,
        now: NOW,
    });
    assert_eq!(d.verdict, Verdict::OriginAppError);
    assert_eq!(d.also, vec![Verdict::CertExpiring]);
}

#[test]
fn latency_needs_enough_baseline_samples() {
    let reports = everywhere(|| edge(200, CF, "", 2_000), None);
    let few = vec![LatencyBaseline {
        region: "enam".into(),
        path: PathKind::Edge,
        p50_ms: 100,
        samples: 3,
    }];
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &few,
        now: NOW,
    });
    assert_eq!(d.verdict, Verdict::Healthy);
}

#[test]
fn report_order_does_not_matter() {
    let mut reports = vec![
        probed(
            "weur",
            edge(522, CF, CF_522, 15_000),
            Some(origin_ok(200, 4)),
        ),
        probed("apac", edge(200, CF, "", 40), Some(origin_ok(200, 4))),
        unanswered("sam"),
        probed("enam", edge(200, CF, "", 40), Some(origin_ok(200, 4))),
    ];
    let a = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    reports.reverse();
    let b = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    assert_eq!(a, b);
    assert_eq!(a.unanswered_regions, vec!["sam"]);
    assert_eq!(a.healthy_regions, vec!["apac", "enam"]);
}

/// A recorded round as stored under tests/fixtures/rounds/<name>.json.
#[derive(serde::Deserialize)]
struct RoundFile {
    reports: Vec<RegionReport>,
    expect: Expectations,
    baselines: Vec<LatencyBaseline>,
    now: edgeprobe_core::time::UnixMillis,
}

fn rounds_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/rounds")
}

/// Every recorded round's name (without `.json`) with the diagnosis the engine produces now.
fn rounds() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(rounds_dir())
        .expect("rounds dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("read round");
        let round: RoundFile =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let d = diagnose(&RoundInput {
            reports: &round.reports,
            expect: &round.expect,
            baselines: &round.baselines,
            now: round.now,
        });
        out.push((
            stem.to_string(),
            serde_json::to_string_pretty(&d).expect("serialize"),
        ));
    }
    out
}

#[test]
fn recorded_rounds_match_their_diagnosis_snapshots() {
    let all = rounds();
    assert!(
        all.len() >= 5,
        "expected the recorded rounds under {}",
        rounds_dir().display()
    );
    for (stem, got) in all {
        assert_fixture_snapshot!("rounds", format!("{stem}.expected.json"), got, "");
    }
}

/// What a diagnosis gained when its words became rendered at read time: stripped to compare
/// with diagnoses stored before (tests/fixtures/diagnoses_before_data: the golden diagnoses
/// of tests/fixtures/rounds as the code that stored words wrote them).
fn without_data(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(m) = v.as_object_mut() {
        for key in [
            "other_cause_regions",
            "origin_probe_failed",
            "origin_configured",
        ] {
            m.remove(key);
        }
    }
    for (list, key) in [("/evidence", "fact"), ("/alternatives", "reason")] {
        if let Some(items) = v.pointer_mut(list).and_then(|l| l.as_array_mut()) {
            for item in items {
                item.as_object_mut().map(|m| m.remove(key));
            }
        }
    }
    v
}

fn before_data_dir() -> std::path::PathBuf {
    rounds_dir().join("../diagnoses_before_data")
}

fn stored_before_data(name: &str) -> serde_json::Value {
    let path = before_data_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The words rendered from a diagnosis's data are exactly the words the engine used to store:
/// summary, checklist, every evidence finding and every alternative's text.
#[test]
fn words_rendered_from_data_equal_the_words_stored_before() {
    let all = rounds();
    assert!(all.len() >= 5);
    for (stem, got) in all {
        let name = format!("{stem}.json");
        let got: serde_json::Value = serde_json::from_str(&got).expect("diagnosis JSON");
        assert_eq!(without_data(got), stored_before_data(&name), "{name}");
    }
}

/// Rounds stored in D1 and status documents in KV before diagnoses were data still load, and
/// serve the same JSON (their evidence and alternatives keep their stored words; summary and
/// checklist are rendered anew from the verdict and regions).
#[test]
fn diagnoses_stored_before_they_were_data_load_and_serve_the_same_json() {
    let mut names: Vec<String> = std::fs::read_dir(before_data_dir())
        .expect("fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in names {
        let stored = stored_before_data(&name);
        let d: Diagnosis =
            serde_json::from_value(stored.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            d.evidence
                .iter()
                .all(|e| matches!(e.fact, Fact::Recorded { .. })),
            "{name}"
        );
        // Only the "other regions" alternative's words are read back as data (the summary
        // needs its regions); the others keep their stored words.
        assert!(
            d.alternatives.iter().all(|a| matches!(
                a.reason,
                Distinction::Recorded { .. } | Distinction::OtherRegionsShow { .. }
            )),
            "{name}"
        );
        let served = serde_json::to_value(&d).expect("serialize");
        assert_eq!(without_data(served), stored, "{name}");

        // The KV status document holds one too.
        let doc = serde_json::json!({
            "monitor_id": "mon_1", "slug": "shop", "name": "Shop", "public": true, "health": "down",
            "diagnosis": stored, "regions": [], "round_id": "rnd_1", "updated_at": NOW,
        });
        let status: edgeprobe_core::status::CurrentStatus = serde_json::from_value(doc.clone())
            .unwrap_or_else(|e| panic!("{name}: status document: {e}"));
        assert_eq!(status.diagnosis, d, "{name}");
        let served = serde_json::to_value(&status).expect("serialize");
        assert_eq!(
            without_data(served["diagnosis"].clone()),
            doc["diagnosis"],
            "{name}"
        );
    }
}

/// A wording fix applies to history: whatever words a stored diagnosis carries, reading it
/// renders today's, from its data.
#[test]
fn wording_fixes_apply_to_stored_diagnoses() {
    let (stem, current) = rounds()
        .into_iter()
        .find(|(n, _)| n == "mixed_causes_refused_and_unreachable")
        .expect("recorded round");
    let name = format!("{stem}.json");
    let current: serde_json::Value = serde_json::from_str(&current).expect("diagnosis JSON");
    let engine: Diagnosis = serde_json::from_value(current.clone()).expect("loads");
    for mut stored in [current.clone(), stored_before_data(&name)] {
        stored["summary"] = "The origin is down (old wording).".into();
        stored["checklist"] = serde_json::json!(["Reboot it (old wording)."]);
        let with_data = stored.pointer("/evidence/0/fact").is_some();
        if with_data {
            stored["evidence"][0]["finding"] = "edge said no (old wording)".into();
            stored["alternatives"][0]["how_to_tell_apart"] = "Ask someone (old wording).".into();
        }
        let d: Diagnosis = serde_json::from_value(stored).expect("loads");
        assert_eq!(d.summary(), engine.summary());
        assert!(
            d.summary()
                .starts_with("The origin server refuses connections"),
            "{}",
            d.summary()
        );
        assert_eq!(d.checklist(), engine.checklist());
        assert_eq!(d.checklist().len(), 4, "{:?}", d.checklist());
        assert_eq!(d.other_cause_regions, ["apac"]);
        let served = serde_json::to_string(&d).expect("serialize");
        assert!(!served.contains("old wording"), "{served}");
        if with_data {
            assert_eq!(serde_json::to_value(&d).expect("serialize"), current);
        }
    }
}

#[test]
fn docs_have_a_section_per_verdict() {
    let path = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("docs/diagnoses.md");
    let text = std::fs::read_to_string(&path).expect("docs/diagnoses.md");
    let missing: Vec<&str> = Verdict::ALL
        .iter()
        .map(|v| v.as_str())
        .filter(|name| !text.lines().any(|l| l == format!("## {name}")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/diagnoses.md lacks sections for {missing:?}"
    );
}

#[test]
fn timeout_mismatch_between_layers_is_a_confident_origin_timeout() {
    let reports = everywhere(
        || edge(524, CF, "", 100_000),
        Some(|| origin_ok(200, 95_000)),
    );
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::OriginTimeout, Confidence::High),
        "{}",
        d.summary()
    );
    let reports = everywhere(|| edge(524, CF, "", 100_000), Some(|| origin_ok(200, 40)));
    let d = diagnose(&RoundInput {
        reports: &reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    });
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::OriginTimeout, Confidence::Medium)
    );
    assert!(d
        .alternatives
        .iter()
        .any(|a| a.verdict == Verdict::EdgeErrorOriginHealthy));
}

fn run(reports: &[RegionReport]) -> edgeprobe_core::diagnosis::Diagnosis {
    diagnose(&RoundInput {
        reports,
        expect: &Expectations::default(),
        baselines: &[],
        now: NOW,
    })
}

/// Regression: the front relayed an origin's non-HTTP answer as HTTP/0.9, the Worker's fetch
/// failed with a generic error, and the user was told to check DNS and the CDN.
#[test]
fn edge_fetch_error_with_an_origin_fault_names_the_origin_and_keeps_edge_unreachable_as_alternative(
) {
    let d = run(&everywhere(
        || edge_fetch_error("Error: internal error; reference = 4kq9r1vh2d7s"),
        Some(|| origin_http_fail(HttpFailure::InvalidStatusLine)),
    ));
    assert_eq!(
        d.verdict,
        Verdict::OriginMalformedResponse,
        "{}",
        d.summary()
    );
    assert_eq!(d.confidence, Confidence::Medium);
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::EdgeUnreachable),
        "{:?}",
        d.alternatives
    );
    // The same through a front that closes after relaying: workerd says "Network connection
    // lost." (tests/rig's not_http case).
    let d = run(&everywhere(
        || {
            let mut e = edge_fetch_error("Error: Network connection lost.");
            e.outcome = edgeprobe_core::observation::EdgeOutcome::Failed {
                failure: EdgeFailure::Connection,
                detail: "Error: Network connection lost.".into(),
            };
            e
        },
        Some(|| origin_http_fail(HttpFailure::InvalidStatusLine)),
    ));
    assert_eq!(
        d.verdict,
        Verdict::OriginMalformedResponse,
        "{}",
        d.summary()
    );
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::EdgeUnreachable),
        "{:?}",
        d.alternatives
    );
    // The front's own name not resolving is the front, whatever the origin does; the origin
    // fault is named beside it.
    let d = run(&everywhere(
        || edge_failed(EdgeFailure::Dns),
        Some(origin_refused),
    ));
    assert_eq!(d.verdict, Verdict::EdgeUnreachable);
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::OriginRefused),
        "{:?}",
        d.alternatives
    );
}

/// Vendors' real error pages (tests/fixtures/vendors/), attributed from their real wording
/// whatever its case: Fastly's "Backend fetch failed", Akamai's entity-encoded "Reference #",
/// CloudFront's "could not be satisfied", Cloudflare's 52x pages.
#[test]
fn vendor_error_pages_are_read_from_their_real_wording() {
    use edgeprobe_core::cdn::{attribute, Cdn, EdgeErrorClass::*, ErrorSource};
    let cases: Vec<(
        &str,
        Cdn,
        ErrorSource,
        Vec<edgeprobe_core::cdn::EdgeErrorClass>,
    )> = vec![
        (
            "fastly_503_backend_fetch_failed",
            Cdn::Fastly,
            ErrorSource::Edge,
            vec![ConnectRefused, ConnectOther, InvalidResponse],
        ),
        (
            "fastly_503_first_byte_timeout",
            Cdn::Fastly,
            ErrorSource::Edge,
            vec![OriginTimeout],
        ),
        (
            "fastly_503_backend_unhealthy",
            Cdn::Fastly,
            ErrorSource::Edge,
            vec![ConnectOther],
        ),
        (
            "varnish_503_guru_meditation",
            Cdn::Fastly,
            ErrorSource::Edge,
            vec![ConnectRefused, ConnectOther, InvalidResponse],
        ),
        (
            "cloudfront_502",
            Cdn::CloudFront,
            ErrorSource::Edge,
            vec![
                ConnectRefused,
                ConnectOther,
                InvalidResponse,
                TlsHandshake,
                TlsInvalidCert,
            ],
        ),
        (
            "akamai_503_reference",
            Cdn::Akamai,
            ErrorSource::Edge,
            vec![ConnectRefused, ConnectOther, InvalidResponse],
        ),
        (
            "akamai_504_gateway_timeout",
            Cdn::Akamai,
            ErrorSource::Edge,
            vec![ConnectTimeout, OriginTimeout],
        ),
        (
            "cloudflare_520",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![InvalidResponse],
        ),
        (
            "cloudflare_521",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![ConnectRefused],
        ),
        (
            "cloudflare_522",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![ConnectTimeout],
        ),
        (
            "cloudflare_523",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![ConnectOther],
        ),
        (
            "cloudflare_524",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![OriginTimeout],
        ),
        (
            "cloudflare_525",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![TlsHandshake],
        ),
        (
            "cloudflare_526",
            Cdn::Cloudflare,
            ErrorSource::Edge,
            vec![TlsInvalidCert],
        ),
        (
            "nginx_502_upstream",
            Cdn::Nginx,
            ErrorSource::Edge,
            vec![
                ConnectRefused,
                ConnectOther,
                InvalidResponse,
                TlsHandshake,
                TlsInvalidCert,
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, cdn, source, mut classes) in cases {
        classes.sort();
        let a = attribute(&vendor_page(name));
        if (a.cdn, a.source, &a.error_classes) != (cdn, source, &classes) {
            failures.push(format!(
                "{name}: expected {cdn:?} {source:?} {classes:?}, got {:?} {:?} {:?}",
                a.cdn, a.source, a.error_classes
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Every Fastly 503 used to read "origin unreachable".
    let d = run(&everywhere(
        || edge_passes_as_is("fastly_503_backend_fetch_failed"),
        None,
    ));
    assert_ne!(d.verdict, Verdict::OriginUnreachable, "{}", d.summary());
    assert!(
        d.evidence
            .iter()
            .any(|e| e.finding().contains("invalid answer from the origin")),
        "{:?}",
        d.evidence
    );
}

fn edge_passes_as_is(name: &str) -> edgeprobe_core::observation::EdgeObservation {
    let mut e = edge(200, &[], "", 30);
    e.outcome = edgeprobe_core::observation::EdgeOutcome::Response(vendor_page(name));
    e
}

/// nginx's own 502 covers TLS failures towards the upstream too; its stated meaning says so.
#[test]
fn nginx_502_meaning_includes_tls_failures() {
    let d = run(&everywhere(
        || edge_passes_as_is("nginx_502_upstream"),
        None,
    ));
    let edge_ev = d
        .evidence
        .iter()
        .find(|e| e.path == PathKind::Edge)
        .expect("edge evidence");
    assert!(
        edge_ev.finding().contains("meaning:") && edge_ev.finding().contains("TLS"),
        "{}",
        edge_ev.finding()
    );
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::OriginTlsInvalid),
        "{:?}",
        d.alternatives
    );
    // Without an origin, a front nginx's page may be the origin's own nginx's, passed through.
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::OriginUpstreamDown),
        "{:?}",
        d.alternatives
    );
    let d = run(&everywhere(
        || edge_passes_as_is("nginx_504_upstream"),
        None,
    ));
    assert!(
        d.alternatives
            .iter()
            .any(|a| a.verdict == Verdict::OriginUpstreamTimeout),
        "{:?}",
        d.alternatives
    );
}

/// A front that relays 200 and then cuts the body short: the evidence shows the broken body.
#[test]
fn relayed_200_with_a_broken_body_shows_the_break_in_the_evidence() {
    let d = run(&everywhere(
        || {
            let mut e = edge(
                200,
                &[("server", "nginx/1.22.1"), ("content-length", "1000")],
                "",
                9,
            );
            if let edgeprobe_core::observation::EdgeOutcome::Response(r) = &mut e.outcome {
                r.body_bytes = 10;
                r.body_error = Some(
                    "the body ended after 10 of 1000 bytes announced by Content-Length".into(),
                );
            }
            e
        },
        Some(|| origin_http_fail(HttpFailure::BodyShorterThanContentLength)),
    ));
    let edge_ev = d
        .evidence
        .iter()
        .find(|e| e.path == PathKind::Edge)
        .expect("edge evidence");
    assert!(
        edge_ev.finding().contains("body broke off")
            && edge_ev.finding().contains("10 of 1000 bytes"),
        "{}",
        edge_ev.finding()
    );
    // Broken mid-body by the runtime, no Content-Length: bytes received and how it ended.
    let d = run(&everywhere(
        || {
            let mut e = edge(200, &[("server", "nginx/1.22.1")], "", 9);
            if let edgeprobe_core::observation::EdgeOutcome::Response(r) = &mut e.outcome {
                r.body_bytes = 3;
                r.body_error =
                    Some("the body broke off after 3 bytes: Network connection lost.".into());
            }
            e
        },
        None,
    ));
    let edge_ev = d
        .evidence
        .iter()
        .find(|e| e.path == PathKind::Edge)
        .expect("edge evidence");
    assert!(
        edge_ev
            .finding()
            .contains("body broke off: 3 bytes received")
            && edge_ev.finding().contains("Network connection lost."),
        "{}",
        edge_ev.finding()
    );
}

/// The origin's own reverse proxy made the 5xx about its upstream: named from its real default
/// pages, with the alternatives where the page does not settle it; the application's own pages
/// never count.
#[test]
fn origin_proxy_pages_name_the_upstream_fault() {
    use Confidence::{High, Medium};
    use Verdict::*;
    let cases: &[(&str, Verdict, Confidence, &[Verdict])] = &[
        ("nginx_502_upstream", OriginUpstreamDown, High, &[]),
        ("nginx_504_upstream", OriginUpstreamTimeout, High, &[]),
        ("apache_502_proxy_error", OriginUpstreamDown, High, &[]),
        (
            "apache_503_service_unavailable",
            OriginUpstreamDown,
            Medium,
            &[OriginAppError],
        ),
        (
            "apache_504_gateway_timeout",
            OriginUpstreamTimeout,
            High,
            &[],
        ),
        ("haproxy_502_bad_gateway", OriginUpstreamDown, High, &[]),
        ("haproxy_503_no_server", OriginUpstreamDown, High, &[]),
        ("haproxy_504_timeout", OriginUpstreamTimeout, High, &[]),
        ("caddy_502_empty", OriginUpstreamDown, High, &[]),
        ("caddy_504_empty", OriginUpstreamTimeout, High, &[]),
        ("envoy_503_connect_error", OriginUpstreamDown, High, &[]),
        (
            "envoy_503_no_healthy_upstream",
            OriginUpstreamDown,
            High,
            &[],
        ),
        ("envoy_504_timeout", OriginUpstreamTimeout, High, &[]),
        ("traefik_502", OriginUpstreamDown, Medium, &[OriginAppError]),
        (
            "traefik_504",
            OriginUpstreamTimeout,
            Medium,
            &[OriginAppError],
        ),
        (
            "iis_arr_502_3",
            OriginUpstreamDown,
            Medium,
            &[OriginUpstreamTimeout, OriginAppError],
        ),
        (
            "app_503_maintenance_behind_nginx",
            OriginAppError,
            High,
            &[],
        ),
        ("app_502_json_behind_apache", OriginAppError, High, &[]),
        ("app_500_gunicorn_behind_nginx", OriginAppError, High, &[]),
        ("app_504_text_behind_caddy", OriginAppError, High, &[]),
    ];
    let mut failures = Vec::new();
    for &(page, verdict, conf, alts) in cases {
        let reports: Vec<RegionReport> = ["enam", "weur", "apac"]
            .iter()
            .map(|r| probed(r, edge_passes(page), Some(origin_page(page))))
            .collect();
        let d = run(&reports);
        let got_alts: Vec<Verdict> = d.alternatives.iter().map(|a| a.verdict).collect();
        let want_conf = conf;
        if d.verdict != verdict
            || !alts.iter().all(|a| got_alts.contains(a))
            || d.confidence != want_conf
        {
            failures.push(format!(
                "{page}: expected {verdict:?} ({want_conf:?}) with {alts:?}, got {:?} ({:?}) with {got_alts:?}\n  {}",
                d.verdict,
                d.confidence,
                d.summary()
            ));
        }
        if verdict != OriginAppError {
            let origin = d
                .evidence
                .iter()
                .find(|e| e.path == PathKind::Origin)
                .map(|e| e.finding())
                .unwrap_or_default();
            if !origin.contains("own") || !origin.contains("upstream") {
                failures.push(format!(
                    "{page}: origin evidence does not name the proxy's page: {origin}"
                ));
            }
            if d.checklist().first().map(String::as_str) != Some(edgeprobe_checklist_head(verdict))
            {
                failures.push(format!("{page}: checklist {:?}", d.checklist()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn edgeprobe_checklist_head(v: Verdict) -> &'static str {
    match v {
        Verdict::OriginUpstreamTimeout => "Check the application server's response time and its worker pool (all workers busy, pm.max_children reached, slow queries, locks, external APIs it waits on).",
        _ => "Check that the application server process behind the origin's web server is running (systemctl status php-fpm / gunicorn / puma / your node service, docker ps, pm2 list), and look for crashes or out-of-memory kills (journalctl, dmesg).",
    }
}

/// The runtime's own error texts stay in the evidence; summaries, alert texts and status pages
/// say what happened in plain words.
#[test]
fn raw_runtime_texts_stay_in_the_evidence_and_out_of_summaries_alerts_and_pages() {
    use edgeprobe_core::alerting::payload::{
        discord_body, pagerduty_body, slack_body, webhook_body,
    };
    use edgeprobe_core::alerting::{alert_regions, Alert, AlertKind, AlertLinks};
    use edgeprobe_core::observation::{ConnectStep, EdgeOutcome, HttpStep, OriginObservation};
    use edgeprobe_core::status::{summarize_region, CurrentStatus, Health};
    use edgeprobe_web::status_page::{render_index, render_monitor, PageMonitor};
    use serde_json::Value;

    const RAW: [&str; 3] = [
        "internal error; reference =",
        "proxy request failed, cannot connect to the specified address",
        "Network connection lost.",
    ];
    let workerd_connect = "Error: proxy request failed, cannot connect to the specified address";
    let refused = || OriginObservation {
        address: "203.0.113.10:80".into(),
        tls_expected: false,
        connect: ConnectStep::Refused {
            ms: 2,
            detail: workerd_connect.into(),
        },
        tls: TlsStep::NotAttempted,
        http: HttpStep::NotAttempted,
        own_tls: None,
    };
    let lost = || {
        let mut e = edge_failed(EdgeFailure::Connection);
        e.outcome = EdgeOutcome::Failed {
            failure: EdgeFailure::Connection,
            detail: "Error: Network connection lost.".into(),
        };
        e
    };
    let reports = vec![
        probed(
            "enam",
            edge_fetch_error("Error: internal error; reference = 4kq9r1vh2d7s"),
            Some(refused()),
        ),
        probed("weur", lost(), Some(refused())),
        probed(
            "apac",
            edge(502, &[("server", "nginx/1.22.1")], NGINX_502, 3),
            Some(refused()),
        ),
    ];
    let d = run(&reports);
    assert!(d.verdict.is_failure(), "{:?}", d.verdict);
    let evidence = serde_json::to_string(&d.evidence).unwrap();
    for raw in RAW {
        assert!(
            evidence.contains(raw),
            "the evidence keeps {raw:?}: {evidence}"
        );
    }

    let alert = Alert {
        id: "msg_inc_1_down_1".into(),
        kind: AlertKind::Down,
        at: NOW,
        dedup_key: "inc_1".into(),
        monitor_id: "mon_shop".into(),
        monitor_name: "Shop".into(),
        monitor_url: "https://shop.example.com/".into(),
        incident_id: Some("inc_1".into()),
        state_change: "up -> down".into(),
        verdict: d.verdict,
        summary: d.summary(),
        checklist: d.checklist(),
        severity: d.severity,
        first_seen_at: Some(NOW),
        confirmed_at: Some(NOW),
        resolved_at: None,
        regions: alert_regions(&reports, &d.affected_regions),
        regions_total: 3,
        links: AlertLinks {
            monitor_page: Some("https://probe.example.com/status/shop".into()),
            status_page: Some("https://probe.example.com/status/shop".into()),
            docs: "https://example.com/docs/diagnoses.md#x".into(),
            api: "https://probe.example.com/api/v1/monitors/mon_shop".into(),
        },
        certificate: None,
    };
    assert_eq!(alert.regions.len(), 3);

    // Structured bodies: the per-region evidence keeps the raw text; everything else is words.
    let without_regions = |body: &str| {
        let mut v: Value = serde_json::from_str(body).unwrap();
        let regions = v
            .pointer("/data/regions")
            .or(v.pointer("/payload/custom_details/regions"))
            .cloned();
        for p in ["/data", "/payload/custom_details"] {
            if let Some(Value::Object(m)) = v.pointer_mut(p) {
                m.remove("regions");
            }
        }
        (
            v.to_string(),
            regions.map(|r| r.to_string()).unwrap_or_default(),
        )
    };
    let mut rendered = vec![
        ("summary", d.summary()),
        ("slack", slack_body(&alert, None)),
        ("discord", discord_body(&alert, None)),
    ];
    for (name, body) in [
        ("webhook", webhook_body(&alert)),
        ("pagerduty", pagerduty_body(&alert, "KEY")),
    ] {
        let (rest, regions) = without_regions(&body);
        assert!(
            RAW.iter().filter(|raw| regions.contains(**raw)).count() >= 2,
            "{name}: its region evidence keeps the runtime's texts: {regions}"
        );
        rendered.push((name, rest));
    }
    let status = CurrentStatus {
        monitor_id: "mon_shop".into(),
        slug: "shop".into(),
        name: "Shop".into(),
        public: true,
        health: Health::of(&d),
        diagnosis: d.clone(),
        regions: reports
            .iter()
            .map(|r| summarize_region(r, &Expectations::default()))
            .collect(),
        round_id: "rnd_1".into(),
        updated_at: NOW,
    };
    let page = PageMonitor::from_status(&status);
    rendered.push((
        "status page",
        render_monitor(
            &page,
            NOW,
            "Status",
            edgeprobe_web::status_page::Detail::Full,
        ),
    ));
    rendered.push(("status index", render_index(&[page], NOW, "Status")));
    let mut leaks = Vec::new();
    for (name, text) in &rendered {
        for raw in RAW {
            if text.contains(raw) {
                leaks.push(format!("{name} contains {raw:?}:\n{text}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
    // And the alert text says it in words.
    let slack = slack_body(&alert, None);
    assert!(slack.contains("connection refused"), "{slack}");
    assert!(
        slack.contains("the request failed without any response"),
        "{slack}"
    );
}

mod no_panics {
    use super::*;
    use edgeprobe_core::observation::{ConnectStep, EdgeObservation, HttpStep, OriginObservation};
    use proptest::prelude::*;

    fn any_edge() -> impl Strategy<Value = EdgeObservation> {
        let statuses = prop_oneof![
            Just(200u16),
            Just(304),
            Just(403),
            Just(500),
            Just(502),
            Just(503),
            Just(504),
            520u16..531,
            100u16..600
        ];
        let headers = prop_oneof![
            Just(CF),
            Just(CLOUDFRONT),
            Just(&[("server", "nginx")][..]),
            Just(&[][..]),
            Just(&[("cf-cache-status", "HIT"), ("age", "9")][..])
        ];
        let bodies = prop_oneof![
            Just(String::new()),
            Just(NGINX_502.to_string()),
            Just(CF_522.to_string()),
            Just(CLOUDFRONT_504.to_string()),
            Just("error code: 1016".to_string()),
            ".{0,40}"
        ];
        prop_oneof![
            (statuses, headers, bodies, 0u32..200_000).prop_map(|(s, h, b, ms)| edge(s, h, &b, ms)),
            prop_oneof![
                Just(EdgeFailure::Timeout),
                Just(EdgeFailure::Dns),
                Just(EdgeFailure::Connection),
                Just(EdgeFailure::Tls),
                Just(EdgeFailure::Other)
            ]
            .prop_map(edge_failed),
        ]
    }

    fn any_origin() -> impl Strategy<Value = Option<OriginObservation>> {
        let tls = prop_oneof![
            Just(TlsStep::Failed {
                ms: 1,
                detail: String::new()
            }),
            Just(TlsStep::HandshakeFailed {
                ms: 1,
                detail: String::new()
            }),
            Just(TlsStep::Untrusted {
                ms: 1,
                detail: String::new()
            }),
        ];
        prop_oneof![
            Just(None),
            (100u16..600, 0u32..200_000).prop_map(|(s, t)| Some(origin_ok(s, t))),
            Just(Some(origin_refused())),
            Just(Some(origin_connect_timeout())),
            Just(Some(origin_dns())),
            tls.prop_map(|t| Some(origin_tls(t))),
            (0usize..11).prop_map(|i| {
                let all = [
                    HttpFailure::EmptyReply,
                    HttpFailure::InvalidStatusLine,
                    HttpFailure::InvalidHeader,
                    HttpFailure::ClosedBeforeHeaders,
                    HttpFailure::BodyShorterThanContentLength,
                    HttpFailure::InvalidChunkedBody,
                    HttpFailure::Reset,
                    HttpFailure::TimeoutBeforeHeaders,
                    HttpFailure::TimeoutInBody,
                    HttpFailure::HeadersTooLarge,
                    HttpFailure::WriteFailed,
                ];
                Some(origin_http_fail(all[i]))
            }),
            Just(Some(OriginObservation {
                address: "x:1".into(),
                tls_expected: false,
                connect: ConnectStep::Ok { ms: 1 },
                tls: TlsStep::NotApplicable,
                http: HttpStep::NotAttempted,
                own_tls: None,
            })),
        ]
    }

    proptest! {
        #[test]
        fn any_round_gets_a_consistent_diagnosis(regions in proptest::collection::vec((any_edge(), any_origin(), any::<bool>()), 0..9), p50 in 0u32..500) {
            let names = ["afr", "apac", "eeur", "enam", "me", "oc", "sam", "weur", "wnam"];
            let reports: Vec<RegionReport> = regions.into_iter().enumerate().map(|(i, (e, o, answered))| if answered { probed(names[i], e, o) } else { unanswered(names[i]) }).collect();
            let baselines: Vec<LatencyBaseline> = names.iter().map(|r| LatencyBaseline { region: r.to_string(), path: PathKind::Edge, p50_ms: p50, samples: 20 }).collect();
            let d = diagnose(&RoundInput { reports: &reports, expect: &Expectations::default(), baselines: &baselines, now: NOW });
            prop_assert!(!d.summary().is_empty());
            prop_assert_eq!(d.regional_cause.is_some(), d.verdict == Verdict::Regional);
            let answered = reports.iter().filter(|r| matches!(r, RegionReport::Probed(_))).count();
            prop_assert_eq!(d.verdict == Verdict::Inconclusive, answered == 0);
            let mut sorted = d.affected_regions.clone();
            sorted.sort();
            prop_assert_eq!(&sorted, &d.affected_regions);
            if d.verdict.is_failure() {
                prop_assert!(!d.evidence.is_empty() && !d.checklist().is_empty());
            }
            // The summary counts answering regions as affected ∪ healthy: every answering
            // region is one or the other.
            let seen: std::collections::BTreeSet<&String> = d.affected_regions.iter().chain(&d.healthy_regions).collect();
            prop_assert_eq!(seen.len(), answered);
            // The stored form is the data: reading it back loses nothing.
            let stored = serde_json::to_string(&d).expect("serialize");
            let back: Diagnosis = serde_json::from_str(&stored).expect("reads back");
            prop_assert_eq!(&back, &d);
        }
    }
}

/// An https origin the platform's TLS reached (HTTP 200) while the own client found no
/// protocol or suite in common (`alert`).
fn legacy_origin(alert: &str) -> edgeprobe_core::observation::OriginObservation {
    use edgeprobe_core::observation::{OwnTls, OwnTlsOutcome};
    let mut o = origin_ok(200, 5);
    o.tls_expected = true;
    o.tls = TlsStep::Ok {
        ms: 3,
        certificate: edgeprobe_core::observation::CertificateInfo::NotObservable,
    };
    o.own_tls = Some(OwnTls {
        ms: 2,
        outcome: OwnTlsOutcome::NoCommonProtocol {
            alert: alert.into(),
        },
        version: None,
        cipher_suite: None,
        presented: 0,
        leaf: None,
    });
    o
}

/// An https origin no TLS client of the Worker agrees with (RSA key exchange only, say), while
/// the CDN's front answers 200: legacy, not broken.
fn legacy_origin_both_refuse() -> edgeprobe_core::observation::OriginObservation {
    let mut o = legacy_origin("HandshakeFailure");
    o.tls = TlsStep::HandshakeFailed {
        ms: 3,
        detail: "no TLS version or cipher suite in common (HandshakeFailure)".into(),
    };
    o.http = edgeprobe_core::observation::HttpStep::NotAttempted;
    o
}
