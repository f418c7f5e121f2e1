//! edgeprobe's web surface, pure: what the HTTP API and the public pages accept and answer.
//!
//! Input is parsed and validated into the core's domain types (every field error at once),
//! errors become RFC 9457 problems, and views, badges and status pages are rendered from core
//! data. Like the core it has no I/O, no clock and no `worker`; the Worker crate serves it.
//! It is a crate of its own (not folded into `edgeprobe-core`) because its concerns are the
//! API's shape, not decisions about sites: the diagnosis, alerting and round logic cannot
//! depend on a route, a problem type or a page, and the CLI can check a monitors file with the
//! same validation without pulling in the web renderers' callers.
//!
//! Layout:
//! - [`validate`]: API input parsed and checked into domain types, every field error at once.
//! - [`problem`]: RFC 9457 problem details, the one mapping from errors to HTTP statuses.
//! - [`routes`]: the route table (served == documented is tested against the OpenAPI file).
//! - [`badge`]: status badges (SVG, shields.io endpoint JSON).
//! - [`status_page`]: the server-rendered public status page.
//! - [`views`]: the API's response bodies as types; the OpenAPI components are generated from them.
//! - `markup`: the one way markup is written (askama templates under templates/, escaped by default).
//! - [`security_headers`]: the security headers of every response, by response kind.

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod badge;
mod markup;
pub mod problem;
pub mod routes;
pub mod security_headers;
pub mod status_page;
pub mod validate;
pub mod views;
