//! Who produced a response: each CDN's and reverse proxy's conventions for telling an error it
//! generated itself from one it passed through from the origin, plus where (PoP) and whether
//! it came from cache.
//!
//! It also recognises the default gateway pages of the reverse proxy on the origin host itself
//! (nginx, Apache httpd, HAProxy, Caddy, Envoy, Traefik, IIS with ARR) about its upstream
//! application server ([`upstream_error`]).
//!
//! This module owns the reading of response headers and error bodies (documented with sources
//! in docs/cdn-conventions.md), matched case-insensitively on the text people see. It must not
//! decide the diagnosis: when a response alone cannot say who made it, it answers `Unknown` and
//! the engine resolves it with the origin path.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::observation::ResponseSummary;

/// The CDN or proxy in front, as the response shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cdn {
    Cloudflare,
    CloudFront,
    Fastly,
    Akamai,
    /// nginx (or a generic reverse proxy announcing itself as nginx).
    Nginx,
    Unknown,
}

impl Cdn {
    pub fn name(self) -> &'static str {
        match self {
            Cdn::Cloudflare => "Cloudflare",
            Cdn::CloudFront => "CloudFront",
            Cdn::Fastly => "Fastly",
            Cdn::Akamai => "Akamai",
            Cdn::Nginx => "nginx",
            Cdn::Unknown => "an unidentified server",
        }
    }
}

/// Who generated an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorSource {
    /// Status < 400: not an error.
    NotAnError,
    /// The CDN/proxy made the error itself (its own status code or error page).
    Edge,
    /// The error came from the origin and was passed through.
    Origin,
    /// The response alone cannot say.
    Unknown,
}

/// Why an edge-generated error happened, as the edge's code or page states it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EdgeErrorClass {
    ConnectRefused,
    ConnectTimeout,
    ConnectOther,
    /// Connected, but the origin did not answer within the edge's read timeout.
    OriginTimeout,
    TlsHandshake,
    TlsInvalidCert,
    InvalidResponse,
    OriginDns,
    Unknown,
}

