#!/usr/bin/env bash
# httpd.sh - the I/O benchmarks (`make bench-io`); prints markdown tables.
#
#   bench/httpd.sh                  10 s per point (~2 min)
#   QUICK=1 bench/httpd.sh          2 s per point, fewer file reads (~30 s)
#
# 1. httpd: examples/httpd.c (thread per connection) on weft and on glibc,
#    nginx and Go's net/http, each driven by wrk on loopback with the same
#    settings: `wrk -t2 -c<conns> -d<DURATION>s --timeout 2s --latency`.
#    One fresh server per point, on a free port, checked to answer GET /
#    before wrk starts, stopped (SIGTERM, then SIGKILL) after it.
# 2. fileread: bench/fileread.c, 4 KiB random preads by 1000 threads from a
#    256 MiB file under $BUILD_DIR/bench, from the page cache and O_DIRECT.
#
# The impls (IMPLS, in this order; add one by adding a case to server_cmd):
#   weft-uring, weft-epoll   build/examples/httpd, the glibc build itself,
#                run with LD_PRELOAD=libweft-pthread.so and WEFT_IO=uring or
#                WEFT_IO=epoll (the I/O port's backends). Until the port
#                interposes libc's I/O, each read blocks a vCPU and both run
#                the same way: their lines then say io_port=no.
#   nptl         build/examples/httpd on glibc's threads
#   nginx        Debian's nginx, worker_processes 2, `return 200 "hello\n"`,
#                its own config, pid and logs under $BUILD_DIR/bench/nginx
#   go           bench/httpd-go (net/http), built into $BUILD_DIR/bench
# fileread runs weft-uring, weft-epoll and nptl the same way.
#
# Environment: QUICK=0, DURATION (seconds per point; 10, QUICK: 2),
#   CONNS="100 1000", IMPLS="weft-uring weft-epoll nptl nginx go",
#   BUILD_DIR=build, OUT=bench/results/latest.txt, FILEREAD=1 (0: skip it).
#
# Result lines (appended to $OUT in place of the previous httpd/fileread
# lines; the rest of the file, e.g. `make bench`'s lines, stays):
#   bench=httpd impl=<impl> conns=<n> rps=<float> p99_ms=<float> errors=<n>
#       probe_ms=<float>|timeout
#   bench=fileread impl=<impl> threads=1000 ops=<float> mode=cached|direct n=<reads>
# errors = wrk's socket errors (connect, read, write, timeout) + non-2xx
# answers. p99 is over the requests that were answered: wrk counts nothing
# for a request never answered, so probe_ms is how long one new connection,
# opened a quarter into the run, waited for its answer (see probe below).
# A missing tool gives lines with error=<why> and a loud note.
#
# wrk and the server share the machine's CPUs (2 here): no pinning, the same
# for every impl. Needs wrk, nginx and go (`.ci/run` installs them:
# apt-get install wrk nginx-light golang-go).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then DURATION=${DURATION:-2}; else DURATION=${DURATION:-10}; fi
CONNS=${CONNS:-"100 1000"}
IMPLS=${IMPLS:-"weft-uring weft-epoll nptl nginx go"}
FILEREAD=${FILEREAD:-1}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
OUT=${OUT:-$ROOT/bench/results/latest.txt}
WORK=$BUILD_DIR/bench
LIB=$BUILD_DIR/libweft-pthread.so
HTTPD=$BUILD_DIR/examples/httpd
GOBIN=$WORK/httpd-go

log() { echo "httpd.sh: $*" >&2; }
loud() { # a warning nobody should miss, also kept in the results file
    printf '\n!!!!! httpd.sh: %s\n\n' "$*" >&2
    echo "# io: WARNING $*" >>"$tmp"
}

