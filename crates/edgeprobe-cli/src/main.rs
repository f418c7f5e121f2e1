//! `edgeprobe`: the command-line tool. Empty for now: monitors as code (`apply`, `export`,
//! `validate`, `status`, `check`, `diagnose`, `import`) arrive with the CLI issue and will share
//! `edgeprobe-core`'s types and `edgeprobe-web`'s validation.

// Dependencies this crate lists but does not use are a warning (an error under `make test`'s
// clippy gate); not for the unit-test build, which also sees the dev-dependencies.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

fn main() {
    eprintln!("edgeprobe {}: no commands yet", env!("CARGO_PKG_VERSION"));
    std::process::exit(2);
}
