//! The committed JSON Schemas equal what the types generate (regenerate with
//! `cargo run -p edgeprobe-core --example gen_schemas`).

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/gen_schemas.rs"]
mod gen_schemas;

#[test]
fn committed_schemas_match_the_types() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut stale = Vec::new();
    for (path, generated) in gen_schemas::schemas() {
        assert!(generated.len() > 100, "{path}: suspiciously small schema");
        match std::fs::read_to_string(root.join(path)) {
            Ok(committed) if committed == generated => {}
            Ok(_) => stale.push(format!("{path} differs from the types")),
            Err(e) => stale.push(format!("{path}: {e}")),
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nRegenerate with: cargo run -p edgeprobe-core --example gen_schemas",
        stale.join("\n")
    );
}
