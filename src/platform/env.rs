//! Configuration from the Worker's environment, the platform's one clock, and random ids.
//! Read once per request and passed down; nothing here decides anything.

use serde::Serialize;
use wasm_bindgen::JsCast;
use worker::Env;

use crate::core::time::UnixMillis;

/// The current time. The only clock read in the project.
pub fn now() -> UnixMillis {
    worker::Date::now().as_millis() as UnixMillis
}

/// A random id with a prefix, e.g. `mon_3f9c...` (crypto.randomUUID without dashes).
pub fn new_id(prefix: &str) -> String {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    let uuid = crypto
        .and_then(|c| {
            let f = js_sys::Reflect::get(&c, &"randomUUID".into()).ok()?;
            f.dyn_into::<js_sys::Function>().ok()?.call0(&c).ok()?.as_string()
        })
        .unwrap_or_default();
    format!("{prefix}_{}", uuid.replace('-', ""))
}

/// A uniform random number in [0, 1) for retry jitter.
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|s| !s.is_empty())
}

pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|v| v.to_string()).or_else(|| var(env, name)).filter(|s| !s.is_empty())
}

#[derive(Serialize)]
pub struct Health {
    pub service: &'static str,
    pub version: &'static str,
    pub build: &'static str,
    pub runtime: String,
}

pub fn health(env: &Env) -> Health {
    Health {
        service: "edgeprobe",
        version: env!("CARGO_PKG_VERSION"),
        build: option_env!("EDGEPROBE_BUILD_ID").unwrap_or("dev"),
        runtime: var(env, "RUNTIME").unwrap_or_else(|| "cloudflare".into()),
    }
}
