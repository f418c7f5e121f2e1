//! A monitor's API body (create, or the merge-patched view) checked into a [`Monitor`].
//!
//! Owns the monitor rules (see `limits`) and the conversions between API units (seconds,
//! minutes, RFC 3339, `"200-299"`) and the stored ones (milliseconds, ranges). Must not do
//! I/O: slug uniqueness and the existence of referenced channels are the platform's checks.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use url::Host;

use super::limits::*;
use super::patch::merge_patch;
use super::target::{check_target_host, check_target_port, check_target_url, normalize_host};
use super::text::{display_text_problem, header_name_problem, header_value_problem};
use super::views::monitor_view;
use super::{char_len_ok, field, reject_read_only, Errors, ValidationContext};
use crate::problem::{pointer_push, FieldError};
use edgeprobe_core::monitor::{
    ConfirmationPolicy, Expectations, MaintenanceWindow, Monitor, OriginTarget, OriginTls,
    PublicDetail, Scheme,
};
use edgeprobe_core::time::{parse_rfc3339, UnixMillis, MINUTE, SECOND};

/// The members of a monitor body; anything else is reported as unknown.
pub const MONITOR_FIELDS: &[&str] = &[
    "name",
    "url",
    "origin",
    "method",
    "headers",
    "expect",
    "interval_seconds",
    "timeout_ms",
    "regions",
    "confirmation",
    "channels",
    "public",
    "public_detail",
    "slug",
    "maintenance",
    "tags",
    "paused",
];
/// In the view but not writable.
pub const MONITOR_READ_ONLY: &[&str] = &["id", "created_at", "updated_at"];
/// The members a create body may set to `null` (documented nullable in `MonitorCreate`):
/// no origin, no keyword, no reason. Any other `null` is refused (`super::reject_nulls`).
pub const MONITOR_CREATE_NULLABLE: &[&str] = &[
    "/origin",
    "/origin/tls",
    "/expect/keyword",
    "/maintenance/*/reason",
];

/// Checks a create body. `id` is assigned by the platform; `ctx.now` stamps both times.
pub fn validate_new_monitor(
    v: &Value,
    id: String,
    ctx: &ValidationContext,
) -> Result<Monitor, Vec<FieldError>> {
    let mut e = Errors::default();
    super::reject_nulls(v, "", MONITOR_CREATE_NULLABLE, &mut e);
    let m = build(v, id, ctx.now, ctx, &mut e);
    e.finish(m)
}

/// Merge-patches (RFC 7396) `patch` onto `monitor_view(current)` and re-validates the whole
/// result; read-only members in the patch are reported alongside any other error.
///
/// Exception: `{"paused": true}` alone pauses without re-validating the stored fields. Rules
/// can tighten after a monitor was saved (the target policy, header or port rules), and a
/// monitor whose stored target is now refused must still be stoppable (deleting never
/// validates). Every other patch, including un-pausing, reports such problems.
pub fn apply_monitor_patch(
    current: &Monitor,
    patch: &Value,
    ctx: &ValidationContext,
) -> Result<Monitor, Vec<FieldError>> {
    if is_pause_only(patch) {
        return Ok(Monitor {
            paused: true,
            updated_at: ctx.now,
            ..current.clone()
        });
    }
    let mut e = Errors::default();
    reject_read_only(patch, MONITOR_READ_ONLY, &mut e);
    if !patch.is_object() {
        return Err(e.0);
    }
    let mut merged = monitor_view(current);
    merge_patch(&mut merged, patch);
    if let Value::Object(m) = &mut merged {
        for key in MONITOR_READ_ONLY {
            m.remove(*key);
        }
    }
    let monitor = build(&merged, current.id.clone(), current.created_at, ctx, &mut e);
    e.finish(monitor)
}

fn is_pause_only(patch: &Value) -> bool {
    matches!(patch, Value::Object(m) if m.len() == 1 && m.get("paused") == Some(&Value::Bool(true)))
}

