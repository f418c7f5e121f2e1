//! Alerting: from diagnosed rounds to messages in people's channels.
//!
//! Everything here is pure. The platform stores the per-monitor [`state::AlertState`], calls
//! [`confirm::step`] after every round with the time, executes the returned effects (incident
//! rows, re-check alarms, outbox rows), renders each outbox row with [`payload::build`] at
//! delivery time, and schedules retries with [`retry`]. Nothing here sends, stores or reads a
//! clock.
//!
//! Layout:
//! - [`confirm`]: the confirmation state machine (suspect, re-check, incident, recovery,
//!   flapping, maintenance).
//! - [`state`]: the per-monitor alerting state, phase by phase, and its stored shapes.
//! - [`incident`]: incidents and their timelines, as data.
//! - [`alert`]: the channel-neutral alert and its per-region evidence.
//! - [`certs`]: certificate expiry warnings, once per certificate (fingerprint) and path.
//! - [`payload`]: webhook, Slack, Discord, PagerDuty, Teams, Telegram, Opsgenie and ntfy
//!   requests (URL, headers, body).
//! - [`route`]: which channels take an alert (per-channel filters; follow-ups only where
//!   their announcement went).
//! - [`sign`]: Standard Webhooks signatures.
//! - [`retry`]: the delivery retry schedule and response classification.

pub mod alert;
pub mod certs;
pub mod confirm;
pub mod incident;
pub mod payload;
pub mod retry;
pub mod route;
pub mod sign;
pub mod state;

pub use alert::{
    alert_regions, Alert, AlertCertificate, AlertKind, AlertLinks, AlertRegion, Links,
};
pub use confirm::{step, Effect, RoundInput, RoundKind};
pub use incident::{Incident, TimelineEvent, TimelineKind};
pub use payload::{build, build_rotating, BuildError, OutgoingRequest};
pub use state::{AlertState, Phase, PhaseState};
