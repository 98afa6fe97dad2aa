/* weft.c - weft's side of the peer benchmarks: same benches, arguments and
 * result lines as ../shared/peers (see bench/README.md).
 * Usage: weft <bench> [param]
 *   switch              two weft threads alternately calling weft_yield on ONE
 *                       vCPU (ns/switch; switch_frac = share of real switches)
 *   create_join         create a do-nothing thread + join it, one at a time
 *   create_join_batch   create 1000, then join 1000
 *   pingpong            token through two weft_sem_t (ns/round trip)
 *   mutex <threads>     T threads hammer one weft_mutex_t: lock/inc/unlock (ns/lock)
 *   many <K>            K threads parked on a weft_sem_t: create ns + RSS/thread
 *   many_small <K>      the same with 2 KiB small stacks (weft_attr_setsmallstack)
 *   spawn_tree <n>      fib(n), each call spawns a thread for fib(n-1)
 *   preempt_cpu [c]     one CPU-bound thread per vCPU that never needs
 *                       preemption, c (1500) chunks each (ns per chunk of 1M
 *                       rounds of an LCG; cpu_ns_per_op:
 *                       process CPU time); compare with WEFT_PREEMPT=0, whose
 *                       lines say impl=weft-nopreempt
 *   preempt_latency     one vCPU: a priority-31 thread sleeps 5 ms 200 times
 *                       behind a priority-0 spinner (ns_per_op: mean lateness
 *                       of its wake-ups, and p50/p99/max_ns; base_*: the same
 *                       sleeper alone); with WEFT_PREEMPT=0 the spinner
 *                       stops after 2 s
 *
 * WEFT_TLS=own: every thread with TLS of its own (result lines say
 * impl=weft-tls); the default is libweft's, shared TLS.
 *
 * Every bench body runs in a weft thread: main only creates that thread and
 * joins it. Main is a bound (adopted host) thread whose blocking costs a
 * futex, which is not what is measured. The runtime gets the default number
 * of vCPUs (online CPUs; WEFT_VCPUS overrides it), except switch, which asks
 * for exactly one.
 *
 * Benches whose op count the peers fix (create_join, pingpong, ...) repeat
 * chunks here until BENCH_MIN_NS has passed instead: n= always says how many
 * ops were timed, and a slow build still ends in reasonable time. Results
 * are checked (join values, fib values, parked counts); a wrong one exits 1.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <weft.h>

/* impl= on the result lines: "weft-tls" when every thread has TLS of its
 * own (WEFT_TLS=own in the environment; the runtime reads it too). */
static const char *IMPL = "weft";

/* Timed loops run at least this long (the peers' spawn_tree rule). */
#define BENCH_MIN_NS 200e6

static void die(const char *what, int err)
{
    fprintf(stderr, "weft bench: %s: %s\n", what, strerror(err));
    exit(1);
}

/* errno as a token: result lines are split on spaces. */
static const char *err_name(int err)
{
    static char buf[32];
    switch (err) {
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    default:
        snprintf(buf, sizeof buf, "errno_%d", err);
        return buf;
    }
}

static weft_t spawn(void *(*fn)(void *), void *arg, const weft_attr_t *attr)
{
    weft_t t;
    int rc = weft_create(&t, attr, fn, arg);
    if (rc)
        die("weft_create", rc);
    return t;
}

static void *join(weft_t t)
{
    void *res = NULL;
    int rc = weft_join(t, &res);
    if (rc)
        die("weft_join", rc);
    return res;
}

/* ---- switch: two threads yield to each other on one vCPU ---- */
static long iters;
static atomic_int last_side;
static atomic_long alternations;

static void *yield_side(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (long i = 0; i < iters; i++) {
        weft_yield();
        /* relaxed: both sides run on the one vCPU; only counted, not ordered */
        if (atomic_exchange_explicit(&last_side, me, memory_order_relaxed) != me)
            atomic_fetch_add_explicit(&alternations, 1, memory_order_relaxed);
    }
    return NULL;
}

static int bench_switch(void)
{
    char extra[64];
    if (weft_vcpu_count() != 1) {
        fprintf(stderr, "switch: expected 1 vCPU, runtime has %d\n", weft_vcpu_count());
        return 1;
    }
    iters = 2000000;
    weft_t t = spawn(yield_side, (void *)(intptr_t)1, NULL);
    double t0 = now_ns();
    yield_side((void *)(intptr_t)0);
    join(t);
    double el = now_ns() - t0;
    snprintf(extra, sizeof extra, "switch_frac=%.3f",
             (double)atomic_load(&alternations) / (2.0 * iters));
    report("switch", IMPL, 2 * iters, el, extra);
    return 0;
}

