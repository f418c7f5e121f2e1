//! Naming a platform failure: the runtime's error text, how fast it came and what was being
//! contacted, turned into an observation variant. Conservative by design: a cause is named
//! only when the text or a certainty (RFC 6761's `.invalid`, a DNS answer) supports it;
//! otherwise the coarse variant keeps the runtime's words, never a guess.
//!
//! Observed under workerd (wrangler dev), recorded in `platform::probe::origin`:
//! `connect()` says "proxy request failed, cannot connect to the specified address" alike for
//! a refused port, an unreachable network and a name that does not resolve; a TLS failure on
//! a StartTLS socket surfaces on the first read as "internal error; reference = …".

use serde_json::Value;

use crate::observation::{ConnectStep, EdgeFailure, TlsStep};
use crate::time::Millis;

/// A connect error faster than this is an answer from the peer's host (RST), not a timeout.
pub const FAST_FAILURE_MS: Millis = 1_000;

/// Whether connecting to `host` needs a name lookup (not an IP literal, not localhost).
pub fn needs_lookup(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host.parse::<std::net::IpAddr>().is_err()
        && host != "localhost"
        && !host.ends_with(".localhost")
}

/// A connect failure, by the runtime's text, its speed, and the host.
pub fn connect_failure(host: &str, detail: &str, ms: Millis) -> ConnectStep {
    let d = detail.to_ascii_lowercase();
    let detail = detail.to_string();
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if name == "invalid" || name.ends_with(".invalid") {
        // RFC 6761: names under .invalid never resolve.
        ConnectStep::DnsFailed { ms, detail }
    } else if d.contains("dns")
        || d.contains("resolve")
        || d.contains("not known")
        || d.contains("no such host")
        || d.contains("enotfound")
    {
        ConnectStep::DnsFailed { ms, detail }
    } else if d.contains("refused")
        || (d.contains("cannot connect") && ms < FAST_FAILURE_MS && !needs_lookup(host))
    {
        ConnectStep::Refused { ms, detail }
    } else if d.contains("unreachable")
        || d.contains("no route")
        || d.contains("prohibited")
        || d.contains("not allowed")
        || d.contains("blocked")
    {
        ConnectStep::Unreachable { ms, detail }
    } else if d.contains("timed out") || d.contains("timeout") {
        ConnectStep::TimedOut { ms }
    } else {
        ConnectStep::Failed { ms, detail }
    }
}

/// A TLS failure: named only when the text names the cause, else the coarse `Failed`.
pub fn tls_failure(detail: &str, ms: Millis) -> TlsStep {
    let d = detail.to_ascii_lowercase();
    let detail = detail.to_string();
    if d.contains("expired") {
        TlsStep::Expired { ms, detail }
    } else if d.contains("self signed")
        || d.contains("self-signed")
        || d.contains("unknown ca")
        || d.contains("untrusted")
        || d.contains("unable to get local issuer")
    {
        TlsStep::Untrusted { ms, detail }
    } else if d.contains("hostname")
        || d.contains("host name")
        || d.contains("subject alternative name")
    {
        TlsStep::HostnameMismatch { ms, detail }
    } else {
        TlsStep::Failed { ms, detail }
    }
}

/// An edge fetch failure (our own abort is classified as `Timeout` by the caller).
pub fn edge_failure(detail: &str) -> EdgeFailure {
    let d = detail.to_ascii_lowercase();
    if d.contains("dns")
        || d.contains("name not resolved")
        || d.contains("could not resolve")
        || d.contains("enotfound")
    {
        EdgeFailure::Dns
    } else if d.contains("tls") || d.contains("ssl") || d.contains("certificate") {
        EdgeFailure::Tls
    } else if d.contains("network connection lost")
        || d.contains("connection refused")
        || d.contains("connection reset")
        || d.contains("cannot connect")
    {
        EdgeFailure::Connection
    } else {
        EdgeFailure::Other
    }
}

/// What a DNS-over-HTTPS lookup (JSON API, RFC 8484's JSON variant as served by public
/// resolvers) said about a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    /// NXDOMAIN: the name does not exist.
    NoSuchName,
    /// The name exists but has no A/AAAA records.
    NoAddress,
    /// The name resolves.
    Resolves,
    /// SERVFAIL or anything unreadable: the lookup itself says nothing.
    Unknown,
}

/// Reads a DNS JSON answer (`{"Status":3,...}`, `"Answer":[{"type":1,...}]`).
pub fn parse_dns_json(body: &str) -> DnsAnswer {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return DnsAnswer::Unknown;
    };
    match v.get("Status").and_then(Value::as_u64) {
        Some(3) => DnsAnswer::NoSuchName,
        Some(0) => {
            let has_address = v.get("Answer").and_then(Value::as_array).is_some_and(|a| {
                a.iter()
                    .any(|r| matches!(r.get("type").and_then(Value::as_u64), Some(1) | Some(28)))
            });
            if has_address {
                DnsAnswer::Resolves
            } else {
                DnsAnswer::NoAddress
            }
        }
        _ => DnsAnswer::Unknown,
    }
}

