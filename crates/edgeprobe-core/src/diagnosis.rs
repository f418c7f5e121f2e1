//! The diagnosis: what the engine concluded from one round, as data.
//!
//! This module owns the shape and the catalog of verdicts (names, severity). The engine that
//! produces a [`Diagnosis`] lives in `core::diagnose`; the alert state machine, the status
//! page and the API read it. The catalog is documented for people in docs/diagnoses.md, which
//! alerts link to (anchor = the verdict's snake_case name).
//!
//! A diagnosis holds no prose: the verdict, the regions, the evidence as [`Fact`]s and the
//! alternatives as [`Distinction`]s. Its words (summary, checklist, each evidence finding, each
//! "how to tell apart") are rendered when it is read ([`Diagnosis::summary`],
//! [`Diagnosis::checklist`], [`Evidence::finding`], [`Alternative::how_to_tell_apart`], all
//! written in `core::diagnose`), so a wording fix applies to every stored round too.
//!
//! On the wire (D1 rounds, the KV status document, the API) a diagnosis is its data plus its
//! rendered words, the shape clients have always read ([`DiagnosisView`]). Reading one back
//! takes the data and ignores the stored words. Rounds stored before the data existed still
//! load: their evidence and alternatives come back as [`Fact::Recorded`] and
//! [`Distinction::Recorded`] (the old words, the only thing known about them), and their
//! summary and checklist are rendered anew from the verdict and regions.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

use crate::cdn::{Attribution, OriginProxy, UpstreamFault};
use crate::observation::{ConnectStep, EdgeFailure, HttpFailure, TlsStep};

/// The named cause. The catalog is closed: every verdict has an entry in docs/diagnoses.md.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
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
    /// The origin's TLS works for browsers (and the platform's TLS) but only with legacy
    /// protocol features the own client refuses (TLS 1.0/1.1, CBC, RSA key exchange, SHA-1):
    /// a warning to modernise, never "TLS broken".
    OriginTlsLegacy,
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
        Verdict::OriginTlsLegacy,
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
            Verdict::OriginTlsLegacy => "origin_tls_legacy",
            Verdict::EdgeUnreachable => "edge_unreachable",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// True when users are (or may be) getting errors: this is what alerting counts as a failure.
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            Verdict::Healthy
                | Verdict::EdgeStaleOriginDown
                | Verdict::CertExpiring
                | Verdict::DegradedLatency
                | Verdict::OriginTlsLegacy
                | Verdict::Inconclusive
        )
    }
}

/// How bad it is for users right now.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// Which path an observation came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
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

/// One observation that led to the verdict: where it was seen, and what (as data).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "StoredEvidence")]
pub struct Evidence {
    pub region: String,
    pub path: PathKind,
    /// The step it was seen at: "http", "connect", "tls", "certificate", "latency", ...
    pub step: String,
    pub fact: Fact,
}

impl Evidence {
    /// What was seen, in plain words, e.g. "edge answered 522 generated by Cloudflare ...".
    pub fn finding(&self) -> String {
        crate::diagnose::finding(self)
    }
}

/// What one piece of evidence showed. Runtime error texts (`detail`) are kept verbatim: people
/// investigating need them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// Fetching the public URL failed without an HTTP answer.
    EdgeFailed {
        failure: EdgeFailure,
        /// When it failed, if known.
        ms: Option<u32>,
        detail: String,
    },
    /// The front answered.
    EdgeAnswered {
        status: u16,
        /// Time to the response headers.
        ms: Option<u32>,
        /// Who produced the answer, as far as its headers and page tell.
        attribution: Option<Attribution>,
        /// The monitor's keyword was expected and not found.
        keyword_missing: bool,
        /// The body did not arrive whole.
        body_break: Option<BodyBreak>,
    },
    /// The direct probe of the origin, layer by layer (the first failing layer ends it).
    Origin {
        /// `host:port` as configured.
        address: String,
        connect: ConnectStep,
        tls: TlsStep,
        http: OriginHttp,
    },
    /// A certificate expires within the monitor's warning window, or has expired.
    CertificateExpiring {
        subject: Option<String>,
        /// Whole days left; `None` when it has already expired.
        days_left: Option<i64>,
    },
    /// The origin's TLS succeeds for the platform but the own TLS client (rustls, modern
    /// TLS only) could not agree on a protocol with it: `detail` is its reason.
    LegacyTls { detail: String },
    /// A path answered much more slowly than its usual p50.
    Slow { ms: u32, p50_ms: u32, samples: u32 },
    /// The region did not answer the coordinator.
    RegionUnanswered { reason: String },
    /// The region did not probe: the target policy refused the monitor's target.
    PolicyRefused { reason: String },
    /// Evidence stored before facts were data: only its words are known.
    Recorded { finding: String },
}

