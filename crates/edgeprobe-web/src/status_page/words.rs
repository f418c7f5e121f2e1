//! Verdicts as headings people understand. The full explanation of each verdict lives in
//! docs/diagnoses.md; these are the one-line titles the status page shows.

use edgeprobe_core::diagnosis::Verdict;

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

    #[test]
    fn every_verdict_has_a_distinct_title() {
        let mut titles: Vec<&str> = Verdict::ALL.iter().map(|v| verdict_title(*v)).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), Verdict::ALL.len());
    }
}
