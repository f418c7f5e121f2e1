//! edgeprobe's one test kit, used by unit-level tests of the core and web crates, the rig's
//! self-test and the Worker's integration tests alike.
//!
//! Layout:
//! - [`builders`]: the one set of builders: monitors, diagnoses, responses with real CDN and
//!   proxy headers and pages, edge and origin observations, region reports (scripted alerting
//!   scenarios, diagnosis tables and recorded rounds start from these).
//! - [`snapshots`]: the one snapshot mechanism ([`insta`], snapshots under tests/fixtures) and
//!   [`assert_fixture_snapshot!`], the byte-for-byte comparison of an output with its snapshot.
//! - [`rig`]: the real-world failure rig (nginx fronts, misbehaving origins, TLS, DNS,
//!   firewall, webhook receivers) on loopback.
//! - [`capacity`]: the cost model behind docs/capacity.md and `make bench-capacity`'s projection.
//! - [`repo_path`]: files of the repository (fixtures, docs, schema) from any crate.
//!
//! Test code only: nothing here is linked into the Worker.

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod builders;
pub mod capacity;
pub mod rig;
pub mod snapshots;

/// Re-exported for [`assert_fixture_snapshot!`], so the macro works from any crate's tests.
pub use insta;

use std::path::PathBuf;

/// A path inside the repository (`tests/fixtures/...`, `docs/...`, `schema/...`), whichever
/// crate's test asks.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(relative)
}