/// A body that broke off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BodyBreak {
    pub received: u64,
    /// The Content-Length, when one was announced.
    pub announced: Option<u64>,
    /// The runtime's error text.
    pub error: String,
}

/// The HTTP layer of the direct origin probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OriginHttp {
    /// An earlier layer failed.
    NotAttempted,
    Response {
        status: u16,
        ttfb_ms: u32,
        total_ms: u32,
        /// The answer is the origin host's own reverse proxy's page about its upstream.
        upstream: Option<UpstreamPage>,
        keyword_missing: bool,
    },
    Failed {
        failure: HttpFailure,
        ms: u32,
        bytes_received: u64,
        detail: String,
    },
}

/// A reverse proxy's own gateway page about its upstream, as the origin answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpstreamPage {
    pub proxy: OriginProxy,
    pub fault: UpstreamFault,
    /// The `Server` header, if any.
    pub server: Option<String>,
}

/// A cause that also fits the evidence, and what would tell it apart from the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "StoredAlternative")]
pub struct Alternative {
    pub verdict: Verdict,
    pub reason: Distinction,
}

impl Alternative {
    /// What would tell it apart, in plain words.
    pub fn how_to_tell_apart(&self) -> String {
        crate::diagnose::how_to_tell_apart(&self.reason)
    }
}

/// Why an alternative also fits and what would settle it, as data (the words are rendered by
/// [`Alternative::how_to_tell_apart`]). Variants named `…NoOrigin` end by asking for the
/// origin address to be configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distinction {
    /// Our connect timed out too: a firewall dropping everyone looks the same.
    FirewallDropsEveryone,
    /// The probe's TLS error is coarse; the certificate check would say it is invalid.
    TlsUnstatedCheckCertificate,
    /// The probe's TLS error is coarse; no certificate at all would mean a handshake failure.
    TlsUnstatedCheckHandshake,
    /// The front timed out and there is no origin probe: it may wait on a slow origin.
    FrontMayWaitOnOriginNoOrigin,
    /// The fetch failed without a response while the origin fails: a relaying front ends so.
    FrontRelaysBrokenAnswer,
    /// The front is unreachable and the origin fails too.
    OriginFailingToo,
    /// The CDN served a STALE copy and there is no origin probe.
    StaleCopyNoOrigin,
    /// The origin's application answers us with this 5xx while the CDN cannot connect.
    AppErrorWhileCdnCannotConnect { status: u16 },
    /// Our request to the origin works; the CDN's DNS failure may be on its side.
    CdnDnsFailureOnItsSide,
    /// Our request to the origin works; the CDN may see another certificate.
    CdnSeesOtherCertificate,
    /// Our request to the origin works; the CDN may offer other TLS parameters.
    CdnOffersOtherTls,
    /// Our request to the origin got headers this fast, far below the CDN's read timeout.
    OriginFastForUs { ttfb_ms: u32 },
    /// The origin may answer the CDN differently than us.
    OriginAnswersCdnDifferently,
    /// A firewall or rate limiter may accept the CDN's connections and reset them.
    FirewallResetsCdn,
    /// The edge's wait compared with our direct request, against the proxies' timeouts.
    EdgeWaitVsTimeouts { edge_waited_ms: u32, ttfb_ms: u32 },
    /// The CDN may be configured with another origin address than the one we probe.
    CdnMayUseOtherOrigin { address: String },
    /// The proxy's 502 also covers an invalid or reset answer.
    GatewayCoversInvalidAnswer,
    /// The CDN's 502 also covers a TLS failure towards the origin.
    GatewayCoversTls,
    /// The CDN passed on an origin error, but our direct request got this status.
    OriginFineForUs { status: u16 },
    /// The error page does not say who made it.
    ErrorPageUnattributed,
    /// IIS's 502.3 page covers a timeout as well as a refusal.
    IisPageCoversBoth,
    /// The page looks like this proxy's own, but an application can send the same words.
    ProxyPageMayBeApp { status: u16, proxy: OriginProxy },
    /// Only the CDN's copy of what looks like this proxy's gateway page was seen.
    OnlyCdnCopyOfProxyPageNoOrigin { proxy: OriginProxy },
    /// A front nginx's 502 page may be the origin host's nginx's, passed through.
    RelayedNginx502NoOrigin,
    /// A front nginx's 504 page may be the origin host's nginx's, passed through.
    RelayedNginx504NoOrigin,
    /// A firewall rejecting only the CDN's addresses looks the same.
    FirewallRejectsCdnNoOrigin,
    /// A firewall dropping only the CDN's addresses looks the same.
    FirewallDropsCdnNoOrigin,
    /// The proxy's 504 covers a connect timeout too.
    Gateway504CoversConnectTimeoutNoOrigin,
    /// A firewall dropping the proxy's connections also ends in a 504.
    FirewallDropsProxyNoOrigin,
    /// The proxy's 502 covers an invalid or reset answer too.
    Gateway502CoversInvalidAnswerNoOrigin,
    /// A firewall rejecting the proxy's connections also ends in a 502.
    FirewallRejectsProxyNoOrigin,
    /// The proxy's 502 also covers a failed TLS handshake or certificate check.
    Gateway502CoversTlsNoOrigin,
    /// The error page does not say who made it, and there is no origin probe.
    ErrorPageUnattributedNoOrigin,
    /// Other failing regions show this cause instead (sorted).
    OtherRegionsShow { regions: Vec<String> },
    /// An alternative stored before reasons were data: only its words are known.
    Recorded { how_to_tell_apart: String },
}

