//! Configuration from the Worker's environment, the platform's one clock, and random ids.
//! Read once per request and passed down; nothing here decides anything.

use wasm_bindgen::JsCast;
use worker::Env;

use edgeprobe_core::time::UnixMillis;
use edgeprobe_web::validate::ValidationContext;

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
            f.dyn_into::<js_sys::Function>()
                .ok()?
                .call0(&c)
                .ok()?
                .as_string()
        })
        .unwrap_or_default();
    format!("{prefix}_{}", uuid.replace('-', ""))
}

/// 32 bytes from the platform's CSPRNG (`crypto.getRandomValues`), for generated secrets;
/// `None` if the runtime has no `crypto` (then no secret is made up from weaker sources).
pub fn random_bytes32() -> Option<[u8; 32]> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let f = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let buf = js_sys::Uint8Array::new_with_length(32);
    f.call1(&crypto, &buf).ok()?;
    let mut out = [0u8; 32];
    buf.copy_to(&mut out);
    Some(out)
}

/// A uniform random number in [0, 1) for retry jitter.
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|s| !s.is_empty())
}

pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| var(env, name))
        .filter(|s| !s.is_empty())
}

fn list(env: &Env, name: &str, default: &str) -> Vec<String> {
    var(env, name)
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Everything the Worker reads from its vars, once per request or alarm.
#[derive(Debug, Clone)]
pub struct Config {
    pub regions: Vec<String>,
    pub default_regions: Vec<String>,
    pub allow_private_targets: bool,
    /// Base URL for links in alerts; empty means "derive from the request".
    pub public_base_url: String,
    pub docs_base_url: String,
    pub retention_raw_days: u32,
    pub site_title: String,
    /// Coordinator objects the schedule is split over (`COORDINATOR_SHARDS`, default 1; see
    /// docs/capacity.md "Past one object").
    pub coordinator_shards: u32,
    /// How lanes are sized: most monitors per region lane (`LANE_MAX_MONITORS`, default
    /// `core::tick::LANE_MAX_MONITORS`, at most 400) and a lane's worst case
    /// (`LANE_BUDGET_SECONDS`, default 120, 30–900); docs/capacity.md.
    pub lanes: edgeprobe_core::tick::LaneRule,
    /// The scheduler's tick (`TICK_SECONDS`: 5 (default), 10, 15, 20, 30 or 60; any other value
    /// is ignored): longer ticks put more monitors in each alarm and lane (docs/capacity.md).
    /// Monitor intervals must be whole ticks.
    pub grid: edgeprobe_core::tick::Grid,
}

impl Config {
    pub fn from_env(env: &Env) -> Config {
        Config {
            regions: list(env, "REGIONS", "wnam,enam,sam,weur,eeur,apac,oc,afr,me"),
            default_regions: list(env, "DEFAULT_REGIONS", "wnam,enam,weur,apac"),
            allow_private_targets: var(env, "ALLOW_PRIVATE_TARGETS").as_deref() == Some("true"),
            public_base_url: var(env, "PUBLIC_BASE_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            docs_base_url: var(env, "DOCS_BASE_URL")
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            retention_raw_days: var(env, "RETENTION_RAW_DAYS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(7),
            site_title: var(env, "SITE_TITLE").unwrap_or_else(|| "edgeprobe status".into()),
            coordinator_shards: var(env, "COORDINATOR_SHARDS")
                .and_then(|v| v.parse().ok())
                .filter(|&n: &u32| (1..=64).contains(&n))
                .unwrap_or(1),
            lanes: edgeprobe_core::tick::LaneRule {
                max_monitors: var(env, "LANE_MAX_MONITORS")
                    .and_then(|v| v.parse().ok())
                    .filter(|&n: &usize| (1..=400).contains(&n))
                    .unwrap_or(edgeprobe_core::tick::LANE_MAX_MONITORS),
                budget_ms: var(env, "LANE_BUDGET_SECONDS")
                    .and_then(|v| v.parse().ok())
                    .filter(|&n: &i64| (30..=900).contains(&n))
                    .map_or(edgeprobe_core::tick::LANE_BUDGET_MS, |s| s * 1_000),
            },
            grid: grid(env),
        }
    }

    pub fn validation(&self, now: UnixMillis) -> ValidationContext {
        ValidationContext {
            allowed_regions: self.regions.clone(),
            default_regions: self.default_regions.clone(),
            allow_private_targets: self.allow_private_targets,
            tick_seconds: (self.grid.tick_ms() / 1_000) as u64,
            now,
        }
    }

    pub fn links(&self) -> edgeprobe_core::alerting::Links {
        edgeprobe_core::alerting::Links {
            base_url: self.public_base_url.clone(),
            docs_base: self.docs_base_url.clone(),
        }
    }
}

/// The scheduler's grid alone (`TICK_SECONDS`, see [`Config::grid`]): the coordinator's alarm
/// needs nothing else of the configuration.
pub fn grid(env: &Env) -> edgeprobe_core::tick::Grid {
    var(env, "TICK_SECONDS")
        .and_then(|v| v.parse().ok())
        .and_then(edgeprobe_core::tick::Grid::from_seconds)
        .unwrap_or_default()
}

/// The health document's type is the API's (`views::ServiceHealth`): its schema is generated.
pub use edgeprobe_web::views::ServiceHealth as Health;

/// The health document: who we are, and whether the database answers with a schema.
pub async fn health(env: &Env) -> Health {
    let schema_version = match env.d1("DB") {
        Ok(db) => db
            .prepare("SELECT value FROM meta WHERE key = 'schema_version'")
            .first::<String>(Some("value"))
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    Health {
        service: "edgeprobe",
        version: env!("CARGO_PKG_VERSION"),
        build: option_env!("EDGEPROBE_BUILD_ID").unwrap_or("dev"),
        runtime: var(env, "RUNTIME").unwrap_or_else(|| "cloudflare".into()),
        schema_version,
    }
}
