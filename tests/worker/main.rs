//! Integration tests against the real worker running under `wrangler dev` (workerd with local
//! D1, KV and Durable Objects). Started by `make test` (scripts/integration.sh), which passes:
//! - EDGEPROBE_URL: the worker's base URL,
//! - EDGEPROBE_TOKEN: the API bearer token it was started with,
//! - EDGEPROBE_NETNS=1 when the run is inside a private network namespace (firewall case).
//!
//! Built only with `--features integration`; a missing variable fails the tests loudly.

mod client;

mod alerts;
mod api;
mod api_races;
mod foundation;
mod housekeeping;
mod pages;
mod probes;
#[path = "../rig/mod.rs"]
#[allow(dead_code)]
mod rig;
mod rig_cases;
mod shared;
