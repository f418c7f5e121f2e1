//! The API's route table and the pure matcher that decides 404 vs 405 (with `Allow`) vs 501,
//! and the parsing of the `Authorization` header's scheme.
//!
//! Methods: the request method is compared as the exact token the client sent (methods are
//! case-sensitive, RFC 9110 §9.1). A method outside the standard set this server knows
//! ([`KNOWN_METHODS`]: those of RFC 9110 and PATCH) is answered 501 Not Implemented on every
//! path (`QUERY`, `PURGE`, `PROPFIND`…), as §9.1 recommends for unrecognised methods; a known
//! method on a path that does not serve it is 405 with `Allow`; an unknown path is 404.
//!
//! The platform router serves exactly [`ROUTES`]; `schema/openapi.json` documents exactly the
//! same set (checked by `crates/edgeprobe-web/tests/openapi_spec.rs`). Paths are OpenAPI templates: a `{name}`
//! segment (optionally with a literal suffix, as in `{slug}.svg`) captures one non-empty path
//! segment. This module only matches; handlers and auth checks live in the platform.

/// The OpenAPI 3.1 document served at `GET /api/v1/openapi.json`, embedded at build time.
pub const OPENAPI_JSON: &str = include_str!("../../../schema/openapi.json");

/// Every operation the API serves: one variant per row of [`ROUTES`], matched exhaustively by
/// the platform's dispatcher (a route without a handler is a compile error, not a 500). The
/// OpenAPI `operationId` of each is data on its [`Route`], written once, in [`ROUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    GetHealth,
    GetOpenApi,
    ListMonitors,
    CreateMonitor,
    GetMonitor,
    UpdateMonitor,
    DeleteMonitor,
    GetMonitorStatus,
    ListMonitorResults,
    ListMonitorIncidents,
    ListMonitorRollups,
    CheckMonitorNow,
    GetIncident,
    ListChannels,
    CreateChannel,
    GetChannel,
    UpdateChannel,
    DeleteChannel,
    TestChannel,
    ListChannelDeliveries,
    GetDelivery,
    RedriveDelivery,
    GetStatusPage,
    GetMonitorStatusPage,
    GetBadgeSvg,
    GetBadgeJson,
    GetMetrics,
    ResetMetrics,
    DryRunCheck,
    RotateChannelSecret,
    /// `/` → `/status` (a visitor typing the host lands on the status page).
    GetRoot,
    /// The status pages' icon.
    GetFavicon,
    /// Atom feed of every public monitor's incidents.
    GetStatusFeed,
    /// Atom feed of one public monitor's incidents.
    GetMonitorStatusFeed,
    /// Opens a manual incident.
    CreateIncident,
    /// Posts an operator update to an incident.
    PostIncidentUpdate,
    ListMaintenanceWindows,
    CreateMaintenanceWindow,
    DeleteMaintenanceWindow,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// OpenAPI path template, e.g. `/api/v1/monitors/{id}`.
    pub path: &'static str,
    /// Requires `Authorization: Bearer <API token>`.
    pub auth: bool,
    /// What the dispatcher runs for it.
    pub operation: Operation,
    /// The OpenAPI `operationId` (`schema/openapi.json` must use the same, checked by
    /// `tests/openapi_spec.rs`).
    pub operation_id: &'static str,
}

const fn r(
    method: &'static str,
    path: &'static str,
    auth: bool,
    operation: Operation,
    operation_id: &'static str,
) -> Route {
    Route {
        method,
        path,
        auth,
        operation,
        operation_id,
    }
}

impl Operation {
    /// This operation's row of [`ROUTES`] (every variant has exactly one, unit-tested).
    pub fn route(self) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.operation == self)
            .unwrap_or_else(|| unreachable!("{self:?} has no row in ROUTES"))
    }

    /// The OpenAPI `operationId`.
    pub fn operation_id(self) -> &'static str {
        self.route().operation_id
    }
}

