#!/usr/bin/env bash
# The benchmarks of issues 7 and 15: the same three endpoints written with bridge's macros (bench-bridge), as a
# hand-written warp filter (bench-warp) and with hyper alone (bench-hyper), both on bridge's protocol types, and the
# same two on plain serde structs (bench-warp-strings, bench-hyper-strings: String dates, &'static str enums),
# and as a hand-written axum 0.8 Router (bench-axum, bench-axum-strings: what most would write without bridge),
# measured side by side in one run; bench-warp-plain is bench-warp without bridge's per-request hardening (request
# ids, deadline, in-flight bound). See BENCHMARKS.md. bench-bridge is also measured as deployed (issue 27): with the
# bridge's default logs, a line per request as text (bridge-text), as JSON (bridge-json), and with RUST_LOG=warn
# (bridge-warn, no line), in the answers and callgrind stages; the first table of the report is that bridge as
# deployed against the hand-written servers on plain types (issue 33).
#
#   scripts/bench.sh                 # everything (about 20 minutes on 2 cores, after the first build)
#   scripts/bench.sh --update-doc    # … and write the results into BENCHMARKS.md (between its markers)
#   BENCH_QUICK=1 scripts/bench.sh   # a smoke run: tiny counts, one short round, no compile-time figures
#
# BENCH_VARIANTS="bridge-text bridge-warn hyper-strings" and BENCH_ENDPOINTS="interactions" measure only those (a
# partial run: the report's tables then show 0 or – for what was not measured); BENCH_N_INTERACTIONS="500 1000"
# sets the interaction endpoint's two counts of requests under callgrind.
#
# Stages (each can be skipped: BENCH_SKIP="compile criterion wrk callgrind"):
#   1. tools      valgrind + wrk from Debian's packages when missing (apt-get update first), as root
#   2. build      bench/ in release mode, once
#   3. answers    every variant (the plain-types servers included) must answer every endpoint with the same status
#                 and the same bytes as bench-bridge
#   4. callgrind  instructions per request: each server under callgrind for N1 then N2 keep-alive requests,
#                 (I2 − I1) / (N2 − N1); per-function profiles kept for callgrind_annotate
#   5. wrk        requests per second, variants alternated over BENCH_ROUNDS rounds, medians
#   6. criterion  decode + validation and encoding against plain serde_json (bench/benches/codec.rs)
#   7. compile    clean dev build of the workspace and its examples, incremental rebuilds after editing one handler
#
# Results go to bench/results/<UTC time>/ (report.md is the summary); only 127.0.0.1 is ever contacted.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$BENCH/results/$STAMP}
QUICK=${BENCH_QUICK:-0}
SKIP=" ${BENCH_SKIP:-} "
UPDATE_DOC=0
for arg in "$@"; do
    case $arg in
        --update-doc) UPDATE_DOC=1 ;;
        -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "unknown argument: $arg" >&2; exit 2 ;;
    esac
done

BASE_VARIANTS=(bridge warp hyper warp-plain warp-strings hyper-strings axum axum-strings)
# bench-bridge served as deployed (`--deployed`: the environment's settings, the default logs on stderr)
LOG_VARIANTS=(bridge-text bridge-json bridge-warn)
read -ra VARIANTS <<<"${BENCH_VARIANTS:-${BASE_VARIANTS[*]} ${LOG_VARIANTS[*]}}"
read -ra ENDPOINTS <<<"${BENCH_ENDPOINTS:-interactions contacts action}"
# the variants wrk measures: the base ones (the deployed bridge's req/s would measure its log file's writes too)
WRK_VARIANTS=()
for v in "${VARIANTS[@]}"; do [[ " ${LOG_VARIANTS[*]} " == *" $v "* ]] || WRK_VARIANTS+=("$v"); done
if [[ $QUICK == 1 ]]; then
    N_interactions=(20 40); N_action=(20 40); N_contacts=(2 4)
    ROUNDS=${BENCH_ROUNDS:-1}; DURATION=${BENCH_DURATION:-1}; WARMUP=1
    SKIP="$SKIP compile "
else
    read -ra N_interactions <<<"${BENCH_N_INTERACTIONS:-2000 4000}"
    N_action=(2000 4000); N_contacts=(5 15)
    ROUNDS=${BENCH_ROUNDS:-5}; DURATION=${BENCH_DURATION:-3}; WARMUP=${BENCH_WARMUP:-1}