# ---- build ----
[ -f "$BUILD_DIR/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD_DIR" >&2
cmake --build "$BUILD_DIR" --target example_httpd weft_pthread fileread -j "${BUILD_JOBS:-1}" >&2
mkdir -p "$WORK" "$(dirname "$OUT")"
tmp=$(mktemp)
pid=
probe_pid=
cleanup() {
    [ -z "$probe_pid" ] || kill "$probe_pid" 2>/dev/null || true
    [ -z "$pid" ] || stop_server
    rm -f "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have wrk || missing+=(wrk)
have nginx || [ -x /usr/sbin/nginx ] || missing+=(nginx)
have go || missing+=(go)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if have go; then
    # Standard library only, no network, caches under the build directory.
    (cd bench/httpd-go && GOPATH=$WORK/go GOCACHE=$WORK/go/cache GOFLAGS=-mod=mod \
        GOPROXY=off go build -o "$GOBIN" .) >&2 || missing+=(go-build)
fi
io_port=no # does the drop-in interpose libc's read (src/posix/io.c)?
# (grep without -q reads all of nm's output: with pipefail, an early exit
# would fail the pipe.)
nm -D --defined-only "$LIB" 2>/dev/null | grep -E ' T (read|__read_chk)$' >/dev/null && io_port=yes

# 20,000 descriptors here: 1000 connections on each side plus the server's.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rev=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "no commit")
{
    echo "# io: weft I/O benchmarks (bench/httpd.sh) $(date -u +%Y-%m-%dT%H:%M:%SZ) quick=$QUICK duration=${DURATION}s"
    echo "# io: weft $rev; io_port=$io_port; $(uname -srm); $(nproc) cpus;$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2);" \
        "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2);" \
        "$("$NGINX" -v 2>&1 || echo 'no nginx');" "$(go version 2>/dev/null || echo 'no go')"
} >"$tmp"
[ ${#missing[@]} = 0 ] || loud "missing: ${missing[*]} (apt-get install wrk nginx-light golang-go); their points are not run"
[[ $io_port = yes || " $IMPLS " != *" weft-"* ]] || loud "libweft-pthread has no I/O port yet: weft-uring and weft-epoll both run blocking libc I/O, one vCPU per blocked read"

# ---- servers ----
port_in_use() { # is anything bound to TCP port $1 (IPv4 or IPv6)?
    awk -v p="$(printf '%04X' "$1")" 'FNR > 1 { split($2, a, ":"); if (a[2] == p) f = 1 }
        END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# Does 127.0.0.1:$1 answer GET / with 200 and "hello" (within $2 s, default 2)?
answers() {
    local fd resp
    { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    printf 'GET / HTTP/1.0\r\nHost: bench\r\n\r\n' >&"$fd"
    resp=$(timeout "${2:-2}" cat <&"$fd" | tr -d '\r') || true
    exec {fd}>&-
    [[ $resp == "HTTP/1."[01]" 200 "* && $resp == *$'\n\n'hello ]]
}

# probe PORT SECONDS: how long a new connection waits for GET / while wrk
# runs, in ms, or "timeout" (no answer within SECONDS). wrk counts no error
# for a request that is never answered, and its p99 covers only answered
# ones: this says whether a server still takes newcomers under load.
probe() {
    local t0 t1
    t0=$(date +%s%N)
    if answers "$1" "$2"; then
        t1=$(date +%s%N)
        awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f\n", ns / 1e6 }'
    else
        echo timeout
    fi
}

nginx_conf() { # nginx_conf DIR PORT: a config of its own, nothing from /etc/nginx
    cat <<EOF
daemon off;
worker_processes 2;
worker_rlimit_nofile 20000;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
    # like the other servers: no limit on requests per connection
    keepalive_requests 1000000000;
    server {
        listen 127.0.0.1:$2;
        default_type text/plain;
        location = / { return 200 "hello\n"; }
        location / { return 404; }
    }
}
EOF
}

# server_cmd IMPL: the command line that serves on a free port and prints
# "listening on 127.0.0.1:<port>" (nginx: the port is chosen here).
server_cmd() {
    case "$1" in
    weft-*) echo "env WEFT_IO=${1#weft-} LD_PRELOAD=$LIB $HTTPD 0" ;;
    nptl) echo "$HTTPD 0" ;;
    go) echo "$GOBIN 0" ;;
    nginx)
        local dir=$WORK/nginx
        mkdir -p "$dir"
        nginx_conf "$dir" "$(free_port)" >"$dir/nginx.conf"
        echo "$NGINX -p $dir -e $dir/error.log -c $dir/nginx.conf"
        ;;
    *) return 1 ;;
    esac
}

needs() { # the tools an impl needs, as named in $missing
    case "$1" in nginx) echo nginx ;; go) echo "go go-build" ;; esac
}

# start_server IMPL: sets pid and port once the server answers GET /.
start_server() {
    local cmd out=$WORK/server.out
    cmd=$(server_cmd "$1")
    rm -f "$out" # not the previous server's port: the new one truncates it only once started
    # shellcheck disable=SC2086 # a plain command line: split on purpose
    $cmd >"$out" 2>&1 &
    pid=$!
    port=
    for _ in $(seq 100); do # 10 s
        if [ "$1" = nginx ]; then
            port=$(sed -n 's/.*listen 127.0.0.1:\([0-9]*\);/\1/p' "$WORK/nginx/nginx.conf")
        else
            port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" 2>/dev/null)
        fi
        if [ -n "$port" ] && answers "$port"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    log "$1 did not come up: $(tail -5 "$out" "$WORK/nginx/error.log" 2>/dev/null)"
    stop_server
    return 1
}

