#!/bin/sh
# dropin.sh LIB PROGRAM ARGS... - run a peer benchmark binary unmodified
# under LD_PRELOAD=LIB (libweft-pthread.so) and report its lines as
# impl=weft-pthread: the NPTL benchmark, built against glibc, running on
# weft threads. Fails if the program did not run on weft (no weft thread
# table at exit).
lib=$1
shift
err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(LD_PRELOAD="$lib" WEFT_DUMP_AT_EXIT=1 "$@" 2>"$err") || { cat "$err" >&2; exit 1; }
grep -q '^weft: at exit' "$err" || { echo "dropin.sh: $* did not run on weft" >&2; exit 1; }
printf '%s\n' "$out" | sed 's/ impl=[^ ]*/ impl=weft-pthread/'
