#!/usr/bin/env bash
# Every supported feature combination builds without a warning (clippy, warnings denied): a bridge over a database
# uses `default-features = false`, a warp application `warp` alone, and none may pay for dead code or warnings.
#
# The facade forwards each of its features to bridge-runtime under the same name, so linting the facade's library
# with a combination lints the runtime's with it too (a workspace member's warnings are denied as its dependent's).
# `--lib` keeps the dev-dependencies out: the tests depend on the facade with `testing` and `warp`, and would unify
# every combination into that one.
#
# The combinations are listed here rather than enumerated by `cargo hack --feature-powerset`: there are eight for the
# facade (`default` is `client`; `testing` includes `client`) and two for the runtime without its server, and
# installing cargo-hack would cost every clean CI machine more than running them. A feature added to Cargo.toml
# without being added here fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."

# features_of PACKAGE: the features its Cargo.toml declares, sorted, on one line.
features_of() {
    cargo metadata --no-deps --format-version 1 \
        | python3 -c 'import json,sys; m=json.load(sys.stdin); p=[p for p in m["packages"] if p["name"]==sys.argv[1]][0]; print(" ".join(sorted(p["features"])))' "$1"
}

# known PACKAGE FEATURES: fails unless PACKAGE declares exactly FEATURES.
known() {
    local declared
    declared=$(features_of "$1")
    if [ "$declared" != "$2" ]; then
        echo "check-features.sh knows the features \"$2\" of $1, Cargo.toml declares \"$declared\": add the new combinations" >&2
        exit 1
    fi
}

known talkdesk-bridge "client default redis testing warp"
# The runtime's own features: the facade always turns `server` on (every combination above has it); `simulator`
# without `server` is how talkdesk-bridge-conformance builds the runtime, and nothing at all the protocol's types.
known bridge-runtime "client default redis server simulator testing warp"

for features in "" client testing warp "client warp" "testing warp" redis "client redis"; do
    echo "clippy --no-default-features --features \"$features\""
    cargo clippy --quiet -p talkdesk-bridge --lib --no-default-features --features "$features" -- -D warnings
done

for features in "" simulator; do
    echo "clippy -p bridge-runtime --no-default-features --features \"$features\" (no server)"
    cargo clippy --quiet -p bridge-runtime --lib --no-default-features --features "$features" -- -D warnings
done
# And the command itself, as `cargo install` builds it: with its own features only.
echo "clippy -p talkdesk-bridge-conformance --bins --lib (the runtime without its server)"
cargo clippy --quiet -p talkdesk-bridge-conformance --bins --lib -- -D warnings

# ...and without the server stack, which it never uses: a dependency that brings it back fails here.
tree=$(cargo tree -p talkdesk-bridge-conformance -e normal,features --prefix none)
for server in 'prometheus-client v' 'tracing-subscriber v' 'tracing-log v' 'hyper feature "server"' 'hyper-util feature "server"'; do
    if grep -qF "$server" <<<"$tree"; then
        echo "talkdesk-bridge-conformance builds the server stack ($server): see \`cargo tree -p talkdesk-bridge-conformance -e normal,features -i ${server%% *}\`" >&2
        exit 1
    fi
done
echo "talkdesk-bridge-conformance: $(cargo tree -p talkdesk-bridge-conformance -e normal --prefix none | sed 's/ (\*)$//' | sort -u | wc -l) crates, no server stack"
