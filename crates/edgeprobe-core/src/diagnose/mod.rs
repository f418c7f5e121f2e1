//! The two-path, multi-region diagnosis engine: one round's region reports in, one
//! [`Diagnosis`] out.
//!
//! Each answered region is first reduced to a finding from both of its paths (`region`), then
//! the findings are combined across regions here: all failing regions agree → that cause;
//! some failing, some fine → `Regional`; none answered → `Inconclusive`. Certificates and
//! latency are secondary findings (`secondary`), wording lives in `catalog` and `words`.
//! Pure and deterministic: regions are sorted, time is the `now` argument, no I/O.

mod catalog;
mod region;
mod secondary;
mod words;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnosis::{Alternative, Confidence, Diagnosis, Evidence, PathKind, Verdict};
use crate::monitor::Expectations;
use crate::observation::{RegionProbe, RegionReport};
use crate::time::UnixMillis;

use region::Finding;
pub use secondary::{MIN_BASELINE_SAMPLES, MIN_LATENCY_EXCESS_MS};
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
        .filter(|r| matches!(r, RegionReport::Unanswered { .. } | RegionReport::Refused { .. }))
        .map(|r| r.region().to_string())
        .collect();
    unanswered.sort();
    unanswered.dedup();

    if probes.is_empty() {
        let n = unanswered.len();
        return Diagnosis {
            verdict: Verdict::Inconclusive,
            regional_cause: None,
            severity: catalog::severity(Verdict::Inconclusive),
            confidence: Confidence::Low,
            summary: match refused_reason(input.reports) {
                // The same policy applies in every region, so one reason says it all.
                Some(reason) => format!(
                    "{} Not probed: the monitor's target is refused by the target policy ({reason}). Change its target, or pause or delete it.",
                    catalog::summary(Verdict::Inconclusive)
                ),
                None => format!(
                    "{} No region answered this round ({n} asked).",
                    catalog::summary(Verdict::Inconclusive)
                ),
            },
            affected_regions: vec![],
            healthy_regions: vec![],
            evidence: input
                .reports
                .iter()
                .filter_map(|r| match r {
                    RegionReport::Unanswered { region, reason } => Some(words::evidence(
                        region,
                        PathKind::Edge,
                        "region",
                        format!("region did not answer the coordinator: {reason}"),
                    )),
                    RegionReport::Refused { region, reason } => Some(words::evidence(
                        region,
                        PathKind::Edge,
                        "policy",
                        format!("not probed: refused by the target policy ({reason})"),
                    )),
                    RegionReport::Probed(_) => None,
                })
                .collect(),
            unanswered_regions: unanswered,
            alternatives: vec![],
            also: vec![],
            checklist: catalog::checklist(Verdict::Inconclusive),
        };
    }

    let findings: Vec<Finding> = probes.iter().map(|p| region::classify(p, input.expect)).collect();
    let certs = secondary::expiring_certificates(&probes, input.expect, input.now);
    let slow = secondary::slow_paths(&probes, input.expect, input.baselines);
    combine(&findings, unanswered, certs, slow)
}

