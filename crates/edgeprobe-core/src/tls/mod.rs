//! The origin probe's own TLS client, sans-IO: rustls driven by bytes in and bytes out, with
//! the time passed in, so every handshake failure is named from rustls' exact error rather than
//! the platform's `internal error; reference = …`.
//!
//! Calling contract ([`Handshake`]): `start` with the settings and `now`; then loop — write
//! everything [`Handshake::outgoing`] returns to the socket, read from the socket and give the
//! bytes to [`Handshake::feed`] — until `feed` says [`Fed::Done`], the socket ends, or the
//! deadline passes; then [`Handshake::conclude`] with how it ended. The platform pumps bytes and
//! keeps the deadline; this module decides what the outcome means ([`OwnTlsOutcome`]) and what
//! the origin's TLS step becomes ([`merge`]). It does no I/O and reads no clock.
//!
//! Trust: Mozilla's roots (webpki-roots), plus per monitor the PEM anchors it lists and,
//! optionally, Cloudflare's Origin CA roots ([`origin_ca`]). rustls accepts TLS 1.2 and 1.3 with
//! AEAD suites and ECDHE only: an origin that only speaks TLS 1.0/1.1, CBC, RSA key exchange or
//! SHA-1 fails here while browsers' (and the platform's) TLS may still connect — [`merge`]
//! reports that as legacy TLS, never as broken TLS.

pub mod der;
pub mod origin_ca;
pub mod plan;

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, Error};

use crate::monitor::OriginTls;
use crate::observation::{CertificateInfo, LeafCertificate, OwnTls, OwnTlsOutcome, TlsStep};
use crate::time::{Millis, UnixMillis, DAY};

/// What a handshake needs to know besides the bytes.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// The name sent as SNI and checked against the certificate.
    pub server_name: String,
    pub options: OriginTls,
}

impl TlsSettings {
    /// The origin's name, unless the monitor overrides SNI.
    pub fn for_origin(host: &str, options: &OriginTls) -> TlsSettings {
        TlsSettings {
            server_name: options.sni.clone().unwrap_or_else(|| host.to_string()),
            options: options.clone(),
        }
    }
}

/// How the socket ended the handshake, as the platform saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum HandshakeEnd {
    /// `feed` said `Done`.
    Finished,
    /// The peer closed the connection.
    Eof,
    /// Reading or writing failed (the runtime's text).
    Broken(String),
    /// The deadline passed first.
    Timeout,
}

/// What `feed` asks of the platform next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Write `outgoing()`, then read more.
    NeedMore,
    /// The handshake ended (either way): write `outgoing()` (a close_notify or alert), stop.
    Done,
}

/// Records the chain the server presented, then lets webpki decide (rustls only exposes the
/// peer's certificates after a successful verification).
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    chain: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Ok(mut c) = self.chain.lock() {
            c.clear();
            c.push(end_entity.to_vec());
            c.extend(intermediates.iter().map(|i| i.to_vec()));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The clock rustls asks: the probe's `now`, fixed for the handshake (it lasts milliseconds).
#[derive(Debug)]
struct FixedTime(UnixMillis);

impl rustls::time_provider::TimeProvider for FixedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(
            std::time::Duration::from_millis(self.0.max(0) as u64),
        ))
    }
}

/// One handshake in progress. See the module docs for the calling contract.
pub struct Handshake {
    conn: ClientConnection,
    chain: Arc<Mutex<Vec<Vec<u8>>>>,
    server_name: String,
    /// Subjects (DER) of every anchor trusted for this handshake.
    anchor_subjects: Vec<Vec<u8>>,
    first_bytes: Vec<u8>,
    error: Option<Error>,
    now: UnixMillis,
}

/// Why a handshake could not even start (a setting the API should have refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError(pub String);

