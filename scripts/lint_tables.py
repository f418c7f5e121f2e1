#!/usr/bin/env python3
"""Every crate of the workspace lints as the root Cargo.toml's [workspace.lints] says: its
Cargo.toml has `[lints] workspace = true`, or (edgeprobe-testkit only, for the rig's libc
calls) a copy of the workspace's table that differs in nothing but `unsafe_code = "deny"`."""
import glob
import sys
import tomllib

OWN_TABLE = {"edgeprobe-testkit": {"rust": {"unsafe_code": "deny"}}}

with open("Cargo.toml", "rb") as f:
    root = tomllib.load(f)
workspace = root["workspace"]["lints"]
bad = 0
for path in ["Cargo.toml"] + sorted(glob.glob("crates/*/Cargo.toml")):
    with open(path, "rb") as f:
        manifest = tomllib.load(f)
    name = manifest["package"]["name"]
    lints = manifest.get("lints")
    if lints == {"workspace": True}:
        if name in OWN_TABLE:
            print(f"{path}: {name} may use [lints] workspace = true now: drop it from scripts/lint_tables.py")
        continue
    if name in OWN_TABLE:
        want = {k: dict(v) for k, v in workspace.items()}
        for group, levels in OWN_TABLE[name].items():
            want.setdefault(group, {}).update(levels)
        if lints == want:
            continue
        print(f"{path}: [lints] must equal the workspace's except {OWN_TABLE[name]}; has {lints}, wants {want}")
    else:
        print(f"{path}: needs [lints] workspace = true (has {lints})")
    bad += 1
sys.exit(1 if bad else 0)
