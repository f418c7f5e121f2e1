//! The rig's plain-HTTP origins: one std::net listener thread per behaviour, one thread per
//! connection, each answering the way a broken (or healthy) backend really does on the wire.
//!
//! It owns the sockets and threads of its origins and nothing else; it must never sleep or
//! block without a bound, and stopping an origin closes its listening socket so the port
//! refuses connections from then on (the "process down" state).

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::net::{read_request_head, sleep_unless};

/// The keyword every healthy page carries, so keyword checks have something to match.
pub const HEALTHY_KEYWORD: &str = "edgeprobe-ok";

/// The healthy page. Small, HTML, with the keyword.
pub const HEALTHY_BODY: &str =
    "<!doctype html>\n<html><head><title>edgeprobe rig origin</title></head>\
<body><p>edgeprobe-ok</p></body></html>\n";

/// How long a connection may stay silent before the origin gives up reading it.
const CLIENT_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// What an origin does with each request it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 with `HEALTHY_BODY` and a Content-Length; `max_age` sets Cache-Control so a
    /// caching front can keep (and later serve stale) the page.
    Healthy { max_age: Option<u32> },
    /// Status line and headers announcing 1000 body bytes, 10 bytes, then close.
    CrashMidResponse,
    /// "HTTP/1.1 2OO OK": letters where the status digits belong.
    MalformedStatusLine,
    /// A header line with spaces in its name and no colon.
    MalformedHeader,
    /// Reads the request, closes without writing a byte.
    EmptyReply,
    /// Answers like `Healthy`, but only after this delay.
    Slow(Duration),
    /// A well-formed error page from the application itself.
    AppError { status: u16 },
    /// Reads the request and never answers; closes after this long.
    Hang(Duration),
    /// Another protocol on the HTTP port: an SSH server's banner, then close (an origin port
    /// pointing at the wrong service).
    NotHttp,
}

/// What `Behaviour::NotHttp` sends: an OpenSSH server's identification line (RFC 4253).
pub const SSH_BANNER: &[u8] = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

/// One running origin. Dropping it stops it.
pub struct OriginServer {
    port: u16,
    stop_accepting: Arc<AtomicBool>,
    stop_all: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Connection>>>,
}

struct Connection {
    stream: TcpStream,
    handler: JoinHandle<()>,
}

impl OriginServer {
    /// Binds 127.0.0.1 on a kernel-chosen port and starts answering with `behaviour`.
    pub fn start(behaviour: Behaviour) -> std::io::Result<OriginServer> {
        OriginServer::start_on(0, behaviour)
    }

    /// Like `start` on a given port (0 = any): how a stopped origin comes back on its port.
    pub fn start_on(port: u16, behaviour: Behaviour) -> std::io::Result<OriginServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        // Non-blocking accept so the loop can notice the stop flag within a few ms.
        listener.set_nonblocking(true)?;
        let stop_accepting = Arc::new(AtomicBool::new(false));
        let stop_all = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let acceptor = {
            let (stop_accepting, stop_all, connections) = (
                stop_accepting.clone(),
                stop_all.clone(),
                connections.clone(),
            );
            thread::Builder::new()
                .name(format!("rig-origin-{port}"))
                .spawn(move || {
                    accept_loop(
                        listener,
                        behaviour,
                        &stop_accepting,
                        &stop_all,
                        &connections,
                    )
                })?
        };
        Ok(OriginServer {
            port,
            stop_accepting,
            stop_all,
            acceptor: Some(acceptor),
            connections,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the listening socket: new connections are refused from now on. Requests
    /// already in flight finish normally.
    pub fn stop_listening(&mut self) {
        self.stop_accepting.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Drop for OriginServer {
    fn drop(&mut self) {
        self.stop_all.store(true, Ordering::SeqCst);
        self.stop_listening();
        let connections = match self.connections.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for c in connections {
            // Unblocks a handler stuck in read; sleeping handlers see the flag.
            let _ = c.stream.shutdown(Shutdown::Both);
            let _ = c.handler.join();
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    behaviour: Behaviour,
    stop_accepting: &AtomicBool,
    stop_all: &Arc<AtomicBool>,
    connections: &Mutex<Vec<Connection>>,
) {
    while !stop_accepting.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let Ok(handle_side) = prepare(&stream) else {
                    continue;
                };
                let stop = stop_all.clone();
                let spawned = thread::Builder::new()
                    .name("rig-origin-conn".into())
                    .spawn(move || serve(handle_side, behaviour, &stop));
                if let (Ok(handler), Ok(mut list)) = (spawned, connections.lock()) {
                    // Forget finished connections so a long run does not grow without bound.
                    list.retain(|c| !c.handler.is_finished());
                    list.push(Connection { stream, handler });
                }
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
    // `listener` drops here: the port now refuses connections.
}

fn prepare(stream: &TcpStream) -> std::io::Result<TcpStream> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(CLIENT_READ_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_READ_TIMEOUT))?;
    stream.try_clone()
}

fn serve(mut stream: TcpStream, behaviour: Behaviour, stop: &AtomicBool) {
    let request = read_request_head(&mut stream);
    if !request.complete {
        return;
    }
    let head_only = request.method() == "HEAD";
    let reply: Vec<u8> = match behaviour {
        Behaviour::Healthy { max_age } => healthy(max_age, head_only),
        Behaviour::CrashMidResponse => {
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<!doctype "
                .to_vec()
        }
        Behaviour::MalformedStatusLine => {
            b"HTTP/1.1 2OO OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
                .to_vec()
        }
        Behaviour::MalformedHeader => b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
This Header Has Spaces And No Colon\r\nContent-Length: 5\r\n\r\nhello"
            .to_vec(),
        Behaviour::EmptyReply => Vec::new(),
        Behaviour::Slow(delay) => {
            if !sleep_unless(stop, delay) {
                return;
            }
            healthy(None, head_only)
        }
        Behaviour::AppError { status } => app_error(status, head_only),
        Behaviour::Hang(limit) => {
            sleep_unless(stop, limit);
            Vec::new()
        }
        Behaviour::NotHttp => SSH_BANNER.to_vec(),
    };
    let _ = stream.write_all(&reply);
    let _ = stream.flush();
    // Half-close first so the peer reads everything we wrote before seeing the end.
    let _ = stream.shutdown(Shutdown::Write);
}

fn healthy(max_age: Option<u32>, head_only: bool) -> Vec<u8> {
    let cache = match max_age {
        Some(s) => format!("public, max-age={s}"),
        None => "no-store".to_string(),
    };
    response(
        "200 OK",
        "text/html; charset=utf-8",
        &cache,
        HEALTHY_BODY,
        head_only,
    )
}

fn app_error(status: u16, head_only: bool) -> Vec<u8> {
    let (line, body) = match status {
        503 => ("503 Service Unavailable", "Service Unavailable from app\n"),
        500 => (
            "500 Internal Server Error",
            "Internal Server Error from app\n",
        ),
        _ => (
            "500 Internal Server Error",
            "Internal Server Error from app\n",
        ),
    };
    response(
        line,
        "text/plain; charset=utf-8",
        "no-store",
        body,
        head_only,
    )
}

fn response(
    status_line: &str,
    content_type: &str,
    cache: &str,
    body: &str,
    head_only: bool,
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status_line}\r\nServer: edgeprobe-rig-origin\r\nContent-Type: {content_type}\r\n\
Cache-Control: {cache}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}
