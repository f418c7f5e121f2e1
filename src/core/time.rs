//! Time as data. The core never reads a clock: every function that depends on "now" takes a
//! [`UnixMillis`] argument, and the platform layer owns the single clock function.

/// Milliseconds since the Unix epoch (UTC). Signed so that differences are plain subtraction.
pub type UnixMillis = i64;

/// A duration in milliseconds, as observed by a probe (always non-negative).
pub type Millis = u32;

pub const SECOND: i64 = 1_000;
pub const MINUTE: i64 = 60 * SECOND;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;
