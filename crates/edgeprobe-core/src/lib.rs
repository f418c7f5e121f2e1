//! edgeprobe's pure core: everything that decides about probes, diagnoses and alerts.
//!
//! Nothing here imports `worker`, performs I/O, or reads a clock; time is always an argument
//! ([`time::UnixMillis`]). The Worker (the `edgeprobe-worker` crate) gathers facts, calls into
//! these modules with the current time, and carries out the effects they return. This crate
//! does not depend on `worker`, `js-sys`, `wasm-bindgen` or any async runtime, so using one of
//! them here is a compile error, not a review finding. It compiles natively and for wasm32.
//!
//! Layout:
//! - [`time`]: time as data.
//! - [`limits`]: platform limits and the bounds derived from them, each defined once.
//! - [`observation`]: what a probe round saw, per region and path.
//! - [`diagnosis`]: the verdict catalog and the shape of a diagnosis.
//! - [`monitor`]: checked monitor and channel configuration.
//! - [`target`]: the target policy (which hosts and ports may be probed or sent to), checked
//!   at save, probe and delivery time.
//! - [`http1`]: HTTP/1.1 response parsing (httparse) into observation outcomes.
//! - [`probe_identity`]: how probes name themselves (User-Agent, `edgeprobe-region`) on both paths.
//! - [`classify`]: platform error texts turned into observation variants, conservatively.
//! - [`cdn`]: who produced a response: each CDN's conventions for edge- vs origin-made errors.
//! - [`diagnose`]: the two-path, multi-region diagnosis engine.
//! - [`status`]: the current-status document (KV) and the shared "path ok" rule.
//! - [`alerting`]: confirmation state machine, incidents, alert payloads, signing, retries.
//! - [`communication`]: operator updates on incidents and manual incidents.
//! - [`round`]: a round as the coordinator runs it: fan-out batches, deadlines, rows to record.
//! - [`rollup`]: hourly/daily rollups, uptime, percentiles, retention cut-offs.
//! - [`schedule`]: interrupted rounds and configuration versions.
//! - [`tick`]: the coordinator's rounds as one sans-IO machine: due slots per tick, lanes per
//!   region with their deadlines, streamed reports assembled into concluded rounds.
//! - [`record`]: what a concluded round writes (lean storage: hour row, notable rounds,
//!   change-only alert state and status document).
//! - [`tls`]: the origin probe's own TLS client, sans-IO (rustls), and what its outcomes mean.
//! - [`messages`]: the requests each Durable Object accepts (shared by caller and callee).
//! - [`meter`]: the worker's operation counters (`GET /api/v1/metrics`, `make bench-capacity`).

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod alerting;
pub mod cdn;
pub mod classify;
pub mod communication;
pub mod diagnose;
pub mod diagnosis;
pub mod http1;
pub mod limits;
pub mod messages;
pub mod meter;
pub mod monitor;
pub mod observation;
pub mod probe_identity;
pub mod record;
pub mod rollup;
pub mod round;
pub mod schedule;
pub mod status;
pub mod target;
pub mod tick;
pub mod time;
pub mod tls;
