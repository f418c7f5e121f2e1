//! Schedule tests: tables for the grid arithmetic, and scripted coordinator runs that jump
//! time (late alarms, outages, bounded batches) and check every slot is run or missed once.

use std::collections::BTreeMap;

use super::*;
use crate::time::{HOUR, MINUTE, SECOND};

const T0: UnixMillis = 1_795_305_600_000;

fn entry(id: &str, interval_ms: u64, next_due: UnixMillis) -> Entry {
    Entry {
        monitor_id: id.into(),
        interval_ms,
        next_due,
        paused: false,
    }
}

#[test]
fn due_reports_the_nearest_slot_and_the_missed_ones() {
    let e = entry("m", 60_000, T0);
    // (alarm time, scheduled_for, missed, next due after advance)
    let cases = [
        (T0, T0, 0, T0 + MINUTE),
        (T0 + 2 * SECOND, T0, 0, T0 + MINUTE),
        (T0 + 30 * SECOND, T0, 0, T0 + MINUTE), // exactly half late: still this slot
        (T0 + 31 * SECOND, T0 + MINUTE, 1, T0 + 2 * MINUTE), // nearer the next slot
        (
            T0 + 5 * MINUTE + 10 * SECOND,
            T0 + 5 * MINUTE,
            5,
            T0 + 6 * MINUTE,
        ),
        (T0 + HOUR, T0 + HOUR, 60, T0 + HOUR + MINUTE),
    ];
    for (now, scheduled_for, missed, next) in cases {
        let got = due(std::slice::from_ref(&e), now, 10);
        assert_eq!(
            got,
            vec![Due {
                monitor_id: "m".into(),
                scheduled_for,
                missed
            }],
            "alarm at T0+{}ms",
            now - T0
        );
        let after = advance(&e, now);
        assert_eq!(after, next, "advance at T0+{}ms", now - T0);
        assert!(
            after > now && after - now >= 30_000,
            "next due too soon: {}ms",
            after - now
        );
    }
}

#[test]
fn due_skips_paused_and_future_entries() {
    let mut paused = entry("p", 60_000, T0 - HOUR);
    paused.paused = true;
    let entries = [
        entry("later", 60_000, T0 + 1),
        paused,
        entry("now", 60_000, T0),
    ];
    let ids: Vec<String> = due(&entries, T0, 10)
        .into_iter()
        .map(|d| d.monitor_id)
        .collect();
    assert_eq!(ids, vec!["now".to_string()]);
    assert!(due(&entries, T0, 0).is_empty());
}

#[test]
fn due_takes_the_oldest_first_up_to_max() {
    let entries = [
        entry("c", 60_000, T0 - 1),
        entry("b", 60_000, T0 - 5),
        entry("a", 60_000, T0 - 1),
        entry("d", 60_000, T0 - 9),
    ];
    let ids: Vec<String> = due(&entries, T0, 3)
        .into_iter()
        .map(|d| d.monitor_id)
        .collect();
    assert_eq!(ids, vec!["d".to_string(), "b".to_string(), "a".to_string()]);
}

#[test]
fn advance_table() {
    // (interval, next_due, ran_at, want)
    let cases = [
        (60_000, T0, T0 - 40 * SECOND, T0), // manual run well before: keep the slot
        (60_000, T0, T0 - 10 * SECOND, T0 + MINUTE), // manual run just before: not back to back
        (60_000, T0, T0 + 29_999, T0 + MINUTE),
        (60_000, T0, T0 + 30_001, T0 + 2 * MINUTE),
        (45_000, T0, T0 + 22_500, T0 + 45_000), // half of an interval, exactly
        (0, T0, T0 + 5, T0 + 5),                // a zero interval must not divide by zero
        (u64::MAX, T0, T0, i64::MAX),
    ];
    for (interval_ms, next_due, ran_at, want) in cases {
        assert_eq!(
            advance(&entry("m", interval_ms, next_due), ran_at),
            want,
            "interval {interval_ms}, ran at T0{:+}",
            ran_at - T0
        );
    }
}

