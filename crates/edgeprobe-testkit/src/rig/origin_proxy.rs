//! The origin's own reverse proxy: a second real nginx that plays the web server on the origin
//! host, in front of an application server that is down (a closed port) or hangs (accepts and
//! never answers). The CDN-front nginx proxies to it like to any origin, so the worker sees
//! nginx's own 502/504 pages about the *upstream* on both paths.
//!
//! It owns this nginx's config and process (through `nginx::start_with_config`, which kills
//! the process group on drop). Its upstream timeouts are short (1 s), shorter than the front's
//! read timeout and the monitor's timeout, so the 504 is the origin proxy's, as in production
//! where php-fpm or gunicorn is slower than the proxy waits.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::net::free_ports;
use super::nginx::{self, Nginx, Ports};
use super::RigError;

/// The origin proxy's connect and read timeouts towards the application server.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(1);

const START_ATTEMPTS: usize = 3;

/// One origin-side proxy server: its case name and the application port behind it.
#[derive(Debug, Clone)]
pub struct OriginProxySpec {
    pub name: &'static str,
    pub app_port: u16,
}

/// nginx.conf for the origin proxies. Pure: the same inputs give the same text.
pub fn render_config(
    dir: &Path,
    specs: &[OriginProxySpec],
    ports: &Ports,
    as_root: bool,
) -> String {
    let d = dir.display();
    let t = UPSTREAM_TIMEOUT.as_secs();
    let mut c = String::new();
    if as_root {
        c.push_str("user root;\n");
    }
    let _ = write!(
        c,
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log warn;\n\
events {{ worker_connections 256; }}\n\
http {{\n\
  access_log {d}/logs/access.log;\n\
  client_body_temp_path {d}/tmp/client;\n  proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
  uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
  proxy_connect_timeout {t}s;\n  proxy_read_timeout {t}s;\n  proxy_send_timeout {t}s;\n\
  proxy_next_upstream off;\n"
    );
    for s in specs {
        let port = ports.front(s.name).unwrap_or(0);
        let _ = write!(
            c,
            "  # origin-side proxy: {name}\n  server {{\n    listen 127.0.0.1:{port};\n\
    location / {{ proxy_pass http://127.0.0.1:{app}; }}\n  }}\n",
            name = s.name,
            app = s.app_port,
        );
    }
    c.push_str("}\n");
    c
}

/// Starts the origin proxies (one nginx, one server each); their ports are in `ports.fronts`.
pub fn start(dir: &Path, specs: &[OriginProxySpec]) -> Result<Nginx, RigError> {
    let mut last_error = None;
    for _ in 0..START_ATTEMPTS {
        let chosen = free_ports(specs.len()).map_err(RigError::io("pick ports"))?;
        let ports = Ports {
            fronts: specs.iter().map(|s| s.name).zip(chosen).collect(),
            tls_origins: Vec::new(),
        };
        let conf = render_config(dir, specs, &ports, nginx::running_as_root());
        match nginx::start_with_config(dir, &conf, ports) {
            Ok(n) => return Ok(n),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or(RigError::NotReady {
        what: "origin proxy nginx".into(),
    }))
}
