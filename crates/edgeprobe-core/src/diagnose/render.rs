//! A diagnosis's summary and checklist, rendered from its data when it is read.
//!
//! A pure function of the [`Diagnosis`]: the catalog's words for its verdict(s) plus the
//! counts and regions it records. Nothing here decides; everything shown was decided by the
//! engine and stored as data, so a wording fix here applies to stored rounds as well.

use std::collections::BTreeSet;

use crate::diagnosis::{Diagnosis, Fact, Verdict};

use super::{catalog, words};

/// How many regions answered: each answering region is either affected or healthy.
fn answered(d: &Diagnosis) -> usize {
    d.affected_regions
        .iter()
        .chain(&d.healthy_regions)
        .collect::<BTreeSet<_>>()
        .len()
}

/// The target policy's reason, when the round was not probed because of it.
fn refused_reason(d: &Diagnosis) -> Option<String> {
    d.evidence.iter().find_map(|e| match &e.fact {
        Fact::PolicyRefused { reason } => Some(reason.clone()),
        // Stored before facts were data: the reason sits inside the old finding's words.
        Fact::Recorded { finding } if e.step == "policy" => finding
            .strip_prefix("not probed: refused by the target policy (")
            .and_then(|r| r.strip_suffix(')'))
            .map(str::to_string),
        _ => None,
    })
}

/// One or two sentences in plain words.
pub(crate) fn summary(d: &Diagnosis) -> String {
    let answered = answered(d);
    if d.verdict == Verdict::Inconclusive {
        // Nothing was probed: say why and stop.
        return match refused_reason(d) {
            // The same policy applies in every region, so one reason says it all.
            Some(reason) => format!(
                "{} Not probed: the monitor's target is refused by the target policy ({reason}). Change its target, or pause or delete it.",
                catalog::summary(Verdict::Inconclusive)
            ),
            None => format!(
                "{} No region answered this round ({} asked).",
                catalog::summary(Verdict::Inconclusive),
                d.unanswered_regions.len()
            ),
        };
    }
    let mut parts: Vec<String> = Vec::new();
    let failing = d.affected_regions.len();
    if d.verdict == Verdict::Regional {
        let cause = match d.regional_cause {
            Some(cause) => words::embedded(catalog::summary(cause)),
            None => words::embedded(catalog::summary(Verdict::Regional)),
        };
        parts.push(format!(
            "The site fails in {failing} of {answered} regions ({}) and works in the others. In the failing regions, {cause}",
            d.affected_regions.join(", ")
        ));
    } else if d.verdict.is_failure() {
        parts.push(catalog::summary(d.verdict).to_string());
        if d.other_cause_regions.is_empty() {
            parts.push(format!("Seen from {failing} of {answered} regions."));
        } else {
            parts.push(format!(
                "Failing in all {answered} regions; {} of them show this cause, the others a different one (see alternatives).",
                failing.saturating_sub(d.other_cause_regions.len())
            ));
        }
    } else if d.verdict == Verdict::EdgeStaleOriginDown {
        parts.push(catalog::summary(d.verdict).to_string());
        parts.push(format!("Seen from {failing} of {answered} regions."));
    } else {
        parts.push(catalog::summary(d.verdict).to_string());
        if d.verdict == Verdict::Healthy {
            parts.push(format!("All {answered} answering regions look fine."));
        }
        if !d.origin_probe_failed.is_empty() {
            parts.push(format!(
                "Our direct probe of the origin failed from {} (see evidence), which is expected if the origin only accepts the CDN's addresses.",
                d.origin_probe_failed.join(", ")
            ));
        }
    }
    if d.verdict.is_failure() && !d.origin_configured {
        parts.push("No origin is configured for this monitor, so only the CDN's answer could be checked and the cause is read from its error; configure the origin to confirm.".into());
    }
    if d.also.contains(&Verdict::CertExpiring) || d.verdict == Verdict::CertExpiring {
        let first = d
            .evidence
            .iter()
            .find(|e| e.step == "certificate")
            .map(|e| e.finding())
            .unwrap_or_default();
        parts.push(format!(
            "{}: {first}.",
            catalog::summary(Verdict::CertExpiring).trim_end_matches('.')
        ));
        if d.verdict == Verdict::CertExpiring {
            parts.remove(0);
        }
    }
    if d.verdict == Verdict::DegradedLatency {
        parts.push(format!("Slow in {}.", d.affected_regions.join(", ")));
    } else if d.also.contains(&Verdict::DegradedLatency) {
        parts.push("Some paths are also much slower than usual.".into());
    }
    if !d.unanswered_regions.is_empty() {
        parts.push(format!(
            "{} region(s) did not answer: {}.",
            d.unanswered_regions.len(),
            d.unanswered_regions.join(", ")
        ));
    }
    parts.join(" ")
}

/// What to check, in order: the verdict's list (for `Regional`, its own and then the cause's),
/// then the certificate's when one expires alongside a problem.
pub(crate) fn checklist(d: &Diagnosis) -> Vec<String> {
    let mut items = catalog::checklist(d.verdict);
    if d.verdict == Verdict::Regional {
        if let Some(cause) = d.regional_cause {
            items.extend(catalog::checklist(cause));
        }
    }
    if d.also.contains(&Verdict::CertExpiring)
        && !matches!(d.verdict, Verdict::Healthy | Verdict::CertExpiring)
    {
        items.extend(catalog::checklist(Verdict::CertExpiring));
    }
    items
}
