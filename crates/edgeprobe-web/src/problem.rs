//! RFC 9457 problem details, and the API's one error enum ([`ApiError`]).
//!
//! This module owns every mapping from "what went wrong" to an HTTP status and a
//! `application/problem+json` body: handlers return an [`ApiError`], and
//! [`ApiError::to_problem`] is the only place that picks a status code. It renders JSON text
//! purely; setting the `Content-Type: application/problem+json` header (and `Allow` on 405) is
//! the platform's job. It must never put internal error text (storage errors, panics, stack
//! traces) into a response: [`Problem::internal`] takes no detail on purpose.
//!
//! Problem `type` URIs (all under `https://edgeprobe.dev/problems/`), documented in
//! `schema/openapi.json` as well:
//! - `validation` (422): the body or query was well-formed but fields are invalid; `errors`
//!   lists every one, each with a JSON Pointer (RFC 6901). Query parameters are reported under
//!   `/query/<name>`.
//! - `malformed-json` (400): the body is not JSON; `detail` gives line and column.
//! - `bad-request` (400): a badge query string with a bad value (one message for all).
//! - `unauthorized` (401): missing or wrong bearer token.
//! - `not-found` (404): no such route or resource.
//! - `method-not-allowed` (405): the route exists, the method does not.
//! - `conflict` (409): e.g. a slug already taken (`errors` names `/slug`).
//! - `channel-in-use` (409): a channel that monitors still use cannot be deleted; the
//!   `monitors` member lists their ids.
//! - `precondition-failed` (412): `If-Match` does not match the resource's current `ETag`.
//! - `not-implemented` (501): the request method is not one this server knows.
//! - `payload-too-large` (413), `unsupported-media-type` (415).
//! - `unavailable` (503): a store or upstream we depend on failed; retry later.
//! - `internal` (500): our bug; nothing about it is revealed.

use serde_json::{json, Map, Value};

const TYPE_BASE: &str = "https://edgeprobe.dev/problems/";

/// One invalid field: where it is, and what is wrong with it (never echoing the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901, segments escaped) into the request body, or `/query/<name>`.
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// Appends one reference token to a JSON Pointer, escaping `~` and `/` per RFC 6901.
pub fn pointer_push(base: &str, segment: &str) -> String {
    format!("{base}/{}", segment.replace('~', "~0").replace('/', "~1"))
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub instance: Option<String>,
    pub errors: Vec<FieldError>,
    /// Extension members (RFC 9457 §3.2), e.g. `monitors` of `channel-in-use`.
    pub extensions: Vec<(String, Value)>,
}

