//! Certificate expiry warnings: one `cert_expiring` alert per certificate, not per round.
//!
//! This module owns [`CertWatch`], the part of a monitor's alert state that remembers the
//! certificates seen on each path and which ones were warned about, and [`step`], which folds
//! one round's certificates in and says which alerts that makes. Pure: the round's reports and
//! `now` come in, the next watch and the alerts go out; nothing reads a clock or storage.
//!
//! Rules, in words:
//! - A certificate is identified by its SHA-256 fingerprint on one path (`edge`: the public
//!   host's, from the own TLS client's handshake with the front; `origin`: the direct path's).
//!   The watch keeps the latest certificate each region saw on each path ([`SeenCertificate`],
//!   with when that region first presented it); a round without a handshake on a path (the own
//!   client runs on a schedule, `core::tls::own_client_due`) leaves the path's entry as it was.
//!   Entries of regions the monitor no longer probes, and of a removed origin, are dropped.
//! - A certificate is *expiring* while `not_after - now < cert_warning_days`. The first time
//!   one is seen expiring (and not yet expired: an expired certificate is a TLS failure and
//!   the incident machinery reports it), one `CertExpiring` alert goes out, carrying its days
//!   left, notAfter, fingerprint, subject, issuer, the regions presenting it and the renewal
//!   checklist for its path. It is never repeated for that fingerprint on that path while the
//!   warning stands.
//! - The warning ends when no region's latest certificate on that path has that fingerprint
//!   any more, or when it is no longer inside the window (`cert_warning_days` lowered). If what
//!   is presented on the path instead is not expiring, a `CertRenewed` alert says so (it goes
//!   only where the warning went, `route`). If the replacement is itself expiring, the old
//!   warning is replaced by the new certificate's own `CertExpiring`, which names it: a renewed
//!   certificate inside the window warns again, once.
//! - A front on a CDN's own network (the edge's certificate `ManagedByCdn`, see
//!   `core::tls::edge_reachability`) is remembered per region in [`CertWatch::managed`] ("managed
//!   by the CDN"), replacing that region's edge certificate; a later handshake that reaches the
//!   front clears it.
//! - Maintenance: the watch still learns what is presented, but no warning starts or ends
//!   inside the window; whatever is owed is sent on the first round after it. Paused monitors
//!   are not stepped at all (`record::conclude`).
//!
//! The watch is stored inside the alert state row (`state::AlertState::certs`), which is
//! written only when it changes: a certificate seen again changes nothing, so certificate
//! facts cost a write only when a certificate changes or a warning starts or ends.

use serde::{Deserialize, Serialize};

use crate::alerting::alert::{message_id, Alert, AlertCertificate, AlertKind, Links};
use crate::diagnosis::{PathKind, Severity, Verdict};
use crate::monitor::Monitor;
use crate::observation::{CertificateInfo, LeafCertificate, RegionReport};
use crate::time::{format_rfc3339, UnixMillis, DAY};

/// The certificates a monitor's paths presented, and the warnings standing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CertWatch {
    /// The latest certificate per path and region (one entry each), sorted by path, region.
    #[serde(default)]
    pub seen: Vec<SeenCertificate>,
    /// Certificates warned about whose warning has not ended.
    #[serde(default)]
    pub warned: Vec<CertWarning>,
    /// Regions whose last look at the front found it on a CDN's own network (no socket
    /// reaches it): its certificate is managed by the CDN and not probed. Sorted by region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed: Vec<ManagedEdge>,
}

/// The front as one region last saw it: on `cdn`'s own network, so its certificate is the
/// CDN's to manage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedEdge {
    pub region: String,
    pub cdn: String,
}

impl CertWatch {
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty() && self.warned.is_empty() && self.managed.is_empty()
    }
}

/// The certificate one region saw last on one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenCertificate {
    pub path: PathKind,
    pub region: String,
    pub subject: String,
    pub issuer: String,
    pub not_after: UnixMillis,
    /// SHA-256 of the DER, hex, colon-separated.
    pub sha256: String,
    /// When this region first presented this certificate on this path (a certificate seen
    /// again does not move it: no write per check).
    pub seen_at: UnixMillis,
}