pub const ROUTES: &[Route] = &[
    r("GET", "/healthz", false, Operation::GetHealth, "getHealth"),
    r(
        "GET",
        "/api/v1/openapi.json",
        false,
        Operation::GetOpenApi,
        "getOpenApi",
    ),
    r(
        "GET",
        "/api/v1/monitors",
        true,
        Operation::ListMonitors,
        "listMonitors",
    ),
    r(
        "POST",
        "/api/v1/monitors",
        true,
        Operation::CreateMonitor,
        "createMonitor",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}",
        true,
        Operation::GetMonitor,
        "getMonitor",
    ),
    r(
        "PATCH",
        "/api/v1/monitors/{id}",
        true,
        Operation::UpdateMonitor,
        "updateMonitor",
    ),
    r(
        "DELETE",
        "/api/v1/monitors/{id}",
        true,
        Operation::DeleteMonitor,
        "deleteMonitor",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}/status",
        true,
        Operation::GetMonitorStatus,
        "getMonitorStatus",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}/results",
        true,
        Operation::ListMonitorResults,
        "listMonitorResults",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}/incidents",
        true,
        Operation::ListMonitorIncidents,
        "listMonitorIncidents",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}/rollups",
        true,
        Operation::ListMonitorRollups,
        "listMonitorRollups",
    ),
    r(
        "POST",
        "/api/v1/monitors/{id}/check",
        true,
        Operation::CheckMonitorNow,
        "checkMonitorNow",
    ),
    r(
        "POST",
        "/api/v1/check",
        true,
        Operation::DryRunCheck,
        "dryRunCheck",
    ),
    r(
        "GET",
        "/api/v1/incidents/{id}",
        true,
        Operation::GetIncident,
        "getIncident",
    ),
    r(
        "POST",
        "/api/v1/incidents",
        true,
        Operation::CreateIncident,
        "createIncident",
    ),
    r(
        "POST",
        "/api/v1/incidents/{id}/updates",
        true,
        Operation::PostIncidentUpdate,
        "postIncidentUpdate",
    ),
    r(
        "GET",
        "/api/v1/monitors/{id}/maintenance",
        true,
        Operation::ListMaintenanceWindows,
        "listMaintenanceWindows",
    ),
    r(
        "POST",
        "/api/v1/monitors/{id}/maintenance",
        true,
        Operation::CreateMaintenanceWindow,
        "createMaintenanceWindow",
    ),
    r(
        "DELETE",
        "/api/v1/monitors/{id}/maintenance/{window_id}",
        true,
        Operation::DeleteMaintenanceWindow,
        "deleteMaintenanceWindow",
    ),
    r(
        "GET",
        "/api/v1/channels",
        true,
        Operation::ListChannels,
        "listChannels",
    ),
    r(
        "POST",
        "/api/v1/channels",
        true,
        Operation::CreateChannel,
        "createChannel",
    ),
    r(
        "GET",
        "/api/v1/channels/{id}",
        true,
        Operation::GetChannel,
        "getChannel",
    ),
    r(
        "PATCH",
        "/api/v1/channels/{id}",
        true,
        Operation::UpdateChannel,
        "updateChannel",
    ),
    r(
        "DELETE",
        "/api/v1/channels/{id}",
        true,
        Operation::DeleteChannel,
        "deleteChannel",
    ),
    r(
        "POST",
        "/api/v1/channels/{id}/test",
        true,
        Operation::TestChannel,
        "testChannel",
    ),
    r(
        "POST",
        "/api/v1/channels/{id}/rotate-secret",
        true,
        Operation::RotateChannelSecret,
        "rotateChannelSecret",
    ),
    r(
        "GET",
        "/api/v1/channels/{id}/deliveries",
        true,
        Operation::ListChannelDeliveries,
        "listChannelDeliveries",
    ),
    r(
        "GET",
        "/api/v1/deliveries/{id}",
        true,
        Operation::GetDelivery,
        "getDelivery",
    ),
    r(
        "POST",
        "/api/v1/deliveries/{id}/redrive",
        true,
        Operation::RedriveDelivery,
        "redriveDelivery",
    ),
    r(
        "GET",
        "/status",
        false,
        Operation::GetStatusPage,
        "getStatusPage",
    ),
    // Before `/status/{slug}`: the first matching row wins (a slug never has a dot).
    r(
        "GET",
        "/status/feed.atom",
        false,
        Operation::GetStatusFeed,
        "getStatusFeed",
    ),
    r(
        "GET",
        "/status/{slug}/feed.atom",
        false,
        Operation::GetMonitorStatusFeed,
        "getMonitorStatusFeed",
    ),
    r(
        "GET",
        "/status/{slug}",
        false,
        Operation::GetMonitorStatusPage,
        "getMonitorStatusPage",
    ),
    r(
        "GET",
        "/badge/{slug}.svg",
        false,
        Operation::GetBadgeSvg,
        "getBadgeSvg",
    ),
    r(
        "GET",
        "/badge/{slug}.json",
        false,
        Operation::GetBadgeJson,
        "getBadgeJson",
    ),
    r(
        "GET",
        "/api/v1/metrics",
        true,
        Operation::GetMetrics,
        "getMetrics",
    ),
    r(
        "POST",
        "/api/v1/metrics/reset",
        true,
        Operation::ResetMetrics,
        "resetMetrics",
    ),
    r("GET", "/", false, Operation::GetRoot, "getRoot"),
    r(
        "GET",
        "/favicon.svg",
        false,
        Operation::GetFavicon,
        "getFavicon",
    ),
];