fi
CONNECTIONS=${BENCH_CONNECTIONS:-16}
export CARGO_TERM_COLOR=never
unset BRIDGE_TOKEN BRIDGE_ADDR PORT RUST_LOG || true

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
skipped() { [[ $SKIP == *" $1 "* ]]; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

mkdir -p "$OUT"/{callgrind,wrk,bodies,logs,answers}
REPORT=$OUT/report.md
SCRIPT_START=$(now)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]:-}"; do
        [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------------------
# 1. tools
need_tools=()
command -v valgrind >/dev/null || need_tools+=(valgrind)
command -v wrk >/dev/null || need_tools+=(wrk)
if ((${#need_tools[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${need_tools[*]}: install them (apt-get install ${need_tools[*]}) or run as root"
    log "installing ${need_tools[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$OUT/logs/apt.log" 2>&1
    apt-get install -y -qq "${need_tools[@]}" >>"$OUT/logs/apt.log" 2>&1
fi
command -v callgrind_annotate >/dev/null || die "callgrind_annotate missing (it comes with valgrind)"
PIN_SERVER=() PIN_CLIENT=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
    PIN_SERVER=(taskset -c 1) PIN_CLIENT=(taskset -c 0)
fi

# ---------------------------------------------------------------------------------------------------------------
# 2. build
log "building bench/ in release mode"
t=$(now)
(cd "$BENCH" && cargo build --release --bins) >"$OUT/logs/build.log" 2>&1 || { tail -40 "$OUT/logs/build.log" >&2; die "build failed"; }
BUILD_SECONDS=$(elapsed "$t")
BIN=$BENCH/target/release
for e in "${ENDPOINTS[@]}"; do "$BIN/bench-client" --body "$e" >"$OUT/bodies/$e.json"; done

PORT=$((20000 + RANDOM % 20000))
next_port() { PORT=$((PORT + 1)); }

# start_server LOG CMD… : starts CMD in the background, waits for its "listening" line, sets SERVER_PID
start_server() {
    local logfile=$1; shift
    "$@" >"$logfile" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    local waited=0
    until grep -q 'listening on' "$logfile" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logfile" >&2; die "server exited: $*"; }
        sleep 0.05
        waited=$((waited + 1))
        ((waited < 1200)) || die "server did not start within 60 s: $*"
    done
}

# server_cmd VARIANT : the command that serves VARIANT into SERVER_CMD, and its environment into SERVER_ENV (given
# to `env` before valgrind: callgrind does not follow an exec)
server_cmd() {
    SERVER_CMD=("$BIN/bench-$1") SERVER_ENV=()
    case $1 in
        bridge-text) SERVER_ENV=(RUST_LOG=info BRIDGE_LOG_FORMAT=text) ;;
        bridge-json) SERVER_ENV=(RUST_LOG=info BRIDGE_LOG_FORMAT=json) ;;
        bridge-warn) SERVER_ENV=(RUST_LOG=warn BRIDGE_LOG_FORMAT=text) ;;
    esac
    [[ ${#SERVER_ENV[@]} == 0 ]] || SERVER_CMD=("$BIN/bench-bridge" --deployed)
}

# stop_server : SIGTERM, then wait for a clean exit (callgrind writes its counts at exit)
stop_server() {
    kill -TERM "$SERVER_PID"
    local rc=0
    wait "$SERVER_PID" || rc=$?
    ((rc == 0)) || die "server exited with status $rc"
}

# ---------------------------------------------------------------------------------------------------------------
# 3. answers: same status, same bytes
log "checking that the ${#VARIANTS[@]} servers give the same answers"
for v in "${VARIANTS[@]}"; do
    next_port
    server_cmd "$v"
    start_server "$OUT/logs/answers-$v.log" env "${SERVER_ENV[@]}" "${SERVER_CMD[@]}" "127.0.0.1:$PORT" --threads 1
    for e in "${ENDPOINTS[@]}"; do
        "$BIN/bench-client" "127.0.0.1:$PORT" "$e" 3 --save "$OUT/answers/$v-$e.json" 2>>"$OUT/logs/answers-$v.log" ||
            die "$v did not answer $e as expected"
    done
    stop_server
done
for e in "${ENDPOINTS[@]}"; do
    for v in "${VARIANTS[@]:1}"; do
        cmp -s "$OUT/answers/${VARIANTS[0]}-$e.json" "$OUT/answers/$v-$e.json" || die "bench-$v answers $e differently from bench-${VARIANTS[0]}"
    done
done
ANSWER_BYTES=()
for e in "${ENDPOINTS[@]}"; do ANSWER_BYTES+=("$(wc -c <"$OUT/answers/${VARIANTS[0]}-$e.json" | tr -d ' ')"); done

# ---------------------------------------------------------------------------------------------------------------
# 4. callgrind: instructions per request
# cg_total VARIANT ENDPOINT N : total instructions of a server that answered N requests
cg_total() {
    local v=$1 e=$2 n=$3 file=$OUT/callgrind/$1-$2-$3.out
    next_port
    server_cmd "$v"
    start_server "$OUT/logs/callgrind-$v-$e-$n.log" env "${SERVER_ENV[@]}" valgrind --tool=callgrind \
        --callgrind-out-file="$file" "${SERVER_CMD[@]}" "127.0.0.1:$PORT" --threads 1
    "$BIN/bench-client" "127.0.0.1:$PORT" "$e" "$n" 2>>"$OUT/logs/callgrind-$v-$e-$n.log" || die "$v: $e × $n failed"
    stop_server
    awk '/^totals:/ { print $2; found = 1 } END { if (!found) exit 1 }' "$file" || die "no totals in $file"
}

# cg_functions FILE : "instructions<TAB>function" for every function of a callgrind profile (self cost)
cg_functions() {
    callgrind_annotate --threshold=100 --inclusive=no --auto=no "$1" 2>/dev/null | awk '
        /^ *[0-9][0-9,]* \(/ && !/PROGRAM TOTALS/ {
            n = $1; gsub(/,/, "", n)
            sub(/^ *[0-9,]+ \([^)]*\) +/, ""); sub(/ \[[^]]*\]$/, "")
            i = index($0, ":"); if (i) $0 = substr($0, i + 1)
            c[$0] += n
        }
        END { for (f in c) printf "%s\t%s\n", c[f], f }'
}

# cg_per_request V E N1 N2 : each function's instructions per request, (I2 − I1) / (N2 − N1), largest first
cg_per_request() {
    local v=$1 e=$2 n1=$3 n2=$4
    awk -F'\t' -v d=$((n2 - n1)) '
        FNR == NR { a[$2] = $1; next }
        { b[$2] = $1 }
        END {
            for (f in b) { x = (b[f] - a[f]) / d; if (x >= 0.5 || x <= -0.5) printf "%.0f\t%s\n", x, f }
            for (f in a) if (!(f in b) && a[f] / d >= 0.5) printf "%.0f\t%s\n", -a[f] / d, f
        }' <(cg_functions "$OUT/callgrind/$v-$e-$n1.out") <(cg_functions "$OUT/callgrind/$v-$e-$n2.out") |
        sort -t$'\t' -k1,1gr >"$OUT/callgrind/$v-$e.per-request.tsv"
}

# cg_delta E BASE [V] : "V − BASE<TAB>V<TAB>BASE<TAB>function", by how much more V (default bridge) spends, into
# delta-E.tsv (BASE warp), delta-BASE-E.tsv, or delta-V-BASE-E.tsv
cg_delta() {
    local v=${3:-bridge} target=$OUT/callgrind/delta-$1.tsv
    [[ $2 == warp ]] || target=$OUT/callgrind/delta-$2-$1.tsv
    [[ $v == bridge ]] || target=$OUT/callgrind/delta-$v-$2-$1.tsv
    [[ -f $OUT/callgrind/$2-$1.per-request.tsv && -f $OUT/callgrind/$v-$1.per-request.tsv ]] || return 0
    awk -F'\t' '
        FNR == NR { w[$2] = $1; next }
        { b[$2] = $1 }
        END {
            for (f in b) d[f] = b[f] - w[f]
            for (f in w) if (!(f in b)) d[f] = -w[f]
            for (f in d) printf "%d\t%d\t%d\t%s\n", d[f], b[f], w[f], f
        }' "$OUT/callgrind/$2-$1.per-request.tsv" "$OUT/callgrind/$v-$1.per-request.tsv" |
        sort -t$'\t' -k1,1gr >"$target"
}

declare -A IPR # instructions per request, by "variant endpoint"
if ! skipped callgrind; then
    for e in "${ENDPOINTS[@]}"; do
        declare -n counts="N_$e"
        n1=${counts[0]} n2=${counts[1]}
        for v in "${VARIANTS[@]}"; do
            t=$(now)
            i1=$(cg_total "$v" "$e" "$n1")
            i2=$(cg_total "$v" "$e" "$n2")
            IPR[$v $e]=$(awk -v a="$i1" -v b="$i2" -v n="$n1" -v m="$n2" 'BEGIN { printf "%.0f", (b - a) / (m - n) }')
            log "callgrind $e $v: ${IPR[$v $e]} instructions/request ($n1 → $n2 requests: $i1 → $i2, $(elapsed "$t") s)"
            cg_per_request "$v" "$e" "$n1" "$n2"
        done
        cg_delta "$e" warp
        cg_delta "$e" warp-strings
        cg_delta "$e" axum
        cg_delta "$e" axum-strings
        # the log line: the deployed bridge with a line per request against the same bridge at `warn`
        cg_delta "$e" bridge-warn bridge-text
        cg_delta "$e" bridge-warn bridge-json
        cg_delta "$e" hyper-strings bridge-warn
        unset -n counts
    done
fi
# what a partial run (BENCH_VARIANTS) did not measure counts 0 in the report
for v in "${BASE_VARIANTS[@]}" "${LOG_VARIANTS[@]}"; do
    for e in "${ENDPOINTS[@]}"; do [[ -n ${IPR[$v $e]:-} ]] || IPR[$v $e]=0; done
done

# ---------------------------------------------------------------------------------------------------------------
# 5. wrk: requests per second, variants alternated, medians
declare -A RPS_ALL # "variant endpoint" → space-separated req/s of every round
path_of() { case $1 in interactions) echo /interaction_update ;; contacts) echo /contact_sync ;; action) echo /actions/create_ticket ;; esac; }
if ! skipped wrk; then
    for ((round = 1; round <= ROUNDS; round++)); do
        # rotate the order every round, so that no variant always runs first (or right after the same one)
        order=()
        for ((k = 0; k < ${#WRK_VARIANTS[@]}; k++)); do order+=("${WRK_VARIANTS[$(((k + round - 1) % ${#WRK_VARIANTS[@]}))]}"); done
        for v in "${order[@]}"; do
            next_port
            start_server "$OUT/logs/wrk-$v-$round.log" "${PIN_SERVER[@]}" "$BIN/bench-$v" "127.0.0.1:$PORT" --threads 1
            for e in "${ENDPOINTS[@]}"; do
                url=http://127.0.0.1:$PORT$(path_of "$e")
                result=$OUT/wrk/$e-$v-$round.txt
                BENCH_BODY=$OUT/bodies/$e.json "${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
                    -s "$BENCH/wrk/post.lua" "$url" >/dev/null
                BENCH_BODY=$OUT/bodies/$e.json "${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" \
                    --latency -s "$BENCH/wrk/post.lua" "$url" >"$result"
                ! grep -q 'Non-2xx' "$result" || die "$v answered $e with errors under load: $result"
                rps=$(awk '/^Requests\/sec:/ { print $2 }' "$result")
                [[ -n $rps ]] || die "no Requests/sec in $result"
                RPS_ALL[$v $e]="${RPS_ALL[$v $e]:-} $rps"
                log "wrk round $round/$ROUNDS $e $v: $rps req/s"
            done
            stop_server
        done
    done
fi
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------------------------------------------------------
# 6. criterion
CRITERION_TABLE=""
if ! skipped criterion; then
    log "criterion micro-benchmarks (bench/benches/codec.rs)"
    t=$(now)
    extra=()
    [[ $QUICK == 1 ]] && extra=(--warm-up-time 0.2 --measurement-time 0.3)
    (cd "$BENCH" && cargo bench --bench codec -- "${extra[@]}") >"$OUT/criterion.txt" 2>"$OUT/logs/criterion.log" ||
        { tail -40 "$OUT/logs/criterion.log" >&2; die "criterion failed"; }
    # "name time: [lo est hi]" (name possibly on the line before): name → estimate in ns
    awk '
        function ns(v, u) { return u == "ps" ? v / 1000 : u == "ns" ? v : (u == "µs" || u == "us") ? v * 1000 : u == "ms" ? v * 1e6 : v * 1e9 }
        /time:/ {
            line = $0; name = last
            if (line !~ /^[ \t]/) { name = line; sub(/[ \t]+time:.*/, "", name) }
            sub(/.*time:[ \t]*\[/, "", line); split(line, f, /[ \t]+/)
            printf "%s\t%.1f\n", name, ns(f[3], f[4]); next
        }
        /^[^ \t]/ && !/^(Benchmarking|Found|Gnuplot|Warning|WARNING|Running|  )/ { last = $0 }
    ' "$OUT/criterion.txt" >"$OUT/criterion.tsv"
    log "criterion done in $(elapsed "$t") s"
fi

# ---------------------------------------------------------------------------------------------------------------
# 7. compile times
# touch_handler FILE : edits the body of the first function after a `#[bridge::…]` attribute (or the line marked
# `bench:touch`), as a developer changing one handler would
touch_handler() {
    local file=$1 n=$2
    if grep -q 'bench:touch' "$file"; then
        sed -i "s|^\([[:space:]]*\)// bench:touch.*|\1let _touched = std::hint::black_box($n);|" "$file"
    else
        awk -v n="$n" '
            !done && /#\[bridge::/ { armed = 1 }
            { print }
            !done && armed && /\{[[:space:]]*$/ { print "    let _touched = std::hint::black_box(" n ");"; done = 1 }
        ' "$file" >"$file.touched" && mv "$file.touched" "$file"
    fi
}
declare -a COMPILE_ROWS=()
if ! skipped compile; then
    WS=$(mktemp -d)/bridge
    mkdir -p "$WS"
    log "compile times in a copy of the workspace ($WS)"
    (cd "$ROOT" && tar --exclude=./target --exclude=./bench/target --exclude=./bench/results --exclude=./.git -cf - .) |
        (cd "$WS" && tar -xf -)
    export CARGO_TARGET_DIR=$WS/target
    t=$(now)
    (cd "$WS" && cargo build --workspace --examples) >"$OUT/logs/compile-clean.log" 2>&1 || die "clean build failed"
    COMPILE_ROWS+=("clean \`cargo build --workspace --examples\` (dev profile, every dependency)|$(elapsed "$t") s")
    examples=(minimal)
    for f in "$WS"/examples/zendesk*; do
        [[ -e $f ]] || continue
        name=$(basename "$f" .rs)
        examples+=("$name")
    done
    k=0
    for ex in "${examples[@]}"; do
        if [[ -f $WS/examples/$ex.rs ]]; then file=$WS/examples/$ex.rs; else
            file=$(grep -rl '#\[bridge::' "$WS/examples/$ex" | head -1)
        fi
        [[ -n ${file:-} ]] || { log "no #[bridge::…] handler found in examples/$ex: skipped"; continue; }
        k=$((k + 1))
        touch_handler "$file" "$k"
        t=$(now)
        (cd "$WS" && cargo build --example "$ex") >"$OUT/logs/compile-$ex.log" 2>&1 || die "rebuild of $ex failed"
        COMPILE_ROWS+=("example \`$ex\`: rebuild after editing one handler (\`${file#"$WS"/}\`)|$(elapsed "$t") s")
    done
    # The macro against hand-written code: the bench binaries, dev profile, after editing their interaction handler.
    t=$(now)
    (cd "$WS/bench" && cargo build --bins) >"$OUT/logs/compile-bench.log" 2>&1 || die "dev build of bench/ failed"
    for v in bridge warp hyper axum; do
        k=$((k + 1))
        touch_handler "$WS/bench/src/bin/bench-$v.rs" "$k"
        t=$(now)
        (cd "$WS/bench" && cargo build --bin "bench-$v") >>"$OUT/logs/compile-bench.log" 2>&1 || die "rebuild of bench-$v failed"
        COMPILE_ROWS+=("\`bench-$v\` (3 endpoints): rebuild after editing \`bench/src/bin/bench-$v.rs\`|$(elapsed "$t") s")
    done
    unset CARGO_TARGET_DIR
    rm -rf "$(dirname "$WS")"
fi

# ---------------------------------------------------------------------------------------------------------------
# report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "–" }'; }
fmt_int() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }
label() { case $1 in interactions) echo "interactions (20 per answer, 200)" ;; contacts) echo "contact sync (10 000 contacts, 200)" ;; action) echo "action (201)" ;; esac; }
{
    echo "Run of \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC')$([[ $QUICK == 1 ]] && echo ' — QUICK smoke run, figures not meaningful')."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| CPU | $(lscpu | awk -F: '/^Model name/ { gsub(/^ +/, "", $2); print $2; exit }'), $(nproc) cores ($(lscpu | awk -F: '/^Hypervisor vendor/ { gsub(/^ +/, "", $2); print "VM, " $2; exit }')) |"
    echo "| memory | $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) |"
    echo "| OS | $(. /etc/os-release && echo "$PRETTY_NAME"), Linux $(uname -r) |"
    echo "| toolchain | $(rustc --version), release profile (opt-level 3, line tables) |"
    echo "| tools | $(valgrind --version), wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') |"
    echo "| source | $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && [[ -n $(git status --porcelain -- bridge-runtime bridge-macros src 2>/dev/null) ]] && echo ' + uncommitted changes') |"
    echo
    echo "Answers: the ${#VARIANTS[@]} servers (${VARIANTS[*]}) answered each endpoint with the same status and the same bytes" \
        "(${ENDPOINTS[*]}: ${ANSWER_BYTES[*]} bytes)."
    if ! skipped callgrind; then
        echo
        echo "### Instructions per request (callgrind, whole server process)"
        echo
        echo "#### As deployed (issue 33)"
        echo
        echo "The bridge as a user deploys it: \`bench-bridge --deployed\` (default features, a current-thread runtime, the"
        echo "environment's settings and the default logs: what \`Bridge::serve\` does), against the hand-written servers on"
        echo "plain serde types, every server answering the same bytes. The bars: at \`RUST_LOG=warn\` at most 1.05 × hyper,"
        echo "with the default log line (text) at most 1.07 × hyper."
        echo
        echo "| endpoint | hyper, plain types | warp, plain types | axum, plain types | bridge, \`warn\` | bridge, default log line | warp / hyper | axum / hyper | **\`warn\` / hyper** | **log line / hyper** | \`warn\` / axum |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for e in "${ENDPOINTS[@]}"; do
            h=${IPR[hyper-strings $e]:-0} w=${IPR[bridge-warn $e]:-0} t=${IPR[bridge-text $e]:-0} a=${IPR[axum-strings $e]:-0}
            echo "| $(label "$e") | $(fmt_int "$h") | $(fmt_int "${IPR[warp-strings $e]:-0}") | $(fmt_int "$a") | $(fmt_int "$w") | $(fmt_int "$t") | $(ratio "${IPR[warp-strings $e]:-0}" "$h") | $(ratio "$a" "$h") | **$(ratio "$w" "$h")** | **$(ratio "$t" "$h")** | $(ratio "$w" "$a") |"
        done
        echo
        echo "#### Without a subscriber, on bridge's types"
        echo
        echo "| endpoint | N1 → N2 | bridge (macros) | warp by hand | axum by hand | hyper alone | bridge / warp | **bridge / axum** | warp / hyper | axum / hyper | warp, no hardening | warp / no hardening |"
        echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for e in "${ENDPOINTS[@]}"; do
            declare -n counts="N_$e"
            echo "| $(label "$e") | ${counts[0]} → ${counts[1]} | $(fmt_int "${IPR[bridge $e]}") | $(fmt_int "${IPR[warp $e]}") | $(fmt_int "${IPR[axum $e]}") | $(fmt_int "${IPR[hyper $e]}") | **$(ratio "${IPR[bridge $e]}" "${IPR[warp $e]}")** | **$(ratio "${IPR[bridge $e]}" "${IPR[axum $e]}")** | $(ratio "${IPR[warp $e]}" "${IPR[hyper $e]}") | $(ratio "${IPR[axum $e]}" "${IPR[hyper $e]}") | $(fmt_int "${IPR[warp-plain $e]}") | $(ratio "${IPR[warp $e]}" "${IPR[warp-plain $e]}") |"
            unset -n counts
        done
        echo
        echo "#### Against hand-written servers on plain types (issue 15)"
        echo
        echo "\`bench-warp-strings\`, \`bench-hyper-strings\` and \`bench-axum-strings\` are \`bench-warp\`, \`bench-hyper\` and"
        echo "\`bench-axum\` on plain serde structs (\`String\` dates, \`&'static str\` enums): the same answers, byte for byte,"
        echo "without bridge's protocol types. The bars: bridge ≤ 1.05 × warp on plain types, ≤ 1.07 × hyper on plain types."
        echo
        echo "| endpoint | bridge (macros) | warp, plain types | axum, plain types | hyper, plain types | bridge / warp, plain types | **bridge / axum, plain types** | bridge / hyper, plain types | warp: bridge's types / plain types | axum: bridge's types / plain types | hyper: bridge's types / plain types |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for e in "${ENDPOINTS[@]}"; do
            echo "| $(label "$e") | $(fmt_int "${IPR[bridge $e]}") | $(fmt_int "${IPR[warp-strings $e]}") | $(fmt_int "${IPR[axum-strings $e]}") | $(fmt_int "${IPR[hyper-strings $e]}") | **$(ratio "${IPR[bridge $e]}" "${IPR[warp-strings $e]}")** | **$(ratio "${IPR[bridge $e]}" "${IPR[axum-strings $e]}")** | **$(ratio "${IPR[bridge $e]}" "${IPR[hyper-strings $e]}")** | $(ratio "${IPR[warp $e]}" "${IPR[warp-strings $e]}") | $(ratio "${IPR[axum $e]}" "${IPR[axum-strings $e]}") | $(ratio "${IPR[hyper $e]}" "${IPR[hyper-strings $e]}") |"
        done
        echo
        echo "#### The default log line (issue 27)"
        echo
        echo "\`bench-bridge --deployed\`: served as a deployed bridge is, with the default logs on stderr (a file here), a"
        echo "line per request as text (\`RUST_LOG=info\`), as JSON (\`BRIDGE_LOG_FORMAT=json\`), or none (\`RUST_LOG=warn\`)."
        echo "The log line's cost is the difference with \`warn\`. The bars: the line at most 4 000 instructions in text and"
        echo "in JSON, and at \`warn\` at most 1.05 × hyper alone on plain types."
        echo
        echo "| endpoint | no subscriber | deployed, text | deployed, JSON | deployed, \`warn\` | hyper, plain types | **text line** | **JSON line** | **\`warn\` / hyper, plain types** |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for e in "${ENDPOINTS[@]}"; do
            t=${IPR[bridge-text $e]:-0} j=${IPR[bridge-json $e]:-0} w=${IPR[bridge-warn $e]:-0}
            echo "| $(label "$e") | $(fmt_int "${IPR[bridge $e]:-0}") | $(fmt_int "$t") | $(fmt_int "$j") | $(fmt_int "$w") | $(fmt_int "${IPR[hyper-strings $e]:-0}") | **$(fmt_int $((t - w)))** | **$(fmt_int $((j - w)))** | **$(ratio "$w" "${IPR[hyper-strings $e]:-0}")** |"
        done
    fi
    if ! skipped callgrind; then
        echo
        echo "### Where bridge's instructions differ from the hand-written warp filters and axum routers (per request)"
        echo
        echo "Self cost of each function per request, (I2 − I1) / (N2 − N1), bridge minus \`bench-warp\` and \`bench-axum\`"
        echo "(bridge's types) and minus \`bench-warp-strings\` and \`bench-axum-strings\` (plain types); the functions with"
        echo "the largest differences either way."
        echo "Inlining differs between the binaries, so read groups of functions (allocation, formatting, timers,"
        echo "routing) rather than single rows. Full lists: \`callgrind/delta-*.tsv\`."
        for base in warp warp-strings axum axum-strings; do
            for e in "${ENDPOINTS[@]}"; do
                file=$OUT/callgrind/delta-$e.tsv
                [[ $base == warp ]] || file=$OUT/callgrind/delta-$base-$e.tsv
                [[ -f $file ]] || continue
                echo
                echo "<details><summary>$(label "$e"): bridge $(fmt_int "${IPR[bridge $e]}"), $base $(fmt_int "${IPR[$base $e]}")</summary>"
                echo
                echo "| bridge − $base | bridge | $base | function |"
                echo "|---:|---:|---:|---|"
                { head -12 "$file"; tail -6 "$file" | sort -t$'\t' -k1,1g; } |
                    awk -F'\t' '!seen[$4]++ && ($1 >= 20 || $1 <= -20) {
                        f = $4; gsub(/\|/, "\\|", f); if (length(f) > 110) f = substr(f, 1, 107) "..."
                        printf "| %+d | %d | %d | `%s` |\n", $1, $2, $3, f }'
                echo
                echo "</details>"
            done
        done
    fi
    if ! skipped wrk; then
        echo
        echo "### Requests per second (wrk, medians of $ROUNDS rounds)"
        echo
        echo "Server pinned to one core with a current-thread runtime, wrk on the other: \`wrk -t1 -c$CONNECTIONS -d${DURATION}s\`" \
            "after a ${WARMUP} s warm-up; variants alternated in a rotating order every round."
        echo
        echo "| endpoint | bridge (macros) | warp by hand | hyper alone | axum by hand | warp, no hardening | warp, plain types | hyper, plain types | axum, plain types | bridge / warp | bridge / axum | bridge / warp, plain types | all rounds (${WRK_VARIANTS[*]}) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        for e in "${ENDPOINTS[@]}"; do
            mb=$(echo "${RPS_ALL[bridge $e]}" | median)
            mw=$(echo "${RPS_ALL[warp $e]}" | median)
            mh=$(echo "${RPS_ALL[hyper $e]}" | median)
            mp=$(echo "${RPS_ALL[warp-plain $e]}" | median)
            ms=$(echo "${RPS_ALL[warp-strings $e]}" | median)
            mhs=$(echo "${RPS_ALL[hyper-strings $e]}" | median)
            ma=$(echo "${RPS_ALL[axum $e]:-}" | median || true)
            mas=$(echo "${RPS_ALL[axum-strings $e]:-}" | median || true)
            rounds=$(for v in "${WRK_VARIANTS[@]}"; do echo "${RPS_ALL[$v $e]}" | awk '{ $1 = $1; printf "%s; ", $0 }'; done | sed 's/; $//')
            echo "| $(label "$e") | $(fmt_int "$mb") | $(fmt_int "$mw") | $(fmt_int "$mh") | $(fmt_int "${ma:-0}") | $(fmt_int "$mp") | $(fmt_int "$ms") | $(fmt_int "$mhs") | $(fmt_int "${mas:-0}") | **$(ratio "$mb" "$mw")** | **$(ratio "$mb" "${ma:-0}")** | **$(ratio "$mb" "$ms")** | $rounds |"
        done
    fi
    if ! skipped criterion; then
        echo
        echo "### Decoding and encoding (criterion, time per operation)"
        echo
        echo "| benchmark | bridge | plain serde_json | bridge / serde_json |"
        echo "|---|---:|---:|---:|"
        awk -F'\t' '
            function show(ns) { return ns >= 1e6 ? sprintf("%.2f ms", ns / 1e6) : ns >= 1000 ? sprintf("%.2f µs", ns / 1000) : sprintf("%.0f ns", ns) }
            { split($1, p, "/"); group = p[1] "/" p[2]; fn = p[3]; t[group, fn] = $2; if (!(group in seen)) { seen[group] = 1; order[++n] = group } fns[group] = fns[group] "\n" fn }
            END {
                for (i = 1; i <= n; i++) {
                    g = order[i]; split(substr(fns[g], 2), list, "\n"); b = ""; 
                    for (j in list) if (list[j] ~ /^bridge/) b = list[j]
                    for (j = 1; j in list; j++) {
                        if (list[j] == b) continue
                        printf "| `%s`: %s vs %s | %s | %s | %.2f |\n", g, b, list[j], show(t[g, b]), show(t[g, list[j]]), t[g, b] / t[g, list[j]]
                    }
                }
            }' "$OUT/criterion.tsv"
    fi
    if ((${#COMPILE_ROWS[@]})); then
        echo
        echo "### Compile times (wall clock, $(nproc) cores)"
        echo
        echo "| build | time |"
        echo "|---|---:|"
        for row in "${COMPILE_ROWS[@]}"; do echo "| ${row%%|*} | ${row##*|} |"; done
    fi
    echo
    echo "Release build of bench/ in this run: ${BUILD_SECONDS} s (incremental when bench/target was warm). Whole run: $(elapsed "$SCRIPT_START") s."
} >"$REPORT"

log "report: $REPORT"
cat "$REPORT"

if [[ $UPDATE_DOC == 1 ]]; then
    doc=$ROOT/BENCHMARKS.md
    grep -q '<!-- bench:results:begin -->' "$doc" || die "BENCHMARKS.md has no <!-- bench:results:begin --> marker"
    awk -v report="$REPORT" '
        /<!-- bench:results:begin -->/ { print; while ((getline line < report) > 0) print line; skip = 1; next }
        /<!-- bench:results:end -->/ { skip = 0 }
        !skip { print }
    ' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
    log "BENCHMARKS.md updated"
fi
