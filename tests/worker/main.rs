//! Integration tests against the real worker running under `wrangler dev` (workerd with local
//! D1, KV and Durable Objects). Started by `make test` (scripts/integration.sh), which passes:
//! - EDGEPROBE_URL: the worker's base URL,
//! - EDGEPROBE_TOKEN: the API bearer token it was started with,
//! - EDGEPROBE_NETNS_MARKER / EDGEPROBE_NETNS_TOKEN when the run is inside a private network
//!   namespace scripts/netns.sh created (the rig's firewall cases need them),
//! - EDGEPROBE_RIG_CA_DIR: the test CA that workerd trusts (NODE_EXTRA_CA_CERTS).
//!
//! Built only with `--features integration`; a missing variable fails the tests loudly.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;

mod alert_channels;
mod alerts;
mod api;
mod api_races;
mod cli;
mod consistency;
mod foundation;
mod housekeeping;
mod incident_updates;
mod metrics;
mod pages;
mod probes;
mod regional;
use edgeprobe_testkit::rig;
mod own_tls;
mod rig_cases;
mod rounds;
mod shared;
mod tls_certs;
