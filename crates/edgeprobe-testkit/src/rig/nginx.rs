//! The real nginx the rig runs: the CDN front (one server per case, each on its own loopback
//! port) and the TLS origins (one server per certificate).
//!
//! It owns nginx.conf (a pure function of the specs and ports), the nginx process group and
//! its files under the rig's temp dir. It must leave no process behind: the master runs in
//! its own process group, killed as a group on drop, and dies with the rig's process anyway.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::net::{free_ports, is_listening};
use super::tls::CertFiles;
use super::RigError;

/// The front's timeouts, like a CDN's (kept short so the rig's tests stay quick).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// The front reaches origins from this address, so a firewall can single the CDN out.
pub const FRONT_SOURCE_ADDR: &str = "127.0.0.2";

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_GRACE: Duration = Duration::from_secs(3);
const START_ATTEMPTS: usize = 3;

/// Where a front server sends its requests.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// Plain HTTP to 127.0.0.1:port.
    Http { port: u16 },
    /// HTTPS to 127.0.0.1:port, verifying the certificate against `ca` for "localhost", as a
    /// CDN in strict TLS mode does.
    Https { port: u16, ca: PathBuf },
    /// Plain HTTP to a name resolved at request time through the rig's DNS server.
    ByName {
        host: String,
        port: u16,
        resolver_port: u16,
    },
    /// Plain HTTP to 127.0.0.1, the port chosen by the request's `edgeprobe-region` header
    /// (nginx `map`): `by_region`'s port for a listed region, else `default_port`. The front
    /// cannot tell regions apart unless the probe sends that header. Logged in [`PROBE_LOG`].
    ByRegion {
        default_port: u16,
        by_region: Vec<(&'static str, u16)>,
    },
    /// Plain HTTP to 127.0.0.1:port like `Http`, each request logged in [`PROBE_LOG`] (a
    /// server that stands in as an origin, so the origin probe's headers can be checked).
    HttpLogged { port: u16 },
}

/// Under the nginx dir: one JSON object per request to a `ByRegion` or `HttpLogged` server,
/// with the fields of [`super::ProbeRequest`].
pub const PROBE_LOG: &str = "logs/probes.log";

/// One front server: a case's public URL.
#[derive(Debug, Clone)]
pub struct FrontSpec {
    pub name: &'static str,
    pub upstream: Upstream,
    /// Cache 200s and serve stale copies when the origin fails.
    pub cache: bool,
    /// Close the client connection after each response (`keepalive_timeout 0`), as fronts
    /// without client keep-alive do: a relayed HTTP/0.9 answer then ends at the close.
    pub close_after_response: bool,
}

/// One HTTPS origin served by nginx with the given certificate.
#[derive(Debug, Clone)]
pub struct TlsOriginSpec {
    pub name: &'static str,
    pub cert: CertFiles,
    /// `ssl_protocols` and `ssl_ciphers` when not nginx's defaults (legacy or odd servers).
    pub protocols: Option<&'static str>,
    pub ciphers: Option<&'static str>,
    /// Plain HTTP on the port that should speak TLS.
    pub plain: bool,
}

