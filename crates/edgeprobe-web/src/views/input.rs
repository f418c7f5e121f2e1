//! The request bodies as types: what `validate` accepts, documented from Rust so the OpenAPI
//! document's `MonitorCreate`, `MonitorPatch`, `ChannelCreate` and `ChannelPatch` are generated
//! like the responses.
//!
//! These types are the documented shape only: the API does not deserialize into them.
//! Parsing stays in `validate`, which reports every invalid member at once with a JSON Pointer
//! (serde would stop at the first) and applies rules a schema cannot state (target policy,
//! `regions_to_agree` at most the number of regions). `tests/openapi_spec.rs` checks the two
//! agree: the documented examples pass the validator, bad bodies are refused by both, and
//! `null` is accepted exactly where these types make a member nullable (`Option`).
//!
//! Conventions: a member with `#[serde(default)]` may be left out; `Option<T>` may also be
//! `null` (in a create, only where null means something: no origin, no keyword, no reason; in
//! a merge patch, null restores the default, so every member with a default is `Option`).

use std::collections::BTreeMap;

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SingleOrVec};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use edgeprobe_core::monitor::PublicDetail;

use super::monitor::{
    headers_schema, port_schema, schema, statuses_schema, MaintenanceWindowView, LOCATION_HINTS,
};
use crate::validate::limits::*;
use edgeprobe_core::alerting::route::AlertFilter;

/// `T`'s schema written in place (not a `$ref`): nested bodies read as one document, as the
/// member-by-member checks of the tests walk them.
fn inline<T: JsonSchema>(gen: &mut SchemaGenerator) -> Schema {
    T::json_schema(gen)
}

/// [`inline`], and `null` allowed too.
fn inline_nullable<T: JsonSchema>(gen: &mut SchemaGenerator) -> Schema {
    let mut s = T::json_schema(gen).into_object();
    s.instance_type = Some(match s.instance_type.take() {
        Some(SingleOrVec::Single(t)) => SingleOrVec::Vec(vec![*t, InstanceType::Null]),
        Some(SingleOrVec::Vec(mut v)) => {
            v.push(InstanceType::Null);
            SingleOrVec::Vec(v)
        }
        None => SingleOrVec::Single(Box::new(InstanceType::Null)),
    });
    Schema::Object(s)
}

/// `schema` with `null` added to its type and its `enum` (for nullable enumerations).
fn or_null(mut v: serde_json::Value) -> Schema {
    if let Some(t) = v.get("type").cloned() {
        v["type"] = json!([t, "null"]);
    }
    if let Some(e) = v.get_mut("enum").and_then(|e| e.as_array_mut()) {
        e.push(serde_json::Value::Null);
    }
    schema(v)
}

