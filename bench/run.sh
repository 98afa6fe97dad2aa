#!/usr/bin/env bash
# run.sh - weft against the peer threading benchmarks; prints markdown tables.
#
#   bench/run.sh                        RUNS=5 rounds (what `make bench` runs)
#   RUNS=1 ONCE=0 QUICK=1 bench/run.sh  quick look: one round, no million-thread jobs
#
# Environment:
#   RUNS=5         rounds; every round runs every job once, interleaved (all
#                  jobs, then all jobs again, ...) so that slow drift on a noisy
#                  machine hits every implementation alike
#   ONCE=0         1: after the rounds, also run GNU Pth's `many 10000` once
#                  (~35 s: its scheduler is O(K^2)); skipped by default
#   QUICK=0        1: leave out the million-thread jobs
#   JOB_TIMEOUT=120  seconds per job (a timed-out job is noted as FAILED)
#   BUILD_DIR=build  weft's CMake build directory (bench binary: bench/weft)
#   PEERS_DIR=../shared/peers  the peer sources (read-only is fine: they are
#                  built into $BUILD_DIR/peers); missing peers are skipped
#   OUT=bench/results/latest.txt  where all raw lines go
#
# Every job prints "bench=... impl=... n=... ns_per_op=..." lines (contract in
# ../shared/peers/README.md). The tables are computed from $OUT only: the
# medians (table.awk, copied from the peers) and the target ratios
# (targets.awk). Re-print them from a saved file with
#   awk -v impls="weft weft-tls weft-pthread weft-nopreempt asm boost pth nptl go-p1 go-p2" -f bench/table.awk FILE
#   awk -f bench/targets.awk FILE
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

RUNS=${RUNS:-5}
ONCE=${ONCE:-0}
QUICK=${QUICK:-0}
JOB_TIMEOUT=${JOB_TIMEOUT:-120}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
OUT=${OUT:-$ROOT/bench/results/latest.txt}
IMPLS="weft weft-tls weft-pthread weft-nopreempt asm boost pth nptl go-p1 go-p2"

# ---- build ----
[ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD_DIR" >&2
cmake --build "$BUILD_DIR" --target weft_bench weft_pthread -j "$(nproc)" >&2
W="$BUILD_DIR/bench/weft"
P="$BUILD_DIR/peers"
if [ -d "$PEERS_DIR" ]; then
    # -k: build every peer that can be built (e.g. no Go -> no go-p* columns)
    make -s -k -C "$PEERS_DIR" all B="$P" ||
        echo "run.sh: some peers did not build; their jobs are skipped" >&2
else
    echo "run.sh: no peers at $PEERS_DIR; running weft only" >&2
fi
# The NPTL benchmark binary, unmodified, on libweft-pthread (issue 4).
D="$ROOT/bench/dropin.sh $BUILD_DIR/libweft-pthread.so $P/nptl"
# weft with TLS of its own for every thread (issue 8).
T="env WEFT_TLS=own $W"
# Preemption (issue 7): the same binary with preemption off, and Go's side
# of preempt_latency (bench/go-preempt, built below when Go is there).
NP="env WEFT_PREEMPT=0 $W"
GP="env GOMAXPROCS=1 $BUILD_DIR/bench/go-preempt"
if command -v go >/dev/null; then
    (cd bench/go-preempt && GOPATH="$BUILD_DIR/go" GOCACHE="$BUILD_DIR/go/cache" \
        GOFLAGS=-mod=mod GOPROXY=off go build -o "$BUILD_DIR/bench/go-preempt" .) >&2 ||
        echo "run.sh: bench/go-preempt did not build; its job is skipped" >&2
fi
G1="env GOMAXPROCS=1 $P/gobench"
G2="env GOMAXPROCS=2 $P/gobench"

# ---- jobs: weft next to the peers, bench by bench ----
# Row order in the table follows the first appearance of each bench here.
JOBS=(
    "$W switch" "$T switch" "$P/asm_switch switch" "$P/boost switch" "$P/pth switch" "$P/nptl switch" "$G1 switch"
    "$P/nptl switch_yield"
    "$W create_join" "$T create_join" "$D create_join" "$P/pth create_join" "$P/nptl create_join" "$G1 create_join" "$G2 create_join"
    "$W create_join_batch" "$D create_join_batch" "$P/pth create_join_batch" "$P/nptl create_join_batch"
    "$G1 create_join_batch" "$G2 create_join_batch"
    "$W pingpong" "$T pingpong" "$D pingpong" "$P/pth pingpong" "$P/nptl pingpong" "$G1 pingpong" "$G2 pingpong"
    "$P/nptl pingpong_cpu0"
    "$W mutex 4" "$T mutex 4" "$D mutex 4" "$P/pth mutex 4" "$P/nptl mutex 4" "$G1 mutex 4" "$G2 mutex 4"
    "$W mutex 64" "$T mutex 64" "$D mutex 64" "$P/pth mutex 64" "$P/nptl mutex 64" "$G1 mutex 64" "$G2 mutex 64"
    "$W many 2000" "$P/pth many 2000" "$P/nptl many 2000" "$G1 many 2000" "$G2 many 2000"
    "$W many 10000" "$D many 10000" "$P/nptl many 10000" "$G1 many 10000" "$G2 many 10000"
    "$W many 100000" "$T many 100000" "$W many_small 100000" "$D many 100000" "$P/nptl many 100000" "$G1 many 100000" "$G2 many 100000"
    "$W spawn_tree 15" "$P/pth spawn_tree 15" "$P/nptl spawn_tree 15" "$G1 spawn_tree 15" "$G2 spawn_tree 15"
    "$W spawn_tree 20" "$D spawn_tree 20" "$P/pth spawn_tree 20" "$P/nptl spawn_tree 20" "$G1 spawn_tree 20" "$G2 spawn_tree 20"
    "$W spawn_tree 25" "$G1 spawn_tree 25" "$G2 spawn_tree 25"
    "$W spawn_tree 27" "$G1 spawn_tree 27" "$G2 spawn_tree 27"
    "$W many 1000000" "$W many_small 1000000" "$G2 many 1000000"
    "$W preempt_cpu" "$NP preempt_cpu"
    "$W preempt_latency" "$NP preempt_latency" "$GP preempt_latency"
)
impl_of() { # the impl= a job prints
    case "$1" in
    "$W "*) echo weft ;;
    "$D "*) echo weft-pthread ;;
    "$T "*) echo weft-tls ;;
    "$NP "*) echo weft-nopreempt ;;
    "$GP "*) echo go-p1 ;;
    *GOMAXPROCS=*) local g=${1#*GOMAXPROCS=}; echo "go-p${g%% *}" ;;
    */asm_switch*) echo asm ;;
    *) local b=${1%% *}; echo "${b##*/}" ;;
    esac
}
# Lines for jobs that are not run, so that the table says why.
NOT_RUN=("bench=many_100k impl=pth n=0 error=not_run:_O(K^2)_scheduler")
if [ "$QUICK" = 1 ]; then
    kept=()
    for job in "${JOBS[@]}"; do
        case "$job" in
        *" 1000000")
            read -r -a w <<<"$job"
            NOT_RUN+=("bench=${w[-2]}_1000k impl=$(impl_of "$job") n=0 error=not_run_(QUICK=1)")
            ;;
        *) kept+=("$job") ;;
        esac
    done
    JOBS=("${kept[@]}")
