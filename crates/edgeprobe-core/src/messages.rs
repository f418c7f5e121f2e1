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

/// What the coordinator (one object, name `coordinator`) is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum CoordinatorRequest {
    /// A monitor was created or changed: re-plan its schedule. `version` is the stored version
    /// the write produced, so a late, older sync is ignored. Answer: 204.
    Sync { monitor: Box<Monitor>, version: i64 },
    /// A monitor was deleted: drop it from the schedule. Answer: 204.
    Forget { monitor_id: String },
    /// Run a round for one monitor now, from all its regions. Answer: 200 with a
    /// [`RoundOutcome`], or 404 when the monitor does not exist.
    CheckNow { monitor_id: String },
    /// Re-sync the schedule with D1 and arm the alarm if it is missing (the cron, every
    /// minute). Answer: 204.
    EnsureAlarm,
    /// The operation counters (`crate::meter`). Answer: 200 with a `meter::Report`; with
    /// `reset` the counters are zeroed after the answer is taken.
    Metrics {
        #[serde(default)]
        reset: bool,
    },
}

/// What a region object (name `region:{hint}`, one per region) is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum RegionRequest {
    /// Probe these monitors from `region` in the waves of `round::BatchPlan`. Answer: 200 with
    /// one `RegionReport` per monitor, in the order given.
    Probe {
        region: String,
        monitors: Vec<Monitor>,
    },
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
                })
                .unwrap(),
                json!({"request": "forget", "monitor_id": "mon_1"}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::CheckNow {
                    monitor_id: "mon_1".into(),
                })
                .unwrap(),
                json!({"request": "check_now", "monitor_id": "mon_1"}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::EnsureAlarm).unwrap(),
                json!({"request": "ensure_alarm"}),
            ),
            (
                serde_json::to_value(CoordinatorRequest::Metrics { reset: true }).unwrap(),
                json!({"request": "metrics", "reset": true}),
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
            },
            CoordinatorRequest::CheckNow {
                monitor_id: "b".into(),
            },
            CoordinatorRequest::EnsureAlarm,
            CoordinatorRequest::Metrics { reset: false },
        ] {
            let text = serde_json::to_string(&r).unwrap();
            let back: CoordinatorRequest = serde_json::from_str(&text).unwrap();
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
        }
        assert!(serde_json::from_str::<CoordinatorRequest>(r#"{"request": "sync"}"#).is_err());
        assert!(serde_json::from_str::<CoordinatorRequest>(r#"{"request": "reboot"}"#).is_err());
        assert!(serde_json::from_str::<DispatcherRequest>("{}").is_err());
    }
}
