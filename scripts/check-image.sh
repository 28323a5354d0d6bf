#!/usr/bin/env bash
# Checks the Dockerfile's runtime stage as far as a machine without a container engine and without access to image
# registries can: the Zendesk example binary, alone in a minimal root filesystem holding what
# gcr.io/distroless/cc-debian12:nonroot holds (glibc, libgcc_s, a `nonroot` user 65532; no shell, no CA bundle),
# run as that user with the image's environment. It must only need those libraries, listen on 0.0.0.0:$PORT,
# answer its HEALTHCHECK command (`zendesk healthcheck`), serve /metrics on BRIDGE_METRICS_ADDR, and exit 0 after
# SIGTERM. Needs root (chroot).
#
#   bash scripts/check-image.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:-debug}
BIN=target/$PROFILE/examples/zendesk
if [ "$PROFILE" = release ]; then cargo build --release --example zendesk; else cargo build --example zendesk; fi
ROOT=$(mktemp -d)
chmod 0755 "$ROOT"
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$ROOT"' EXIT

# Only what the distroless cc image provides may be needed.
for lib in $(ldd "$BIN" | grep -o '/[^ ]*'); do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libgcc_s.so.*|ld-linux-*.so.*|libpthread.so.*|libdl.so.*|librt.so.*) ;;
    *) echo "FAIL: $BIN needs $lib, which the runtime image does not have"; exit 1 ;;
  esac
  install -D "$lib" "$ROOT$lib"
done
install -D -m 0755 "$BIN" "$ROOT/usr/local/bin/zendesk"
mkdir -p "$ROOT/etc" "$ROOT/tmp"
echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$ROOT/etc/passwd"
echo 'nonroot:x:65532:' >"$ROOT/etc/group"

PORT=${CHECK_PORT:-38080}
METRICS=$((PORT + 1))
CHROOT=$(command -v chroot)
ENV=(PORT="$PORT" BRIDGE_METRICS_ADDR="0.0.0.0:$METRICS" BRIDGE_LOG_FORMAT=json BRIDGE_DRAIN_DELAY=1
  BRIDGE_TOKEN=check-image-token)
run() { env -i "${ENV[@]}" "$CHROOT" --userspec=65532:65532 "$ROOT" /usr/local/bin/zendesk "$@"; }
# exec chain (env → chroot → zendesk): $! is the bridge's own pid.
env -i "${ENV[@]}" "$CHROOT" --userspec=65532:65532 "$ROOT" /usr/local/bin/zendesk >"$ROOT/tmp/stdout" 2>"$ROOT/tmp/stderr" &
PID=$!
for _ in $(seq 1 100); do run healthcheck 2>/dev/null && break; sleep 0.1; done
run healthcheck || { echo "FAIL: the HEALTHCHECK command fails"; cat "$ROOT/tmp/stderr"; exit 1; }
echo "ok: HEALTHCHECK (zendesk healthcheck) passes, as user 65532, on 0.0.0.0:$PORT"
for _ in $(seq 1 50); do grep -q '"addr":"0.0.0.0:'"$PORT"'"' "$ROOT/tmp/stderr" && break; sleep 0.1; done
grep -q '"addr":"0.0.0.0:'"$PORT"'"' "$ROOT/tmp/stderr" || { echo "FAIL: not on 0.0.0.0:\$PORT"; cat "$ROOT/tmp/stderr"; exit 1; }
echo "ok: listens on 0.0.0.0:\$PORT and logs JSON"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/ready")" = 200 ] || { echo "FAIL: /ready"; exit 1; }
curl -fs "http://127.0.0.1:$METRICS/metrics" >"$ROOT/tmp/metrics" || { echo "FAIL: /metrics"; exit 1; }
grep -q '^bridge_requests_total' "$ROOT/tmp/metrics" || { echo "FAIL: /metrics"; exit 1; }
echo "ok: /ready 200, /metrics on BRIDGE_METRICS_ADDR"
[ "$(ps -o uid= -p "$PID" | tr -d ' ')" = 65532 ] || { echo "FAIL: not running as 65532"; exit 1; }
echo "ok: runs as uid 65532"
kill -TERM "$PID"
wait "$PID" && echo "ok: exit 0 after SIGTERM (drained)" || { echo "FAIL: exit $? after SIGTERM"; exit 1; }
PID=
