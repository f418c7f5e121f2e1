//! Target policy: which hosts a monitor or alert channel may point at.
//!
//! Probes and webhooks run on our infrastructure, so a user-supplied host must not reach
//! loopback, private networks, link-local (cloud metadata at 169.254.169.254), CGNAT, the
//! unspecified address, or any other special-purpose range (IETF assignments, documentation,
//! benchmarking, reserved, multicast, broadcast, site-local, NAT64 local-use, discard-only),
//! including IPv4 addresses embedded in IPv6 (mapped, SIIT, compatible, NAT64, 6to4, Teredo),
//! unless the deployment allows it (local development). See docs/security.md. Host names are
//! NOT resolved here: the core does no I/O, so a public name that resolves to a private
//! address passes this check; the Workers runtime itself refuses to connect to private
//! addresses in production. IP literals in every form the WHATWG URL parser accepts
//! (`0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`) are normalised before classification.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::Host;

use crate::monitor::{Channel, ChannelKind, Monitor};
use crate::observation::RegionReport;

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

/// Ports a monitor or channel may not target. Port 0 cannot be connected to. The rest belong
/// to services that are not HTTP and read lines as commands (mail, file transfer, remote
/// shells and desktops, name service, RPC and file sharing, directory, news, IRC, SIP,
/// databases, caches): a probe's request line and headers sent there can be taken as that
/// protocol's commands (cross-protocol attacks), and nobody needs an HTTP monitor on them.
/// Chosen from the Fetch Standard's "bad ports" (which browsers refuse for the same reason;
/// harmless test services such as discard (9) are left out) plus common database, cache and
/// remote-desktop ports; 25 is also refused by Workers' `connect()` itself. There is no
/// opt-out: an HTTP service on such a port can be monitored through a front on another port.
pub const REFUSED_PORTS: &[u16] = &[
    0, 21, 22, 23, 25, 53, 110, 111, 119, 135, 137, 139, 143, 389, 445, 465, 512, 513, 514, 515,
    563, 587, 636, 989, 990, 993, 995, 1433, 1521, 2049, 3306, 3389, 5060, 5061, 5432, 5900, 6379,
    6665, 6666, 6667, 6668, 6669, 6697, 11211, 27017,
];

/// `Ok(())` when `port` may be targeted; the error says why not (see [`REFUSED_PORTS`]).
pub fn check_target_port(port: u16) -> Result<(), String> {
    match port {
        0 => Err("port 0 cannot be connected to".into()),
        25 => Err("port 25 (SMTP) cannot be used: Workers refuse outbound connections to it, and mail servers must not receive probe traffic".into()),
        p if REFUSED_PORTS.contains(&p) => Err(format!(
            "port {p} belongs to a non-HTTP service (mail, shell, name service, file sharing, database or cache); an HTTP request sent there could be read as that protocol's commands, so it is refused"
        )),
        _ => Ok(()),
    }
}

/// The target policy for an absolute URL: its host (see [`check_target_host`]) and its
/// explicit port (http's and https's defaults are never refused; other schemes are the
/// caller's to refuse). Scheme and syntax rules stay with the caller.
pub fn check_target_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| "has no host".to_string())?;
    check_target_host(host, allow_private).map_err(|why| format!("host {why}"))?;
    match url.port() {
        Some(p) => check_target_port(p),
        None => Ok(()),
    }
}

/// Why a STORED monitor may not be probed under the current policy (`None`: it may).
///
/// The policy can tighten after a monitor was saved (private targets allowed then, not now;
/// ranges or ports added to the lists), so the region object asks this before every probe
/// and records a refusal instead of connecting. Saving uses the same checks
/// ([`check_target_url`], [`check_target_host`], [`check_target_port`]).
pub fn monitor_refusal(m: &Monitor, allow_private: bool) -> Option<String> {
    let url = match url::Url::parse(&m.url) {
        Ok(u) => u,
        Err(_) => return Some("the monitor's url is not a valid URL".into()),
    };
    if let Err(why) = check_target_url(&url, allow_private) {
        return Some(format!("the monitor's url {why}"));
    }
    let origin = m.origin.as_ref()?;
    if let Err(why) = check_target_host(&origin.host, allow_private) {
        return Some(format!("the monitor's origin host {why}"));
    }
    check_target_port(origin.port)
        .err()
        .map(|why| format!("the monitor's origin {why}"))
}

/// The region object's seam: `Some(RegionReport::Refused)` when `m` may not be probed under the
/// current policy (then nothing is connected to), `None` when it may be probed.
pub fn refused_report(m: &Monitor, region: &str, allow_private: bool) -> Option<RegionReport> {
    monitor_refusal(m, allow_private).map(|reason| RegionReport::Refused {
        region: region.to_string(),
        reason,
    })
}

