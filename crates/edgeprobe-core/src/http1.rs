//! HTTP/1.1 on a raw socket, without the socket: request bytes built purely, and an
//! incremental response reader the platform feeds whatever chunks the socket yields.
//!
//! This module owns the exact classification of how an origin's HTTP/1.1 answer broke
//! ([`HttpFailure`]) and the reduction of a response to a [`ResponseSummary`] (shared with the
//! fetch-API edge path through [`summarize_fetch_response`]). It must not do I/O, read a
//! clock (the platform measures times and passes them to [`ResponseReader::finish`]), or
//! panic on any input: every byte sequence, split at any chunk boundary, yields one outcome.

use std::collections::BTreeMap;

use crate::observation::{HttpFailure, HttpStep, ResponseSummary, IDENTIFYING_HEADERS};
use crate::probe_identity::{is_probe_owned, ProbeIdentity};
use crate::time::Millis;

/// A header block larger than this is refused (`HeadersTooLarge`), so a hostile origin cannot
/// make the probe buffer without bound.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Printable characters kept in `body_excerpt`.
pub const EXCERPT_CHARS: usize = 512;

/// Builds an HTTP/1.1 request. Monitor headers whose name is not a token or whose value holds
/// a control character other than tab (CR, LF, NUL…) are skipped, as the `http` crate judges
/// them (no header injection; validation refuses both when a monitor is saved); headers the probe owns (Host,
/// Connection, framing, `edgeprobe-region`) cannot be overridden. The probe identifies itself
/// as `identity` says (`core::probe_identity`: a monitor's own User-Agent replaces ours).
pub fn build_request(
    method: &str,
    host_header: &str,
    path_and_query: &str,
    headers: &BTreeMap<String, String>,
    identity: &ProbeIdentity,
) -> Vec<u8> {
    // A method is a token (RFC 9110 §9.1); anything else would break the request line.
    let method = if http::Method::from_bytes(method.as_bytes()).is_ok() {
        method
    } else {
        "GET"
    };
    let path = sanitize_target(path_and_query);
    let host: String = host_header
        .chars()
        .filter(|c| !c.is_control() && *c != ' ')
        .collect();
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in identity.own_headers(headers) {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers.keys().any(|k| k.eq_ignore_ascii_case("accept")) {
        out.push_str("Accept: */*\r\n");
    }
    const RESERVED: &[&str] = &[
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "te",
        "upgrade",
    ];
    for (name, value) in headers {
        let reserved =
            RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r)) || is_probe_owned(name);
        // A token name (RFC 9110 §5.1); a value without CR, LF, NUL or other controls that
        // could end the header line or be read differently by the origin.
        let name_ok = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
        let value_ok = http::HeaderValue::from_bytes(value.as_bytes()).is_ok();
        if !reserved && name_ok && value_ok {
            out.push_str(&format!("{name}: {}\r\n", value.trim()));
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Percent-encodes what may not appear in a request target (controls, spaces, non-ASCII),
/// so a path can never end the request line early.
fn sanitize_target(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    if !path.starts_with('/') && path != "*" {
        out.push('/');
    }
    for c in path.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// What the reader wants after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Keep reading.
    NeedMore,
    /// The response is complete (or the body cap was reached): stop reading.
    Complete,
    /// The bytes can never become a valid response: stop reading.
    Broken,
}

/// How the platform's read loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// The reader said `Complete`.
    Complete,
    /// The peer closed the connection.
    Eof,
    /// The probe's deadline passed.
    Timeout,
    /// The peer reset the connection (runtime text).
    Reset(String),
    /// Any other read error (runtime text).
    ReadError(String),
}

#[derive(Debug, Clone)]
enum Framing {
    None,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

#[derive(Debug, Clone, Copy)]
enum Chunk {
    SizeStart,
    Size(u64),
    Ext(u64),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    TrailerLineStart,
    TrailerLine,
    TrailerEndLf,
}

#[derive(Debug, Clone)]
enum Phase {
    Head,
    Body(Framing),
    Done,
    Broken(HttpFailure, String),
}

/// Incremental HTTP/1.1 response reader. Calling contract: `feed` every chunk in order until
/// it returns `Complete` or `Broken` (or the stream ends), then call `finish` once with how
/// the stream ended and the times the platform measured.
#[derive(Debug, Clone)]
pub struct ResponseReader {
    head_request: bool,
    body_cap: usize,
    keyword: Option<String>,
    head_buf: Vec<u8>,
    phase: Phase,
    bytes_received: u64,
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
    body_seen: u64,
}

impl ResponseReader {
    /// `head_request`: the request was HEAD (no body follows). `body_cap`: body bytes kept and
    /// read at most (reading stops once the body is longer). `keyword`: searched in the kept body.
    pub fn new(head_request: bool, body_cap: usize, keyword: Option<String>) -> Self {
        ResponseReader {
            head_request,
            body_cap,
            keyword,
            head_buf: Vec::new(),
            phase: Phase::Head,
            bytes_received: 0,
            status: 0,
            headers: BTreeMap::new(),
            body: Vec::new(),
            body_seen: 0,
        }
    }

    /// True once any byte arrived: the platform takes its time-to-first-byte here.
    pub fn got_first_byte(&self) -> bool {
        self.bytes_received > 0
    }

    /// True once the final (non-1xx) header block was parsed.
    pub fn headers_complete(&self) -> bool {
        matches!(self.phase, Phase::Body(_) | Phase::Done)
    }

    fn progress(&self) -> Progress {
        match self.phase {
            Phase::Head | Phase::Body(_) => Progress::NeedMore,
            Phase::Done => Progress::Complete,
            Phase::Broken(..) => Progress::Broken,
        }
    }

    /// Takes the next chunk from the socket. Chunks after `Complete` or `Broken` are ignored.
    pub fn feed(&mut self, chunk: &[u8]) -> Progress {
        if matches!(self.phase, Phase::Head | Phase::Body(_)) {
            self.bytes_received += chunk.len() as u64;
        }
        match self.phase {
            Phase::Head => {
                self.head_buf.extend_from_slice(chunk);
                // A head can only end, or a header line only break, at a newline; parsing only
                // then keeps many tiny chunks from costing quadratic time. Garbage in the
                // status line is still refused at once, and `finish` parses what is left.
                if !chunk.contains(&b'\n') && self.head_buf.len() <= MAX_HEADER_BYTES {
                    if let Err(detail) = check_status_line(&self.head_buf) {
                        self.phase = Phase::Broken(HttpFailure::InvalidStatusLine, detail);
                    }
                    return self.progress();
                }
                if let Some(consumed) = self.parse_heads() {
                    // Whatever follows the final head already belongs to the body.
                    let leftover = self.head_buf.split_off(consumed.min(self.head_buf.len()));
                    self.head_buf = Vec::new();
                    self.feed_body(&leftover);
                }
            }
            Phase::Body(_) => self.feed_body(chunk),
            Phase::Done | Phase::Broken(..) => {}
        }
        self.progress()
    }

    /// Parses as many heads as the buffer holds (skipping 1xx interim responses). Returns the
    /// buffer offset where the final head ended, or `None` while more bytes are needed (or
    /// when the phase became `Broken`).
    fn parse_heads(&mut self) -> Option<usize> {
        let mut offset = 0usize;
        loop {
            let buf = &self.head_buf[offset..];
            if let Err(detail) = check_status_line(buf) {
                self.phase = Phase::Broken(HttpFailure::InvalidStatusLine, detail);
                return None;
            }
            let mut storage = [httparse::EMPTY_HEADER; 128];
            let mut resp = httparse::Response::new(&mut storage);
            match resp.parse(buf) {
                Ok(httparse::Status::Partial) => {
                    if buf.len() > MAX_HEADER_BYTES {
                        self.phase = Phase::Broken(
                            HttpFailure::HeadersTooLarge,
                            format!("header block exceeds {MAX_HEADER_BYTES} bytes"),
                        );
                    }
                    return None;
                }
                Ok(httparse::Status::Complete(n)) => {
                    if n > MAX_HEADER_BYTES {
                        self.phase = Phase::Broken(
                            HttpFailure::HeadersTooLarge,
                            format!("header block exceeds {MAX_HEADER_BYTES} bytes"),
                        );
                        return None;
                    }
                    let status = resp.code.unwrap_or(0);
                    if (100..200).contains(&status) && status != 101 {
                        offset += n;
                        continue;
                    }
                    let pairs: Vec<(String, String)> = resp
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_ascii_lowercase(),
                                String::from_utf8_lossy(h.value).trim().to_string(),
                            )
                        })
                        .collect();
                    match framing_for(status, self.head_request, &pairs) {
                        Ok(framing) => {
                            self.status = status;
                            self.headers = select_headers(pairs.into_iter());
                            self.phase = match framing {
                                Framing::None => Phase::Done,
                                f => Phase::Body(f),
                            };
                        }
                        Err(detail) => {
                            self.phase = Phase::Broken(HttpFailure::InvalidHeader, detail)
                        }
                    }
                    return if matches!(self.phase, Phase::Broken(..)) {
                        None
                    } else {
                        Some(offset + n)
                    };
                }
                Err(e) => {
                    let failure = match e {
                        httparse::Error::Status | httparse::Error::Version => {
                            HttpFailure::InvalidStatusLine
                        }
                        httparse::Error::TooManyHeaders => HttpFailure::HeadersTooLarge,
                        _ => HttpFailure::InvalidHeader,
                    };
                    self.phase = Phase::Broken(failure, format!("httparse: {e}"));
                    return None;
                }
            }
        }
    }

    fn feed_body(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let Phase::Body(framing) = &mut self.phase else {
                return;
            };
            match framing {
                Framing::None => {
                    self.phase = Phase::Done;
                    return;
                }
                Framing::UntilClose => {
                    let take = data.len();
                    let n = Self::keep(
                        &mut self.body,
                        &mut self.body_seen,
                        self.body_cap,
                        &data[..take],
                    );
                    data = &data[n..];
                }
                Framing::Length(remaining) => {
                    let take = (*remaining).min(data.len() as u64) as usize;
                    *remaining -= take as u64;
                    let done = *remaining == 0;
                    let n = Self::keep(
                        &mut self.body,
                        &mut self.body_seen,
                        self.body_cap,
                        &data[..take],
                    );
                    data = &data[n..];
                    if done && n == take {
                        self.phase = Phase::Done;
                        return;
                    }
                }
                Framing::Chunked(state) => {
                    if let Chunk::Data(remaining) = state {
                        let take = (*remaining).min(data.len() as u64) as usize;
                        *remaining -= take as u64;
                        if *remaining == 0 {
                            *state = Chunk::DataCr;
                        }
                        let n = Self::keep(
                            &mut self.body,
                            &mut self.body_seen,
                            self.body_cap,
                            &data[..take],
                        );
                        data = &data[n..];
                    } else {
                        let b = data[0];
                        data = &data[1..];
                        match step_chunk(*state, b) {
                            Ok(Some(next)) => *state = next,
                            Ok(None) => {
                                self.phase = Phase::Done;
                                return;
                            }
                            Err(detail) => {
                                self.phase = Phase::Broken(HttpFailure::InvalidChunkedBody, detail);
                                return;
                            }
                        }
                    }
                }
            }
            if self.body_seen > self.body_cap as u64 {
                self.phase = Phase::Done;
                return;
            }
        }
    }

    /// Keeps body bytes up to the cap (plus one byte, so truncation is detectable) and returns
    /// how many of `data` it consumed: reading stops once the cap is exceeded.
    fn keep(body: &mut Vec<u8>, seen: &mut u64, cap: usize, data: &[u8]) -> usize {
        let room = (cap as u64 + 1).saturating_sub(*seen) as usize;
        let n = room.min(data.len());
        let keep_n = cap.saturating_sub(body.len()).min(n);
        body.extend_from_slice(&data[..keep_n]);
        *seen += n as u64;
        n
    }

    /// Turns what was read, and how the stream ended, into the HTTP step.
    pub fn finish(mut self, end: StreamEnd, ttfb_ms: Millis, total_ms: Millis) -> HttpStep {
        if matches!(self.phase, Phase::Head) && !self.head_buf.is_empty() {
            // Bytes after the last newline were not parsed yet (see `feed`); a header fault
            // in them must be reported the same however the bytes were chunked.
            let _ = self.parse_heads();
        }
        let fail = |failure: HttpFailure, detail: String| HttpStep::Failed {
            failure,
            ms: total_ms,
            detail,
            bytes_received: self.bytes_received,
        };
        let end_detail = |end: &StreamEnd| match end {
            StreamEnd::Reset(d) => format!("connection reset: {d}"),
            StreamEnd::ReadError(d) => format!("read error: {d}"),
            _ => String::new(),
        };
        match &self.phase {
            Phase::Done => self.into_response(ttfb_ms, total_ms),
            Phase::Broken(f, d) => fail(*f, d.clone()),
            Phase::Head => match &end {
                StreamEnd::Timeout => fail(
                    HttpFailure::TimeoutBeforeHeaders,
                    format!(
                        "no complete header block after {} bytes",
                        self.bytes_received
                    ),
                ),
                StreamEnd::Reset(_) | StreamEnd::ReadError(_) => {
                    fail(HttpFailure::Reset, end_detail(&end))
                }
                StreamEnd::Eof | StreamEnd::Complete if self.bytes_received == 0 => fail(
                    HttpFailure::EmptyReply,
                    "connection closed without a response".into(),
                ),
                StreamEnd::Eof | StreamEnd::Complete => fail(
                    HttpFailure::ClosedBeforeHeaders,
                    format!(
                        "connection closed after {} bytes, before the header block ended",
                        self.bytes_received
                    ),
                ),
            },
            Phase::Body(framing) => match (&end, framing) {
                (StreamEnd::Eof | StreamEnd::Complete, Framing::UntilClose | Framing::None) => {
                    self.into_response(ttfb_ms, total_ms)
                }
                (StreamEnd::Eof | StreamEnd::Complete, Framing::Length(left)) => fail(
                    HttpFailure::BodyShorterThanContentLength,
                    format!("connection closed {left} bytes before Content-Length"),
                ),
                (StreamEnd::Eof | StreamEnd::Complete, Framing::Chunked(_)) => fail(
                    HttpFailure::BodyShorterThanContentLength,
                    "connection closed before the final chunk".into(),
                ),
                (StreamEnd::Timeout, _) => fail(
                    HttpFailure::TimeoutInBody,
                    format!("body incomplete after {} body bytes", self.body_seen),
                ),
                (StreamEnd::Reset(_) | StreamEnd::ReadError(_), _) => {
                    fail(HttpFailure::Reset, end_detail(&end))
                }
            },
        }
    }

    fn into_response(self, ttfb_ms: Millis, total_ms: Millis) -> HttpStep {
        let truncated = self.body_seen > self.body_cap as u64;
        let keyword_found = self
            .keyword
            .as_deref()
            .map(|k| contains(&self.body, k.as_bytes()));
        let response = ResponseSummary {
            status: self.status,
            body_bytes: self.body.len() as u64,
            body_truncated: truncated,
            body_excerpt: excerpt_for(self.status, &self.body),
            keyword_found,
            headers: self.headers,
            // A broken body is an HttpStep::Failed on this path, never a Response.
            body_error: None,
        };
        HttpStep::Response {
            response,
            ttfb_ms,
            total_ms,
        }
    }
}

