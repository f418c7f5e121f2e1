//! Observations: the facts one probe round gathers, per region and per path.
//!
//! This module owns the data shape only. The platform layer fills it in (it may not decide
//! anything: a failure is recorded with the step it happened in and the runtime's text), and
//! the diagnosis engine reads it. Which steps were observed, and which are not observable on
//! the platform, is explicit in the data: `NotObservable` is never guessed into `Ok`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{Millis, UnixMillis};

/// One region's report for one monitor in one round.
// Reports are built once per round and moved, never stored in bulk in memory: boxing the
// large variant would only add noise to every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RegionReport {
    /// The region object ran the probes (whatever they found).
    Probed(RegionProbe),
    /// The region object did not answer the coordinator in time, or failed before probing.
    Unanswered {
        region: String,
        /// What the coordinator saw: "timeout", or the error text.
        reason: String,
    },
    /// The region object did not probe because the monitor's stored target is refused by the
    /// current target policy (`core::validate::target::monitor_refusal`): it was saved under a
    /// looser setting. Nothing was connected to.
    Refused {
        region: String,
        /// Which target and why, e.g. "the monitor's url host points at a private address".
        reason: String,
    },
}

impl RegionReport {
    pub fn region(&self) -> &str {
        match self {
            RegionReport::Probed(p) => &p.region,
            RegionReport::Unanswered { region, .. } | RegionReport::Refused { region, .. } => {
                region
            }
        }
    }
}

/// Both paths as seen from one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegionProbe {
    /// The region that was requested (a location hint such as `weur`).
    pub region: String,
    /// Where the probe actually ran, as the platform reports it (a colo code such as `CDG`),
    /// `local` under wrangler dev, or `None` when the platform did not say.
    pub colo: Option<String>,
    pub started_at: UnixMillis,
    /// Through the CDN front (the public URL).
    pub edge: EdgeObservation,
    /// Directly at the origin. `None` when the monitor has no origin configured.
    pub origin: Option<OriginObservation>,
}

/// The front URL fetched like a browser would (redirects are not followed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EdgeObservation {
    pub url: String,
    pub outcome: EdgeOutcome,
    /// Time until the response headers arrived (or the failure), in ms.
    pub headers_ms: Option<Millis>,
    /// Time until the body was read (up to the cap), in ms.
    pub total_ms: Option<Millis>,
    /// The front's certificate: `Known` when the own TLS client's handshake with the public
    /// host ran this round (`own_tls`), `ManagedByCdn` when the front is on Cloudflare's own
    /// network (no socket reaches it from a Worker), else `NotObservable` (Workers' fetch does
    /// not expose it).
    pub certificate: CertificateInfo,
    /// The own TLS client's handshake with the public host (`core::tls`), when it ran: on the
    /// certificate schedule (`core::tls::edge_check_due`) or to name a TLS failure of the
    /// fetch, within the per-invocation cap (`core::tls::plan`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_tls: Option<OwnTls>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EdgeOutcome {
    Response(ResponseSummary),
    Failed {
        failure: EdgeFailure,
        /// The runtime's error text, verbatim (for people; never parsed by the engine beyond
        /// the platform's classification into `failure`).
        detail: String,
    },
}

/// How a fetch of the front failed before any response came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EdgeFailure {
    /// No response headers within the monitor's timeout.
    Timeout,
    /// The front's name did not resolve.
    Dns,
    /// The connection to the front could not be made or was lost.
    Connection,
    /// TLS with the front failed.
    Tls,
    /// Any other runtime error.
    Other,
}

/// What an HTTP response looked like, on either path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResponseSummary {
    pub status: u16,
    /// Only the headers that identify who produced the answer or its caching (lower-case names:
    /// server, via, cf-ray, cf-cache-status, age, x-cache, x-served-by, x-amz-cf-pop,
    /// x-amz-cf-id, location, content-type, retry-after, ...). See `IDENTIFYING_HEADERS`.
    pub headers: BTreeMap<String, String>,
    /// Body bytes read (up to the cap).
    pub body_bytes: u64,
    /// True when the body was longer than the cap and reading stopped.
    pub body_truncated: bool,
    /// A short, printable excerpt of the body, kept for error responses (status >= 400).
    pub body_excerpt: Option<String>,
    /// Whether the monitor's expected keyword was found in the read body (`None`: no keyword).
    pub keyword_found: Option<bool>,
    /// Set when the body could not be read to its end although the headers arrived: the
    /// connection broke mid-body, or it ended before Content-Length. Users get a broken page
    /// even though the status looks fine. (The origin path reports this as an `HttpFailure`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_error: Option<String>,
}

