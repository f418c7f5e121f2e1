//! Secondary findings that hold alongside any verdict: certificates expiring soon and latency
//! well above the monitor's own baseline.
//!
//! Time comes in as `now`; nothing here reads a clock.

use crate::diagnosis::{Evidence, Fact, PathKind};
use crate::monitor::Expectations;
use crate::observation::{
    CertificateInfo, EdgeOutcome, HttpStep, OwnTlsOutcome, RegionProbe, TlsStep,
};
use crate::time::{UnixMillis, DAY};

use super::LatencyBaseline;

/// A baseline needs this many samples before latency is judged against it.
pub const MIN_BASELINE_SAMPLES: u32 = 10;

/// Latency must also exceed the baseline by this much, so a 2 ms baseline does not make 7 ms
/// "degraded".
pub const MIN_LATENCY_EXCESS_MS: u32 = 100;

/// Origins whose TLS works for someone — the platform's TLS, or the CDN, whose front answered
/// as expected — while the own client (modern TLS only) found no protocol or suite in common:
/// legacy TLS, reported as such and never as a TLS failure. (Verified on the rig: workerd's own
/// TLS refuses CBC-only and RSA-key-exchange-only servers too, so there the CDN's answer is
/// what shows the origin's TLS still works.)
pub(super) fn legacy_tls(probes: &[&RegionProbe], expect: &Expectations) -> Vec<Evidence> {
    let mut out = Vec::new();
    for p in probes {
        let Some(o) = &p.origin else { continue };
        let Some(own) = &o.own_tls else { continue };
        let legacy = matches!(
            own.outcome,
            OwnTlsOutcome::NoCommonProtocol { .. } | OwnTlsOutcome::AlertReceived { .. }
        );
        let works = matches!(o.tls, TlsStep::Ok { .. })
            || (matches!(o.tls, TlsStep::HandshakeFailed { .. })
                && crate::status::edge_ok(&p.edge.outcome, expect));
        if legacy && works {
            out.push(Evidence {
                region: p.region.clone(),
                path: PathKind::Origin,
                step: "tls".into(),
                fact: Fact::LegacyTls {
                    detail: crate::tls::describe(&own.outcome),
                },
            });
        }
    }
    out
}

/// Certificates (either path) expiring within `cert_warning_days`.
pub(super) fn expiring_certificates(
    probes: &[&RegionProbe],
    expect: &Expectations,
    now: UnixMillis,
) -> Vec<Evidence> {
    let horizon = i64::from(expect.cert_warning_days) * DAY;
    let mut out = Vec::new();
    for p in probes {
        let origin_cert = p.origin.as_ref().and_then(|o| match &o.tls {
            TlsStep::Ok { certificate, .. } => Some(certificate),
            _ => None,
        });
        for (path, cert) in [
            (PathKind::Edge, Some(&p.edge.certificate)),
            (PathKind::Origin, origin_cert),
        ] {
            let Some(CertificateInfo::Known {
                not_after, subject, ..
            }) = cert
            else {
                continue;
            };
            let left = not_after - now;
            if left >= horizon {
                continue;
            }
            out.push(Evidence {
                region: p.region.clone(),
                path,
                step: "certificate".into(),
                fact: Fact::CertificateExpiring {
                    subject: subject.clone(),
                    days_left: (left > 0).then_some(left / DAY),
                },
            });
        }
    }
    out
}

/// Latencies above `latency_factor` × the region's p50 baseline (with enough samples).
pub(super) fn slow_paths(
    probes: &[&RegionProbe],
    expect: &Expectations,
    baselines: &[LatencyBaseline],
) -> Vec<Evidence> {
    let mut out = Vec::new();
    for p in probes {
        let edge_ms = match &p.edge.outcome {
            EdgeOutcome::Response(_) => p.edge.headers_ms,
            EdgeOutcome::Failed { .. } => None,
        };
        let origin_ms = p.origin.as_ref().and_then(|o| match &o.http {
            HttpStep::Response { ttfb_ms, .. } => Some(*ttfb_ms),
            _ => None,
        });
        for (path, ms) in [(PathKind::Edge, edge_ms), (PathKind::Origin, origin_ms)] {
            let Some(ms) = ms else { continue };
            let Some(b) = baselines
                .iter()
                .find(|b| b.region == p.region && b.path == path)
            else {
                continue;
            };
            if b.samples < MIN_BASELINE_SAMPLES || b.p50_ms == 0 {
                continue;
            }
            let limit = u64::from(b.p50_ms) * u64::from(expect.latency_factor.max(1));
            if u64::from(ms) > limit && ms.saturating_sub(b.p50_ms) >= MIN_LATENCY_EXCESS_MS {
                out.push(Evidence {
                    region: p.region.clone(),
                    path,
                    step: "latency".into(),
                    fact: Fact::Slow {
                        ms,
                        p50_ms: b.p50_ms,
                        samples: b.samples,
                    },
                });
            }
        }
    }
    out
}