/* ---- create_join ---- */
static void *nop(void *arg) { return arg; }

static int bench_create_join(void)
{
    long n = 0;
    double t0 = now_ns(), el;
    do {
        for (long i = 1; i <= 1000; i++)
            if (join(spawn(nop, (void *)i, NULL)) != (void *)i) {
                fprintf(stderr, "create_join: wrong join result\n");
                return 1;
            }
        n += 1000;
    } while ((el = now_ns() - t0) < BENCH_MIN_NS && n < 5000000);
    report("create_join", IMPL, n, el, NULL);
    return 0;
}

static int bench_create_join_batch(void)
{
    enum { BATCH = 1000 };
    static weft_t ts[BATCH];
    long rounds = 0;
    double t0 = now_ns(), el;
    do {
        for (long i = 0; i < BATCH; i++)
            ts[i] = spawn(nop, (void *)(i + 1), NULL);
        for (long i = 0; i < BATCH; i++)
            if (join(ts[i]) != (void *)(i + 1)) {
                fprintf(stderr, "create_join_batch: wrong join result\n");
                return 1;
            }
        rounds++;
    } while (((el = now_ns() - t0) < BENCH_MIN_NS || rounds < 10) && rounds < 5000);
    report("create_join_batch", IMPL, rounds * BATCH, el, NULL);
    return 0;
}

/* ---- pingpong: token through two semaphores; the bench thread pings ---- */
static weft_sem_t ping, pong;
static atomic_int pong_stop;
static atomic_long pong_count;

static void *pong_side(void *arg)
{
    (void)arg;
    for (;;) {
        weft_sem_wait(&ping);
        if (atomic_load(&pong_stop)) /* set before the last post */
            return NULL;
        atomic_fetch_add_explicit(&pong_count, 1, memory_order_relaxed);
        weft_sem_post(&pong);
    }
}

static int bench_pingpong(void)
{
    long n = 0;
    int rc;
    if ((rc = weft_sem_init(&ping, 0)) || (rc = weft_sem_init(&pong, 0)))
        die("weft_sem_init", rc);
    weft_t t = spawn(pong_side, NULL, NULL);
    double t0 = now_ns(), el;
    do {
        for (int i = 0; i < 1000; i++) {
            weft_sem_post(&ping);
            weft_sem_wait(&pong);
        }
        n += 1000;
    } while ((el = now_ns() - t0) < BENCH_MIN_NS && n < 20000000);
    atomic_store(&pong_stop, 1);
    weft_sem_post(&ping);
    join(t);
    if (atomic_load(&pong_count) != n) {
        fprintf(stderr, "pingpong: %ld round trips, pong saw %ld\n", n,
                atomic_load(&pong_count));
        return 1;
    }
    weft_sem_destroy(&ping);
    weft_sem_destroy(&pong);
    report("pingpong", IMPL, n, el, NULL);
    return 0;
}

/* ---- mutex: T threads hammer one mutex (the peers' shape) ---- */
static weft_mutex_t mu = WEFT_MUTEX_INITIALIZER;
static weft_barrier_t start_bar;
static atomic_long at_start;
static long counter;

static void *mutex_worker(void *arg)
{
    (void)arg;
    atomic_fetch_add(&at_start, 1);
    weft_barrier_wait(&start_bar);
    for (long i = 0; i < iters; i++) {
        weft_mutex_lock(&mu);
        counter++;
        weft_mutex_unlock(&mu);
    }
    return NULL;
}