impl Handshake {
    pub fn start(settings: &TlsSettings, now: UnixMillis) -> Result<Handshake, StartError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let mut extra = Vec::new();
        if settings.options.trust_cloudflare_origin_ca {
            extra.extend(parse_pem(origin_ca::ROOTS_PEM).map_err(StartError)?);
        }
        if let Some(pem) = &settings.options.extra_trust_anchors_pem {
            extra.extend(parse_pem(pem).map_err(StartError)?);
        }
        let (added, _) = roots.add_parsable_certificates(extra);
        if settings.options.extra_trust_anchors_pem.is_some() && added == 0 {
            return Err(StartError(
                "no usable certificate in the extra trust anchors".into(),
            ));
        }
        let anchor_subjects = roots.roots.iter().map(|a| a.subject.to_vec()).collect();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| StartError(e.to_string()))?;
        let chain = Arc::new(Mutex::new(Vec::new()));
        let verifier = Arc::new(Recording {
            inner,
            chain: chain.clone(),
        });
        let config = ClientConfig::builder_with_details(provider, Arc::new(FixedTime(now)))
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(|e| StartError(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let name = ServerName::try_from(settings.server_name.clone())
            .map_err(|_| StartError(format!("invalid server name {:?}", settings.server_name)))?;
        let conn =
            ClientConnection::new(Arc::new(config), name).map_err(|e| StartError(e.to_string()))?;
        Ok(Handshake {
            conn,
            chain,
            server_name: settings.server_name.clone(),
            anchor_subjects,
            first_bytes: Vec::new(),
            error: None,
            now,
        })
    }

    /// Bytes to write to the socket now (empty when there are none).
    pub fn outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        out
    }

    /// Bytes read from the socket.
    pub fn feed(&mut self, mut data: &[u8]) -> Fed {
        if self.first_bytes.len() < 16 {
            let take = (16 - self.first_bytes.len()).min(data.len());
            self.first_bytes.extend_from_slice(&data[..take]);
        }
        while !data.is_empty() {
            match self.conn.read_tls(&mut data) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    self.error = Some(Error::General(e.to_string()));
                    return Fed::Done;
                }
            }
            if let Err(e) = self.conn.process_new_packets() {
                self.error = Some(e);
                return Fed::Done;
            }
        }
        if self.conn.is_handshaking() {
            Fed::NeedMore
        } else {
            self.conn.send_close_notify();
            Fed::Done
        }
    }

    /// The outcome, once the platform stopped pumping (`ms` since the handshake started).
    pub fn conclude(self, end: HandshakeEnd, ms: Millis) -> OwnTls {
        let chain = self.chain.lock().map(|c| c.clone()).unwrap_or_default();
        let parsed: Vec<der::ParsedCert> = chain.iter().filter_map(|c| der::parse(c)).collect();
        let leaf = parsed.first().map(|p| leaf(p, self.now));
        let ok = self.error.is_none() && end == HandshakeEnd::Finished;
        let outcome = match (&self.error, &end) {
            (Some(e), _) => outcome_of_error(
                e,
                &parsed,
                &self.anchor_subjects,
                &self.server_name,
                &self.first_bytes,
            ),
            (None, HandshakeEnd::Finished) => OwnTlsOutcome::Ok,
            (None, HandshakeEnd::Eof) => OwnTlsOutcome::Closed,
            (None, HandshakeEnd::Broken(detail)) => OwnTlsOutcome::Reset {
                detail: detail.clone(),
            },
            (None, HandshakeEnd::Timeout) => OwnTlsOutcome::Timeout,
        };
        OwnTls {
            ms,
            outcome,
            version: ok
                .then(|| self.conn.protocol_version().map(|v| format!("{v:?}")))
                .flatten(),
            cipher_suite: ok
                .then(|| {
                    self.conn
                        .negotiated_cipher_suite()
                        .map(|s| format!("{:?}", s.suite()))
                })
                .flatten(),
            presented: chain.len() as u32,
            leaf,
        }
    }
}

fn leaf(p: &der::ParsedCert, now: UnixMillis) -> LeafCertificate {
    LeafCertificate {
        subject: p.subject.clone(),
        issuer: p.issuer.clone(),
        sans: p.sans.clone(),
        not_before: p.not_before,
        not_after: p.not_after,
        days_left: (p.not_after - now).div_euclid(DAY),
        serial: p.serial.clone(),
        sha256: p.sha256.clone(),
    }
}

