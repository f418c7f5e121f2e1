//! `edgeprobe`: the command-line tool. Monitors as code (`apply`, `export`, `validate` of an
//! `edgeprobe.toml`), `status`, `check <slug>`, `diagnose <url>` and `import` from Gatus and
//! Uptime Kuma. It shares `edgeprobe-core`'s types and `edgeprobe-web`'s validation, so a file
//! is checked offline with the messages the API gives.
//!
//! Layout:
//! - `client`: the API over HTTP (blocking), problem+json failures.
//! - `file`: edgeprobe.toml with positions; API errors mapped to file:line:column.
//! - `plan`: declared vs server state as create/update/delete changes (pure), and its text.
//! - `import`: Gatus and Uptime Kuma configurations as monitors, with what was not converted.
//! - `ui`: tables, a round for a terminal, colour, the spinner.
//!
//! Exit codes (stable, for scripts): 0 success (and for `check`/`diagnose`: the round is fine);
//! 1 the API failed or could not be reached; 2 usage error (bad flags, missing configuration);
//! 3 the file is invalid (`validate`, `apply`); 4 `check`/`diagnose` found a problem (severity
//! warning or critical); 5 `import` converted nothing.

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod client;
mod file;
mod import;
mod plan;
mod ui;

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use client::{ApiFailure, Client};
use edgeprobe_web::validate::ValidationContext;
use edgeprobe_web::views::monitor::LOCATION_HINTS;
use plan::Change;
use ui::{Paint, Spinner};

const EXIT_API: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_INVALID: u8 = 3;
const EXIT_PROBLEM: u8 = 4;
const EXIT_NOTHING: u8 = 5;