fn build(
    v: &Value,
    id: String,
    created_at: UnixMillis,
    ctx: &ValidationContext,
    e: &mut Errors,
) -> Monitor {
    let Some(m) = e.object(v, "", MONITOR_FIELDS) else {
        return placeholder(id);
    };
    let name = e.text(m, "", "name", NAME_MAX_CHARS);
    let name = e.required(name, "/name").unwrap_or_default().to_string();
    let url = e.string(m, "", "url");
    let url = e
        .required(url, "/url")
        .and_then(|u| check_url(u, "/url", ctx.allow_private_targets, false, e));
    let origin = field(m, "origin").and_then(|o| origin(o, ctx, e));
    let method = match e.string(m, "", "method") {
        Ok(None) => "GET",
        Ok(Some(s @ ("GET" | "HEAD"))) => s,
        Ok(Some(_)) => {
            e.push("/method", "must be GET or HEAD");
            "GET"
        }
        Err(()) => "GET",
    };
    let headers = field(m, "headers")
        .map(|h| headers(h, e))
        .unwrap_or_default();
    let expect = field(m, "expect")
        .map(|x| expectations(x, e))
        .unwrap_or_default();
    let interval_s = e
        .uint(m, "", "interval_seconds", INTERVAL_SECONDS_RANGE)
        .ok()
        .flatten();
    // Slots lie on the scheduler's tick grid (core::tick::Grid), so an interval is whole
    // ticks of this deployment's tick.
    let tick_s = ctx.tick_seconds.max(1);
    let interval_s = match interval_s {
        Some(v) if v % tick_s != 0 => {
            let examples = if 45 % tick_s == 0 {
                "30, 45 or 60"
            } else {
                "60, 120 or 300"
            };
            e.push(
                "/interval_seconds",
                format!("must be a multiple of {tick_s} (the scheduler's tick), e.g. {examples}"),
            );
            None
        }
        v => v,
    };
    let timeout_ms = e.uint(m, "", "timeout_ms", TIMEOUT_MS_RANGE).ok().flatten();
    let regions = regions(m, ctx, e);
    let confirmation = confirmation(field(m, "confirmation"), regions.as_deref(), e);
    let channels = channels(m, e);
    let public = e.boolean(m, "", "public").ok().flatten().unwrap_or(false);
    let public_detail = match e.string(m, "", "public_detail") {
        Ok(Some("full")) => PublicDetail::Full,
        Ok(Some("summary")) | Ok(None) => PublicDetail::Summary,
        Ok(Some(_)) => {
            e.push("/public_detail", "must be one of summary, full".to_string());
            PublicDetail::Summary
        }
        Err(_) => PublicDetail::Summary,
    };
    let slug = match e.string(m, "", "slug") {
        Ok(Some(s)) if is_slug(s) => s.to_string(),
        Ok(Some(_)) => {
            e.push(
                "/slug",
                format!(
                    "must be 1 to {SLUG_MAX_CHARS} lower-case letters, digits and single hyphens, not starting or ending with a hyphen"
                ),
            );
            String::new()
        }
        _ => default_slug(&name, &id),
    };
    let maintenance = maintenance(m, e);
    let tags = tags(m, e);
    let paused = e.boolean(m, "", "paused").ok().flatten().unwrap_or(false);
    Monitor {
        id,
        name,
        url: url.unwrap_or_default(),
        origin,
        method: method.to_string(),
        headers,
        expect,
        interval_ms: interval_s.unwrap_or(DEFAULT_INTERVAL_SECONDS) * SECOND as u64,
        timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS) as u32,
        regions: regions.unwrap_or_default(),
        confirmation,
        channels,
        public,
        public_detail,
        slug,
        maintenance,
        tags,
        paused,
        created_at,
        updated_at: ctx.now,
    }
}

/// Returned with errors only; never seen by callers because `Errors::finish` fails.
fn placeholder(id: String) -> Monitor {
    Monitor {
        id,
        name: String::new(),
        url: String::new(),
        origin: None,
        method: "GET".into(),
        headers: BTreeMap::new(),
        expect: Expectations::default(),
        interval_ms: 0,
        timeout_ms: 0,
        regions: Vec::new(),
        confirmation: ConfirmationPolicy::default(),
        channels: Vec::new(),
        public: false,
        public_detail: PublicDetail::Summary,
        slug: String::new(),
        maintenance: Vec::new(),
        tags: Vec::new(),
        paused: false,
        created_at: 0,
        updated_at: 0,
    }
}