impl EdgeErrorClass {
    /// Classes where the edge never got an HTTP exchange going with the origin.
    pub fn is_connect(self) -> bool {
        matches!(
            self,
            EdgeErrorClass::ConnectRefused
                | EdgeErrorClass::ConnectTimeout
                | EdgeErrorClass::ConnectOther
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheStatus {
    Hit,
    Miss,
    Stale,
    Expired,
    Updating,
    Revalidated,
    Bypass,
    Dynamic,
}

/// What the response says about who produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Attribution {
    pub cdn: Cdn,
    pub source: ErrorSource,
    /// For edge-generated errors: every class consistent with the response, sorted. One when
    /// the edge's code is specific (Cloudflare 522), several when it is not (nginx 504:
    /// connect or read timeout). Empty otherwise.
    pub error_classes: Vec<EdgeErrorClass>,
    /// The PoP/colo that answered, when a header says.
    pub pop: Option<String>,
    pub cache: Option<CacheStatus>,
    /// The `Age` header, in seconds.
    pub age_s: Option<u64>,
}

impl Attribution {
    /// The single class, when the edge's code is specific.
    pub fn single_class(&self) -> Option<EdgeErrorClass> {
        match self.error_classes.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// True when every consistent class is a connect failure, or a gateway error that covers
    /// connect failures (nginx 502/504, CloudFront 502/504): the edge did not get a usable
    /// answer from the origin.
    pub fn is_gateway_connect_class(&self) -> bool {
        !self.error_classes.is_empty()
            && self.error_classes.iter().any(|c| c.is_connect())
            && self.error_classes.iter().all(|c| {
                c.is_connect()
                    || matches!(
                        c,
                        EdgeErrorClass::OriginTimeout
                            | EdgeErrorClass::InvalidResponse
                            | EdgeErrorClass::TlsHandshake
                            | EdgeErrorClass::TlsInvalidCert
                    )
            })
    }

    /// True when the response was served from the edge's cache.
    pub fn served_from_cache(&self) -> bool {
        matches!(
            self.cache,
            Some(
                CacheStatus::Hit
                    | CacheStatus::Stale
                    | CacheStatus::Updating
                    | CacheStatus::Revalidated
            )
        ) || (self.age_s.unwrap_or(0) > 0
            && !matches!(
                self.cache,
                Some(
                    CacheStatus::Miss
                        | CacheStatus::Bypass
                        | CacheStatus::Dynamic
                        | CacheStatus::Expired
                )
            ))
    }
}

fn header<'a>(r: &'a ResponseSummary, name: &str) -> Option<&'a str> {
    r.headers.get(name).map(String::as_str)
}

fn lower(s: Option<&str>) -> String {
    s.unwrap_or("").to_ascii_lowercase()
}

/// Says who produced a response, which error class an edge-made error states, where and
/// whether it came from cache.
pub fn attribute(r: &ResponseSummary) -> Attribution {
    let server = lower(header(r, "server"));
    let via = lower(header(r, "via"));
    let x_cache = lower(header(r, "x-cache"));
    let body_l = normalized_body(r);

    let cdn = if header(r, "cf-ray").is_some() || server == "cloudflare" {
        Cdn::Cloudflare
    } else if server == "cloudfront"
        || via.contains("(cloudfront)")
        || header(r, "x-amz-cf-pop").is_some()
        || header(r, "x-amz-cf-id").is_some()
        || x_cache.contains("cloudfront")
    {
        Cdn::CloudFront
    } else if header(r, "x-fastly-request-id").is_some()
        || lower(header(r, "x-served-by")).contains("cache-")
        || body_l.contains("varnish cache server")
    {
        Cdn::Fastly
    } else if server.starts_with("akamaighost")
        || header(r, "akamai-grn").is_some()
        || header(r, "x-akamai-request-id").is_some()
    {
        Cdn::Akamai
    } else if server.starts_with("nginx") || body_l.contains("<center>nginx") {
        Cdn::Nginx
    } else {
        Cdn::Unknown
    };

    let (source, mut error_classes) = if r.status < 400 {
        (ErrorSource::NotAnError, Vec::new())
    } else {
        match cdn {
            Cdn::Cloudflare => cloudflare(r.status, &server, &body_l),
            Cdn::CloudFront => cloudfront(r.status, &server, &body_l),
            Cdn::Fastly => fastly(&body_l),
            Cdn::Akamai => akamai(r.status, &server, &body_l),
            Cdn::Nginx => nginx(r.status, &body_l),
            Cdn::Unknown => (ErrorSource::Unknown, Vec::new()),
        }
    };
    error_classes.sort();
    error_classes.dedup();

    Attribution {
        cdn,
        source,
        error_classes,
        pop: pop(r),
        cache: cache_status(r),
        age_s: header(r, "age").and_then(|a| a.trim().parse().ok()),
    }
}

/// The error body as the vendors' texts are matched: lower-case (pages differ in case between
/// versions, and users quote them capitalised), with the numeric character references some
/// vendors write (Akamai: `Reference&#32;&#35;18&#46;…`) decoded, and whitespace collapsed.
fn normalized_body(r: &ResponseSummary) -> String {
    let body = r.body_excerpt.as_deref().unwrap_or("");
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let decoded = after.find(';').filter(|end| *end <= 6).and_then(|end| {
            let code = &after[..end];
            let n = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => code.parse::<u32>().ok(),
            };
            n.and_then(char::from_u32).map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn body_says_origin(body: &str, marker: &str) -> ErrorSource {
    if body.is_empty() {
        ErrorSource::Unknown
    } else if body.contains(marker) {
        ErrorSource::Edge
    } else {
        ErrorSource::Origin
    }
}

fn cloudflare(status: u16, server: &str, body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    use EdgeErrorClass::*;
    let class = match status {
        520 => Some(InvalidResponse),
        521 => Some(ConnectRefused),
        522 => Some(ConnectTimeout),
        523 => Some(ConnectOther),
        524 => Some(OriginTimeout),
        525 => Some(TlsHandshake),
        526 => Some(TlsInvalidCert),
        527 => Some(ConnectOther),
        530 if body.contains("1016") => Some(OriginDns),
        530 => Some(Unknown),
        _ => None,
    };
    if let Some(c) = class {
        // The 52x codes are Cloudflare's own; an origin cannot make Cloudflare emit them.
        return (ErrorSource::Edge, vec![c]);
    }
    // Cloudflare rewrites Server to "cloudflare" on everything it proxies, so only its own
    // error page (which names Cloudflare and a Ray ID) proves it made a 4xx/5xx itself.
    if server != "cloudflare" {
        return (ErrorSource::Origin, Vec::new());
    }
    if body.contains("cloudflare") && (body.contains("ray id") || body.contains("error code")) {
        let classes = match status {
            502 => vec![InvalidResponse, ConnectOther],
            504 => vec![OriginTimeout, ConnectTimeout],
            _ => vec![Unknown],
        };
        return (ErrorSource::Edge, classes);
    }
    passed_through(body)
}

fn cloudfront(status: u16, server: &str, body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    use EdgeErrorClass::*;
    // "X-Cache: Error from cloudfront" marks any error response, origin-made ones included,
    // so only CloudFront's own page (or its Server header) shows it generated the error.
    let own_page =
        body.contains("could not be satisfied") || body.contains("generated by cloudfront");
    let source = if own_page {
        ErrorSource::Edge
    } else if !server.is_empty() && server != "cloudfront" {
        ErrorSource::Origin
    } else if server == "cloudfront" && body.is_empty() {
        ErrorSource::Unknown
    } else {
        body_says_origin(body, "cloudfront")
    };
    if source != ErrorSource::Edge {
        return (source, Vec::new());
    }
    let classes = match status {
        502 if body.contains("ssl") || body.contains("certificate") => {
            vec![TlsHandshake, TlsInvalidCert]
        }
        502 => vec![
            ConnectRefused,
            ConnectOther,
            InvalidResponse,
            TlsHandshake,
            TlsInvalidCert,
        ],
        504 => vec![ConnectTimeout, OriginTimeout],
        _ => vec![Unknown],
    };
    (source, classes)
}

fn fastly(body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    use EdgeErrorClass::*;
    let own_page = body.contains("guru meditation")
        || body.contains("varnish cache server")
        || body.contains("fastly");
    // Fastly's documented 503 texts ("Common 503 errors"), matched on the lower-cased page;
    // the first that matches wins, so the specific ones come before the general.
    let phrases: &[(&str, &[EdgeErrorClass])] = &[
        ("first byte timeout", &[OriginTimeout]),
        ("between bytes timeout", &[OriginTimeout]),
        ("connection refused", &[ConnectRefused]),
        ("connection timed out", &[ConnectTimeout]),
        ("certificate", &[TlsInvalidCert]),
        ("hostname doesn't match", &[TlsInvalidCert]),
        ("ssl handshake", &[TlsHandshake]),
        ("backend is unhealthy", &[ConnectOther]),
        ("no healthy backends", &[ConnectOther]),
        ("all backends failed or unhealthy", &[ConnectOther]),
        (
            "backend unavailable, connection failed",
            &[ConnectRefused, ConnectTimeout, ConnectOther],
        ),
        ("backend read error", &[InvalidResponse]),
        ("backend write error", &[InvalidResponse]),
        // Varnish's generic text for a failed backend fetch: connect failures and invalid
        // answers alike. Fastly states timeouts and TLS failures with their own texts above,
        // so it does not cover those there.
        (
            "backend fetch failed",
            &[ConnectRefused, ConnectOther, InvalidResponse],
        ),
    ];
    if let Some((_, classes)) = phrases.iter().find(|(p, _)| body.contains(p)) {
        return (ErrorSource::Edge, classes.to_vec());
    }
    if own_page {
        // Its own page, but the cause is not one of the texts above: do not guess one.
        return (ErrorSource::Edge, vec![Unknown]);
    }
    passed_through(body)
}

fn akamai(status: u16, server: &str, body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    use EdgeErrorClass::*;
    // Akamai's own error pages carry "Reference #<id>"; the origin's pages do not.
    if server.starts_with("akamaighost") && body.contains("reference #") {
        let classes = match status {
            504 => vec![ConnectTimeout, OriginTimeout],
            502 | 503 => vec![ConnectRefused, ConnectOther, InvalidResponse],
            _ => vec![Unknown],
        };
        return (ErrorSource::Edge, classes);
    }
    passed_through(body)
}

fn nginx(status: u16, body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    use EdgeErrorClass::*;
    // nginx's built-in error page ends in <center>nginx[/version]</center>. For 502/504 it is
    // the gateway answer of a proxying nginx; a 500/503 page may equally come from an origin
    // that is itself nginx, so that stays unknown.
    let own_page = body.contains("<center>nginx");
    match status {
        // nginx's 502 covers refused and unreachable upstreams, invalid or reset answers, and
        // TLS failures towards the upstream (handshake, certificate verification).
        502 if own_page => (
            ErrorSource::Edge,
            vec![
                ConnectRefused,
                ConnectOther,
                InvalidResponse,
                TlsHandshake,
                TlsInvalidCert,
            ],
        ),
        504 if own_page => (ErrorSource::Edge, vec![ConnectTimeout, OriginTimeout]),
        _ if own_page => (ErrorSource::Unknown, Vec::new()),
        _ if body.is_empty() => (ErrorSource::Unknown, Vec::new()),
        _ => (ErrorSource::Origin, Vec::new()),
    }
}

/// The reverse proxy running on the origin host itself, in front of the application server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OriginProxy {
    Nginx,
    Apache,
    Haproxy,
    Caddy,
    Envoy,
    Traefik,
    Iis,
}

impl OriginProxy {
    pub fn name(self) -> &'static str {
        match self {
            OriginProxy::Nginx => "nginx",
            OriginProxy::Apache => "Apache httpd",
            OriginProxy::Haproxy => "HAProxy",
            OriginProxy::Caddy => "Caddy",
            OriginProxy::Envoy => "Envoy",
            OriginProxy::Traefik => "Traefik",
            OriginProxy::Iis => "IIS (ARR)",
        }
    }
}

/// What the origin's proxy says about its upstream (the application server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamFault {
    /// Refused, unreachable, reset or no healthy server: nothing usable answers behind it.
    Down,
    /// The upstream did not answer within the proxy's timeout.
    Timeout,
}

