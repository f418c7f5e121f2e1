//! The platform half of the own TLS client (`core::tls`): a plain socket (`secureTransport:
//! "off"`) whose bytes are pumped into and out of the core's sans-IO handshake, raced against
//! the probe's deadline. It decides nothing: the core names the outcome.
//!
//! What workerd did on the rig is recorded in ../shared/tls-in-worker.md and asserted by the
//! worker tests (tests/worker/own_tls.rs): each failure surfaces here as rustls' exact error,
//! plain HTTP on the port within a few ms, a silent server only at our deadline.

use futures::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker::{SecureTransport, Socket};

use crate::env;
use crate::probe::timing::{since, Deadline};
use edgeprobe_core::observation::{OwnTls, OwnTlsOutcome};
use edgeprobe_core::tls::{Fed, Handshake, HandshakeEnd, StartError, TlsSettings};

/// Reads at most this many times per handshake (a full handshake takes 2-4): bounds the loop
/// against a peer that trickles bytes.
const MAX_READS: usize = 64;

/// One handshake with `host:port` as `settings` say, ended by `deadline` at the latest.
pub async fn handshake(
    host: &str,
    port: u16,
    settings: &TlsSettings,
    deadline: Deadline,
) -> OwnTls {
    let start = env::now();
    let failed = |outcome: OwnTlsOutcome, ms| OwnTls {
        ms,
        outcome,
        version: None,
        cipher_suite: None,
        presented: 0,
        leaf: None,
    };
    let mut hs = match Handshake::start(settings, start) {
        Ok(h) => h,
        Err(StartError(detail)) => return failed(OwnTlsOutcome::Other { detail }, 0),
    };
    let socket = match Socket::builder()
        .secure_transport(SecureTransport::Off)
        .connect(host.to_string(), port)
    {
        Ok(s) => s,
        Err(e) => {
            let detail = format!("connect failed: {e}");
            return failed(OwnTlsOutcome::Reset { detail }, since(start));
        }
    };
    match deadline.race(socket.opened()).await {
        Some(Ok(_)) => {}
        Some(Err(e)) => {
            close(socket);
            let detail = format!("connect failed: {e}");
            return failed(OwnTlsOutcome::Reset { detail }, since(start));
        }
        None => {
            close(socket);
            return failed(OwnTlsOutcome::Timeout, since(start));
        }
    }
    let hs_start = env::now();
    let mut socket = socket;
    let mut buf = vec![0u8; 16 * 1024];
    let mut end = HandshakeEnd::Timeout;
    for _ in 0..MAX_READS {
        let out = hs.outgoing();
        if !out.is_empty() {
            let wrote = deadline
                .race(async {
                    socket.write_all(&out).await?;
                    socket.flush().await
                })
                .await;
            match wrote {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    end = HandshakeEnd::Broken(e.to_string());
                    break;
                }
                None => break,
            }
        }
        match deadline.race(socket.read(&mut buf)).await {
            Some(Ok(0)) => {
                end = HandshakeEnd::Eof;
                break;
            }
            Some(Ok(n)) => {
                if hs.feed(&buf[..n]) == Fed::Done {
                    // A close_notify after success, an alert after a failure: best effort.
                    let last = hs.outgoing();
                    if !last.is_empty() {
                        let _ = socket.write_all(&last).now_or_never();
                    }
                    end = HandshakeEnd::Finished;
                    break;
                }
            }
            Some(Err(e)) => {
                end = HandshakeEnd::Broken(e.to_string());
                break;
            }
            None => break,
        }
    }
    close(socket);
    hs.conclude(end, since(hs_start))
}

fn close(mut socket: Socket) {
    let _ = socket.close().now_or_never();
}
