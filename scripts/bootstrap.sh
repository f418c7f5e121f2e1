#!/usr/bin/env bash
# Makes this machine able to build, run and test edgeprobe. Idempotent: every step checks
# first and is quick when its piece is already in place. Prints one line per step; fails with
# a message naming the missing piece.
#
# Writes .tools/env (sourced by the Makefile) with the PATH and variables the build needs.
#
# The wasm32 target: rustup's when it has it or can add it. On machines where rustup cannot
# download (no internet beyond package registries), it falls back to Debian's rustc-web
# toolchain and builds the Rust standard library for wasm32 once, installing it into Debian's
# sysroot (/usr/lib/rustlib/wasm32-unknown-unknown).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"
TARGET=wasm32-unknown-unknown

step() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[bootstrap] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found; install these by hand: $*"
  if [ $APT_UPDATED = 0 ]; then as_root apt-get update -qq >/dev/null || die "apt-get update failed"; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

lock_version() { # the version of crate $1 in Cargo.lock
  awk -v n="$1" '$0=="name = \""n"\"" {getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock"
}

# 1. Base tools -------------------------------------------------------------------------------
step "checking base tools (cargo, node, npm)"
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs)"
command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
# wrangler 4.86 needs Node.js >= 20.3.0 (its package.json "engines"; so does ours).
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 3) ? 0 : 1)' \
  || die "Node.js >= 20.3.0 is needed for wrangler 4.86 (found $(node --version)); Debian 13's nodejs package has it"

# 2. wasm32 target ----------------------------------------------------------------------------
has_wasm_std() { # $1 = rustc
  local dir; dir=$("$1" --print target-libdir --target $TARGET 2>/dev/null) || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}
WASM_PATH_PREFIX=""
# EDGEPROBE_FORCE_DEBIAN_WASM=1 exercises the fallback on a machine where rustup would work.
if [ -z "${EDGEPROBE_FORCE_DEBIAN_WASM:-}" ] && has_wasm_std rustc; then
  step "wasm32 target: rustup's toolchain has it"
elif [ -z "${EDGEPROBE_FORCE_DEBIAN_WASM:-}" ] && command -v rustup >/dev/null && timeout 120 rustup target add $TARGET >/dev/null 2>&1 && has_wasm_std rustc; then
  step "wasm32 target: added with rustup"