/// The outcome of matching a request line against [`ROUTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// The route and its captured parameters, in template order (percent-decoding is the
    /// caller's choice; values are returned as they appear in the path).
    Found(&'static Route, Vec<(&'static str, String)>),
    /// The path exists under other methods: answer 405 with `Allow: <allow joined by ", ">`.
    /// `HEAD` is listed wherever `GET` is, since the platform answers HEAD for any GET route.
    MethodNotAllowed {
        allow: Vec<&'static str>,
    },
    NotFound,
    /// The method is not one this server knows at all ([`KNOWN_METHODS`]): 501.
    NotImplemented,
}

/// The credentials of an `Authorization` header using the Bearer scheme, or `None`. The
/// scheme name is case-insensitive (RFC 9110 §11.1) and separated from the token by one or
/// more spaces; the token itself is returned as sent (compared by the caller in constant time).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, rest) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ');
    (!token.is_empty()).then_some(token)
}

/// The methods this server recognises (RFC 9110 §9 and PATCH, RFC 5789). Any other token is
/// answered 501 by [`match_route`].
pub const KNOWN_METHODS: [http::Method; 9] = [
    http::Method::GET,
    http::Method::HEAD,
    http::Method::POST,
    http::Method::PUT,
    http::Method::DELETE,
    http::Method::CONNECT,
    http::Method::OPTIONS,
    http::Method::TRACE,
    http::Method::PATCH,
];

/// Matches a method (the exact token of the request line) and a path (no query string).
/// `HEAD` matches `GET` routes.
pub fn match_route(method: &str, path: &str) -> RouteMatch {
    let Some(method) = http::Method::from_bytes(method.as_bytes())
        .ok()
        .filter(|m| KNOWN_METHODS.contains(m))
    else {
        return RouteMatch::NotImplemented;
    };
    let mut allow: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        let Some(params) = match_template(route.path, path) else {
            continue;
        };
        if method == route.method
            || (method == http::Method::HEAD && route.method == http::Method::GET)
        {
            return RouteMatch::Found(route, params);
        }
        if !allow.contains(&route.method) {
            allow.push(route.method);
        }
    }
    if allow.is_empty() {
        return RouteMatch::NotFound;
    }
    if allow.contains(&http::Method::GET.as_str()) {
        allow.push(http::Method::HEAD.as_str());
    }
    RouteMatch::MethodNotAllowed { allow }
}

