//! API input, parsed and checked into domain types, with every field error reported at once.
//!
//! The platform parses a request body into a `serde_json::Value` (mapping parse failures to
//! `ApiError::MalformedJson`) and hands it here; this module decides whether it is a valid
//! monitor or channel, rejecting unknown fields, and returns either the checked type from
//! `core::monitor` or the full list of [`FieldError`]s (JSON Pointers into the body; query
//! parameters use `/query/<name>`). A patch merges onto a resource's view (`crate::views`), so a
//! GET body PATCHed back round-trips. It must not do I/O: uniqueness (slugs, channel ids existing) is
//! checked by the platform against storage, and host names are not resolved (see [`target`]).
//! Error details never echo the submitted value, so secrets cannot leak through them.
//!
//! Layout: [`monitor`] and [`channel`] (create and patch), [`views`](crate::views) (output shapes),
//! [`query`] (list-endpoint query strings and cursors), [`target`] (which hosts are
//! allowed), [`text`] (display text and header rules), [`patch`] (RFC 7396), [`precondition`]
//! (ETags, `If-Match`, which references a write adds), [`limits`] (every bound and default).

pub mod channel;
pub mod incident;
pub mod limits;
pub mod monitor;
pub mod patch;
pub mod precondition;
pub mod query;
/// The target policy lives in the core (the Worker checks it again before probing and
/// delivering); re-exported so validation reads `validate::target` as before.
pub use edgeprobe_core::target;
pub mod text;

pub use channel::{
    apply_channel_patch, validate_new_channel, wants_generated_secret, webhook_secret_from,
};
pub use incident::{validate_new_incident, validate_new_window, validate_update, window_id};
pub use monitor::{apply_monitor_patch, validate_new_monitor};
pub use precondition::{added_channels, etag, if_match_allows};
pub use query::{
    decode_cursor, encode_cursor, parse_page_query, parse_results_query, parse_rollup_query,
    Cursor, Granularity, PageQuery, ProbePath, ResultsQuery, RollupQuery,
};
pub use query::{
    parse_monitor_list_query, parse_rotation_query, MonitorListQuery,
    ROTATION_GRACE_DEFAULT_SECONDS, ROTATION_GRACE_MAX_SECONDS,
};
pub use target::check_target_host;
// The output shapes live in `crate::views`; patches merge onto a monitor's view.
use crate::views;

use serde_json::{Map, Value};

use crate::problem::{pointer_push, FieldError};
use edgeprobe_core::time::UnixMillis;

/// What validation needs to know about the deployment and the moment, passed in by the
/// platform (no globals, no clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationContext {
    /// Region names a monitor may list (location hints such as `weur`).
    pub allowed_regions: Vec<String>,
    /// Regions used when a monitor does not list any.
    pub default_regions: Vec<String>,
    /// Local development: allow loopback/private targets and plain-http chat webhooks.
    pub allow_private_targets: bool,
    /// The scheduler's tick in seconds (`core::tick::Grid`): intervals must be whole ticks.
    pub tick_seconds: u64,
    /// Stamped into `created_at` / `updated_at`.
    pub now: UnixMillis,
}

/// A field read: `Ok(None)` absent (or `null`), `Ok(Some)` present with the right type,
/// `Err(())` present but wrong (already reported).
pub(crate) type Got<T> = Result<Option<T>, ()>;

/// Collects field errors while a body is read, so that all of them are reported together.
/// The second member holds the pointers already refused as `null` ([`reject_nulls`]): the
/// readers treat `null` as absent and would otherwise add "is required" at the same place.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub Vec<FieldError>, Vec<String>);