#[derive(Parser)]
#[command(
    name = "edgeprobe",
    version,
    about = "edgeprobe: monitors as code, status and diagnosis from the command line"
)]
struct Cli {
    /// The edgeprobe Worker's base URL.
    #[arg(long, env = "EDGEPROBE_URL", global = true)]
    url: Option<String>,
    /// The API bearer token.
    #[arg(long, env = "EDGEPROBE_TOKEN", global = true, hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make the server match edgeprobe.toml: prints the plan, then applies it.
    Apply {
        #[arg(short = 'f', long, default_value = "edgeprobe.toml")]
        file: String,
        /// Print the plan only.
        #[arg(long)]
        dry_run: bool,
        /// Delete monitors and channels the file does not declare.
        #[arg(long)]
        prune: bool,
        /// Accept loopback/private targets in the offline check (the server decides anyway).
        #[arg(long, env = "EDGEPROBE_ALLOW_PRIVATE_TARGETS")]
        allow_private_targets: bool,
    },
    /// Check edgeprobe.toml offline, with file:line:column and the API's messages.
    Validate {
        #[arg(short = 'f', long, default_value = "edgeprobe.toml")]
        file: String,
        #[arg(long, env = "EDGEPROBE_ALLOW_PRIVATE_TARGETS")]
        allow_private_targets: bool,
    },
    /// Print the server's monitors and channels as an edgeprobe.toml.
    Export,
    /// Every monitor with health, verdict, regions and since when.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Run a round of a monitor now and print the diagnosis.
    Check {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Probe and diagnose a URL once (nothing is stored or alerted).
    Diagnose {
        /// The site's URL (through its CDN).
        #[arg(value_name = "URL")]
        target: String,
        /// The origin to probe directly, host:port.
        #[arg(long)]
        origin: Option<String>,
        /// Speak TLS to the origin.
        #[arg(long)]
        tls: bool,
        /// Regions to probe from (comma-separated location hints).
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Convert another tool's configuration into an edgeprobe.toml (on stdout).
    Import { tool: Tool, path: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Tool {
    Gatus,
    UptimeKuma,
}

/// Why a command stopped: its exit code and what to say.
struct Fail(u8, String);

impl From<ApiFailure> for Fail {
    fn from(e: ApiFailure) -> Fail {
        Fail(EXIT_API, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Fail(code, msg)) => {
            eprintln!("edgeprobe: {msg}");
            ExitCode::from(code)
        }
    }
}

fn client(cli: &Cli) -> Result<Client, Fail> {
    match (&cli.url, &cli.token) {
        (Some(u), Some(t)) => Ok(Client::new(u, t)),
        _ => Err(Fail(
            EXIT_USAGE,
            "set EDGEPROBE_URL and EDGEPROBE_TOKEN (or --url and --token)".into(),
        )),
    }
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn offline_ctx(allow_private: bool) -> ValidationContext {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let all: Vec<String> = LOCATION_HINTS.iter().map(|s| s.to_string()).collect();
    ValidationContext {
        allowed_regions: all,
        default_regions: vec!["weur".into()],
        allow_private_targets: allow_private,
        // The default tick (5 s); a deployment with a longer TICK_SECONDS refuses intervals
        // that are not whole ticks when the file is applied.
        tick_seconds: 5,
        now,
    }
}

fn load(path: &str) -> Result<(file::Source, file::Declared), Fail> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Fail(EXIT_USAGE, format!("{path}: {e}")))?;
    let src = file::Source::parse(path, text).map_err(|d| {
        Fail(
            EXIT_INVALID,
            format!("{path}:{}:{}: {}", d.line, d.column, d.message),
        )
    })?;
    let declared = match src.declared() {
        Ok(d) => d,
        Err(diags) => {
            let lines: Vec<String> = diags.iter().map(|d| src.show(d)).collect();
            return Err(Fail(
                EXIT_INVALID,
                format!("{} invalid:\n{}", path, lines.join("\n")),
            ));
        }
    };
    Ok((src, declared))
}

fn invalid_report(src: &file::Source, invalid: &[plan::Invalid]) -> String {
    let mut lines = Vec::new();
    for i in invalid {
        for e in &i.errors {
            lines.push(src.show(&src.locate(i.kind, i.index, &e.pointer, &e.detail)));
        }
    }
    lines.join("\n")
}

fn run(cli: Cli) -> Result<u8, Fail> {
    match &cli.command {
        Command::Validate {
            file,
            allow_private_targets,
        } => {
            let (src, d) = load(file)?;
            let invalid = plan::validate_all(
                &d.monitors,
                &d.channels,
                &offline_ctx(*allow_private_targets),
            );
            if invalid.is_empty() {
                println!(
                    "{file}: {} monitors, {} channels: valid",
                    d.monitors.len(),
                    d.channels.len()
                );
                Ok(0)
            } else {
                Err(Fail(
                    EXIT_INVALID,
                    format!("{file} invalid:\n{}", invalid_report(&src, &invalid)),
                ))
            }
        }
        Command::Apply {
            file,
            dry_run,
            prune,
            allow_private_targets,
        } => {
            let (src, d) = load(file)?;
            let api = client(&cli)?;
            let (monitors, channels) = {
                let _s = Spinner::start("reading the server's monitors and channels");
                (
                    api.list_all("/api/v1/monitors")?,
                    api.list_all("/api/v1/channels")?,
                )
            };
            let ctx = offline_ctx(*allow_private_targets);
            let changes = plan::plan(&d.monitors, &d.channels, &monitors, &channels, *prune, &ctx)
                .map_err(|inv| {
                    Fail(
                        EXIT_INVALID,
                        format!("{file} invalid:\n{}", invalid_report(&src, &inv)),
                    )
                })?;
            print!("{}", plan::render(&changes));
            if *dry_run || changes.is_empty() {
                return Ok(0);
            }
            apply(&api, &src, &d, &channels, changes)?;
            Ok(0)
        }
        Command::Export => {
            let api = client(&cli)?;
            let (monitors, channels) = {
                let _s = Spinner::start("reading the server's monitors and channels");
                (
                    api.list_all("/api/v1/monitors")?,
                    api.list_all("/api/v1/channels")?,
                )
            };
            print!("{}", export(&monitors, &channels));
            Ok(0)
        }
        Command::Status { json } => {
            let api = client(&cli)?;
            let monitors = {
                let _s = Spinner::start("reading monitors");
                api.list_all("/api/v1/monitors")?
            };
            if *json {
                print_json(&Value::Array(monitors));
                return Ok(0);
            }
            let paint = Paint::stdout();
            let rows: Vec<Vec<String>> = monitors
                .iter()
                .map(|m| {
                    let health = m["health"].as_str().unwrap_or("unknown");
                    let regions: Vec<&str> = m["regions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    vec![
                        m["slug"].as_str().unwrap_or_default().to_string(),
                        paint.level(health, health),
                        m["verdict"].as_str().unwrap_or("-").to_string(),
                        regions.join(","),
                        m["status_updated_at"]
                            .as_str()
                            .unwrap_or("never probed")
                            .to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                ui::table(&["SLUG", "HEALTH", "VERDICT", "REGIONS", "SINCE"], &rows)
            );
            Ok(0)
        }
        Command::Check { slug, json } => {
            let api = client(&cli)?;
            let found = api.get(&format!("/api/v1/monitors?slug={slug}"))?;
            let id = found["items"][0]["id"]
                .as_str()
                .ok_or_else(|| Fail(EXIT_API, format!("no monitor with slug {slug}")))?
                .to_string();
            let round = {
                let _s = Spinner::start(&format!("running a round of {slug} from its regions"));
                api.post(&format!("/api/v1/monitors/{id}/check"), None)?
            };
            show_round(&round, *json)
        }
        Command::Diagnose {
            target: url,
            origin,
            tls,
            regions,
            json,
        } => {
            let api = client(&cli)?;
            let mut body = json!({"name": "edgeprobe diagnose", "url": url});
            if let Some(o) = origin {
                let (host, port) = o
                    .rsplit_once(':')
                    .and_then(|(h, p)| {
                        p.parse::<u16>()
                            .ok()
                            .map(|p| (h.trim_matches(['[', ']']).to_string(), p))
                    })
                    .ok_or_else(|| Fail(EXIT_USAGE, format!("--origin {o}: expected host:port")))?;
                body["origin"] = json!({"host": host, "port": port, "scheme": if *tls { "https" } else { "http" }});
            }
            if !regions.is_empty() {
                body["regions"] = json!(regions);
            }
            let round = {
                let _s = Spinner::start(&format!("probing {url} (nothing is stored)"));
                api.post("/api/v1/check", Some(&body))?
            };
            show_round(&round, *json)
        }
        Command::Import { tool, path } => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Fail(EXIT_USAGE, format!("{path}: {e}")))?;
            let got = match tool {
                Tool::Gatus => import::gatus(&text),
                Tool::UptimeKuma => import::uptime_kuma(&text),
            }
            .map_err(|e| Fail(EXIT_INVALID, format!("{path}: {e}")))?;
            let mut doc = toml_edit::DocumentMut::new();
            let mut arr = toml_edit::ArrayOfTables::new();
            for m in &got.monitors {
                arr.push(file::json_table(
                    m.as_object().unwrap_or(&Default::default()),
                ));
            }
            if !arr.is_empty() {
                doc.insert("monitor", toml_edit::Item::ArrayOfTables(arr));
            }
            println!("# Imported from {path} by edgeprobe import.");
            print!("{doc}");
            eprintln!("converted {} monitors", got.monitors.len());
            if !got.notes.is_empty() {
                eprintln!("not converted:");
                for n in &got.notes {
                    eprintln!("  - {n}");
                }
            }
            Ok(if got.monitors.is_empty() {
                EXIT_NOTHING
            } else {
                0
            })
        }
    }
}

fn show_round(round: &Value, json: bool) -> Result<u8, Fail> {
    if json {
        print_json(round);
    } else {
        print!("{}", ui::round(round, &Paint::stdout()));
    }
    let severity = round["diagnosis"]["severity"]
        .as_str()
        .unwrap_or("critical");
    Ok(if matches!(severity, "ok" | "info") {
        0
    } else {
        EXIT_PROBLEM
    })
}

/// Carries out the plan: channels first (monitors name them), then monitors, then deletes.
/// A validation answer from the server is shown at the file's line.
fn apply(
    api: &Client,
    src: &file::Source,
    d: &file::Declared,
    server_channels: &[Value],
    changes: Vec<Change>,
) -> Result<(), Fail> {
    let mut ids: BTreeMap<String, String> = server_channels
        .iter()
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_string(),
                c["id"].as_str()?.to_string(),
            ))
        })
        .collect();
    let at = |kind: &'static str, key: &str| -> usize {
        match kind {
            "channel" => d
                .channels
                .iter()
                .find(|c| c.name == key)
                .map_or(0, |c| c.index),
            _ => d
                .monitors
                .iter()
                .find(|m| m.slug == key)
                .map_or(0, |m| m.index),
        }
    };
    let located = |e: ApiFailure, kind: &'static str, key: &str| -> Fail {
        if let ApiFailure::Status {
            status: 422,
            problem,
        } = &e
        {
            let lines: Vec<String> = problem["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| {
                    src.show(&src.locate(
                        kind,
                        at(kind, key),
                        x["pointer"].as_str().unwrap_or(""),
                        x["detail"].as_str().unwrap_or(""),
                    ))
                })
                .collect();
            return Fail(
                EXIT_INVALID,
                format!("the server refused {kind} {key}:\n{}", lines.join("\n")),
            );
        }
        Fail(EXIT_API, format!("{kind} {key}: {e}"))
    };
    let with_ids = |body: &mut Value, ids: &BTreeMap<String, String>| {
        if let Some(chs) = body.get_mut("channels").and_then(Value::as_array_mut) {
            for c in chs.iter_mut() {
                if let Some(id) = c.as_str().and_then(|n| ids.get(n)) {
                    *c = json!(id);
                }
            }
        }
    };
    let _s = Spinner::start("applying the plan");
    let mut order = changes;
    order.sort_by_key(|c| match c {
        Change::CreateChannel { .. } | Change::UpdateChannel { .. } => 0,
        Change::CreateMonitor { .. } | Change::UpdateMonitor { .. } => 1,
        Change::DeleteMonitor { .. } => 2,
        Change::DeleteChannel { .. } => 3,
    });
    for c in order {
        match c {
            Change::CreateChannel { name, body } => {
                let got = api
                    .post("/api/v1/channels", Some(&body))
                    .map_err(|e| located(e, "channel", &name))?;
                if let Some(secret) = got["secret"].as_str() {
                    eprintln!("channel {name}: the server generated its signing secret (shown once): {secret}");
                }
                ids.insert(name, got["id"].as_str().unwrap_or_default().to_string());
            }
            Change::UpdateChannel {
                id, name, patch, ..
            } => {
                api.patch(&format!("/api/v1/channels/{id}"), &patch)
                    .map_err(|e| located(e, "channel", &name))?;
            }
            Change::CreateMonitor { slug, mut body } => {
                with_ids(&mut body, &ids);
                api.post("/api/v1/monitors", Some(&body))
                    .map_err(|e| located(e, "monitor", &slug))?;
            }
            Change::UpdateMonitor {
                id,
                slug,
                mut patch,
                ..
            } => {
                with_ids(&mut patch, &ids);
                api.patch(&format!("/api/v1/monitors/{id}"), &patch)
                    .map_err(|e| located(e, "monitor", &slug))?;
            }
            Change::DeleteMonitor { id, slug } => {
                api.delete(&format!("/api/v1/monitors/{id}"))
                    .map_err(|e| located(e, "monitor", &slug))?;
            }
            Change::DeleteChannel { id, name } => {
                api.delete(&format!("/api/v1/channels/{id}"))
                    .map_err(|e| located(e, "channel", &name))?;
            }
        }
    }
    drop(_s);
    println!("Applied.");
    Ok(())
}

