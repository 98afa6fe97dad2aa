# io-table.awk - the I/O benchmark lines of a results file as tables.
#
# Usage: awk -f bench/io-table.awk bench/results/latest.txt
#
# Reads the lines bench/httpd.sh writes:
#   bench=httpd impl=<impl> conns=<n> rps=<f> p99_ms=<f> errors=<n>
#       probe_ms=<f>|timeout [io_port=no]
#   bench=fileread impl=<impl> threads=<n> ops=<f> mode=<m> n=<reads>
# (a line with error=<why> instead of figures says why a point is missing;
# a later line for the same point replaces an earlier one). Prints requests/s,
# p99, errors and the mid-run new connection's wait per connection count and
# impl, then each weft impl's ratios
# against nptl, go and nginx with issue 6's goals, then the file reads.

function kvparse(    i, p) {
    split("", kv)
    for (i = 1; i <= NF; i++) {
        p = index($i, "=")
        if (p)
            kv[substr($i, 1, p - 1)] = substr($i, p + 1)
    }
}

function add(list, x, arr,    i) { # keep first-seen order
    if (!((list, x) in seen)) {
        seen[list, x] = 1
        arr[++count[list]] = x
    }
}

function fmt(x) {
    if (x == "") return "–"
    x += 0
    if (x >= 1000) return sprintf("%.0f", x)
    if (x >= 10) return sprintf("%.1f", x)
    return sprintf("%.2f", x)
}

function ratio_row(w, peer, c, goal,    a, b, x, status) {
    a = rps[w SUBSEP c]; b = rps[peer SUBSEP c]
    if (a == "" || b == "" || b + 0 <= 0) {
        printf "| %s / %s, %s conns | – | %s | no data |\n", w, peer, c, goal == "" ? "–" : ">= " goal "x"
        return
    }
    x = a / b
    if (goal == "") {
        printf "| %s / %s, %s conns | %.2fx | – | (no goal) |\n", w, peer, c, x
        return
    }
    # As in targets.awk: a ratio reached with errors, or while newcomers
    # wait (the rate of a few connections served), is not met.
    note = ""
    if (errs[w SUBSEP c] > 0)
        note = w " had " errs[w SUBSEP c] " errors"
    if (probe[w SUBSEP c] == "timeout")
        note = (note == "" ? "" : note "; ") w " left a new connection unanswered"
    status = (x >= goal && note == "") ? "met" : "MISSED"
    if (note != "")
        status = status " (" note ")"
    printf "| %s / %s, %s conns | %.2fx | >= %sx | %s |\n", w, peer, c, x, goal, status
}

/^#/ || NF == 0 { next }
{
    kvparse()
    if (kv["bench"] == "httpd") {
        m = kv["impl"]; c = kv["conns"]; k = m SUBSEP c
        add("impl", m, impls); add("conns", c, conns)
        delete err[k]; delete rps[k]
        if ("error" in kv) { err[k] = kv["error"]; gsub(/_/, " ", err[k]); next }
        rps[k] = kv["rps"]; p99[k] = kv["p99_ms"]; errs[k] = kv["errors"]; probe[k] = kv["probe_ms"]
        if (kv["io_port"] == "no") noport[m] = 1
    } else if (kv["bench"] == "fileread") {
        m = kv["impl"]; md = kv["mode"]; k = m SUBSEP md
        add("fimpl", m, fimpls); add("mode", md, modes)
        delete ferr[k]; delete ops[k]
        if ("error" in kv) { ferr[k] = kv["error"]; gsub(/_/, " ", ferr[k]); next }
        ops[k] = kv["ops"]; threads = kv["threads"]
        if (kv["io_port"] == "no") noport[m] = 1
    }
}

END {
    if (count["impl"]) {
        printf "httpd: wrk on loopback (higher requests/s is better; p99 over answered requests;\n"
        printf "new conn = ms to the answer on a connection opened a quarter into the run)\n\n"
        print "| conns | impl | requests/s | p99 ms | errors | new conn ms |"
        print "|---:|---|---:|---:|---:|---:|"
        for (j = 1; j <= count["conns"]; j++)
            for (i = 1; i <= count["impl"]; i++) {
                m = impls[i]; k = m SUBSEP conns[j]
                printf "| %s | %s |", conns[j], m (m in noport ? " (no I/O port)" : "")
                if (k in err)
                    printf " %s | | | |\n", err[k]
                else if (!(k in rps))
                    printf " – | – | – | – |\n"
                else
                    printf " %s | %s | %s | %s |\n", fmt(rps[k]), fmt(p99[k]), errs[k],
                           probe[k] == "" ? "–" : (probe[k] == "timeout" ? "no answer" : fmt(probe[k]))
            }
        printf "\nhttpd targets (requests/s ratios in the same run; issue 6).\n\n"
        print "| ratio | measured | goal | result |"
        print "|---|---:|---:|---|"
        for (i = 1; i <= count["impl"]; i++) {
            w = impls[i]
            if (w !~ /^weft/) continue
            for (j = 1; j <= count["conns"]; j++) {
                c = conns[j]
                # issue 6 sets the NPTL goal at 1,000 connections only
                ratio_row(w, "nptl", c, c + 0 == 1000 ? 3 : "")
                ratio_row(w, "go", c, 1)
                ratio_row(w, "nginx", c, 0.8)
            }
        }
    }
    if (count["fimpl"]) {
        printf "\nfileread: 4 KiB random preads per second, %s threads (higher is better)\n\n", threads
        hdr = "| impl |"; sep = "|---|"
        for (j = 1; j <= count["mode"]; j++) { hdr = hdr " " modes[j] " | vs nptl |"; sep = sep "---:|---:|" }
        print hdr; print sep
        for (i = 1; i <= count["fimpl"]; i++) {
            m = fimpls[i]
            line = "| " m (m in noport ? " (no I/O port)" : "") " |"
            for (j = 1; j <= count["mode"]; j++) {
                k = m SUBSEP modes[j]; n = "nptl" SUBSEP modes[j]
                if (k in ferr) { line = line " " ferr[k] " | – |"; continue }
                line = line " " fmt(ops[k]) " | " \
                       ((ops[k] != "" && ops[n] + 0 > 0) ? sprintf("%.2fx", ops[k] / ops[n]) : "–") " |"
            }
            print line
        }
    }
}