impl Errors {
    pub fn push(&mut self, pointer: impl Into<String>, detail: impl Into<String>) {
        let pointer = pointer.into();
        if self.1.contains(&pointer) {
            return;
        }
        self.0.push(FieldError::new(pointer, detail));
    }

    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }

    /// `v` as an object whose every key is in `known`; each other key is reported.
    pub fn object<'a>(
        &mut self,
        v: &'a Value,
        ptr: &str,
        known: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Value::Object(m) = v else {
            self.push(ptr, "must be an object");
            return None;
        };
        for key in m.keys() {
            if !known.contains(&key.as_str()) {
                self.push(pointer_push(ptr, key), "is not a known field");
            }
        }
        Some(m)
    }

    pub fn required<T>(&mut self, got: Got<T>, ptr: &str) -> Option<T> {
        match got {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                self.push(ptr, "is required");
                None
            }
            Err(()) => None,
        }
    }

    pub fn string<'a>(&mut self, m: &'a Map<String, Value>, base: &str, key: &str) -> Got<&'a str> {
        match field(m, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => {
                self.push(pointer_push(base, key), "must be a string");
                Err(())
            }
        }
    }

    /// A string of 1..=max characters (Unicode scalar values) that passes the display-text
    /// rules of [`text::display_text_problem`], reported at `base/key`.
    pub fn text<'a>(
        &mut self,
        m: &'a Map<String, Value>,
        base: &str,
        key: &str,
        max: usize,
    ) -> Got<&'a str> {
        let s = self.string(m, base, key)?;
        match s {
            Some(s) if !char_len_ok(s, 1, max) => {
                self.push(
                    pointer_push(base, key),
                    format!("must be 1 to {max} characters"),
                );
                Err(())
            }
            Some(s) => match text::display_text_problem(s) {
                Some(why) => {
                    self.push(pointer_push(base, key), why);
                    Err(())
                }
                None => Ok(Some(s)),
            },
            None => Ok(None),
        }
    }

    pub fn uint(
        &mut self,
        m: &Map<String, Value>,
        base: &str,
        key: &str,
        (lo, hi): (u64, u64),
    ) -> Got<u64> {
        match field(m, key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                _ => {
                    self.push(
                        pointer_push(base, key),
                        format!("must be an integer from {lo} to {hi}"),
                    );
                    Err(())
                }
            },
        }
    }

    pub fn boolean(&mut self, m: &Map<String, Value>, base: &str, key: &str) -> Got<bool> {
        match field(m, key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => {
                self.push(pointer_push(base, key), "must be true or false");
                Err(())
            }
        }
    }

    pub fn array<'a>(
        &mut self,
        m: &'a Map<String, Value>,
        base: &str,
        key: &str,
        max: usize,
    ) -> Got<&'a [Value]> {
        match field(m, key) {
            None => Ok(None),
            Some(Value::Array(a)) if a.len() <= max => Ok(Some(a)),
            Some(Value::Array(_)) => {
                self.push(
                    pointer_push(base, key),
                    format!("must have at most {max} items"),
                );
                Err(())
            }
            Some(_) => {
                self.push(pointer_push(base, key), "must be an array");
                Err(())
            }
        }
    }
}

/// Refuses every `null` object member of a create body whose pointer is not in `nullable`
/// (JSON Pointers; a `*` segment matches any array index), naming each. A create body has
/// nothing to reset, so `null` is accepted only where the schema documents it (e.g. `origin:
/// null`, "no origin"); anywhere else it is refused rather than silently read as "absent".
/// `null` array items are left to the item checks, which already refuse them. Patches are not
/// scanned: there `null` means "back to the default" (RFC 7396), and a member that has no
/// default (a required one) is reported as required after the merge.
pub(crate) fn reject_nulls(v: &Value, ptr: &str, nullable: &[&str], e: &mut Errors) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let p = pointer_push(ptr, k);
                if val.is_null() {
                    if !nullable.iter().any(|n| pointer_matches(n, &p)) {
                        e.0.push(FieldError::new(
                            p.clone(),
                            "must not be null (omit the member to use its default)",
                        ));
                        e.1.push(p);
                    }
                } else {
                    reject_nulls(val, &p, nullable, e);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.is_object() {
                    reject_nulls(item, &format!("{ptr}/{i}"), nullable, e);
                }
            }
        }
        _ => {}
    }
}

/// `pattern` (with `*` segments matching array indices) equals `pointer`.
fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let (mut a, mut b) = (pattern.split('/'), pointer.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some("*"), Some(seg))
                if !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_digit()) => {}
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

/// A member, with `null` treated as absent (so merge-patch `null` means "back to default").
pub(crate) fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

pub(crate) fn char_len_ok(s: &str, min: usize, max: usize) -> bool {
    let n = s.chars().count();
    min <= n && n <= max
}

/// Removes read-only members from a patch before merging, reporting each one.
pub(crate) fn reject_read_only(patch: &Value, read_only: &[&str], errs: &mut Errors) {
    if let Value::Object(m) = patch {
        for key in read_only {
            if m.contains_key(*key) {
                errs.push(pointer_push("", key), "is read-only");
            }
        }
    } else {
        errs.push("", "must be a JSON object (merge patch)");
    }
}

#[cfg(test)]
mod tests;
