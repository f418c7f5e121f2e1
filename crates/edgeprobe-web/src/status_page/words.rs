//! Verdicts as headings people understand. The full explanation of each verdict lives in
//! docs/diagnoses.md; these are the one-line titles the status page shows.

use edgeprobe_core::diagnosis::Verdict;

/// How much a page tells: visitors get customer words, operators (and monitors that opt in)
/// the diagnosis, its checklist and the raw evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// What a visitor needs: a heading and a sentence in customer words, per-region OK/failed;
    /// no checklist (`iptables`, `ss -ltnp`, "your origin"), no status codes or errors.
    Summary,
    /// Everything: the verdict's title and summary, the checklist, the evidence per path.
    Full,
}

/// The verdict in words for visitors: what they experience and that someone is on it.
pub fn customer_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy | Verdict::CertExpiring | Verdict::OriginTlsLegacy => {
            "Everything is working normally."
        }
        Verdict::OriginRefused | Verdict::OriginUnreachable | Verdict::EdgeUnreachable => {
            "Our web servers are not responding; we are investigating."
        }
        Verdict::OriginBlocksCdn | Verdict::EdgeErrorOriginHealthy => {
            "Our service cannot be reached right now; we are investigating."
        }
        Verdict::OriginTlsInvalid | Verdict::OriginTlsHandshakeFailed => {
            "Secure connections to our servers are failing; we are investigating."
        }
        Verdict::OriginTimeout | Verdict::OriginUpstreamTimeout => {
            "Our service is responding too slowly or not at all; we are investigating."
        }
        Verdict::OriginMalformedResponse
        | Verdict::OriginAppError
        | Verdict::OriginUpstreamDown
        | Verdict::UnexpectedResponse => "Our service is returning errors; we are investigating.",
        Verdict::OriginDnsFailure => "Our servers cannot be found right now; we are investigating.",
        Verdict::Regional => {
            "Visitors in some regions cannot reach our service; we are investigating."
        }
        Verdict::EdgeStaleOriginDown => {
            "You may see older content while we fix a problem behind the scenes."
        }
        Verdict::DegradedLatency => "Our service is slower than usual; we are looking into it.",
        Verdict::Inconclusive => "We are checking the service's status.",
    }
}

/// A heading for visitors, from the health alone.
pub fn customer_title(health: edgeprobe_core::status::Health) -> &'static str {
    use edgeprobe_core::status::Health;
    match health {
        Health::Up => "Operating normally",
        Health::Degraded => "Degraded performance",
        Health::Down => "Service disruption",
        Health::Unknown => "Checking",
    }
}

pub fn verdict_title(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "Operating normally",
        Verdict::OriginRefused => "The origin server refuses connections",
        Verdict::OriginUnreachable => "The origin server cannot be reached",
        Verdict::OriginBlocksCdn => "The origin blocks the CDN",
        Verdict::OriginTlsInvalid => "The origin's certificate is not valid",
        Verdict::OriginTlsHandshakeFailed => "TLS with the origin fails",
        Verdict::OriginTimeout => "The origin is too slow to answer",
        Verdict::OriginMalformedResponse => "The origin sends broken responses",
        Verdict::OriginAppError => "The application on the origin returns errors",
        Verdict::OriginUpstreamDown => {
            "The application server behind the origin's web server is down"
        }
        Verdict::OriginUpstreamTimeout => {
            "The application server behind the origin's web server is too slow"
        }
        Verdict::OriginDnsFailure => "The origin's name does not resolve",
        Verdict::EdgeErrorOriginHealthy => "The CDN returns errors while the origin is fine",
        Verdict::UnexpectedResponse => "The site answers, but not as expected",
        Verdict::Regional => "Some regions are affected",
        Verdict::EdgeStaleOriginDown => "Served from cache while the origin is down",
        Verdict::CertExpiring => "A certificate expires soon",
        Verdict::DegradedLatency => "Slower than usual",
        Verdict::OriginTlsLegacy => "The origin uses outdated TLS",
        Verdict::EdgeUnreachable => "The site cannot be reached",
        Verdict::Inconclusive => "Not enough data",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Customer words never carry operator vocabulary.
    #[test]
    fn customer_words_have_no_operator_jargon() {
        for v in Verdict::ALL {
            let w = customer_words(*v).to_lowercase();
            for jargon in [
                "origin", "iptables", "ss -", "cdn", "tls", "dns", "521", "upstream",
            ] {
                assert!(!w.contains(jargon), "{v:?}: {w}");
            }
        }
    }

    #[test]
    fn every_verdict_has_a_distinct_title() {
        let mut titles: Vec<&str> = Verdict::ALL.iter().map(|v| verdict_title(*v)).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), Verdict::ALL.len());
    }
}