#[test]
fn next_alarm_is_the_earliest_unpaused_due_time() {
    let mut p = entry("p", 60_000, T0 - HOUR);
    p.paused = true;
    assert_eq!(next_alarm(&[], T0), None);
    assert_eq!(next_alarm(std::slice::from_ref(&p), T0), None);
    assert_eq!(
        next_alarm(
            &[
                p.clone(),
                entry("a", 60_000, T0 + 7 * SECOND),
                entry("b", 60_000, T0 + 3 * SECOND)
            ],
            T0
        ),
        Some(T0 + 3 * SECOND)
    );
    assert_eq!(
        next_alarm(&[p, entry("a", 60_000, T0 - 1)], T0),
        Some(T0 + DUE_NOW_DELAY_MS)
    );
}

#[test]
fn initial_due_is_stable_on_grid_and_spread() {
    let now = T0 + 123;
    let a = initial_due("mon_a", 60_000, now);
    assert_eq!(a, initial_due("mon_a", 60_000, now), "deterministic");
    assert!(now <= a && a < now + 60_000);
    // The phase is a property of the id, not of when the monitor was created.
    assert_eq!(initial_due("mon_a", 60_000, now + 5 * HOUR + 17), {
        let later = now + 5 * HOUR + 17;
        let t = a + ((later - a) / 60_000) * 60_000;
        if t >= later {
            t
        } else {
            t + 60_000
        }
    });
    // A thousand monitors with the same interval: no second of the minute gets a crowd.
    let mut per_second: BTreeMap<i64, u32> = BTreeMap::new();
    for n in 0..1000 {
        let t = initial_due(&format!("mon_{n}"), 60_000, T0);
        *per_second.entry((t - T0) / 1000).or_default() += 1;
    }
    let busiest = per_second.values().copied().max().unwrap_or(0);
    assert!(
        per_second.len() >= 55,
        "only {} distinct seconds used",
        per_second.len()
    );
    assert!(
        busiest <= 40,
        "{busiest} monitors fire in the same second (mean is ~17)"
    );
    assert!(initial_due("m", 0, i64::MAX) >= i64::MAX - 1);
}

/// A coordinator driven by the pure functions: runs due rounds, stores advanced due times,
/// and records every slot as ran or missed.
struct Script {
    entries: Vec<Entry>,
    max: usize,
    ran: BTreeMap<String, Vec<UnixMillis>>,
    missed: BTreeMap<String, Vec<UnixMillis>>,
}

impl Script {
    fn new(entries: Vec<Entry>, max: usize) -> Script {
        Script {
            entries,
            max,
            ran: BTreeMap::new(),
            missed: BTreeMap::new(),
        }
    }

    /// The alarm fires at `now`; returns the next alarm time.
    fn alarm(&mut self, now: UnixMillis) -> Option<UnixMillis> {
        for d in due(&self.entries, now, self.max) {
            let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| e.monitor_id == d.monitor_id)
            else {
                continue;
            };
            let interval = e.interval_ms as i64;
            let slots = self.missed.entry(d.monitor_id.clone()).or_default();
            slots.extend((0..i64::from(d.missed)).map(|k| e.next_due + k * interval));
            self.ran
                .entry(d.monitor_id.clone())
                .or_default()
                .push(d.scheduled_for);
            e.next_due = advance(e, now);
        }
        next_alarm(&self.entries, now)
    }

    /// Every slot from `start` up to (not including) the entry's current next_due, once.
    fn assert_every_slot_accounted(&self, id: &str, start: UnixMillis, interval: i64) {
        let Some(e) = self.entries.iter().find(|e| e.monitor_id == id) else {
            panic!("no entry {id}")
        };
        let mut seen: Vec<UnixMillis> = self.ran.get(id).cloned().unwrap_or_default();
        seen.extend(self.missed.get(id).cloned().unwrap_or_default());
        seen.sort_unstable();
        let want: Vec<UnixMillis> = (0..)
            .map(|k| start + k * interval)
            .take_while(|&t| t < e.next_due)
            .collect();
        assert_eq!(seen, want, "slots of {id}");
    }
}

