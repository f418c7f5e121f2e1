//! Runs the test rig on its own, for the demo (`make demo`) and for poking at cases by hand.
//!
//!   cargo run -p edgeprobe-testkit --example rig -- [--json out.json] [--no-stale-setup] [--ignore-stdin]
//!   cargo run -p edgeprobe-testkit --example rig -- --make-ca DIR
//!
//! `--make-ca DIR` only makes the rig's test CA in DIR (`ca.pem`, `ca.key`; kept when already
//! there) and exits: the scripts run it before `wrangler dev`, so workerd can trust the CA
//! (`NODE_EXTRA_CA_CERTS=DIR/ca.pem`) and a rig started later with `EDGEPROBE_RIG_CA_DIR=DIR`
//! signs its certificates with it. The demo needs no such step: it starts the rig first and
//! reads the CA's path (`ca_cert`) from the JSON.
//!
//! Starts the rig, puts the stale-cache case in its expected state (cache primed, origin
//! stopped), prints every case, writes them as JSON (atomically: the file appears complete or
//! not at all), prints `RIG READY`, then runs until SIGTERM/SIGINT or until stdin reaches EOF
//! (stdin is only watched when it is a pipe or a terminal, so a background job whose stdin is
//! /dev/null keeps running). Dropping the rig on the way out stops nginx and the origins and
//! removes the firewall table and temp files; the JSON file is removed too, so a stale one
//! never points a later demo at dead ports.

use edgeprobe_testkit::rig;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rig::{Rig, RigOptions};

/// Set by the signal handler; a static because a signal handler can reach nothing else.
static SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    SIGNALLED.store(true, Ordering::SeqCst);
}

/// SIGTERM and SIGINT set [`SIGNALLED`] instead of killing the process, so the rig stops
/// its servers and removes its files on the way out.
#[allow(unsafe_code)] // signal(2): std cannot install a signal handler.
fn install_signal_handlers() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
    }
}

struct Args {
    json: Option<PathBuf>,
    make_ca: Option<PathBuf>,
    stale_setup: bool,
    watch_stdin: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        json: None,
        make_ca: None,
        stale_setup: true,
        watch_stdin: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => args.json = Some(it.next().ok_or("--json needs a path")?.into()),
            "--make-ca" => args.make_ca = Some(it.next().ok_or("--make-ca needs a directory")?.into()),
            "--no-stale-setup" => args.stale_setup = false,
            "--ignore-stdin" => args.watch_stdin = false,
            "-h" | "--help" => return Err("usage: rig [--json out.json] [--no-stale-setup] [--ignore-stdin] | rig --make-ca DIR".into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[allow(unsafe_code)] // isatty(3)/fstat(2) on fd 0.
fn stdin_is_pipe_or_tty() -> bool {
    // SAFETY: fstat/isatty on fd 0 with a zeroed, writable stat buffer.
    unsafe {
        if libc::isatty(0) == 1 {
            return true;
        }
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(0, &mut st) == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFIFO
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.make_ca {
        return match rig::tls::ensure_ca(dir) {
            Ok(ca) => {
                println!("{}", ca.cert.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot make the test CA in {}: {e}", dir.display());
                ExitCode::FAILURE
            }
        };
    }
    install_signal_handlers();
    let rig = match Rig::start(RigOptions::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("rig failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.stale_setup {
        if let Err(e) = rig
            .prime_cache("stale_cache")
            .and_then(|_| rig.stop_origin("stale_cache"))
        {
            eprintln!("could not set up stale_cache: {e}");
            return ExitCode::FAILURE;
        }
    }

    for c in rig.cases() {
        let skipped = c
            .skipped
            .as_deref()
            .map(|r| format!("  SKIPPED: {r}"))
            .unwrap_or_default();
        println!(
            "{:<22} {:<28} front {:<26} origin {}://{}:{}{skipped}",
            c.name, c.expected, c.front_url, c.origin_scheme, c.origin_host, c.origin_port
        );
    }
    if let Some(path) = &args.json {
        let doc = serde_json::json!({
            "ca_cert": rig.ca_cert_path(),
            "stale_cache_ready": args.stale_setup,
            "cases": rig.cases(),
        });
        let tmp = path.with_extension("json.tmp");
        let written = serde_json::to_vec_pretty(&doc)
            .map_err(|e| e.to_string())
            .and_then(|bytes| std::fs::write(&tmp, bytes).map_err(|e| e.to_string()))
            .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    println!("RIG READY");

    let stdin_closed = Arc::new(AtomicBool::new(false));
    if args.watch_stdin && stdin_is_pipe_or_tty() {
        let flag = stdin_closed.clone();
        // Left blocked in read if a signal ends the run first; the process exit reclaims it.
        let _ = thread::Builder::new()
            .name("stdin-eof".into())
            .spawn(move || {
                let mut sink = [0u8; 1024];
                let mut stdin = std::io::stdin();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                flag.store(true, Ordering::SeqCst);
            });
    }
    while !SIGNALLED.load(Ordering::SeqCst) && !stdin_closed.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(100));
    }
    eprintln!("rig: stopping");
    drop(rig);
    if let Some(path) = &args.json {
        let _ = std::fs::remove_file(path);
    }
    ExitCode::SUCCESS
}
