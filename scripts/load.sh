#!/usr/bin/env bash
# Load test of the Zendesk demo: 10 000 requests at 256 connections on each endpoint, over loopback only.
#
#   bash scripts/load.sh [REQUESTS] [CONNECTIONS]
#
# Installs its load tool (ab, from Debian's apache2-utils) if missing, builds the demo in release mode, starts it
# (the bridge and the fake Zendesk it calls, in one process), runs ApacheBench against each endpoint, and prints the
# errors, latency percentiles, throughput and the process's peak memory. Exits non-zero if any request failed or
# the demo does not stop cleanly on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

REQUESTS=${1:-10000}
CONNECTIONS=${2:-256}
PORT=${LOAD_PORT:-38217}
URL="http://127.0.0.1:${PORT}"
WORK=$(mktemp -d)
DEMO_PID=
# Stops only what this script started: with no demo pid left, nothing (a `kill 0` would signal the script's whole
# process group, itself and its caller included).
cleanup() {
  if [ -n "$DEMO_PID" ]; then kill "$DEMO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v ab >/dev/null 2>&1; then
  echo "installing ab (apache2-utils)…"
  (apt-get update -qq && apt-get install -y -qq apache2-utils) >/dev/null
fi
ulimit -n 65536 2>/dev/null || true

cargo build --release --example zendesk 2>&1 | tail -1
BRIDGE_ADDR="127.0.0.1:${PORT}" target/release/examples/zendesk --demo >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$URL/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$URL/health" >/dev/null || { echo "the demo did not start:"; cat "$WORK/demo.log"; exit 1; }

AUTH='"auth": {"account": "demo", "email": "ada.admin@example.com", "token": "zd-demo-6f1c2a9e4b7d"}'
printf '{%s}' "$AUTH" >"$WORK/auth_validation.json"
printf '{%s}' "$AUTH" >"$WORK/contact_sync.json"
printf '{%s, "meta": {"interaction_types": ["ticket"]}, "data": {"contact_external_id": "3"}}' "$AUTH" \
  >"$WORK/interaction_update.json"
printf '{%s}' "$AUTH" >"$WORK/agent_sync.json"

printf '\n%-22s %9s %8s %8s %8s %8s %8s %8s\n' endpoint "req/s" errors "p50 ms" "p90 ms" "p99 ms" "max ms" "non-2xx"
failed=0
for endpoint in auth_validation contact_sync interaction_update agent_sync; do
  ab -k -q -n "$REQUESTS" -c "$CONNECTIONS" -s 30 -T application/json -p "$WORK/$endpoint.json" \
    "$URL/$endpoint" >"$WORK/$endpoint.ab" 2>&1 || true
  out="$WORK/$endpoint.ab"
  rps=$(awk '/^Requests per second/ {print $4}' "$out")
  errors=$(awk '/^Failed requests/ {print $3}' "$out")
  non2xx=$(awk '/^Non-2xx responses/ {print $3}' "$out")
  complete=$(awk '/^Complete requests/ {print $3}' "$out")
  pct() { awk -v p="$1" '$1 == p"%" {print $2}' "$out"; }
  printf '%-22s %9s %8s %8s %8s %8s %8s %8s\n' "$endpoint" "${rps:-?}" "${errors:-?}" "$(pct 50)" "$(pct 90)" \
    "$(pct 99)" "$(pct 100)" "${non2xx:-0}"
  if [ "${complete:-0}" != "$REQUESTS" ] || [ "${errors:-1}" != "0" ] || [ "${non2xx:-0}" != "0" ]; then
    failed=1
    tail -20 "$out"
  fi
done

peak=$(awk '/^VmHWM/ {print $2, $3}' "/proc/$DEMO_PID/status")
echo
echo "requests per endpoint: $REQUESTS at $CONNECTIONS connections (keep-alive)"
echo "peak memory of the demo process (bridge + fake Zendesk): $peak"
kill -TERM "$DEMO_PID"
if wait "$DEMO_PID"; then echo "the demo stopped cleanly on SIGTERM"; else echo "the demo did not exit 0"; failed=1; fi
DEMO_PID=
exit "$failed"
