//! edgeprobe: a serverless, multi-region probe network that tells which layer behind a CDN
//! failed, and says so in plain words.
//!
//! Layout:
//! - [`core`]: the pure, clock-free part that decides (parsing, validation, diagnosis,
//!   alerting, rollups, rendering). Compiles natively; tested with `cargo test`.
//! - `platform` (wasm32 only): the thin Cloudflare Workers layer that gathers facts (fetch,
//!   sockets), runs Durable Objects and alarms, and carries out the core's effects (D1, KV,
//!   webhooks). It makes no decisions.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod platform;
