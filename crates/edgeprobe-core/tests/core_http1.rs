//! The HTTP/1.1 reader against raw responses in tests/fixtures/http1/, and properties: no input
//! at any chunking panics, and chunking never changes the outcome.

// Test code: a panic on unwrap/expect is the test failing with its message (the workspace's
// clippy::unwrap_used/expect_used are for production code; see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use edgeprobe_core::http1::{
    build_request, summarize_fetch_response, BodyRead, Progress, ResponseReader, StreamEnd,
};
use edgeprobe_core::observation::{HttpFailure, HttpStep};
use edgeprobe_core::probe_identity::ProbeIdentity;
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/http1")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Feeds all chunks, stopping like the platform does, then finishes with `end` when the
/// reader did not complete on its own.
fn run(
    chunks: &[&[u8]],
    head: bool,
    cap: usize,
    keyword: Option<&str>,
    end: StreamEnd,
) -> HttpStep {
    let mut reader = ResponseReader::new(head, cap, keyword.map(str::to_string));
    let mut stopped = None;
    for c in chunks {
        match reader.feed(c) {
            Progress::NeedMore => {}
            Progress::Complete => {
                stopped = Some(StreamEnd::Complete);
                break;
            }
            Progress::Broken => {
                stopped = Some(StreamEnd::Complete);
                break;
            }
        }
    }
    reader.finish(stopped.unwrap_or(end), 7, 9)
}

#[derive(Debug)]
enum Expect {
    Ok {
        status: u16,
        body_bytes: u64,
        keyword: Option<bool>,
    },
    Fail(HttpFailure),
}

#[test]
fn fixtures_classify_exactly() {
    use Expect::*;
    use HttpFailure::*;
    let kw = Some("Welcome home");
    let cases: &[(&str, bool, StreamEnd, Expect)] = &[
        (
            "ok_content_length.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 200,
                body_bytes: 21,
                keyword: Some(true),
            },
        ),
        (
            "ok_chunked.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 200,
                body_bytes: 13,
                keyword: Some(true),
            },
        ),
        (
            "ok_until_close.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 200,
                body_bytes: 30,
                keyword: Some(true),
            },
        ),
        (
            "continue_then_ok.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 200,
                body_bytes: 12,
                keyword: Some(true),
            },
        ),
        (
            "no_content_204.http",
            false,
            StreamEnd::Timeout,
            Ok {
                status: 204,
                body_bytes: 0,
                keyword: Some(false),
            },
        ),
        (
            "not_modified_304.http",
            false,
            StreamEnd::Timeout,
            Ok {
                status: 304,
                body_bytes: 0,
                keyword: Some(false),
            },
        ),
        (
            "ok_content_length.http",
            true,
            StreamEnd::Timeout,
            Ok {
                status: 200,
                body_bytes: 0,
                keyword: Some(false),
            },
        ),
        (
            "error_502_nginx.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 502,
                body_bytes: 157,
                keyword: Some(false),
            },
        ),
        (
            "repeated_headers.http",
            false,
            StreamEnd::Eof,
            Ok {
                status: 200,
                body_bytes: 0,
                keyword: Some(false),
            },
        ),
        ("empty.bin", false, StreamEnd::Eof, Fail(EmptyReply)),
        (
            "empty.bin",
            false,
            StreamEnd::Timeout,
            Fail(TimeoutBeforeHeaders),
        ),
        (
            "empty.bin",
            false,
            StreamEnd::Reset("ECONNRESET".into()),
            Fail(Reset),
        ),
        (
            "garbage.bin",
            false,
            StreamEnd::Eof,
            Fail(InvalidStatusLine),
        ),
        (
            "hello_line.bin",
            false,
            StreamEnd::Eof,
            Fail(InvalidStatusLine),
        ),
        (
            "bad_status_code.http",
            false,
            StreamEnd::Eof,
            Fail(InvalidStatusLine),
        ),
        (
            "invalid_header.http",
            false,
            StreamEnd::Eof,
            Fail(InvalidHeader),
        ),
        (
            "bad_content_length.http",
            false,
            StreamEnd::Eof,
            Fail(InvalidHeader),
        ),
        (
            "closed_before_headers.http",
            false,
            StreamEnd::Eof,
            Fail(ClosedBeforeHeaders),
        ),
        (
            "invalid_header_cut.http",
            false,
            StreamEnd::Eof,
            Fail(InvalidHeader),
        ),
        (
            "truncated_body.http",
            false,
            StreamEnd::Eof,
            Fail(BodyShorterThanContentLength),
        ),
        (
            "chunked_cut.http",
            false,
            StreamEnd::Eof,
            Fail(BodyShorterThanContentLength),
        ),
        (
            "chunked_invalid.http",
            false,
            StreamEnd::Eof,
            Fail(InvalidChunkedBody),
        ),
        (
            "headers_too_large.http",
            false,
            StreamEnd::Eof,
            Fail(HeadersTooLarge),
        ),
        (
            "slow_headers.http",
            false,
            StreamEnd::Timeout,
            Fail(TimeoutBeforeHeaders),
        ),
        (
            "slow_body.http",
            false,
            StreamEnd::Timeout,
            Fail(TimeoutInBody),
        ),
        (
            "reset_mid_body.http",
            false,
            StreamEnd::Reset("connection reset by peer".into()),
            Fail(Reset),
        ),
    ];
    let mut failures = Vec::new();
    for (name, head, end, expect) in cases {
        let bytes = fixture(name);
        let got = run(&[&bytes], *head, 4096, kw, end.clone());
        let ok = match (&got, expect) {
            (
                HttpStep::Response {
                    response,
                    ttfb_ms: 7,
                    total_ms: 9,
                },
                Ok {
                    status,
                    body_bytes,
                    keyword,
                },
            ) => {
                response.status == *status
                    && response.body_bytes == *body_bytes
                    && response.keyword_found == *keyword
            }
            (HttpStep::Failed { failure, ms: 9, .. }, Fail(f)) => failure == f,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name} (head={head}, end={end:?}):\n  expected {expect:?}\n  got      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) misclassified:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn keeps_identifying_headers_and_error_excerpt() {
    let HttpStep::Response { response, .. } = run(
        &[&fixture("error_502_nginx.http")],
        false,
        4096,
        None,
        StreamEnd::Eof,
    ) else {
        panic!("expected a response")
    };
    assert_eq!(
        response.headers.get("server").map(String::as_str),
        Some("nginx/1.22.1")
    );
    assert_eq!(response.keyword_found, None);
    let excerpt = response.body_excerpt.expect("excerpt for a 502");
    assert!(
        excerpt.contains("<center>nginx/1.22.1</center>"),
        "{excerpt}"
    );
    assert!(!excerpt.contains('\r') && !excerpt.contains('\n'));

    let HttpStep::Response { response, .. } = run(
        &[&fixture("ok_content_length.http")],
        false,
        4096,
        None,
        StreamEnd::Eof,
    ) else {
        panic!("expected a response")
    };
    assert!(
        !response.headers.contains_key("x-secret"),
        "non-identifying header kept: {:?}",
        response.headers
    );
    assert_eq!(response.body_excerpt, None, "no excerpt below 400");

    let HttpStep::Response { response, .. } = run(
        &[&fixture("repeated_headers.http")],
        false,
        4096,
        None,
        StreamEnd::Eof,
    ) else {
        panic!("expected a response")
    };
    assert_eq!(
        response.headers.get("via").map(String::as_str),
        Some("1.1 a, 1.1 b")
    );
}