/// Ports chosen for each front and TLS origin, by name.
#[derive(Debug, Clone, Default)]
pub struct Ports {
    pub fronts: Vec<(&'static str, u16)>,
    pub tls_origins: Vec<(&'static str, u16)>,
}

impl Ports {
    pub fn front(&self, name: &str) -> Option<u16> {
        self.fronts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }
    pub fn tls_origin(&self, name: &str) -> Option<u16> {
        self.tls_origins
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }
    fn all(&self) -> impl Iterator<Item = u16> + '_ {
        self.fronts
            .iter()
            .chain(self.tls_origins.iter())
            .map(|(_, p)| *p)
    }
}

/// A running nginx. Dropping it kills its process group.
pub struct Nginx {
    #[allow(dead_code)] // held for its Drop: kills the process group
    keeper: Keeper,
    pub ports: Ports,
    pub dir: PathBuf,
}

/// The thread that spawned nginx and owns it. nginx's master is told (PR_SET_PDEATHSIG) to
/// get SIGTERM when this thread ends, so even when the rig is never dropped (kept in a
/// `static`, or the test process is killed) nginx does not outlive the process: the thread
/// ends with it. It also ends on drop, after killing the group itself.
struct Keeper {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    exited: Arc<Mutex<Option<String>>>,
}

impl Keeper {
    fn spawn(mut cmd: Command) -> Result<Keeper, RigError> {
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<std::io::Result<()>>();
        let exited = Arc::new(Mutex::new(None));
        let exited_w = exited.clone();
        let thread = thread::Builder::new()
            .name("rig-nginx-keeper".into())
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(()));
                // A message or a closed channel both mean stop.
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stop_rx.recv_timeout(Duration::from_millis(50))
                {
                    if let Ok(Some(status)) = child.try_wait() {
                        *exited_w.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(status.to_string());
                    }
                }
                kill_group(&mut child);
            })
            .map_err(RigError::io("spawn nginx keeper thread"))?;
        match started_rx.recv() {
            Ok(Ok(())) => Ok(Keeper {
                stop: Some(stop_tx),
                thread: Some(thread),
                exited,
            }),
            Ok(Err(e)) => Err(RigError::Io {
                what: "spawn nginx",
                source: e,
            }),
            Err(_) => Err(RigError::NotReady {
                what: "nginx keeper thread ended before spawning".into(),
            }),
        }
    }

    /// nginx's exit status, once it has exited on its own.
    fn exited(&self) -> Option<String> {
        self.exited
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        drop(self.stop.take()); // a closed channel is the stop signal
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The TLS origins' ports must be known before the fronts pointing at them are written, so
/// callers pass a function from the TLS ports to the front specs.
pub fn start(
    dir: &Path,
    tls_origins: &[TlsOriginSpec],
    fronts: impl Fn(&Ports) -> Vec<FrontSpec>,
    front_names: &[&'static str],
) -> Result<Nginx, RigError> {
    for sub in ["tmp", "cache", "logs"] {
        fs::create_dir_all(dir.join(sub)).map_err(RigError::io("create nginx dirs"))?;
    }
    let mut last_error = None;
    // Ports are free when chosen but could be taken before nginx binds them: retry afresh.
    for _ in 0..START_ATTEMPTS {
        let chosen = free_ports(front_names.len() + tls_origins.len())
            .map_err(RigError::io("pick ports"))?;
        let (front_ports, tls_ports) = chosen.split_at(front_names.len());
        let ports = Ports {
            fronts: front_names
                .iter()
                .copied()
                .zip(front_ports.iter().copied())
                .collect(),
            tls_origins: tls_origins
                .iter()
                .map(|t| t.name)
                .zip(tls_ports.iter().copied())
                .collect(),
        };
        let specs = fronts(&ports);
        let conf = render_config(dir, &specs, tls_origins, &ports, running_as_root());
        fs::write(dir.join("nginx.conf"), conf).map_err(RigError::io("write nginx.conf"))?;
        match spawn_and_wait(dir, &ports) {
            Ok(keeper) => {
                return Ok(Nginx {
                    keeper,
                    ports,
                    dir: dir.to_path_buf(),
                })
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or(RigError::NotReady {
        what: "nginx".into(),
    }))
}

/// Starts one more nginx from a config the caller rendered (the origin-side proxies of
/// `super::origin_proxy`): waits until every port in `ports` listens. No retry: the caller
/// picks fresh ports and calls again.
pub fn start_with_config(dir: &Path, conf: &str, ports: Ports) -> Result<Nginx, RigError> {
    for sub in ["tmp", "logs"] {
        fs::create_dir_all(dir.join(sub)).map_err(RigError::io("create nginx dirs"))?;
    }
    fs::write(dir.join("nginx.conf"), conf).map_err(RigError::io("write nginx.conf"))?;
    let keeper = spawn_and_wait(dir, &ports)?;
    Ok(Nginx {
        keeper,
        ports,
        dir: dir.to_path_buf(),
    })
}

#[allow(unsafe_code)] // geteuid(2): std has no safe wrapper.
pub(super) fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn spawn_and_wait(dir: &Path, ports: &Ports) -> Result<Keeper, RigError> {
    let error_log = dir.join("logs/error.log");
    let _ = fs::remove_file(&error_log);
    let mut cmd = Command::new(nginx_binary());
    cmd.arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-e")
        .arg(&error_log);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Own process group: killing -pgid takes the master and its workers together.
    cmd.process_group(0);
    terminate_with_parent(&mut cmd);
    let keeper = Keeper::spawn(cmd)?;
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = keeper.exited() {
            return Err(RigError::Tool {
                tool: "nginx",
                detail: format!(
                    "nginx exited ({status}): {}",
                    fs::read_to_string(&error_log).unwrap_or_default()
                ),
            });
        }
        if ports.all().all(is_listening) {
            return Ok(keeper);
        }
        if Instant::now() >= deadline {
            return Err(RigError::NotReady {
                what: format!(
                    "nginx ({})",
                    fs::read_to_string(&error_log).unwrap_or_default()
                ),
            });
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// The child gets SIGTERM when the process that started it dies (even by SIGKILL), so a
/// killed test run leaves no nginx behind.
#[allow(unsafe_code)] // pre_exec + prctl(2): std has no safe way to set a parent-death signal.
fn terminate_with_parent(cmd: &mut Command) {
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // SIGTERM (not KILL) so the master still takes its workers down with it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn nginx_binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

#[allow(unsafe_code)] // kill(2) of a process group: std can only signal the child itself.
fn kill_group(child: &mut Child) {
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions; a negative pid names our child's group.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            // Workers may outlive the master by a moment; make sure the group is gone.
            // SAFETY: as above.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: as above.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let _ = child.wait();
}

/// nginx.conf for the given servers. Pure: the same inputs give the same text.
pub fn render_config(
    dir: &Path,
    fronts: &[FrontSpec],
    tls_origins: &[TlsOriginSpec],
    ports: &Ports,
    as_root: bool,
) -> String {
    let d = dir.display();
    let mut c = String::new();
    if as_root {
        // Workers must read the temp dir the (root) rig created.
        c.push_str("user root;\n");
    }
    let _ = write!(
        c,
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log warn;\n\
events {{ worker_connections 1024; }}\n\
http {{\n\
  access_log {d}/logs/access.log;\n\
  client_body_temp_path {d}/tmp/client;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
  proxy_cache_path {d}/cache levels=1:2 keys_zone=edgeprobe_rig:1m max_size=10m inactive=60m use_temp_path=off;\n\
  proxy_connect_timeout {ct}s;\n  proxy_read_timeout {rt}s;\n  proxy_send_timeout {rt}s;\n\
  proxy_bind {FRONT_SOURCE_ADDR};\n\
  proxy_set_header Host $http_host;\n\
  proxy_http_version 1.1;\n  proxy_set_header Connection \"\";\n\
  proxy_next_upstream off;\n\
  add_header X-Cache-Status $upstream_cache_status always;\n",
        ct = CONNECT_TIMEOUT.as_secs(),
        rt = READ_TIMEOUT.as_secs(),
    );
    for t in tls_origins {
        let port = ports.tls_origin(t.name).unwrap_or(0);
        let mut extra = String::new();
        if let Some(p) = t.protocols {
            let _ = writeln!(extra, "    ssl_protocols {p};");
        }
        if let Some(ciphers) = t.ciphers {
            let _ = writeln!(extra, "    ssl_ciphers {ciphers};");
        }
        let _ = write!(
            c,
            "  # TLS origin: {name}\n  server {{\n    listen 127.0.0.1:{port}{ssl};\n    server_name localhost;\n\
    ssl_certificate {cert};\n    ssl_certificate_key {key};\n{extra}\
    location / {{ default_type text/html; return 200 '<!doctype html><html><body><p>edgeprobe-ok via tls origin {name}</p></body></html>\\n'; }}\n  }}\n",
            name = t.name,
            ssl = if t.plain { "" } else { " ssl" },
            cert = t.cert.cert.display(),
            key = t.cert.key.display(),
        );
    }
    let logs_probes =
        |u: &Upstream| matches!(u, Upstream::ByRegion { .. } | Upstream::HttpLogged { .. });
    if fronts.iter().any(|f| logs_probes(&f.upstream)) {
        let _ = writeln!(
            c,
            "  log_format edgeprobe_probes escape=json '{{\"port\":$server_port,\"from\":\"$remote_addr\",\"status\":$status,\
\"region\":\"$http_edgeprobe_region\",\"user_agent\":\"$http_user_agent\"}}';"
        );
    }
    for f in fronts {
        let port = ports.front(f.name).unwrap_or(0);
        if let Upstream::ByRegion {
            default_port,
            by_region,
        } = &f.upstream
        {
            // http-level, one variable per front; a region is matched as a plain string.
            let _ = writeln!(
                c,
                "  map $http_edgeprobe_region $edgeprobe_upstream_{} {{",
                f.name
            );
            let _ = writeln!(c, "    default 127.0.0.1:{default_port};");
            for (region, port) in by_region {
                let _ = writeln!(c, "    {region} 127.0.0.1:{port};");
            }
            c.push_str("  }\n");
        }
        let _ = write!(
            c,
            "  # front: {}\n  server {{\n    listen 127.0.0.1:{port};\n",
            f.name
        );
        if logs_probes(&f.upstream) {
            let _ = writeln!(c, "    access_log {d}/{PROBE_LOG} edgeprobe_probes;");
        }
        // (directives inside the location before proxy_pass, the proxy_pass target)
        let (location_prelude, target) = match &f.upstream {
            Upstream::Http { port } => (String::new(), format!("http://127.0.0.1:{port}")),
            Upstream::Https { port, ca } => {
                let _ = write!(
                    c,
                    "    proxy_ssl_verify on;\n    proxy_ssl_verify_depth 2;\n    proxy_ssl_trusted_certificate {};\n\
    proxy_ssl_name localhost;\n    proxy_ssl_server_name on;\n",
                    ca.display()
                );
                (String::new(), format!("https://127.0.0.1:{port}"))
            }
            Upstream::ByName {
                host,
                port,
                resolver_port,
            } => {
                let _ = write!(
                    c,
                    "    resolver 127.0.0.1:{resolver_port} valid=1s ipv6=off;\n    resolver_timeout 1s;\n"
                );
                // A variable in proxy_pass makes nginx resolve at request time, not at startup
                // (a name that never resolves would otherwise stop nginx from starting).
                (
                    format!("set $origin_host {host}; "),
                    format!("http://$origin_host:{port}"),
                )
            }
            // An IP address in the variable needs no resolver.
            Upstream::ByRegion { .. } => (
                String::new(),
                format!("http://$edgeprobe_upstream_{}", f.name),
            ),
            Upstream::HttpLogged { port } => (String::new(), format!("http://127.0.0.1:{port}")),
        };
        if f.close_after_response {
            c.push_str("    keepalive_timeout 0;\n");
        }
        if f.cache {
            c.push_str(
                "    proxy_cache edgeprobe_rig;\n    proxy_cache_valid 200 1m;\n\
    proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504 updating;\n",
            );
        }
        let _ = write!(
            c,
            "    location / {{ {location_prelude}proxy_pass {target}; }}\n  }}\n"
        );
    }
    c.push_str("}\n");
    c
}
