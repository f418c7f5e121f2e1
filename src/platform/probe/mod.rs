//! Probes: the edge path (fetch of the front URL) and the origin path (TCP, TLS, HTTP/1.1 on
//! a socket). (Being written.) Every failure becomes a classified observation.

use crate::core::monitor::Monitor;
use crate::core::observation::{CertificateInfo, EdgeFailure, EdgeObservation, EdgeOutcome, RegionProbe};

/// Probes one monitor along both paths, concurrently, from this region.
pub async fn probe_monitor(m: &Monitor, region: &str, colo: Option<String>, started_at: i64) -> RegionProbe {
    RegionProbe {
        region: region.to_string(),
        colo,
        started_at,
        edge: EdgeObservation {
            url: m.url.clone(),
            outcome: EdgeOutcome::Failed { failure: EdgeFailure::Other, detail: "probe not implemented yet".into() },
            headers_ms: None,
            total_ms: None,
            certificate: CertificateInfo::NotObservable,
        },
        origin: None,
    }
}
