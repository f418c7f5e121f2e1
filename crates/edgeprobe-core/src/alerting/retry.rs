//! When to try a failed alert delivery again, and when to give up.
//!
//! This module owns the retry schedule (exponential backoff with *full jitter*) and the
//! classification of a channel's HTTP answer. It is pure: the caller supplies the time and the
//! random number, and the platform's outbox does the waiting and the sending.

use crate::time::{UnixMillis, HOUR, MINUTE, SECOND};

/// How hard to try. Defaults: 5 s base, doubling, at most 10 min between attempts, give up
/// 24 h after the first attempt or after 30 attempts, whichever comes first.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub base_ms: i64,
    pub factor: f64,
    pub max_delay_ms: i64,
    pub max_age_ms: i64,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: 5 * SECOND,
            factor: 2.0,
            max_delay_ms: 10 * MINUTE,
            max_age_ms: 24 * HOUR,
            max_attempts: 30,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again at this time.
    RetryAt(UnixMillis),
    /// Stop; the message goes to the dead-letter list with this reason.
    Dead { reason: String },
}

/// What a channel's HTTP status means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// 2xx: done.
    Delivered,
    /// 408, 425, 429, 5xx (and anything unexpected outside 4xx): the receiver may accept later.
    RetryableFailure,
    /// Any other 4xx: the request itself is wrong (bad URL, revoked token, rejected signature);
    /// sending it again cannot help, so it is dead at once.
    PermanentFailure,
}

/// Where an outbox row stands: the `status` column of `deliveries` and the API's `status` of a
/// delivery (stored: the strings must never change, unit-tested).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Delivered,
    /// Given up on; can be re-driven (back to `Pending`).
    Dead,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }
}

impl std::fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies a channel's answer. 1xx/3xx are retryable: a webhook endpoint that redirects or
/// answers informationally has not accepted the message, and the platform does not follow
/// redirects for signed POSTs.
pub fn classify_response(status: u16) -> DeliveryOutcome {
    use http::StatusCode;
    // Not a status code at all (outside 100-999): a broken answer, worth another try.
    let Ok(status) = StatusCode::from_u16(status) else {
        return DeliveryOutcome::RetryableFailure;
    };
    match status {
        s if s.is_success() => DeliveryOutcome::Delivered,
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_EARLY | StatusCode::TOO_MANY_REQUESTS => {
            DeliveryOutcome::RetryableFailure
        }
        s if s.is_client_error() => DeliveryOutcome::PermanentFailure,
        _ => DeliveryOutcome::RetryableFailure,
    }
}

/// The attempt-log text for a 3xx answer. Redirects are never followed on delivery: a signed
/// POST (or a chat URL's token) must go only to the URL the operator configured, and a
/// redirect could point it at a private address the target policy refuses. The `Location`
/// is kept so the operator can fix the channel, without its query, fragment or credentials
/// (they may carry someone's token), and bounded in length.
pub fn redirect_error(status: u16, location: Option<&str>) -> String {
    let shown = match location.map(str::trim).filter(|l| !l.is_empty()) {
        None => "no Location header".to_string(),
        Some(l) => {
            let l = match url::Url::parse(l) {
                Ok(mut u) => {
                    let _ = u.set_username("");
                    let _ = u.set_password(None);
                    u.set_query(None);
                    u.set_fragment(None);
                    u.to_string()
                }
                Err(_) => l.split(['?', '#']).next().unwrap_or_default().to_string(),
            };
            let l: String = l
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_LOCATION_CHARS)
                .collect();
            format!("Location: {l}")
        }
    };
    format!("HTTP {status} redirect not followed ({shown})")
}

const MAX_LOCATION_CHARS: usize = 120;