/// The server's state as an edgeprobe.toml that `apply` finds nothing to change in. Channel
/// URLs and secrets are write-only: they are named by environment variables to set before an
/// apply that creates the channel elsewhere (an existing channel keeps its own).
fn export(monitors: &[Value], channels: &[Value]) -> String {
    let mut doc = toml_edit::DocumentMut::new();
    let env_name = |name: &str, what: &str| {
        let clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("EDGEPROBE_CHANNEL_{clean}_{what}")
    };
    let names: BTreeMap<&str, &str> = channels
        .iter()
        .filter_map(|c| Some((c["id"].as_str()?, c["name"].as_str()?)))
        .collect();
    let mut chs = toml_edit::ArrayOfTables::new();
    for c in channels {
        let name = c["name"].as_str().unwrap_or_default();
        let mut o = serde_json::Map::new();
        o.insert("name".into(), json!(name));
        o.insert("kind".into(), c["kind"].clone());
        o.insert("url_env".into(), json!(env_name(name, "URL")));
        if c["has_secret"] == true {
            o.insert("secret_env".into(), json!(env_name(name, "SECRET")));
        }
        o.insert("enabled".into(), c["enabled"].clone());
        let mut t = file::json_table(&o);
        t.decor_mut().set_prefix(format!(
            "\n# url: {}\n",
            c["url_hint"].as_str().unwrap_or("")
        ));
        chs.push(t);
    }
    let mut mons = toml_edit::ArrayOfTables::new();
    for m in monitors {
        let mut o = m.as_object().cloned().unwrap_or_default();
        for k in [
            "id",
            "created_at",
            "updated_at",
            "health",
            "verdict",
            "status_updated_at",
        ] {
            o.remove(k);
        }
        if let Some(Value::Array(ids)) = o.get_mut("channels") {
            for id in ids.iter_mut() {
                if let Some(n) = id.as_str().and_then(|i| names.get(i)) {
                    *id = json!(n);
                }
            }
        }
        // The key first, so the file reads like one written by hand.
        let mut ordered = serde_json::Map::new();
        for k in ["slug", "name", "url"] {
            if let Some(v) = o.remove(k) {
                ordered.insert(k.into(), v);
            }
        }
        ordered.extend(o);
        let mut t = file::json_table(&ordered);
        t.decor_mut().set_prefix("\n");
        mons.push(t);
    }
    if !chs.is_empty() {
        doc.insert("channel", toml_edit::Item::ArrayOfTables(chs));
    }
    if !mons.is_empty() {
        doc.insert("monitor", toml_edit::Item::ArrayOfTables(mons));
    }
    format!("# Exported by edgeprobe export. Channel URLs and secrets are write-only: set the\n# environment variables named below before applying this file to another deployment.\n{doc}")
}
