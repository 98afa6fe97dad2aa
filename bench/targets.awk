# targets.awk - weft's performance targets, checked against the medians of a
# results file (the same medians table.awk shows).
#
# Usage: awk -f targets.awk bench/results/latest.txt
#
# Each row is a ratio (or a plain figure) of medians over all runs, its goal,
# and "met" / "MISSED" / "no data". Ratios compare implementations measured
# in the same run, never figures of different runs (see the peers' caveats:
# absolute times move 1.1-2.4x between runs here).
#
# The switch rows also need weft's switch_frac (share of weft_yield calls
# that really switched) to be 1: a yield that returns without switching would
# look fast. Below 0.99 they are MISSED whatever the ratio.

function sorted(list, a,    n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) {
        t = a[i] + 0
        for (j = i - 1; j >= 1 && a[j] + 0 > t; j--)
            a[j + 1] = a[j]
        a[j + 1] = t
    }
    return n
}

function median(list,    a, n) {
    n = sorted(list, a)
    if (n == 0)
        return ""
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# Median of field f ("ns", "rss", "frac") for bench b and impl m, or "".
function med(f, b, m,    k) {
    k = f SUBSEP b SUBSEP m
    return (k in val) ? median(val[k]) : ""
}

function why_missing(b, m,    k, e) {
    k = b SUBSEP m
    if (k in err) {
        e = err[k]
        gsub(/_/, " ", e)
        return "no data (" m " " b ": " e ")"
    }
    return "no data (" m " " b " not run)"
}

# One table row. x: the measured figure ("" when missing, then `missing`
# says why); op: "<=" or ">="; unit: "x" for a ratio, else a unit name.
function row(what, x, op, goal, unit, missing, note,    shown, status) {
    if (x == "") {
        shown = "–"
        status = missing
    } else {
        shown = (unit == "x") ? sprintf("%.2fx", x) : sprintf("%.2f %s", x, unit)
        if (op == "<=")
            status = (x + 0 <= goal + 0) ? "met" : "MISSED"
        else
            status = (x + 0 >= goal + 0) ? "met" : "MISSED"
        if (note != "")
            status = (status == "met") ? "MISSED (" note ")" : status " (" note ")"
    }
    printf "| %s | %s | %s %s%s | %s |\n", what, shown, op, goal,
           (unit == "x") ? "x" : " " unit, status
    if (status ~ /^met/) met++
    else if (status ~ /^MISSED/) missed++
    else nodata++
}

# a / b for the ns figures of two (bench, impl) pairs; sets `missing`.
function ratio(b1, m1, b2, m2,    x, y) {
    x = med("ns", b1, m1)
    y = med("ns", b2, m2)
    missing = ""
    if (x == "") { missing = why_missing(b1, m1); return "" }
    if (y == "") { missing = why_missing(b2, m2); return "" }
    if (y + 0 <= 0) { missing = "no data (zero time)"; return "" }
    return x / y
}

function figure(f, b, m,    x) {
    x = med(f, b, m)
    missing = (x == "") ? why_missing(b, m) : ""
    return x
}

/^#/ || NF == 0 { next }
{
    split("", kv)
    for (i = 1; i <= NF; i++) {
        p = index($i, "=")
        if (p)
            kv[substr($i, 1, p - 1)] = substr($i, p + 1)
    }
    b = kv["bench"]; m = kv["impl"]
    if (b == "" || m == "")
        next
    k = b SUBSEP m
    if ("error" in kv) err[k] = kv["error"]
    # A many_* line with an error only got max_threads threads: its figures
    # are not the ones asked for.
    if (b ~ /^many/ && ("error" in kv))
        next
    if ("ns_per_op" in kv) val["ns" SUBSEP k] = val["ns" SUBSEP k] " " kv["ns_per_op"]
    if ("rss_kib_per_thread" in kv) val["rss" SUBSEP k] = val["rss" SUBSEP k] " " kv["rss_kib_per_thread"]
    if ("switch_frac" in kv) val["frac" SUBSEP k] = val["frac" SUBSEP k] " " kv["switch_frac"]
    if ("cpu_ns_per_op" in kv) val["cpu" SUBSEP k] = val["cpu" SUBSEP k] " " kv["cpu_ns_per_op"]
    if ("p99_ns" in kv) val["p99" SUBSEP k] = val["p99" SUBSEP k] " " kv["p99_ns"]
    if ("max_ns" in kv) val["max" SUBSEP k] = val["max" SUBSEP k] " " kv["max_ns"]
}

END {
    frac = med("frac", "switch", "weft")
    swnote = (frac != "" && frac + 0 < 0.99) ? "weft switch_frac " frac : ""

    print "Targets (ratios of the medians above; x = times).\n"
    print "| target | measured | goal | result |"
    print "|---|---:|---:|---|"
    x = ratio("switch", "weft", "switch", "asm")
    row("switch: weft / asm (hand-written switch)", x, "<=", 3, "x", missing, swnote)
    x = ratio("switch", "go-p1", "switch", "weft")
    row("switch: go-p1 / weft", x, ">=", 7, "x", missing, swnote)
    x = ratio("switch", "nptl", "switch", "weft")
    row("switch: nptl (futex, pinned) / weft", x, ">=", 100, "x", missing, swnote)
    x = ratio("create_join", "go-p1", "create_join", "weft")
    row("create_join: go-p1 / weft", x, ">=", 3, "x", missing, "")
    x = ratio("create_join", "nptl", "create_join", "weft")
    row("create_join: nptl / weft", x, ">=", 100, "x", missing, "")
    # issue 3: the blocking primitives. NPTL's stable pingpong figure is the
    # pinned one (on two CPUs it swings 2-12 us with placement).
    x = ratio("pingpong_cpu0", "nptl", "pingpong", "weft")
    row("pingpong: nptl (pinned, pingpong_cpu0) / weft", x, ">=", 50, "x", missing, "")
    x = ratio("pingpong", "go-p1", "pingpong", "weft")
    row("pingpong: go-p1 / weft", x, ">=", 8, "x", missing, "")
    x = ratio("mutex_t4", "nptl", "mutex_t4", "weft")
    row("mutex_t4: nptl / weft", x, ">=", 4, "x", missing, "")
    x = ratio("mutex_t4", "go-p2", "mutex_t4", "weft")
    row("mutex_t4: go-p2 / weft", x, ">=", 2, "x", missing, "")
    x = ratio("mutex_t64", "nptl", "mutex_t64", "weft")
    row("mutex_t64: nptl / weft", x, ">=", 4, "x", missing, "")
    x = ratio("mutex_t64", "go-p2", "mutex_t64", "weft")
    row("mutex_t64: go-p2 / weft", x, ">=", 2, "x", missing, "")
    x = figure("rss", "many_1000k", "weft")
    row("many_1000k: weft RSS per thread", x, "<=", 5, "KiB", missing, "")
    x = figure("ns", "many_1000k", "weft")
    row("many_1000k: weft create per thread", x, "<=", 500, "ns", missing, "")
    # weft's 2 KiB small stacks against goroutines (2 KiB initial stacks):
    # the goal is to be no bigger than Go.
    x = figure("rss", "many_small_1000k", "weft")
    y = figure("rss", "many_1000k", "go-p2")
    if (x == "")
        missing = why_missing("many_small_1000k", "weft")
    else if (y == "")
        missing = why_missing("many_1000k", "go-p2")
    row("RSS per thread: weft many_small_1000k / go-p2 many_1000k",
        (x == "" || y == "" || y + 0 <= 0) ? "" : x / y, "<=", 1, "x", missing, "")
    x = ratio("spawn_tree_n27", "go-p2", "spawn_tree_n27", "weft")
    row("spawn_tree_n27: go-p2 / weft", x, ">=", 2, "x", missing, "")
    # issue 4: the NPTL benchmark binary, unmodified, under
    # LD_PRELOAD=libweft-pthread.so, against the native API with the same
    # TLS mode: the drop-in gives every thread TLS of its own (issue 8),
    # whose cost the weft-tls rows above measure.
    split("create_join pingpong mutex_t4 mutex_t64", dropin, " ")
    for (i = 1; i <= 4; i++) {
        x = ratio(dropin[i], "weft-pthread", dropin[i], "weft-tls")
        row(dropin[i] ": weft-pthread (drop-in) / weft-tls", x, "<=", 1.5, "x", missing, "")
    }

    # issue 8: TLS of its own for every thread, against shared TLS.
    x = ratio("switch", "weft-tls", "switch", "weft")
    row("switch: weft-tls (own TLS) / weft", x, "<=", 1.3, "x", missing, swnote)
    x = figure("rss", "many_100k", "weft-tls")
    y = figure("rss", "many_100k", "weft")
    if (x == "")
        missing = why_missing("many_100k", "weft-tls")
    else if (y == "")
        missing = why_missing("many_100k", "weft")
    row("many_100k: RSS per thread, weft-tls - weft (own TLS's cost)",
        (x == "" || y == "") ? "" : x - y, "<=", 8, "KiB", missing, "")

    # issue 7: preemption. Its cost where it is never needed (one CPU-bound
    # thread per vCPU: nothing waits, so no tick is ever sent), wall time
    # and process CPU time; the wake-up lateness of a priority-31 sleeper
    # behind a priority-0 spinner on one vCPU (ms), and Go's (no
    # priorities; sysmon preempts after 10 ms) against it.
    x = ratio("preempt_cpu", "weft", "preempt_cpu", "weft-nopreempt")
    row("preempt_cpu: weft / weft-nopreempt (wall)", x, "<=", 1.01, "x", missing, "")
    x = figure("cpu", "preempt_cpu", "weft")
    y = figure("cpu", "preempt_cpu", "weft-nopreempt")
    if (x == "")
        missing = why_missing("preempt_cpu", "weft")
    else if (y == "")
        missing = why_missing("preempt_cpu", "weft-nopreempt")
    row("preempt_cpu: weft / weft-nopreempt (CPU time)",
        (x == "" || y == "" || y + 0 <= 0) ? "" : x / y, "<=", 1.01, "x", missing, "")
    x = figure("p99", "preempt_latency", "weft")
    row("preempt_latency: weft p99 wake-up lateness behind a spinner",
        (x == "") ? "" : x / 1e6, "<=", 10, "ms", missing, "")
    x = figure("max", "preempt_latency", "weft")
    row("preempt_latency: weft worst wake-up lateness behind a spinner",
        (x == "") ? "" : x / 1e6, "<=", 20, "ms", missing, "")
    x = ratio("preempt_latency", "go-p1", "preempt_latency", "weft")
    row("preempt_latency: go-p1 / weft (mean lateness)", x, ">=", 2, "x", missing, "")

    printf "\n%d met, %d missed, %d without data.", met, missed, nodata
    if (frac != "")
        printf " weft switch_frac = %s.", frac
    printf "\n"
}
