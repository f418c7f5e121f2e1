//! The one snapshot mechanism: [`insta`], with every expected output stored as
//! `tests/fixtures/<area>/<name>.snap`, beside the inputs it is computed from (a recorded round
//! and its diagnosis, the status page's monitors and its pages), so a reviewer reads input and
//! output side by side and a changed output shows up as a git diff of one file.
//!
//! Accepting a deliberate change needs no extra tool: `INSTA_UPDATE=always cargo test -p …`
//! rewrites the snapshots, then review `git diff tests/fixtures` (docs/testing.md). Under
//! `CI=true` insta never writes: a changed or missing snapshot fails the run.
//!
//! The outputs snapshotted here are compared byte for byte (signed webhook bodies, channel
//! payloads, SVG badges, HTML pages). insta's text comparison ignores trailing whitespace and
//! `\r\n` versus `\n`, so [`assert_fixture_snapshot!`] pins those two facts itself: no carriage
//! return anywhere and exactly the given ending. Snapshot equal + those two ⇒ the output equals
//! the stored text plus that ending, byte for byte.

use crate::repo_path;

/// insta settings for the snapshots of one area (`tests/fixtures/<area>/<name>.snap`): no module
/// prefix in the file name and no expression in the header, so the file is named after the
/// output and holds only it.
pub fn settings(area: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(repo_path("tests/fixtures").join(area));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// What insta's text comparison cannot see, checked exactly: `actual` has no carriage return
/// and its trailing whitespace is exactly `ending` (`""` or `"\n"`).
pub fn assert_exact_ending(name: &str, actual: &str, ending: &str) {
    assert!(
        !actual.contains('\r'),
        "{name}: the output contains a carriage return"
    );
    let tail = &actual[actual.trim_end().len()..];
    assert_eq!(
        tail, ending,
        "{name}: the output's trailing whitespace changed"
    );
}

/// Compares `$actual` (a `&str`/`String`) with `tests/fixtures/<$area>/<$name>.snap` byte for
/// byte: the snapshot holds the text, `$ending` (`""` or `"\n"`) is the exact trailing
/// whitespace the output must end with.
///
/// `assert_fixture_snapshot!("badge", "build_passing.svg", svg, "")`
#[macro_export]
macro_rules! assert_fixture_snapshot {
    ($area:expr, $name:expr, $actual:expr, $ending:expr) => {{
        let name: &str = &$name;
        let actual: &str = &$actual;
        $crate::snapshots::settings($area).bind(|| $crate::insta::assert_snapshot!(name, actual));
        $crate::snapshots::assert_exact_ending(name, actual, $ending);
    }};
}

#[cfg(test)]
mod tests {
    use super::assert_exact_ending;

    #[test]
    fn the_ending_is_compared_exactly() {
        assert_exact_ending("a", "<svg/>", "");
        assert_exact_ending("b", "<html>\n</html>\n", "\n");
        for (actual, ending) in [
            ("x\n", ""),
            ("x", "\n"),
            ("x\n\n", "\n"),
            ("x \n", "\n"),
            ("a\r\nb\n", "\n"),
        ] {
            let caught = std::panic::catch_unwind(|| assert_exact_ending("c", actual, ending));
            assert!(caught.is_err(), "{actual:?} passed with ending {ending:?}");
        }
    }
}
