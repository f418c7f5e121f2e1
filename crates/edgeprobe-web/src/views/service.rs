//! The health document (`GET /healthz`): who answers, and whether its database does.

use schemars::JsonSchema;
use serde::Serialize;

/// Documented as `ServiceHealth` (the core's `Health` is a monitor's up/down state).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ServiceHealth {
    #[schemars(schema_with = "service_name")]
    pub service: &'static str,
    pub version: &'static str,
    pub build: &'static str,
    /// "local" under wrangler dev, else "cloudflare"
    pub runtime: String,
    /// The D1 schema version; null when the database cannot be read (then the status is 503).
    pub schema_version: Option<String>,
}

fn service_name(_: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
    super::monitor::schema(serde_json::json!({"type": "string", "const": "edgeprobe"}))
}
