/* test-barrier.c - barriers: errors, one serial thread per generation
 * across many generations on 1 and 2 vCPUs, destroy while threads wait,
 * the wait channel, foreign host threads taking part.
 *
 * Knobs: threads=<n>, generations=<n>. */
#include "runner.h"

WT_TEST(errors)
{
    weft_barrier_t b;
    static weft_barrier_t zero;
    WT_ERR(weft_barrier_init(&b, 0), EINVAL);
    WT_ERR(weft_barrier_init(&b, WEFT_BARRIER_MAX + 1u), EINVAL);
    WT_ERR(weft_barrier_init(NULL, 1), EINVAL);
    WT_ERR(weft_barrier_wait(NULL), EINVAL);
    WT_ERR(weft_barrier_destroy(NULL), EINVAL);
    WT_ERR(weft_barrier_wait(&zero), EINVAL); /* never initialised */
    WT_OK(weft_barrier_init(&b, WEFT_BARRIER_MAX));
    WT_OK(weft_barrier_destroy(&b));
    /* a barrier of one: every wait is its own generation */
    WT_OK(weft_barrier_init(&b, 1));
    for (int i = 0; i < 5; i++)
        WT_EQ(weft_barrier_wait(&b), WEFT_BARRIER_SERIAL_THREAD);
    WT_OK(weft_barrier_destroy(&b));
}

/* ---- generations ---- */
static weft_barrier_t bar;
static int nthreads;
static long ngen;
static atomic_int *arrivals, *serials;

static void *participant(void *arg)
{
    (void)arg;
    for (long g = 0; g < ngen; g++) {
        atomic_fetch_add(&arrivals[g], 1);
        int rc = weft_barrier_wait(&bar);
        if (rc == WEFT_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serials[g], 1);
        else
            WT_OK(rc);
        /* nobody leaves a generation before all have arrived */
        WT_EQ(atomic_load(&arrivals[g]), nthreads);
        if (g % 16 == 0)
            weft_yield();
    }
    return NULL;
}

static void *host_participant(void *arg)
{
    return participant(arg);
}

static void generations(int nvcpus, int nhost)
{
    nthreads = (int)wt_knob("threads", 9);
    ngen = (long)wt_knob("generations", wt_scaled(5000));
    if (nhost)
        ngen = ngen / 10 + 1; /* host threads park in the kernel: slower */
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    arrivals = calloc((size_t)ngen, sizeof *arrivals);
    serials = calloc((size_t)ngen, sizeof *serials);
    WT_OK(weft_barrier_init(&bar, (unsigned)nthreads));
    weft_t *t = calloc((size_t)nthreads, sizeof *t);
    pthread_t *h = calloc((size_t)nthreads, sizeof *h);
    for (int i = 0; i < nthreads; i++) {
        if (i < nhost)
            WT_EQ(pthread_create(&h[i], NULL, host_participant, NULL), 0);
        else
            WT_OK(weft_create(&t[i], NULL, participant, NULL));
    }
    for (int i = 0; i < nthreads; i++) {
        if (i < nhost)
            WT_EQ(pthread_join(h[i], NULL), 0);
        else
            WT_OK(weft_join(t[i], NULL));
    }
    for (long g = 0; g < ngen; g++) {
        WT_EQ(atomic_load(&arrivals[g]), nthreads);
        if (atomic_load(&serials[g]) != 1)
            WT_ASSERTF(0, "generation %ld had %d serial threads", g, atomic_load(&serials[g]));
    }
    WT_OK(weft_barrier_destroy(&bar));
    printf("  %d threads (%d host), %ld generations\n", nthreads, nhost, ngen);
    free(arrivals);
    free(serials);
    free(t);
    free(h);
}

WT_TEST(generations_1vcpu)
{
    generations(1, 0);
}

WT_TEST(generations_2vcpu)
{
    generations(2, 0);
}

WT_TEST(foreign_threads)
{
    generations(2, 3);
}

/* White box: the arrival counter (barrier.c) is the last 32-bit word and
 * wraps at the largest multiple of count below 2^32. Start it a little
 * before that and cross it: still one serial thread per generation. */
