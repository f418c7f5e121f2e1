//! Regenerates `components/schemas` of schema/openapi.json from the view types, so the
//! document cannot drift from what is served: `cargo run -p edgeprobe-web --example gen_openapi`.
//! tests/openapi_spec.rs checks the committed file equals what this produces.
//!
//! Everything else in the document (paths, parameters, responses, and the hand-written
//! schemas of `views::openapi::HAND_WRITTEN`) is kept byte for byte: only the text of the
//! `"schemas"` member of `"components"` is replaced, so edits elsewhere merge as usual.

use std::collections::BTreeMap;

use edgeprobe_web::views::openapi::{component_schemas, HAND_WRITTEN};
use serde_json::Value;

pub const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/openapi.json");

/// `committed` with its `components/schemas` replaced by the hand-written schemas it holds
/// plus the generated ones, or why that cannot be done.
pub fn regenerate(committed: &str) -> Result<String, String> {
    let doc: Value =
        serde_json::from_str(committed).map_err(|e| format!("openapi.json is not JSON: {e}"))?;
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    for name in HAND_WRITTEN {
        let s = doc["components"]["schemas"].get(name).ok_or_else(|| {
            format!("hand-written schema {name} is missing from components/schemas")
        })?;
        schemas.insert(name.to_string(), s.clone());
    }
    for (name, schema) in component_schemas() {
        if schemas.insert(name.clone(), schema).is_some() {
            return Err(format!(
                "generated schema {name} has the name of a hand-written one"
            ));
        }
    }
    // The member `"schemas": {` of `"components"`, at its indentation, and its closing brace.
    const OPEN: &str = "\n    \"schemas\": {\n";
    const CLOSE: &str = "\n    }";
    let components = committed
        .find("\n  \"components\": {")
        .ok_or("no components member")?;
    let start = components
        + committed[components..]
            .find(OPEN)
            .ok_or("no components/schemas member")?;
    let body = start + OPEN.len() - 1;
    let end = body
        + committed[body..]
            .find(CLOSE)
            .ok_or("components/schemas is not closed")?
        + CLOSE.len();
    let text = serde_json::to_string_pretty(&schemas).map_err(|e| e.to_string())?;
    let indented = text.replace('\n', "\n    ");
    Ok(format!(
        "{}\n    \"schemas\": {}{}",
        &committed[..start],
        indented,
        &committed[end..]
    ))
}

#[allow(dead_code)]
fn main() {
    let result = std::fs::read_to_string(PATH)
        .map_err(|e| format!("reading {PATH}: {e}"))
        .and_then(|committed| regenerate(&committed))
        .and_then(|text| std::fs::write(PATH, text).map_err(|e| format!("writing {PATH}: {e}")));
    match result {
        Ok(()) => println!("wrote {PATH}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