fn method(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "string", "enum": ["GET", "HEAD"], "default": "GET"}))
}
fn method_or_null(_: &mut SchemaGenerator) -> Schema {
    or_null(json!({"type": "string", "enum": ["GET", "HEAD"], "default": "GET"}))
}
fn scheme(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": "string", "enum": ["http", "https"], "default": "https"}))
}
fn scheme_or_null(_: &mut SchemaGenerator) -> Schema {
    or_null(json!({"type": "string", "enum": ["http", "https"], "default": "https"}))
}
fn port_or_null(gen: &mut SchemaGenerator) -> Schema {
    inline_nullable_schema(port_schema(gen))
}
fn statuses_or_null(gen: &mut SchemaGenerator) -> Schema {
    inline_nullable_schema(statuses_schema(gen))
}
fn regions(_: &mut SchemaGenerator) -> Schema {
    schema(regions_value())
}
fn regions_or_null(_: &mut SchemaGenerator) -> Schema {
    or_null(regions_value())
}
fn regions_value() -> serde_json::Value {
    json!({"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "string", "enum": LOCATION_HINTS}})
}
fn channel_ids(_: &mut SchemaGenerator) -> Schema {
    schema(channel_ids_value())
}
fn channel_ids_or_null(_: &mut SchemaGenerator) -> Schema {
    or_null(channel_ids_value())
}
fn channel_ids_value() -> serde_json::Value {
    json!({"type": "array", "maxItems": CHANNELS_MAX, "uniqueItems": true, "items": {"type": "string", "pattern": "^ch_[A-Za-z0-9_-]{1,64}$"}})
}
fn tags(_: &mut SchemaGenerator) -> Schema {
    schema(tags_value())
}
fn tags_or_null(_: &mut SchemaGenerator) -> Schema {
    or_null(tags_value())
}
fn tags_value() -> serde_json::Value {
    json!({"type": "array", "maxItems": TAGS_MAX, "uniqueItems": true, "items": {"type": "string", "minLength": 1, "maxLength": TAG_MAX_CHARS}})
}
fn maintenance_or_null(gen: &mut SchemaGenerator) -> Schema {
    let item = gen.subschema_for::<MaintenanceWindowView>();
    or_null(json!({"type": "array", "maxItems": MAINTENANCE_MAX, "items": item}))
}
fn inline_nullable_schema(s: Schema) -> Schema {
    or_null(serde_json::to_value(s).unwrap_or_default())
}
fn headers_or_null(gen: &mut SchemaGenerator) -> Schema {
    inline_nullable_schema(headers_schema(gen))
}

fn default_statuses() -> Vec<&'static str> {
    vec!["200-399"]
}
fn default_cert_warning_days() -> u32 {
    14
}
fn default_latency_factor() -> u32 {
    3
}
fn default_interval() -> u64 {
    DEFAULT_INTERVAL_SECONDS
}
fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_MS
}
fn default_recheck() -> u32 {
    10
}
fn default_recovery() -> u32 {
    2
}
fn default_reminder() -> u64 {
    60
}
fn default_flap_threshold() -> u32 {
    3
}
fn default_flap_window() -> u64 {
    60
}
fn default_sustained() -> u32 {
    3
}
fn get() -> String {
    "GET".into()
}
fn some_get() -> Option<String> {
    Some(get())
}
fn https() -> String {
    "https".into()
}
fn some_https() -> Option<String> {
    Some(https())
}
/// For members that may be left out but whose default is not a constant (derived from other
/// members or the deployment, or "none"): the schema states no `default` for them.
fn derived<T>(_: &T) -> bool {
    true
}
fn default_true() -> bool {
    true
}

