//! The numeric limits and defaults of the public API, in one place so that the validator,
//! its tests and the OpenAPI document (checked by `crates/edgeprobe-web/tests/openapi_spec.rs`) agree.

pub const NAME_MAX_CHARS: usize = 100;
pub const URL_MAX_CHARS: usize = 2048;
pub const SLUG_MAX_CHARS: usize = 64;
pub const HEADERS_MAX: usize = 20;
pub const HEADER_VALUE_MAX_CHARS: usize = 1024;
/// Set by the platform from the request line and body framing; a monitor may not override them.
pub const FORBIDDEN_HEADERS: [&str; 4] =
    ["host", "connection", "content-length", "transfer-encoding"];
pub const KEYWORD_MAX_CHARS: usize = 256;
pub const CERT_WARNING_DAYS_MAX: u64 = 365;
pub const LATENCY_FACTOR_RANGE: (u64, u64) = (1, 100);
pub const INTERVAL_SECONDS_RANGE: (u64, u64) = (30, 86_400);
pub const TIMEOUT_MS_RANGE: (u64, u64) = (1_000, 30_000);
pub const RECHECK_SECONDS_RANGE: (u64, u64) = (1, 300);
pub const RECOVERY_ROUNDS_RANGE: (u64, u64) = (1, 20);
/// 0 disables reminders; at most a week.
pub const REMINDER_MINUTES_RANGE: (u64, u64) = (0, 10_080);
pub const FLAP_THRESHOLD_RANGE: (u64, u64) = (0, 100);
pub const FLAP_WINDOW_MINUTES_RANGE: (u64, u64) = (1, 1_440);
pub const SUSTAINED_DOWN_ROUNDS_RANGE: (u64, u64) = (1, 20);
pub const CHANNELS_MAX: usize = 10;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX_CHARS: usize = 50;
pub const MAINTENANCE_MAX: usize = 20;
pub const REASON_MAX_CHARS: usize = 200;
/// Monitors a manual incident may name.
pub const INCIDENT_MONITORS_MAX: usize = 50;
/// An operator update's message.
pub const MESSAGE_MAX_CHARS: usize = 5_000;

pub const DEFAULT_INTERVAL_SECONDS: u64 = 60;
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// Minimum decoded size of a Standard Webhooks signing secret (`whsec_<base64>`).
pub const WEBHOOK_SECRET_MIN_BYTES: usize = 24;
pub const PAGERDUTY_ROUTING_KEY_CHARS: usize = 32;
pub const PAGERDUTY_DEFAULT_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// The Telegram Bot API base (a channel may point elsewhere: a self-hosted Bot API server).
pub const TELEGRAM_DEFAULT_URL: &str = "https://api.telegram.org";
/// Opsgenie's US API base; EU accounts set `https://api.eu.opsgenie.com`.
pub const OPSGENIE_DEFAULT_URL: &str = "https://api.opsgenie.com";

pub const PAGE_LIMIT_RANGE: (u64, u64) = (1, 100);
pub const PAGE_LIMIT_DEFAULT: u32 = 50;
