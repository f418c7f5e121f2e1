//! The pure core: everything that decides.
//!
//! Nothing under `core` imports `worker`, performs I/O, or reads a clock; time is always an
//! argument ([`time::UnixMillis`]). The platform layer gathers facts, calls into these modules
//! with the current time, and carries out the effects they return. Every module here compiles
//! and tests natively with `cargo test`.
//!
//! Layout:
//! - [`time`]: time as data.
//! - [`observation`]: what a probe round saw, per region and path.
//! - [`diagnosis`]: the verdict catalog and the shape of a diagnosis.
//! - [`monitor`]: checked monitor and channel configuration.
//! - [`http1`]: HTTP/1.1 response parsing (httparse) into observation outcomes.
//! - [`probe_identity`]: how probes name themselves (User-Agent, `edgeprobe-region`) on both paths.
//! - [`classify`]: platform error texts turned into observation variants, conservatively.
//! - [`cdn`]: who produced a response: each CDN's conventions for edge- vs origin-made errors.
//! - [`diagnose`]: the two-path, multi-region diagnosis engine.
//! - [`validate`]: API input parsed and checked into domain types, every field error at once.
//! - [`problem`]: RFC 9457 problem details.
//! - [`badge`]: status badges (SVG, shields.io endpoint JSON).
//! - [`status`]: the current-status document (KV) and the shared "path ok" rule.
//! - [`status_page`]: the server-rendered public status page.
//! - [`alerting`]: confirmation state machine, incidents, alert payloads, signing, retries.
//! - [`round`]: a round as the coordinator runs it: fan-out batches, deadlines, rows to record.
//! - [`rollup`]: hourly/daily rollups, uptime, percentiles, retention cut-offs.
//! - [`schedule`]: which monitors are due, and when the next alarm should fire.
//! - [`security_headers`]: the security headers of every response, by response kind.

pub mod alerting;
pub mod badge;
pub mod cdn;
pub mod classify;
pub mod diagnose;
pub mod diagnosis;
pub mod http1;
pub mod monitor;
pub mod observation;
pub mod probe_identity;
pub mod problem;
pub mod rollup;
pub mod round;
pub mod routes;
pub mod schedule;
pub mod security_headers;
pub mod status;
pub mod status_page;
pub mod time;
pub mod validate;
