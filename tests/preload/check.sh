#!/bin/sh
# check.sh LIB PROGRAM [ARGS...] - run an unmodified program with
# LD_PRELOAD=LIB (LIB "-": no preload, for a program linked with
# -lweft-pthread) and WEFT_DUMP_AT_EXIT=1 and check that
#  - it exits 0 and prints a line starting with "ok",
#  - weft ran it: weft's thread table is printed at exit, and it lists the
#    program's main as a weft thread ("main", on a vCPU, not bound).
# Extra environment (e.g. WEFT_VCPUS=1) passes through.
lib=$1
shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if [ "$lib" = - ]; then
    WEFT_DUMP_AT_EXIT=1 "$@" >"$out" 2>"$err"
else
    LD_PRELOAD="$lib" WEFT_DUMP_AT_EXIT=1 "$@" >"$out" 2>"$err"
fi
rc=$?
fail() {
    echo "FAIL: $*"
    echo "--- stdout"; cat "$out"
    echo "--- stderr (first 40 lines)"; head -40 "$err"
    exit 1
}
[ $rc -eq 0 ] || fail "exit status $rc"
grep -q '^ok' "$out" || fail "no ok line"
grep -q '^weft: at exit' "$err" || fail "no weft thread table at exit: not run by weft"
grep -Eq '^ +[0-9]+ +main +[0-9]+ +[a-z]+ .* [0-9]+ +[0-9]+ ' "$err" ||
    fail "the table has no weft thread \"main\" on a vCPU"
cat "$out"
grep '^weft: ' "$err" | head -2
exit 0