/// Every member but name and url is optional (null also means default).
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MonitorCreate {
    /// Display text: no control characters, line breaks or bidirectional override/isolate characters (U+202A-U+202E, U+2066-U+2069), and not only whitespace or zero-width characters.
    #[schemars(length(min = 1, max = "NAME_MAX_CHARS"))]
    pub name: String,
    /// Absolute http(s) URL through the CDN; no credentials, no fragment; the host must be public and an explicit port must not be one of a non-HTTP service (see docs/security.md).
    #[schemars(url, length(max = "URL_MAX_CHARS"))]
    pub url: String,
    /// The origin, probed directly. null: edge path only.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline_nullable::<OriginCreate>")]
    pub origin: Option<OriginCreate>,
    #[serde(default = "get")]
    #[schemars(schema_with = "method")]
    pub method: String,
    /// Extra request headers, sent on both paths. Names are RFC 9110 tokens; hop-by-hop and framing headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade, content-length, expect, http2-settings, host, proxy-*) are refused. Values are visible ASCII and spaces, without leading or trailing space.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "headers_schema")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline::<ExpectCreate>")]
    pub expect: ExpectCreate,
    /// Seconds between scheduled rounds: a multiple of 5 (the scheduler's tick).
    #[serde(default = "default_interval")]
    #[schemars(range(min = 30, max = 86_400))]
    pub interval_seconds: u64,
    /// Per-probe timeout.
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1_000, max = 30_000))]
    pub timeout_ms: u64,
    /// Location hints to probe from; must be enabled in this deployment. Default: the deployment's default set.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "regions")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline::<ConfirmationCreate>")]
    pub confirmation: ConfirmationCreate,
    /// Alert channel ids.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "channel_ids")]
    pub channels: Vec<String>,
    /// Shown on /status and badges.
    #[serde(default)]
    pub public: bool,
    /// What visitors of the public page see of a failure: customer words only (summary), or the diagnosis, its checklist and the evidence per path (full). Operators always get the full view with the API token.
    #[serde(default)]
    pub public_detail: PublicDetail,
    /// URL-safe and unique; used by /status/{slug} and /badge/{slug}.svg. Defaults to one derived from the name.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(
        length(min = 1, max = "SLUG_MAX_CHARS"),
        regex(pattern = r"^[a-z0-9](-?[a-z0-9])*$")
    )]
    pub slug: String,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(max = "MAINTENANCE_MAX"))]
    pub maintenance: Vec<MaintenanceWindowView>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "tags")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub paused: bool,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OriginCreate {
    /// DNS name or IP literal (IPv6 without brackets); no scheme, port or path. Loopback, private, link-local, CGNAT, unspecified and other special-purpose addresses (documentation, benchmarking, reserved, multicast, site-local, IPv4 embedded in IPv6) are refused; see docs/security.md. Names are not resolved.
    #[schemars(length(min = 1))]
    pub host: String,
    /// Default: the scheme's port. Ports of non-HTTP services are refused (25: Workers cannot connect to it; the others could read the probe as their protocol's commands); see docs/security.md.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "port_schema")]
    pub port: u16,
    #[serde(default = "https")]
    #[schemars(schema_with = "scheme")]
    pub scheme: String,
    /// The own TLS client's trust and SNI for this origin (https only). Invalid fields are
    /// reported each at `/origin/tls/<field>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<edgeprobe_core::monitor::OriginTls>,
}

#[derive(Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExpectCreate {
    /// Accepted status codes and inclusive ranges.
    #[serde(default = "default_statuses")]
    #[schemars(schema_with = "statuses_schema")]
    pub statuses: Vec<&'static str>,
    /// A string the body must contain.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(min = 1, max = "KEYWORD_MAX_CHARS"))]
    pub keyword: Option<String>,
    /// Warn when a certificate expires within this many days.
    #[serde(default = "default_cert_warning_days")]
    #[schemars(range(min = 0, max = "CERT_WARNING_DAYS_MAX"))]
    pub cert_warning_days: u32,
    /// A latency this many times the monitor's baseline is degraded.
    #[serde(default = "default_latency_factor")]
    #[schemars(range(min = 1, max = 100))]
    pub latency_factor: u32,
}

#[derive(Default, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConfirmationCreate {
    /// A round fails when at least this many regions see the failure; at most the number of regions (default min(2, regions)).
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(range(min = 1))]
    pub regions_to_agree: u32,
    /// Delay before the confirming re-check.
    #[serde(default = "default_recheck")]
    #[schemars(range(min = 1, max = 300))]
    pub recheck_delay_seconds: u32,
    /// Healthy rounds before an incident closes.
    #[serde(default = "default_recovery")]
    #[schemars(range(min = 1, max = 20))]
    pub recovery_rounds: u32,
    /// Reminder cadence while down; 0 = never.
    #[serde(default = "default_reminder")]
    #[schemars(range(min = 0, max = 10_080))]
    pub reminder_interval_minutes: u64,
    /// More incidents (confirmed outages, each with its recovery) than this within the window is flapping: incidents confirmed then have their Down alert held back until they last `sustained_down_rounds` rounds. 0 turns flap detection off.
    #[serde(default = "default_flap_threshold")]
    #[schemars(range(min = 0, max = 100))]
    pub flap_threshold: u32,
    /// Flap detection window.
    #[serde(default = "default_flap_window")]
    #[schemars(range(min = 1, max = 1_440))]
    pub flap_window_minutes: u64,
    /// While flapping, an incident's Down alert is sent once it has failed this many rounds (the confirming round included): a sustained outage is always paged.
    #[serde(default = "default_sustained")]
    #[schemars(range(min = 1, max = 20))]
    pub sustained_down_rounds: u32,
}