/// An absolute http(s) URL without credentials or fragment, whose host passes the target
/// policy. Returns the normalised URL (as the URL parser serialises it).
pub(crate) fn check_url(
    s: &str,
    ptr: &str,
    allow_private: bool,
    https_only: bool,
    e: &mut Errors,
) -> Option<String> {
    if s.chars().count() > URL_MAX_CHARS {
        e.push(ptr, format!("must be at most {URL_MAX_CHARS} characters"));
        return None;
    }
    let Ok(u) = url::Url::parse(s) else {
        e.push(ptr, "must be an absolute http or https URL");
        return None;
    };
    let before = e.0.len();
    match u.scheme() {
        "https" => {}
        "http" if !https_only || allow_private => {}
        "http" => e.push(ptr, "must use https"),
        _ => e.push(ptr, "must be an absolute http or https URL"),
    }
    if !u.username().is_empty() || u.password().is_some() {
        e.push(ptr, "must not contain credentials");
    }
    if u.fragment().is_some() {
        e.push(ptr, "must not contain a fragment");
    }
    match u.host_str() {
        None | Some("") => e.push(ptr, "must have a host"),
        Some(_) => {
            if let Err(why) = check_target_url(&u, allow_private) {
                e.push(ptr, why);
            }
        }
    }
    (e.0.len() == before).then(|| u.to_string())
}

fn origin(v: &Value, ctx: &ValidationContext, e: &mut Errors) -> Option<OriginTarget> {
    let m = e.object(v, "/origin", &["host", "port", "scheme", "tls"])?;
    let scheme = match e.string(m, "/origin", "scheme") {
        Ok(None) | Ok(Some("https")) => Some(Scheme::Https),
        Ok(Some("http")) => Some(Scheme::Http),
        Ok(Some(_)) => {
            e.push("/origin/scheme", "must be http or https");
            None
        }
        Err(()) => None,
    };
    let host = e.string(m, "/origin", "host");
    let host = e
        .required(host, "/origin/host")
        .and_then(|h| match normalize_host(h) {
            Err(why) => {
                e.push("/origin/host", why);
                None
            }
            Ok(parsed) => match check_target_host(h, ctx.allow_private_targets) {
                Err(why) => {
                    e.push("/origin/host", format!("host {why}"));
                    None
                }
                Ok(()) => Some(match parsed {
                    Host::Ipv6(a) => a.to_string(),
                    other => other.to_string(),
                }),
            },
        });
    let port = match e.uint(m, "/origin", "port", (1, 65_535)) {
        Ok(Some(p)) => match check_target_port(p as u16) {
            Ok(()) => Some(p as u16),
            Err(why) => {
                e.push("/origin/port", why);
                None
            }
        },
        Ok(None) => scheme.map(Scheme::default_port),
        Err(()) => None,
    };
    let tls = match m.get("tls") {
        // null: the defaults (as in a merge patch, where null removes the member).
        None | Some(Value::Null) => Some(OriginTls::default()),
        Some(t) => origin_tls(t, e),
    };
    if scheme == Some(Scheme::Http) && tls.as_ref().is_some_and(|t| !t.is_default()) {
        e.push("/origin/tls", "applies to https origins only");
    }
    Some(OriginTarget {
        host: host?,
        port: port?,
        scheme: scheme?,
        tls: tls?,
    })
}

/// Largest PEM bundle accepted as a monitor's extra trust anchors (a few CA certificates).
pub const MAX_TRUST_ANCHORS_PEM_BYTES: usize = 16 * 1024;