/// The decision after `attempts_made` failed attempts (>= 1), the first at `first_attempt_at`.
///
/// Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): the delay is
/// `jitter * min(max_delay, base * factor^(attempts_made - 1))`, so retries from many alerts
/// that failed together spread out instead of hammering a recovering receiver in lockstep.
/// The delay never drops below 1 s. `jitter` outside 0..=1 (or NaN) is clamped. A retry that
/// would land past `first_attempt_at + max_age_ms` is not scheduled.
pub fn after_failure(
    policy: &RetryPolicy,
    attempts_made: u32,
    first_attempt_at: UnixMillis,
    now: UnixMillis,
    jitter: f64,
) -> RetryDecision {
    if attempts_made >= policy.max_attempts {
        return RetryDecision::Dead {
            reason: format!("gave up after {attempts_made} attempts"),
        };
    }
    let exponent = attempts_made.saturating_sub(1).min(62) as i32;
    let ceiling = (policy.base_ms as f64 * policy.factor.max(1.0).powi(exponent))
        .min(policy.max_delay_ms as f64);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let delay = ((ceiling * jitter) as i64).max(SECOND);
    let at = now.saturating_add(delay);
    let deadline = first_attempt_at.saturating_add(policy.max_age_ms);
    if at > deadline {
        return RetryDecision::Dead {
            reason: format!(
                "gave up: no success within {} h of the first attempt",
                policy.max_age_ms / HOUR
            ),
        };
    }
    RetryDecision::RetryAt(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_error_keeps_the_location_without_secrets() {
        assert_eq!(
            redirect_error(307, Some("http://127.0.0.1:9000/hook?token=s3cret#x")),
            "HTTP 307 redirect not followed (Location: http://127.0.0.1:9000/hook)"
        );
        assert_eq!(
            redirect_error(301, Some("https://user:pw@hooks.example.com/new")),
            "HTTP 301 redirect not followed (Location: https://hooks.example.com/new)"
        );
        assert_eq!(
            redirect_error(302, Some("/moved?key=abc")),
            "HTTP 302 redirect not followed (Location: /moved)"
        );
        assert_eq!(
            redirect_error(308, None),
            "HTTP 308 redirect not followed (no Location header)"
        );
        assert_eq!(
            redirect_error(303, Some("  ")),
            "HTTP 303 redirect not followed (no Location header)"
        );
        let long = format!("https://example.com/{}", "a".repeat(500));
        assert!(redirect_error(307, Some(&long)).len() < 200);
    }

    #[test]
    fn stored_delivery_statuses_are_stable() {
        let stored: Vec<(&str, serde_json::Value)> = DeliveryStatus::ALL
            .iter()
            .map(|s| (s.as_str(), serde_json::to_value(s).unwrap()))
            .collect();
        assert_eq!(
            stored,
            [
                ("pending", serde_json::json!("pending")),
                ("delivered", serde_json::json!("delivered")),
                ("dead", serde_json::json!("dead")),
            ]
        );
        for s in DeliveryStatus::ALL {
            assert_eq!(
                serde_json::from_value::<DeliveryStatus>(serde_json::json!(s.as_str())).unwrap(),
                s
            );
            assert_eq!(s.to_string(), s.as_str());
        }
    }

    #[test]
    fn classifies_statuses() {
        use DeliveryOutcome::*;
        let cases = [
            (200, Delivered),
            (204, Delivered),
            (299, Delivered),
            (408, RetryableFailure),
            (425, RetryableFailure),
            (429, RetryableFailure),
            (500, RetryableFailure),
            (502, RetryableFailure),
            (503, RetryableFailure),
            (599, RetryableFailure),
            (301, RetryableFailure),
            (100, RetryableFailure),
            (400, PermanentFailure),
            (401, PermanentFailure),
            (403, PermanentFailure),
            (404, PermanentFailure),
            (410, PermanentFailure),
            (413, PermanentFailure),
            (422, PermanentFailure),
            // The edges of each class, and numbers that are not status codes.
            (199, RetryableFailure),
            (300, RetryableFailure),
            (399, RetryableFailure),
            (499, PermanentFailure),
            (600, RetryableFailure),
            (0, RetryableFailure),
            (99, RetryableFailure),
            (1000, RetryableFailure),
        ];
        for (status, want) in cases {
            assert_eq!(classify_response(status), want, "{status}");
        }
    }

    #[test]
    fn backs_off_exponentially_up_to_the_cap() {
        let p = RetryPolicy::default();
        let t0 = 1_000_000;
        // (attempts made, jitter, expected delay)
        let cases = [
            (1, 1.0, 5_000),
            (2, 1.0, 10_000),
            (3, 1.0, 20_000),
            (4, 0.5, 20_000),
            (8, 1.0, 600_000), // 5 s * 2^7 = 640 s, capped at 10 min
            (20, 1.0, 600_000),
            (3, 0.0, 1_000),  // full jitter can pick 0; the floor keeps it at 1 s
            (3, 7.0, 20_000), // out-of-range jitter is clamped
            (3, f64::NAN, 1_000),
        ];
        for (attempts, jitter, delay) in cases {
            assert_eq!(
                after_failure(&p, attempts, t0, t0, jitter),
                RetryDecision::RetryAt(t0 + delay),
                "attempt {attempts} jitter {jitter}"
            );
        }
    }

    #[test]
    fn never_schedules_past_max_age_or_max_attempts() {
        let p = RetryPolicy::default();
        let t0 = 0;
        let near_end = t0 + 24 * HOUR - 2 * MINUTE;
        assert!(matches!(
            after_failure(&p, 10, t0, near_end, 1.0),
            RetryDecision::Dead { .. }
        ));
        assert_eq!(
            after_failure(&p, 10, t0, near_end, 0.1),
            RetryDecision::RetryAt(near_end + 60_000)
        );
        assert!(matches!(
            after_failure(&p, 30, t0, t0 + MINUTE, 0.5),
            RetryDecision::Dead { .. }
        ));
        assert!(matches!(
            after_failure(&p, 29, t0, t0 + MINUTE, 0.5),
            RetryDecision::RetryAt(_)
        ));
    }
}
