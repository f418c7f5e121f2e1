//! Incident communication and maintenance bodies: a manual incident
//! (`POST /api/v1/incidents`), an operator update (`POST /api/v1/incidents/{id}/updates`) and a
//! maintenance window (`POST /api/v1/monitors/{id}/maintenance`), each checked with every field
//! error reported at once. Whether the monitors named exist is the platform's check (storage).

use serde_json::Value;

use super::limits::{INCIDENT_MONITORS_MAX, MESSAGE_MAX_CHARS, NAME_MAX_CHARS};
use super::{char_len_ok, reject_nulls, Errors};
use crate::problem::FieldError;
use edgeprobe_core::communication::{Impact, NewManualIncident, UpdateState};
use edgeprobe_core::monitor::MaintenanceWindow;

/// Why `s` is not an acceptable update message, or `None`: like display text (see
/// [`super::text::display_text_problem`]) but line feeds are allowed, so an update can have
/// paragraphs.
pub fn message_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Some("must not contain control characters other than line feeds");
    }
    s.split('\n')
        .filter(|line| !line.trim().is_empty())
        .find_map(super::text::display_text_problem)
        .or_else(|| {
            s.trim()
                .is_empty()
                .then_some("must contain a visible character")
        })
}

fn state(
    m: &serde_json::Map<String, Value>,
    e: &mut Errors,
    default: Option<UpdateState>,
) -> Option<UpdateState> {
    match e.string(m, "", "state") {
        Ok(Some(s)) => match UpdateState::parse(s) {
            Some(v) => Some(v),
            None => {
                e.push(
                    "/state",
                    "must be one of investigating, identified, monitoring, resolved",
                );
                None
            }
        },
        Ok(None) if default.is_some() => default,
        Ok(None) => {
            e.push("/state", "is required");
            None
        }
        Err(()) => None,
    }
}

fn message(m: &serde_json::Map<String, Value>, e: &mut Errors) -> Option<String> {
    let got = e.string(m, "", "message");
    let s = e.required(got, "/message")?;
    if !char_len_ok(s, 1, MESSAGE_MAX_CHARS) {
        e.push(
            "/message",
            format!("must be 1 to {MESSAGE_MAX_CHARS} characters"),
        );
        return None;
    }
    if let Some(why) = message_problem(s) {
        e.push("/message", why);
        return None;
    }
    Some(s.replace("\r\n", "\n"))
}

/// `POST /api/v1/incidents`: `title` and `message` required; `state` defaults to
/// `investigating`, `impact` to `major`, `monitor_ids` to none (site-wide).
pub fn validate_new_incident(body: &Value) -> Result<NewManualIncident, Vec<FieldError>> {
    let mut e = Errors::default();
    reject_nulls(body, "", &[], &mut e);
    let Some(m) = e.object(
        body,
        "",
        &["title", "monitor_ids", "impact", "state", "message"],
    ) else {
        return Err(e.0);
    };
    let got = e.text(m, "", "title", NAME_MAX_CHARS * 2);
    let title = e.required(got, "/title").map(str::to_string);
    let mut monitor_ids: Vec<String> = Vec::new();
    if let Ok(Some(items)) = e.array(m, "", "monitor_ids", INCIDENT_MONITORS_MAX) {
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(id) if id.is_empty() || id.len() > 64 => {
                    e.push(format!("/monitor_ids/{i}"), "must be a monitor id")
                }
                Some(id) if monitor_ids.iter().any(|x| x == id) => {
                    e.push(format!("/monitor_ids/{i}"), "is listed more than once")
                }
                Some(id) => monitor_ids.push(id.to_string()),
                None => e.push(format!("/monitor_ids/{i}"), "must be a string"),
            }
        }
    }
    let impact = match e.string(m, "", "impact") {
        Ok(Some(s)) => Impact::parse(s).or_else(|| {
            e.push("/impact", "must be one of minor, major, critical");
            None
        }),
        Ok(None) => Some(Impact::Major),
        Err(()) => None,
    };
    let state = state(m, &mut e, Some(UpdateState::Investigating));
    let message = message(m, &mut e);
    match (title, impact, state, message) {
        (Some(title), Some(impact), Some(state), Some(message)) if e.0.is_empty() => {
            Ok(NewManualIncident {
                title,
                monitor_ids,
                impact,
                state,
                message,
            })
        }
        _ => Err(e.0),
    }
}