#[test]
fn scripted_on_time_alarms_run_every_slot() {
    let mut s = Script::new(
        vec![entry("a", 60_000, T0), entry("b", 90_000, T0 + 10 * SECOND)],
        10,
    );
    let mut now = T0;
    for _ in 0..20 {
        let Some(next) = s.alarm(now) else {
            panic!("alarm disarmed")
        };
        now = next + 150; // alarms fire a little late, as they do
    }
    assert!(
        s.missed.values().all(Vec::is_empty),
        "missed: {:?}",
        s.missed
    );
    s.assert_every_slot_accounted("a", T0, 60_000);
    s.assert_every_slot_accounted("b", T0 + 10 * SECOND, 90_000);
}

#[test]
fn scripted_outage_records_missed_slots_and_resumes_on_the_grid() {
    let mut s = Script::new(vec![entry("a", 60_000, T0)], 10);
    assert_eq!(s.alarm(T0), Some(T0 + MINUTE));
    // The coordinator is evicted and its alarm only fires 17 minutes 40 seconds later.
    let late = T0 + 18 * MINUTE - 20 * SECOND;
    assert_eq!(s.alarm(late), Some(T0 + 19 * MINUTE));
    assert_eq!(s.ran["a"], vec![T0, T0 + 18 * MINUTE]);
    assert_eq!(s.missed["a"].len(), 17);
    assert_eq!(s.alarm(T0 + 19 * MINUTE), Some(T0 + 20 * MINUTE));
    s.assert_every_slot_accounted("a", T0, 60_000);
}

#[test]
fn scripted_bounded_batches_leave_the_rest_due() {
    let entries: Vec<Entry> = (0..25)
        .map(|n| entry(&format!("m{n:02}"), 60_000, T0))
        .collect();
    let mut s = Script::new(entries, 10);
    let mut now = T0;
    let mut alarms = 0;
    while s.ran.values().map(Vec::len).sum::<usize>() < 25 {
        let Some(next) = s.alarm(now) else {
            panic!("alarm disarmed")
        };
        alarms += 1;
        now = next;
    }
    // 10 + 10 + 5 rounds, one second apart: each backlog call re-arms for now + 1 s.
    assert_eq!((alarms, now), (3, T0 + MINUTE));
    assert!(s.missed.values().all(Vec::is_empty));
    for n in 0..25 {
        s.assert_every_slot_accounted(&format!("m{n:02}"), T0, 60_000);
    }
}

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

/// Scripted: an alarm advances the schedule and marks the round in flight, the object dies
/// before recording, and the next instance's alarm finds the round and reports it missed; the
/// schedule itself still has the next slot due, so the grid is kept and nothing runs twice.
#[test]
fn a_round_cut_short_by_eviction_is_reported_missed_exactly_once() {
    let mut e = entry("m", 60_000, T0);
    let d = due(std::slice::from_ref(&e), T0, 10);
    assert_eq!(d.len(), 1);
    e.next_due = advance(&e, T0);
    let mut store: BTreeMap<String, InFlight> = BTreeMap::new();
    store.insert(
        "m".into(),
        InFlight {
            monitor_id: "m".into(),
            scheduled_for: d[0].scheduled_for,
            started_at: T0,
            owner: "first".into(),
        },
    );
    // The instance dies here. A new one fires the next alarm a minute later.
    let now = T0 + MINUTE;
    let markers: Vec<InFlight> = store.values().cloned().collect();
    let missed: Vec<UnixMillis> = interrupted(&markers, "second", now)
        .iter()
        .map(|m| m.scheduled_for)
        .collect();
    assert_eq!(missed, [T0], "the interrupted slot is reported");
    for m in interrupted(&markers, "second", now) {
        store.remove(&m.monitor_id);
    }
    assert!(store.is_empty());
    let next = due(std::slice::from_ref(&e), now, 10);
    assert_eq!(
        next[0].scheduled_for,
        T0 + MINUTE,
        "the next slot runs as planned"
    );
    assert_eq!(next[0].missed, 0, "and is not counted missed twice");
}
