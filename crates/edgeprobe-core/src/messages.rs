//! The messages the Worker's Durable Objects accept, one enum per object, shared by caller and
//! callee so a request is written in one place (mini-redis's `Command` is the model).
//!
//! Each message travels as the JSON body of one `POST` to its object (`platform::objects`
//! sends it); the object decodes the enum and matches it exhaustively. There are no paths: a
//! new request is a new variant, and forgetting to serve it is a compile error. What each
//! object answers is documented on its variants.
//!
//! Pure data: nothing here sends, stores or decides.

use serde::{Deserialize, Serialize};

use crate::diagnosis::Diagnosis;
use crate::monitor::Monitor;
use crate::observation::RegionReport;
use crate::round::RoundKind;

/// What a coordinator shard (object `tick::coordinator_name(shard)`) is asked to do. Every
/// request names the shard it was routed to (`tick::shard_of`), so an object learns its own
/// shard (it names its region objects after it) from whichever request reaches it first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum CoordinatorRequest {
    /// A monitor was created or changed: re-plan its schedule. `version` is the stored version
    /// the write produced, so a late, older sync is ignored. Answer: 204.
    Sync {
        monitor: Box<Monitor>,
        version: i64,
        #[serde(default)]
        shard: u32,
    },
    /// A monitor was deleted: drop it from the schedule. Answer: 204.
    Forget {
        monitor_id: String,
        #[serde(default)]
        shard: u32,
    },
    /// Run a round for one monitor now, from all its regions. Answer: 200 with a
    /// [`RoundOutcome`], or 404 when the monitor does not exist.
    CheckNow {
        monitor_id: String,
        #[serde(default)]
        shard: u32,
    },
    /// Re-sync the schedule with D1 (the monitors of this shard out of `shards`) and arm the
    /// alarm if it is missing (the cron, every minute). Answer: 204.
    EnsureAlarm {
        #[serde(default)]
        shard: u32,
        #[serde(default = "one")]
        shards: u32,
    },
    /// The operation counters (`crate::meter`). Answer: 200 with a `meter::Report`; with
    /// `reset` the counters are zeroed after the answer is taken.
    Metrics {
        #[serde(default)]
        reset: bool,
        #[serde(default)]
        shard: u32,
    },
}

fn one() -> u32 {
    1
}

impl CoordinatorRequest {
    /// The shard this request was routed to.
    pub fn shard(&self) -> u32 {
        match self {
            CoordinatorRequest::Sync { shard, .. }
            | CoordinatorRequest::Forget { shard, .. }
            | CoordinatorRequest::CheckNow { shard, .. }
            | CoordinatorRequest::EnsureAlarm { shard, .. }
            | CoordinatorRequest::Metrics { shard, .. } => *shard,
        }
    }
}

/// What a region object (name `region:{hint}`, one per region) is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum RegionRequest {
    /// Probe these monitors from `region` (one `tick::Lane`), starting them in the order given,
    /// at most `tick::LANE_CONCURRENCY` at once. Answer: 200 with a streamed body of
    /// newline-delimited JSON, one [`ProbeLine`] per monitor as soon as its probe ends (so a
    /// slow monitor never holds back the others' reports).
    Probe {
        region: String,
        monitors: Vec<Monitor>,
    },
}

/// One line of a region object's streamed answer: the report for the monitor at `position`
/// of the request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProbeLine {
    pub position: usize,
    pub report: RegionReport,
}

/// What the dispatcher (one object, name `dispatcher`) is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum DispatcherRequest {
    /// Look at the outbox now (moves the alarm forward and returns at once). Answer: 200.
    Kick,
}

/// What a round produced: the coordinator's answer to [`CoordinatorRequest::CheckNow`], which
/// the API returns as is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundOutcome {
    pub round_id: String,
    pub monitor_id: String,
    pub kind: RoundKind,
    pub started_at: i64,
    pub finished_at: i64,
    pub reports: Vec<RegionReport>,
    pub diagnosis: Diagnosis,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Caller and callee may run different deploys for a moment (a request in flight across a
    /// deploy), so the wire shape is pinned.
    #[test]
    fn wire_shape_is_a_tagged_object() {
        let cases = [
            (
                serde_json::to_value(CoordinatorRequest::Forget {
                    monitor_id: "mon_1".into(),
                    shard: 0,
                })
                .unwrap(),
                json!({"request": "forget", "monitor_id": "mon_1", "shard": 0}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::CheckNow {
                    monitor_id: "mon_1".into(),
                    shard: 2,
                })
                .unwrap(),
                json!({"request": "check_now", "monitor_id": "mon_1", "shard": 2}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::EnsureAlarm {
                    shard: 1,
                    shards: 4,
                })
                .unwrap(),
                json!({"request": "ensure_alarm", "shard": 1, "shards": 4}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::Metrics {
                    reset: true,
                    shard: 0,
                })
                .unwrap(),
                json!({"request": "metrics", "reset": true, "shard": 0}),
            ),
            (
                serde_json::to_value(RegionRequest::Probe {
                    region: "weur".into(),
                    monitors: vec![],
                })
                .unwrap(),
                json!({"request": "probe", "region": "weur", "monitors": []}),
            ),
            (
                serde_json::to_value(DispatcherRequest::Kick).unwrap(),
                json!({"request": "kick"}),
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn every_request_survives_its_json_round_trip() {
        for r in [
            CoordinatorRequest::Forget {
                monitor_id: "a".into(),
                shard: 0,
            },
            CoordinatorRequest::CheckNow {
                monitor_id: "b".into(),
                shard: 1,
            },
            CoordinatorRequest::EnsureAlarm {
                shard: 0,
                shards: 1,
            },
            CoordinatorRequest::Metrics {
                reset: false,
                shard: 2,
            },
        ] {
            let text = serde_json::to_string(&r).unwrap();
            let back: CoordinatorRequest = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        assert!(serde_json::from_str::<CoordinatorRequest>(r#"{"request": "sync"}"#).is_err());
        // A request from a deploy before shards is shard 0 of 1.
        let old: CoordinatorRequest =
            serde_json::from_str(r#"{"request": "ensure_alarm"}"#).unwrap();
        assert!(matches!(
            old,
            CoordinatorRequest::EnsureAlarm {
                shard: 0,
                shards: 1
            }
        ));
        assert!(serde_json::from_str::<CoordinatorRequest>(r#"{"request": "reboot"}"#).is_err());
        assert!(serde_json::from_str::<DispatcherRequest>("{}").is_err());
    }
}