/// Checks what is there of the status line so garbage is refused as soon as it arrives. The
/// detail names the first offending byte, so it does not depend on how bytes were chunked.
fn check_status_line(buf: &[u8]) -> Result<(), String> {
    // Only the first 13 bytes decide; looking no further keeps this O(1) per chunk.
    let buf = &buf[..buf.len().min(64)];
    const PREFIX: &[u8] = b"HTTP/1.";
    let line_end = buf.iter().position(|&b| b == b'\n');
    let line = &buf[..line_end.unwrap_or(buf.len())];
    let expect = |i: usize, b: u8| -> bool {
        match i {
            0..=6 => b == PREFIX[i],
            7 | 9 | 10 | 11 => b.is_ascii_digit(),
            8 => b == b' ',
            12 => b == b' ' || b == b'\r',
            _ => true,
        }
    };
    if let Some(i) = line
        .iter()
        .enumerate()
        .take(13)
        .position(|(i, &b)| !expect(i, b))
    {
        return Err(format!(
            "invalid status line: unexpected byte 0x{:02x} at offset {i}",
            line[i]
        ));
    }
    if line_end.is_some() && line.len() < 12 {
        return Err(format!(
            "invalid status line: line ends at offset {}",
            line.len()
        ));
    }
    Ok(())
}