/// Refines a coarse connect failure on a name with what DNS said about that name. A name that
/// does not exist (or has no address) is a DNS failure; a name that resolves and still fails
/// fast was refused or unreachable at its address, which stays `Failed` (the runtime does not
/// say which) but is no longer a possible DNS failure; an unknown answer changes nothing.
pub fn refine_with_dns(step: ConnectStep, answer: &DnsAnswer) -> ConnectStep {
    match (step, answer) {
        (ConnectStep::Failed { ms, detail }, DnsAnswer::NoSuchName) => ConnectStep::DnsFailed {
            ms,
            detail: format!("{detail} (DNS: no such name)"),
        },
        (ConnectStep::Failed { ms, detail }, DnsAnswer::NoAddress) => ConnectStep::DnsFailed {
            ms,
            detail: format!("{detail} (DNS: no A/AAAA records)"),
        },
        (ConnectStep::Failed { ms, detail }, DnsAnswer::Resolves) if ms < FAST_FAILURE_MS => {
            ConnectStep::Refused {
                ms,
                detail: format!("{detail} (DNS resolves; the address refused)"),
            }
        }
        (step, _) => step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKERD_CONNECT: &str =
        "Error: proxy request failed, cannot connect to the specified address";

    #[test]
    fn connect_failures_are_named_only_when_certain() {
        let cases: &[(&str, &str, Millis, &str)] = &[
            ("127.0.0.1", WORKERD_CONNECT, 3, "refused"),
            ("localhost", WORKERD_CONNECT, 3, "refused"),
            ("::1", WORKERD_CONNECT, 2, "refused"),
            ("origin.example.com", WORKERD_CONNECT, 5, "failed"),
            ("origin.edgeprobe.invalid", WORKERD_CONNECT, 5, "dns_failed"),
            (
                "origin.example.com",
                "getaddrinfo ENOTFOUND origin.example.com",
                9,
                "dns_failed",
            ),
            ("203.0.113.9", "connect ECONNREFUSED", 1, "refused"),
            ("203.0.113.9", "Network is unreachable", 1, "unreachable"),
            ("203.0.113.9", "connection timed out", 20_000, "timed_out"),
            ("203.0.113.9", WORKERD_CONNECT, 5_000, "failed"),
            ("203.0.113.9", "something new", 5, "failed"),
        ];
        for &(host, text, ms, want) in cases {
            let got = serde_json::to_value(connect_failure(host, text, ms)).unwrap();
            assert_eq!(got["result"], want, "{host} / {text} / {ms} ms → {got}");
        }
    }

    #[test]
    fn tls_failures_are_named_only_when_the_text_says_why() {
        let cases = [
            ("certificate has expired", "expired"),
            ("self signed certificate in chain", "untrusted"),
            ("unable to get local issuer certificate", "untrusted"),
            (
                "Hostname/IP does not match certificate's altnames",
                "hostname_mismatch",
            ),
            ("Error: internal error; reference = 5r2k", "failed"),
        ];
        for (text, want) in cases {
            assert_eq!(
                serde_json::to_value(tls_failure(text, 4)).unwrap()["result"],
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn edge_failures_by_text() {
        assert_eq!(
            edge_failure("Error: Network connection lost."),
            EdgeFailure::Connection
        );
        assert_eq!(edge_failure("DNS lookup failed"), EdgeFailure::Dns);
        assert_eq!(edge_failure("SSL handshake failed"), EdgeFailure::Tls);
        assert_eq!(
            edge_failure("internal error; reference = x"),
            EdgeFailure::Other
        );
    }

    #[test]
    fn dns_json_answers() {
        assert_eq!(
            parse_dns_json(r#"{"Status":3,"Question":[{"name":"x.example.","type":1}]}"#),
            DnsAnswer::NoSuchName
        );
        assert_eq!(
            parse_dns_json(r#"{"Status":0,"Answer":[{"name":"a.","type":1,"data":"192.0.2.1"}]}"#),
            DnsAnswer::Resolves
        );
        assert_eq!(
            parse_dns_json(
                r#"{"Status":0,"Answer":[{"name":"a.","type":28,"data":"2001:db8::1"}]}"#
            ),
            DnsAnswer::Resolves
        );
        assert_eq!(
            parse_dns_json(r#"{"Status":0,"Answer":[{"name":"a.","type":5,"data":"b."}]}"#),
            DnsAnswer::NoAddress
        );
        assert_eq!(parse_dns_json(r#"{"Status":0}"#), DnsAnswer::NoAddress);
        assert_eq!(parse_dns_json(r#"{"Status":2}"#), DnsAnswer::Unknown);
        assert_eq!(parse_dns_json("<html>"), DnsAnswer::Unknown);
    }

    #[test]
    fn dns_refines_only_coarse_failures() {
        let coarse = || ConnectStep::Failed {
            ms: 5,
            detail: WORKERD_CONNECT.into(),
        };
        assert!(matches!(
            refine_with_dns(coarse(), &DnsAnswer::NoSuchName),
            ConnectStep::DnsFailed { .. }
        ));
        assert!(matches!(
            refine_with_dns(coarse(), &DnsAnswer::NoAddress),
            ConnectStep::DnsFailed { .. }
        ));
        assert!(matches!(
            refine_with_dns(coarse(), &DnsAnswer::Resolves),
            ConnectStep::Refused { .. }
        ));
        assert_eq!(refine_with_dns(coarse(), &DnsAnswer::Unknown), coarse());
        let slow = ConnectStep::Failed {
            ms: 5_000,
            detail: "x".into(),
        };
        assert_eq!(refine_with_dns(slow.clone(), &DnsAnswer::Resolves), slow);
        let refused = ConnectStep::Refused {
            ms: 1,
            detail: "x".into(),
        };
        assert_eq!(
            refine_with_dns(refused.clone(), &DnsAnswer::NoSuchName),
            refused
        );
    }
}