/// JSON Merge Patch (RFC 7396) onto the monitor view; null removes a member and so restores its default (origin: null drops the origin, slug: null derives it from the name again). name, url and origin.host have no default and cannot be null. The result is validated as a whole. id, created_at and updated_at are read-only.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MonitorPatch {
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(min = 1, max = "NAME_MAX_CHARS"))]
    pub name: String,
    /// Absolute http(s) URL through the CDN; no credentials, no fragment; the host must be public and an explicit port must not be one of a non-HTTP service (see docs/security.md).
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(url, length(max = "URL_MAX_CHARS"))]
    pub url: String,
    /// The origin, probed directly. null: edge path only.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline_nullable::<OriginPatch>")]
    pub origin: Option<OriginPatch>,
    #[serde(default = "some_get")]
    #[schemars(schema_with = "method_or_null")]
    pub method: Option<String>,
    /// Extra request headers, sent on both paths. Names are RFC 9110 tokens; hop-by-hop and framing headers (connection, keep-alive, te, trailer, transfer-encoding, upgrade, content-length, expect, http2-settings, host, proxy-*) are refused. Values are visible ASCII and spaces, without leading or trailing space.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "headers_or_null")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline_nullable::<ExpectPatch>")]
    pub expect: Option<ExpectPatch>,
    /// Seconds between scheduled rounds: a multiple of 5 (the scheduler's tick).
    #[serde(default = "some_interval")]
    #[schemars(range(min = 30, max = 86_400))]
    pub interval_seconds: Option<u64>,
    /// Per-probe timeout.
    #[serde(default = "some_timeout")]
    #[schemars(range(min = 1_000, max = 30_000))]
    pub timeout_ms: Option<u64>,
    /// Location hints to probe from; must be enabled in this deployment. Default: the deployment's default set.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "regions_or_null")]
    pub regions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "inline_nullable::<ConfirmationPatch>")]
    pub confirmation: Option<ConfirmationPatch>,
    /// Alert channel ids.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "channel_ids_or_null")]
    pub channels: Option<Vec<String>>,
    /// Shown on /status and badges.
    #[serde(default = "some_false")]
    pub public: Option<bool>,
    /// What visitors of the public page see of a failure (summary or full). null: back to summary.
    #[serde(default, skip_serializing_if = "derived")]
    pub public_detail: Option<PublicDetail>,
    /// URL-safe and unique; used by /status/{slug} and /badge/{slug}.svg. Defaults to one derived from the name.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(
        length(min = 1, max = "SLUG_MAX_CHARS"),
        regex(pattern = r"^[a-z0-9](-?[a-z0-9])*$")
    )]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "maintenance_or_null")]
    pub maintenance: Option<Vec<MaintenanceWindowView>>,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "tags_or_null")]
    pub tags: Option<Vec<String>>,
    #[serde(default = "some_false")]
    pub paused: Option<bool>,
}