/// What the engine concluded from one round, as data; see the module docs for its words.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "StoredDiagnosis")]
pub struct Diagnosis {
    pub verdict: Verdict,
    /// For `Regional`: the cause seen in the failing regions. `None` otherwise.
    pub regional_cause: Option<Verdict>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Regions where the problem shows, sorted.
    pub affected_regions: Vec<String>,
    /// Regions that answered and look fine, sorted.
    pub healthy_regions: Vec<String>,
    /// Regions that did not answer the coordinator, sorted.
    pub unanswered_regions: Vec<String>,
    /// Failing regions (among `affected_regions`) that show another cause than the verdict's,
    /// sorted; their causes are among the alternatives.
    pub other_cause_regions: Vec<String>,
    /// Regions whose front is fine but whose direct origin probe failed (typically an origin
    /// that only admits the CDN's addresses), sorted.
    pub origin_probe_failed: Vec<String>,
    /// The monitor has an origin address, so the answering regions probed it directly; without
    /// one the cause is read from the CDN's answer alone. False when no region probed.
    pub origin_configured: bool,
    pub evidence: Vec<Evidence>,
    /// Other causes that fit, with what would distinguish them (never claim more than the
    /// evidence supports).
    pub alternatives: Vec<Alternative>,
    /// Secondary findings that hold alongside the main verdict (cert_expiring, degraded_latency).
    pub also: Vec<Verdict>,
}

impl Diagnosis {
    /// True when alerting should count this round as failing.
    pub fn is_failure(&self) -> bool {
        self.verdict.is_failure()
    }

    /// One or two sentences in plain words.
    pub fn summary(&self) -> String {
        crate::diagnose::summary(self)
    }

    /// What to check, in order.
    pub fn checklist(&self) -> Vec<String> {
        crate::diagnose::checklist(self)
    }

