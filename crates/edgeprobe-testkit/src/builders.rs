//! The one set of test builders, used by the unit tests of edgeprobe-web, the integration tests
//! of edgeprobe-core and edgeprobe-web, the rig's self-test and the Worker's tests alike: values
//! that look like what the engine and the platform produce. (Unit tests inside edgeprobe-core
//! cannot use them: this crate links its own copy of edgeprobe-core. Tests that need builders
//! are integration tests there, under crates/edgeprobe-core/tests/.)
//!
//! - Scripted rounds for the alerting tests: [`monitor`] (a shop with an origin, in
//!   [`REGIONS`]), [`Round`], and the [`diagnosis`] and [`reports`] of such a round at a time
//!   counted from [`T0`].
//! - Observations with real CDN and proxy headers and pages, for diagnosis tables and recorded
//!   rounds: [`response`], [`edge`] and its variants, `origin_*`, [`probed`], [`unanswered`],
//!   at [`NOW`].

use std::collections::BTreeMap;

use edgeprobe_core::alerting::Links;
use edgeprobe_core::diagnosis::{Confidence, Diagnosis, Severity, Verdict};
use edgeprobe_core::monitor::{
    ConfirmationPolicy, Expectations, MaintenanceWindow, Monitor, OriginTarget, Scheme,
};
use edgeprobe_core::observation::*;
use edgeprobe_core::time::UnixMillis;

// ---- Scripted rounds: a monitor, its diagnoses and region reports --------------------------

pub const REGIONS: [&str; 3] = ["enam", "weur", "apac"];
/// 2026-11-21T12:00:00Z: scripts count seconds from here.
pub const T0: UnixMillis = 1_795_262_400_000;

pub fn monitor() -> Monitor {
    Monitor {
        id: "mon_shop".into(),
        name: "Shop".into(),
        url: "https://shop.example.com/".into(),
        origin: Some(OriginTarget {
            host: "203.0.113.10".into(),
            port: 443,
            scheme: Scheme::Https,
            tls: Default::default(),
        }),
        method: "GET".into(),
        headers: BTreeMap::new(),
        expect: Expectations::default(),
        interval_ms: 60_000,
        timeout_ms: 10_000,
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        confirmation: ConfirmationPolicy {
            regions_to_agree: 2,
            recheck_delay_ms: 10_000,
            recovery_rounds: 2,
            reminder_interval_ms: 3_600_000,
            flap_threshold: 4,
            flap_window_ms: 1_800_000,
            sustained_down_rounds: 3,
        },
        channels: vec!["ch_ops".into()],
        public: true,
        public_detail: Default::default(),
        slug: "shop".into(),
        maintenance: Vec::new(),
        tags: Vec::new(),
        paused: false,
        created_at: T0 - 86_400_000,
        updated_at: T0 - 86_400_000,
    }
}

pub fn with_maintenance(mut m: Monitor, from_s: i64, to_s: i64) -> Monitor {
    m.maintenance.push(MaintenanceWindow {
        starts_at: T0 + from_s * 1000,
        ends_at: T0 + to_s * 1000,
        reason: Some("deploy".into()),
    });
    m
}

pub fn links() -> Links {
    Links {
        base_url: "https://probe.example.com".into(),
        docs_base: "https://github.com/edgeprobe/edgeprobe/blob/main/docs".into(),
    }
}

/// What a round looked like, in script terms.
#[derive(Debug, Clone, Copy)]
pub enum Round {
    Healthy,
    /// This verdict, seen in these regions; the others are healthy.
    Fail(Verdict, &'static [&'static str]),
    /// This verdict in these regions; the other regions did not answer.
    FailRestUnanswered(Verdict, &'static [&'static str]),
    /// No region answered.
    NoAnswer,
}

pub fn diagnosis(round: Round) -> Diagnosis {
    let names = |rs: &[&str]| rs.iter().map(|r| r.to_string()).collect::<Vec<_>>();
    let others = |rs: &[&str]| {
        REGIONS
            .iter()
            .filter(|r| !rs.contains(r))
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
    };
    let (verdict, severity, affected, healthy, unanswered) = match round {
        Round::Healthy => (
            Verdict::Healthy,
            Severity::Ok,
            vec![],
            names(&REGIONS),
            vec![],
        ),
        Round::Fail(v, rs) => (v, Severity::Critical, names(rs), others(rs), vec![]),
        Round::FailRestUnanswered(v, rs) => (v, Severity::Critical, names(rs), vec![], others(rs)),
        Round::NoAnswer => (
            Verdict::Inconclusive,
            Severity::Ok,
            vec![],
            vec![],
            names(&REGIONS),
        ),
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    Diagnosis {
        verdict,
        regional_cause: None,
        severity,
        confidence: Confidence::High,
        affected_regions: sorted(affected),
        healthy_regions: sorted(healthy),
        unanswered_regions: sorted(unanswered),
        other_cause_regions: vec![],
        origin_probe_failed: vec![],
        origin_configured: true,
        evidence: vec![],
        alternatives: vec![],
        also: vec![],
    }
}

fn colo(region: &str) -> &'static str {
    match region {
        "enam" => "IAD",
        "weur" => "CDG",
        _ => "SIN",
    }
}