static int bench_mutex(long nthreads)
{
    weft_t *ts = calloc(nthreads, sizeof *ts);
    int rc;
    if (!ts)
        die("calloc", ENOMEM);
    iters = 4000000 / nthreads;
    if ((rc = weft_barrier_init(&start_bar, (unsigned)nthreads + 1)))
        die("weft_barrier_init", rc);
    for (long i = 0; i < nthreads; i++)
        ts[i] = spawn(mutex_worker, NULL, NULL);
    /* Without preemption the thread that opens the barrier keeps its vCPU:
     * if a worker opened it, its whole loop could run before this thread
     * read the clock. So come last (the serial thread goes on running),
     * and read the clock before the barrier: never after work started. */
    while (atomic_load(&at_start) < nthreads)
        weft_yield();
    double t0 = now_ns();
    weft_barrier_wait(&start_bar);
    for (long i = 0; i < nthreads; i++)
        join(ts[i]);
    double el = now_ns() - t0;
    if (counter != nthreads * iters) {
        fprintf(stderr, "mutex: counter %ld != %ld\n", counter, nthreads * iters);
        return 1;
    }
    weft_barrier_destroy(&start_bar);
    report(bench_name("mutex", "t", nthreads), IMPL, nthreads * iters, el, NULL);
    free(ts);
    return 0;
}

/* ---- many: K threads parked on one semaphore ---- */
static weft_sem_t release_sem, all_parked;
static atomic_long arrived, target = LONG_MAX;

static void *parked(void *arg)
{
    (void)arg;
    /* seq_cst, Dekker-style with bench_many: the last arrival sees the real
     * target and posts, or bench_many sees every arrival and does not wait
     * (or both: the extra post is harmless). */
    if (atomic_fetch_add(&arrived, 1) + 1 >= atomic_load(&target))
        weft_sem_post(&all_parked);
    weft_sem_wait(&release_sem);
    return NULL;
}

static int bench_many(long k, int small)
{
    char extra[160];
    const char *name = small ? "many_small" : "many";
    weft_attr_t attr;
    weft_group_info_t gi;
    int err = 0, rc;
    long made = 0;

    if ((rc = weft_attr_init(&attr)))
        die("weft_attr_init", rc);
    if (small && (rc = weft_attr_setsmallstack(&attr, WEFT_SMALL_STACK_MIN)))
        die("weft_attr_setsmallstack(2048)", rc);
    /* The per-group cap is a policy, not a capacity: lift it for the bench. */
    weft_gid_t gid = weft_group_self();
    if (weft_group_info(gid, &gi) == 0 && gi.limit < (unsigned long)k + 64 &&
        (rc = weft_group_setlimit(gid, (unsigned long)k + 64)))
        fprintf(stderr, "%s: weft_group_setlimit(%ld): %s\n", name, k + 64, strerror(rc));
    if ((rc = weft_sem_init(&release_sem, 0)) || (rc = weft_sem_init(&all_parked, 0)))
        die("weft_sem_init", rc);
    weft_t *ts = malloc(k * sizeof *ts);
    if (!ts)
        die("malloc", ENOMEM);
    memset(ts, 1, k * sizeof *ts); /* fault the array in before measuring */

    long rss0 = rss_kib();
    double t0 = now_ns();
    for (; made < k; made++)
        if ((err = weft_create(&ts[made], &attr, parked, NULL)) != 0)
            break;
    atomic_store(&target, made);
    if (made > 0 && atomic_load(&arrived) < made)
        weft_sem_wait(&all_parked);
    double el = now_ns() - t0;
    long rss1 = rss_kib();

    if (atomic_load(&arrived) != made) {
        fprintf(stderr, "%s: %ld threads created, %ld parked\n", name, made,
                atomic_load(&arrived));
        return 1;
    }
    int len = snprintf(extra, sizeof extra, "rss_kib_per_thread=%.2f",
                       made ? (double)(rss1 - rss0) / made : 0.0);
    if (err)
        snprintf(extra + len, sizeof extra - len, " max_threads=%ld error=%s",
                 made, err_name(err));
    for (long i = 0; i < made; i++)
        if ((rc = weft_sem_post(&release_sem)))
            die("weft_sem_post", rc);
    for (long i = 0; i < made; i++)
        join(ts[i]);
    free(ts);
    weft_attr_destroy(&attr);
    if (made == 0) {
        printf("bench=%s impl=%s n=0 max_threads=0 error=%s\n",
               bench_name(name, "", k), IMPL, err_name(err));
        return 1;
    }
    report(bench_name(name, "", k), IMPL, made, el, extra);
    return 0;
}

/* ---- preempt_cpu: CPU-bound threads that never need preemption ---- */
#define CPU_CHUNK 1000000L
static atomic_int cpu_sink;