/// Certificates from PEM text (`-----BEGIN CERTIFICATE-----` blocks); an error names what is
/// wrong. Shared with the API's validation of per-monitor anchors.
pub fn parse_pem(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    let certs = certs.map_err(|e| format!("not PEM certificates: {e:?}"))?;
    if certs.is_empty() {
        return Err("no -----BEGIN CERTIFICATE----- block".into());
    }
    for c in &certs {
        if der::parse(c).is_none() {
            return Err("a PEM block is not an X.509 certificate".into());
        }
    }
    Ok(certs)
}

/// rustls' error, read with the chain that was presented.
fn outcome_of_error(
    e: &Error,
    chain: &[der::ParsedCert],
    anchor_subjects: &[Vec<u8>],
    server_name: &str,
    first_bytes: &[u8],
) -> OwnTlsOutcome {
    use rustls::AlertDescription as A;
    match e {
        Error::InvalidCertificate(c) => certificate_outcome(c, chain, anchor_subjects, server_name),
        Error::AlertReceived(
            a @ (A::HandshakeFailure | A::ProtocolVersion | A::InsufficientSecurity),
        ) => OwnTlsOutcome::NoCommonProtocol {
            alert: format!("{a:?}"),
        },
        Error::AlertReceived(a) => OwnTlsOutcome::AlertReceived {
            alert: format!("{a:?}"),
        },
        Error::PeerIncompatible(p) => OwnTlsOutcome::NoCommonProtocol {
            alert: format!("{p:?}"),
        },
        Error::InvalidMessage(_) if !looks_like_tls(first_bytes) => OwnTlsOutcome::NotTls {
            first_bytes: printable(first_bytes),
        },
        other => OwnTlsOutcome::Other {
            detail: other.to_string(),
        },
    }
}

/// A TLS record starts with a content type 20..=24 and major version 3.
fn looks_like_tls(b: &[u8]) -> bool {
    matches!(b, [20..=24, 3, ..])
}

fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect()
}

fn certificate_outcome(
    c: &CertificateError,
    chain: &[der::ParsedCert],
    anchor_subjects: &[Vec<u8>],
    server_name: &str,
) -> OwnTlsOutcome {
    let leaf = chain.first();
    match c {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            OwnTlsOutcome::Expired {
                not_after: leaf.map_or(0, |l| l.not_after),
            }
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            OwnTlsOutcome::NotYetValid {
                not_before: leaf.map_or(0, |l| l.not_before),
            }
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            OwnTlsOutcome::NameMismatch {
                expected: server_name.to_string(),
                presented: leaf.map(|l| l.sans.clone()).unwrap_or_default(),
            }
        }
        // webpki says UnknownIssuer, or CaUsedAsEndEntity for `openssl req -x509` certificates:
        // what the chain looks like tells which problem it is.
        _ if leaf.is_some_and(der::ParsedCert::self_issued) && chain.len() == 1 => {
            OwnTlsOutcome::SelfSigned
        }
        CertificateError::UnknownIssuer | CertificateError::Other(_) => match chain.last() {
            Some(last) if last.self_issued() => OwnTlsOutcome::UnknownIssuer {
                issuer: last.subject.clone(),
            },
            Some(last)
                if !anchor_subjects
                    .iter()
                    .any(|s| name_matches(s, &last.issuer_der)) =>
            {
                OwnTlsOutcome::IncompleteChain {
                    missing_issuer: last.issuer.clone(),
                }
            }
            Some(last) => OwnTlsOutcome::UnknownIssuer {
                issuer: last.issuer.clone(),
            },
            None => OwnTlsOutcome::Other {
                detail: format!("{c:?}"),
            },
        },
        other => OwnTlsOutcome::Other {
            detail: format!("{other:?}"),
        },
    }
}

/// webpki's anchor subjects are the Name's contents (without the outer SEQUENCE header).
fn name_matches(anchor_subject: &[u8], name_der: &[u8]) -> bool {
    name_der.ends_with(anchor_subject) && name_der.len() - anchor_subject.len() <= 4
}