impl SeenCertificate {
    /// Whole days from `now` to `not_after` (negative once expired).
    pub fn days_left(&self, now: UnixMillis) -> i64 {
        (self.not_after - now).div_euclid(DAY)
    }
}

/// A warning that went out (or is owed after maintenance) and has not ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertWarning {
    pub path: PathKind,
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub not_after: UnixMillis,
    pub warned_at: UnixMillis,
}

/// The certificates a round's reports show: (path, region, leaf), from the own TLS client's
/// handshakes (origin: the direct path; edge: the front).
pub fn observed(reports: &[RegionReport]) -> Vec<(PathKind, String, LeafCertificate)> {
    let mut out = Vec::new();
    for r in reports {
        let RegionReport::Probed(p) = r else { continue };
        if let Some(leaf) = p.edge.own_tls.as_ref().and_then(|o| o.leaf.as_ref()) {
            out.push((PathKind::Edge, p.region.clone(), leaf.clone()));
        }
        let origin = p.origin.as_ref().and_then(|o| o.own_tls.as_ref());
        if let Some(leaf) = origin.and_then(|o| o.leaf.as_ref()) {
            out.push((PathKind::Origin, p.region.clone(), leaf.clone()));
        }
    }
    out
}

/// Folds one round's certificates into the watch; returns the next watch and the alerts to
/// send. See the module docs for the rules.
pub fn step(
    watch: CertWatch,
    reports: &[RegionReport],
    monitor: &Monitor,
    links: &Links,
    now: UnixMillis,
) -> (CertWatch, Vec<Alert>) {
    let mut w = watch;
    for (path, region, leaf) in observed(reports) {
        let same = |s: &SeenCertificate| s.path == path && s.region == region;
        match w.seen.iter_mut().find(|s| same(s)) {
            Some(s) if s.sha256 == leaf.sha256 => {}
            Some(s) => *s = seen(path, &region, &leaf, now),
            None => w.seen.push(seen(path, &region, &leaf, now)),
        }
    }
    for r in reports {
        let RegionReport::Probed(p) = r else { continue };
        let at = w.managed.iter().position(|x| x.region == p.region);
        match (&p.edge.certificate, at) {
            (CertificateInfo::ManagedByCdn { cdn }, Some(i)) => w.managed[i].cdn = cdn.clone(),
            (CertificateInfo::ManagedByCdn { cdn }, None) => w.managed.push(ManagedEdge {
                region: p.region.clone(),
                cdn: cdn.clone(),
            }),
            // A handshake with the front reached it: not (or no longer) CDN-managed.
            (CertificateInfo::Known { .. }, Some(i)) => {
                w.managed.remove(i);
            }
            _ => {}
        }
    }
    w.managed.retain(|x| monitor.regions.contains(&x.region));
    w.managed.sort_by(|a, b| a.region.cmp(&b.region));
    // A region whose front is CDN-managed has no edge certificate of its own to show.
    let managed_regions: Vec<String> = w.managed.iter().map(|x| x.region.clone()).collect();
    w.seen.retain(|s| {
        monitor.regions.contains(&s.region)
            && (s.path == PathKind::Edge || monitor.origin.is_some())
            && !(s.path == PathKind::Edge && managed_regions.contains(&s.region))
    });
    w.seen
        .sort_by(|a, b| (a.path, &a.region).cmp(&(b.path, &b.region)));
    if monitor.in_maintenance(now) {
        return (w, Vec::new());
    }

    let horizon = i64::from(monitor.expect.cert_warning_days) * DAY;
    let expiring = |not_after: UnixMillis| not_after - now < horizon;
    let mut alerts = Vec::new();

    // New warnings first: an ended warning replaced by one of them is named there.
    let mut new: Vec<CertWarning> = Vec::new();
    for s in &w.seen {
        let known = w
            .warned
            .iter()
            .chain(new.iter())
            .any(|x| x.path == s.path && x.sha256 == s.sha256);
        if !known && expiring(s.not_after) && s.not_after > now {
            new.push(CertWarning {
                path: s.path,
                sha256: s.sha256.clone(),
                subject: s.subject.clone(),
                issuer: s.issuer.clone(),
                not_after: s.not_after,
                warned_at: now,
            });
        }
    }

    let mut kept = Vec::new();
    let mut replaced: Vec<CertWarning> = Vec::new();
    for old in std::mem::take(&mut w.warned) {
        let presented = w
            .seen
            .iter()
            .any(|s| s.path == old.path && s.sha256 == old.sha256);
        if presented && expiring(old.not_after) {
            kept.push(old);
        } else if new.iter().any(|n| n.path == old.path) {
            // Its path now presents another expiring certificate: that one's alert names it.
            replaced.push(old);
        } else {
            alerts.push(renewed_alert(&old, &w.seen, presented, monitor, links, now));
        }
    }
    for n in &new {
        let replaces = replaced.iter().find(|r| r.path == n.path);
        alerts.push(expiring_alert(n, &w.seen, replaces, monitor, links, now));
    }
    kept.extend(new);
    w.warned = kept;
    (w, alerts)
}