/// A gateway error a reverse proxy made about its upstream, recognised from its own default
/// error page (and `Server` header where it sends one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UpstreamError {
    pub proxy: OriginProxy,
    pub fault: UpstreamFault,
    /// False when the page is generic enough that an application could send the same (a bare
    /// "Bad Gateway", Apache's plain 503 page), or when the page covers both faults (IIS's
    /// 502.3): the engine then names the other cause as an alternative.
    pub certain: bool,
}

/// Recognises a reverse proxy's own 502/503/504 page about its upstream (nginx, Apache httpd,
/// HAProxy, Caddy, Envoy, Traefik, IIS with ARR). Only default pages and headers count: an
/// application's own 500/503 page is never taken for one. See docs/cdn-conventions.md.
pub fn upstream_error(r: &ResponseSummary) -> Option<UpstreamError> {
    use OriginProxy::*;
    use UpstreamFault::*;
    if !matches!(r.status, 502..=504) {
        return None;
    }
    let server = lower(header(r, "server"));
    let body = normalized_body(r);
    let found = |proxy, fault, certain| {
        Some(UpstreamError {
            proxy,
            fault,
            certain,
        })
    };
    let status = r.status;

    // nginx: the built-in page ends in <center>nginx[/version]</center>. 502 and 504 are its
    // upstream answers; its 503 comes from limit_req/limit_conn or a `return 503`, so it is
    // not taken as an upstream fault.
    if body.contains("<center>nginx") || (server.starts_with("nginx") && body.is_empty()) {
        return match status {
            502 => found(Nginx, Down, !body.is_empty()),
            504 => found(Nginx, Timeout, !body.is_empty()),
            _ => None,
        };
    }
    // Apache httpd mod_proxy: 502 "Proxy Error" (invalid answer or read error), 503 for a
    // refused or unavailable backend (the page is generic), 504 "Gateway Timeout".
    let apache = server.starts_with("apache") || body.contains("<address>apache");
    if apache {
        if status == 502 && body.contains("proxy error") && body.contains("upstream server") {
            return found(Apache, Down, true);
        }
        if status == 504
            && body.contains("did not receive a timely response from the upstream server")
        {
            return found(Apache, Timeout, true);
        }
        if status == 503 && body.contains("temporarily unable to service your request") {
            return found(Apache, Down, false);
        }
        return None;
    }
    // HAProxy (no Server header by default): its built-in pages.
    if body.contains("no server is available to handle this request") {
        return found(Haproxy, Down, true);
    }
    if status == 504 && body.contains("the server didn't respond in time") {
        return found(Haproxy, Timeout, true);
    }
    if status == 502 && body.contains("the server returned an invalid or incomplete response") {
        return found(Haproxy, Down, true);
    }
    // Envoy: plain-text bodies and `server: envoy`.
    if server.contains("envoy")
        || body.starts_with("upstream connect error")
        || body == "no healthy upstream"
    {
        if body.contains("upstream connect error or disconnect/reset before headers")
            || body.contains("no healthy upstream")
        {
            return found(Envoy, Down, true);
        }
        if status == 504 && body.contains("upstream request timeout") {
            return found(Envoy, Timeout, true);
        }
        return None;
    }
    // Caddy's reverse_proxy answers with an empty body and `Server: Caddy`; it maps dial and
    // read timeouts to 504.
    if server == "caddy" && body.is_empty() {
        return match status {
            502 | 503 => found(Caddy, Down, true),
            _ => found(Caddy, Timeout, true),
        };
    }
    // IIS with Application Request Routing: 502.3 covers refused, reset and timed-out
    // upstreams alike (only the detailed local page says which).
    if server.starts_with("microsoft-iis")
        && status == 502
        && body.contains(
            "web server received an invalid response while acting as a gateway or proxy server",
        )
    {
        return found(Iis, Down, false);
    }
    // Traefik (no Server header by default): Go's bare status text as a text/plain body. An
    // application can send the same words, so it is never certain.
    let plain_text = lower(header(r, "content-type")).starts_with("text/plain");
    if server.is_empty() && plain_text {
        match (status, body.as_str()) {
            (502, "bad gateway") => return found(Traefik, Down, false),
            (503, "service unavailable") => return found(Traefik, Down, false),
            (504, "gateway timeout") => return found(Traefik, Timeout, false),
            _ => {}
        }
    }
    None
}

