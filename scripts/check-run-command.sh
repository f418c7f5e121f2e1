#!/usr/bin/env bash
# The README's run command, tried the way a newcomer runs it: `git clone … && make dev`.
# Called by scripts/test.sh (counted as one test); exits non-zero when the command does not
# come up from a pristine clone or leaves anything running after Ctrl-C.
#
#  1. clone HEAD (committed state; uncommitted changes are not part of it) into a temp dir:
#     no build/, target/, .wrangler/, .tools/, node_modules/ (all git-ignored, never copied)
#  2. run `make dev` there in its own process group, with a clean environment (none of this
#     checkout's .tools/env), a fresh state dir that does not exist yet (EDGEPROBE_STATE) and a
#     free port (PORT); the clone bootstraps itself: `npm ci` for wrangler, as a newcomer's does
#  3. wait for /healthz (bounded), check the printed URLs and that the clone's .tools/env names
#     no checkout path
#  4. send Ctrl-C (SIGINT to the process group, as a terminal does), then check that every
#     process is gone (none of the group, none running from the clone) and the port is closed
#
# Speed (decision): a pristine clone has no target/, so compiling every dependency for wasm32
# would add 3-6 minutes to every `make test`. The clone instead uses this checkout's cargo
# target dir (CARGO_TARGET_DIR, else $ROOT/target: outside the clone; `make test` has just
# built the worker there), so cargo reuses the compiled dependencies and recompiles only edgeprobe itself.
# Everything that broke on fresh clones is still exercised: the clone's own target/ and build/
# do not exist beforehand (build.sh writes target/worker-build.log and build/ there), .tools/env
# is written by the clone's bootstrap, node_modules comes from `npm ci`. Measured on the 2-core
# dev machine (`time scripts/check-run-command.sh`, warm dependencies): 33-83 s in all; in the
# slow run /healthz came after 71 s, of which 52 s was the release (LTO) compile of edgeprobe
# itself (when cargo must recompile it) and ~5 s npm ci.
# EDGEPROBE_CHECK_TARGET_DIR overrides the target dir; set it empty for a fully cold build
# inside the clone.
set -euo pipefail
SCRIPT_NAME=run-command
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p tests/.run

OUT="$ROOT/tests/.run/run-command-check.log"   # what `make dev` printed in the clone
WORK=$(mktemp -d /tmp/edgeprobe-clone.XXXXXX)
CLONE="$WORK/edgeprobe"
STATE="$WORK/state"                            # not created here: make dev must create it
PORT=$(free_port)
TARGET_DIR=${EDGEPROBE_CHECK_TARGET_DIR-${CARGO_TARGET_DIR:-$ROOT/target}}
HEALTH_LIMIT=${EDGEPROBE_CHECK_LIMIT:-1200}    # seconds; a cold build on 2 cores takes minutes
DEV_PID=""
t0=$SECONDS

