#!/usr/bin/env bash
# Every supported feature combination builds without a warning (clippy, warnings denied): a bridge over a database
# uses `default-features = false`, a warp application `warp` alone, and none may pay for dead code or warnings.
#
# The facade forwards each of its features to bridge-runtime under the same name, so linting the facade's library
# with a combination lints the runtime's with it too (a workspace member's warnings are denied as its dependent's).
# `--lib` keeps the dev-dependencies out: the tests depend on the facade with `testing` and `warp`, and would unify
# every combination into that one.
#
# The combinations are listed here rather than enumerated by `cargo hack --feature-powerset`: there are eight (`default`
# is `client`; `testing` includes `client`), and installing cargo-hack would cost every clean CI machine more than
# running them. A feature added to Cargo.toml without being added here fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

known="client default redis testing warp"
declared=$(cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json,sys; m=json.load(sys.stdin); p=[p for p in m["packages"] if p["name"]=="talkdesk-bridge"][0]; print(" ".join(sorted(p["features"])))')
if [ "$declared" != "$known" ]; then
    echo "check-features.sh knows the features \"$known\", Cargo.toml declares \"$declared\": add the new combinations" >&2
    exit 1
fi

for features in "" client testing warp "client warp" "testing warp" redis "client redis"; do
    echo "clippy --no-default-features --features \"$features\""
    cargo clippy --quiet -p talkdesk-bridge --lib --no-default-features --features "$features" -- -D warnings
done