fn some_interval() -> Option<u64> {
    Some(DEFAULT_INTERVAL_SECONDS)
}
fn some_timeout() -> Option<u64> {
    Some(DEFAULT_TIMEOUT_MS)
}
fn some_false() -> Option<bool> {
    Some(false)
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct OriginPatch {
    /// DNS name or IP literal (IPv6 without brackets); no scheme, port or path. Loopback, private, link-local, CGNAT, unspecified and other special-purpose addresses (documentation, benchmarking, reserved, multicast, site-local, IPv4 embedded in IPv6) are refused; see docs/security.md. Names are not resolved.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(min = 1))]
    pub host: String,
    /// Default: the scheme's port. Ports of non-HTTP services are refused (25: Workers cannot connect to it; the others could read the probe as their protocol's commands); see docs/security.md.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "port_or_null")]
    pub port: Option<u16>,
    #[serde(default = "some_https")]
    #[schemars(schema_with = "scheme_or_null")]
    pub scheme: Option<String>,
    /// The own TLS client's trust and SNI for this origin (https only); replaces the stored
    /// settings as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<edgeprobe_core::monitor::OriginTls>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ExpectPatch {
    /// Accepted status codes and inclusive ranges.
    #[serde(default = "some_statuses")]
    #[schemars(schema_with = "statuses_or_null")]
    pub statuses: Option<Vec<&'static str>>,
    /// A string the body must contain.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(min = 1, max = "KEYWORD_MAX_CHARS"))]
    pub keyword: Option<String>,
    /// Warn when a certificate expires within this many days.
    #[serde(default = "some_cert_warning_days")]
    #[schemars(range(min = 0, max = "CERT_WARNING_DAYS_MAX"))]
    pub cert_warning_days: Option<u32>,
    /// A latency this many times the monitor's baseline is degraded.
    #[serde(default = "some_latency_factor")]
    #[schemars(range(min = 1, max = 100))]
    pub latency_factor: Option<u32>,
}

fn some_statuses() -> Option<Vec<&'static str>> {
    Some(default_statuses())
}
fn some_cert_warning_days() -> Option<u32> {
    Some(default_cert_warning_days())
}
fn some_latency_factor() -> Option<u32> {
    Some(default_latency_factor())
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ConfirmationPatch {
    /// A round fails when at least this many regions see the failure; at most the number of regions (default min(2, regions)).
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(range(min = 1))]
    pub regions_to_agree: Option<u32>,
    /// Delay before the confirming re-check.
    #[serde(default = "some_recheck")]
    #[schemars(range(min = 1, max = 300))]
    pub recheck_delay_seconds: Option<u32>,
    /// Healthy rounds before an incident closes.
    #[serde(default = "some_recovery")]
    #[schemars(range(min = 1, max = 20))]
    pub recovery_rounds: Option<u32>,
    /// Reminder cadence while down; 0 = never.
    #[serde(default = "some_reminder")]
    #[schemars(range(min = 0, max = 10_080))]
    pub reminder_interval_minutes: Option<u64>,
    /// More incidents (confirmed outages, each with its recovery) than this within the window is flapping: incidents confirmed then have their Down alert held back until they last `sustained_down_rounds` rounds. 0 turns flap detection off.
    #[serde(default = "some_flap_threshold")]
    #[schemars(range(min = 0, max = 100))]
    pub flap_threshold: Option<u32>,
    /// Flap detection window.
    #[serde(default = "some_flap_window")]
    #[schemars(range(min = 1, max = 1_440))]
    pub flap_window_minutes: Option<u64>,
    /// While flapping, an incident's Down alert is sent once it has failed this many rounds (the confirming round included): a sustained outage is always paged.
    #[serde(default = "some_sustained")]
    #[schemars(range(min = 1, max = 20))]
    pub sustained_down_rounds: Option<u32>,
}

fn some_recheck() -> Option<u32> {
    Some(default_recheck())
}
fn some_recovery() -> Option<u32> {
    Some(default_recovery())
}
fn some_reminder() -> Option<u64> {
    Some(default_reminder())
}
fn some_flap_threshold() -> Option<u32> {
    Some(default_flap_threshold())
}
fn some_flap_window() -> Option<u64> {
    Some(default_flap_window())
}
fn some_sustained() -> Option<u32> {
    Some(default_sustained())
}

