//! Regenerates the JSON Schemas under schema/ from the Rust types, so they cannot drift:
//! `cargo run -p edgeprobe-core --example gen_schemas`. tests/core_schemas.rs checks the committed files equal
//! what this produces.

use edgeprobe_core::diagnosis::Diagnosis;
use edgeprobe_core::observation::RegionReport;
use edgeprobe_core::status::CurrentStatus;

/// (path relative to the crate root, schema text).
pub fn schemas() -> Vec<(&'static str, String)> {
    let render = |s: schemars::schema::RootSchema| {
        serde_json::to_string_pretty(&s).unwrap_or_default() + "\n"
    };
    vec![
        (
            "schema/observation.schema.json",
            render(schemars::schema_for!(RegionReport)),
        ),
        (
            "schema/diagnosis.schema.json",
            render(schemars::schema_for!(Diagnosis)),
        ),
        (
            "schema/status.schema.json",
            render(schemars::schema_for!(CurrentStatus)),
        ),
    ]
}

#[allow(dead_code)]
fn main() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for (path, text) in schemas() {
        let full = root.join(path);
        if let Err(e) = std::fs::write(&full, text) {
            eprintln!("writing {}: {e}", full.display());
            std::process::exit(1);
        }
        println!("wrote {}", full.display());
    }
}