/// Why a STORED channel may not be delivered to under the current policy (`None`: it may):
/// its URL's host and port, and https for chat channels unless private targets are allowed
/// (the same rules as saving). The dispatcher asks this before every attempt.
pub fn channel_refusal(c: &Channel, allow_private: bool) -> Option<String> {
    let url = match url::Url::parse(&c.url) {
        Ok(u) => u,
        Err(_) => return Some("the channel's url is not a valid URL".into()),
    };
    if url.scheme() != "https" && c.kind != ChannelKind::Webhook && !allow_private {
        return Some("the channel's url must use https".into());
    }
    check_target_url(&url, allow_private)
        .err()
        .map(|why| format!("the channel's url {why}"))
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
    if trimmed.contains(['/', '?', '#', '@', ' ', '\\'])
        || (trimmed.contains(':') && !trimmed.starts_with('['))
    {
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
    let within = |net: [u8; 4], bits: u32| {
        (u32::from(a) ^ u32::from(Ipv4Addr::from(net))) >> (32 - bits) == 0
    };
    // Ordered from the most to the least specific where ranges nest (255.255.255.255 in 240/4).
    let class = if a.is_loopback() {
        "loopback"
    } else if a.is_private() {
        "private"
    } else if a.is_link_local() {
        "link-local"
    } else if o[0] == 0 {
        "unspecified (\"this network\")"
    } else if within([100, 64, 0, 0], 10) {
        "shared (CGNAT)"
    } else if within([192, 0, 0, 0], 24) {
        "IETF protocol assignment"
    } else if within([192, 0, 2, 0], 24)
        || within([198, 51, 100, 0], 24)
        || within([203, 0, 113, 0], 24)
    {
        "documentation"
    } else if within([198, 18, 0, 0], 15) {
        "benchmarking"
    } else if within([192, 88, 99, 0], 24) {
        "reserved (former 6to4 relay anycast)"
    } else if a.is_broadcast() {
        "broadcast"
    } else if a.is_multicast() {
        "multicast"
    } else if within([240, 0, 0, 0], 4) {
        "reserved (future use)"
    } else {
        return None;
    };
    Some(class)
}

fn v4_from(hi: u16, lo: u16) -> Ipv4Addr {
    Ipv4Addr::from(((hi as u32) << 16) | lo as u32)
}

fn v6_class(a: Ipv6Addr) -> Option<&'static str> {
    let seg = a.segments();
    if a.is_loopback() {
        return Some("loopback");
    }
    if a.is_unspecified() {
        return Some("unspecified");
    }
    // Forms that carry an IPv4 address which the packet (or a translator) ends up reaching
    // inherit that address's class: IPv4-mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d,
    // IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::/48 and
    // Teredo 2001:0:S:S:f:p:C:C (client address stored inverted).
    let mapped = seg[..5] == [0; 5] && seg[5] == 0xffff;
    let siit = seg[..4] == [0; 4] && seg[4] == 0xffff && seg[5] == 0;
    let compatible = seg[..6] == [0; 6];
    let nat64 = seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if mapped || siit || compatible || nat64 {
        return v4_class(v4_from(seg[6], seg[7]));
    }
    if seg[0] == 0x2002 {
        return v4_class(v4_from(seg[1], seg[2]));
    }
    if seg[0] == 0x2001 && seg[1] == 0 {
        return v4_class(v4_from(!seg[6], !seg[7])).or_else(|| v4_class(v4_from(seg[2], seg[3])));
    }
    let class = if seg[..3] == [0x64, 0xff9b, 1] {
        "NAT64 local-use"
    } else if seg[..4] == [0x100, 0, 0, 0] {
        "discard-only"
    } else if seg[..2] == [0x2001, 0xdb8] || (seg[0] == 0x3fff && seg[1] & 0xf000 == 0) {
        "documentation"
    } else if seg[..3] == [0x2001, 2, 0] {
        "benchmarking"
    } else if seg[0] & 0xfe00 == 0xfc00 {
        "private (unique local)"
    } else if seg[0] & 0xffc0 == 0xfe80 {
        "link-local"
    } else if seg[0] & 0xffc0 == 0xfec0 {
        "site-local (deprecated)"
    } else if seg[0] & 0xff00 == 0xff00 {
        "multicast"
    } else {
        return None;
    };
    Some(class)
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
            assert!(
                check_target_host(h, false).is_err(),
                "{h} should be refused"
            );
            assert!(
                check_target_host(h, true).is_ok(),
                "{h} should pass when private is allowed"
            );
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

    /// Every special-purpose range (IANA registries, RFC 6890 and successors) that is not a
    /// public unicast destination, each named by its class; IPv4 embedded in IPv6 inherits the
    /// class of the embedded address.
    #[test]
    fn special_purpose_ranges_are_refused_with_their_class() {
        let table = [
            ("0.1.2.3", "unspecified"),
            ("192.0.0.8", "IETF protocol assignment"),
            ("192.0.0.255", "IETF protocol assignment"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.200", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("198.19.255.254", "benchmarking"),
            ("192.88.99.1", "reserved"),
            ("240.0.0.1", "reserved"),
            ("250.1.2.3", "reserved"),
            ("255.255.255.255", "broadcast"),
            ("224.0.0.251", "multicast"),
            ("239.255.255.250", "multicast"),
            ("fec0::1", "site-local"),
            ("feff::1", "site-local"),
            ("2001:db8::1", "documentation"),
            ("2001:db8:ffff::1", "documentation"),
            ("3fff::1", "documentation"),
            ("2001:2::1", "benchmarking"),
            ("100::1", "discard-only"),
            ("ff02::1", "multicast"),
            // IPv4-mapped, SIIT (IPv4-translated), IPv4-compatible
            ("::ffff:192.168.0.1", "private"),
            ("::ffff:0:127.0.0.1", "loopback"),
            ("[::ffff:0:10.1.2.3]", "private"),
            ("::ffff:0:192.0.2.1", "documentation"),
            ("::127.0.0.1", "loopback"),
            ("::169.254.169.254", "link-local"),
            // 6to4 of a refused address (2002:AABB:CCDD::/48)
            ("2002:7f00:1::1", "loopback"),
            ("2002:a9fe:a9fe::", "link-local"),
            ("2002:c0a8:101::1", "private"),
            // NAT64 well-known prefix, and the local-use prefix as a whole
            ("64:ff9b::127.0.0.1", "loopback"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b:1::1.1.1.1", "NAT64 local-use"),
            ("64:ff9b:1:ffff::1", "NAT64 local-use"),
            // Teredo: the client address is stored inverted in the last 32 bits
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
            ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),
        ];
        for (host, class) in table {
            match check_target_host(host, false) {
                Err(e) => assert!(
                    e.contains(class),
                    "{host}: expected class {class:?}, got {e:?}"
                ),
                Ok(()) => panic!("{host} should be refused as {class}"),
            }
            assert_eq!(
                check_target_host(host, true),
                Ok(()),
                "{host} should pass when private is allowed"
            );
        }
    }

    /// The neighbours of each refused range stay allowed: the ranges are not drawn too wide.
    #[test]
    fn public_neighbours_of_special_ranges_are_allowed() {
        for host in [
            "1.0.0.1",
            "191.255.255.255",
            "192.0.1.1",
            "192.0.3.1",
            "198.17.255.255",
            "198.20.0.1",
            "198.51.99.1",
            "198.51.101.1",
            "203.0.112.1",
            "203.0.114.1",
            "223.255.255.255",
            "2001:db9::1",
            "2001:3::1",
            "2002:0101:0101::1",
            "64:ff9b::1.1.1.1",
            "64:ff9b:2::1",
            "2001:0:4136:e378:8000:63bf:fefe:fefe",
            "::ffff:8.8.8.8",
            "fbff::1",
            "2606:4700:4700::1111",
        ] {
            assert_eq!(check_target_host(host, false), Ok(()), "{host}");
        }
    }

    #[test]
    fn ports_of_non_http_services_are_refused_with_the_reason() {
        for p in [
            0u16, 21, 22, 23, 25, 53, 110, 143, 465, 587, 993, 995, 3306, 5432, 6379, 11211, 27017,
        ] {
            let why = check_target_port(p).expect_err(&format!("port {p} should be refused"));
            assert!(why.contains(&format!("port {p}")), "{p}: {why}");
        }
        assert!(check_target_port(25).unwrap_err().contains("SMTP"));
        assert!(check_target_port(5432).unwrap_err().contains("non-HTTP"));
        for p in [80u16, 443, 8000, 8080, 8443, 3000, 9000, 9200, 32768, 65535] {
            assert_eq!(check_target_port(p), Ok(()), "port {p}");
        }
    }

    #[test]
    fn stored_channel_is_rechecked_against_the_current_policy() {
        let channel = |kind: ChannelKind, url: &str| Channel {
            id: "ch_1".into(),
            name: "c".into(),
            kind,
            url: url.into(),
            secret: None,
            enabled: true,
            created_at: 0,
            updated_at: 0,
            mention: None,
            filter: Default::default(),
            chat_id: None,
            previous_secret: None,
        };
        assert_eq!(
            channel_refusal(
                &channel(ChannelKind::Webhook, "https://hooks.example.com/x"),
                false
            ),
            None
        );
        let local = channel(ChannelKind::Webhook, "http://127.0.0.1:9000/hook");
        assert_eq!(channel_refusal(&local, true), None);
        assert!(channel_refusal(&local, false)
            .expect("refused")
            .contains("loopback"));
        let plain_slack = channel(ChannelKind::Slack, "http://hooks.example.com/services/x");
        assert_eq!(channel_refusal(&plain_slack, true), None);
        assert!(channel_refusal(&plain_slack, false)
            .expect("refused")
            .contains("https"));
        let smtp = channel(ChannelKind::Webhook, "http://mail.example.com:25/");
        assert!(channel_refusal(&smtp, true)
            .expect("refused")
            .contains("port 25"));
        let secret_in_url = channel(
            ChannelKind::Slack,
            "https://10.1.2.3/services/T000/B000/secrettoken",
        );
        let why = channel_refusal(&secret_in_url, false).expect("refused");
        assert!(
            !why.contains("secrettoken") && !why.contains("10.1.2.3"),
            "{why}"
        );
    }

    #[test]
    fn error_does_not_echo_the_host() {
        let e = check_target_host("10.1.2.3", false).unwrap_err();
        assert!(!e.contains("10.1.2.3"), "{e}");
    }
}
