//! The one way a view shows a time: [`Rfc3339`], a stored Unix-millisecond value serialized
//! as RFC 3339 UTC (`2026-11-21T12:00:00.000Z`) and documented as `format: date-time`.
//!
//! The store and the core keep Unix milliseconds (cheap to compare and index); the conversion
//! happens here, when a view is serialized, never in SQL, so every response writes times the
//! same way and every filter (`?from=`, `?to=`) accepts the same text back.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use edgeprobe_core::time::{format_rfc3339, UnixMillis};

/// A time as the API writes it (RFC 3339 UTC, millisecond precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rfc3339(pub UnixMillis);

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(self.0))
    }
}

impl JsonSchema for Rfc3339 {
    fn schema_name() -> String {
        "DateTime".into()
    }

    fn is_referenceable() -> bool {
        false
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        super::monitor::schema(serde_json::json!({"type": "string", "format": "date-time"}))
    }
}

impl From<UnixMillis> for Rfc3339 {
    fn from(t: UnixMillis) -> Rfc3339 {
        Rfc3339(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_rfc3339_and_documents_date_time() {
        assert_eq!(
            serde_json::to_value(Rfc3339(1_795_000_000_123)).unwrap(),
            serde_json::json!("2026-11-18T11:06:40.123Z")
        );
        assert_eq!(
            serde_json::to_value(Some(Rfc3339(0))).unwrap(),
            serde_json::json!("1970-01-01T00:00:00.000Z")
        );
        let schema = serde_json::to_value(schemars::schema_for!(Option<Rfc3339>)).unwrap();
        assert_eq!(schema["format"], "date-time", "{schema}");
    }
}
