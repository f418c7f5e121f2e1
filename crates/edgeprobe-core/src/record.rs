//! What a concluded round writes: the lean-storage rules, decided in one pure step.
//!
//! [`conclude`] takes a monitor's round (its reports), what the coordinator remembers about
//! the monitor ([`Memory`]) and `now`, diagnoses it, steps the alert state machine, and
//! returns the next memory and a [`Conclusion`]: which writes the round needs. The coordinator
//! carries them out and stores the next memory only once they succeeded.
//!
//! Storage rules (docs/capacity.md counts them):
//! - Every round updates its monitor's hour row in place (`hour_stats`: one row per monitor
//!   and hour, per region and path checks, failures and a latency histogram): one D1 row
//!   written per round in steady state. The cron rolls finished hours into the `rollups`
//!   table; the current, partial hour is read from the hour row, so uptime and latency show
//!   from the first check.
//! - A full round row (the diagnosis and every region's observations) only when the round is
//!   notable: not a scheduled round (manual, re-check), not healthy, a verdict different from
//!   the last stored one, or the last stored one older than [`STORED_HEARTBEAT_MS`].
//! - The alert state row only when the state changed. It carries the certificates seen per
//!   path and region (`alerting::certs`), which change only when a certificate does.
//! - The KV status document only when what it shows changed (health, verdict, per region
//!   whether each path is fine and its label, the monitor's name/slug/public) or the last
//!   write is older than [`PUBLISH_HEARTBEAT_MS`].
//!
//! Pure: no clock, no I/O.

use serde::{Deserialize, Serialize};

use crate::alerting::{self, AlertState, Effect, Links};
use crate::diagnose::{diagnose, LatencyBaseline, RoundInput};
use crate::diagnosis::{Diagnosis, Verdict};
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::rollup::{self, Granularity, Rollup};
use crate::round::{current_status, RoundKind};
use crate::status::{CurrentStatus, Health};
use crate::time::{UnixMillis, HOUR};

/// A stored full round at least this often per monitor, healthy or not (so the results API
/// always has recent rounds with their evidence).
pub const STORED_HEARTBEAT_MS: i64 = 30 * 60 * 1_000;

/// The KV status document is rewritten at least this often when nothing changed (its
/// `updated_at` says when the monitor was last seen as it is). An hour, not the stored round's
/// 30 minutes: KV writes are the scarcest included resource at scale (1 M a month on the paid
/// plan, 1,000 a day on the free one), and heartbeats grow with the number of monitors, not
/// checks: 700 monitors at 30 min would use all of the paid plan's (docs/capacity.md).
pub const PUBLISH_HEARTBEAT_MS: i64 = 60 * 60 * 1_000;

/// What of a monitor's [`Memory`] must outlive the coordinator's instance. A Durable Object is
/// evicted when idle (between the alarms of a long tick, or after a deploy); without these,
/// the first round after every restart would be stored and published again, which at long
/// ticks is every round. The coordinator keeps them beside the monitor's slot in its own
/// storage and writes them only when they change (a stored or published round, a change of
/// `slow`); the alert state and the hour row are reloaded from D1 instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Carried {
    pub published: Option<Published>,
    pub stored: Option<Stored>,
    pub slow: bool,
}

impl Memory {
    /// The part of the memory a restart must not lose.
    pub fn carried(&self) -> Carried {
        Carried {
            published: self.published.clone(),
            stored: self.stored.clone(),
            slow: self.slow,
        }
    }

    /// Takes back what a previous instance carried.
    pub fn restore(&mut self, c: Carried) {
        self.published = c.published;
        self.stored = c.stored;
        self.slow = c.slow;
    }
}

/// One monitor's current hour: the row `hour_stats (monitor_id, hour)`, updated in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourStats {
    /// The hour's start (UTC).
    pub hour: UnixMillis,
    /// Rounds folded in so far: a write carrying a lower `seq` than the stored row is stale
    /// (two rounds of one monitor recorded concurrently) and is not applied.
    pub seq: u32,
    /// The latest `scheduled_for` folded in (an interrupted round whose slot is at or before
    /// it was recorded after all).
    pub last_scheduled_for: UnixMillis,
    /// Per region and path, hourly rollups of this monitor.
    pub rollups: Vec<Rollup>,
}

