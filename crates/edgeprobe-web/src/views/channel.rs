//! A channel as the API shows it. Built from [`Channel::redacted`] only, so no code path here
//! can reach its `url` or `secret`: they are write-only and have no member in this type.

use schemars::JsonSchema;
use serde::Serialize;

use super::monitor::date_time;
use super::time::Rfc3339;
use edgeprobe_core::alerting::route::AlertFilter;
use edgeprobe_core::monitor::{Channel, ChannelKind};
use edgeprobe_core::time::format_rfc3339;

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "Channel", deny_unknown_fields)]
pub struct ChannelView {
    pub id: String,
    /// Display text: no control characters, line breaks or bidirectional override/isolate characters (U+202A-U+202E, U+2066-U+2069), and not only whitespace or zero-width characters.
    pub name: String,
    pub kind: ChannelKind,
    /// Scheme and host only; the URL itself is write-only.
    pub url_hint: String,
    pub has_secret: bool,
    pub enabled: bool,
    /// Slack: `@here`, `@channel` or a user group id (`S…`); Discord: `@here`, `@everyone`
    /// or a role id. Pings only on alerts that ask for action (down, updated, reminder,
    /// flapping). `null` for none.
    pub mention: Option<String>,
    /// Which alerts the channel takes; the default is everything.
    pub filter: AlertFilter,
    /// Telegram's chat (integer id or `@channelname`); `null` for other kinds.
    pub chat_id: Option<String>,
    #[schemars(schema_with = "date_time")]
    pub created_at: String,
    #[schemars(schema_with = "date_time")]
    pub updated_at: String,
}

/// The one answer that shows a webhook signing secret: a create that let the server generate
/// it, and a rotation. Store it now; it is never shown again.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(rename = "ChannelWithSecret", deny_unknown_fields)]
pub struct ChannelWithSecret {
    #[serde(flatten)]
    pub channel: ChannelView,
    /// The Standard Webhooks secret (`whsec_...`) the server generated.
    pub secret: String,
    /// After a rotation: until when deliveries are also signed with the replaced secret
    /// (two signatures in `webhook-signature`); null after a create.
    pub previous_secret_valid_until: Option<Rfc3339>,
}

impl ChannelWithSecret {
    /// `c` just written with the secret the server generated.
    pub fn new(c: &Channel) -> ChannelWithSecret {
        ChannelWithSecret {
            channel: ChannelView::from(c),
            secret: c.secret.clone().unwrap_or_default(),
            previous_secret_valid_until: c.previous_secret.as_ref().map(|p| Rfc3339(p.valid_until)),
        }
    }
}

/// `POST /channels` answers: the channel, or for a webhook created without a secret the
/// channel with the secret the server generated (shown once).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ChannelCreated {
    Channel(ChannelView),
    WithGeneratedSecret(ChannelWithSecret),
}

paged_list! {
    /// Channels, oldest first.
    ChannelList of ChannelView
}

impl From<&Channel> for ChannelView {
    fn from(c: &Channel) -> ChannelView {
        let r = c.redacted();
        ChannelView {
            id: r.id,
            name: r.name,
            kind: r.kind,
            url_hint: r.url_hint,
            has_secret: r.has_secret,
            enabled: r.enabled,
            mention: r.mention,
            filter: r.filter,
            chat_id: r.chat_id,
            created_at: format_rfc3339(r.created_at),
            updated_at: format_rfc3339(r.updated_at),
        }
    }
}

/// A channel kind as written in the API (`"webhook"`, ...).
pub fn kind_name(k: ChannelKind) -> &'static str {
    match k {
        ChannelKind::Webhook => "webhook",
        ChannelKind::Slack => "slack",
        ChannelKind::Discord => "discord",
        ChannelKind::Pagerduty => "pagerduty",
        ChannelKind::Teams => "teams",
        ChannelKind::Telegram => "telegram",
        ChannelKind::Opsgenie => "opsgenie",
        ChannelKind::Ntfy => "ntfy",
    }
}

/// The view as a JSON value (what tests and merge patches look at).
pub fn channel_view(c: &Channel) -> serde_json::Value {
    serde_json::to_value(ChannelView::from(c)).unwrap_or(serde_json::Value::Null)
}
