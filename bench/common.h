/* common.h - helpers for bench/weft.c, copied from the peer benchmarks'
 * common.h (../shared/peers/common.h) so that bench/ builds without them.
 * Keep the two in step: the result line and the spawn_tree arithmetic are
 * the contract every implementation is compared by.
 *
 * Every benchmark prints one line per result:
 *   bench=<name> impl=<impl> n=<ops> ns_per_op=<float> [key=value ...]
 * bench/run.sh collects these lines and builds the comparison tables.
 */
#ifndef WEFT_BENCH_COMMON_H
#define WEFT_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Resident set size of this process in KiB (VmRSS from /proc/self/status). */
static inline long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Print one result line; `extra` (may be NULL) is appended as-is. */
static inline void report(const char *bench, const char *impl, long n,
                          double elapsed_ns, const char *extra)
{
    printf("bench=%s impl=%s n=%ld ns_per_op=%.2f%s%s\n", bench, impl, n,
           elapsed_ns / (double)n, extra ? " " : "", extra ? extra : "");
    fflush(stdout);
}

/* spawn_tree repeats small trees until at least this much time has passed. */
#define SPAWN_TREE_MIN_NS 200e6

/* Number of threads spawned by spawn_tree(n): one per call with n >= 2. */
static inline long spawn_tree_count(int n)
{
    long a = 0, b = 0; /* S(k-2), S(k-1); S(0) = S(1) = 0 */
    for (int k = 2; k <= n; k++) {
        long s = 1 + a + b;
        a = b;
        b = s;
    }
    return n < 2 ? 0 : b;
}

static inline long fib_seq(int n)
{
    long a = 0, b = 1;
    for (int k = 0; k < n; k++) {
        long t = a + b;
        a = b;
        b = t;
    }
    return a;
}

/* "many 10000" -> "many_10k"; other benches with a parameter get "_t<p>"/"_n<p>". */
static inline const char *bench_name(const char *bench, const char *prefix, long p)
{
    static char buf[64];
    if (p % 1000 == 0)
        snprintf(buf, sizeof buf, "%s_%s%ldk", bench, prefix, p / 1000);
    else
        snprintf(buf, sizeof buf, "%s_%s%ld", bench, prefix, p);
    return buf;
}

#define DIE_USAGE(prog)                                                          \
    do {                                                                         \
        fprintf(stderr, "usage: %s <bench> [param]\n", prog);                    \
        exit(2);                                                                 \
    } while (0)

#endif
