//! The two-path, multi-region diagnosis engine: one round's region reports in, one
//! [`Diagnosis`] out.
//!
//! Each answered region is first reduced to a finding from both of its paths (`region`), then
//! the findings are combined across regions here: all failing regions agree → that cause;
//! some failing, some fine → `Regional`; none answered → `Inconclusive`. Certificates and
//! latency are secondary findings (`secondary`).
//! Pure and deterministic: regions are sorted, time is the `now` argument, no I/O.
//!
//! The engine records data only (verdict, regions, evidence facts, alternatives' reasons).
//! The words are rendered when a diagnosis is read, by the functions re-exported here for
//! `core::diagnosis`: `render` (summary, checklist) from the catalog's words in `catalog`,
//! `words` (evidence findings) and `reasons` (how to tell alternatives apart).

mod catalog;
mod reasons;
mod region;
mod render;
mod secondary;
mod words;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{
    Alternative, Confidence, Diagnosis, Distinction, Evidence, Fact, PathKind, Verdict,
};
use crate::monitor::Expectations;
use crate::observation::{RegionProbe, RegionReport};
use crate::time::UnixMillis;

pub(crate) use reasons::how_to_tell_apart;
use region::Finding;
pub(crate) use render::{checklist, summary};
pub use secondary::{MIN_BASELINE_SAMPLES, MIN_LATENCY_EXCESS_MS};
pub(crate) use words::finding;
pub use words::{edge_failure_plain, origin_plain};

/// Everything one diagnosis depends on.
#[derive(Debug, Clone, Copy)]
pub struct RoundInput<'a> {
    pub reports: &'a [RegionReport],
    pub expect: &'a Expectations,
    pub baselines: &'a [LatencyBaseline],
    pub now: UnixMillis,
}

/// The monitor's usual latency for one region and path (from rollups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LatencyBaseline {
    pub region: String,
    pub path: PathKind,
    pub p50_ms: u32,
    pub samples: u32,
}

/// Diagnoses one round.
pub fn diagnose(input: &RoundInput) -> Diagnosis {
    let mut probes: Vec<&RegionProbe> = input
        .reports
        .iter()
        .filter_map(|r| match r {
            RegionReport::Probed(p) => Some(p),
            RegionReport::Unanswered { .. } | RegionReport::Refused { .. } => None,
        })
        .collect();
    probes.sort_by(|a, b| a.region.cmp(&b.region));
    let mut unanswered: Vec<String> = input
        .reports
        .iter()
        .filter(|r| {
            matches!(
                r,
                RegionReport::Unanswered { .. } | RegionReport::Refused { .. }
            )
        })
        .map(|r| r.region().to_string())
        .collect();
    unanswered.sort();
    unanswered.dedup();

    if probes.is_empty() {
        return Diagnosis {
            verdict: Verdict::Inconclusive,
            regional_cause: None,
            severity: catalog::severity(Verdict::Inconclusive),
            confidence: Confidence::Low,
            affected_regions: vec![],
            healthy_regions: vec![],
            evidence: input
                .reports
                .iter()
                .filter_map(|r| match r {
                    RegionReport::Unanswered { region, reason } => Some((
                        region,
                        "region",
                        Fact::RegionUnanswered {
                            reason: reason.clone(),
                        },
                    )),
                    RegionReport::Refused { region, reason } => Some((
                        region,
                        "policy",
                        Fact::PolicyRefused {
                            reason: reason.clone(),
                        },
                    )),
                    RegionReport::Probed(_) => None,
                })
                .map(|(region, step, fact)| Evidence {
                    region: region.clone(),
                    path: PathKind::Edge,
                    step: step.into(),
                    fact,
                })
                .collect(),
            unanswered_regions: unanswered,
            other_cause_regions: vec![],
            origin_probe_failed: vec![],
            origin_configured: false,
            alternatives: vec![],
            also: vec![],
        };
    }

    let findings: Vec<Finding> = probes
        .iter()
        .map(|p| region::classify(p, input.expect))
        .collect();
    let certs = secondary::expiring_certificates(&probes, input.expect, input.now);
    let legacy = secondary::legacy_tls(&probes, input.expect);
    let slow = secondary::slow_paths(&probes, input.expect, input.baselines);
    combine(&findings, unanswered, certs, slow, legacy)
}

fn lower(c: Confidence) -> Confidence {
    match c {
        Confidence::High => Confidence::Medium,
        _ => Confidence::Low,
    }
}

fn regions(fs: &[&Finding]) -> Vec<String> {
    fs.iter().map(|f| f.region.clone()).collect()
}

