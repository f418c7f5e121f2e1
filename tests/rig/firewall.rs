//! nftables rules that make origins drop packets (all of them, or only the CDN's), applied
//! only inside a private network namespace the test run created.
//!
//! It owns one nft table (unique per rig) and deletes it on drop. It must never touch the
//! firewall of a shared (init) network namespace: without `EDGEPROBE_NETNS=1` *and* a
//! namespace that differs from PID 1's, it refuses and says why.

use std::fs;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A drop rule: packets to `dport` from `saddr` (or from anywhere) are silently discarded,
/// so connections time out rather than being refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRule {
    pub saddr: Option<&'static str>,
    pub dport: u16,
}

/// An installed table. Dropping it removes the table.
pub struct Firewall {
    table: String,
}

/// Why the rig may touch the firewall here, or why not (the reason is shown to people).
pub fn private_namespace_check(env_says_private: bool) -> Result<(), String> {
    if !env_says_private {
        return Err("EDGEPROBE_NETNS=1 is not set: not running in a network namespace created for the \
test run (run under `unshare -n`), so the rig will not add nftables rules"
            .into());
    }
    let mine = fs::read_link("/proc/self/ns/net").map_err(|e| format!("cannot read /proc/self/ns/net: {e}"))?;
    match fs::read_link("/proc/1/ns/net") {
        Ok(init) if init == mine => {
            return Err(format!(
                "EDGEPROBE_NETNS=1 but this process shares PID 1's network namespace ({}): refusing to \
touch the host firewall",
                mine.display()
            ))
        }
        Ok(_) => return Ok(()),
        // Containers often hide PID 1's namespace even from root; fall through to a check
        // that needs no privilege.
        Err(_) => {}
    }
    let interfaces = namespace_interfaces()?;
    if interfaces.iter().all(|i| i == "lo") {
        // A namespace with nothing but loopback carries nobody else's traffic.
        Ok(())
    } else {
        Err(format!(
            "EDGEPROBE_NETNS=1 but this network namespace ({}) has interfaces {interfaces:?} besides lo \
and PID 1's namespace cannot be read: refusing to touch what may be the host firewall",
            mine.display()
        ))
    }
}

/// Interface names of the current network namespace (/proc/net/dev is per namespace).
fn namespace_interfaces() -> Result<Vec<String>, String> {
    let dev = fs::read_to_string("/proc/net/dev").map_err(|e| format!("cannot read /proc/net/dev: {e}"))?;
    Ok(dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once(':'))
        .map(|(name, _)| name.trim().to_string())
        .collect())
}

static NEXT_TABLE: AtomicUsize = AtomicUsize::new(0);

impl Firewall {
    /// Installs `rules` in a fresh table. Call only after `private_namespace_check` passed.
    pub fn install(rules: &[DropRule]) -> Result<Firewall, String> {
        // Unique per process and rig, so parallel tests in one namespace do not collide.
        let table = format!("edgeprobe_rig_{}_{}", std::process::id(), NEXT_TABLE.fetch_add(1, Ordering::SeqCst));
        let script = render_ruleset(&table, rules);
        let out = Command::new("nft")
            .arg("-f")
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(script.as_bytes())?;
                }
                child.wait_with_output()
            })
            .map_err(|e| format!("cannot run nft: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "nft refused the rig's rules: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Firewall { table })
    }
}

impl Firewall {
    /// The nft table's name (family inet).
    pub fn table(&self) -> &str {
        &self.table
    }
}

impl Drop for Firewall {
    fn drop(&mut self) {
        let _ = Command::new("nft").args(["delete", "table", "inet", &self.table]).output();
    }
}

/// The nft script for a table holding `rules`. Pure.
pub fn render_ruleset(table: &str, rules: &[DropRule]) -> String {
    let mut s = format!("table inet {table} {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n");
    for r in rules {
        match r.saddr {
            Some(a) => s.push_str(&format!("    ip saddr {a} tcp dport {} drop\n", r.dport)),
            None => s.push_str(&format!("    tcp dport {} drop\n", r.dport)),
        }
    }
    s.push_str("  }\n}\n");
    s
}
