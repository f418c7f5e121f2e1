//! Conditional writes of monitors and channels (RFC 9110 §13): the strong `ETag` of a stored
//! version, whether an `If-Match` header lets a write go ahead, and which channel references a
//! write adds (the only ones storage must check).
//!
//! Decisions: the ETag is `"v<version>"`, where the version is a counter stored with the row and
//! incremented by every write, so it changes whenever the representation can. `If-Match` is
//! optional (no 428): without it a PATCH is still a safe read-modify-write (the platform
//! retries its merge on a concurrent write), with it the client asks for its own view to be
//! current. `*` matches any existing resource; weak tags never match (strong comparison).
//! Pure: no I/O, no clock.

/// The strong entity tag of a stored version.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// Whether a write may proceed given the request's `If-Match` header (absent: yes) and the
/// resource's current strong `ETag`. A malformed header matches nothing.
pub fn if_match_allows(header: Option<&str>, current: &str) -> bool {
    let Some(h) = header else {
        return true;
    };
    if h.trim() == "*" {
        return true;
    }
    entity_tags(h).is_some_and(|tags| tags.iter().any(|(weak, tag)| !weak && *tag == current))
}

/// Parses `#entity-tag` (RFC 9110 §8.8.3): `(weak, "opaque")` pairs, quotes included; `None`
/// when the list is malformed.
fn entity_tags(h: &str) -> Option<Vec<(bool, &str)>> {
    let mut out = Vec::new();
    let mut rest = h;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return (!out.is_empty()).then_some(out);
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        if !rest.starts_with('"') {
            return None;
        }
        let end = rest[1..].find('"')? + 2;
        out.push((weak, &rest[..end]));
        rest = &rest[end..];
        let next = rest.trim_start_matches([' ', '\t']);
        if !next.is_empty() && !next.starts_with(',') {
            return None;
        }
        rest = next;
    }
}

/// The channel ids of `after` that `before` did not list, with their index in `after` (for
/// the `/channels/<i>` pointer). Only these need checking against storage: a reference the
/// monitor already had is not the caller's doing, so a PATCH that leaves `channels` alone
/// never fails because of it.
pub fn added_channels<'a>(before: &[String], after: &'a [String]) -> Vec<(usize, &'a str)> {
    after
        .iter()
        .enumerate()
        .filter(|(_, id)| !before.contains(id))
        .map(|(i, id)| (i, id.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_uses_strong_comparison_over_a_list() {
        let cur = etag(3);
        assert_eq!(cur, "\"v3\"");
        let cases: [(Option<&str>, bool); 11] = [
            (None, true),
            (Some("*"), true),
            (Some(" * "), true),
            (Some("\"v3\""), true),
            (Some("\"v2\", \"v3\""), true),
            (Some("\"v2\",\"v3\""), true),
            (Some("\"v2\""), false),
            (Some("W/\"v3\""), false),
            (Some("v3"), false),
            (Some(""), false),
            (Some("\"v3\" junk"), false),
        ];
        for (header, want) in cases {
            assert_eq!(if_match_allows(header, &cur), want, "{header:?}");
        }
    }

    #[test]
    fn only_added_channels_are_checked() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // A stale reference the monitor already had is not re-checked (e.g. PATCH {"paused": true}).
        assert_eq!(added_channels(&s(&["ch_gone"]), &s(&["ch_gone"])), vec![]);
        assert_eq!(
            added_channels(&s(&["ch_a"]), &s(&["ch_a", "ch_b"])),
            vec![(1, "ch_b")]
        );
        assert_eq!(
            added_channels(&[], &s(&["ch_a", "ch_b"])),
            vec![(0, "ch_a"), (1, "ch_b")]
        );
        assert_eq!(added_channels(&s(&["ch_a", "ch_b"]), &s(&["ch_b"])), vec![]);
    }
}