impl ResponseSummary {
    /// The status is a real HTTP status code (a proxy passing through garbage can yield
    /// anything, e.g. an HTTP/0.9-style body parsed as status 2).
    pub fn status_is_valid(&self) -> bool {
        (100..=599).contains(&self.status)
    }
}

/// Header names kept in [`ResponseSummary::headers`]; the platform keeps exactly these.
pub const IDENTIFYING_HEADERS: &[&str] = &[
    "server",
    "via",
    "cf-ray",
    "cf-cache-status",
    "age",
    "x-cache",
    "x-cache-status",
    "x-served-by",
    "x-amz-cf-pop",
    "x-amz-cf-id",
    "x-akamai-request-id",
    "akamai-grn",
    "x-fastly-request-id",
    "x-proxy-error",
    "location",
    "content-type",
    "content-length",
    "retry-after",
    "cache-control",
    "date",
];

/// The certificate a TLS step saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CertificateInfo {
    /// The platform does not expose the peer certificate on this path.
    NotObservable,
    /// No TLS on this path.
    NotApplicable,
    /// The front is on a CDN's own network where no socket from the Worker reaches it
    /// (Cloudflare: production `connect()` refuses its address ranges): the CDN manages the
    /// certificate, and it is not probed.
    ManagedByCdn { cdn: String },
    Known {
        not_after: UnixMillis,
        subject: Option<String>,
        issuer: Option<String>,
    },
}

/// The origin probed in layers: TCP, then TLS (https only), then HTTP/1.1 on that connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OriginObservation {
    /// `host:port` as configured.
    pub address: String,
    pub tls_expected: bool,
    pub connect: ConnectStep,
    pub tls: TlsStep,
    pub http: HttpStep,
    /// The Worker's own TLS client's handshake with the origin (`core::tls`), when it ran
    /// (the platform's TLS failed, or the certificate schedule was due). `tls` already carries
    /// its verdict; this is the evidence: exact outcome, version, suite and the leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_tls: Option<OwnTls>,
}

/// One handshake of the Worker's own TLS client (rustls over a plain socket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OwnTls {
    /// From the first ClientHello byte to the outcome.
    pub ms: Millis,
    pub outcome: OwnTlsOutcome,
    /// Negotiated protocol, e.g. `TLSv1_3` (successful handshakes only).
    pub version: Option<String>,
    /// Negotiated cipher suite, e.g. `TLS13_AES_128_GCM_SHA256` (successful handshakes only).
    pub cipher_suite: Option<String>,
    /// Certificates the server presented (0 when it sent none).
    pub presented: u32,
    /// The presented leaf, when the server got as far as sending one.
    pub leaf: Option<LeafCertificate>,
}

/// Exactly how the own client's handshake ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum OwnTlsOutcome {
    Ok,
    /// The certificate's validity ended at `not_after`.
    Expired {
        not_after: UnixMillis,
    },
    /// The certificate's validity starts at `not_before`, in the future.
    NotYetValid {
        not_before: UnixMillis,
    },
    /// The chain ends at a root nobody here trusts (`issuer` names it).
    UnknownIssuer {
        issuer: String,
    },
    /// The leaf signed itself (subject == issuer) and is not trusted.
    SelfSigned,
    /// The certificate does not cover `expected` (the name asked for, SNI); `presented` are
    /// the names it does cover.
    NameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    /// The server sent a chain that stops before a trusted root: the certificate that issued
    /// the last one sent (`missing_issuer`) was neither sent nor trusted. Usually the
    /// intermediate is not installed; with a private CA, trust it with the monitor's anchors.
    IncompleteChain {
        missing_issuer: String,
    },
    /// No protocol version or cipher suite in common; `alert` is the TLS alert or rustls'
    /// reason (e.g. `HandshakeFailure`, `ProtocolVersion`).
    NoCommonProtocol {
        alert: String,
    },
    /// The server ended the handshake with a TLS alert.
    AlertReceived {
        alert: String,
    },
    /// The server answered with something that is not TLS; `first_bytes` shows its start
    /// (e.g. `HTTP/1.1 400`: plain HTTP on the TLS port).
    NotTls {
        first_bytes: String,
    },
    /// The server closed the connection during the handshake.
    Closed,
    /// The connection broke during the handshake.
    Reset {
        detail: String,
    },
    /// No end to the handshake within the monitor's timeout.
    Timeout,
    /// Any other failure, in rustls' words.
    Other {
        detail: String,
    },
}