/// The origin's TLS step once the own client has run: its exact verdict where the platform's
/// TLS failed (or agreed), and "legacy" evidence — never a failure — where only the own
/// client failed. `platform` is the step the platform's StartTLS produced this round.
pub fn merge(platform: TlsStep, own: &OwnTls) -> TlsStep {
    let certificate = own
        .leaf
        .as_ref()
        .map_or(CertificateInfo::NotObservable, |l| CertificateInfo::Known {
            not_after: l.not_after,
            subject: Some(l.subject.clone()),
            issuer: Some(l.issuer.clone()),
        });
    match platform {
        TlsStep::Ok { ms, .. } => TlsStep::Ok {
            ms,
            // A legacy server's leaf is still the certificate browsers see: watch its expiry.
            certificate,
        },
        TlsStep::Failed { ms, detail } => match &own.outcome {
            OwnTlsOutcome::Ok => TlsStep::Failed {
                ms,
                detail: format!("{detail} (the own TLS client's handshake succeeded)"),
            },
            outcome => step_of(outcome, own.ms),
        },
        other => other,
    }
}

/// The TLS step an own-client failure stands for.
pub fn step_of(outcome: &OwnTlsOutcome, ms: Millis) -> TlsStep {
    let detail = describe(outcome);
    match outcome {
        OwnTlsOutcome::Expired { .. } | OwnTlsOutcome::NotYetValid { .. } => {
            TlsStep::Expired { ms, detail }
        }
        OwnTlsOutcome::NameMismatch { .. } => TlsStep::HostnameMismatch { ms, detail },
        OwnTlsOutcome::UnknownIssuer { .. }
        | OwnTlsOutcome::SelfSigned
        | OwnTlsOutcome::IncompleteChain { .. } => TlsStep::Untrusted { ms, detail },
        OwnTlsOutcome::Ok => TlsStep::Ok {
            ms,
            certificate: CertificateInfo::NotObservable,
        },
        _ => TlsStep::HandshakeFailed { ms, detail },
    }
}

/// One line naming the outcome, for the TLS step's `detail` and the diagnosis text.
pub fn describe(outcome: &OwnTlsOutcome) -> String {
    match outcome {
        OwnTlsOutcome::Ok => "handshake ok".into(),
        OwnTlsOutcome::Expired { not_after } => {
            format!(
                "certificate expired: notAfter {}",
                crate::time::format_rfc3339(*not_after)
            )
        }
        OwnTlsOutcome::NotYetValid { not_before } => format!(
            "certificate not yet valid: notBefore {}",
            crate::time::format_rfc3339(*not_before)
        ),
        OwnTlsOutcome::UnknownIssuer { issuer } => {
            format!("certificate issued by an unknown CA: {issuer}")
        }
        OwnTlsOutcome::SelfSigned => "self-signed certificate".into(),
        OwnTlsOutcome::NameMismatch {
            expected,
            presented,
        } => format!(
            "certificate is not valid for {expected}; it names {}",
            if presented.is_empty() {
                "no DNS name or IP".to_string()
            } else {
                presented.join(", ")
            }
        ),
        OwnTlsOutcome::IncompleteChain { missing_issuer } => {
            format!("incomplete chain: the issuer {missing_issuer} was neither sent nor trusted")
        }
        OwnTlsOutcome::NoCommonProtocol { alert } => {
            format!("no TLS version or cipher suite in common ({alert})")
        }
        OwnTlsOutcome::AlertReceived { alert } => format!("the server sent the alert {alert}"),
        OwnTlsOutcome::NotTls { first_bytes } => {
            format!("the server does not speak TLS; it answered {first_bytes:?}")
        }
        OwnTlsOutcome::Closed => "the server closed the connection during the handshake".into(),
        OwnTlsOutcome::Reset { detail } => {
            format!("the connection broke during the handshake ({detail})")
        }
        OwnTlsOutcome::Timeout => "no end to the handshake before the timeout".into(),
        OwnTlsOutcome::Other { detail } => detail.clone(),
    }
}

/// How often the own client re-reads each monitor's certificate from each region when the
/// platform's TLS succeeds (see docs/capacity.md, "TLS").
pub const CERT_CHECK_PERIOD_MS: i64 = 6 * crate::time::HOUR;

