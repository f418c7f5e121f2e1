//! Text helpers for the status page: durations and times in words.
//! Pure functions of their arguments (the current time is passed in).

use edgeprobe_core::time::{format_rfc3339, UnixMillis, DAY, HOUR, MINUTE};

/// A duration for people: "under 1 min", "12 min", "3 h 5 min", "2 d 4 h".
pub fn format_duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < MINUTE {
        return "under 1 min".to_string();
    }
    let (d, h, m) = (ms / DAY, (ms % DAY) / HOUR, (ms % HOUR) / MINUTE);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// "2026-11-21 23:51 UTC": minutes are enough for people; the exact instant is in `datetime`.
pub fn readable_time(t: UnixMillis) -> String {
    let full = format_rfc3339(t);
    format!("{} {} UTC", &full[..10], &full[11..16])
}

/// A time as a `<time>` element shows it (templates/status_page/parts.html `time`): RFC 3339
/// for machines, minutes in UTC for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Time {
    pub rfc3339: String,
    pub readable: String,
}

pub(crate) fn time(t: UnixMillis) -> Time {
    Time {
        rfc3339: format_rfc3339(t),
        readable: readable_time(t),
    }
}

/// "3 min ago", relative to `now`.
pub(crate) fn ago(t: UnixMillis, now: UnixMillis) -> String {
    let d = now - t;
    if d < MINUTE {
        "just now".to_string()
    } else {
        format!("{} ago", format_duration(d))
    }
}

/// "99.95%" (rounded down, so a bad minute never shows as 100.00%), or "no data".
pub(crate) fn uptime_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p.is_finite() => crate::badge::format_uptime(p),
        _ => "no data".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_words() {
        let cases = [
            (-5, "under 1 min"),
            (59_999, "under 1 min"),
            (12 * MINUTE + 30_000, "12 min"),
            (HOUR, "1 h"),
            (3 * HOUR + 5 * MINUTE, "3 h 5 min"),
            (DAY + 30 * MINUTE, "1 d"),
            (2 * DAY + 4 * HOUR + 59 * MINUTE, "2 d 4 h"),
        ];
        for (ms, text) in cases {
            assert_eq!(format_duration(ms), text, "{ms}");
        }
    }

    #[test]
    fn times_are_machine_and_human_readable() {
        assert_eq!(
            time(1_795_305_103_123),
            Time {
                rfc3339: "2026-11-21T23:51:43.123Z".into(),
                readable: "2026-11-21 23:51 UTC".into(),
            }
        );
        assert_eq!(ago(1_000, 30_000), "just now");
        assert_eq!(ago(0, 3 * MINUTE), "3 min ago");
    }
}
