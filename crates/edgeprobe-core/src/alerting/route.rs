//! Which of a monitor's channels an alert goes to: each channel's filter, and the rule that a
//! follow-up is sent only where its announcement went.
//!
//! This module owns two decisions, both pure:
//! - A channel's [`AlertFilter`]: the classes it takes (`down`, `resolved`, `flapping`,
//!   `reminder`, `cert`) and the lowest severity of the alerts that announce a problem. The
//!   default takes everything (all five classes, from `info` up), so a channel saved before
//!   filters existed behaves as before.
//! - Follow-ups are owed, not broadcast: a `Resolved` goes only to channels that were queued a
//!   `Down`, `Updated` or `Reminder` of the same incident, and a `FlappingEnded` only to
//!   channels that were queued the `Flapping` of that episode. So a channel attached in the
//!   middle of an incident gets no "resolved" for a "down" it never got (it does get the next
//!   reminder, and then the resolution). The facts are what the outbox actually holds for the
//!   alert's dedup key ([`Queued`]), read by the platform at queue time; the alert state
//!   machine (`confirm::step`) knows nothing of channels.
//!
//! Test alerts bypass filters (they are sent on request to one channel). Severity filters
//! apply to the alerts that announce a problem (`Down`, `Updated`, `Reminder`, `Flapping`); a
//! follow-up goes wherever its announcement went. Nothing here reads storage or a clock.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::alerting::alert::{Alert, AlertKind};
use crate::diagnosis::{Severity, Verdict};

/// The classes of alerts a channel can choose, as written in the API.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertClass {
    /// An incident opened (`down`), or its cause changed (`updated`).
    Down,
    /// The incident closed.
    Resolved,
    /// Flapping started or ended.
    Flapping,
    /// Still down (the periodic reminder).
    Reminder,
    /// The certificate alerts (`cert_expiring` once per certificate, `cert_renewed`), and
    /// any incident alert whose cause is an expiring certificate (`cert_expiring`), instead
    /// of `down`/`reminder`.
    Cert,
}

impl AlertClass {
    pub const ALL: [AlertClass; 5] = [
        AlertClass::Down,
        AlertClass::Resolved,
        AlertClass::Flapping,
        AlertClass::Reminder,
        AlertClass::Cert,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertClass::Down => "down",
            AlertClass::Resolved => "resolved",
            AlertClass::Flapping => "flapping",
            AlertClass::Reminder => "reminder",
            AlertClass::Cert => "cert",
        }
    }

    pub fn parse(s: &str) -> Option<AlertClass> {
        AlertClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The class of an alert; `None` for test alerts (never filtered).
pub fn class_of(alert: &Alert) -> Option<AlertClass> {
    let cert = alert.verdict == Verdict::CertExpiring;
    match alert.kind {
        AlertKind::Down | AlertKind::Updated | AlertKind::Reminder if cert => {
            Some(AlertClass::Cert)
        }
        AlertKind::Down | AlertKind::Updated => Some(AlertClass::Down),
        AlertKind::Reminder => Some(AlertClass::Reminder),
        AlertKind::Resolved => Some(AlertClass::Resolved),
        AlertKind::Flapping | AlertKind::FlappingEnded => Some(AlertClass::Flapping),
        AlertKind::CertExpiring | AlertKind::CertRenewed => Some(AlertClass::Cert),
        AlertKind::Test => None,
    }
}

/// Which alerts one channel takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AlertFilter {
    /// The classes taken, each at most once (default: all five). Never empty: to stop all
    /// alerts, disable the channel.
    #[serde(default = "all_classes")]
    #[schemars(length(min = 1))]
    pub kinds: Vec<AlertClass>,
    /// The lowest severity of the alerts that announce a problem (default `info`, i.e. all);
    /// follow-ups (`resolved`, flapping ended) are not filtered by severity.
    #[serde(default = "lowest_severity")]
    pub min_severity: Severity,
}

fn all_classes() -> Vec<AlertClass> {
    AlertClass::ALL.to_vec()
}

fn lowest_severity() -> Severity {
    Severity::Info
}

impl Default for AlertFilter {
    fn default() -> AlertFilter {
        AlertFilter {
            kinds: all_classes(),
            min_severity: lowest_severity(),
        }
    }
}

impl AlertFilter {
    /// Whether the channel wants this alert (the follow-up rule aside).
    pub fn admits(&self, alert: &Alert) -> bool {
        let Some(class) = class_of(alert) else {
            return true;
        };
        if !self.kinds.contains(&class) {
            return false;
        }
        match alert.kind {
            AlertKind::Resolved
            | AlertKind::FlappingEnded
            | AlertKind::CertRenewed
            | AlertKind::Test => true,
            AlertKind::Down
            | AlertKind::Updated
            | AlertKind::Reminder
            | AlertKind::Flapping
            | AlertKind::CertExpiring => alert.severity >= self.min_severity,
        }
    }
}

/// One outbox row already queued for the alert's dedup key (incident or flapping episode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub channel_id: String,
    pub kind: AlertKind,
}

/// One channel of the monitor, as routing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    pub channel_id: &'a str,
    pub filter: &'a AlertFilter,
}

/// The kinds whose having been queued to a channel owes it this follow-up; `None` when the
/// alert is not a follow-up.
fn announced_by(kind: AlertKind) -> Option<&'static [AlertKind]> {
    match kind {
        AlertKind::Resolved => Some(&[AlertKind::Down, AlertKind::Updated, AlertKind::Reminder]),
        AlertKind::FlappingEnded => Some(&[AlertKind::Flapping]),
        AlertKind::CertRenewed => Some(&[AlertKind::CertExpiring]),
        _ => None,
    }
}

/// The channels (ids, in the monitor's order, each once) that get `alert`: those whose filter
/// admits it, and for a follow-up only those that were queued its announcement (`queued`: the
/// outbox rows of the alert's dedup key so far).
pub fn recipients<'a>(alert: &Alert, channels: &[Route<'a>], queued: &[Queued]) -> Vec<&'a str> {
    let mut out: Vec<&'a str> = Vec::new();
    for c in channels {
        if out.contains(&c.channel_id) || !c.filter.admits(alert) {
            continue;
        }
        if let Some(announcements) = announced_by(alert.kind) {
            let owed = queued
                .iter()
                .any(|q| q.channel_id == c.channel_id && announcements.contains(&q.kind));
            if !owed {
                continue;
            }
        }
        out.push(c.channel_id);
    }
    out
}