fn pop(r: &ResponseSummary) -> Option<String> {
    if let Some(ray) = header(r, "cf-ray") {
        let ray = ray.trim();
        if ray == "local" {
            return Some(ray.to_string());
        }
        return ray
            .rsplit_once('-')
            .map(|(_, p)| p.trim().to_string())
            .filter(|p| !p.is_empty());
    }
    if let Some(p) = header(r, "x-amz-cf-pop") {
        return Some(p.trim().to_string()).filter(|p| !p.is_empty());
    }
    if let Some(served) = header(r, "x-served-by") {
        // Fastly lists every cache node, the one nearest the client last.
        let last = served.rsplit(',').next().unwrap_or("").trim();
        if last.starts_with("cache-") {
            return last
                .rsplit_once('-')
                .map(|(_, p)| p.to_string())
                .filter(|p| !p.is_empty());
        }
    }
    None
}

fn parse_cache_word(word: &str) -> Option<CacheStatus> {
    let w = word.trim().to_ascii_lowercase();
    let w = w.split_whitespace().next().unwrap_or("");
    Some(match w {
        "hit" | "tcp_hit" | "tcp_mem_hit" => CacheStatus::Hit,
        "refreshhit" | "revalidated" => CacheStatus::Revalidated,
        "miss" | "tcp_miss" => CacheStatus::Miss,
        "stale" => CacheStatus::Stale,
        "expired" => CacheStatus::Expired,
        "updating" => CacheStatus::Updating,
        "bypass" | "pass" => CacheStatus::Bypass,
        "dynamic" => CacheStatus::Dynamic,
        _ => return None,
    })
}

fn cache_status(r: &ResponseSummary) -> Option<CacheStatus> {
    if let Some(v) = header(r, "cf-cache-status") {
        return parse_cache_word(v);
    }
    if let Some(v) = header(r, "x-cache-status") {
        return parse_cache_word(v);
    }
    // CloudFront: "Hit from cloudfront"; Fastly: "MISS, HIT" (nearest the client last).
    header(r, "x-cache").and_then(|v| parse_cache_word(v.rsplit(',').next().unwrap_or("")))
}

/// No sign of the edge's own error page: with a body, the origin's page was passed through;
/// without one, nothing says who made the error.
fn passed_through(body: &str) -> (ErrorSource, Vec<EdgeErrorClass>) {
    let source = if body.is_empty() {
        ErrorSource::Unknown
    } else {
        ErrorSource::Origin
    };
    (source, Vec::new())
}