    /// The wire form: the data with its words rendered now.
    pub fn view(&self) -> DiagnosisView<'_> {
        DiagnosisView {
            verdict: self.verdict,
            regional_cause: self.regional_cause,
            severity: self.severity,
            confidence: self.confidence,
            summary: self.summary(),
            affected_regions: &self.affected_regions,
            healthy_regions: &self.healthy_regions,
            unanswered_regions: &self.unanswered_regions,
            other_cause_regions: &self.other_cause_regions,
            origin_probe_failed: &self.origin_probe_failed,
            origin_configured: self.origin_configured,
            evidence: self
                .evidence
                .iter()
                .map(|e| EvidenceView {
                    region: &e.region,
                    path: e.path,
                    step: &e.step,
                    finding: e.finding(),
                    fact: &e.fact,
                })
                .collect(),
            alternatives: self
                .alternatives
                .iter()
                .map(|a| AlternativeView {
                    verdict: a.verdict,
                    how_to_tell_apart: a.how_to_tell_apart(),
                    reason: &a.reason,
                })
                .collect(),
            also: &self.also,
            checklist: self.checklist(),
        }
    }
}

/// A diagnosis as stored and served: its data and its words, rendered when it was serialized.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(
    rename = "Diagnosis",
    description = "What the engine concluded from one round."
)]
pub struct DiagnosisView<'a> {
    pub verdict: Verdict,
    /// For `Regional`: the cause seen in the failing regions. `None` otherwise.
    pub regional_cause: Option<Verdict>,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One or two sentences in plain words (rendered when read).
    pub summary: String,
    /// Regions where the problem shows, sorted.
    pub affected_regions: &'a [String],
    /// Regions that answered and look fine, sorted.
    pub healthy_regions: &'a [String],
    /// Regions that did not answer the coordinator, sorted.
    pub unanswered_regions: &'a [String],
    /// Failing regions that show another cause than the verdict's, sorted (see alternatives).
    pub other_cause_regions: &'a [String],
    /// Regions whose front is fine but whose direct origin probe failed, sorted.
    pub origin_probe_failed: &'a [String],
    /// The monitor has an origin address, so the answering regions probed it directly. False
    /// when no region probed.
    pub origin_configured: bool,
    pub evidence: Vec<EvidenceView<'a>>,
    /// Other causes that fit, with what would distinguish them (never claim more than the
    /// evidence supports).
    pub alternatives: Vec<AlternativeView<'a>>,
    /// Secondary findings that hold alongside the main verdict (cert_expiring, degraded_latency).
    pub also: &'a [Verdict],
    /// What to check, in order (rendered when read).
    pub checklist: Vec<String>,
}

/// One piece of evidence as served: its data and its words.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(
    rename = "Evidence",
    description = "One observation that led to the verdict."
)]
pub struct EvidenceView<'a> {
    pub region: &'a str,
    pub path: PathKind,
    /// The step it was seen at: "http", "connect", "tls", "certificate", "latency", ...
    pub step: &'a str,
    /// What was seen, in plain words (rendered when read), e.g. "edge answered 522 generated
    /// by Cloudflare (meaning: connect timeout), PoP CDG".
    pub finding: String,
    /// What was seen, as data.
    pub fact: &'a Fact,
}

/// An alternative as served: its data and its words.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(
    rename = "Alternative",
    description = "A cause that also fits the evidence, and what would tell it apart from the verdict."
)]
pub struct AlternativeView<'a> {
    pub verdict: Verdict,
    /// In plain words (rendered when read).
    pub how_to_tell_apart: String,
    /// Why it fits, as data.
    pub reason: &'a Distinction,
}

impl Serialize for Diagnosis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(s)
    }
}

/// The schema of what is serialized: [`DiagnosisView`].
impl JsonSchema for Diagnosis {
    fn schema_name() -> String {
        DiagnosisView::schema_name()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        DiagnosisView::json_schema(gen)
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EvidenceView {
            region: &self.region,
            path: self.path,
            step: &self.step,
            finding: self.finding(),
            fact: &self.fact,
        }
        .serialize(s)
    }
}

impl Serialize for Alternative {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        AlternativeView {
            verdict: self.verdict,
            how_to_tell_apart: self.how_to_tell_apart(),
            reason: &self.reason,
        }
        .serialize(s)
    }
}

