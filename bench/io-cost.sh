#!/usr/bin/env bash
# io-cost.sh - what one HTTP request costs each server (docs/httpd.md,
# "What a request costs"): CPU time of the server and of wrk, system calls
# and context switches of the server, each per request.
#
#   bench/io-cost.sh [IMPL...]        default: weft-uring weft-epoll nptl nginx
#   CONNS=1000 DURATION=5 BUILD_DIR=build
#
# One line per impl:
#   impl=<impl> conns=<n> rps=<f> p99=<wrk's> server_us=<f> wrk_us=<f>
#       syscalls=<f> switches=<f>
# server_us: utime+stime of the server's processes (nginx: its workers)
# from /proc/<pid>/stat over the run; wrk_us from /usr/bin/time; syscalls
# and switches from `perf stat -e raw_syscalls:sys_enter,context-switches`
# on the server's processes. Needs wrk, perf, /usr/bin/time (and nginx).
# Run after `make` (or `make bench-io`, which also builds bench/httpd-go).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
CONNS=${CONNS:-1000}
DURATION=${DURATION:-5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ $# -gt 0 ] || set -- weft-uring weft-epoll nptl nginx
HZ=$(getconf CLK_TCK)

nginx_conf() { # DIR PORT
    cat <<CONF
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
    keepalive_requests 1000000000;
    server {
        listen 127.0.0.1:$2;
        default_type text/plain;
        location = / { return 200 "hello\n"; }
    }
}
CONF
}

cpu_ticks() { # the utime+stime of the given pids
    local t=0 p
    for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    echo "$t"
}

for impl in "$@"; do
    port=$((20000 + RANDOM % 30000))
    case $impl in
    weft-*) WEFT_IO=${impl#weft-} LD_PRELOAD=$BUILD_DIR/libweft-pthread.so \
                "$BUILD_DIR/examples/httpd" "$port" >"$WORK/out" 2>&1 & ;;
    nptl) "$BUILD_DIR/examples/httpd" "$port" >"$WORK/out" 2>&1 & ;;
    go) "$BUILD_DIR/bench/httpd-go" "$port" >"$WORK/out" 2>&1 & ;;
    nginx)
        nginx_conf "$WORK" "$port" >"$WORK/nginx.conf"
        "$(command -v nginx || echo /usr/sbin/nginx)" -p "$WORK" -e "$WORK/error.log" \
            -c "$WORK/nginx.conf" & ;;
    *) echo "io-cost.sh: unknown impl $impl" >&2; exit 2 ;;
    esac
    pid=$!
    sleep 1
    pids=$pid
    [ "$impl" != nginx ] || pids=$(pgrep -P "$pid" | tr '\n' ' ')
    # shellcheck disable=SC2086 # lists of pids
    c0=$(cpu_ticks $pids)
    perf stat -e raw_syscalls:sys_enter,context-switches -p "$(echo $pids | tr ' ' ',')" \
        -o "$WORK/perf" -- sleep "$DURATION" >/dev/null 2>&1 &
    perf_pid=$!
    /usr/bin/time -f "%U %S" -o "$WORK/time" wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 2s \
        --latency "http://127.0.0.1:$port/" >"$WORK/wrk" 2>&1 || true
    wait "$perf_pid" || true
    # shellcheck disable=SC2086
    c1=$(cpu_ticks $pids)
    kill -TERM "$pid" 2>/dev/null || true
    sleep 0.5
    # shellcheck disable=SC2086
    kill -KILL "$pid" $pids 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    awk -v impl="$impl" -v conns="$CONNS" -v ticks=$((c1 - c0)) -v hz="$HZ" \
        -v wrk_time="$(cat "$WORK/time")" '
        FILENAME ~ /wrk$/ && /requests in/ { reqs = $1 }
        FILENAME ~ /wrk$/ && /^Requests\/sec/ { rps = $2 }
        FILENAME ~ /wrk$/ && /^ +99%/ { p99 = $2 }
        FILENAME ~ /perf$/ && /raw_syscalls/ { gsub(",", "", $1); sc = $1 }
        FILENAME ~ /perf$/ && /context-switches/ { gsub(",", "", $1); cs = $1 }
        END {
            if (!reqs) { print "impl=" impl " error=no_requests"; exit }
            split(wrk_time, w, " ")
            printf "impl=%s conns=%d rps=%.0f p99=%s server_us=%.2f wrk_us=%.2f syscalls=%.2f switches=%.3f\n",
                impl, conns, rps, p99, ticks * 1e6 / hz / reqs, (w[1] + w[2]) * 1e6 / reqs, sc / reqs, cs / reqs
        }' "$WORK/wrk" "$WORK/perf"
done