/// One region of a scripted round (edge through the CDN, origin straight): healthy, refused
/// (502 at the edge) or timing out (522).
fn scripted_probe(region: &str, failing: Option<Verdict>, at: UnixMillis) -> RegionReport {
    let (edge_status, connect, tls, http) = match failing {
        None => (
            200,
            ConnectStep::Ok { ms: 12 },
            TlsStep::Ok {
                ms: 30,
                certificate: CertificateInfo::NotObservable,
            },
            HttpStep::Response {
                response: response(200, &[], ""),
                ttfb_ms: 80,
                total_ms: 95,
            },
        ),
        Some(Verdict::OriginRefused) => (
            502,
            ConnectStep::Refused {
                ms: 3,
                detail: "connection refused".into(),
            },
            TlsStep::NotAttempted,
            HttpStep::NotAttempted,
        ),
        Some(_) => (
            522,
            ConnectStep::TimedOut { ms: 10_000 },
            TlsStep::NotAttempted,
            HttpStep::NotAttempted,
        ),
    };
    RegionReport::Probed(RegionProbe {
        region: region.into(),
        colo: Some(colo(region).into()),
        started_at: at,
        edge: EdgeObservation {
            url: "https://shop.example.com/".into(),
            outcome: EdgeOutcome::Response(response(edge_status, &[], "")),
            headers_ms: Some(if failing.is_some() { 15_012 } else { 140 }),
            total_ms: Some(if failing.is_some() { 15_020 } else { 160 }),
            certificate: CertificateInfo::NotObservable,
            own_tls: None,
        },
        origin: Some(OriginObservation {
            address: "203.0.113.10:443".into(),
            tls_expected: true,
            connect,
            tls,
            http,
            own_tls: None,
        }),
    })
}

pub fn reports(round: Round, at: UnixMillis) -> Vec<RegionReport> {
    REGIONS
        .iter()
        .map(|r| match round {
            Round::Healthy => scripted_probe(r, None, at),
            Round::Fail(v, rs) => scripted_probe(r, rs.contains(r).then_some(v), at),
            Round::FailRestUnanswered(v, rs) if rs.contains(r) => scripted_probe(r, Some(v), at),
            Round::FailRestUnanswered(..) | Round::NoAnswer => RegionReport::Unanswered {
                region: r.to_string(),
                reason: "timeout".into(),
            },
        })
        .collect()
}

// ---- Observations: responses, edge and origin paths, region reports -------------------------

pub const NOW: UnixMillis = 1_795_305_103_000;

pub const CF: &[(&str, &str)] = &[("server", "cloudflare"), ("cf-ray", "8f1c2a3b4c5d6e7f-CDG")];
pub const CLOUDFRONT: &[(&str, &str)] = &[
    ("server", "CloudFront"),
    ("x-cache", "Error from cloudfront"),
    ("x-amz-cf-pop", "CDG50-C1"),
];
pub const CF_521: &str =
    "<title>example.com | 521: Web server is down</title> Cloudflare Ray ID: 8f1c2a3b4c5d6e7f";
pub const CF_522: &str =
    "<title>example.com | 522: Connection timed out</title> Cloudflare Ray ID: 8f1c2a3b4c5d6e7f";
pub const NGINX_502: &str = "<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> <hr><center>nginx/1.22.1</center> </body> </html>";
pub const NGINX_504: &str = "<html> <head><title>504 Gateway Time-out</title></head> <body> <center><h1>504 Gateway Time-out</h1></center> <hr><center>nginx</center> </body> </html>";
pub const CLOUDFRONT_502: &str =
    "502 ERROR The request could not be satisfied. CloudFront wasn't able to connect to the origin. Generated by cloudfront (CloudFront)";
pub const CLOUDFRONT_504: &str = "504 Gateway Timeout ERROR The request could not be satisfied. Generated by cloudfront (CloudFront)";

pub fn response(status: u16, headers: &[(&str, &str)], body: &str) -> ResponseSummary {
    ResponseSummary {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        body_bytes: body.len() as u64,
        body_truncated: false,
        body_excerpt: if status >= 400 && !body.is_empty() {
            Some(body.to_string())
        } else {
            None
        },
        keyword_found: None,
        body_error: None,
    }
}