#[test]
fn body_cap_truncates_and_stops_reading() {
    let bytes = fixture("ok_until_close.http");
    let HttpStep::Response { response, .. } =
        run(&[&bytes], false, 10, Some("close"), StreamEnd::Eof)
    else {
        panic!("response")
    };
    assert!(response.body_truncated);
    assert_eq!(response.body_bytes, 10);
    assert_eq!(
        response.keyword_found,
        Some(false),
        "keyword beyond the cap is not seen"
    );
}

#[test]
fn keyword_straddling_chunks_is_found() {
    let bytes = fixture("ok_content_length.http");
    let at = bytes.len() - 10; // inside "Welcome home"
    let got = run(
        &[&bytes[..at], &bytes[at..]],
        false,
        4096,
        Some("Welcome home"),
        StreamEnd::Eof,
    );
    assert!(
        matches!(got, HttpStep::Response { ref response, .. } if response.keyword_found == Some(true)),
        "{got:?}"
    );
}

#[test]
fn garbage_is_broken_on_the_first_chunk() {
    let mut r = ResponseReader::new(false, 1024, None);
    assert_eq!(r.feed(b"SSH"), Progress::Broken);
    let mut r = ResponseReader::new(false, 1024, None);
    assert_eq!(r.feed(b"HTTP/1."), Progress::NeedMore);
    assert!(r.got_first_byte() && !r.headers_complete());
}

