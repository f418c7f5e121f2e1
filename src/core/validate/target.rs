//! Target policy: which hosts a monitor or alert channel may point at.
//!
//! Probes and webhooks run on our infrastructure, so a user-supplied host must not reach
//! loopback, private networks, link-local (cloud metadata at 169.254.169.254), CGNAT or the
//! unspecified address, unless the deployment allows it (local development). Host names are
//! NOT resolved here: the core does no I/O, so a public name that resolves to a private
//! address passes this check; the Workers runtime itself refuses to connect to private
//! addresses in production. IP literals in every form the WHATWG URL parser accepts
//! (`0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`) are normalised before classification.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::Host;

/// `Ok(())` when `host` (a name or IP literal; IPv6 with or without brackets) may be probed.
/// The error text names the address class, never the host itself.
pub fn check_target_host(host: &str, allow_private: bool) -> Result<(), String> {
    let host = normalize_host(host)?;
    if allow_private {
        return Ok(());
    }
    match refused_class(&host) {
        Some(class) => Err(format!("points at a {class} address, which is not allowed")),
        None => Ok(()),
    }
}

/// Parses a host as the URL parser would (IDNA, IPv4 number forms), accepting bare IPv6.
pub fn normalize_host(host: &str) -> Result<Host<String>, String> {
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if let Ok(v6) = trimmed.parse::<Ipv6Addr>() {
        return Ok(Host::Ipv6(v6));
    }
    if trimmed.contains(['/', '?', '#', '@', ' ', '\\']) || (trimmed.contains(':') && !trimmed.starts_with('[')) {
        return Err("must be a host name or IP address, without scheme, port or path".into());
    }
    Host::parse(trimmed).map_err(|_| "is not a valid host name or IP address".to_string())
}

fn refused_class(host: &Host<String>) -> Option<&'static str> {
    match host {
        Host::Domain(d) => {
            let d = d.to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some("loopback")
        }
        Host::Ipv4(a) => v4_class(*a),
        Host::Ipv6(a) => v6_class(*a),
    }
}

fn v4_class(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    if a.is_loopback() {
        Some("loopback")
    } else if a.is_private() {
        Some("private")
    } else if a.is_link_local() {
        Some("link-local")
    } else if o[0] == 0 {
        Some("unspecified")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("shared (CGNAT)")
    } else if a.is_broadcast() || a.is_multicast() {
        Some("broadcast or multicast")
    } else {
        None
    }
}

fn v6_class(a: Ipv6Addr) -> Option<&'static str> {
    let seg = a.segments();
    if a.is_loopback() {
        return Some("loopback");
    }
    if a.is_unspecified() {
        return Some("unspecified");
    }
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
    // forms reach the embedded IPv4 address, so they inherit its class.
    let embedded = seg[..5] == [0; 5] && (seg[5] == 0xffff || seg[5] == 0) || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if embedded {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return v4_class(Ipv4Addr::new(a, b, c, d));
    }
    if seg[0] & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if seg[0] & 0xff00 == 0xff00 {
        Some("multicast")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_public_addresses_unless_allowed() {
        let refused = [
            "127.0.0.1",
            "127.8.9.10",
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "::1",
            "[::1]",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "fc00::1",
            "fd12:3456::1",
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "100.64.0.1",
            "100.127.255.255",
            "::ffff:127.0.0.1",
            "[::ffff:10.0.0.1]",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "0x7f.1",
            "2130706433",
            "0177.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
        ];
        for h in refused {
            assert!(check_target_host(h, false).is_err(), "{h} should be refused");
            assert!(check_target_host(h, true).is_ok(), "{h} should pass when private is allowed");
        }
    }

    #[test]
    fn accepts_public_names_and_addresses() {
        for h in [
            "example.com",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "[2606:4700::1111]",
            "xn--bcher-kva.example",
            "bücher.example",
            "origin.example.com.",
        ] {
            assert_eq!(check_target_host(h, false), Ok(()), "{h}");
        }
    }

    #[test]
    fn rejects_things_that_are_not_hosts() {
        for h in [
            "",
            "https://example.com",
            "example.com/path",
            "example.com:8080",
            "user@example.com",
            "a b",
        ] {
            assert!(check_target_host(h, true).is_err(), "{h}");
        }
    }

    #[test]
    fn error_does_not_echo_the_host() {
        let e = check_target_host("10.1.2.3", false).unwrap_err();
        assert!(!e.contains("10.1.2.3"), "{e}");
    }
}