WT_TEST(counter_wrap)
{
    static const unsigned counts[] = {2, 3, 7};
    for (int k = 0; k < 3; k++) {
        nthreads = (int)counts[k];
        ngen = 6;
        arrivals = calloc((size_t)ngen, sizeof *arrivals);
        serials = calloc((size_t)ngen, sizeof *serials);
        WT_OK(weft_barrier_init(&bar, counts[k]));
        uint32_t *ticket = (uint32_t *)&bar + 7;
        WT_EQ(*ticket, 0);
        uint32_t wrap = UINT32_MAX / counts[k] * counts[k];
        *ticket = wrap - 3 * counts[k];
        weft_t t[8];
        for (int i = 0; i < nthreads; i++)
            WT_OK(weft_create(&t[i], NULL, participant, NULL));
        for (int i = 0; i < nthreads; i++)
            WT_OK(weft_join(t[i], NULL));
        for (long g = 0; g < ngen; g++)
            WT_EQ(atomic_load(&serials[g]), 1);
        WT_EQ(*ticket, 3 * counts[k]); /* wrapped to 0, then 3 generations */
        WT_OK(weft_barrier_destroy(&bar));
        free(arrivals);
        free(serials);
    }
}

/* ---- destroy while waited at; the wait channel ---- */
static weft_barrier_t small;
static atomic_int in_small;

static void *wait_small(void *arg)
{
    (void)arg;
    atomic_fetch_add(&in_small, 1);
    int rc = weft_barrier_wait(&small);
    WT_ASSERT(rc == 0 || rc == WEFT_BARRIER_SERIAL_THREAD);
    return (void *)(intptr_t)rc;
}

WT_TEST(destroy_busy_and_wait_channel)
{
    enum { N = 4 };
    weft_t t[N - 1];
    WT_OK(weft_barrier_init(&small, N));
    for (int i = 0; i < N - 1; i++)
        WT_OK(weft_create(&t[i], NULL, wait_small, NULL));
    WT_WAIT_UNTIL(atomic_load(&in_small) == N - 1, 10);
    weft_sleep(20 * WT_MS);
    WT_ERR(weft_barrier_destroy(&small), EBUSY);
    char want[64];
    snprintf(want, sizeof want, "barrier(%p)", (void *)&small);
    char *d = wt_dump_string();
    WT_CONTAINS(d, want);
    free(d);
    WT_EQ(weft_barrier_wait(&small), WEFT_BARRIER_SERIAL_THREAD); /* the last */
    for (int i = 0; i < N - 1; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((intptr_t)r, 0);
    }
    WT_OK(weft_barrier_destroy(&small));
}

/* ---- a waiter suspended while its generation trips ---- */
static int waiting_at(const weft_barrier_t *b)
{
    char want[64];
    snprintf(want, sizeof want, "barrier(%p)", (const void *)b);
    char *d = wt_dump_string();
    int n = 0;
    for (const char *p = d; (p = strstr(p, want)); p += strlen(want))
        n++;
    free(d);
    return n;
}

WT_TEST(suspended_waiter)
{
    enum { N = 3 };
    weft_t t[N - 1];
    WT_OK(weft_barrier_init(&small, N));
    atomic_store(&in_small, 0);
    WT_OK(weft_create(&t[0], NULL, wait_small, NULL));
    WT_WAIT_UNTIL(waiting_at(&small) == 1, 10);
    WT_OK(weft_suspend(t[0]));  /* off the queue, still counted as arrived */
    WT_WAIT_UNTIL(waiting_at(&small) == 0, 10);
    WT_ERR(weft_barrier_destroy(&small), EBUSY);
    WT_OK(weft_create(&t[1], NULL, wait_small, NULL));
    WT_WAIT_UNTIL(waiting_at(&small) == 1, 10);
    WT_EQ(weft_barrier_wait(&small), WEFT_BARRIER_SERIAL_THREAD); /* trips */
    void *r;
    WT_OK(weft_join(t[1], &r));
    WT_EQ((intptr_t)r, 0);
    WT_OK(weft_resume(t[0])); /* its generation is over: it returns */
    WT_OK(weft_join(t[0], &r));
    WT_EQ((intptr_t)r, 0);
    WT_OK(weft_barrier_destroy(&small));
}

WT_MAIN(WT_ENTRY(errors, 0, 60),
        WT_ENTRY(counter_wrap, 0, 60),
        WT_ENTRY(destroy_busy_and_wait_channel, 0, 60),
        WT_ENTRY(suspended_waiter, 0, 60),
        WT_ENTRY(generations_1vcpu, WT_FRESH, 120),
        WT_ENTRY(generations_2vcpu, WT_FRESH, 120),
        WT_ENTRY(foreign_threads, WT_FRESH, 120))