#[test]
fn request_has_fixed_headers_and_refuses_injection() {
    let mut h = BTreeMap::new();
    h.insert("X-Token".to_string(), "abc".to_string());
    h.insert("X-Evil".to_string(), "a\r\nHost: evil".to_string());
    h.insert("Bad Name".to_string(), "x".to_string());
    h.insert("X-Colon:".to_string(), "x".to_string());
    h.insert(String::new(), "x".to_string());
    h.insert("X-Nul".to_string(), "a\0b".to_string());
    h.insert("X-Lone-Cr".to_string(), "a\rb".to_string());
    h.insert("X-Control".to_string(), "a\u{1}b".to_string());
    h.insert("X-Del".to_string(), "a\u{7f}b".to_string());
    h.insert("Host".to_string(), "override".to_string());
    let id = ProbeIdentity::new("0.1.0", "", "weur");
    let req = String::from_utf8(build_request("GET", "example.com", "/health?x=1", &h, &id))
        .expect("ascii");
    let expected = "GET /health?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\nUser-Agent: edgeprobe/0.1.0 (region=weur)\r\nedgeprobe-region: weur\r\nAccept: */*\r\nX-Token: abc\r\n\r\n";
    assert_eq!(req, expected);
    let req = String::from_utf8(build_request(
        "GET\r\n",
        "ex\r\nample.com",
        "/a b\r\nX: y",
        &BTreeMap::new(),
        &id,
    ))
    .expect("ascii");
    assert!(
        req.starts_with("GET /a%20b%0D%0AX:%20y HTTP/1.1\r\nHost: example.com\r\n"),
        "{req}"
    );
}

/// Probes identify themselves on the origin path too (docs/probe-traffic.md): our User-Agent
/// with the docs link and region, and `edgeprobe-region`, which a monitor header can neither
/// replace nor remove; a monitor's own User-Agent replaces ours.
#[test]
fn origin_request_identifies_the_probe_and_its_region() {
    let id = ProbeIdentity::new("1.2.3", "https://docs.example/edgeprobe/", "apac");
    let headers = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let ours = "User-Agent: edgeprobe/1.2.3 (+https://docs.example/edgeprobe/probe-traffic.md; region=apac)\r\n";
    // (monitor headers) -> the header lines after Host and Connection
    let cases: &[(&[(&str, &str)], String)] = &[
        (
            &[],
            format!("{ours}edgeprobe-region: apac\r\nAccept: */*\r\n"),
        ),
        (
            &[("EdgeProbe-Region", "weur"), ("X-Key", "k")],
            format!("{ours}edgeprobe-region: apac\r\nAccept: */*\r\nX-Key: k\r\n"),
        ),
        (
            &[("edgeprobe-region", "")],
            format!("{ours}edgeprobe-region: apac\r\nAccept: */*\r\n"),
        ),
        (
            &[("user-agent", "MyBot/1")],
            "edgeprobe-region: apac\r\nAccept: */*\r\nuser-agent: MyBot/1\r\n".to_string(),
        ),
    ];
    for (monitor, lines) in cases {
        let req = String::from_utf8(build_request(
            "GET",
            "example.com",
            "/",
            &headers(monitor),
            &id,
        ))
        .expect("ascii");
        let want =
            format!("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n{lines}\r\n");
        assert_eq!(req, want, "monitor headers {monitor:?}");
        let parsed = {
            let mut hs = [httparse::EMPTY_HEADER; 16];
            let mut r = httparse::Request::new(&mut hs);
            assert!(
                r.parse(req.as_bytes()).is_ok_and(|s| s.is_complete()),
                "{req}"
            );
            r.headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("edgeprobe-region"))
                .count()
        };
        assert_eq!(parsed, 1, "exactly one region header: {req}");
    }
}

#[test]
fn fetch_summary_shares_selection_and_excerpt() {
    let headers = vec![
        ("Server".to_string(), "cloudflare".to_string()),
        ("Set-Cookie".to_string(), "x".to_string()),
        ("CF-RAY".to_string(), "abc-CDG".to_string()),
    ];
    let body = b"<title>Connection timed out | example.com | Cloudflare</title>\n\tRay ID: abc";
    let s = summarize_fetch_response(
        522,
        headers.into_iter(),
        body,
        false,
        Some("Welcome"),
        BodyRead::Ended,
    );
    assert_eq!(
        s.headers.keys().collect::<Vec<_>>(),
        vec!["cf-ray", "server"]
    );
    assert_eq!(
        s.body_excerpt.as_deref(),
        Some("<title>Connection timed out | example.com | Cloudflare</title> Ray ID: abc")
    );
    assert_eq!(s.keyword_found, Some(false));
    assert_eq!(s.body_bytes, body.len() as u64);
    assert_eq!(s.body_error, None);
}

