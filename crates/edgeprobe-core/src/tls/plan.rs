//! How many of the own TLS client's handshakes one region-object lane invocation runs, and
//! which: the CPU cap, decided purely and without a clock.
//!
//! Why a cap: a full rustls handshake costs ~2–2.7 ms of CPU in workerd and the free plan
//! allows 10 ms per invocation, so three failing-TLS monitors in one lane would fill it. One
//! lane invocation runs at most `cap` own handshakes ([`DEFAULT_CAP`], `OWN_TLS_PER_INVOCATION`;
//! docs/capacity.md, "TLS"); every other wanted handshake is deferred, never dropped.
//!
//! Which first: the oldest request. A request is one (monitor, path) the own client should
//! handshake with, for one of two reasons ([`Why`]): the certificate schedule was due
//! (`own_client_due`, `edge_check_due`), or the platform's TLS failed and the exact reason is
//! missing. Requests wait in the region object's [`Backlog`] in arrival order, one per
//! (monitor, path). At the start of an invocation [`Backlog::plan`] adds the lane's due
//! requests behind the waiting ones and grants the first `cap` that belong to this lane (the
//! handshake then runs beside the platform's probe, costing no extra wall time); the rest of
//! the cap is a runtime [`Budget`] for platform TLS failures found during the invocation,
//! granted as they come. A failure refused by the budget is queued ([`Backlog::defer`]) and, being
//! older than whatever is due later, is granted before it. FIFO, not "failures first": a fixed
//! priority could starve scheduled certificate reads forever behind a lane of broken origins,
//! while FIFO bounds every wait: a request with `k` requests of its lane ahead of it is granted
//! within `ceil((k + 1) / cap)` invocations of that lane (`k` < 2 × the lane's monitors, one
//! request per monitor and path). A failing monitor's reason is therefore named within a few
//! rounds; in the meantime its TLS step says the platform's coarse `failed`.
//!
//! Requests of monitors that no longer appear in any lane of the object (deleted, re-homed)
//! are dropped after [`STALE_INVOCATIONS`] invocations without them, so the backlog stays
//! bounded by the object's monitors.

use serde::{Deserialize, Serialize};

use crate::diagnosis::PathKind;

/// Own handshakes per lane invocation unless configured: 3 × ~2.7 ms ≈ 8 ms stays under the free
/// plan's 10 ms CPU per invocation with room for the platform's probes (~0.2–0.3 ms each).
pub const DEFAULT_CAP: u32 = 3;

/// The most a deployment may configure (the paid plan's CPU limit is far higher).
pub const MAX_CAP: u32 = 64;

/// A request is dropped when its monitor has not been in a lane of this object for this many
/// invocations.
pub const STALE_INVOCATIONS: u64 = 1024;

/// Why the own client should handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The certificate schedule was due (or the monitor changed).
    Scheduled,
    /// The platform's TLS failed without saying why.
    PlatformTlsFailed,
}

/// One wanted handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub monitor_id: String,
    pub path: PathKind,
    pub why: Why,
    /// The invocation that queued it (the arrival order).
    pub since: u64,
    /// The last invocation whose lane held its monitor.
    pub last_in_lane: u64,
}

/// The region object's queue of wanted handshakes. Kept by the platform between invocations
/// (in the object's memory and its storage); see the module docs for the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    /// Invocations planned so far.
    pub invocation: u64,
    /// Oldest first.
    pub waiting: Vec<Request>,
}

/// What one invocation may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Handshakes to run beside the platform's probes, oldest request first.
    pub granted: Vec<(String, PathKind)>,
    /// What is left of the cap for platform TLS failures found while probing.
    pub budget: Budget,
}

impl Invocation {
    pub fn is_granted(&self, monitor_id: &str, path: PathKind) -> bool {
        self.granted
            .iter()
            .any(|(m, p)| m == monitor_id && *p == path)
    }
}

/// The rest of an invocation's cap, taken one handshake at a time as failures are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub left: u32,
}

impl Budget {
    /// Takes one handshake if any is left.
    pub fn take(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}

impl Backlog {
    /// Plans one lane invocation: `lane` are the lane's monitor ids, `due` the (monitor, path)
    /// pairs whose certificate schedule is due now. Grants at most `cap` handshakes, oldest
    /// request first; the unspent rest of the cap is the invocation's [`Budget`].
    pub fn plan(&mut self, lane: &[String], due: &[(String, PathKind)], cap: u32) -> Invocation {
        self.invocation = self.invocation.saturating_add(1);
        let now = self.invocation;
        for r in &mut self.waiting {
            if lane.contains(&r.monitor_id) {
                r.last_in_lane = now;
            }
        }
        self.waiting
            .retain(|r| now.saturating_sub(r.last_in_lane) <= STALE_INVOCATIONS);
        for (m, path) in due {
            self.queue(m, *path, Why::Scheduled);
        }
        let mut granted = Vec::new();
        let mut rest = Vec::new();
        for r in std::mem::take(&mut self.waiting) {
            if granted.len() < cap as usize && lane.contains(&r.monitor_id) {
                granted.push((r.monitor_id, r.path));
            } else {
                rest.push(r);
            }
        }
        self.waiting = rest;
        Invocation {
            budget: Budget {
                left: cap.saturating_sub(granted.len() as u32),
            },
            granted,
        }
    }

    /// A handshake wanted during the invocation that the budget refused: queued behind the
    /// waiting ones (a request already waiting for that monitor and path keeps its place).
    pub fn defer(&mut self, monitor_id: &str, path: PathKind, why: Why) {
        self.queue(monitor_id, path, why);
    }

    fn queue(&mut self, monitor_id: &str, path: PathKind, why: Why) {
        if let Some(r) = self
            .waiting
            .iter_mut()
            .find(|r| r.monitor_id == monitor_id && r.path == path)
        {
            if why == Why::PlatformTlsFailed {
                r.why = why;
            }
            return;
        }
        self.waiting.push(Request {
            monitor_id: monitor_id.to_string(),
            path,
            why,
            since: self.invocation,
            last_in_lane: self.invocation,
        });
    }

    /// Requests of `monitor_id` still waiting.
    pub fn waiting_for<'a>(&'a self, monitor_id: &'a str) -> impl Iterator<Item = &'a Request> {
        self.waiting
            .iter()
            .filter(move |r| r.monitor_id == monitor_id)
    }
}

/// The configured cap: `OWN_TLS_PER_INVOCATION` when it parses to 1..=[`MAX_CAP`], else
/// [`DEFAULT_CAP`].
pub fn cap_from(var: Option<&str>) -> u32 {
    var.and_then(|v| v.trim().parse().ok())
        .filter(|n| (1..=MAX_CAP).contains(n))
        .unwrap_or(DEFAULT_CAP)
}
