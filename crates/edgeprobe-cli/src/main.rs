//! `edgeprobe`: the command-line tool. Empty for now: monitors as code (`apply`, `export`,
//! `validate`, `status`, `check`, `diagnose`, `import`) arrive with the CLI issue and will share
//! `edgeprobe-core`'s types and `edgeprobe-web`'s validation.

fn main() {
    eprintln!("edgeprobe {}: no commands yet", env!("CARGO_PKG_VERSION"));
    std::process::exit(2);
}