/// `origin.tls`: extra trust anchors (PEM certificates, checked by the same parser the probe
/// uses), the Cloudflare Origin CA switch and the SNI override (a DNS name).
fn origin_tls(v: &Value, e: &mut Errors) -> Option<OriginTls> {
    let base = "/origin/tls";
    let m = e.object(
        v,
        base,
        &[
            "extra_trust_anchors_pem",
            "trust_cloudflare_origin_ca",
            "sni",
        ],
    )?;
    let before = e.0.len();
    let anchors = match e.string(m, base, "extra_trust_anchors_pem") {
        Ok(Some(pem)) if pem.len() > MAX_TRUST_ANCHORS_PEM_BYTES => {
            e.push(
                "/origin/tls/extra_trust_anchors_pem",
                format!("must be at most {MAX_TRUST_ANCHORS_PEM_BYTES} bytes"),
            );
            None
        }
        Ok(Some(pem)) => match edgeprobe_core::tls::parse_pem(pem) {
            Ok(_) => Some(pem.to_string()),
            Err(why) => {
                e.push("/origin/tls/extra_trust_anchors_pem", why);
                None
            }
        },
        _ => None,
    };
    let cf = e
        .boolean(m, base, "trust_cloudflare_origin_ca")
        .ok()
        .flatten()
        .unwrap_or(false);
    let sni = match e.string(m, base, "sni") {
        Ok(Some(name)) => {
            let valid = name.len() <= 253
                && rustls_name_ok(name)
                && name.parse::<std::net::IpAddr>().is_err();
            if valid {
                Some(name.to_ascii_lowercase())
            } else {
                e.push(
                    "/origin/tls/sni",
                    "must be a DNS host name (not an IP address)",
                );
                None
            }
        }
        _ => None,
    };
    (e.0.len() == before).then_some(OriginTls {
        extra_trust_anchors_pem: anchors,
        trust_cloudflare_origin_ca: cf,
        sni,
    })
}

/// A DNS name as TLS sends it in SNI: dot-separated labels of letters, digits and hyphens.
fn rustls_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn headers(v: &Value, e: &mut Errors) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Value::Object(m) = v else {
        e.push("/headers", "must be an object of header names to values");
        return out;
    };
    if m.len() > HEADERS_MAX {
        e.push(
            "/headers",
            format!("must have at most {HEADERS_MAX} headers"),
        );
    }
    for (name, value) in m {
        let ptr = pointer_push("/headers", name);
        let lower = name.to_ascii_lowercase();
        if let Some(why) = header_name_problem(name) {
            e.push(&ptr, why);
        } else if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            e.push(&ptr, "cannot be set: the prober sets it");
        } else if lower == edgeprobe_core::probe_identity::REGION_HEADER {
            e.push(&ptr, "cannot be set: the probe sends its own region in edgeprobe-region, so site operators can rely on it");
        } else if out.contains_key(&lower) {
            e.push(&ptr, "is given more than once (names are case-insensitive)");
        }
        match value {
            Value::String(s) if s.chars().count() > HEADER_VALUE_MAX_CHARS => e.push(
                &ptr,
                format!("must be at most {HEADER_VALUE_MAX_CHARS} characters"),
            ),
            Value::String(s) if header_value_problem(s).is_some() => {
                e.push(&ptr, header_value_problem(s).unwrap_or_default())
            }
            Value::String(s) => {
                out.insert(lower, s.clone());
            }
            _ => e.push(&ptr, "must be a string"),
        }
    }
    out
}

fn expectations(v: &Value, e: &mut Errors) -> Expectations {
    let d = Expectations::default();
    let Some(m) = e.object(
        v,
        "/expect",
        &["statuses", "keyword", "cert_warning_days", "latency_factor"],
    ) else {
        return d;
    };
    let statuses = match e.array(m, "/expect", "statuses", 50) {
        Ok(Some([])) => {
            e.push("/expect/statuses", "must list at least one status or range");
            d.statuses.clone()
        }
        Ok(Some(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let r = parse_status(item);
                if r.is_none() {
                    e.push(
                        format!("/expect/statuses/{i}"),
                        "must be a status code (100-599) or a range such as \"200-299\"",
                    );
                }
                r
            })
            .collect(),
        _ => d.statuses.clone(),
    };
    let keyword = e
        .text(m, "/expect", "keyword", KEYWORD_MAX_CHARS)
        .ok()
        .flatten()
        .map(str::to_string);
    let cert_warning_days = e
        .uint(
            m,
            "/expect",
            "cert_warning_days",
            (0, CERT_WARNING_DAYS_MAX),
        )
        .ok()
        .flatten();
    let latency_factor = e
        .uint(m, "/expect", "latency_factor", LATENCY_FACTOR_RANGE)
        .ok()
        .flatten();
    Expectations {
        statuses,
        keyword,
        cert_warning_days: cert_warning_days.map_or(d.cert_warning_days, |n| n as u32),
        latency_factor: latency_factor.map_or(d.latency_factor, |n| n as u32),
    }
}