# Processes started from the clone (by command line or working directory), as "pid command".
clone_processes() {
  local p cmd
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$$" ] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
    if [[ "$cmd" == *"$CLONE"* ]] || [[ "$(readlink "/proc/$p/cwd" 2>/dev/null)" == "$CLONE"* ]]; then
      echo "$p ${cmd:0:160}"
    fi
  done
}
group_processes() { [ -n "$DEV_PID" ] && pgrep -g "$DEV_PID" 2>/dev/null || true; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

cleanup() {
  local pids
  # Only what this check started: its process group and processes running from its clone.
  pids="$(group_processes) $(clone_processes | cut -d' ' -f1)"
  # shellcheck disable=SC2086
  [ -n "${pids// /}" ] && kill -KILL $pids 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  say "FAILED: $*"
  say "make dev's output in the clone: $OUT"
  exit 1
}

# 1. A pristine clone of HEAD.
head=$(git rev-parse HEAD 2>/dev/null) || fail "$ROOT is not a git checkout: there is no HEAD to clone"
[ -z "$(git status --porcelain --untracked-files=no)" ] || say "note: uncommitted changes are not part of this check (it clones HEAD $head)"
git clone -q --no-checkout "$ROOT" "$CLONE"
git -C "$CLONE" cat-file -e "$head^{commit}" 2>/dev/null || git -C "$CLONE" fetch -q origin "$head"
git -C "$CLONE" checkout -q --detach "$head"
for d in build target .wrangler .tools node_modules; do
  [ ! -e "$CLONE/$d" ] || fail "the clone is not pristine: it has $d/"
done
say "clone of $head at $CLONE; make dev on port $PORT, state $STATE, cargo target dir ${TARGET_DIR:-(inside the clone)}"

# 2. `make dev` as a newcomer runs it: own process group (what a terminal's Ctrl-C reaches),
#    clean environment.
env_vars=(HOME="$HOME" USER="${USER:-root}" LANG="${LANG:-C.UTF-8}" TERM=dumb
  PATH="$HOME/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  PORT="$PORT" EDGEPROBE_STATE="$STATE")
[ -n "${CARGO_HOME:-}" ] && env_vars+=(CARGO_HOME="$CARGO_HOME")
[ -n "${RUSTUP_HOME:-}" ] && env_vars+=(RUSTUP_HOME="$RUSTUP_HOME")
[ -n "$TARGET_DIR" ] && env_vars+=(CARGO_TARGET_DIR="$TARGET_DIR")
(cd "$CLONE" && exec setsid env -i "${env_vars[@]}" make dev) >"$OUT" 2>&1 </dev/null &
DEV_PID=$!
sleep 0.5
[ "$(ps -o pgid= -p "$DEV_PID" 2>/dev/null | tr -d ' ')" = "$DEV_PID" ] || fail "make dev did not get its own process group"

# 3. Up: /healthz answers (bounded; stops early when make dev exits).
say "waiting for http://127.0.0.1:$PORT/healthz (a build in the clone comes first; at most $HEALTH_LIMIT s; output: $OUT)"
up=0
for _ in $(seq 1 "$((HEALTH_LIMIT * 2))"); do
  if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then up=1; break; fi
  kill -0 "$DEV_PID" 2>/dev/null || break
  sleep 0.5
done
if [ "$up" != 1 ]; then
  tail -30 "$OUT" || true
  if kill -0 "$DEV_PID" 2>/dev/null; then fail "make dev did not serve /healthz within $HEALTH_LIMIT s"; fi
  rc=0; wait "$DEV_PID" || rc=$?
  fail "make dev exited with status $rc before serving /healthz"
fi
t_up=$((SECONDS - t0))
# wait_http in dev.sh returned, so the URL banner follows at once.
for _ in $(seq 1 20); do grep -q "Status page     http://127.0.0.1:$PORT/status" "$OUT" && break; sleep 0.5; done
grep -q "Status page     http://127.0.0.1:$PORT/status" "$OUT" || fail "make dev did not print the status page URL"
[ -f "$CLONE/target/worker-build.log" ] || fail "the clone's build did not write target/worker-build.log (was the build skipped?)"
[ -f "$STATE/dev-api-token" ] || fail "no API token in the fresh state dir $STATE"
if grep -qF -e "$CLONE" -e "$ROOT" "$CLONE/.tools/env"; then
  fail ".tools/env holds an absolute path of a checkout: $(grep -F -e "$CLONE" -e "$ROOT" "$CLONE/.tools/env" | head -3)"
fi

# 4. Ctrl-C, then nothing may be left.
say "up after ${t_up} s; sending Ctrl-C (SIGINT to process group $DEV_PID)"
kill -INT -- "-$DEV_PID"
gone=0
for _ in $(seq 1 60); do   # 30 s: dev.sh's cleanup TERMs, then KILLs after 5 s
  if [ -z "$(group_processes)" ] && [ -z "$(clone_processes)" ]; then gone=1; break; fi
  sleep 0.5
done
if [ "$gone" != 1 ]; then
  left="$(group_processes | tr '\n' ' ')"
  fail "processes left 30 s after Ctrl-C: group [$left]; from the clone: $(clone_processes | tr '\n' ';')"
fi
DEV_PID_DONE=$DEV_PID; DEV_PID=""
wait "$DEV_PID_DONE" 2>/dev/null || true
! port_open || fail "port $PORT still accepts connections after Ctrl-C"
grep -q "stopping" "$OUT" || fail "make dev did not run its Ctrl-C cleanup (no 'stopping' line)"

say "PASSED: make dev came up from a pristine clone in ${t_up} s and Ctrl-C left nothing running ($((SECONDS - t0)) s in all)"