fn refused_reason(reports: &[RegionReport]) -> Option<&str> {
    reports.iter().find_map(|r| match r {
        RegionReport::Refused { reason, .. } => Some(reason.as_str()),
        _ => None,
    })
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

fn combine(findings: &[Finding], unanswered: Vec<String>, certs: Vec<Evidence>, slow: Vec<Evidence>) -> Diagnosis {
    let failing: Vec<&Finding> = findings.iter().filter(|f| f.cause.is_failure()).collect();
    let stale: Vec<&Finding> = findings.iter().filter(|f| f.cause == Verdict::EdgeStaleOriginDown).collect();
    let fine: Vec<&Finding> = findings.iter().filter(|f| f.cause == Verdict::Healthy).collect();
    let has_origin = findings.iter().any(|f| f.has_origin);
    let answered = findings.len();

    let mut evidence: Vec<Evidence> = Vec::new();
    let mut alternatives: Vec<Alternative> = Vec::new();
    let mut also: Vec<Verdict> = Vec::new();
    let mut summary_parts: Vec<String> = Vec::new();
    let verdict;
    let mut regional_cause = None;
    let affected;
    let mut healthy = regions(&fine);
    let confidence;
    let mut checklist;

    if !failing.is_empty() {
        let cause = majority(&failing);
        let agreeing: Vec<&Finding> = failing.iter().copied().filter(|f| f.cause == cause).collect();
        let mut conf = agreeing.iter().map(|f| f.confidence).min().unwrap_or(Confidence::Low);
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
        }
        for (v, rs) in others {
            let who = if rs.len() == 1 {
                format!("Region {} shows", rs.join(""))
            } else {
                format!("Regions {} show", rs.join(", "))
            };
            let how = format!("{who} this cause instead; the evidence for each region tells which fits.");
            push_alternatives(
                &mut alternatives,
                &[Alternative {
                    verdict: v,
                    how_to_tell_apart: how,
                }],
            );
        }
        for f in &failing {
            evidence.extend(f.evidence.iter().cloned());
        }
        affected = regions(&failing);
        let list = affected.join(", ");
        if fine.is_empty() && stale.is_empty() {
            verdict = cause;
            summary_parts.push(catalog::summary(cause).to_string());
            if agreeing.len() == failing.len() {
                summary_parts.push(format!("Seen from {} of {answered} regions.", failing.len()));
            } else {
                summary_parts.push(format!(
                    "Failing in all {answered} regions; {} of them show this cause, the others a different one (see alternatives).",
                    agreeing.len()
                ));
            }
            checklist = catalog::checklist(cause);
        } else {
            verdict = Verdict::Regional;
            regional_cause = Some(cause);
            summary_parts.push(format!(
                "The site fails in {} of {answered} regions ({list}) and works in the others. In the failing regions, {}",
                failing.len(),
                words::embedded(catalog::summary(cause))
            ));
            for f in fine.iter().chain(stale.iter()) {
                evidence.extend(f.evidence.iter().filter(|e| e.path == PathKind::Edge).cloned());
            }
            checklist = catalog::checklist(Verdict::Regional);
            checklist.extend(catalog::checklist(cause));
            if !stale.is_empty() {
                also.push(Verdict::EdgeStaleOriginDown);
                healthy.extend(regions(&stale));
                healthy.sort();
            }
        }
        if !has_origin {
            summary_parts.push("No origin is configured for this monitor, so only the CDN's answer could be checked and the cause is read from its error; configure the origin to confirm.".into());
        }
        confidence = if has_origin { conf } else { conf.min(Confidence::Medium) };
    } else if !stale.is_empty() {
        verdict = Verdict::EdgeStaleOriginDown;
        affected = regions(&stale);
        confidence = stale.iter().map(|f| f.confidence).min().unwrap_or(Confidence::Low);
        for f in &stale {
            evidence.extend(f.evidence.iter().cloned());
            push_alternatives(&mut alternatives, &f.alternatives);
        }
        summary_parts.push(catalog::summary(verdict).to_string());
        summary_parts.push(format!("Seen from {} of {answered} regions.", stale.len()));
        checklist = catalog::checklist(verdict);
    } else {
        let probe_failed: Vec<&Finding> = fine.iter().copied().filter(|f| f.origin_probe_failed).collect();
        confidence = if probe_failed.is_empty() {
            Confidence::High
        } else {
            Confidence::Medium
        };
        verdict = if !slow.is_empty() {
            Verdict::DegradedLatency
        } else if !certs.is_empty() {
            Verdict::CertExpiring
        } else {
            Verdict::Healthy
        };
        affected = match verdict {
            Verdict::DegradedLatency => sorted_regions(&slow),
            Verdict::CertExpiring => sorted_regions(&certs),
            _ => vec![],
        };
        if verdict != Verdict::Healthy {
            healthy.retain(|r| !affected.contains(r));
        }
        summary_parts.push(catalog::summary(verdict).to_string());
        if verdict == Verdict::Healthy {
            summary_parts.push(format!("All {answered} answering regions look fine."));
            for f in &fine {
                evidence.extend(f.evidence.iter().cloned());
            }
        }
        if !probe_failed.is_empty() {
            summary_parts.push(format!(
                "Our direct probe of the origin failed from {} (see evidence), which is expected if the origin only accepts the CDN's addresses.",
                regions(&probe_failed).join(", ")
            ));
            for f in &probe_failed {
                if verdict != Verdict::Healthy {
                    evidence.extend(f.evidence.iter().cloned());
                }
            }
        }
        checklist = catalog::checklist(verdict);
    }

    if !slow.is_empty() && verdict != Verdict::DegradedLatency {
        also.push(Verdict::DegradedLatency);
    }
    if !certs.is_empty() && verdict != Verdict::CertExpiring {
        also.push(Verdict::CertExpiring);
        if verdict != Verdict::Healthy {
            checklist.extend(catalog::checklist(Verdict::CertExpiring));
        }
    }
    if also.contains(&Verdict::CertExpiring) || verdict == Verdict::CertExpiring {
        let first = certs.iter().map(|e| e.finding.as_str()).next().unwrap_or("");
        summary_parts.push(format!(
            "{}: {first}.",
            catalog::summary(Verdict::CertExpiring).trim_end_matches('.')
        ));
        if verdict == Verdict::CertExpiring {
            summary_parts.remove(0);
        }
    }
    if verdict == Verdict::DegradedLatency {
        summary_parts.push(format!("Slow in {}.", affected.join(", ")));
    } else if also.contains(&Verdict::DegradedLatency) {
        summary_parts.push("Some paths are also much slower than usual.".into());
    }
    evidence.extend(slow);
    evidence.extend(certs);
    if !unanswered.is_empty() {
        summary_parts.push(format!("{} region(s) did not answer: {}.", unanswered.len(), unanswered.join(", ")));
    }
    also.sort();
    also.dedup();

    Diagnosis {
        verdict,
        regional_cause,
        severity: catalog::severity(verdict),
        confidence,
        summary: summary_parts.join(" "),
        affected_regions: affected,
        healthy_regions: healthy,
        unanswered_regions: unanswered,
        evidence,
        alternatives,
        also,
        checklist,
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
