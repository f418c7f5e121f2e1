//! Text helpers for the status page: HTML escaping, durations and times in words.
//! Pure functions of their arguments (the current time is passed in).

use edgeprobe_core::time::{format_rfc3339, UnixMillis, DAY, HOUR, MINUTE};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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

/// A `<time>` element: RFC 3339 in `datetime`, readable text inside.
pub(crate) fn time_element(t: UnixMillis) -> String {
    format!(r#"<time datetime="{}">{}</time>"#, format_rfc3339(t), readable_time(t))
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
    fn escapes_markup_so_names_stay_inert() {
        let cases = [
            ("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
            (r#"" onmouseover="x"#, "&quot; onmouseover=&quot;x"),
            ("a & b", "a &amp; b"),
            ("plain ✓", "plain ✓"),
        ];
        for (raw, escaped) in cases {
            assert_eq!(escape_html(raw), escaped);
        }
    }

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
            time_element(1_795_305_103_123),
            r#"<time datetime="2026-11-21T23:51:43.123Z">2026-11-21 23:51 UTC</time>"#
        );
        assert_eq!(ago(1_000, 30_000), "just now");
        assert_eq!(ago(0, 3 * MINUTE), "3 min ago");
    }
}