/// The leaf certificate a server presented, as read from its DER.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LeafCertificate {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses of subjectAltName.
    pub sans: Vec<String>,
    pub not_before: UnixMillis,
    pub not_after: UnixMillis,
    /// Whole days from the observation to `not_after` (negative once expired).
    pub days_left: i64,
    /// Hex, colon-separated.
    pub serial: String,
    /// SHA-256 of the certificate's DER, hex, colon-separated.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ConnectStep {
    Ok {
        ms: Millis,
    },
    /// Actively refused (RST): nothing listening on that port.
    Refused {
        ms: Millis,
        detail: String,
    },
    /// No answer within the timeout: host down, or packets dropped by a firewall.
    TimedOut {
        ms: Millis,
    },
    /// The network said no route / unreachable, or the platform would not connect there.
    Unreachable {
        ms: Millis,
        detail: String,
    },
    /// The origin host name did not resolve.
    DnsFailed {
        ms: Millis,
        detail: String,
    },
    /// A failure the platform could not classify further (detail is the runtime's text).
    Failed {
        ms: Millis,
        detail: String,
    },
}

impl ConnectStep {
    pub fn is_ok(&self) -> bool {
        matches!(self, ConnectStep::Ok { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum TlsStep {
    /// Plain http origin.
    NotApplicable,
    /// Connect failed, so TLS was never tried.
    NotAttempted,
    Ok {
        ms: Millis,
        certificate: CertificateInfo,
    },
    /// Certificate chain not trusted (self-signed, unknown CA).
    Untrusted {
        ms: Millis,
        detail: String,
    },
    Expired {
        ms: Millis,
        detail: String,
    },
    HostnameMismatch {
        ms: Millis,
        detail: String,
    },
    /// The handshake itself failed (protocol/cipher mismatch, not TLS at all, reset).
    HandshakeFailed {
        ms: Millis,
        detail: String,
    },
    /// TLS failed and the platform's error does not say why (Workers' sockets verify the
    /// certificate but report a coarse error): one of the certificate problems above or a
    /// handshake failure.
    Failed {
        ms: Millis,
        detail: String,
    },
}

impl TlsStep {
    /// True when TLS did not stand in the way (not needed, or succeeded).
    pub fn passed(&self) -> bool {
        matches!(self, TlsStep::NotApplicable | TlsStep::Ok { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum HttpStep {
    /// An earlier layer failed.
    NotAttempted,
    Response {
        response: ResponseSummary,
        /// From writing the request to the first response byte.
        ttfb_ms: Millis,
        /// From writing the request to the end of the read.
        total_ms: Millis,
    },
    Failed {
        failure: HttpFailure,
        /// Time from writing the request to the failure.
        ms: Millis,
        detail: String,
        /// Bytes received before the failure.
        bytes_received: u64,
    },
}

/// Exactly how an HTTP/1.1 exchange broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HttpFailure {
    /// The connection closed without a single byte.
    EmptyReply,
    /// The first line is not `HTTP/1.x NNN reason`.
    InvalidStatusLine,
    /// A header line is malformed.
    InvalidHeader,
    /// Some bytes arrived, then the connection closed before the header block ended.
    ClosedBeforeHeaders,
    /// Headers arrived, then the connection closed before Content-Length bytes (or before the
    /// final chunk).
    BodyShorterThanContentLength,
    /// The chunked body encoding is malformed.
    InvalidChunkedBody,
    /// The peer reset the connection.
    Reset,
    /// No complete header block within the timeout (connected, but too slow).
    TimeoutBeforeHeaders,
    /// Headers arrived, but the body did not finish within the timeout.
    TimeoutInBody,
    /// The header block is larger than the probe accepts.
    HeadersTooLarge,
    /// Writing the request failed.
    WriteFailed,
}