/// `POST /api/v1/incidents/{id}/updates`: `state` and `message`, both required.
pub fn validate_update(body: &Value) -> Result<(UpdateState, String), Vec<FieldError>> {
    let mut e = Errors::default();
    reject_nulls(body, "", &[], &mut e);
    let Some(m) = e.object(body, "", &["state", "message"]) else {
        return Err(e.0);
    };
    let state = state(m, &mut e, None);
    let message = message(m, &mut e);
    match (state, message) {
        (Some(s), Some(msg)) if e.0.is_empty() => Ok((s, msg)),
        _ => Err(e.0),
    }
}

/// `POST /api/v1/monitors/{id}/maintenance`: one window (`starts_at`, `ends_at` RFC 3339,
/// optional `reason`), the same rules as a window of the monitor's `maintenance` member.
pub fn validate_new_window(body: &Value) -> Result<MaintenanceWindow, Vec<FieldError>> {
    let mut e = Errors::default();
    reject_nulls(body, "", &["/reason"], &mut e);
    let w = super::monitor::window(body, "", &mut e);
    match w {
        Some(w) if e.0.is_empty() => Ok(w),
        _ => Err(e.0),
    }
}

/// A maintenance window's id: derived from its content (`mw_` + 16 hex of its hash), so the
/// windows stay plain members of the monitor's configuration (the monitor PATCH keeps working
/// unchanged) while the maintenance resource can still name one. Two identical windows of a
/// monitor are one window.
pub fn window_id(w: &MaintenanceWindow) -> String {
    use sha2::{Digest, Sha256};
    let text = format!(
        "{}\u{0}{}\u{0}{}",
        w.starts_at,
        w.ends_at,
        w.reason.as_deref().unwrap_or("")
    );
    let hex: String = Sha256::digest(text.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("mw_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(r: Result<impl std::fmt::Debug, Vec<FieldError>>) -> Vec<String> {
        let mut p: Vec<String> = r
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.pointer)
            .collect();
        p.sort();
        p
    }

    #[test]
    fn a_manual_incident_with_defaults() {
        let inc = validate_new_incident(&json!({
            "title": "Login emails delayed",
            "message": "Some emails arrive late.\n\nWe are on it."
        }))
        .expect("valid");
        assert_eq!(inc.state, UpdateState::Investigating);
        assert_eq!(inc.impact, Impact::Major);
        assert!(inc.monitor_ids.is_empty(), "site-wide");
        assert!(inc.message.contains("\n\n"), "paragraphs are kept");
    }

    /// Every invalid member is named at once.
    #[test]
    fn every_bad_member_of_an_incident_is_reported() {
        let got = pointers(validate_new_incident(&json!({
            "title": "",
            "monitor_ids": ["mon_1", 3, "mon_1"],
            "impact": "huge",
            "state": "fixed",
            "message": "\u{7}",
            "color": "red"
        })));
        assert_eq!(
            got,
            [
                "/color",
                "/impact",
                "/message",
                "/monitor_ids/1",
                "/monitor_ids/2",
                "/state",
                "/title"
            ]
        );
        assert_eq!(
            pointers(validate_new_incident(&json!({}))),
            ["/message", "/title"]
        );
        assert_eq!(pointers(validate_new_incident(&json!([]))), [""]);
    }

    #[test]
    fn an_update_needs_a_known_state_and_a_message() {
        assert_eq!(
            validate_update(&json!({"state": "monitoring", "message": "A fix is out."})),
            Ok((UpdateState::Monitoring, "A fix is out.".to_string()))
        );
        assert_eq!(
            pointers(validate_update(&json!({}))),
            ["/message", "/state"]
        );
        assert_eq!(
            pointers(validate_update(&json!({"state": null, "message": "   "}))),
            ["/message", "/state"]
        );
    }

    #[test]
    fn a_window_is_checked_like_the_monitor_member() {
        let w = validate_new_window(&json!({
            "starts_at": "2026-12-24T02:00:00Z",
            "ends_at": "2026-12-24T03:00:00Z",
            "reason": "database upgrade"
        }))
        .expect("valid");
        assert_eq!(w.ends_at - w.starts_at, 3_600_000);
        assert_eq!(window_id(&w), window_id(&w.clone()));
        assert!(window_id(&w).starts_with("mw_"));
        assert_eq!(
            pointers(validate_new_window(&json!({
                "starts_at": "2026-12-24T03:00:00Z",
                "ends_at": "2026-12-24T02:00:00Z",
                "why": 1
            }))),
            ["/ends_at", "/why"]
        );
        assert_eq!(
            pointers(validate_new_window(&json!({"starts_at": "soon"}))),
            ["/ends_at", "/starts_at"]
        );
    }
}
