/* test-sleep.c - timers: sleepers wake in deadline order and never early,
 * weft_nanosleep's errors and rem, a bound thread sleeps, sleepers leave
 * the vCPU free.
 *
 * Knobs: threads=<n>, seed=<n>. */
#include "runner.h"

#include <limits.h>

/* ---- order and lateness ---- */
#define STEP_MS 2 /* deadlines differ by multiples of this */

struct sleeper {
    uint64_t deadline; /* absolute, weft_now() ns */
    int started_late;  /* it began after its deadline: did not sleep */
    uint64_t woke;     /* weft_now() after the sleep */
    long order;        /* position in the wake order */
};

static atomic_long wake_seq;
static uint64_t base_ns;

static void *sleep_until(void *arg)
{
    struct sleeper *s = arg;
    uint64_t now = weft_now();
    uint64_t rel = s->deadline > now ? s->deadline - now : 0;
    s->started_late = rel == 0;
    WT_OK(weft_sleep(rel));
    s->woke = weft_now();
    s->order = atomic_fetch_add(&wake_seq, 1);
    return NULL;
}

/* tol_ms: inversions between deadlines closer than this are forgiven. */
static void wake_order_body(int nvcpus, uint64_t tol_ms)
{
    int n = (int)wt_knob("threads", 300);
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    uint64_t seed = (uint64_t)wt_knob("seed", (long long)wt_clock_ns());
    printf("  seed=%" PRIu64 " threads=%d vcpus=%d tolerance=%" PRIu64 " ms\n",
           seed, n, nvcpus, tol_ms);
    struct sleeper *s = calloc((size_t)n, sizeof *s);
    weft_t *t = calloc((size_t)n, sizeof *t);
    /* deadlines: base + k * STEP_MS, k random in [0, 100): many equal ones,
     * the rest at least STEP_MS apart. base leaves every thread time to
     * start before its deadline; when some did not (a slow, loaded or
     * sanitized build), try again with more. */
    for (uint64_t margin = 50;; margin *= 4) {
        atomic_store(&wake_seq, 0);
        memset(s, 0, sizeof *s * (size_t)n);
        base_ns = weft_now() + margin * WT_MS;
        for (int i = 0; i < n; i++)
            s[i].deadline = base_ns + wt_rand_below(&seed, 100) * STEP_MS * WT_MS;
        for (int i = 0; i < n; i++)
            WT_OK(weft_create(&t[i], NULL, sleep_until, &s[i]));
        for (int i = 0; i < n; i++)
            WT_OK(weft_join(t[i], NULL));
        int late = 0;
        for (int i = 0; i < n; i++)
            late += s[i].started_late;
        if (!late)
            break;
        printf("  %d threads started after their deadline (margin %" PRIu64
               " ms)\n", late, margin);
        if (margin >= 3200)
            wt_fail(__FILE__, __LINE__, "threads still start too late");
    }
    uint64_t maxlate = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].woke < s[i].deadline)
            wt_fail(__FILE__, __LINE__,
                    "thread %d woke %.3f ms early (deadline +%.3f ms)", i,
                    (double)(s[i].deadline - s[i].woke) / 1e6,
                    (double)(s[i].deadline - base_ns) / 1e6);
        if (s[i].woke - s[i].deadline > maxlate)
            maxlate = s[i].woke - s[i].deadline;
    }
    printf("  latest wake: %.3f ms after its deadline\n", (double)maxlate / 1e6);
    WT_LT(maxlate, 1000 * WT_MS); /* sanity only */
    /* order: an earlier deadline wakes first; equal deadlines in any order */
    long inversions = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (s[i].deadline + tol_ms * WT_MS < s[j].deadline &&
                s[i].order > s[j].order) {
                if (inversions++ < 5)
                    fprintf(stderr,
                            "  thread %d (deadline +%" PRIu64 " ms, woke +%.3f"
                            " ms) woke after thread %d (deadline +%" PRIu64
                            " ms, woke +%.3f ms)\n", i,
                            (uint64_t)((s[i].deadline - base_ns) / WT_MS),
                            (double)(s[i].woke - base_ns) / 1e6, j,
                            (uint64_t)((s[j].deadline - base_ns) / WT_MS),
                            (double)(s[j].woke - base_ns) / 1e6);
            }
    WT_EQ(inversions, 0);
    free(s);
    free(t);
}

