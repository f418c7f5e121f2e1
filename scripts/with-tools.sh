#!/usr/bin/env bash
# Runs a command with the project's tool environment (bootstrapping first if needed).
set -euo pipefail
SCRIPT_NAME=tools
source "$(dirname "$0")/lib.sh"
ensure_tools
cd "$ROOT"
exec "$@"
