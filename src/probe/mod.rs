//! Probes: the edge path (`edge`: fetch of the front URL) and the origin path (`origin`: TCP,
//! TLS, HTTP/1.1 on a socket), run concurrently for one monitor from one region. Every
//! failure becomes a classified observation; nothing here decides health or panics. Both
//! paths identify themselves with the headers of `core::probe_identity` (User-Agent and
//! `edgeprobe-region`), built once per probe from the version, the docs URL and the region.
//!
//! The own TLS client's handshakes (origin and public host) are rationed per lane invocation
//! by [`Handshakes`], which carries out `core::tls::plan`'s decisions: a granted handshake runs
//! beside the platform's probe; one wanted because the platform's TLS failed runs if the
//! invocation's budget allows, else it is queued for a later invocation.

use std::cell::RefCell;
use std::rc::Rc;

mod edge;
mod origin;
mod own_tls;
mod timing;

use edgeprobe_core::diagnosis::PathKind;
use edgeprobe_core::monitor::Monitor;
use edgeprobe_core::observation::{CertificateInfo, EdgeFailure, EdgeOutcome};
use edgeprobe_core::observation::{RegionProbe, RegionReport};
use edgeprobe_core::probe_identity::{self, ProbeIdentity};
use edgeprobe_core::tls::plan::{Backlog, Invocation, Why};
use edgeprobe_core::tls::EdgeReach;

/// One lane invocation's share of own TLS handshakes: the plan's grants, its budget, and the
/// region object's backlog where refused ones wait. Cloned into each probe (single-threaded).
#[derive(Clone)]
pub struct Handshakes {
    backlog: Rc<RefCell<Backlog>>,
    invocation: Rc<RefCell<Invocation>>,
}

impl Handshakes {
    pub fn new(backlog: Rc<RefCell<Backlog>>, invocation: Invocation) -> Handshakes {
        Handshakes {
            backlog,
            invocation: Rc::new(RefCell::new(invocation)),
        }
    }

    /// Whether the plan granted a handshake for this monitor and path.
    fn granted(&self, monitor_id: &str, path: PathKind) -> bool {
        self.invocation.borrow().is_granted(monitor_id, path)
    }

    /// The platform's TLS failed: a handshake now if the budget has one, else queued.
    fn take_or_defer(&self, monitor_id: &str, path: PathKind) -> bool {
        if self.invocation.borrow_mut().budget.take() {
            return true;
        }
        self.backlog
            .borrow_mut()
            .defer(monitor_id, path, Why::PlatformTlsFailed);
        false
    }
}

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
    handshakes: &Handshakes,
) -> RegionReport {
    match edgeprobe_core::target::refused_report(m, region, allow_private) {
        Some(refused) => refused,
        None => RegionReport::Probed(
            probe_monitor(m, region, docs_base_url, colo, started_at, handshakes).await,
        ),
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
    handshakes: &Handshakes,
) -> RegionProbe {
    let identity = ProbeIdentity::new(probe_identity::VERSION, docs_base_url, region);
    let origin = async {
        match &m.origin {
            Some(o) => Some(origin::probe_origin(m, o, &identity, handshakes).await),
            None => None,
        }
    };
    let edge = async {
        let mut edge = edge::probe_edge(m, &identity).await;
        edge_certificate(m, &mut edge, handshakes).await;
        edge
    };
    let (edge, origin) = futures::join!(edge, origin);
    RegionProbe {
        region: region.to_string(),
        colo,
        started_at,
        edge,
        origin,
    }
}

/// The own client's handshake with the public host, after the fetch: when the plan granted it
/// (certificate schedule) or the fetch's TLS failed and the budget allows. A front on
/// Cloudflare's own network is not handshaken (production sockets cannot reach it): its
/// certificate is "managed by the CDN".
async fn edge_certificate(
    m: &Monitor,
    edge: &mut edgeprobe_core::observation::EdgeObservation,
    handshakes: &Handshakes,
) {
    let Some((host, port)) = edgeprobe_core::tls::edge_target(&m.url) else {
        return;
    };
    let granted = handshakes.granted(&m.id, PathKind::Edge);
    if let EdgeReach::ManagedByCdn(cdn) = edgeprobe_core::tls::edge_reachability(edge) {
        edge.certificate = CertificateInfo::ManagedByCdn {
            cdn: cdn.name().to_string(),
        };
        return;
    }
    let tls_failed = matches!(
        edge.outcome,
        EdgeOutcome::Failed {
            failure: EdgeFailure::Tls,
            ..
        }
    );
    if !(granted || (tls_failed && handshakes.take_or_defer(&m.id, PathKind::Edge))) {
        return;
    }
    let settings = edgeprobe_core::tls::edge_settings(&host, m);
    let deadline = timing::Deadline::after(crate::env::now(), m.timeout_ms);
    let own = own_tls::handshake(&host, port, &settings, deadline).await;
    edge.certificate = edgeprobe_core::tls::certificate_of(&own);
    edge.own_tls = Some(own);
}
