#!/usr/bin/env bash
# The public API, as a snapshot: every item a user of `bridge` (and of `bridge-runtime`) can name, one line each,
# in public-api/*.txt. CI runs `scripts/public-api.sh` and fails when the API differs from the snapshot, so that
# every change to it is a decision: after an intended change, run `scripts/public-api.sh --update` and commit the
# diff with the change.
#
# It reads rustdoc's JSON output (an unstable rustdoc format, enabled on the stable toolchain with
# RUSTC_BOOTSTRAP=1, the way the toolchain's own tools do) and lists it with scripts/public_api.py.
set -euo pipefail
cd "$(dirname "$0")/.."

update=false
[ "${1:-}" = "--update" ] && update=true

mkdir -p public-api
status=0
for entry in "talkdesk-bridge:bridge" "bridge-runtime:bridge_runtime"; do
  package=${entry%%:*}
  crate=${entry##*:}
  RUSTC_BOOTSTRAP=1 cargo rustdoc --quiet -p "$package" --lib --all-features -- \
    -Z unstable-options --output-format json
  snapshot="public-api/$package.txt"
  current=$(mktemp)
  python3 scripts/public_api.py "target/doc/$crate.json" > "$current"
  if $update; then
    mv "$current" "$snapshot"
    echo "updated $snapshot"
  elif ! diff -u "$snapshot" "$current"; then
    echo "The public API of $package changed (above: - snapshot, + now). If it is intended, run" \
      "scripts/public-api.sh --update and commit $snapshot with the change." >&2
    status=1
    rm -f "$current"
  else
    rm -f "$current"
  fi
done
exit $status
