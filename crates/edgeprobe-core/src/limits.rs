//! Platform limits and the bounds and margins derived from them, in one place: a number the
//! Workers platform imposes (or that edgeprobe chose because of one) is defined here once and
//! referenced by every module that obeys it (the core's plans and the Worker's objects alike).
//!
//! Pure constants; the rules that use them (`tick::plan_lanes`, the dispatcher's concurrency,
//! the API's body check) live with their owners.

/// Connections a Worker invocation may have waiting for response headers (a Workers platform
/// limit: more are queued by the runtime, which would eat into every probe's timeout). A region
/// object's lane (`tick::LANE_CONCURRENCY`, two connections per monitor) and the dispatcher's
/// concurrent POSTs both stay within it.
pub const MAX_CONNECTIONS_IN_FLIGHT: usize = 6;

/// Extra time the coordinator grants each monitor beyond its probe's worst case in its lane
/// (cold start, the request and the reply).
pub const FANOUT_MARGIN_MS: i64 = 5_000;

/// Outbox rows the dispatcher takes per alarm; more due rows make the alarm fire again at once.
pub const DELIVERIES_PER_ALARM: u32 = 50;

/// How long one webhook POST may take before it counts as a retryable failure.
pub const DELIVERY_TIMEOUT_MS: u64 = 10_000;

/// How long the dispatcher reads (and discards) a receiver's body so the connection can close
/// cleanly.
pub const DELIVERY_DRAIN_MS: u64 = 2_000;

/// Bytes of a probed response's body read on either path (edge fetch, origin socket); the rest
/// is not read. Keyword checks see only this much.
pub const PROBE_BODY_MAX_BYTES: usize = 64 * 1024;

/// Largest JSON request body the API accepts (413 beyond).
pub const API_BODY_MAX_BYTES: usize = 64 * 1024;