fn parse_status(v: &Value) -> Option<(u16, u16)> {
    let in_range = |n: u64| (100..=599).contains(&n).then_some(n as u16);
    match v {
        Value::Number(n) => n.as_u64().and_then(in_range).map(|s| (s, s)),
        Value::String(s) => {
            let (lo, hi) = s.split_once('-').unwrap_or((s, s));
            let lo = in_range(lo.trim().parse().ok()?)?;
            let hi = in_range(hi.trim().parse().ok()?)?;
            (lo <= hi).then_some((lo, hi))
        }
        _ => None,
    }
}

fn regions(m: &Map<String, Value>, ctx: &ValidationContext, e: &mut Errors) -> Option<Vec<String>> {
    let items = match e.array(m, "", "regions", ctx.allowed_regions.len().max(1)) {
        Ok(None) if ctx.default_regions.is_empty() => {
            e.push(
                "/regions",
                "is required: this deployment has no default regions",
            );
            return None;
        }
        Ok(None) => return Some(ctx.default_regions.clone()),
        Ok(Some([])) => {
            e.push("/regions", "must list at least one region");
            return None;
        }
        Ok(Some(items)) => items,
        Err(()) => return None,
    };
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(r) if out.iter().any(|o| o == r) => {
                e.push(format!("/regions/{i}"), "is listed more than once");
                ok = false;
            }
            Some(r) if ctx.allowed_regions.iter().any(|a| a == r) => out.push(r.to_string()),
            _ => {
                e.push(
                    format!("/regions/{i}"),
                    format!("must be one of: {}", ctx.allowed_regions.join(", ")),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn confirmation(
    v: Option<&Value>,
    regions: Option<&[String]>,
    e: &mut Errors,
) -> ConfirmationPolicy {
    let d = ConfirmationPolicy::default();
    let region_count = regions.map_or(u32::MAX as u64, |r| r.len() as u64);
    let default_agree = (d.regions_to_agree as u64).min(region_count).max(1) as u32;
    let Some(v) = v else {
        return ConfirmationPolicy {
            regions_to_agree: default_agree,
            ..d
        };
    };
    let known = [
        "regions_to_agree",
        "recheck_delay_seconds",
        "recovery_rounds",
        "reminder_interval_minutes",
        "flap_threshold",
        "flap_window_minutes",
        "sustained_down_rounds",
    ];
    let Some(m) = e.object(v, "/confirmation", &known) else {
        return d;
    };
    let p = "/confirmation";
    let agree = match field(m, "regions_to_agree").map(Value::as_u64) {
        None => Some(default_agree as u64),
        Some(Some(n)) if n >= 1 && n <= region_count => Some(n),
        Some(_) if regions.is_some() => {
            e.push(
                "/confirmation/regions_to_agree",
                format!("must be an integer from 1 to the number of regions ({region_count})"),
            );
            None
        }
        Some(_) => {
            e.push(
                "/confirmation/regions_to_agree",
                "must be a positive integer",
            );
            None
        }
    };
    let recheck = e
        .uint(m, p, "recheck_delay_seconds", RECHECK_SECONDS_RANGE)
        .ok()
        .flatten();
    let recovery = e
        .uint(m, p, "recovery_rounds", RECOVERY_ROUNDS_RANGE)
        .ok()
        .flatten();
    let reminder = e
        .uint(m, p, "reminder_interval_minutes", REMINDER_MINUTES_RANGE)
        .ok()
        .flatten();
    let flap = e
        .uint(m, p, "flap_threshold", FLAP_THRESHOLD_RANGE)
        .ok()
        .flatten();
    let window = e
        .uint(m, p, "flap_window_minutes", FLAP_WINDOW_MINUTES_RANGE)
        .ok()
        .flatten();
    let sustained = e
        .uint(m, p, "sustained_down_rounds", SUSTAINED_DOWN_ROUNDS_RANGE)
        .ok()
        .flatten();
    ConfirmationPolicy {
        regions_to_agree: agree.unwrap_or(1) as u32,
        recheck_delay_ms: recheck.map_or(d.recheck_delay_ms, |s| (s * SECOND as u64) as u32),
        recovery_rounds: recovery.map_or(d.recovery_rounds, |n| n as u32),
        reminder_interval_ms: reminder.map_or(d.reminder_interval_ms, |n| n * MINUTE as u64),
        flap_threshold: flap.map_or(d.flap_threshold, |n| n as u32),
        flap_window_ms: window.map_or(d.flap_window_ms, |n| n * MINUTE as u64),
        sustained_down_rounds: sustained.map_or(d.sustained_down_rounds, |n| n as u32),
    }
}

fn is_channel_id(s: &str) -> bool {
    s.strip_prefix("ch_").is_some_and(|rest| {
        char_len_ok(rest, 1, 64)
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

fn channels(m: &Map<String, Value>, e: &mut Errors) -> Vec<String> {
    let Ok(Some(items)) = e.array(m, "", "channels", CHANNELS_MAX) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(id) if !is_channel_id(id) => {
                e.push(format!("/channels/{i}"), "must be a channel id (ch_...)")
            }
            Some(id) if out.iter().any(|o| o == id) => {
                e.push(format!("/channels/{i}"), "is listed more than once")
            }
            Some(id) => out.push(id.to_string()),
            None => e.push(format!("/channels/{i}"), "must be a channel id (ch_...)"),
        }
    }
    out
}

/// `^[a-z0-9](-?[a-z0-9])*$`, 1..=64 characters.
pub(crate) fn is_slug(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= SLUG_MAX_CHARS
        && b.iter().all(|c| alnum(c) || *c == b'-')
        && alnum(&b[0])
        && alnum(&b[b.len() - 1])
        && !s.contains("--")
}

/// A slug derived from the name (or, for names with no ASCII letters or digits, the id).
fn default_slug(name: &str, id: &str) -> String {
    let slugify = |s: &str| {
        let mut out = String::new();
        for c in s.chars().map(|c| c.to_ascii_lowercase()) {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        out.truncate(SLUG_MAX_CHARS);
        out.trim_end_matches('-').to_string()
    };
    [slugify(name), slugify(id)]
        .into_iter()
        .find(|s| is_slug(s))
        .unwrap_or_else(|| "monitor".into())
}

fn maintenance(m: &Map<String, Value>, e: &mut Errors) -> Vec<MaintenanceWindow> {
    let Ok(Some(items)) = e.array(m, "", "maintenance", MAINTENANCE_MAX) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| window(item, &format!("/maintenance/{i}"), e))
        .collect()
}

/// One maintenance window object at `base` (`/maintenance/<i>` in a monitor body, the root of
/// `POST /monitors/{id}/maintenance`), every bad member reported.
pub(crate) fn window(item: &Value, base: &str, e: &mut Errors) -> Option<MaintenanceWindow> {
    let w = e.object(item, base, &["starts_at", "ends_at", "reason"])?;
    let time = |key: &str, e: &mut Errors| -> Option<UnixMillis> {
        let got = e.string(w, base, key);
        let s = e.required(got, &pointer_push(base, key))?;
        let t = parse_rfc3339(s);
        if t.is_none() {
            e.push(
                pointer_push(base, key),
                "must be an RFC 3339 date-time, e.g. 2026-11-21T23:00:00Z",
            );
        }
        t
    };
    let starts_at = time("starts_at", e);
    let ends_at = time("ends_at", e);
    let reason = e
        .text(w, base, "reason", REASON_MAX_CHARS)
        .ok()
        .flatten()
        .map(str::to_string);
    let (s, t) = (starts_at?, ends_at?);
    if t <= s {
        e.push(format!("{base}/ends_at"), "must be after starts_at");
    }
    Some(MaintenanceWindow {
        starts_at: s,
        ends_at: t,
        reason,
    })
}

fn tags(m: &Map<String, Value>, e: &mut Errors) -> Vec<String> {
    let Ok(Some(items)) = e.array(m, "", "tags", TAGS_MAX) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(t) if !char_len_ok(t, 1, TAG_MAX_CHARS) || display_text_problem(t).is_some() => e
                .push(
                    format!("/tags/{i}"),
                    format!(
                        "must be 1 to {TAG_MAX_CHARS} printable characters: {}",
                        display_text_problem(t).unwrap_or("too long or empty")
                    ),
                ),
            Some(t) if out.iter().any(|o| o == t) => {
                e.push(format!("/tags/{i}"), "is listed more than once")
            }
            Some(t) => out.push(t.to_string()),
            None => e.push(format!("/tags/{i}"), "must be a string"),
        }
    }
    out
}
