//! How a probe names itself to the sites it checks, on both paths (the edge `fetch` and the
//! origin's raw HTTP/1.1 request): a `User-Agent` of the form
//! `edgeprobe/<version> (+<docs url>; region=<region>)` and an `edgeprobe-region: <region>`
//! header, so site operators can recognise probe traffic (and tell regions apart), and so a
//! front can treat one region differently (the test rig fails one region this way).
//!
//! This module owns the header values and the rule for how they combine with a monitor's own
//! headers; both probes call it, so the two paths cannot drift. It must not do I/O or read the
//! environment: the platform passes the version, the docs base URL (`DOCS_BASE_URL`) and the
//! region in.
//!
//! Rules (docs/probe-traffic.md):
//! - `edgeprobe-region` is always the probe's own: a monitor header of that name (any case) is
//!   never sent, so a configuration cannot remove or spoof which region a request came from.
//! - A monitor's own `User-Agent` replaces ours (some sites vary on it, or allow-list a
//!   particular agent); the region header still identifies the probe.
//! - Nothing sent can break a header line: the region keeps only `[a-z0-9-]` (lower-cased),
//!   and a docs URL that is not visible ASCII, or holds `(`, `)` or `\` (which would end the
//!   User-Agent's comment), is left out rather than mangled.
//!
//! These headers identify; they do not authenticate (anyone can send them). To let probes
//! through a firewall, give the monitor a secret header of its own and allow on that.

use std::collections::BTreeMap;

/// The request header naming the region a probe ran from.
pub const REGION_HEADER: &str = "edgeprobe-region";

/// The page the User-Agent links to, under the docs base URL.
pub const DOCS_PAGE: &str = "probe-traffic.md";

/// This build's version, as the User-Agent states it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What one region's probes send to identify themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeIdentity {
    user_agent: String,
    region: String,
}

impl ProbeIdentity {
    /// The identity of probes of `version` running in `region`; `docs_base_url` is where the
    /// docs live (e.g. `https://github.com/edgeprobe/edgeprobe/blob/main/docs`), empty if unknown.
    pub fn new(version: &str, docs_base_url: &str, region: &str) -> ProbeIdentity {
        let region: String = region
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let region = if region.is_empty() {
            "unknown".to_string()
        } else {
            region
        };
        let version: String = version
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"()\\".contains(*c))
            .collect();
        let base = docs_base_url.trim().trim_end_matches('/');
        let docs_ok = !base.is_empty()
            && base
                .chars()
                .all(|c| c.is_ascii_graphic() && !"()\\".contains(c));
        let user_agent = if docs_ok {
            format!("edgeprobe/{version} (+{base}/{DOCS_PAGE}; region={region})")
        } else {
            format!("edgeprobe/{version} (region={region})")
        };
        ProbeIdentity { user_agent, region }
    }

    /// Our User-Agent (sent unless the monitor sets its own).
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The `edgeprobe-region` value: the region, reduced to `[a-z0-9-]`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The probe's own headers for a request that also carries `monitor_headers`, in the order
    /// they are sent: `User-Agent` unless the monitor has one, then `edgeprobe-region` always.
    pub fn own_headers(
        &self,
        monitor_headers: &BTreeMap<String, String>,
    ) -> Vec<(&'static str, &str)> {
        let mut out = Vec::with_capacity(2);
        if !monitor_headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("user-agent"))
        {
            out.push(("User-Agent", self.user_agent.as_str()));
        }
        out.push((REGION_HEADER, self.region.as_str()));
        out
    }
}