fn combine(
    findings: &[Finding],
    unanswered: Vec<String>,
    certs: Vec<Evidence>,
    slow: Vec<Evidence>,
    legacy: Vec<Evidence>,
) -> Diagnosis {
    let failing: Vec<&Finding> = findings.iter().filter(|f| f.cause.is_failure()).collect();
    let stale: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.cause == Verdict::EdgeStaleOriginDown)
        .collect();
    let fine: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.cause == Verdict::Healthy)
        .collect();
    let has_origin = findings.iter().any(|f| f.has_origin);
    let answered = findings.len();

    let mut evidence: Vec<Evidence> = Vec::new();
    let mut alternatives: Vec<Alternative> = Vec::new();
    let mut also: Vec<Verdict> = Vec::new();
    let verdict;
    let mut regional_cause = None;
    let affected;
    let mut healthy = regions(&fine);
    let mut other_cause_regions = Vec::new();
    let mut origin_probe_failed = Vec::new();
    let confidence;

    if !failing.is_empty() {
        let cause = majority(&failing);
        let agreeing: Vec<&Finding> = failing
            .iter()
            .copied()
            .filter(|f| f.cause == cause)
            .collect();
        let mut conf = agreeing
            .iter()
            .map(|f| f.confidence)
            .min()
            .unwrap_or(Confidence::Low);
        if agreeing.len() < failing.len() {
            conf = lower(conf);
        }
        if answered == 1 {
            conf = conf.min(Confidence::Medium);
        }
        for f in &agreeing {
            push_alternatives(&mut alternatives, &f.alternatives);
        }
        let mut others: BTreeMap<Verdict, Vec<String>> = BTreeMap::new();
        for f in failing.iter().filter(|f| f.cause != cause) {
            others.entry(f.cause).or_default().push(f.region.clone());
            other_cause_regions.push(f.region.clone());
        }
        for (v, rs) in others {
            push_alternatives(
                &mut alternatives,
                &[Alternative {
                    verdict: v,
                    reason: Distinction::OtherRegionsShow { regions: rs },
                }],
            );
        }
        for f in &failing {
            evidence.extend(f.evidence.iter().cloned());
        }
        affected = regions(&failing);
        if fine.is_empty() && stale.is_empty() {
            verdict = cause;
        } else {
            verdict = Verdict::Regional;
            regional_cause = Some(cause);
            for f in fine.iter().chain(stale.iter()) {
                evidence.extend(
                    f.evidence
                        .iter()
                        .filter(|e| e.path == PathKind::Edge)
                        .cloned(),
                );
            }
            if !stale.is_empty() {
                also.push(Verdict::EdgeStaleOriginDown);
                healthy.extend(regions(&stale));
                healthy.sort();
            }
        }
        confidence = if has_origin {
            conf
        } else {
            conf.min(Confidence::Medium)
        };
    } else if !stale.is_empty() {
        verdict = Verdict::EdgeStaleOriginDown;
        affected = regions(&stale);
        confidence = stale
            .iter()
            .map(|f| f.confidence)
            .min()
            .unwrap_or(Confidence::Low);
        for f in &stale {
            evidence.extend(f.evidence.iter().cloned());
            push_alternatives(&mut alternatives, &f.alternatives);
        }
    } else {
        let probe_failed: Vec<&Finding> = fine
            .iter()
            .copied()
            .filter(|f| f.origin_probe_failed)
            .collect();
        confidence = if probe_failed.is_empty() {
            Confidence::High
        } else {
            Confidence::Medium
        };
        verdict = if !slow.is_empty() {
            Verdict::DegradedLatency
        } else if !certs.is_empty() {
            Verdict::CertExpiring
        } else if !legacy.is_empty() {
            Verdict::OriginTlsLegacy
        } else {
            Verdict::Healthy
        };
        affected = match verdict {
            Verdict::DegradedLatency => sorted_regions(&slow),
            Verdict::CertExpiring => sorted_regions(&certs),
            Verdict::OriginTlsLegacy => sorted_regions(&legacy),
            _ => vec![],
        };
        if verdict != Verdict::Healthy {
            healthy.retain(|r| !affected.contains(r));
        }
        if verdict == Verdict::Healthy {
            for f in &fine {
                evidence.extend(f.evidence.iter().cloned());
            }
        }
        origin_probe_failed = regions(&probe_failed);
        for f in &probe_failed {
            if verdict != Verdict::Healthy {
                evidence.extend(f.evidence.iter().cloned());
            }
        }
    }

    if !slow.is_empty() && verdict != Verdict::DegradedLatency {
        also.push(Verdict::DegradedLatency);
    }
    if !certs.is_empty() && verdict != Verdict::CertExpiring {
        also.push(Verdict::CertExpiring);
    }
    if !legacy.is_empty() && verdict != Verdict::OriginTlsLegacy {
        also.push(Verdict::OriginTlsLegacy);
    }
    evidence.extend(slow);
    evidence.extend(certs);
    evidence.extend(legacy);
    also.sort();
    also.dedup();

    Diagnosis {
        verdict,
        regional_cause,
        severity: catalog::severity(verdict),
        confidence,
        affected_regions: affected,
        healthy_regions: healthy,
        unanswered_regions: unanswered,
        other_cause_regions,
        origin_probe_failed,
        origin_configured: has_origin,
        evidence,
        alternatives,
        also,
    }
}

/// The most common cause; ties go to the first in catalog order, so the result is stable.
fn majority(failing: &[&Finding]) -> Verdict {
    let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for f in failing {
        *counts.entry(f.cause).or_default() += 1;
    }
    let best = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(v, _)| v)
        .unwrap_or(Verdict::Inconclusive)
}

fn push_alternatives(into: &mut Vec<Alternative>, from: &[Alternative]) {
    for a in from {
        if !into.iter().any(|x| x.verdict == a.verdict) {
            into.push(a.clone());
        }
    }
}

fn sorted_regions(ev: &[Evidence]) -> Vec<String> {
    let mut r: Vec<String> = ev.iter().map(|e| e.region.clone()).collect();
    r.sort();
    r.dedup();
    r
}