stop_server() { # SIGTERM; after 5 s SIGKILL, to nginx's workers too
    local kids
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        # shellcheck disable=SC2086 # a list of pids
        kill -KILL "$pid" $kids 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    pid=
}

# wrk's report -> "rps=<f> p99_ms=<f> errors=<n>"
parse_wrk() {
    awk '
    function ms(s) { # "456.78us", "1.23ms", "1.02s", "1.50m"
        if (s ~ /us$/) return s / 1000
        if (s ~ /ms$/) return s + 0
        if (s ~ /m$/)  return s * 60000
        if (s ~ /s$/)  return s * 1000
        return -1
    }
    /^Requests\/sec:/   { rps = $2 }
    /^ +99%/            { p99 = ms($2) }
    /Socket errors:/    { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx/    { errors += $NF }
    END {
        if (rps == "" || p99 == "") exit 1
        printf "rps=%.2f p99_ms=%.3f errors=%d\n", rps, p99, errors
    }'
}

skip_reason() { # why IMPL cannot run, or nothing
    local m need
    have wrk || { echo "no_wrk"; return; }
    for need in $(needs "$1"); do
        for m in ${missing[@]+"${missing[@]}"}; do
            [ "$m" = "$need" ] && { echo "no_$need"; return; }
        done
    done
}

start=$SECONDS
for c in $CONNS; do
    for impl in $IMPLS; do
        line="bench=httpd impl=$impl conns=$c"
        extra=
        [[ $impl == weft-* ]] && extra=" io_port=$io_port"
        why=$(skip_reason "$impl")
        if [ -n "$why" ]; then
            echo "$line error=$why" >>"$tmp"
            continue
        fi
        printf '[%4ds] httpd %s, %s connections\n' "$((SECONDS - start))" "$impl" "$c" >&2
        started=no # three tries: nginx's port is chosen free, but could be taken meanwhile
        for _ in 1 2 3; do start_server "$impl" && { started=yes; break; }; done
        if [ $started = no ]; then
            echo "$line error=server_did_not_start" >>"$tmp"
            continue
        fi
        # the probe: from a quarter of the run, for at most min(2 s, half the run)
        (sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 4 }')"
            probe "$port" "$(awk -v d="$DURATION" 'BEGIN { print (d / 2 < 2) ? d / 2 : 2 }')" >"$WORK/probe") &
        probe_pid=$!
        report=$(wrk -t2 -c"$c" -d"${DURATION}s" --timeout 2s --latency "http://127.0.0.1:$port/" 2>&1) || true
        wait "$probe_pid" || true
        stop_server
        if fields=$(printf '%s\n' "$report" | parse_wrk); then
            echo "$line $fields probe_ms=$(cat "$WORK/probe")$extra" | tee -a "$tmp" >&2
        else
            log "no figures from wrk for $impl: $report"
            echo "$line error=wrk_failed" >>"$tmp"
        fi
    done
done

# ---- fileread ----
if [ "$FILEREAD" = 1 ]; then
    if [ "$QUICK" = 1 ]; then cached_ops=200 direct_ops=10; else cached_ops=1000 direct_ops=50; fi
    for mode in cached direct; do
        ops=$cached_ops
        [ $mode = direct ] && ops=$direct_ops
        for impl in $IMPLS; do
            case "$impl" in
            weft-*) cmd="env WEFT_IO=${impl#weft-} LD_PRELOAD=$LIB" extra=" io_port=$io_port" ;;
            nptl) cmd="" extra="" ;;
            *) continue ;;
            esac
            printf '[%4ds] fileread %s, %s\n' "$((SECONDS - start))" "$impl" "$mode" >&2
            # shellcheck disable=SC2086
            if r=$(timeout 300 $cmd "$BUILD_DIR/bench/fileread" "$impl" "$WORK/fileread.dat" 1000 "$ops" "$mode"); then
                echo "$r$extra" | tee -a "$tmp" >&2
            else
                echo "bench=fileread impl=$impl threads=1000 mode=$mode error=failed" >>"$tmp"
            fi
        done
    done
fi
echo "# io: total $((SECONDS - start))s" >>"$tmp"

# Replace the previous I/O lines of $OUT, keep everything else.
{
    if [ -f "$OUT" ]; then grep -Ev '^bench=(httpd|fileread) |^# io: ' "$OUT" || true; fi
    cat "$tmp"
} >"$OUT.new"
mv "$OUT.new" "$OUT"

echo
awk -f bench/io-table.awk "$OUT"
echo
echo "Raw lines: $OUT (I/O part: $((SECONDS - start))s)"
