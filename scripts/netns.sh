#!/usr/bin/env bash
# scripts/netns.sh CMD [ARG…]: runs CMD in a private network namespace that this script
# creates (`unshare -n`; needs root), with loopback up and the marker the test rig requires
# before it adds nftables rules (crates/edgeprobe-testkit/src/rig/firewall.rs):
#   EDGEPROBE_NETNS_MARKER  a file holding `token=<random>` and `netns=<this namespace's id>`
#   EDGEPROBE_NETNS_TOKEN   the same random token
# The marker is written only after checking that unshare really gave a new namespace (its id
# differs from the caller's) holding nothing but `lo`; the rig re-checks the id and `lo`.
#   scripts/netns.sh cargo test -p edgeprobe-testkit --test rig_selftest    # the rig's firewall cases, for real
set -euo pipefail
SCRIPT_NAME=netns
source "$(dirname "$0")/lib.sh"

if [ "${1:-}" != "--inside-new-netns" ]; then
  [ $# -gt 0 ] || { say "usage: scripts/netns.sh CMD [ARG…]"; exit 2; }
  [ "$(id -u)" = 0 ] || { say "needs root (unshare -n)"; exit 1; }
  exec unshare -n "$ROOT/scripts/netns.sh" --inside-new-netns "$(readlink /proc/self/ns/net)" "$@"
fi
parent=$2
shift 2
mine=$(readlink /proc/self/ns/net)
[ "$mine" != "$parent" ] || { say "unshare -n did not give a new network namespace ($mine)"; exit 1; }
ifaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | tr '\n' ' ')
[ "$ifaces" = "lo " ] || { say "the new network namespace $mine has interfaces other than lo: $ifaces"; exit 1; }
ip link set lo up

token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
marker=$(mktemp /tmp/edgeprobe-netns.XXXXXX)
printf 'token=%s\nnetns=%s\n' "$token" "$mine" > "$marker"
export EDGEPROBE_NETNS_MARKER="$marker" EDGEPROBE_NETNS_TOKEN="$token"
# Informational for tests that only want to know (the rig does not trust it).
export EDGEPROBE_NETNS=1
status=0
"$@" || status=$?
rm -f "$marker"
exit $status