/// Whether this round's probe of `m` from `region` (started at `now`) also runs the own TLS
/// client although the platform's TLS may succeed: on the first round after the monitor was
/// created or changed (new trust anchors or SNI are checked at once), then once per
/// [`CERT_CHECK_PERIOD_MS`] per monitor and region, at an offset spread by a hash of both so a
/// region object's monitors do not all pay for a handshake in the same round. The platform
/// layer runs it in any case when the platform's TLS failed (to name the reason).
pub fn own_client_due(m: &crate::monitor::Monitor, region: &str, now: UnixMillis) -> bool {
    let Some(o) = &m.origin else {
        return false;
    };
    if o.scheme != crate::monitor::Scheme::Https {
        return false;
    }
    schedule_due(m, region, "", now)
}

/// The certificate schedule of one path: the first round after the monitor was created or
/// changed, then once per [`CERT_CHECK_PERIOD_MS`] at an offset hashed from the monitor, the
/// region and `salt` (the edge's differs from the origin's, so one monitor's two handshakes
/// fall in different rounds).
fn schedule_due(m: &crate::monitor::Monitor, region: &str, salt: &str, now: UnixMillis) -> bool {
    let interval = i64::try_from(m.interval_ms).unwrap_or(i64::MAX).max(1);
    if now.saturating_sub(m.updated_at.max(m.created_at)) < interval {
        return true;
    }
    let period = CERT_CHECK_PERIOD_MS.max(interval);
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let hash =
        m.id.bytes()
            .chain([0])
            .chain(region.bytes())
            .chain(salt.bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
    let offset = (hash % period as u64) as i64;
    now.saturating_add(offset).rem_euclid(period) < interval
}

/// The public host a front URL names, for the own client's handshake with the edge:
/// `(host, port)` of an `https` URL (port 443 unless given); `None` for `http` fronts.
pub fn edge_target(url: &str) -> Option<(String, u16)> {
    let u = url::Url::parse(url).ok()?;
    if u.scheme() != "https" {
        return None;
    }
    let host = match u.host()? {
        url::Host::Domain(d) => d.to_string(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    Some((host, u.port().unwrap_or(443)))
}

/// Whether this round's probe of `m` from `region` also handshakes with the public host on
/// the certificate schedule (the same rule as the origin's, [`own_client_due`], on its own
/// offset). Only https fronts. Whether the front is reachable by a socket at all is decided
/// after the fetch ([`edge_reachability`]).
pub fn edge_check_due(m: &crate::monitor::Monitor, region: &str, now: UnixMillis) -> bool {
    edge_target(&m.url).is_some() && schedule_due(m, region, "/edge", now)
}

/// The handshake settings for the public host: its name as SNI, the monitor's TLS trust
/// settings (extra anchors, Origin CA) as on the origin, never the origin's SNI override.
pub fn edge_settings(host: &str, m: &crate::monitor::Monitor) -> TlsSettings {
    let mut options = m.origin.as_ref().map(|o| o.tls.clone()).unwrap_or_default();
    options.sni = None;
    TlsSettings {
        server_name: host.to_string(),
        options,
    }
}

/// Whether the own client may handshake with the front, from what the fetch saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeReach {
    /// A socket can reach it: handshake.
    Socket,
    /// The front is on Cloudflare's own network: production `connect()` refuses its address
    /// ranges, so the edge certificate is managed by the CDN and not probed.
    ManagedByCdn(crate::cdn::Cdn),
}

/// How the front is reached, read from the fetch's response the way the diagnosis attributes
/// it (`core::cdn::attribute`: `cf-ray` or `Server: cloudflare` mean Cloudflare). A failed
/// fetch says nothing about the network, so the handshake is tried (and names the failure).
pub fn edge_reachability(edge: &crate::observation::EdgeObservation) -> EdgeReach {
    match &edge.outcome {
        crate::observation::EdgeOutcome::Response(r)
            if crate::cdn::attribute(r).cdn == crate::cdn::Cdn::Cloudflare =>
        {
            EdgeReach::ManagedByCdn(crate::cdn::Cdn::Cloudflare)
        }
        _ => EdgeReach::Socket,
    }
}

/// The certificate facts an own-client handshake shows (the leaf, whatever the outcome).
pub fn certificate_of(own: &OwnTls) -> CertificateInfo {
    own.leaf
        .as_ref()
        .map_or(CertificateInfo::NotObservable, |l| CertificateInfo::Known {
            not_after: l.not_after,
            subject: Some(l.subject.clone()),
            issuer: Some(l.issuer.clone()),
        })
}
