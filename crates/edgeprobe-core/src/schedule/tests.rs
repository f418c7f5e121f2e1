//! Schedule bookkeeping tests: configuration versions and interrupted rounds.

use super::*;
use crate::time::{MINUTE, SECOND};

const T0: UnixMillis = 1_795_305_600_000;

#[test]
fn an_older_configuration_never_replaces_a_newer_one() {
    // (stored, incoming, apply?)
    for (stored, incoming, want) in [
        (0, 1, true),
        (3, 4, true),
        (4, 4, true),
        (5, 4, false),
        (7, 2, false),
    ] {
        assert_eq!(
            config_supersedes(stored, incoming),
            want,
            "stored {stored}, incoming {incoming}"
        );
    }
}

fn marker(id: &str, owner: &str, started_at: UnixMillis) -> InFlight {
    InFlight {
        monitor_id: id.into(),
        scheduled_for: started_at,
        started_at,
        owner: owner.into(),
    }
}

#[test]
fn rounds_of_a_vanished_instance_are_interrupted_at_once() {
    // The object was evicted (or crashed, or a deploy replaced it) mid-round: the new instance
    // sees the old one's markers, however recent.
    let markers = [marker("a", "old", T0 - SECOND), marker("b", "old", T0)];
    let got: Vec<&str> = interrupted(&markers, "new", T0)
        .iter()
        .map(|m| m.monitor_id.as_str())
        .collect();
    assert_eq!(got, ["a", "b"]);
}

#[test]
fn rounds_still_running_in_this_instance_are_left_alone_until_given_up() {
    let markers = [
        marker("running", "me", T0 - 5 * MINUTE),
        marker("stuck", "me", T0 - IN_FLIGHT_GIVE_UP_MS),
        marker("just-started", "me", T0),
    ];
    let got: Vec<&str> = interrupted(&markers, "me", T0)
        .iter()
        .map(|m| m.monitor_id.as_str())
        .collect();
    assert_eq!(
        got,
        ["stuck"],
        "a failed recording is reported missed after the give-up time"
    );
    assert!(interrupted(&[], "me", T0).is_empty());
}
