//! Rules for text that people read (names, reasons, tags, keywords) and for request headers a
//! monitor sends, which go onto the wire as given.
//!
//! Display text is shown on status pages, in alerts and in chat messages, so it must not carry
//! characters that change how surrounding text looks: control characters (C0, DEL, C1), line
//! breaks (CR, LF, U+2028, U+2029), and bidirectional overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069, the "Trojan Source" characters, which can make a name read as another one).
//! A value made only of whitespace and zero-width characters looks empty and is refused too.
//!
//! Header names and values are checked with the `http` crate (RFC 9110 tokens and field
//! values) plus two stricter rules: values are visible ASCII and spaces, without leading or
//! trailing whitespace, because the origin probe writes them raw onto the socket while the
//! edge probe's `fetch` normalises or drops what it dislikes, so anything else would make the
//! two paths send different requests; and hop-by-hop and framing headers are refused, because
//! they describe one connection, which the prober manages (a monitor's `te`, `upgrade` or
//! `transfer-encoding` would desynchronise the origin probe's HTTP/1.1 exchange).

/// Why `s` is not acceptable display text, or `None`.
pub fn display_text_problem(s: &str) -> Option<&'static str> {
    if s.chars().any(is_line_break) {
        return Some("must be a single line (no CR, LF or other line breaks)");
    }
    if s.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    if s.chars().any(is_bidi_control) {
        return Some("must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)");
    }
    if s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Some("must contain a visible character (not only spaces or zero-width characters)");
    }
    None
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\r' | '\n' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: zero-width space, joiners, word joiner, BOM, soft
/// hyphen, the Mongolian vowel separator, LRM/RLM/ALM, and the invisible math operators.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// Headers a monitor may not set: hop-by-hop headers (RFC 9110 §7.6.1, plus the legacy
/// `keep-alive` and `proxy-connection`), message framing (`content-length`,
/// `transfer-encoding`, `te`, `trailer`, `expect`, `upgrade`, `http2-settings`) and `host`
/// (the prober derives it from the URL). Any `proxy-*` header is refused as well.
pub const HOP_BY_HOP_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
    "http2-settings",
    "host",
];

/// Why `name` cannot be a monitor's request header, or `None`.
pub fn header_name_problem(name: &str) -> Option<String> {
    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Some("is not a valid header name (RFC 9110 token characters only)".into());
    }
    let lower = name.to_ascii_lowercase();
    if HOP_BY_HOP_HEADERS.contains(&lower.as_str()) || lower.starts_with("proxy-") {
        return Some(format!(
            "cannot be set: {lower} is a hop-by-hop or framing header that describes one connection, which the prober manages"
        ));
    }
    None
}

/// Why `value` cannot be a request header value, or `None`.
pub fn header_value_problem(value: &str) -> Option<&'static str> {
    if value.contains(['\r', '\n', '\0']) {
        return Some("must not contain CR, LF or NUL");
    }
    let visible = value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if !visible || http::HeaderValue::from_str(value).is_err() {
        return Some(
            "must be visible ASCII characters and spaces only: the origin probe sends values raw and the edge probe drops others, so both paths would differ",
        );
    }
    if value.starts_with(' ') || value.ends_with(' ') {
        return Some(
            "must not start or end with a space (HTTP strips it on one path, not the other)",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_text_refuses_what_changes_how_text_looks() {
        let table: &[(&str, &str)] = &[
            ("Shop\r\nX-Injected: 1", "single line"),
            ("Shop\nline two", "single line"),
            ("Shop\u{2028}two", "single line"),
            ("Shop\u{85}", "single line"),
            ("Shop\u{0}", "control"),
            ("Shop\u{7f}", "control"),
            ("Shop\u{1b}[31m", "control"),
            ("Shop\u{9b}", "control"),
            ("Shop\ttab", "control"),
            ("abc\u{202e}cba", "bidirectional"),
            ("\u{202a}x", "bidirectional"),
            ("x\u{2066}y\u{2069}", "bidirectional"),
            ("\u{2067}", "bidirectional"),
            ("   ", "visible character"),
            ("\u{200b}", "visible character"),
            ("\u{200b}\u{200d} \u{feff}", "visible character"),
            ("\u{3000}\u{a0}", "visible character"),
            ("\u{ad}", "visible character"),
        ];
        for (text, why) in table {
            match display_text_problem(text) {
                Some(p) => assert!(p.contains(why), "{text:?}: expected {why:?}, got {p:?}"),
                None => panic!("{text:?} should be refused ({why})"),
            }
        }
    }

    #[test]
    fn display_text_accepts_ordinary_text_in_any_script() {
        for text in [
            "Shop",
            "Shop API (EU) — prod",
            "Bücher",
            "日本語のサイト",
            "متجر",
            "emoji ✅",
            " padded ",
            "a\u{200d}b",
        ] {
            assert_eq!(display_text_problem(text), None, "{text:?}");
        }
    }

    #[test]
    fn header_names_refuse_hop_by_hop_and_framing() {
        for name in [
            "TE",
            "te",
            "Upgrade",
            "Connection",
            "keep-alive",
            "Transfer-Encoding",
            "content-length",
            "Host",
            "Trailer",
            "Expect",
            "Proxy-Authorization",
            "proxy-connection",
            "HTTP2-Settings",
        ] {
            let why =
                header_name_problem(name).unwrap_or_else(|| panic!("{name} should be refused"));
            assert!(why.contains("hop-by-hop"), "{name}: {why}");
        }
        for name in ["bad name", "x:y", "", "naïve", "a\r\nb", "(x)"] {
            let why =
                header_name_problem(name).unwrap_or_else(|| panic!("{name:?} should be refused"));
            assert!(why.contains("not a valid header name"), "{name:?}: {why}");
        }
        for name in [
            "Accept",
            "authorization",
            "X-Api-Key",
            "cookie",
            "user-agent",
            "x_underscore",
        ] {
            assert_eq!(header_name_problem(name), None, "{name}");
        }
    }

    #[test]
    fn header_values_must_be_visible_ascii() {
        for (value, why) in [
            ("a\r\nX-Evil: 1", "CR, LF"),
            ("a\0", "CR, LF or NUL"),
            ("café", "visible ASCII"),
            ("tab\there", "visible ASCII"),
            ("bell\u{7}", "visible ASCII"),
            ("del\u{7f}", "visible ASCII"),
            ("\u{200b}", "visible ASCII"),
            (" leading", "start or end"),
            ("trailing ", "start or end"),
        ] {
            match header_value_problem(value) {
                Some(p) => assert!(p.contains(why), "{value:?}: expected {why:?}, got {p:?}"),
                None => panic!("{value:?} should be refused ({why})"),
            }
        }
        for value in [
            "",
            "Bearer abc.def-ghi",
            "text/html, */*;q=0.8",
            "a=b; c=\"d e\"",
            "~!@#$%^&*()",
        ] {
            assert_eq!(header_value_problem(value), None, "{value:?}");
        }
    }
}