// The members of a channel create; `ChannelCreate` adds the rules per kind.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChannelCreateMembers {
    /// Display text: no control characters, line breaks or bidirectional override/isolate characters (U+202A-U+202E, U+2066-U+2069), and not only whitespace or zero-width characters.
    #[schemars(length(min = 1, max = "NAME_MAX_CHARS"))]
    pub name: String,
    #[schemars(schema_with = "channel_kind")]
    pub kind: String,
    /// Write-only. Required except for pagerduty (default https://events.pagerduty.com/v2/enqueue), telegram (the Bot API base, default https://api.telegram.org) and opsgenie (the API base, default US https://api.opsgenie.com; EU https://api.eu.opsgenie.com). teams: the workflow webhook URL; ntfy: the topic URL. https required for every kind but webhook (http allowed only in local development); webhook may use http or https. The host must be public.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(url, length(max = "URL_MAX_CHARS"), schema_with = "write_only_url")]
    pub url: String,
    /// Write-only. webhook: Standard Webhooks signing secret, whsec_ + base64 of >= 24 bytes (required). pagerduty: the 32-character routing key (required). telegram: the bot token (required). opsgenie: the API key, sent as GenieKey (required). ntfy: an access token (optional). slack/discord/teams: must be absent.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "write_only_secret")]
    pub secret: Option<String>,
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Slack: @here, @channel or a user group id (S followed by capital letters and digits); Discord: @here, @everyone or a role id (17-20 digits). Refused for other kinds. Pings only on down, updated, reminder and flapping alerts.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "nullable_string")]
    pub mention: Option<String>,
    /// Which alerts the channel takes. Default: every kind, from info severity up.
    #[serde(default, skip_serializing_if = "derived")]
    pub filter: Option<AlertFilter>,
    /// telegram only (required there): the chat, an integer id (e.g. -1001234567890) or a public channel's @username.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "nullable_string")]
    pub chat_id: Option<String>,
}

fn nullable_string(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": ["string", "null"]}))
}

fn channel_kind(_: &mut SchemaGenerator) -> Schema {
    schema(
        json!({"type": "string", "enum": ["webhook", "slack", "discord", "pagerduty", "teams", "telegram", "opsgenie", "ntfy"]}),
    )
}
fn write_only_url(_: &mut SchemaGenerator) -> Schema {
    schema(
        json!({"type": "string", "format": "uri", "maxLength": URL_MAX_CHARS, "writeOnly": true}),
    )
}
fn write_only_url_or_null(_: &mut SchemaGenerator) -> Schema {
    schema(
        json!({"type": ["string", "null"], "format": "uri", "maxLength": URL_MAX_CHARS, "writeOnly": true}),
    )
}
fn write_only_secret(_: &mut SchemaGenerator) -> Schema {
    schema(json!({"type": ["string", "null"], "writeOnly": true}))
}

/// A channel create: [`ChannelCreateMembers`] and, per kind, which of url and secret are
/// required and what a secret looks like (the conditions a derive cannot state).
pub struct ChannelCreate;

impl JsonSchema for ChannelCreate {
    fn schema_name() -> String {
        "ChannelCreate".into()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let mut s =
            serde_json::to_value(ChannelCreateMembers::json_schema(gen)).unwrap_or_default();
        // whsec_ + base64 of at least WEBHOOK_SECRET_MIN_BYTES bytes (4 characters per 3 bytes).
        let whsec = format!(
            "^whsec_[A-Za-z0-9+/]{{{},}}={{0,2}}$",
            WEBHOOK_SECRET_MIN_BYTES.div_ceil(3) * 4
        );
        let routing_key = format!("^[A-Za-z0-9]{{{PAGERDUTY_ROUTING_KEY_CHARS}}}$");
        s["allOf"] = json!([
            {"if": {"properties": {"kind": {"const": "webhook"}}},
             "then": {"properties": {"secret": {"type": "string", "pattern": whsec}}, "required": ["url", "secret"]}},
            {"if": {"properties": {"kind": {"const": "pagerduty"}}},
             "then": {"properties": {"secret": {"type": "string", "pattern": routing_key}}, "required": ["secret"]}},
            {"if": {"properties": {"kind": {"enum": ["slack", "discord", "teams"]}}},
             "then": {"properties": {"secret": {"type": "null"}}, "required": ["url"]}},
            {"if": {"properties": {"kind": {"const": "telegram"}}},
             "then": {"required": ["secret", "chat_id"]}},
            {"if": {"properties": {"kind": {"const": "opsgenie"}}},
             "then": {"required": ["secret"]}},
            {"if": {"properties": {"kind": {"const": "ntfy"}}},
             "then": {"required": ["url"]}},
        ]);
        schema(s)
    }
}