fn match_template(template: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut t = template.split('/');
    let mut p = path.split('/');
    let mut params = Vec::new();
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(open) = ts.find('{') {
                    let close = ts.find('}')?;
                    let (prefix, name, suffix) =
                        (&ts[..open], &ts[open + 1..close], &ts[close + 1..]);
                    let value = ps.strip_prefix(prefix)?.strip_suffix(suffix)?;
                    if value.is_empty() {
                        return None;
                    }
                    params.push((name, value.to_string()));
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(method: &str, path: &str) -> (&'static str, Vec<(&'static str, String)>) {
        match match_route(method, path) {
            RouteMatch::Found(r, p) => (r.operation_id, p),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    /// (method, path, expected operation, expected parameters)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    #[test]
    fn matches_templates_and_captures_parameters() {
        let cases: [Case; 14] = [
            (
                "POST",
                "/api/v1/incidents/inc_1/updates",
                "postIncidentUpdate",
                &[("id", "inc_1")],
            ),
            (
                "DELETE",
                "/api/v1/monitors/mon_1/maintenance/mw_2",
                "deleteMaintenanceWindow",
                &[("id", "mon_1"), ("window_id", "mw_2")],
            ),
            ("GET", "/healthz", "getHealth", &[]),
            ("GET", "/status/feed.atom", "getStatusFeed", &[]),
            (
                "GET",
                "/status/my-site/feed.atom",
                "getMonitorStatusFeed",
                &[("slug", "my-site")],
            ),
            ("GET", "/", "getRoot", &[]),
            ("GET", "/favicon.svg", "getFavicon", &[]),
            ("POST", "/api/v1/monitors", "createMonitor", &[]),
            (
                "PATCH",
                "/api/v1/monitors/mon_1",
                "updateMonitor",
                &[("id", "mon_1")],
            ),
            (
                "GET",
                "/api/v1/monitors/mon_1/rollups",
                "listMonitorRollups",
                &[("id", "mon_1")],
            ),
            (
                "POST",
                "/api/v1/deliveries/dl_9/redrive",
                "redriveDelivery",
                &[("id", "dl_9")],
            ),
            (
                "GET",
                "/badge/my-site.svg",
                "getBadgeSvg",
                &[("slug", "my-site")],
            ),
            (
                "GET",
                "/badge/my-site.json",
                "getBadgeJson",
                &[("slug", "my-site")],
            ),
            (
                "HEAD",
                "/status/my-site",
                "getMonitorStatusPage",
                &[("slug", "my-site")],
            ),
        ];
        for (method, path, op, params) in cases {
            let (got_op, got_params) = found(method, path);
            assert_eq!(got_op, op, "{method} {path}");
            let expected: Vec<(&str, String)> =
                params.iter().map(|(k, v)| (*k, v.to_string())).collect();
            assert_eq!(got_params, expected, "{method} {path}");
        }
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        assert_eq!(
            match_route("PUT", "/api/v1/monitors/mon_1"),
            RouteMatch::MethodNotAllowed {
                allow: vec!["GET", "PATCH", "DELETE", "HEAD"]
            }
        );
        assert_eq!(
            match_route("GET", "/api/v1/monitors/mon_1/check"),
            RouteMatch::MethodNotAllowed {
                allow: vec!["POST"]
            }
        );
        assert_eq!(
            match_route("DELETE", "/api/v1/monitors"),
            RouteMatch::MethodNotAllowed {
                allow: vec!["GET", "POST", "HEAD"]
            }
        );
    }

    #[test]
    fn methods_the_server_does_not_know_are_501_everywhere() {
        for (method, path) in [
            ("QUERY", "/api/v1/monitors"),
            ("PURGE", "/status"),
            ("PROPFIND", "/healthz"),
            ("QUERY", "/no/such/path"),
            ("get", "/healthz"), // methods are case-sensitive: "get" is not GET
            ("", "/healthz"),
        ] {
            assert_eq!(
                match_route(method, path),
                RouteMatch::NotImplemented,
                "{method} {path}"
            );
        }
        for method in ["OPTIONS", "TRACE", "CONNECT", "PUT"] {
            assert!(
                matches!(
                    match_route(method, "/healthz"),
                    RouteMatch::MethodNotAllowed { .. }
                ),
                "{method}"
            );
        }
        assert_eq!(match_route("OPTIONS", "/nope"), RouteMatch::NotFound);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer abc", Some("abc")),
            ("BEARER abc", Some("abc")),
            ("bEaReR abc", Some("abc")),
            ("Bearer   abc", Some("abc")),
            ("Bearer abc ", Some("abc ")),
            ("Bearerabc", None),
            ("Bearer ", None),
            ("Basic abc", None),
            ("Bearerx abc", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(bearer_token(header), want, "{header:?}");
        }
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "//",
            "/index.html",
            "/api/v1",
            "/api/v1/monitors/",
            "/api/v1/monitors//status",
            "/badge/.svg",
            "/badge/x.png",
            "/api/v1/monitors/a/b",
            "/healthz/",
        ] {
            assert_eq!(match_route("GET", path), RouteMatch::NotFound, "{path}");
        }
    }

    #[test]
    fn table_has_unique_operations_and_method_path_pairs() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert_eq!(a.operation.route(), a, "{:?}", a.operation);
            assert_eq!(a.operation.operation_id(), a.operation_id);
            let method = http::Method::from_bytes(a.method.as_bytes()).expect("a method token");
            assert!(KNOWN_METHODS.contains(&method), "{}", a.method);
            for b in &ROUTES[i + 1..] {
                assert_ne!(a.operation, b.operation);
                assert_ne!(a.operation_id, b.operation_id);
                assert!(
                    a.method != b.method || a.path != b.path,
                    "{} {}",
                    a.method,
                    a.path
                );
            }
            assert_eq!(
                a.auth,
                a.path.starts_with("/api/v1/") && a.path != "/api/v1/openapi.json",
                "{}",
                a.path
            );
        }
    }
}
