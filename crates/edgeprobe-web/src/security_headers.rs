//! The security headers every HTTP response carries, as a pure function of what the response
//! is. The platform applies them in one place (the fetch handler, via
//! `platform::http::with_security_headers`), so no route can forget them.
//!
//! Decisions:
//! - Every response: `X-Content-Type-Options: nosniff` (a JSON body or an error page can never
//!   be sniffed into HTML or script) and `Referrer-Policy: no-referrer` (status pages and the
//!   API link only to public pages and docs; nobody needs to learn which monitor a visitor
//!   came from).
//! - HTML (the status pages): a strict CSP for server-rendered pages that run no script:
//!   nothing loads but the inline `<style>` and same-origin or `data:` images; no `<base>`, no
//!   form targets, and no framing (`frame-ancestors 'none'` plus `X-Frame-Options: DENY` for
//!   browsers that predate CSP 2), so the page cannot be clickjacked or restyled by injection.
//! - SVG badges: `default-src 'none'; style-src 'unsafe-inline'`, which stops script in an SVG
//!   opened directly. No frame restriction: badges are embedded with `<img>` (not affected by
//!   `frame-ancestors` anyway) and some READMEs embed them with `<object>`/`<iframe>`.
//! - Everything else (JSON, problem+json, text): `default-src 'none'; frame-ancestors 'none'`
//!   and `X-Frame-Options: DENY`, the usual API hardening: such a response never renders.

/// What a response is, as far as its security headers are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// An HTML document (status pages, their 404s).
    Html,
    /// An SVG image (badges, their 404s).
    Svg,
    /// Anything else: JSON, problem+json, plain text, an empty body.
    Data,
}

/// The kind of a response from its `Content-Type` (parameters and case ignored).
pub fn response_kind(content_type: Option<&str>) -> ResponseKind {
    let essence = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "text/html" | "application/xhtml+xml" => ResponseKind::Html,
        "image/svg+xml" => ResponseKind::Svg,
        _ => ResponseKind::Data,
    }
}

pub const HTML_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
pub const SVG_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'";
pub const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers to set (replacing any earlier value) on a response of `kind`.
pub fn security_headers(kind: ResponseKind) -> Vec<(&'static str, &'static str)> {
    let mut h = vec![
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ];
    match kind {
        ResponseKind::Html => h.extend([
            ("content-security-policy", HTML_CSP),
            ("x-frame-options", "DENY"),
        ]),
        ResponseKind::Svg => h.push(("content-security-policy", SVG_CSP)),
        ResponseKind::Data => h.extend([
            ("content-security-policy", DATA_CSP),
            ("x-frame-options", "DENY"),
        ]),
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_content_types() {
        for (ct, kind) in [
            (Some("text/html; charset=utf-8"), ResponseKind::Html),
            (Some("TEXT/HTML"), ResponseKind::Html),
            (Some("image/svg+xml"), ResponseKind::Svg),
            (Some("image/svg+xml; charset=utf-8"), ResponseKind::Svg),
            (Some("application/json"), ResponseKind::Data),
            (Some("application/problem+json"), ResponseKind::Data),
            (Some("text/plain"), ResponseKind::Data),
            (None, ResponseKind::Data),
        ] {
            assert_eq!(response_kind(ct), kind, "{ct:?}");
        }
    }

    fn get(kind: ResponseKind, name: &str) -> Option<&'static str> {
        security_headers(kind)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    #[test]
    fn every_kind_gets_nosniff_referrer_policy_and_a_csp() {
        for kind in [ResponseKind::Html, ResponseKind::Svg, ResponseKind::Data] {
            assert_eq!(get(kind, "x-content-type-options"), Some("nosniff"));
            assert_eq!(get(kind, "referrer-policy"), Some("no-referrer"));
            let csp = get(kind, "content-security-policy").expect("CSP");
            assert!(csp.starts_with("default-src 'none'"), "{kind:?}: {csp}");
            assert!(
                !csp.contains("script-src") && !csp.contains("unsafe-eval"),
                "no script is ever allowed: {csp}"
            );
        }
    }

    #[test]
    fn pages_cannot_be_framed_but_badges_stay_embeddable() {
        assert_eq!(get(ResponseKind::Html, "x-frame-options"), Some("DENY"));
        assert!(HTML_CSP.contains("frame-ancestors 'none'"));
        assert!(HTML_CSP.contains("base-uri 'none'") && HTML_CSP.contains("form-action 'none'"));
        assert_eq!(get(ResponseKind::Svg, "x-frame-options"), None);
        assert!(!SVG_CSP.contains("frame-ancestors"));
        assert_eq!(get(ResponseKind::Data, "x-frame-options"), Some("DENY"));
    }
}