/// A diagnosis as read back: the data; `summary` and `checklist` are ignored (unknown fields).
/// The fields added with the data default, so rounds stored before them load.
#[derive(Deserialize)]
struct StoredDiagnosis {
    verdict: Verdict,
    #[serde(default)]
    regional_cause: Option<Verdict>,
    severity: Severity,
    confidence: Confidence,
    #[serde(default)]
    affected_regions: Vec<String>,
    #[serde(default)]
    healthy_regions: Vec<String>,
    #[serde(default)]
    unanswered_regions: Vec<String>,
    /// Absent before it was stored: read from the "other regions" alternatives.
    other_cause_regions: Option<Vec<String>>,
    #[serde(default)]
    origin_probe_failed: Vec<String>,
    /// Absent before it was stored: every answering region probes the origin when one is
    /// configured, so the evidence shows it.
    origin_configured: Option<bool>,
    #[serde(default)]
    evidence: Vec<Evidence>,
    #[serde(default)]
    alternatives: Vec<Alternative>,
    #[serde(default)]
    also: Vec<Verdict>,
}

impl From<StoredDiagnosis> for Diagnosis {
    fn from(mut d: StoredDiagnosis) -> Diagnosis {
        for a in &mut d.alternatives {
            if let Distinction::Recorded { how_to_tell_apart } = &a.reason {
                if let Some(regions) = other_regions_in_words(how_to_tell_apart) {
                    a.reason = Distinction::OtherRegionsShow { regions };
                }
            }
        }
        let other_cause_regions = d.other_cause_regions.unwrap_or_else(|| {
            let mut rs: Vec<String> = d
                .alternatives
                .iter()
                .filter_map(|a| match &a.reason {
                    Distinction::OtherRegionsShow { regions } => Some(regions.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
            rs.sort();
            rs
        });
        Diagnosis {
            verdict: d.verdict,
            regional_cause: d.regional_cause,
            severity: d.severity,
            confidence: d.confidence,
            affected_regions: d.affected_regions,
            healthy_regions: d.healthy_regions,
            unanswered_regions: d.unanswered_regions,
            other_cause_regions,
            origin_probe_failed: d.origin_probe_failed,
            origin_configured: d
                .origin_configured
                .unwrap_or_else(|| d.evidence.iter().any(|e| e.path == PathKind::Origin)),
            evidence: d.evidence,
            alternatives: d.alternatives,
            also: d.also,
        }
    }
}

/// The regions of an "other regions show this cause instead" alternative stored as words
/// ("Region apac shows …", "Regions apac, oc show …"), the one stored alternative whose data
/// the summary needs.
fn other_regions_in_words(words: &str) -> Option<Vec<String>> {
    let (list, rest) = match words.strip_prefix("Regions ") {
        Some(rest) => rest.split_once(" show this cause instead; ")?,
        None => words
            .strip_prefix("Region ")?
            .split_once(" shows this cause instead; ")?,
    };
    (rest == "the evidence for each region tells which fits.")
        .then(|| list.split(", ").map(str::to_string).collect())
}

/// Evidence as read back: the fact; the stored `finding` is used only when there is no fact
/// (stored before facts were data).
#[derive(Deserialize)]
struct StoredEvidence {
    region: String,
    path: PathKind,
    step: String,
    fact: Option<Fact>,
    #[serde(default)]
    finding: String,
}

impl From<StoredEvidence> for Evidence {
    fn from(e: StoredEvidence) -> Evidence {
        Evidence {
            region: e.region,
            path: e.path,
            step: e.step,
            fact: e.fact.unwrap_or(Fact::Recorded { finding: e.finding }),
        }
    }
}

/// An alternative as read back: the reason; the stored words are used only when there is no
/// reason (stored before reasons were data).
#[derive(Deserialize)]
struct StoredAlternative {
    verdict: Verdict,
    reason: Option<Distinction>,
    #[serde(default)]
    how_to_tell_apart: String,
}

impl From<StoredAlternative> for Alternative {
    fn from(a: StoredAlternative) -> Alternative {
        Alternative {
            verdict: a.verdict,
            reason: a.reason.unwrap_or(Distinction::Recorded {
                how_to_tell_apart: a.how_to_tell_apart,
            }),
        }
    }
}