pub fn edge(status: u16, headers: &[(&str, &str)], body: &str, ms: u32) -> EdgeObservation {
    EdgeObservation {
        url: "https://example.com/".into(),
        outcome: EdgeOutcome::Response(response(status, headers, body)),
        headers_ms: Some(ms),
        total_ms: Some(ms + 2),
        certificate: CertificateInfo::NotObservable,
        own_tls: None,
    }
}

pub fn edge_kw(status: u16, found: bool) -> EdgeObservation {
    let mut e = edge(status, CF, "", 40);
    if let EdgeOutcome::Response(r) = &mut e.outcome {
        r.keyword_found = Some(found);
    }
    e
}

pub fn with_edge_cert(mut e: EdgeObservation, not_after: UnixMillis) -> EdgeObservation {
    e.certificate = CertificateInfo::Known {
        not_after,
        subject: Some("CN=example.com".into()),
        issuer: None,
    };
    e
}

pub fn edge_failed(failure: EdgeFailure) -> EdgeObservation {
    EdgeObservation {
        url: "https://example.com/".into(),
        outcome: EdgeOutcome::Failed {
            failure,
            detail: format!("{failure:?}").to_lowercase(),
        },
        headers_ms: Some(10_000),
        total_ms: None,
        certificate: CertificateInfo::NotObservable,
        own_tls: None,
    }
}

/// An origin path through these steps (plain HTTP unless a TLS step was expected).
pub fn origin(connect: ConnectStep, tls: TlsStep, http: HttpStep) -> OriginObservation {
    OriginObservation {
        address: "203.0.113.10:80".into(),
        tls_expected: !matches!(tls, TlsStep::NotApplicable),
        connect,
        tls,
        http,
        own_tls: None,
    }
}

pub fn origin_ok(status: u16, ttfb_ms: u32) -> OriginObservation {
    let body = if status >= 400 {
        "error from the app"
    } else {
        ""
    };
    origin(
        ConnectStep::Ok { ms: 1 },
        TlsStep::NotApplicable,
        HttpStep::Response {
            response: response(status, &[("server", "nginx")], body),
            ttfb_ms,
            total_ms: ttfb_ms + 1,
        },
    )
}

pub fn origin_refused() -> OriginObservation {
    origin(
        ConnectStep::Refused {
            ms: 1,
            detail: "connection refused".into(),
        },
        TlsStep::NotAttempted,
        HttpStep::NotAttempted,
    )
}

pub fn origin_connect_timeout() -> OriginObservation {
    origin(
        ConnectStep::TimedOut { ms: 10_000 },
        TlsStep::NotAttempted,
        HttpStep::NotAttempted,
    )
}

pub fn origin_no_route() -> OriginObservation {
    origin(
        ConnectStep::Unreachable {
            ms: 2,
            detail: "no route to host".into(),
        },
        TlsStep::NotAttempted,
        HttpStep::NotAttempted,
    )
}

pub fn origin_dns() -> OriginObservation {
    origin(
        ConnectStep::DnsFailed {
            ms: 20,
            detail: "NXDOMAIN".into(),
        },
        TlsStep::NotAttempted,
        HttpStep::NotAttempted,
    )
}

pub fn origin_tls(tls: TlsStep) -> OriginObservation {
    origin(ConnectStep::Ok { ms: 1 }, tls, HttpStep::NotAttempted)
}

pub fn origin_tls_ok_cert_status(status: u16, not_after: UnixMillis) -> OriginObservation {
    let mut o = origin_ok(status, 6);
    o.tls = TlsStep::Ok {
        ms: 3,
        certificate: CertificateInfo::Known {
            not_after,
            subject: Some("CN=origin.example.com".into()),
            issuer: Some("CN=R11".into()),
        },
    };
    o.tls_expected = true;
    o
}

pub fn origin_tls_ok_cert(not_after: UnixMillis) -> OriginObservation {
    origin_tls_ok_cert_status(200, not_after)
}

pub fn origin_http_fail(failure: HttpFailure) -> OriginObservation {
    origin(
        ConnectStep::Ok { ms: 1 },
        TlsStep::NotApplicable,
        HttpStep::Failed {
            failure,
            ms: 30_000,
            detail: format!("{failure:?}"),
            bytes_received: 0,
        },
    )
}

pub fn probed(
    region: &str,
    edge: EdgeObservation,
    origin: Option<OriginObservation>,
) -> RegionReport {
    RegionReport::Probed(RegionProbe {
        region: region.into(),
        colo: Some("CDG".into()),
        started_at: NOW - 1_000,
        edge,
        origin,
    })
}

pub fn unanswered(region: &str) -> RegionReport {
    RegionReport::Unanswered {
        region: region.into(),
        reason: "timeout".into(),
    }
}