/* One vCPU: one timer queue, one run queue: the order is exact while the
 * host runs the vCPU at least every other tick. When it does not, the
 * timer daemon runs the vCPU's due timers itself (daemon.c) and races the
 * vCPU's own poll, which can invert deadlines close together; sanitized
 * builds (WEFT_TEST_SCALE > 1) starve it that long under a parallel ctest,
 * so there the tolerance of the two-vCPU case applies. */
WT_TEST(wake_order)
{
    wake_order_body(1, wt_scale() > 1 ? (uint64_t)(20 * wt_scale()) : 0);
}

/* Two vCPUs: each has its own timers, and the host may run one of them
 * late (another process on the machine), so sleepers of different vCPUs
 * whose deadlines are close can wake in either order. Deadlines further
 * apart than `tol` ms (default 20) must still wake in order. */
WT_TEST(wake_order_2vcpu)
{
    /* Sanitized and valgrind builds (WEFT_TEST_SCALE) run their host
     * threads late by more: scale the tolerance with them. */
    wake_order_body(2, (uint64_t)wt_knob("tol", 20 * wt_scale()));
}

/* ---- simple cases ---- */
static void *sleep_zero(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        WT_OK(weft_sleep(0));
    return (void *)1;
}

WT_TEST(sleep_zero)
{
    weft_t t;
    void *r;
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_sleep(0)); /* main */
    WT_OK(weft_create(&t, NULL, sleep_zero, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    WT_LT(wt_clock_ns() - t0, 2000 * WT_MS);
}

static void *nanosleep_checks(void *arg)
{
    (void)arg;
    struct timespec req, rem;
    req.tv_sec = 0;
    req.tv_nsec = 1000000000;
    WT_ERR(weft_nanosleep(&req, NULL), EINVAL);
    req.tv_nsec = -1;
    WT_ERR(weft_nanosleep(&req, NULL), EINVAL);
    req.tv_nsec = LONG_MAX;
    WT_ERR(weft_nanosleep(&req, NULL), EINVAL);
    req.tv_sec = -1;
    req.tv_nsec = 0;
    WT_ERR(weft_nanosleep(&req, &rem), EINVAL);
    WT_ERR(weft_nanosleep(NULL, NULL), EINVAL);

    /* a good one: sleeps at least req, rem comes back zero */
    req.tv_sec = 0;
    req.tv_nsec = 20 * WT_MS;
    rem.tv_sec = 12345;
    rem.tv_nsec = 6789;
    uint64_t t0 = weft_now();
    WT_OK(weft_nanosleep(&req, &rem));
    WT_GE(weft_now() - t0, 20 * WT_MS);
    WT_EQ(rem.tv_sec, 0);
    WT_EQ(rem.tv_nsec, 0);
    req.tv_nsec = 999999999; /* the largest valid tv_nsec */
    req.tv_sec = 0;
    t0 = weft_now();
    WT_OK(weft_nanosleep(&req, NULL));
    WT_GE(weft_now() - t0, 999999999ull);
    req.tv_nsec = 0; /* zero: returns */
    WT_OK(weft_nanosleep(&req, &rem));
    return (void *)1;
}

WT_TEST(nanosleep)
{
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, nanosleep_checks, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    /* and from main */
    nanosleep_checks(NULL);
}

WT_TEST(now_monotonic)
{
    uint64_t a = weft_now(), h0 = wt_clock_ns();
    for (int i = 0; i < 100000; i++) {
        uint64_t b = weft_now();
        WT_GE(b, a);
        a = b;
    }
    /* weft_now is CLOCK_MONOTONIC: close to the host's reading */
    uint64_t w = weft_now(), h = wt_clock_ns();
    uint64_t d = w > h ? w - h : h - w;
    WT_LT(d, 50 * WT_MS);
    WT_GE(h, h0);
}

WT_TEST(bound_sleep)
{
    /* main is a bound thread: its sleep blocks its host thread */
    uint64_t w0 = weft_now(), h0 = wt_clock_ns();
    WT_OK(weft_sleep(50 * WT_MS));
    uint64_t w1 = weft_now(), h1 = wt_clock_ns();
    WT_GE(w1 - w0, 50 * WT_MS);
    WT_GE(h1 - h0, 50 * WT_MS);
    struct timespec req = {0, 30 * WT_MS}, rem = {1, 1};
    WT_OK(weft_nanosleep(&req, &rem));
    WT_GE(wt_clock_ns() - h1, 30 * WT_MS);
    WT_EQ(rem.tv_sec, 0);
    WT_EQ(rem.tv_nsec, 0);
}

/* ---- sleepers leave the vCPU free ---- */
static atomic_long sleepers_woken, sleepers_asleep;
static atomic_int worker_done;
static weft_sem_t sleepers_go;
static uint64_t sleepers_wake_at;

static void *long_sleeper(void *arg)
{
    (void)arg;
    /* start sleeping only once all are created (creation may be slow) */
    WT_OK(weft_sem_wait(&sleepers_go));
    uint64_t now = weft_now();
    atomic_fetch_add(&sleepers_asleep, 1);
    WT_OK(weft_sleep(sleepers_wake_at > now ? sleepers_wake_at - now : 0));
    atomic_fetch_add(&sleepers_woken, 1);
    return NULL;
}

static void *worker(void *arg)
{
    long *progress = arg;
    uint64_t end = weft_now() + 200 * WT_MS;
    while (weft_now() < end) {
        (*progress)++;
        if (*progress % 64 == 0)
            weft_yield();
    }
    WT_EQ(atomic_load(&sleepers_woken), 0);
    atomic_store(&worker_done, 1);
    return NULL;
}

WT_TEST(sleepers_free_vcpu)
{
    int n = (int)wt_knob("threads", 1000);
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t *t = calloc((size_t)n, sizeof *t);
    long progress = 0;
    WT_OK(weft_sem_init(&sleepers_go, 0));
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], NULL, long_sleeper, NULL));
    sleepers_wake_at = weft_now() + 1000 * WT_MS;
    for (int i = 0; i < n; i++)
        WT_OK(weft_sem_post(&sleepers_go));
    WT_WAIT_UNTIL(atomic_load(&sleepers_asleep) == n, 10);
    weft_t w;
    WT_OK(weft_create(&w, NULL, worker, &progress));
    WT_OK(weft_join(w, NULL));
    uint64_t t1 = weft_now();
    WT_EQ(atomic_load(&worker_done), 1);
    /* the worker finished while every sleeper still slept */
    WT_LT(t1, sleepers_wake_at);
    WT_EQ(atomic_load(&sleepers_woken), 0);
    WT_GT(progress, 1000);
    printf("  worker: %ld steps in 200 ms beside %d sleepers\n", progress, n);
    for (int i = 0; i < n; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(atomic_load(&sleepers_woken), n);
    WT_GE(weft_now(), sleepers_wake_at);
    free(t);
}

WT_MAIN(WT_ENTRY(wake_order, WT_FRESH, 60),
        WT_ENTRY(wake_order_2vcpu, WT_FRESH, 60),
        WT_ENTRY(sleep_zero, 0, 60),
        WT_ENTRY(nanosleep, 0, 60),
        WT_ENTRY(now_monotonic, 0, 60),
        WT_ENTRY(bound_sleep, 0, 60),
        WT_ENTRY(sleepers_free_vcpu, WT_FRESH, 60))