fn seen(path: PathKind, region: &str, leaf: &LeafCertificate, now: UnixMillis) -> SeenCertificate {
    SeenCertificate {
        path,
        region: region.to_string(),
        subject: leaf.subject.clone(),
        issuer: leaf.issuer.clone(),
        not_after: leaf.not_after,
        sha256: leaf.sha256.clone(),
        seen_at: now,
    }
}

/// The regions whose latest certificate on `path` has `sha256`, sorted.
fn regions_presenting(seen: &[SeenCertificate], path: PathKind, sha256: &str) -> Vec<String> {
    let mut r: Vec<String> = seen
        .iter()
        .filter(|s| s.path == path && s.sha256 == sha256)
        .map(|s| s.region.clone())
        .collect();
    r.sort();
    r.dedup();
    r
}

/// What to do about an expiring certificate on `path`.
pub fn renewal_checklist(path: PathKind) -> Vec<String> {
    let items: &[&str] = match path {
        PathKind::Origin => &[
            "Renew the origin's certificate before its notAfter date, and reload the web server so it presents the new one.",
            "Check that automatic renewal on the origin (certbot, another ACME client, or your CA's agent) runs and succeeds: look at its timer and its last log.",
            "If the origin presents a Cloudflare Origin CA certificate, issue a new one in the dashboard (SSL/TLS → Origin Server) and install it.",
            "After renewing, compare the fingerprint: the warning ends when the origin presents the new certificate.",
        ],
        PathKind::Edge => &[
            "Renew the certificate the public host presents where TLS ends for visitors (your CDN, load balancer or front web server).",
            "If the CDN manages it, check the CDN's certificate status and that its domain validation (DNS or HTTP records) still succeeds.",
            "Check that automatic renewal (ACME client on the front, or the CDN's) runs and succeeds.",
            "After renewing, compare the fingerprint: the warning ends when the front presents the new certificate.",
        ],
    };
    items.iter().map(|s| s.to_string()).collect()
}

fn certificate(c: &CertWarning, regions: Vec<String>, now: UnixMillis) -> AlertCertificate {
    AlertCertificate {
        path: c.path,
        subject: c.subject.clone(),
        issuer: c.issuer.clone(),
        not_after: c.not_after,
        days_left: (c.not_after - now).div_euclid(DAY),
        sha256: c.sha256.clone(),
        regions,
    }
}

fn dedup_key(monitor: &Monitor, c: &CertWarning) -> String {
    format!(
        "cert_{}_{}_{}",
        monitor.id,
        c.path.as_str(),
        c.sha256.replace(':', "").to_ascii_lowercase()
    )
}