fi
# GNU Pth parks K threads in O(K^2): 10k takes ~35 s, so only with ONCE=1.
ONCE_JOBS=()
if [ "$ONCE" = 1 ]; then
    ONCE_JOBS=("$P/pth many 10000")
else
    NOT_RUN+=("bench=many_10k impl=pth n=0 error=not_run_(ONCE=0)")
fi

run_job() { # run one job, append its lines to $tmp, note failures
    local rc=0 word
    # shellcheck disable=SC2086 # a job is a plain command line: split on purpose
    for word in $1; do
        if [[ $word == */* && ! -x $word ]]; then
            echo "# SKIPPED (not built): $1" >>"$tmp"
            return 0
        fi
    done
    printf '[%4ds] %s\n' "$((SECONDS - start))" "${1//$ROOT\//}" >&2
    # shellcheck disable=SC2086
    timeout "$JOB_TIMEOUT" $1 >>"$tmp" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "# FAILED rc=$rc: $1" | tee -a "$tmp" >&2
    fi
}

mkdir -p "$(dirname "$OUT")"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
rev=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "no commit")
{
    echo "# weft + peer threading benchmarks $(date -u +%Y-%m-%dT%H:%M:%SZ) runs=$RUNS quick=$QUICK once=$ONCE"
    echo "# weft $rev; $(uname -srm); $(nproc) cpus;$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2);" \
        "$(go version 2>/dev/null || echo 'no go')"
} >"$tmp"
start=$SECONDS
for ((r = 1; r <= RUNS; r++)); do
    echo "== round $r/$RUNS" >&2
    for job in "${JOBS[@]}"; do run_job "$job"; done
done
for job in ${ONCE_JOBS[@]+"${ONCE_JOBS[@]}"}; do run_job "$job"; done
printf '%s\n' "${NOT_RUN[@]}" >>"$tmp"
echo "# total $((SECONDS - start))s" >>"$tmp"
cat "$tmp" >"$OUT"

awk -v impls="$IMPLS" -f bench/table.awk "$OUT"
echo
awk -f bench/targets.awk "$OUT"
echo
echo "Raw lines: $OUT (total $((SECONDS - start))s)"
