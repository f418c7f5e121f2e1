//! Small socket helpers shared by the rig's servers: free loopback ports, waiting for a
//! listener, reading one request head, and sleeps that a stop flag can cut short.
//!
//! Every wait here is bounded; nothing here decides what a case does.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The largest request head the rig reads before giving up on a client.
const MAX_HEAD: usize = 64 * 1024;

/// Reserves `n` distinct free ports on 127.0.0.1. They are free when this returns, but a
/// process started later could take one first: callers that can retry do.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    // Hold every listener until all are chosen so the kernel hands out distinct ports.
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    held.iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// True when something accepts TCP connections on 127.0.0.1:`port` right now.
pub fn is_listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Sleeps for `total`, waking early when `stop` is set. Returns true if it slept fully.
pub fn sleep_unless(stop: &AtomicBool, total: Duration) -> bool {
    let deadline = Instant::now() + total;
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// What was read of a request head before the client stopped sending.
pub struct RequestHead {
    /// Bytes up to and including the blank line (or everything read if it never came).
    pub head: Vec<u8>,
    /// Bytes read after the blank line (the start of a body).
    pub rest: Vec<u8>,
    /// True when the blank line ending the head was seen.
    pub complete: bool,
}

impl RequestHead {
    /// The request method, or "" when the head is unreadable.
    pub fn method(&self) -> &str {
        let line_end = self.head.iter().position(|&b| b == b' ').unwrap_or(0);
        std::str::from_utf8(&self.head[..line_end]).unwrap_or("")
    }
}

/// Reads until the end of the request head, EOF, the socket's read timeout, or `MAX_HEAD`.
pub fn read_request_head(stream: &mut TcpStream) -> RequestHead {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find_blank_line(&buf) {
            let rest = buf.split_off(end);
            return RequestHead {
                head: buf,
                rest,
                complete: true,
            };
        }
        if buf.len() >= MAX_HEAD {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    RequestHead {
        head: buf,
        rest: Vec::new(),
        complete: false,
    }
}

/// Index just past the first "\r\n\r\n".
fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// A response as read off the wire by `http_get`.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Whatever body bytes arrived before the connection closed.
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A one-shot `GET path` to 127.0.0.1:`port` (Connection: close), read to EOF within
/// `timeout`. Errors when nothing parseable came back.
pub fn http_get(port: u16, path: &str, timeout: Duration) -> std::io::Result<RawResponse> {
    http_get_with_headers(port, path, &[], timeout)
}

/// [`http_get`] with extra request headers (names and values sent as given).
pub fn http_get_with_headers(
    port: u16,
    path: &str,
    extra: &[(&str, &str)],
    timeout: Duration,
) -> std::io::Result<RawResponse> {
    use std::io::Write;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    let deadline = Instant::now() + timeout;
    stream.set_read_timeout(Some(timeout))?;
    let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: edgeprobe-rig\r\n{extra}Connection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    while Instant::now() < deadline {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&raw) {
        Ok(httparse::Status::Complete(len)) => Ok(RawResponse {
            status: resp.code.unwrap_or(0),
            headers: resp
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_ascii_lowercase(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            body: raw[len..].to_vec(),
        }),
        _ => Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "no parseable HTTP response ({} bytes: {:?})",
                raw.len(),
                String::from_utf8_lossy(&raw[..raw.len().min(120)])
            ),
        )),
    }
}

/// A loopback TCP port that refuses connections and that nobody else can take: a socket bound
/// to it but never listening. Connecting gets a RST ("connection refused"), exactly like a
/// host whose server process is down.
pub struct ClosedPort {
    fd: std::os::fd::OwnedFd,
    port: u16,
}

impl ClosedPort {
    // std cannot bind a TCP socket without listening on it; socket(2), bind(2) and
    // getsockname(2) by hand are the whole point of this type.
    #[allow(unsafe_code)]
    pub fn reserve() -> std::io::Result<ClosedPort> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain socket(2); the result is checked before it is wrapped.
        let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh, valid descriptor we own from here on.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_in is plain old data; all zeroes is a valid value.
        let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        addr.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        use std::os::fd::AsRawFd;
        // SAFETY: addr is a valid sockaddr_in of the given length.
        if unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &addr as *const _ as *const libc::sockaddr,
                len,
            )
        } != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: as for `addr`.
        let mut bound: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        let mut bound_len = len;
        // SAFETY: bound/bound_len describe a writable sockaddr_in.
        if unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                &mut bound as *mut _ as *mut libc::sockaddr,
                &mut bound_len,
            )
        } != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        Ok(ClosedPort {
            fd,
            port: u16::from_be(bound.sin_port),
        })
    }

    pub fn port(&self) -> u16 {
        let _ = &self.fd;
        self.port
    }
}
