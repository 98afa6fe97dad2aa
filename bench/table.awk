# table.awk - turn raw result lines into markdown tables of medians.
# Copied from ../shared/peers/table.awk (the peers' table), so that weft's
# columns are computed exactly like the peers'; bench/run.sh passes weft as
# the first column.
#
# Usage: awk -v impls="weft asm boost pth nptl go-p1 go-p2" -f table.awk results.txt
#
# Input lines look like
#   bench=<name> impl=<impl> n=<ops> ns_per_op=<x> [rss_kib_per_thread=<y>]
#       [max_threads=<m> error=<e>]
# ('#' lines are comments). Rows are benches in order of first appearance;
# columns are the impls listed in `impls` (if seen), then any other impl.
# Cell = median ns_per_op over all runs ("/ <median> KiB" when RSS was
# reported; an error note when one was; "[k runs]" when a cell has fewer
# runs than the others). The second table gives the
# run-to-run spread (max/min of ns_per_op) of each cell.

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

function spread(list,    a, n) {
    n = sorted(list, a)
    if (n < 2 || a[1] <= 0)
        return "–"
    return sprintf("%.2f", a[n] / a[1])
}

function fmt(x) {
    x += 0
    if (x < 10)
        return sprintf("%.2f", x)
    if (x < 1000)
        return sprintf("%.1f", x)
    return sprintf("%.0f", x)
}

function unit(b) {
    if (b ~ /^switch/)      return "ns/switch"
    if (b ~ /^create_join/) return "ns/create+join"
    if (b ~ /^pingpong/)    return "ns/round trip"
    if (b ~ /^mutex/)       return "ns/lock"
    if (b ~ /^many/)        return "create ns/thread / RSS KiB/thread"
    if (b ~ /^spawn_tree/)  return "ns/spawn"
    return "ns/op"
}

function cell(k,    s, e) {
    if (ns[k] == "" && err[k] == "")
        return "–"
    s = ""
    if (ns[k] != "")
        s = fmt(median(ns[k]))
    if (rss[k] != "")
        s = s " / " sprintf("%.2f", median(rss[k])) " KiB"
    e = err[k]
    gsub(/_/, " ", e)
    if (e != "" && maxt[k] != "")
        e = "max " median(maxt[k]) " threads, " e
    if (e != "")
        s = (s == "") ? e : s " (" e ")"
    if (runs[k] && runs[k] < maxruns)
        s = s " [" runs[k] " run" (runs[k] > 1 ? "s" : "") "]"
    return s
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
    if (!(b in seen_b)) { seen_b[b] = 1; rows[++nrows] = b }
    if (!(m in seen_m)) { seen_m[m] = 1 }
    k = b SUBSEP m
    if ("ns_per_op" in kv) { ns[k] = ns[k] " " kv["ns_per_op"]; runs[k]++ }
    if ("rss_kib_per_thread" in kv) rss[k] = rss[k] " " kv["rss_kib_per_thread"]
    if ("max_threads" in kv) maxt[k] = maxt[k] " " kv["max_threads"]
    if ("error" in kv) err[k] = kv["error"]
    if (runs[k] > maxruns) maxruns = runs[k]
    order[++nlines] = m
}

END {
    n = split(impls, want, " ")
    for (i = 1; i <= n; i++)
        if (want[i] in seen_m) { cols[++ncols] = want[i]; placed[want[i]] = 1 }
    for (i = 1; i <= nlines; i++)
        if (!(order[i] in placed)) { cols[++ncols] = order[i]; placed[order[i]] = 1 }

    hdr = "| bench | unit |"; sep = "|---|---|"
    hdr2 = "| bench |"; sep2 = "|---|"
    for (c = 1; c <= ncols; c++) {
        hdr = hdr " " cols[c] " |"; sep = sep "---:|"
        hdr2 = hdr2 " " cols[c] " |"; sep2 = sep2 "---:|"
    }

    printf "Median of %d runs (ns per op; lower is better).\n\n%s\n%s\n", maxruns, hdr, sep
    for (r = 1; r <= nrows; r++) {
        line = "| " rows[r] " | " unit(rows[r]) " |"
        for (c = 1; c <= ncols; c++)
            line = line " " cell(rows[r] SUBSEP cols[c]) " |"
        print line
    }

    printf "\nRun-to-run spread (max/min of ns_per_op over the runs).\n\n%s\n%s\n", hdr2, sep2
    for (r = 1; r <= nrows; r++) {
        line = "| " rows[r] " |"
        for (c = 1; c <= ncols; c++) {
            k = rows[r] SUBSEP cols[c]
            line = line " " (ns[k] == "" ? "–" : spread(ns[k])) " |"
        }
        print line
    }
}