fn step_chunk(state: Chunk, b: u8) -> Result<Option<Chunk>, String> {
    let hex = |b: u8| (b as char).to_digit(16).map(u64::from);
    let end_size_line = |size: u64| {
        if size == 0 {
            Chunk::TrailerLineStart
        } else {
            Chunk::Data(size)
        }
    };
    Ok(Some(match (state, b) {
        (Chunk::SizeStart, _) => match hex(b) {
            Some(d) => Chunk::Size(d),
            None => return Err(format!("invalid chunk size byte 0x{b:02x}")),
        },
        (Chunk::Size(n), _) if hex(b).is_some() => {
            let d = hex(b).unwrap_or(0);
            match n.checked_mul(16).and_then(|v| v.checked_add(d)) {
                Some(v) if v < (1 << 48) => Chunk::Size(v),
                _ => return Err("chunk size overflow".into()),
            }
        }
        (Chunk::Size(n), b';' | b' ' | b'\t') => Chunk::Ext(n),
        (Chunk::Size(n) | Chunk::Ext(n), b'\r') => Chunk::SizeLf(n),
        (Chunk::Size(n) | Chunk::Ext(n) | Chunk::SizeLf(n), b'\n') => end_size_line(n),
        (Chunk::Size(_), _) => return Err(format!("invalid chunk size byte 0x{b:02x}")),
        (Chunk::Ext(n), _) => Chunk::Ext(n),
        (Chunk::SizeLf(_), _) => return Err("expected LF after chunk size".into()),
        (Chunk::Data(n), _) => Chunk::Data(n), // not reached: data is consumed in bulk
        (Chunk::DataCr, b'\r') => Chunk::DataLf,
        (Chunk::DataCr | Chunk::DataLf, b'\n') => Chunk::SizeStart,
        (Chunk::DataCr | Chunk::DataLf, _) => return Err("missing CRLF after chunk data".into()),
        (Chunk::TrailerLineStart, b'\r') => Chunk::TrailerEndLf,
        (Chunk::TrailerLineStart | Chunk::TrailerEndLf, b'\n') => return Ok(None),
        (Chunk::TrailerEndLf, _) => return Err("expected LF after last chunk".into()),
        (Chunk::TrailerLine, b'\n') => Chunk::TrailerLineStart,
        (Chunk::TrailerLineStart | Chunk::TrailerLine, _) => Chunk::TrailerLine,
    }))
}