impl HourStats {
    pub fn empty(hour: UnixMillis) -> HourStats {
        HourStats {
            hour,
            seq: 0,
            last_scheduled_for: 0,
            rollups: Vec::new(),
        }
    }

    /// Folds one round's samples in.
    pub fn absorb(&mut self, m: &Monitor, reports: &[RegionReport], scheduled_for: UnixMillis) {
        let samples = rollup::samples_from_round(&m.id, reports, &m.expect, self.hour);
        for r in rollup::rollup(&samples, Granularity::Hour) {
            match self.rollups.iter_mut().find(|x| {
                x.region == r.region && x.path == r.path && x.bucket_start == r.bucket_start
            }) {
                Some(x) => {
                    if let Ok(merged) = rollup::merge(x, &r) {
                        *x = merged;
                    }
                }
                None => self.rollups.push(r),
            }
        }
        self.seq = self.seq.saturating_add(1);
        self.last_scheduled_for = self.last_scheduled_for.max(scheduled_for);
    }
}

/// When the KV document was last written, and what it showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub fingerprint: String,
    pub at: UnixMillis,
}

/// The last full round stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub verdict: Verdict,
    pub at: UnixMillis,
}

/// What the coordinator remembers about one monitor between rounds (in memory; the alert
/// state and the hour row are also in D1 and reloaded from there after a restart).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memory {
    pub alert: AlertState,
    pub hour: Option<HourStats>,
    pub published: Option<Published>,
    pub stored: Option<Stored>,
    /// Latency baselines (median of recent hourly rollups per region and path).
    pub baselines: Vec<LatencyBaseline>,
    /// The last round hit a timeout somewhere: its next rounds share lanes with the other slow
    /// monitors, apart from the rest.
    pub slow: bool,
}

/// The writes one concluded round needs.
#[derive(Debug, Clone)]
pub struct Conclusion {
    pub diagnosis: Diagnosis,
    /// Write the full round (round row and its observations).
    pub store_round: bool,
    /// Upsert this hour row (always).
    pub hour: HourStats,
    /// Write this alert state (it changed).
    pub alert_state: Option<AlertState>,
    /// The alert state machine's effects (incidents, outbox, re-check).
    pub effects: Vec<Effect>,
    /// Put this status document in KV.
    pub publish: Option<CurrentStatus>,
}

/// One round to conclude.
pub struct RoundFacts<'a> {
    pub monitor: &'a Monitor,
    pub kind: RoundKind,
    pub scheduled_for: UnixMillis,
    pub started_at: UnixMillis,
    pub reports: &'a [RegionReport],
    pub round_id: &'a str,
    pub links: &'a Links,
    pub now: UnixMillis,
}

/// What a status document shows that matters for a reader (latencies and ids do not).
pub fn fingerprint(s: &CurrentStatus) -> String {
    let mut out = format!(
        "{}|{}|{}|{}|{}|{}",
        s.health.as_str(),
        s.diagnosis.verdict.as_str(),
        s.name,
        s.slug,
        s.public,
        s.diagnosis.affected_regions.join(",")
    );
    for r in &s.regions {
        let path = |p: &Option<crate::status::PathSummary>| match p {
            Some(p) => format!("{}:{}", p.ok, p.label),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "|{}:{}:{}:{}",
            r.region,
            r.answered,
            path(&r.edge),
            path(&r.origin)
        ));
    }
    out
}

