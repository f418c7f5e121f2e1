//! The words of each [`Distinction`]: why an alternative cause also fits and what would tell
//! it apart, rendered when a diagnosis is read.
//!
//! Owns only wording; which alternatives apply is decided in `region` and `super::combine`.

use crate::diagnosis::Distinction;

/// Ends every alternative given without an origin probe.
const CONFIGURE: &str =
    "Configure the origin address on the monitor so the probe can check the origin directly.";

/// What would tell the alternative apart from the verdict, in plain words.
pub(crate) fn how_to_tell_apart(d: &Distinction) -> String {
    use Distinction::*;
    let healthy = |what: &str| format!("Our direct request to the origin works. {what}");
    match d {
        FirewallDropsEveryone => "A firewall that silently drops all outside traffic (ours included) looks the same from here. If the server is up and answers from inside its own network, its firewall or security group is dropping packets.".into(),
        TlsUnstatedCheckCertificate => "The probe's TLS error does not say why. Check the certificate with `openssl s_client -connect <origin> -servername <host>`: a chain or expiry error means an invalid certificate, no certificate at all means a handshake failure.".into(),
        TlsUnstatedCheckHandshake => "The probe's TLS error does not say why. Check with `openssl s_client -connect <origin> -servername <host>`: if no certificate is presented at all (protocol or cipher mismatch, not TLS on that port), it is a handshake failure.".into(),
        FrontMayWaitOnOriginNoOrigin => "The front may be waiting on a slow origin. Configure the origin address so the probe can measure it directly.".into(),
        FrontRelaysBrokenAnswer => "Fetching the public URL failed without any response while our direct probe found the origin failing. A front that relays the origin's broken answer ends the same way. If the front's own address does not answer either (a connection to it is refused, other URLs fail too), the front is unreachable as well.".into(),
        OriginFailingToo => "Our direct probe found the origin failing too. Once the public address answers again, the origin's fault will show through it; check both.".into(),
        StaleCopyNoOrigin => "The CDN served a STALE copy, which it does when it could not refresh from the origin. Configure the origin address to check the origin directly.".into(),
        AppErrorWhileCdnCannotConnect { status } => format!("The origin's application answers us with {status}, while the CDN says it cannot even connect. If the CDN's connection attempts show up in the origin's access log, the application error is the cause."),
        CdnDnsFailureOnItsSide => healthy("If the origin host name configured in the CDN resolves publicly, the CDN's DNS failure is on its side."),
        CdnSeesOtherCertificate => healthy("The certificate the CDN sees may differ from ours (other SNI name, strict validation mode); check it with the host name the CDN uses."),
        CdnOffersOtherTls => healthy("The CDN may offer other TLS versions, ciphers or SNI than our probe; compare the origin's TLS settings with the CDN's requirements."),
        OriginFastForUs { ttfb_ms } => healthy(&format!("Our direct request got headers in {ttfb_ms} ms, far below the CDN's read timeout: the slowness may hit only some requests, or the CDN reaches a different server or virtual host.")),
        OriginAnswersCdnDifferently => "The origin may answer the CDN differently than us (other Host header, keep-alive, HTTP version). The origin's logs for the CDN's requests will show resets or empty replies.".into(),
        FirewallResetsCdn => "A firewall or rate limiter that accepts the CDN's connections and then resets them looks the same; check for resets from CDN addresses.".into(),
        EdgeWaitVsTimeouts { edge_waited_ms, ttfb_ms } => format!("The edge gave up after {edge_waited_ms} ms; our direct request got headers in {ttfb_ms} ms. If the edge's wait matches its read timeout (nginx proxy_read_timeout, 60 s by default; CloudFront's origin response timeout, 30 s by default) and the origin is close to that, it is a timeout; if it matches the connect timeout, or the origin is fast, the edge could not connect."),
        CdnMayUseOtherOrigin { address } => format!("The CDN may be configured with a different origin address or port than {address}, the one we probe. If its origin setting matches {address}, a firewall or allowlist is blocking the CDN; if not, fix the setting."),
        GatewayCoversInvalidAnswer => "The proxy's 502 also covers an invalid or reset answer from the origin; its error log says which (nginx: \"connect() failed\" vs \"upstream prematurely closed\").".into(),
        GatewayCoversTls => "The CDN's 502 also covers a TLS failure towards the origin; check the certificate the origin presents for the CDN's host name.".into(),
        OriginFineForUs { status } => format!("The CDN passed on an error from the origin, but our direct request got {status}. The origin may fail only for some requests, or the CDN reaches a different server or virtual host."),
        ErrorPageUnattributed => "The error page does not say who made it. If the origin's access log shows the failing requests with a 5xx status, the origin made it.".into(),
        IisPageCoversBoth => "IIS's 502.3 page covers an application server that timed out as well as one that refused or reset; the detailed error on the server (0x80072ee2 is a timeout) or the ARR/Failed Request Tracing log tells which.".into(),
        ProxyPageMayBeApp { status, proxy } => format!(
            "The {status} looks like {}'s own page about its upstream, but an application can send the same words. If the application's log shows these requests answered with {status}, the application made it; if the proxy's error log shows upstream errors, the proxy did.",
            proxy.name()
        ),
        OnlyCdnCopyOfProxyPageNoOrigin { proxy } => format!(
            "Only the CDN's copy of the page was seen; it looks like {}'s own gateway page, but an application could answer with the same page. {CONFIGURE}",
            proxy.name()
        ),
        RelayedNginx502NoOrigin => format!("If the origin host runs nginx in front of its application, this 502 page may be that nginx's, passed through: the application server behind it is down. {CONFIGURE}"),
        RelayedNginx504NoOrigin => format!("If the origin host runs nginx in front of its application, this 504 page may be that nginx's, passed through: the application server behind it is too slow. {CONFIGURE}"),
        FirewallRejectsCdnNoOrigin => format!("A firewall rejecting only the CDN's addresses looks the same to the CDN. {CONFIGURE}"),
        FirewallDropsCdnNoOrigin => format!("A firewall dropping only the CDN's addresses looks the same to the CDN. {CONFIGURE}"),
        Gateway504CoversConnectTimeoutNoOrigin => format!("The proxy's 504 covers a connect timeout too. {CONFIGURE}"),
        FirewallDropsProxyNoOrigin => format!("A firewall dropping the proxy's connections also ends in a 504. {CONFIGURE}"),
        Gateway502CoversInvalidAnswerNoOrigin => format!("The proxy's 502 covers an invalid or reset answer too. {CONFIGURE}"),
        FirewallRejectsProxyNoOrigin => format!("A firewall rejecting the proxy's connections also ends in a 502. {CONFIGURE}"),
        Gateway502CoversTlsNoOrigin => format!("The proxy's 502 also covers a failed TLS handshake or certificate check towards the origin. {CONFIGURE}"),
        ErrorPageUnattributedNoOrigin => format!("The error page does not say who made it. {CONFIGURE}"),
        OtherRegionsShow { regions } => {
            let who = if regions.len() == 1 {
                format!("Region {} shows", regions.join(""))
            } else {
                format!("Regions {} show", regions.join(", "))
            };
            format!("{who} this cause instead; the evidence for each region tells which fits.")
        }
        Recorded { how_to_tell_apart } => how_to_tell_apart.clone(),
    }
}
