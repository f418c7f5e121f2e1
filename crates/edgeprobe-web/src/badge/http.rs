//! The badge's HTTP-facing bits that are pure: the shields.io endpoint JSON body, the ETag of a
//! body, and `If-None-Match` matching. The platform sets the headers and the 304; this file
//! only computes values.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{BadgeSpec, Style};

/// `Cache-Control` for badges: image proxies (GitHub's camo) and shields revalidate often
/// enough that a badge is at most a minute behind.
pub const CACHE_CONTROL: &str = "public, max-age=60";

/// The shields.io endpoint schema (https://shields.io/badges/endpoint-badge). Field order is
/// the declaration order, so the body is stable byte for byte.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Endpoint<'a> {
    schema_version: u8,
    label: &'a str,
    message: &'a str,
    color: &'a str,
    /// Omitted for the default look (flat), as the schema allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<&'a str>,
}

pub fn shields_endpoint_json(spec: &BadgeSpec) -> String {
    let body = Endpoint {
        schema_version: 1,
        label: &spec.label,
        message: &spec.message,
        color: spec.color.name(),
        style: (spec.style != Style::Flat).then(|| spec.style.as_str()),
    };
    // Serializing plain strings and numbers into a String cannot fail.
    serde_json::to_string(&body).unwrap_or_default()
}

/// A strong ETag for a body: the first 128 bits of its SHA-256, hex, quoted.
pub fn etag_for(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    tag
}

/// Whether an `If-None-Match` header value matches `etag` (RFC 9110 §13.1.2: a list of tags
/// or `*`, compared weakly, so `W/"x"` matches `"x"`).
pub fn if_none_match_matches(header: &str, etag: &str) -> bool {
    let header = header.trim();
    if header == "*" {
        return true;
    }
    let ours = strip_weak(etag.trim());
    header
        .split(',')
        .map(|t| strip_weak(t.trim()))
        .any(|t| !t.is_empty() && t == ours)
}

fn strip_weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::badge::Color;

    #[test]
    fn etag_is_quoted_stable_and_content_sensitive() {
        let a = etag_for("<svg/>");
        assert_eq!(a.len(), 34);
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert_eq!(a, etag_for("<svg/>"));
        assert_ne!(a, etag_for("<svg />"));
        // SHA-256("") starts with e3b0c442 98fc1c14 9afbf4c8 996fb924.
        assert_eq!(etag_for(""), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
    }

    #[test]
    fn if_none_match_handles_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        let cases = [
            ("\"abc\"", true),
            ("W/\"abc\"", true),
            ("\"x\", \"abc\"", true),
            ("\"x\",W/\"abc\"", true),
            ("*", true),
            ("\"abd\"", false),
            ("abc", false),
            ("", false),
            (" , ", false),
        ];
        for (header, expected) in cases {
            assert_eq!(if_none_match_matches(header, tag), expected, "{header:?}");
        }
    }

    #[test]
    fn endpoint_json_follows_the_shields_schema() {
        let spec = |style| BadgeSpec {
            label: "api \"eu\"".into(),
            message: "up".into(),
            color: Color::BrightGreen,
            style,
        };
        assert_eq!(
            shields_endpoint_json(&spec(Style::Flat)),
            r#"{"schemaVersion":1,"label":"api \"eu\"","message":"up","color":"brightgreen"}"#
        );
        assert_eq!(
            shields_endpoint_json(&spec(Style::FlatSquare)),
            r#"{"schemaVersion":1,"label":"api \"eu\"","message":"up","color":"brightgreen","style":"flat-square"}"#
        );
    }
}
