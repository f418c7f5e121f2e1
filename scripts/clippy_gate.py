#!/usr/bin/env python3
"""Reads `cargo clippy --message-format json -- -W unused_crate_dependencies` on stdin and
fails (exit 1) on any warning or error, like `-D warnings`, with one exception that makes the
unused-dependency check exact for dev-dependencies too:

cargo hands every dev-dependency (and every library dependency) to each test, bench and example
target, so the compiler's `unused_crate_dependencies` fires in every such target that happens
not to use one of them. Those warnings are collected instead: a dev-dependency is unused when
*every* test, bench and example target of its package (and the library's unit-test build)
reports it. Normal dependencies unused by a library or binary fail at once (each crate root
enables the lint, and it is exact there).

Usage: cargo clippy ... --message-format json -- -W unused_crate_dependencies | clippy_gate.py
Needs `cargo metadata` (run in the workspace) for each package's dependency kinds.
"""
import json
import re
import subprocess
import sys

UNUSED = re.compile(r"extern crate `([^`]+)` is unused in crate `([^`]+)`")
PRODUCT_KINDS = {"lib", "rlib", "cdylib", "dylib", "staticlib", "proc-macro", "bin"}


def crate_name(dep):
    return (dep.get("rename") or dep["name"]).replace("-", "_")


NAMES = {}  # package id -> package name


def dev_only_deps():
    """package id -> crate names that are dev-dependencies and not (untargeted) normal ones."""
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        check=True, capture_output=True, text=True).stdout)
    out = {}
    for pkg in meta["packages"]:
        NAMES[pkg["id"]] = pkg["name"]
        normal = {crate_name(d) for d in pkg["dependencies"]
                  if d["kind"] in (None, "build") and d.get("target") is None}
        out[pkg["id"]] = {crate_name(d) for d in pkg["dependencies"] if d["kind"] == "dev"} - normal
    return out


def target_key(pkg, target):
    return (pkg, target["name"], tuple(target["kind"]))


def main():
    dev_only = dev_only_deps()
    test_targets = {}   # package id -> keys of the targets that receive its dev-dependencies
    reported = {}       # (package id, target key) -> crate names the target reported unused
    failures = 0
    for line in sys.stdin:
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        pkg = msg.get("package_id")
        if msg.get("reason") == "compiler-artifact" and pkg in dev_only:
            kinds = set(msg["target"]["kind"])
            if msg["profile"]["test"] or not kinds & PRODUCT_KINDS:
                test_targets.setdefault(pkg, set()).add(target_key(pkg, msg["target"]))
        if msg.get("reason") != "compiler-message":
            continue
        diag = msg["message"]
        if diag["level"] not in ("warning", "error"):
            continue
        code = (diag.get("code") or {}).get("code")
        m = UNUSED.search(diag["message"]) if code == "unused_crate_dependencies" else None
        if m and pkg in dev_only:
            dep = m.group(1)
            kinds = set(msg["target"]["kind"])
            if dep in dev_only[pkg]:
                reported.setdefault(target_key(pkg, msg["target"]), set()).add(dep)
                continue
            if not kinds & PRODUCT_KINDS:
                # A library dependency a test, bench or example does not use: expected.
                continue
        sys.stdout.write(diag.get("rendered") or diag["message"])
        failures += 1
    for pkg, deps in sorted(dev_only.items()):
        targets = test_targets.get(pkg, set())
        for dep in sorted(deps):
            if targets and all(dep in reported.get(t, set()) for t in targets):
                print(f"error: dev-dependency `{dep}` of {NAMES[pkg]} is used by none of its "
                      f"{len(targets)} test, bench and example targets: remove it from Cargo.toml")
                failures += 1
    if failures:
        print(f"clippy gate: {failures} finding(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