/// JSON Merge Patch onto the stored channel (including its write-only url and secret, kept unless given). Read-only: id, created_at, updated_at, url_hint, has_secret. null removes a member (restoring its default: enabled true; secret none, refused where the kind needs one); name and kind cannot be null.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ChannelPatch {
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(length(min = 1, max = "NAME_MAX_CHARS"))]
    pub name: String,
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "channel_kind")]
    pub kind: String,
    /// Write-only. Required except for pagerduty (default https://events.pagerduty.com/v2/enqueue), telegram (the Bot API base, default https://api.telegram.org) and opsgenie (the API base, default US https://api.opsgenie.com; EU https://api.eu.opsgenie.com). teams: the workflow webhook URL; ntfy: the topic URL. https required for every kind but webhook (http allowed only in local development); webhook may use http or https. The host must be public. null: back to the default URL, which only pagerduty channels have (refused for the other kinds).
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "write_only_url_or_null")]
    pub url: Option<String>,
    /// Write-only. webhook: Standard Webhooks signing secret, whsec_ + base64 of >= 24 bytes (required). pagerduty: the 32-character routing key (required). telegram: the bot token (required). opsgenie: the API key, sent as GenieKey (required). ntfy: an access token (optional). slack/discord/teams: must be absent.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "write_only_secret")]
    pub secret: Option<String>,
    #[serde(default = "some_true")]
    pub enabled: Option<bool>,
    /// Slack: @here, @channel or a user group id (S followed by capital letters and digits); Discord: @here, @everyone or a role id (17-20 digits). Refused for other kinds. Pings only on down, updated, reminder and flapping alerts.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "nullable_string")]
    pub mention: Option<String>,
    /// Which alerts the channel takes. Default: every kind, from info severity up.
    #[serde(default, skip_serializing_if = "derived")]
    pub filter: Option<AlertFilter>,
    /// telegram only (required there): the chat, an integer id (e.g. -1001234567890) or a public channel's @username.
    #[serde(default, skip_serializing_if = "derived")]
    #[schemars(schema_with = "nullable_string")]
    pub chat_id: Option<String>,
}

fn some_true() -> Option<bool> {
    Some(true)
}

fn investigating() -> edgeprobe_core::communication::UpdateState {
    edgeprobe_core::communication::UpdateState::Investigating
}

fn major() -> edgeprobe_core::communication::Impact {
    edgeprobe_core::communication::Impact::Major
}

/// `POST /api/v1/incidents`: a manual incident and its first update.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IncidentCreate {
    /// What visitors read as the incident's heading. Display text (single line).
    #[schemars(length(min = 1, max = 200))]
    pub title: String,
    /// The monitors it concerns (each must exist). Empty or left out: site-wide (shown on /status and the site feed). Only the public monitors among them show it; one naming only private monitors is not public.
    #[serde(default)]
    #[schemars(
        length(max = "INCIDENT_MONITORS_MAX"),
        inner(length(min = 1, max = 64))
    )]
    pub monitor_ids: Vec<String>,
    /// Sets the overall state of /status while open: minor → degraded performance, major → partial outage, critical → major outage.
    #[serde(default = "major")]
    pub impact: edgeprobe_core::communication::Impact,
    /// The first update's state; resolved records an incident that is already over.
    #[serde(default = "investigating")]
    pub state: edgeprobe_core::communication::UpdateState,
    /// The first update, written for visitors (public). Line feeds allowed; no other control characters.
    #[schemars(length(min = 1, max = "MESSAGE_MAX_CHARS"))]
    pub message: String,
}

/// `POST /api/v1/incidents/{id}/updates`.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IncidentUpdateCreate {
    /// resolved closes a manual incident; on an automatic incident still open it is refused (the checks close it).
    pub state: edgeprobe_core::communication::UpdateState,
    /// Written for visitors (public). Line feeds allowed; no other control characters.
    #[schemars(length(min = 1, max = "MESSAGE_MAX_CHARS"))]
    pub message: String,
}
