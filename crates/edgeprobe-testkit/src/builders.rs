//! Builders shared by the alerting tests: a monitor, diagnoses and region reports that look
//! like what the engine and the platform produce.

use std::collections::BTreeMap;

use edgeprobe_core::alerting::Links;
use edgeprobe_core::diagnosis::{Confidence, Diagnosis, Severity, Verdict};
use edgeprobe_core::monitor::{ConfirmationPolicy, Expectations, MaintenanceWindow, Monitor, OriginTarget, Scheme};
use edgeprobe_core::observation::{
    CertificateInfo, ConnectStep, EdgeObservation, EdgeOutcome, HttpStep, OriginObservation, RegionProbe, RegionReport, ResponseSummary,
    TlsStep,
};
use edgeprobe_core::time::UnixMillis;

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
        Round::Healthy => (Verdict::Healthy, Severity::Ok, vec![], names(&REGIONS), vec![]),
        Round::Fail(v, rs) => (v, Severity::Critical, names(rs), others(rs), vec![]),
        Round::FailRestUnanswered(v, rs) => (v, Severity::Critical, names(rs), vec![], others(rs)),
        Round::NoAnswer => (Verdict::Inconclusive, Severity::Ok, vec![], vec![], names(&REGIONS)),
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

fn response(status: u16) -> ResponseSummary {
    ResponseSummary {
        status,
        headers: BTreeMap::new(),
        body_bytes: 0,
        body_truncated: false,
        body_excerpt: None,
        keyword_found: None,
        body_error: None,
    }
}

fn probe(region: &str, failing: Option<Verdict>, at: UnixMillis) -> RegionReport {
    let (edge_status, connect, tls, http) = match failing {
        None => (
            200,
            ConnectStep::Ok { ms: 12 },
            TlsStep::Ok {
                ms: 30,
                certificate: CertificateInfo::NotObservable,
            },
            HttpStep::Response {
                response: response(200),
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
            outcome: EdgeOutcome::Response(response(edge_status)),
            headers_ms: Some(if failing.is_some() { 15_012 } else { 140 }),
            total_ms: Some(if failing.is_some() { 15_020 } else { 160 }),
            certificate: CertificateInfo::NotObservable,
        },
        origin: Some(OriginObservation {
            address: "203.0.113.10:443".into(),
            tls_expected: true,
            connect,
            tls,
            http,
        }),
    })
}

pub fn reports(round: Round, at: UnixMillis) -> Vec<RegionReport> {
    REGIONS
        .iter()
        .map(|r| match round {
            Round::Healthy => probe(r, None, at),
            Round::Fail(v, rs) => probe(r, rs.contains(r).then_some(v), at),
            Round::FailRestUnanswered(v, rs) if rs.contains(r) => probe(r, Some(v), at),
            Round::FailRestUnanswered(..) | Round::NoAnswer => RegionReport::Unanswered {
                region: r.to_string(),
                reason: "timeout".into(),
            },
        })
        .collect()
}
