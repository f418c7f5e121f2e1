//! The catalog's words: per verdict, its severity, a plain-words summary and the ordered
//! checklist a site owner works through. Mirrors docs/diagnoses.md (one section per verdict).
//!
//! Owns wording and severity only; it decides nothing.

use crate::diagnosis::{Severity, Verdict};

pub(super) fn severity(v: Verdict) -> Severity {
    match v {
        Verdict::Healthy => Severity::Ok,
        Verdict::CertExpiring | Verdict::OriginTlsLegacy => Severity::Info,
        Verdict::Regional
        | Verdict::EdgeStaleOriginDown
        | Verdict::DegradedLatency
        | Verdict::Inconclusive => Severity::Warning,
        _ => Severity::Critical,
    }
}

/// One or two sentences in plain words about the cause itself.
pub(super) fn summary(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "The site answers as expected through the CDN.",
        Verdict::OriginRefused => "The origin server refuses connections: nothing is listening on its port (the web server or app is down or listening elsewhere).",
        Verdict::OriginUnreachable => "The origin server cannot be reached: connections to it time out or the network has no route to it (server down, or a firewall dropping traffic).",
        Verdict::OriginBlocksCdn => "The CDN cannot get through to your origin, but our probes connect to it directly and get a normal answer: the origin, or a firewall in front of it, is most likely blocking the CDN's addresses.",
        Verdict::OriginTlsInvalid => "The origin's TLS certificate is not valid (untrusted, expired or for another host name), so secure connections to it fail.",
        Verdict::OriginTlsHandshakeFailed => "The TLS handshake with the origin fails before any certificate check (protocol or cipher mismatch, or the port does not speak TLS).",
        Verdict::OriginTimeout => "The origin accepts connections but answers too slowly: it does not send a response within the time the CDN or proxy waits.",
        Verdict::OriginMalformedResponse => "The origin accepts connections but its answer is broken (empty, not HTTP, cut short or reset), so the CDN cannot pass it on.",
        Verdict::OriginAppError => "The origin's application itself returns server errors (5xx); the CDN passes them on to visitors.",
        Verdict::OriginUpstreamDown => "The web server on the origin host answers, but the application server behind it does not: the origin's own reverse proxy reports that it cannot get an answer from the application (crashed, stopped, or listening on another socket or port).",
        Verdict::OriginUpstreamTimeout => "The web server on the origin host answers, but the application server behind it is too slow: the origin's own reverse proxy gave up waiting for the application's answer.",
        Verdict::OriginDnsFailure => "The origin's host name does not resolve, so neither the CDN nor our probes can find the server.",
        Verdict::EdgeErrorOriginHealthy => "The CDN returns errors although the origin answers our direct requests normally; the problem is between the CDN and the origin or in the CDN's configuration.",
        Verdict::UnexpectedResponse => "The site answers, but not with what the monitor expects (a different status code or the expected text is missing).",
        Verdict::Regional => "The site fails in some regions and works in others.",
        Verdict::EdgeStaleOriginDown => "Visitors still get pages because the CDN serves cached copies, but the origin behind it is failing; uncached pages and cache refreshes will fail.",
        Verdict::CertExpiring => "A TLS certificate expires soon.",
        Verdict::DegradedLatency => "The site works but answers much more slowly than usual.",
        Verdict::OriginTlsLegacy => "The origin's TLS still works, but only with legacy protocol versions or cipher suites (TLS 1.0/1.1, CBC, RSA key exchange or SHA-1) that modern clients are dropping.",
        Verdict::EdgeUnreachable => "The public address cannot be reached at all: its name does not resolve, connections fail, or TLS with the CDN fails.",
        Verdict::Inconclusive => "Nothing could be observed this round, so nothing can be said about the site.",
    }
}