impl Problem {
    fn new(kind: &str, title: &str, status: u16, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("{TYPE_BASE}{kind}"),
            title: title.to_string(),
            status,
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// 422: every invalid field, at once.
    pub fn validation(errors: Vec<FieldError>) -> Problem {
        let n = errors.len();
        let detail = if n == 1 {
            "1 field is invalid".to_string()
        } else {
            format!("{n} fields are invalid")
        };
        Problem {
            errors,
            ..Problem::new("validation", "Invalid request", 422, detail)
        }
    }

    /// 400: the body is not JSON (position as serde_json reports it, 1-based).
    pub fn malformed_json(line: usize, column: usize) -> Problem {
        Problem::new(
            "malformed-json",
            "Malformed JSON",
            400,
            format!("the request body is not valid JSON (line {line}, column {column})"),
        )
    }

    /// 401: the platform adds `WWW-Authenticate: Bearer`.
    pub fn unauthorized() -> Problem {
        Problem::new(
            "unauthorized",
            "Unauthorized",
            401,
            "a valid API token is required (Authorization: Bearer <token>)",
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new("not-found", "Not found", 404, detail)
    }

    /// 405: the platform sets `Allow` from [`crate::routes::match_route`].
    pub fn method_not_allowed(method: &str) -> Problem {
        Problem::new(
            "method-not-allowed",
            "Method not allowed",
            405,
            format!("{method} is not allowed on this resource"),
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new("conflict", "Conflict", 409, detail)
    }

    /// 409 for a slug another monitor has; `errors` points at `/slug`.
    pub fn slug_taken(slug: &str) -> Problem {
        Problem {
            errors: vec![FieldError::new(
                "/slug",
                "is already used by another monitor",
            )],
            ..Problem::conflict(format!(
                "the slug {slug:?} is already used by another monitor"
            ))
        }
    }

    /// 409: the channel is still referenced; `monitors` lists the monitors that use it.
    pub fn channel_in_use(channel_id: &str, monitors: &[String]) -> Problem {
        Problem {
            extensions: vec![("monitors".into(), json!(monitors))],
            ..Problem::new(
                "channel-in-use",
                "Channel in use",
                409,
                format!(
                    "channel {channel_id} is used by {} monitor(s); remove it from them (PATCH their channels) first",
                    monitors.len()
                ),
            )
        }
    }

    /// 412: `If-Match` named a version that is no longer current.
    pub fn precondition_failed(detail: impl Into<String>) -> Problem {
        Problem::new("precondition-failed", "Precondition failed", 412, detail)
    }

    /// 501: a method this server does not implement on any resource.
    pub fn not_implemented(method: &str) -> Problem {
        Problem::new(
            "not-implemented",
            "Not implemented",
            501,
            format!("the method {method} is not implemented by this server"),
        )
    }

    pub fn payload_too_large(limit_bytes: usize) -> Problem {
        Problem::new(
            "payload-too-large",
            "Payload too large",
            413,
            format!("the request body exceeds {limit_bytes} bytes"),
        )
    }

    /// 400: a query string that does not parse as a whole (badge URLs, whose parser reports
    /// one message rather than field pointers).
    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new("bad-request", "Bad request", 400, detail)
    }

    pub fn unsupported_media_type() -> Problem {
        Problem::new(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            "request bodies must be application/json (application/merge-patch+json for PATCH)",
        )
    }

    /// 503: a dependency failed; safe to retry.
    pub fn unavailable() -> Problem {
        Problem::new(
            "unavailable",
            "Service unavailable",
            503,
            "a backing service failed; try again shortly",
        )
    }

    /// 500: deliberately says nothing about the cause.
    pub fn internal() -> Problem {
        Problem::new(
            "internal",
            "Internal error",
            500,
            "something went wrong on our side",
        )
    }

    pub fn with_instance(mut self, instance: impl Into<String>) -> Problem {
        self.instance = Some(instance.into());
        self
    }

    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!(self.type_uri));
        m.insert("title".into(), json!(self.title));
        m.insert("status".into(), json!(self.status));
        m.insert("detail".into(), json!(self.detail));
        if let Some(i) = &self.instance {
            m.insert("instance".into(), json!(i));
        }
        if !self.errors.is_empty() {
            let errs: Vec<Value> = self
                .errors
                .iter()
                .map(|e| json!({"pointer": e.pointer, "detail": e.detail}))
                .collect();
            m.insert("errors".into(), Value::Array(errs));
        }
        for (k, v) in &self.extensions {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}

/// Everything an API handler can fail with. [`ApiError::to_problem`] maps each to a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    // --- The caller's bad input ---
    /// Fields of the body or query are invalid (all of them listed).
    Validation(Vec<FieldError>),
    /// The body is not JSON.
    MalformedJson { line: usize, column: usize },
    /// The body is larger than the platform accepts.
    PayloadTooLarge { limit_bytes: usize },
    /// The body is not JSON by its Content-Type.
    UnsupportedMediaType,
    /// No or wrong bearer token.
    Unauthorized,
    /// The route exists but not with this method.
    MethodNotAllowed { method: String },
    /// The request conflicts with stored state.
    Conflict { detail: String },
    /// Another monitor has this slug (checked before writing, or refused by the UNIQUE index).
    SlugTaken { slug: String },
    /// A channel cannot be deleted while monitors use it (their ids).
    ChannelInUse {
        channel_id: String,
        monitors: Vec<String>,
    },
    /// `If-Match` does not match the current `ETag`.
    PreconditionFailed { detail: String },
    /// The method is not one this server knows (501, on every path).
    MethodNotImplemented { method: String },

    // --- Not found ---
    /// No route matches the path.
    RouteNotFound,
    /// The route matched but the resource does not exist (`kind` e.g. "monitor").
    NotFound { kind: &'static str, id: String },

    // --- Upstream failure ---
    /// Storage (D1/KV) or a Durable Object failed; the text is for logs only.
    Unavailable { log_detail: String },

    // --- Our bug ---
    /// An invariant broke; the text is for logs only.
    Internal { log_detail: String },
}

impl ApiError {
    /// The single mapping from errors to status codes and problem documents.
    pub fn to_problem(&self) -> Problem {
        match self {
            ApiError::Validation(errors) => Problem::validation(errors.clone()),
            ApiError::MalformedJson { line, column } => Problem::malformed_json(*line, *column),
            ApiError::PayloadTooLarge { limit_bytes } => Problem::payload_too_large(*limit_bytes),
            ApiError::UnsupportedMediaType => Problem::unsupported_media_type(),
            ApiError::Unauthorized => Problem::unauthorized(),
            ApiError::MethodNotAllowed { method } => Problem::method_not_allowed(method),
            ApiError::Conflict { detail } => Problem::conflict(detail.clone()),
            ApiError::SlugTaken { slug } => Problem::slug_taken(slug),
            ApiError::ChannelInUse {
                channel_id,
                monitors,
            } => Problem::channel_in_use(channel_id, monitors),
            ApiError::PreconditionFailed { detail } => Problem::precondition_failed(detail.clone()),
            ApiError::MethodNotImplemented { method } => Problem::not_implemented(method),
            ApiError::RouteNotFound => Problem::not_found("no such route"),
            ApiError::NotFound { kind, id } => {
                Problem::not_found(format!("{kind} {id} does not exist"))
            }
            ApiError::Unavailable { .. } => Problem::unavailable(),
            ApiError::Internal { .. } => Problem::internal(),
        }
    }

    /// Maps a serde_json parse failure of a request body to [`ApiError::MalformedJson`].
    pub fn from_json_error(e: &serde_json::Error) -> ApiError {
        ApiError::MalformedJson {
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Lets handlers write `validate_new_monitor(..)?` into an `ApiError` result.
impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> ApiError {
        ApiError::Validation(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_is_a_400_with_its_own_type() {
        let p = Problem::bad_request("metric: \"x\" is not one of status, uptime, latency")
            .with_instance("/badge/a.svg");
        assert_eq!(
            (p.status, p.type_uri.as_str()),
            (400, "https://edgeprobe.dev/problems/bad-request")
        );
        let v = p.to_value();
        assert_eq!(
            v["detail"],
            "metric: \"x\" is not one of status, uptime, latency"
        );
        assert_eq!(v["instance"], "/badge/a.svg");
    }

    #[test]
    fn each_error_maps_to_its_status_and_type() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                ApiError::Validation(vec![FieldError::new("/name", "is required")]),
                422,
                "validation",
            ),
            (
                ApiError::MalformedJson { line: 1, column: 2 },
                400,
                "malformed-json",
            ),
            (
                ApiError::PayloadTooLarge { limit_bytes: 65536 },
                413,
                "payload-too-large",
            ),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported-media-type",
            ),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (
                ApiError::MethodNotAllowed {
                    method: "PUT".into(),
                },
                405,
                "method-not-allowed",
            ),
            (
                ApiError::Conflict {
                    detail: "slug taken".into(),
                },
                409,
                "conflict",
            ),
            (ApiError::RouteNotFound, 404, "not-found"),
            (
                ApiError::SlugTaken {
                    slug: "shop".into(),
                },
                409,
                "conflict",
            ),
            (
                ApiError::ChannelInUse {
                    channel_id: "ch_1".into(),
                    monitors: vec!["mon_1".into()],
                },
                409,
                "channel-in-use",
            ),
            (
                ApiError::PreconditionFailed {
                    detail: "stale".into(),
                },
                412,
                "precondition-failed",
            ),
            (
                ApiError::MethodNotImplemented {
                    method: "QUERY".into(),
                },
                501,
                "not-implemented",
            ),
            (
                ApiError::NotFound {
                    kind: "monitor",
                    id: "mon_1".into(),
                },
                404,
                "not-found",
            ),
            (
                ApiError::Unavailable {
                    log_detail: "D1_ERROR".into(),
                },
                503,
                "unavailable",
            ),
            (
                ApiError::Internal {
                    log_detail: "x".into(),
                },
                500,
                "internal",
            ),
        ];
        for (err, status, kind) in cases {
            let p = err.to_problem();
            assert_eq!(p.status, status, "{err:?}");
            assert_eq!(
                p.type_uri,
                format!("https://edgeprobe.dev/problems/{kind}"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn internal_and_upstream_errors_never_leak_their_text() {
        for err in [
            ApiError::Internal {
                log_detail: "panicked at src/secret.rs:12 token=abc".into(),
            },
            ApiError::Unavailable {
                log_detail: "D1_ERROR: no such table: secret_things".into(),
            },
        ] {
            let body = err.to_problem().to_json();
            assert!(!body.contains("secret"), "{body}");
            assert!(
                !body.contains("D1_ERROR") && !body.contains("panicked"),
                "{body}"
            );
        }
    }

    #[test]
    fn validation_problem_lists_every_field() {
        let p = Problem::validation(vec![
            FieldError::new("/name", "is required"),
            FieldError::new("/a~1b", "x"),
        ])
        .with_instance("/api/v1/monitors");
        let v: Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["instance"], "/api/v1/monitors");
        assert_eq!(v["errors"][0]["pointer"], "/name");
        assert_eq!(v["errors"][1]["pointer"], "/a~1b");
        assert_eq!(v["detail"], "2 fields are invalid");
    }

    #[test]
    fn conflicts_name_what_conflicts() {
        let v = ApiError::SlugTaken {
            slug: "shop".into(),
        }
        .to_problem()
        .to_value();
        assert_eq!(v["errors"][0]["pointer"], "/slug");
        let v = ApiError::ChannelInUse {
            channel_id: "ch_1".into(),
            monitors: vec!["mon_a".into(), "mon_b".into()],
        }
        .to_problem()
        .to_value();
        assert_eq!(v["monitors"], json!(["mon_a", "mon_b"]));
        assert_eq!(v["status"], 409);
    }

    #[test]
    fn malformed_json_reports_position() {
        let e = serde_json::from_str::<Value>("{\n  \"a\": }").unwrap_err();
        let p = ApiError::from_json_error(&e).to_problem();
        assert_eq!(p.status, 400);
        assert!(p.detail.contains("line 2"), "{}", p.detail);
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(pointer_push("/headers", "a/b~c"), "/headers/a~1b~0c");
        assert_eq!(pointer_push("", "name"), "/name");
    }
}