/// True for a monitor header that is never sent as configured because the probe owns it.
pub fn is_probe_owned(name: &str) -> bool {
    name.trim().eq_ignore_ascii_case(REGION_HEADER)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCS: &str = "https://github.com/edgeprobe/edgeprobe/blob/main/docs";

    #[test]
    fn user_agent_and_region_header_values() {
        // (version, docs base URL, region) -> (User-Agent, edgeprobe-region)
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            (
                "0.1.0",
                DOCS,
                "weur",
                "edgeprobe/0.1.0 (+https://github.com/edgeprobe/edgeprobe/blob/main/docs/probe-traffic.md; region=weur)",
                "weur",
            ),
            (
                "0.1.0",
                "https://docs.example/",
                "apac",
                "edgeprobe/0.1.0 (+https://docs.example/probe-traffic.md; region=apac)",
                "apac",
            ),
            ("2.3.4-rc.1", "", "enam", "edgeprobe/2.3.4-rc.1 (region=enam)", "enam"),
            ("0.1.0", "   ", "oc", "edgeprobe/0.1.0 (region=oc)", "oc"),
            // A URL that would end the comment early, or split the header line, is left out.
            ("0.1.0", "https://x.example/a)b", "me", "edgeprobe/0.1.0 (region=me)", "me"),
            ("0.1.0", "https://x.example/\r\nX-Evil: 1", "me", "edgeprobe/0.1.0 (region=me)", "me"),
            ("0.1.0", "https://x.example/doc s", "me", "edgeprobe/0.1.0 (region=me)", "me"),
            // Regions are lower-cased and reduced to [a-z0-9-]; nothing can inject a header.
            ("0.1.0", "", "WEUR", "edgeprobe/0.1.0 (region=weur)", "weur"),
            ("0.1.0", "", "apac\r\nX-Evil: 1", "edgeprobe/0.1.0 (region=apacx-evil1)", "apacx-evil1"),
            ("0.1.0", "", "eu-west 2", "edgeprobe/0.1.0 (region=eu-west2)", "eu-west2"),
            ("0.1.0", "", "", "edgeprobe/0.1.0 (region=unknown)", "unknown"),
            ("0.1.0", "", "é", "edgeprobe/0.1.0 (region=unknown)", "unknown"),
        ];
        for (version, docs, region, ua, header) in cases {
            let id = ProbeIdentity::new(version, docs, region);
            assert_eq!(
                (id.user_agent(), id.region()),
                (*ua, *header),
                "version {version:?}, docs {docs:?}, region {region:?}"
            );
            assert!(
                id.user_agent().bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{:?}",
                id.user_agent()
            );
        }
    }

    #[test]
    fn region_header_always_ours_user_agent_only_by_default() {
        let id = ProbeIdentity::new("0.1.0", DOCS, "apac");
        let h = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        // (monitor headers) -> the probe's own headers
        type Case<'a> = (BTreeMap<String, String>, Vec<(&'a str, &'a str)>);
        let ua = id.user_agent();
        let cases: Vec<Case> = vec![
            (
                h(&[]),
                vec![("User-Agent", ua), ("edgeprobe-region", "apac")],
            ),
            (
                h(&[("X-Token", "abc")]),
                vec![("User-Agent", ua), ("edgeprobe-region", "apac")],
            ),
            (
                h(&[("user-agent", "MyBot/1")]),
                vec![("edgeprobe-region", "apac")],
            ),
            (
                h(&[("User-Agent", "MyBot/1")]),
                vec![("edgeprobe-region", "apac")],
            ),
            // A monitor cannot replace or remove the region header: ours is still sent.
            (
                h(&[("EdgeProbe-Region", "weur")]),
                vec![("User-Agent", ua), ("edgeprobe-region", "apac")],
            ),
        ];
        for (monitor, want) in cases {
            assert_eq!(
                id.own_headers(&monitor),
                want,
                "monitor headers {monitor:?}"
            );
        }
        for (name, owned) in [
            ("edgeprobe-region", true),
            ("EDGEPROBE-REGION", true),
            (" edgeprobe-region ", true),
            ("edgeprobe-regions", false),
            ("user-agent", false),
            ("x-edgeprobe-region", false),
        ] {
            assert_eq!(is_probe_owned(name), owned, "{name:?}");
        }
    }
}