/// What to check, in order.
pub(super) fn checklist(v: Verdict) -> Vec<String> {
    let items: &[&str] = match v {
        Verdict::Healthy => &[],
        Verdict::OriginRefused => &[
            "Check that the web server or application process on the origin is running (systemctl status, docker ps, the process manager).",
            "Check that it listens on the port the CDN uses (ss -ltnp), on the public interface and not only on 127.0.0.1.",
            "Check the server's logs for a crash or failed restart around the time the errors started.",
            "Check that a host firewall is not rejecting connections to that port (iptables/nftables REJECT rules).",
        ],
        Verdict::OriginUnreachable => &[
            "Check that the origin server (VM, instance, container host) is up.",
            "Check the firewall or security group allows inbound traffic to the web port; a DROP rule makes connections time out.",
            "Check the origin address configured in the CDN and in the monitor is the current one (IP changes after a restart or migration).",
            "Check routing and the hosting provider's status page for network incidents.",
        ],
        Verdict::OriginBlocksCdn => &[
            "Check the origin's firewall or security group allows the CDN's published IP ranges.",
            "Check rate limiting, fail2ban or a WAF on the origin that may have banned CDN addresses (many requests come from few CDN IPs).",
            "Check the origin address and port configured in the CDN match the ones the monitor probes.",
            "Check the proxy's or CDN's connect and read timeouts against the origin's response time.",
            "Check the proxy's error log for the exact upstream error (nginx: \"connect() failed\", \"upstream timed out\").",
        ],
        Verdict::OriginTlsInvalid => &[
            "Check the origin certificate's expiry date, chain (intermediates included) and names: openssl s_client -connect <origin>:443 -servername <host>.",
            "Renew or reinstall the certificate, including the full chain.",
            "Check the CDN's origin TLS mode (e.g. Cloudflare Full (strict)) matches the certificate the origin presents.",
        ],
        Verdict::OriginTlsHandshakeFailed => &[
            "Check the origin actually speaks TLS on that port (a plain-HTTP port answers a handshake with garbage).",
            "Check the TLS versions and ciphers the origin allows overlap with the CDN's (TLS 1.2+ with modern ciphers).",
            "Check the origin serves a certificate for the SNI name the CDN sends.",
            "Check the CDN's origin protocol setting (HTTP vs HTTPS to the origin) and the origin port.",
        ],
        Verdict::OriginTimeout => &[
            "Check the origin application's response time and load (slow queries, exhausted worker pools, locks).",
            "Compare the layers' timeouts: the CDN's or proxy's read timeout must be longer than the origin's slowest legitimate response.",
            "Check the application logs for requests that hang, and upstream services the origin waits on.",
            "Check the origin's capacity (CPU, memory, connection limits).",
        ],
        Verdict::OriginMalformedResponse => &[
            "Check the origin application's logs for crashes mid-response (a worker killed while answering closes the connection).",
            "Check the origin speaks plain HTTP/1.1 on the port the CDN uses (not TLS, not HTTP/2 only, not another protocol).",
            "Check Content-Length and chunked encoding the application sets (a wrong Content-Length cuts bodies short).",
            "Check keep-alive and idle timeouts on the origin that may reset connections the CDN reuses.",
            "Check response header size limits (very large cookies or headers).",
        ],
        Verdict::OriginAppError => &[
            "Check the origin application's error logs for the failing requests.",
            "Check recent deploys and configuration changes; roll back if the errors started with one.",
            "Check the services the application depends on (database, cache, upstream APIs).",
            "Check resource limits (disk full, memory, file descriptors).",
        ],
        Verdict::OriginUpstreamDown => &[
            "Check that the application server process behind the origin's web server is running (systemctl status php-fpm / gunicorn / puma / your node service, docker ps, pm2 list), and look for crashes or out-of-memory kills (journalctl, dmesg).",
            "Check the proxy points at the socket or port the application listens on (nginx proxy_pass / fastcgi_pass, Apache ProxyPass, HAProxy server lines, Caddy reverse_proxy), and that it exists: ss -ltnp, or ls -l on the unix socket and its permissions.",
            "Read the proxy's error log for the upstream error (nginx: \"connect() failed (111: Connection refused) while connecting to upstream\", \"no live upstreams\"; Apache: AH00957 / AH01114; HAProxy: server is DOWN; Envoy: upstream connect error).",
            "Check the application server's worker and connection limits (pm.max_children, gunicorn workers, puma threads, the listen backlog): an exhausted pool refuses or resets too.",
        ],
        Verdict::OriginUpstreamTimeout => &[
            "Check the application server's response time and its worker pool (all workers busy, pm.max_children reached, slow queries, locks, external APIs it waits on).",
            "Compare the proxy's upstream timeouts (nginx proxy_read_timeout / fastcgi_read_timeout, 60 s by default; Apache ProxyTimeout; HAProxy timeout server; Envoy route timeout, 15 s by default) with the application's slowest legitimate response.",
            "Read the proxy's error log (nginx: \"upstream timed out (110: Connection timed out) while reading response header from upstream\") and the application's slow log.",
            "Check the application server process is alive and not stuck: a hung worker accepts connections but never answers.",
        ],
        Verdict::OriginDnsFailure => &[
            "Check the origin host name resolves: dig <origin host>.",
            "Check the DNS records at your DNS provider (deleted or changed record, expired domain).",
            "Check the origin host name configured in the CDN is the right one.",
        ],
        Verdict::EdgeErrorOriginHealthy => &[
            "Check the CDN's configuration for this host (origin address, port, protocol, Host header sent to the origin).",
            "Check the CDN's status page for an incident.",
            "Check whether the origin answers the CDN's Host header and addresses the same way it answers direct requests.",
            "Check the origin's logs for the CDN's requests around the failure.",
        ],
        Verdict::UnexpectedResponse => &[
            "Check the status code and content returned against the monitor's expected statuses and keyword.",
            "Check recent deploys or content changes (a changed page no longer contains the keyword).",
            "Check redirects, authentication and WAF rules that may answer the probe differently from a browser.",
        ],
        Verdict::Regional => &[
            "Check the CDN's status page for incidents in the affected regions.",
            "Check geo-blocking, WAF or rate-limit rules that apply only to some countries or PoPs.",
            "Check which origin or load-balancer pool serves the affected regions.",
        ],
        Verdict::EdgeStaleOriginDown => &[
            "Check the origin directly: the cache is hiding an origin failure from visitors for now.",
            "Fix the origin before cached copies expire; uncached pages are already failing.",
        ],
        Verdict::CertExpiring => &[
            "Renew the certificate before its expiry date.",
            "Check that automatic renewal (certbot, ACME client, CDN-managed certificates) is running and succeeding.",
        ],
        Verdict::OriginTlsLegacy => &[
            "Enable TLS 1.2 and TLS 1.3 on the origin's web server (nginx: ssl_protocols TLSv1.2 TLSv1.3).",
            "Offer ECDHE key exchange with AEAD cipher suites (AES-GCM, ChaCha20-Poly1305); the Mozilla SSL Configuration Generator's \"intermediate\" profile is a safe default.",
            "Replace a certificate signed with SHA-1, and an RSA key under 2048 bits.",
            "Test with: openssl s_client -connect <origin>:443 -tls1_2 and -tls1_3.",
        ],
        Verdict::DegradedLatency => &[
            "Check the origin's load and response times.",
            "Check the cache hit ratio at the CDN (more misses mean more origin requests).",
            "Check the network path and the CDN's status page for the affected regions.",
        ],
        Verdict::EdgeUnreachable => &[
            "Check the public host name resolves: dig <host>.",
            "Check the DNS records point at the CDN (proxied) and the domain has not expired.",
            "Check the CDN's status page and the TLS certificate for the public host name.",
        ],
        Verdict::Inconclusive => &["Check that the probe regions can run (Worker errors, limits), then wait for the next round."],
    };
    items.iter().map(|s| s.to_string()).collect()
}