static void *cpu_worker(void *arg)
{
    long chunks = (long)(intptr_t)arg;
    uint64_t x = 88172645463325252u;
    for (long c = 0; c < chunks; c++)
        for (long i = 0; i < CPU_CHUNK; i++)
            x = x * 6364136223846793005u + 1442695040888963407u;
    atomic_fetch_add(&cpu_sink, (int)(x >> 60));
    return NULL;
}

static double cpu_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench_preempt_cpu(long chunks)
{
    int nv = weft_vcpu_count();
    if (chunks <= 0)
        chunks = 1500; /* ~1 s per vCPU here */
    weft_t t[256];
    if (nv > 256)
        nv = 256;
    double c0 = cpu_time_ns(), t0 = now_ns();
    for (int i = 0; i < nv; i++)
        t[i] = spawn(cpu_worker, (void *)(intptr_t)chunks, NULL);
    for (int i = 0; i < nv; i++)
        join(t[i]);
    double el = now_ns() - t0, cpu = cpu_time_ns() - c0;
    weft_stats_t st;
    weft_stats(WEFT_STATS_ALL, &st);
    char extra[128];
    snprintf(extra, sizeof extra, "cpu_ns_per_op=%.0f preemptions=%llu", cpu / (nv * chunks),
             (unsigned long long)st.preemptions);
    report("preempt_cpu", IMPL, nv * chunks, el, extra);
    return 0;
}

/* ---- preempt_latency: a high-priority sleeper behind a spinner ----
 * The same sleeper runs twice: alone on the vCPU (the base_* figures: the
 * timer and the host's own wake-up latency, which a loaded machine
 * inflates), then with a priority-0 spinner it starts after 5 warm-up
 * rounds. Without preemption (WEFT_PREEMPT=0) the spinner gives up after
 * 2 s, so one wake-up is ~2 s late and the others are not. */
#define LAT_SAMPLES 200
#define LAT_SLEEP_NS 5000000L
static atomic_int lat_done;

static void *lat_spinner(void *arg)
{
    (void)arg;
    double end = now_ns() + 2e9;
    int off = weft_preempt_mode() == WEFT_PREEMPT_OFF;
    volatile unsigned long n = 0;
    while (!atomic_load_explicit(&lat_done, memory_order_relaxed)) {
        for (int i = 0; i < 65536; i++)
            n++;
        if (off && now_ns() > end)
            break;
    }
    return NULL;
}

struct lat_run {
    int with_spinner;
    double v[LAT_SAMPLES];
};

