#!/usr/bin/env bash
# The demo: a workspace built from examples/, validated and listed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
WS=${DEMO_WORKSPACE:-demo-workspace}
rm -rf "$WS"
"$BIN/secaudit" init "$WS" --organisation-ja "デモ市" --organisation-en "Demo City"
rm -f "$WS/services/example-portal.yaml"
cp examples/services/*.yaml "$WS/services/"
export SECAUDIT_WORKSPACE="$PWD/$WS"
"$BIN/secaudit" checklist validate
"$BIN/secaudit" service validate
"$BIN/secaudit" service list
"$BIN/secaudit" checklist list --service kosodate-portal
"$BIN/secaudit" log verify
echo "demo workspace: $PWD/$WS"
