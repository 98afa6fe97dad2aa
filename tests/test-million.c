/* test-million.c - big counts: a million sequential create+join, and a
 * hundred thousand threads blocked at once.
 *
 * Knobs: count=<n> (overrides the scaled default), vcpus=<n> (0: default). */
#include "runner.h"

static void *ret_arg(void *arg) { return arg; }

static void *create_join_loop(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        weft_t t;
        void *r;
        int rc = weft_create(&t, NULL, ret_arg, (void *)(intptr_t)i);
        if (rc != 0)
            wt_fail(__FILE__, __LINE__, "weft_create #%ld returned %d (%s)",
                    i, rc, wt_errname(rc));
        rc = weft_join(t, &r);
        if (rc != 0 || (intptr_t)r != i)
            wt_fail(__FILE__, __LINE__,
                    "weft_join #%ld returned %d (%s), result %ld", i, rc,
                    wt_errname(rc), (long)(intptr_t)r);
    }
    return (void *)(intptr_t)n;
}

WT_TEST(create_join_1m)
{
    long n = (long)wt_knob("count", wt_scaled(1000000));
    if (wt_knob("vcpus", 0) > 0)
        wt_start((int)wt_knob("vcpus", 0), WEFT_DEADLOCK_ABORT);
    weft_t t;
    void *r;
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_create(&t, NULL, create_join_loop, (void *)(intptr_t)n));
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, n);
    double s = (double)(wt_clock_ns() - t0) / 1e9;
    printf("  %ld create+join in %.2f s (%.0f ns each)\n", n, s, s * 1e9 / n);
}

/* ---- many blocked at once ---- */
static weft_sem_t shared_sem;
static atomic_long arrived, passed;
static unsigned char *ran;

static void *block_once(void *arg)
{
    long i = (long)(intptr_t)arg;
    atomic_fetch_add(&arrived, 1);
    WT_OK(weft_sem_wait(&shared_sem));
    ran[i]++; /* each thread owns its byte */
    atomic_fetch_add(&passed, 1);
    return (void *)(intptr_t)(i + 1);
}

WT_TEST(blocked_100k)
{
    long n = (long)wt_knob("count", wt_scaled(100000));
#ifdef __SANITIZE_THREAD__
    /* ThreadSanitizer dies past 8128 live threads (weft's threads are its
     * fibers): stay under that. */
    if (n > 8000) {
        printf("  ThreadSanitizer: %ld threads instead of %ld\n", 8000L, n);
        n = 8000;
    }
#endif
    if (wt_knob("vcpus", 0) > 0)
        wt_start((int)wt_knob("vcpus", 0), WEFT_DEADLOCK_ABORT);
    weft_t *t = calloc((size_t)n, sizeof *t);
    ran = calloc((size_t)n, 1);
    WT_ASSERT(t && ran);
    atomic_store(&arrived, 0);
    atomic_store(&passed, 0);
    WT_OK(weft_sem_init(&shared_sem, 0));
    uint64_t t0 = wt_clock_ns();
    for (long i = 0; i < n; i++) {
        int rc = weft_create(&t[i], NULL, block_once, (void *)(intptr_t)i);
        if (rc != 0)
            wt_fail(__FILE__, __LINE__,
                    "weft_create #%ld of %ld returned %d (%s)", i, n, rc,
                    wt_errname(rc));
    }
    uint64_t t1 = wt_clock_ns();
    /* every thread reached the semaphore; none got past it */
    WT_WAIT_UNTIL(atomic_load(&arrived) == n, 120);
    weft_sleep(50 * WT_MS);
    WT_EQ(atomic_load(&passed), 0);
    int v = -1;
    WT_OK(weft_sem_getvalue(&shared_sem, &v));
    WT_LE(v, 0);
    /* nothing left to run: all are blocked */
    for (int c = 0; c < weft_vcpu_count(); c++) {
        weft_vcpu_stats_t st;
        WT_OK(weft_vcpu_stats(c, &st));
        WT_LT(st.runnable, 16); /* at most the runtime's own threads */
    }
    uint64_t t2 = wt_clock_ns();
    for (long i = 0; i < n; i++)
        WT_OK(weft_sem_post(&shared_sem));
    for (long i = 0; i < n; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((intptr_t)r, i + 1);
    }
    uint64_t t3 = wt_clock_ns();
    WT_EQ(atomic_load(&passed), n);
    for (long i = 0; i < n; i++)
        if (ran[i] != 1)
            wt_fail(__FILE__, __LINE__, "thread %ld ran %d times", i, ran[i]);
    WT_OK(weft_sem_getvalue(&shared_sem, &v));
    WT_EQ(v, 0);
    WT_OK(weft_sem_destroy(&shared_sem));
    printf("  %ld threads: create %.2f s, all blocked %.2f s, "
           "release+join %.2f s\n", n, (double)(t1 - t0) / 1e9,
           (double)(t2 - t1) / 1e9, (double)(t3 - t2) / 1e9);
    free(t);
    free(ran);
}

WT_MAIN(WT_ENTRY(create_join_1m, 0, 600),
        WT_ENTRY(blocked_100k, 0, 600))
