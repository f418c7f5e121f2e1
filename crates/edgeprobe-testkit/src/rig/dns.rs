//! A loopback DNS server that answers NXDOMAIN to every query: the front's resolver for the
//! DNS-failure case.
//!
//! Why a server and not a closed port: a real proxy whose origin name does not exist gets a
//! prompt NXDOMAIN from its resolver and answers 502 at once ("could not be resolved
//! (3: Host not found)"); a dead resolver is a different failure (a resolver timeout). There
//! is no DNS server inside a fresh network namespace, so the rig brings this one.
//! It owns one UDP socket and one thread; it never answers with an address.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

const HEADER_LEN: usize = 12;

pub struct NxdomainServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NxdomainServer {
    pub fn start() -> std::io::Result<NxdomainServer> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let port = socket.local_addr()?.port();
        // A short receive timeout bounds how long the loop takes to notice `stop`.
        socket.set_read_timeout(Some(Duration::from_millis(50)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("rig-dns".into())
            .spawn(move || {
                let mut buf = [0u8; 1500];
                while !flag.load(Ordering::SeqCst) {
                    if let Ok((n, peer)) = socket.recv_from(&mut buf) {
                        if let Some(reply) = nxdomain_reply(&buf[..n]) {
                            let _ = socket.send_to(&reply, peer);
                        }
                    }
                }
            })?;
        Ok(NxdomainServer {
            port,
            stop,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for NxdomainServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The query's header and first question, flagged as a response with RCODE 3 (NXDOMAIN) and
/// no records. `None` for anything that is not a parseable query.
pub fn nxdomain_reply(query: &[u8]) -> Option<Vec<u8>> {
    if query.len() < HEADER_LEN || query[2] & 0x80 != 0 {
        return None;
    }
    let question_end = end_of_first_question(query)?;
    let mut reply = query[..question_end].to_vec();
    reply[2] = 0x80 | (query[2] & 0x01); // QR=1, opcode QUERY, keep RD
    reply[3] = 0x80 | 0x03; // RA=1, RCODE=NXDOMAIN
    reply[4..6].copy_from_slice(&1u16.to_be_bytes()); // one question echoed
    reply[6..12].fill(0); // no answer, authority or additional records
    Some(reply)
}

fn end_of_first_question(query: &[u8]) -> Option<usize> {
    let mut i = HEADER_LEN;
    loop {
        let len = *query.get(i)? as usize;
        if len == 0 {
            i += 1;
            break;
        }
        if len & 0xC0 != 0 {
            return None; // compression pointers never appear in a query's first name
        }
        i += 1 + len;
    }
    let end = i + 4; // QTYPE + QCLASS
    (end <= query.len()).then_some(end)
}