/// Regression: nginx passes on a 200 whose body the origin cut short (crash mid-response);
/// the fetch path must not call that page fine.
#[test]
fn fetch_summary_flags_a_body_that_broke_off() {
    let cl = |n: &str| vec![("content-length".to_string(), n.to_string())];
    let short = summarize_fetch_response(
        200,
        cl("1000").into_iter(),
        b"0123456789",
        false,
        Some("ok"),
        BodyRead::Ended,
    );
    assert!(
        short
            .body_error
            .as_deref()
            .is_some_and(|e| e.contains("10 of 1000")),
        "{short:?}"
    );
    assert_eq!(
        short.keyword_found, None,
        "a missing keyword in a broken body proves nothing"
    );

    let broken = summarize_fetch_response(
        200,
        Vec::new().into_iter(),
        b"abc",
        false,
        None,
        BodyRead::Broken("Network connection lost.".into()),
    );
    assert!(
        broken
            .body_error
            .as_deref()
            .is_some_and(|e| e.contains("after 3 bytes") && e.contains("connection lost")),
        "{broken:?}"
    );

    // HEAD: nothing read, nothing wrong; capped: longer than the cap is not short.
    assert_eq!(
        summarize_fetch_response(
            200,
            cl("1000").into_iter(),
            b"",
            false,
            None,
            BodyRead::NotRead
        )
        .body_error,
        None
    );
    assert_eq!(
        summarize_fetch_response(
            200,
            cl("1000").into_iter(),
            b"0123",
            true,
            None,
            BodyRead::Ended
        )
        .body_error,
        None
    );
    assert_eq!(
        summarize_fetch_response(
            200,
            cl("4").into_iter(),
            b"0123",
            false,
            None,
            BodyRead::Ended
        )
        .body_error,
        None
    );
}

fn split_at_points(bytes: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
    points.retain(|p| *p <= bytes.len());
    points.sort();
    points.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points {
        out.push(&bytes[last..p]);
        last = p;
    }
    out.push(&bytes[last..]);
    out
}

/// Failed steps count the bytes of every chunk fed before the reader stopped, which depends
/// on chunking; everything else must not.
fn normalized(step: HttpStep) -> HttpStep {
    match step {
        HttpStep::Failed {
            failure,
            ms,
            detail,
            ..
        } => HttpStep::Failed {
            failure,
            ms,
            detail,
            bytes_received: 0,
        },
        other => other,
    }
}

fn valid_fixtures() -> Vec<Vec<u8>> {
    [
        "ok_content_length.http",
        "ok_chunked.http",
        "ok_until_close.http",
        "continue_then_ok.http",
        "error_502_nginx.http",
        "truncated_body.http",
        "chunked_invalid.http",
        "invalid_header.http",
        "garbage.bin",
        "closed_before_headers.http",
        "invalid_header_cut.http",
        "chunked_cut.http",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), points in proptest::collection::vec(0usize..600, 0..8), head in any::<bool>(), cap in 0usize..64) {
        let chunks = split_at_points(&bytes, points);
        for end in [StreamEnd::Eof, StreamEnd::Timeout, StreamEnd::Reset("x".into())] {
            let _ = run(&chunks, head, cap, Some("ab"), end);
        }
    }

    #[test]
    fn http_like_bytes_never_panic(prefix in "HTTP/1\\.[01] [0-9]{3}[ a-zA-Z]*\r\n((Content-Length: [0-9]{1,3}|Transfer-Encoding: chunked|X: y)\r\n){0,3}\r\n", body in proptest::collection::vec(any::<u8>(), 0..200), points in proptest::collection::vec(0usize..400, 0..8)) {
        let mut bytes = prefix.into_bytes();
        bytes.extend_from_slice(&body);
        let chunks = split_at_points(&bytes, points);
        let _ = run(&chunks, false, 100, Some("ab"), StreamEnd::Eof);
    }

    #[test]
    fn chunking_does_not_change_the_outcome(which in 0usize..12, points in proptest::collection::vec(0usize..400, 0..12), cap in prop_oneof![Just(4096usize), 0usize..40]) {
        let bytes = &valid_fixtures()[which];
        let whole = normalized(run(&[bytes], false, cap, Some("Welcome home"), StreamEnd::Eof));
        let split = normalized(run(&split_at_points(bytes, points), false, cap, Some("Welcome home"), StreamEnd::Eof));
        prop_assert_eq!(whole, split);
    }
}

#[test]
fn byte_by_byte_feeding_gives_the_same_answers() {
    for name in [
        "headers_too_large.http",
        "ok_chunked.http",
        "invalid_header.http",
        "continue_then_ok.http",
    ] {
        let bytes = fixture(name);
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        let whole = normalized(run(
            &[&bytes],
            false,
            4096,
            Some("Welcome home"),
            StreamEnd::Eof,
        ));
        let split = normalized(run(
            &singles,
            false,
            4096,
            Some("Welcome home"),
            StreamEnd::Eof,
        ));
        assert_eq!(whole, split, "{name}");
    }
}