else
  step "wasm32 target: rustup cannot provide it here; using Debian's rustc-web fallback"
  if [ ! -x /usr/bin/rustc ] || [ ! -x /usr/bin/rust-lld ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
    step "installing Debian packages rustc-web cargo-web rust-web-src rust-web-llvm lld-22"
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  fi
  [ -x /usr/bin/rust-lld ] || die "/usr/bin/rust-lld missing (package lld-22): the wasm link needs it"
  if ! has_wasm_std /usr/bin/rustc; then
    step "building the Rust standard library for wasm32 once (about a minute)"
    STD=$(mktemp -d)
    mkdir -p "$STD/src"
    printf '[package]\nname = "stdbuild"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n[profile.release]\nlto = false\n' > "$STD/Cargo.toml"
    echo '#[no_mangle] pub extern "C" fn f() -> u32 { 1 }' > "$STD/src/lib.rs"
    ( cd "$STD" && RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Cembed-bitcode=yes RUSTC=/usr/bin/rustc \
        /usr/bin/cargo build -q --release --target $TARGET -Zbuild-std=std,panic_abort ) \
      || die "building std for wasm32 failed (see output above)"
    LIBDIR=$(/usr/bin/rustc --print sysroot)/lib/rustlib/$TARGET/lib
    as_root mkdir -p "$LIBDIR"
    find "$STD/target/$TARGET/release/deps" -name 'lib*.rlib' ! -name 'libstdbuild*' -exec cp {} "$LIBDIR/" \;
    rm -rf "$STD"
    has_wasm_std /usr/bin/rustc || die "std for wasm32 was built but rustc does not find it in $LIBDIR"
  fi
  step "wasm32 target: Debian's rustc $(/usr/bin/rustc --version | cut -d' ' -f2) with std in its sysroot"
  WASM_PATH_PREFIX=/usr/bin
fi

# 2b. A C compiler for wasm32: ring (rustls' crypto, the origin probe's own TLS client) has C
#     and assembly-free C parts that the cc crate compiles for wasm32. Debian's clang 14 targets
#     wasm32; the `clang-14` package has no plain `clang` name, which is what cc looks for, so the
#     compiler is named in CC_wasm32_unknown_unknown (and its archiver in AR_...: llvm-ar comes
#     with clang-14's llvm dependency). Checked first, so this costs nothing when present.
find_wasm_cc() { local c; for c in clang clang-14 clang-15 clang-16 clang-19; do command -v "$c" >/dev/null && { command -v "$c"; return 0; }; done; return 1; }
find_wasm_ar() { local a; for a in llvm-ar llvm-ar-14 llvm-ar-15 llvm-ar-16 llvm-ar-19; do command -v "$a" >/dev/null && { command -v "$a"; return 0; }; done; return 1; }
if ! WASM_CC=$(find_wasm_cc) || ! WASM_AR=$(find_wasm_ar); then
  step "installing clang-14 and llvm-14 (ring's C code for wasm32)"
  apt_install clang-14 llvm-14
  WASM_CC=$(find_wasm_cc) || die "clang not found after installing clang-14"
  WASM_AR=$(find_wasm_ar) || die "llvm-ar not found after installing llvm-14"
fi
step "wasm32 C compiler: $WASM_CC (archiver $WASM_AR)"

# 3. worker-build and wasm-bindgen at the versions Cargo.lock pins ---------------------------
[ -f Cargo.lock ] || die "Cargo.lock missing: it pins the worker and wasm-bindgen versions"
WORKER_V=$(lock_version worker); BINDGEN_V=$(lock_version wasm-bindgen)
[ -n "$WORKER_V" ] && [ -n "$BINDGEN_V" ] || die "could not read worker/wasm-bindgen versions from Cargo.lock"
version_of() { "$@" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }
if [ "$(version_of worker-build)" != "$WORKER_V" ]; then
  step "installing worker-build $WORKER_V (compiles for about 5 minutes, once)"
  cargo install -q worker-build --version "$WORKER_V" --locked || die "cargo install worker-build $WORKER_V failed"
else
  step "worker-build $WORKER_V present"
fi
# wasm-bindgen-cli: not --locked, because its lockfile pins a crate version the registry no
# longer serves (webpki-roots 1.0.11); the CLI's version itself is exact.
if [ "$(version_of wasm-bindgen)" != "$BINDGEN_V" ]; then
  step "installing wasm-bindgen-cli $BINDGEN_V to match Cargo.lock (compiles for about 6 minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$BINDGEN_V" || die "cargo install wasm-bindgen-cli $BINDGEN_V failed"
else
  step "wasm-bindgen $BINDGEN_V present"
fi

# 4. wrangler (npm, pinned by package-lock.json) ------------------------------------------------
if [ ! -x node_modules/.bin/wrangler ] || ! cmp -s package-lock.json node_modules/.package-lock.stamp; then
  step "installing wrangler from package-lock.json (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  cp package-lock.json node_modules/.package-lock.stamp
else
  step "wrangler $(node -p 'require("./node_modules/wrangler/package.json").version') present"
fi

# 5. Test rig tools: nginx (the CDN front), nftables (the firewall case), openssl (test certs),
#    unshare/ip (a private network namespace for the tests) ---------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || missing+=(nftables)
command -v openssl >/dev/null || missing+=(openssl)
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then step "installing ${missing[*]}"; apt_install "${missing[@]}"; else step "nginx, nftables, openssl, iproute2 present"; fi

# 6. What the Makefile needs -------------------------------------------------------------------
# .tools/env holds no path of this checkout: a copied or moved checkout (or a clone that got
# another's .tools/) must not run another checkout's tools. Paths inside the checkout are
# computed when the file is sourced, from where the file itself is.
ESBUILD=""
for c in node_modules/@esbuild/linux-x64/bin/esbuild node_modules/esbuild/bin/esbuild; do
  [ -x "$c" ] && { ESBUILD="$c"; break; }
done
{
  echo "# written by scripts/bootstrap.sh; sourced by scripts/lib.sh (bash)"
  # shellcheck disable=SC2016 # expanded when sourced, not now
  echo '_edgeprobe_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)'
  echo "export PATH=\"${WASM_PATH_PREFIX:+$WASM_PATH_PREFIX:}$HOME/.cargo/bin:\$PATH:/usr/sbin:/sbin\""
  echo "export WASM_BINDGEN_BIN=\"$(command -v wasm-bindgen)\""
  echo "export CC_wasm32_unknown_unknown=\"$WASM_CC\""
  echo "export AR_wasm32_unknown_unknown=\"$WASM_AR\""
  [ -n "$ESBUILD" ] && echo "export ESBUILD_BIN=\"\$_edgeprobe_root/$ESBUILD\""
  echo "export EDGEPROBE_BOOTSTRAPPED=\"$(cat Cargo.lock package-lock.json scripts/bootstrap.sh | cksum | cut -d' ' -f1)\""
} > "$TOOLS/env.tmp"
mv "$TOOLS/env.tmp" "$TOOLS/env"
step "ready"