/// Whether any region's probe hit its timeout on either path (the monitor then shares lanes
/// with the other slow monitors, apart from the rest: see `tick::plan_lanes`).
pub fn hit_timeout(reports: &[RegionReport]) -> bool {
    use crate::observation::{ConnectStep, EdgeFailure, EdgeOutcome, HttpFailure, HttpStep};
    reports.iter().any(|r| {
        let RegionReport::Probed(p) = r else {
            return false;
        };
        let edge = matches!(
            p.edge.outcome,
            EdgeOutcome::Failed {
                failure: EdgeFailure::Timeout,
                ..
            }
        );
        let origin = p.origin.as_ref().is_some_and(|o| {
            matches!(o.connect, ConnectStep::TimedOut { .. })
                || matches!(
                    o.http,
                    HttpStep::Failed {
                        failure: HttpFailure::TimeoutBeforeHeaders | HttpFailure::TimeoutInBody,
                        ..
                    }
                )
        });
        edge || origin
    })
}

/// Concludes one round. See the module docs for the rules.
pub fn conclude(
    facts: &RoundFacts,
    memory: &Memory,
    new_incident_id: impl FnOnce() -> String,
) -> (Memory, Conclusion) {
    let m = facts.monitor;
    let now = facts.now;
    let diagnosis = diagnose(&RoundInput {
        reports: facts.reports,
        expect: &m.expect,
        baselines: &memory.baselines,
        now,
    });
    let input = alerting::RoundInput {
        diagnosis: &diagnosis,
        reports: facts.reports,
        kind: facts.kind,
        round_id: facts.round_id,
        now,
        links: facts.links,
    };
    // Paused means no alerts: the alert state is left as it was. Certificate warnings
    // (once per certificate, `alerting::certs`) ride in the same state and effects.
    let (alert, effects) = if m.paused {
        (memory.alert.clone(), Vec::new())
    } else {
        let (mut alert, mut effects) =
            alerting::step(memory.alert.clone(), &input, m, new_incident_id);
        let (certs, sends) = alerting::certs::step(
            std::mem::take(&mut alert.certs),
            facts.reports,
            m,
            facts.links,
            now,
        );
        alert.certs = certs;
        effects.extend(sends.into_iter().map(Effect::Send));
        (alert, effects)
    };

    let hour_start = Granularity::Hour.bucket_start(facts.started_at);
    let mut hour = match &memory.hour {
        Some(h) if h.hour == hour_start => h.clone(),
        _ => HourStats::empty(hour_start),
    };
    // Only the alarm's rounds mark their slot as recorded (an interrupted tick's check reads
    // it); a manual round stands for no slot.
    let slot = match facts.kind {
        RoundKind::Scheduled | RoundKind::Recheck => facts.scheduled_for,
        RoundKind::Manual | RoundKind::Missed => 0,
    };
    hour.absorb(m, facts.reports, slot);

    let healthy = Health::of(&diagnosis) == Health::Up;
    let store_round = facts.kind != RoundKind::Scheduled
        || !healthy
        || match &memory.stored {
            None => true,
            Some(s) => s.verdict != diagnosis.verdict || now - s.at >= STORED_HEARTBEAT_MS,
        };

    let status = current_status(m, &diagnosis, facts.reports, facts.round_id, now);
    let print = fingerprint(&status);
    let publish = match &memory.published {
        Some(p) => p.fingerprint != print || now - p.at >= PUBLISH_HEARTBEAT_MS,
        None => true,
    };

    let next = Memory {
        alert: alert.clone(),
        hour: Some(hour.clone()),
        published: if publish {
            Some(Published {
                fingerprint: print,
                at: now,
            })
        } else {
            memory.published.clone()
        },
        stored: if store_round {
            Some(Stored {
                verdict: diagnosis.verdict,
                at: now,
            })
        } else {
            memory.stored.clone()
        },
        baselines: memory.baselines.clone(),
        slow: hit_timeout(facts.reports),
    };
    let conclusion = Conclusion {
        diagnosis,
        store_round,
        hour,
        alert_state: (alert != memory.alert).then_some(alert),
        effects,
        publish: publish.then_some(status),
    };
    (next, conclusion)
}

/// The hour whose row a round started at `t` updates.
pub fn hour_of(t: UnixMillis) -> UnixMillis {
    t - t.rem_euclid(HOUR)
}
