//! The diagnosis: what the engine concluded from one round, as data.
//!
//! This module owns the shape and the catalog of verdicts (names, plain words, severity).
//! The engine that produces a [`Diagnosis`] lives in `core::diagnose`; the alert state
//! machine, the status page and the API read it. The catalog is documented for people in
//! docs/diagnoses.md, which alerts link to (anchor = the verdict's snake_case name).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The named cause. The catalog is closed: every verdict has an entry in docs/diagnoses.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Healthy,
    OriginRefused,
    OriginUnreachable,
    OriginBlocksCdn,
    OriginTlsInvalid,
    OriginTlsHandshakeFailed,
    OriginTimeout,
    OriginMalformedResponse,
    OriginAppError,
    /// The origin host's own reverse proxy (nginx, Apache, HAProxy, Caddy, Envoy, Traefik, IIS)
    /// answers, but reports its upstream application server refused, unavailable or broken
    /// (its own 502/503 page).
    OriginUpstreamDown,
    /// The origin host's own reverse proxy gave up waiting for its upstream application
    /// server (its own 504 page).
    OriginUpstreamTimeout,
    OriginDnsFailure,
    EdgeErrorOriginHealthy,
    /// The front answers, but not with what the monitor expects (status set, keyword), and no
    /// error class explains it.
    UnexpectedResponse,
    Regional,
    EdgeStaleOriginDown,
    CertExpiring,
    DegradedLatency,
    /// The front itself cannot be reached (DNS, connection, TLS to the front).
    EdgeUnreachable,
    /// No region answered, or nothing was observable: nothing can be said.
    Inconclusive,
}

impl Verdict {
    pub const ALL: &'static [Verdict] = &[
        Verdict::Healthy,
        Verdict::OriginRefused,
        Verdict::OriginUnreachable,
        Verdict::OriginBlocksCdn,
        Verdict::OriginTlsInvalid,
        Verdict::OriginTlsHandshakeFailed,
        Verdict::OriginTimeout,
        Verdict::OriginMalformedResponse,
        Verdict::OriginAppError,
        Verdict::OriginUpstreamDown,
        Verdict::OriginUpstreamTimeout,
        Verdict::OriginDnsFailure,
        Verdict::EdgeErrorOriginHealthy,
        Verdict::UnexpectedResponse,
        Verdict::Regional,
        Verdict::EdgeStaleOriginDown,
        Verdict::CertExpiring,
        Verdict::DegradedLatency,
        Verdict::EdgeUnreachable,
        Verdict::Inconclusive,
    ];

    /// The snake_case name used in JSON, URLs and docs anchors.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::OriginRefused => "origin_refused",
            Verdict::OriginUnreachable => "origin_unreachable",
            Verdict::OriginBlocksCdn => "origin_blocks_cdn",
            Verdict::OriginTlsInvalid => "origin_tls_invalid",
            Verdict::OriginTlsHandshakeFailed => "origin_tls_handshake_failed",
            Verdict::OriginTimeout => "origin_timeout",
            Verdict::OriginMalformedResponse => "origin_malformed_response",
            Verdict::OriginAppError => "origin_app_error",
            Verdict::OriginUpstreamDown => "origin_upstream_down",
            Verdict::OriginUpstreamTimeout => "origin_upstream_timeout",
            Verdict::OriginDnsFailure => "origin_dns_failure",
            Verdict::EdgeErrorOriginHealthy => "edge_error_origin_healthy",
            Verdict::UnexpectedResponse => "unexpected_response",
            Verdict::Regional => "regional",
            Verdict::EdgeStaleOriginDown => "edge_stale_origin_down",
            Verdict::CertExpiring => "cert_expiring",
            Verdict::DegradedLatency => "degraded_latency",
            Verdict::EdgeUnreachable => "edge_unreachable",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// True when users are (or may be) getting errors: this is what alerting counts as a failure.
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Verdict::Healthy | Verdict::EdgeStaleOriginDown | Verdict::CertExpiring | Verdict::DegradedLatency | Verdict::Inconclusive
        )
    }
}

/// How bad it is for users right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// All good.
    Ok,
    /// Worth knowing, users unaffected (certificate expiring soon).
    Info,
    /// Users mostly fine but something is wrong underneath (stale cache, slow, one region).
    Warning,
    /// Users get errors.
    Critical,
}

/// How strongly the evidence supports the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// Which path an observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    Edge,
    Origin,
}

impl PathKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::Edge => "edge",
            PathKind::Origin => "origin",
        }
    }
}

/// One observation that led to the verdict, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    pub region: String,
    pub path: PathKind,
    /// The step it was seen at: "http", "connect", "tls", "certificate", "latency", ...
    pub step: String,
    /// What was seen, e.g. "edge answered 522 generated by Cloudflare (cf-ray ...-CDG)".
    pub finding: String,
}

/// A cause that also fits the evidence, and what would tell it apart from the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Alternative {
    pub verdict: Verdict,
    pub how_to_tell_apart: String,
}

/// What the engine concluded from one round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Diagnosis {
    pub verdict: Verdict,
    /// For `Regional`: the cause seen in the failing regions. `None` otherwise.
    pub regional_cause: Option<Verdict>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One or two sentences in plain words.
    pub summary: String,
    /// Regions where the problem shows, sorted.
    pub affected_regions: Vec<String>,
    /// Regions that answered and look fine, sorted.
    pub healthy_regions: Vec<String>,
    /// Regions that did not answer the coordinator, sorted.
    pub unanswered_regions: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Other causes that fit, with what would distinguish them (never claim more than the
    /// evidence supports).
    pub alternatives: Vec<Alternative>,
    /// Secondary findings that hold alongside the main verdict (cert_expiring, degraded_latency).
    pub also: Vec<Verdict>,
    /// What to check, in order.
    pub checklist: Vec<String>,
}

impl Diagnosis {
    /// True when alerting should count this round as failing.
    pub fn is_failure(&self) -> bool {
        self.verdict.is_failure()
    }
}
