//! Writes the status pages of the fixture monitors (tests/fixtures/status_page/monitors.json)
//! as static files, laid out like the worker's routes, so they can be served and looked at
//! without a worker (scripts/screenshots.sh does):
//!
//! `cargo run -p edgeprobe-web --example render_status_fixture -- OUT_DIR` writes OUT_DIR/status/index.html,
//! OUT_DIR/status/{slug}/index.html (the public view), OUT_DIR/status/{slug}/operator/index.html
//! (the operator view) and OUT_DIR/status/missing/index.html (the 404 page).

use edgeprobe_web::status_page::{
    render_index, render_monitor, render_not_found, Detail, PageMonitor,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    now: i64,
    site_title: String,
    monitors: Vec<PageMonitor>,
}

fn main() -> Result<(), String> {
    let out = std::env::args()
        .nth(1)
        .ok_or("usage: render_status_fixture OUT_DIR")?;
    let path = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/status_page/monitors.json"
    );
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let f: Fixture = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let write = |rel: &str, html: String| -> Result<(), String> {
        let dir = std::path::Path::new(&out).join(rel);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join("index.html"), html).map_err(|e| format!("{}: {e}", dir.display()))
    };
    write("status", render_index(&f.monitors, f.now, &f.site_title))?;
    for m in &f.monitors {
        // What visitors see, and the operator view (with the API token) beside it.
        write(
            &format!("status/{}", m.slug),
            render_monitor(m, f.now, &f.site_title, Detail::Summary),
        )?;
        write(
            &format!("status/{}/operator", m.slug),
            render_monitor(m, f.now, &f.site_title, Detail::Full),
        )?;
    }
    write("status/missing", render_not_found(&f.site_title))?;
    Ok(())
}
