#!/usr/bin/env bash
# The demo: a complete audit of the demo service kosodate-portal on loopback.
#
#  1. a workspace built from examples/ (three services),
#  2. demo targets on 127.0.0.1:8443 (HTTPS with a demo CA; examples/demo_targets.py),
#  3. the organisation questionnaire (the city-wide controls, answered once and inherited by every
#     service) and the service's questionnaire exported, filled in as the city and the service owner
#     would (examples/owner_fill.py) and imported,
#  4. `secaudit audit`: scan, assessment, risk register, report (HTML and PDF), launch decision,
#  5. the portfolio dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.venv/bin}
WS=${DEMO_WORKSPACE:-demo-workspace}
SECAUDIT="$BIN/secaudit"
PYTHON="$BIN/python"

rm -rf "$WS"
"$SECAUDIT" init "$WS" --organisation-ja "デモ市" --organisation-en "Demo City"
rm -f "$WS/services/example-portal.yaml"
cp examples/services/*.yaml "$WS/services/"
# The demo registers its services today: each scan authorisation runs 90 days from now, so the
# demo works on any date (the example files carry fixed dates, as a city's would).
until=$("$PYTHON" -c 'import datetime as d; print(d.date.today() + d.timedelta(days=90))')
sed -i "s/^  authorized_until: .*/  authorized_until: $until/" "$WS"/services/*.yaml
export SECAUDIT_WORKSPACE="$PWD/$WS"

mkdir -p "$WS/targets"
"$PYTHON" examples/demo_targets.py --dir "$WS/targets" --port 8443 >"$WS/targets/targets.log" 2>&1 &
TARGETS_PID=$!
trap 'kill "$TARGETS_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do
  grep -q '^ready' "$WS/targets/targets.log" && break
  if ! kill -0 "$TARGETS_PID" 2>/dev/null; then
    echo "demo targets did not start:" >&2
    cat "$WS/targets/targets.log" >&2
    exit 3
  fi
  sleep 0.1
done
grep '^ready' "$WS/targets/targets.log"

"$SECAUDIT" checklist validate
"$SECAUDIT" service validate
"$SECAUDIT" checklist soa kosodate-portal --format xlsx -o "$WS/kosodate-portal-soa.xlsx"

due=$(date -d '+14 days' +%F 2>/dev/null || date +%F)
"$SECAUDIT" questionnaire export --organisation -o "$WS/organisation-questionnaire.xlsx" --due "$due"
"$PYTHON" examples/owner_fill.py "$WS/organisation-questionnaire.xlsx" examples/answers/organisation.yaml \
  --workspace "$WS" -o "$WS/organisation-answered.xlsx"
"$SECAUDIT" questionnaire import --organisation "$WS/organisation-answered.xlsx"
"$SECAUDIT" questionnaire export kosodate-portal -o "$WS/kosodate-portal-questionnaire.xlsx" --due "$due"
"$PYTHON" examples/owner_fill.py "$WS/kosodate-portal-questionnaire.xlsx" examples/answers/kosodate-portal.yaml \
  --workspace "$WS" -o "$WS/kosodate-portal-answered.xlsx"
"$SECAUDIT" questionnaire import "$WS/kosodate-portal-answered.xlsx"
"$SECAUDIT" questionnaire status

set +e
"$SECAUDIT" audit kosodate-portal --profile standard -o "$WS/audit"
code=$?
set -e
case "$code" in
  0|1) ;;  # GO / CONDITIONAL, or NO-GO: both are a decision
  *) echo "the audit failed (exit $code)" >&2; exit "$code" ;;
esac
"$SECAUDIT" dashboard -o "$WS/audit/dashboard.html"
"$SECAUDIT" log verify

echo
echo "demo finished; everything is in $PWD/$WS/audit:"
ls -1 "$WS/audit" | sed 's/^/  /'