/// Decides how the body is delimited (RFC 9112 §6.3). Errors are header faults.
fn framing_for(
    status: u16,
    head_request: bool,
    headers: &[(String, String)],
) -> Result<Framing, String> {
    if head_request || status == 101 || status == 204 || status == 304 {
        return Ok(Framing::None);
    }
    let te: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "transfer-encoding")
        .map(|(_, v)| v.as_str())
        .collect();
    if !te.is_empty() {
        let last = te
            .join(",")
            .rsplit(',')
            .next()
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        return Ok(if last == "chunked" {
            Framing::Chunked(Chunk::SizeStart)
        } else {
            Framing::UntilClose
        });
    }
    let mut length: Option<u64> = None;
    for (_, v) in headers.iter().filter(|(n, _)| n == "content-length") {
        for part in v.split(',') {
            let part = part.trim();
            let parsed = if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u64>().ok()
            } else {
                None
            };
            match (parsed, length) {
                (None, _) => {
                    return Err(format!(
                        "invalid Content-Length: {:?}",
                        printable(v.as_bytes())
                    ))
                }
                (Some(p), Some(l)) if p != l => {
                    return Err("conflicting Content-Length values".into())
                }
                (Some(p), _) => length = Some(p),
            }
        }
    }
    Ok(match length {
        Some(0) => Framing::None,
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// Keeps only the identifying headers, lower-case, repeated ones joined with ", ".
fn select_headers(headers: impl Iterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !IDENTIFYING_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value: String = value
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .to_string();
        out.entry(name)
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// A short printable excerpt for error responses: lossy UTF-8, whitespace collapsed, other
/// control characters dropped.
fn excerpt_for(status: u16, body: &[u8]) -> Option<String> {
    if status < 400 {
        return None;
    }
    let text = printable(body);
    let mut out = String::new();
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= EXCERPT_CHARS {
            break;
        }
    }
    let out: String = out.chars().take(EXCERPT_CHARS).collect();
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// How the platform's read of a fetched body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyRead {
    /// The stream ended (or the cap was reached).
    Ended,
    /// The body was not read (HEAD request).
    NotRead,
    /// Reading failed after the headers arrived (the runtime's text), or our deadline hit.
    Broken(String),
}

/// Summarizes a response the platform read through the fetch API (the edge path), with the
/// same header selection, excerpt and keyword rules as the socket path. A body that broke,
/// or ended before its Content-Length, is recorded in `body_error`.
pub fn summarize_fetch_response(
    status: u16,
    headers: impl Iterator<Item = (String, String)>,
    body: &[u8],
    body_truncated: bool,
    keyword: Option<&str>,
    read: BodyRead,
) -> ResponseSummary {
    let headers = select_headers(headers);
    let declared = headers
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body_error = match read {
        BodyRead::Broken(text) => Some(format!(
            "the body broke off after {} bytes: {text}",
            body.len()
        )),
        BodyRead::Ended => match declared {
            Some(cl) if !body_truncated && (body.len() as u64) < cl => Some(format!(
                "the body ended after {} of {cl} bytes announced by Content-Length",
                body.len()
            )),
            _ => None,
        },
        BodyRead::NotRead => None,
    };
    ResponseSummary {
        status,
        headers,
        body_bytes: body.len() as u64,
        body_truncated,
        body_excerpt: excerpt_for(status, body),
        keyword_found: match (keyword, &body_error) {
            (Some(k), None) => Some(contains(body, k.as_bytes())),
            // A keyword missing from a body that broke off proves nothing about the page.
            (Some(k), Some(_)) if contains(body, k.as_bytes()) => Some(true),
            (Some(_), Some(_)) | (None, _) => None,
        },
        body_error,
    }
}
