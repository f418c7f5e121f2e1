//! Probes: the edge path (`edge`: fetch of the front URL) and the origin path (`origin`: TCP,
//! TLS, HTTP/1.1 on a socket), run concurrently for one monitor from one region. Every
//! failure becomes a classified observation; nothing here decides health or panics. Both
//! paths identify themselves with the headers of `core::probe_identity` (User-Agent and
//! `edgeprobe-region`), built once per probe from the version, the docs URL and the region.

mod edge;
mod origin;
mod own_tls;
mod timing;

use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{RegionProbe, RegionReport};
use edgeprobe_core::probe_identity::{self, ProbeIdentity};

/// Probes one monitor from this region, unless the current target policy refuses its stored
/// targets (`core::validate::target::refused_report`): then nothing is connected to and the
/// refusal is the region's report.
pub async fn probe_or_refuse(
    m: &Monitor,
    region: &str,
    docs_base_url: &str,
    colo: Option<String>,
    started_at: i64,
    allow_private: bool,
) -> RegionReport {
    match edgeprobe_core::target::refused_report(m, region, allow_private) {
        Some(refused) => refused,
        None => {
            RegionReport::Probed(probe_monitor(m, region, docs_base_url, colo, started_at).await)
        }
    }
}

/// Probes one monitor along both paths, concurrently, from this region. `docs_base_url` is
/// the Worker's `DOCS_BASE_URL` (linked from the User-Agent; empty leaves the link out).
pub async fn probe_monitor(
    m: &Monitor,
    region: &str,
    docs_base_url: &str,
    colo: Option<String>,
    started_at: i64,
) -> RegionProbe {
    let identity = ProbeIdentity::new(probe_identity::VERSION, docs_base_url, region);
    let origin = async {
        match &m.origin {
            Some(o) => {
                let own_due = edgeprobe_core::tls::own_client_due(m, region, started_at);
                Some(origin::probe_origin(m, o, &identity, own_due).await)
            }
            None => None,
        }
    };
    let (edge, origin) = futures::join!(edge::probe_edge(m, &identity), origin);
    RegionProbe {
        region: region.to_string(),
        colo,
        started_at,
        edge,
        origin,
    }
}