fn expiring_alert(
    c: &CertWarning,
    seen: &[SeenCertificate],
    replaces: Option<&CertWarning>,
    monitor: &Monitor,
    links: &Links,
    now: UnixMillis,
) -> Alert {
    let regions = regions_presenting(seen, c.path, &c.sha256);
    let cert = certificate(c, regions.clone(), now);
    let days = cert.days_left;
    let summary = format!(
        "The {path} certificate of {name} ({subject}, issued by {issuer}) expires in {days} day{s}, \
on {not_after} (SHA-256 {sha}). Presented to {regions}.{replaced}",
        path = c.path.as_str(),
        name = monitor.name,
        subject = c.subject,
        issuer = c.issuer,
        s = if days == 1 { "" } else { "s" },
        not_after = format_rfc3339(c.not_after),
        sha = c.sha256,
        regions = if regions.is_empty() {
            "no region any more".to_string()
        } else {
            regions.join(", ")
        },
        replaced = replaces
            .map(|r| format!(
                " It replaced the certificate warned about before (SHA-256 {}), which expires on {}.",
                r.sha256,
                format_rfc3339(r.not_after)
            ))
            .unwrap_or_default(),
    );
    let dedup_key = dedup_key(monitor, c);
    let first_seen = seen
        .iter()
        .filter(|s| s.path == c.path && s.sha256 == c.sha256)
        .map(|s| s.seen_at)
        .min();
    Alert {
        id: message_id(&dedup_key, AlertKind::CertExpiring, 0),
        kind: AlertKind::CertExpiring,
        at: now,
        dedup_key,
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: None,
        state_change: format!("{} certificate ok -> expiring", c.path.as_str()),
        verdict: Verdict::CertExpiring,
        summary,
        checklist: renewal_checklist(c.path),
        severity: Severity::Info,
        first_seen_at: first_seen,
        confirmed_at: None,
        resolved_at: None,
        regions: Vec::new(),
        regions_total: u32::try_from(monitor.regions.len()).unwrap_or(u32::MAX),
        links: links.for_monitor(monitor, Verdict::CertExpiring),
        certificate: Some(cert),
    }
}

fn renewed_alert(
    old: &CertWarning,
    seen: &[SeenCertificate],
    still_presented: bool,
    monitor: &Monitor,
    links: &Links,
    now: UnixMillis,
) -> Alert {
    let path = old.path.as_str();
    let now_presented: Vec<&SeenCertificate> = seen.iter().filter(|s| s.path == old.path).collect();
    let summary = if still_presented {
        format!(
            "The {path} certificate of {} ({}, SHA-256 {}) is no longer inside the warning window of {} days.",
            monitor.name, old.subject, old.sha256, monitor.expect.cert_warning_days
        )
    } else if let Some(n) = now_presented.iter().max_by_key(|s| s.not_after) {
        format!(
            "The {path} certificate of {} was renewed: the old one (SHA-256 {}, notAfter {}) is no longer presented; \
the new one ({}, SHA-256 {}) is valid until {} ({} days left).",
            monitor.name,
            old.sha256,
            format_rfc3339(old.not_after),
            n.subject,
            n.sha256,
            format_rfc3339(n.not_after),
            n.days_left(now)
        )
    } else {
        format!(
            "The {path} certificate of {} (SHA-256 {}) is no longer observed on that path; its warning ends.",
            monitor.name, old.sha256
        )
    };
    let dedup_key = dedup_key(monitor, old);
    Alert {
        id: message_id(&dedup_key, AlertKind::CertRenewed, 0),
        kind: AlertKind::CertRenewed,
        at: now,
        dedup_key,
        monitor_id: monitor.id.clone(),
        monitor_name: monitor.name.clone(),
        monitor_url: monitor.url.clone(),
        incident_id: None,
        state_change: format!("{path} certificate expiring -> ok"),
        verdict: Verdict::CertExpiring,
        summary,
        checklist: Vec::new(),
        severity: Severity::Ok,
        first_seen_at: Some(old.warned_at),
        confirmed_at: None,
        resolved_at: Some(now),
        regions: Vec::new(),
        regions_total: u32::try_from(monitor.regions.len()).unwrap_or(u32::MAX),
        links: links.for_monitor(monitor, Verdict::CertExpiring),
        certificate: Some(certificate(
            old,
            regions_presenting(seen, old.path, &old.sha256),
            now,
        )),
    }
}
