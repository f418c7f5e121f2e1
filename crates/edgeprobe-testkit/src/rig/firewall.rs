//! nftables rules that make origins drop packets (all of them, or only the CDN's), applied
//! only inside a private network namespace the test run itself created.
//!
//! It owns one nft table (unique per rig) and deletes it on drop. It must never touch the
//! firewall of a network namespace it did not create. Comparing the namespace with PID 1's
//! proves nothing (in a container PID 1 lives in the container's namespace, and a host's PID 1
//! may be hidden), so the proof is a marker: `scripts/netns.sh` runs `unshare -n`, checks that
//! it landed in a new namespace holding only `lo`, and writes a file with a random token and
//! that namespace's id (`/proc/self/ns/net`), exporting `EDGEPROBE_NETNS_MARKER` (the file)
//! and `EDGEPROBE_NETNS_TOKEN`. The rig adds rules only when the marker's token matches, the
//! namespace it names is the rig's own, and that namespace has no interface but `lo`
//! ([`firewall_allowed`], pure); otherwise it skips the firewall cases and says why.

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

/// What [`firewall_allowed`] decides on, gathered by [`NamespaceFacts::gather`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceFacts {
    /// `EDGEPROBE_NETNS_TOKEN`, as exported by the script that created the namespace.
    pub token: Option<String>,
    /// `EDGEPROBE_NETNS_MARKER` and the file's contents (or why it could not be read).
    pub marker: Option<(String, Result<String, String>)>,
    /// The namespace this process runs in, e.g. `net:[4026532281]`.
    pub netns: String,
    /// The namespace's interfaces (from /proc/net/dev).
    pub interfaces: Vec<String>,
}

impl NamespaceFacts {
    pub fn gather() -> Result<NamespaceFacts, String> {
        let netns = fs::read_link("/proc/self/ns/net")
            .map_err(|e| format!("cannot read /proc/self/ns/net: {e}"))?;
        let marker = std::env::var("EDGEPROBE_NETNS_MARKER").ok().map(|path| {
            let contents = fs::read_to_string(&path).map_err(|e| e.to_string());
            (path, contents)
        });
        Ok(NamespaceFacts {
            token: std::env::var("EDGEPROBE_NETNS_TOKEN").ok(),
            marker,
            netns: netns.display().to_string(),
            interfaces: namespace_interfaces()?,
        })
    }
}

/// May the rig add nftables rules here? Only in a namespace the test script created and
/// marked (see the module docs) that holds nothing but loopback. Pure; the error says why not.
pub fn firewall_allowed(f: &NamespaceFacts) -> Result<(), String> {
    const HOW: &str = "run the tests through scripts/netns.sh (scripts/integration.sh does)";
    let (Some(token), Some((path, contents))) = (&f.token, &f.marker) else {
        return Err(format!(
            "no namespace marker (EDGEPROBE_NETNS_MARKER/EDGEPROBE_NETNS_TOKEN unset): not in a network \
namespace created by the test script, so the rig will not add nftables rules; {HOW}"
        ));
    };
    let contents = contents.as_ref().map_err(|e| {
        format!("namespace marker {path} cannot be read ({e}): refusing to add nftables rules")
    })?;
    let field = |name: &str| {
        contents
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::trim)
    };
    if token.is_empty() || field("token") != Some(token.as_str()) {
        return Err(format!(
            "namespace marker {path} does not carry this run's token: refusing to add nftables rules; {HOW}"
        ));
    }
    match field("netns") {
        Some(marked) if marked == f.netns => {}
        marked => {
            return Err(format!(
                "namespace marker {path} names network namespace {} but the rig runs in {}: refusing to \
touch a firewall the test script did not create; {HOW}",
                marked.unwrap_or("(none)"),
                f.netns
            ))
        }
    }
    let others: Vec<&String> = f.interfaces.iter().filter(|i| i.as_str() != "lo").collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "network namespace {} has interfaces {others:?} besides lo: it carries other traffic, refusing to \
add nftables rules",
            f.netns
        ))
    }
}

/// Why the rig may touch the firewall here, or why not (the reason is shown to people).
/// `enabled` false (RigOptions::netns_declared) refuses without looking.
pub fn private_namespace_check(enabled: bool) -> Result<(), String> {
    if !enabled {
        return Err("not in a private network namespace created and marked by scripts/netns.sh \
(EDGEPROBE_NETNS_MARKER unset, or RigOptions::netns_declared false): the rig will not add nftables rules"
            .into());
    }
    firewall_allowed(&NamespaceFacts::gather()?)
}

/// Interface names of the current network namespace (/proc/net/dev is per namespace).
fn namespace_interfaces() -> Result<Vec<String>, String> {
    let dev = fs::read_to_string("/proc/net/dev")
        .map_err(|e| format!("cannot read /proc/net/dev: {e}"))?;
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
        let table = format!(
            "edgeprobe_rig_{}_{}",
            std::process::id(),
            NEXT_TABLE.fetch_add(1, Ordering::SeqCst)
        );
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
        let _ = Command::new("nft")
            .args(["delete", "table", "inet", &self.table])
            .output();
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