static void *lat_sleeper(void *arg)
{
    struct lat_run *r = arg;
    weft_t s = 0;
    for (int i = -5; i < LAT_SAMPLES; i++) { /* 5 warm-up rounds */
        if (i == 0 && r->with_spinner) {
            weft_attr_t lo;
            weft_attr_init(&lo);
            weft_attr_setpriority(&lo, WEFT_PRIO_MIN);
            s = spawn(lat_spinner, NULL, &lo);
        }
        double t0 = now_ns();
        weft_sleep(LAT_SLEEP_NS);
        double late = now_ns() - t0 - LAT_SLEEP_NS;
        if (i >= 0)
            r->v[i] = late;
    }
    atomic_store(&lat_done, 1);
    if (r->with_spinner)
        join(s);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double lat_run(struct lat_run *r)
{
    weft_attr_t hi;
    weft_attr_init(&hi);
    weft_attr_setpriority(&hi, WEFT_PRIO_MAX);
    atomic_store(&lat_done, 0);
    join(spawn(lat_sleeper, r, &hi));
    double sum = 0;
    for (int i = 0; i < LAT_SAMPLES; i++)
        sum += r->v[i];
    qsort(r->v, LAT_SAMPLES, sizeof *r->v, cmp_double);
    return sum;
}

static int bench_preempt_latency(void)
{
    static struct lat_run base, spin;
    spin.with_spinner = 1;
    lat_run(&base);
    double sum = lat_run(&spin);
    weft_stats_t st;
    weft_stats(WEFT_STATS_ALL, &st);
    char extra[256];
    snprintf(extra, sizeof extra,
             "p50_ns=%.0f p99_ns=%.0f max_ns=%.0f base_p50_ns=%.0f base_p99_ns=%.0f "
             "base_max_ns=%.0f preemptions=%llu",
             spin.v[LAT_SAMPLES / 2], spin.v[LAT_SAMPLES * 99 / 100], spin.v[LAT_SAMPLES - 1],
             base.v[LAT_SAMPLES / 2], base.v[LAT_SAMPLES * 99 / 100], base.v[LAT_SAMPLES - 1],
             (unsigned long long)st.preemptions);
    report("preempt_latency", IMPL, LAT_SAMPLES, sum, extra);
    return 0;
}

/* ---- spawn_tree: fib(n) with one spawned thread per call ---- */
struct fib_arg {
    int n;
    long r;
};

static long fib(int n);

static void *fib_thread(void *p)
{
    struct fib_arg *a = p;
    a->r = fib(a->n);
    return NULL;
}

static long fib(int n)
{
    if (n < 2)
        return n;
    struct fib_arg a = {n - 1, 0};
    weft_t t = spawn(fib_thread, &a, NULL);
    long y = fib(n - 2);
    join(t);
    return a.r + y;
}

static int bench_spawn_tree(int n)
{
    long reps = 0, r;
    double t0 = now_ns(), el;
    do { /* small trees take ~1 ms: repeat them to average out noise */
        if ((r = fib(n)) != fib_seq(n)) {
            fprintf(stderr, "spawn_tree: fib(%d) = %ld, expected %ld\n", n, r, fib_seq(n));
            return 1;
        }
        reps++;
    } while ((el = now_ns() - t0) < SPAWN_TREE_MIN_NS);
    report(bench_name("spawn_tree", "n", n), IMPL, reps * spawn_tree_count(n), el, NULL);
    return 0;
}

/* ---- main: run the chosen bench in a weft thread ---- */
struct job {
    const char *bench;
    long p;
    int rc;
};

static void *bench_thread(void *arg)
{
    struct job *j = arg;
    const char *b = j->bench;
    if (weft_vcpu_self() < 0) {
        fprintf(stderr, "weft bench: bench thread is not on a vCPU\n");
        j->rc = 1;
    } else if (!strcmp(b, "switch"))
        j->rc = bench_switch();
    else if (!strcmp(b, "create_join"))
        j->rc = bench_create_join();
    else if (!strcmp(b, "create_join_batch"))
        j->rc = bench_create_join_batch();
    else if (!strcmp(b, "pingpong"))
        j->rc = bench_pingpong();
    else if (!strcmp(b, "mutex"))
        j->rc = bench_mutex(j->p);
    else if (!strcmp(b, "many"))
        j->rc = bench_many(j->p, 0);
    else if (!strcmp(b, "many_small"))
        j->rc = bench_many(j->p, 1);
    else if (!strcmp(b, "spawn_tree"))
        j->rc = bench_spawn_tree((int)j->p);
    else if (!strcmp(b, "preempt_cpu"))
        j->rc = bench_preempt_cpu(j->p);
    else if (!strcmp(b, "preempt_latency"))
        j->rc = bench_preempt_latency();
    return NULL;
}

int main(int argc, char **argv)
{
    static const char *const with_param[] = {"mutex", "many", "many_small", "spawn_tree"};
    static const char *const without[] = {"switch", "create_join", "create_join_batch", "pingpong",
                                          "preempt_cpu", "preempt_latency"};
    struct job job = {argc > 1 ? argv[1] : "", argc > 2 ? atol(argv[2]) : 0, 0};
    int known = 0, rc;

    for (size_t i = 0; i < sizeof without / sizeof *without; i++)
        known |= !strcmp(job.bench, without[i]);
    for (size_t i = 0; i < sizeof with_param / sizeof *with_param; i++)
        known |= !strcmp(job.bench, with_param[i]) && job.p > 0;
    if (!known || (!strcmp(job.bench, "spawn_tree") && job.p > 60))
        DIE_USAGE(argv[0]);

    const char *tls = getenv("WEFT_TLS");
    if (tls && (!strcmp(tls, "own") || !strcmp(tls, "1")))
        IMPL = "weft-tls";
    const char *pre = getenv("WEFT_PREEMPT");
    if (pre && !strcmp(pre, "0"))
        IMPL = "weft-nopreempt";
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!strcmp(job.bench, "switch") || !strcmp(job.bench, "preempt_latency"))
        cfg.nvcpus = 1;
    if ((rc = weft_init(&cfg)))
        die("weft_init", rc);

    weft_t t;
    if ((rc = weft_create(&t, NULL, bench_thread, &job)))
        die("weft_create (bench thread)", rc);
    if ((rc = weft_join(t, NULL)))
        die("weft_join (bench thread)", rc);
    return job.rc;
}
