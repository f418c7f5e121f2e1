//! edgeprobe's one test kit, used by unit-level tests of the core and web crates, the rig's
//! self-test and the Worker's integration tests alike.
//!
//! Layout:
//! - [`builders`]: monitors, diagnoses and region reports that look like what the engine and
//!   the platform produce (scripted alerting scenarios start from these).
//! - [`reports`]: response and region-report builders with real CDN and proxy headers and
//!   pages, for diagnosis tables and recorded rounds.
//! - [`rig`]: the real-world failure rig (nginx fronts, misbehaving origins, TLS, DNS,
//!   firewall, webhook receivers) on loopback.
//! - [`repo_path`]: files of the repository (fixtures, docs, schema) from any crate.
//!
//! Test code only: nothing here is linked into the Worker.

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod builders;
pub mod reports;
pub mod rig;

use std::path::PathBuf;

/// A path inside the repository (`tests/fixtures/...`, `docs/...`, `schema/...`), whichever
/// crate's test asks.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(relative)
}
