/* test-sem.c - counting semaphores: values, errors, all-zero objects,
 * waking, ping-pong, contention across vCPUs, timed waits on both clocks
 * (also racing posts: no unit lost).
 *
 * Knobs: iterations=<n>, threads=<n>. */
#include "runner.h"

WT_TEST(values_and_errors)
{
    weft_sem_t s;
    int v = -1;
    WT_ERR(weft_sem_init(&s, WEFT_SEM_VALUE_MAX + 1u), EINVAL);
    WT_ERR(weft_sem_init(&s, ~0u), EINVAL);
    WT_OK(weft_sem_init(&s, 3));
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, 3);
    WT_OK(weft_sem_trywait(&s));
    WT_OK(weft_sem_wait(&s));
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, 1);
    WT_OK(weft_sem_trywait(&s));
    WT_ERR(weft_sem_trywait(&s), EAGAIN);
    WT_ERR(weft_sem_trywait(&s), EAGAIN);
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, 0);
    WT_OK(weft_sem_post(&s));
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, 1);
    WT_OK(weft_sem_destroy(&s));

    /* at the maximum */
    WT_OK(weft_sem_init(&s, WEFT_SEM_VALUE_MAX));
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, (int)WEFT_SEM_VALUE_MAX);
    WT_ERR(weft_sem_post(&s), EOVERFLOW);
    WT_OK(weft_sem_getvalue(&s, &v));
    WT_EQ(v, (int)WEFT_SEM_VALUE_MAX); /* unchanged */
    WT_OK(weft_sem_trywait(&s));
    WT_OK(weft_sem_post(&s));
    WT_ERR(weft_sem_post(&s), EOVERFLOW);
    WT_OK(weft_sem_destroy(&s));

    WT_OK(weft_sem_init(&s, 0));
    WT_OK(weft_sem_destroy(&s));
}

/* An all-zero object is a semaphore of value 0, without init. */
static weft_sem_t zero_static;
static weft_sem_t zero_static2;

static void *post_zero2(void *arg)
{
    weft_sleep(10 * WT_MS);
    WT_OK(weft_sem_post(&zero_static2));
    return arg;
}

WT_TEST(zero_object)
{
    int v = -1;
    WT_OK(weft_sem_getvalue(&zero_static, &v));
    WT_EQ(v, 0);
    WT_ERR(weft_sem_trywait(&zero_static), EAGAIN);
    WT_OK(weft_sem_post(&zero_static));
    WT_OK(weft_sem_getvalue(&zero_static, &v));
    WT_EQ(v, 1);
    WT_OK(weft_sem_wait(&zero_static));
    WT_ERR(weft_sem_trywait(&zero_static), EAGAIN);

    /* blocking on an all-zero object (never initialised, never touched) */
    weft_t t;
    WT_OK(weft_create(&t, NULL, post_zero2, NULL));
    WT_OK(weft_sem_wait(&zero_static2));
    WT_OK(weft_join(t, NULL));

    /* on the heap and on the stack */
    weft_sem_t *h = calloc(1, sizeof *h);
    WT_OK(weft_sem_post(h));
    WT_OK(weft_sem_wait(h));
    WT_OK(weft_sem_destroy(h));
    free(h);
    weft_sem_t st;
    memset(&st, 0, sizeof st);
    WT_ERR(weft_sem_trywait(&st), EAGAIN);
    WT_OK(weft_sem_destroy(&st));
}

/* ---- destroy with waiters ---- */
static weft_sem_t busy;
static atomic_int waiting, passed_busy;

static void *wait_busy(void *arg)
{
    atomic_fetch_add(&waiting, 1);
    WT_OK(weft_sem_wait(&busy));
    atomic_fetch_add(&passed_busy, 1);
    return arg;
}

WT_TEST(destroy_busy)
{
    enum { N = 3 };
    weft_t t[N];
    WT_OK(weft_sem_init(&busy, 0));
    atomic_store(&waiting, 0);
    atomic_store(&passed_busy, 0);
    for (int i = 0; i < N; i++)
        WT_OK(weft_create(&t[i], NULL, wait_busy, NULL));
    WT_WAIT_UNTIL(atomic_load(&waiting) == N, 10);
    weft_sleep(50 * WT_MS); /* from "about to wait" to waiting */
    WT_ERR(weft_sem_destroy(&busy), EBUSY);
    /* still a working semaphore */
    for (int i = 0; i < N - 1; i++)
        WT_OK(weft_sem_post(&busy));
    WT_WAIT_UNTIL(atomic_load(&passed_busy) == N - 1, 10);
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(&passed_busy), N - 1);
    WT_ERR(weft_sem_destroy(&busy), EBUSY); /* one still waits */
    WT_OK(weft_sem_post(&busy));
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    int v = -1;
    WT_OK(weft_sem_getvalue(&busy, &v));
    WT_EQ(v, 0);
    WT_OK(weft_sem_destroy(&busy));
}

/* ---- waking: each post wakes exactly one waiter ---- */
static weft_sem_t one_by_one;
static atomic_int woken;

static void *wait_count(void *arg)
{
    WT_OK(weft_sem_wait(&one_by_one));
    atomic_fetch_add(&woken, 1);
    return arg;
}

WT_TEST(post_wakes_one)
{
    enum { N = 10 };
    weft_t t[N];
    WT_OK(weft_sem_init(&one_by_one, 0));
    atomic_store(&woken, 0);
    for (int i = 0; i < N; i++)
        WT_OK(weft_create(&t[i], NULL, wait_count, NULL));
    weft_sleep(50 * WT_MS);
    WT_EQ(atomic_load(&woken), 0);
    for (int k = 1; k <= N; k++) {
        WT_OK(weft_sem_post(&one_by_one));
        WT_WAIT_UNTIL(atomic_load(&woken) >= k, 10);
        weft_sleep(5 * WT_MS);
        WT_EQ(atomic_load(&woken), k);
    }
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_OK(weft_sem_destroy(&one_by_one));
}

/* ---- ping-pong ---- */
static weft_sem_t ping, pong;
static long ball;

static void *pinger(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        WT_EQ(ball, 2 * i);
        ball++;
        WT_OK(weft_sem_post(&ping));
        WT_OK(weft_sem_wait(&pong));
    }
    return NULL;
}

static void *ponger(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        WT_OK(weft_sem_wait(&ping));
        WT_EQ(ball, 2 * i + 1);
        ball++;
        WT_OK(weft_sem_post(&pong));
    }
    return NULL;
}

WT_TEST(ping_pong)
{
    long n = (long)wt_knob("iterations", wt_scaled(100000));
    weft_t a, b;
    ball = 0;
    WT_OK(weft_sem_init(&ping, 0));
    WT_OK(weft_sem_init(&pong, 0));
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_create(&b, NULL, ponger, (void *)(intptr_t)n));
    WT_OK(weft_create(&a, NULL, pinger, (void *)(intptr_t)n));
    WT_OK(weft_join(a, NULL));
    WT_OK(weft_join(b, NULL));
    WT_EQ(ball, 2 * n);
    printf("  %ld round trips, %.0f ns each\n", n,
           (double)(wt_clock_ns() - t0) / (double)n);
}

/* ---- producers and consumers on all vCPUs ---- */
static weft_sem_t items;
static atomic_long produced, consumed;

static void *producer(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        WT_OK(weft_sem_post(&items));
        atomic_fetch_add(&produced, 1);
        if (i % 16 == 0)
            weft_yield();
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        if (i % 2 || weft_sem_trywait(&items) != 0)
            WT_OK(weft_sem_wait(&items));
        atomic_fetch_add(&consumed, 1);
    }
    return NULL;
}

WT_TEST(contention)
{
    int nt = (int)wt_knob("threads", 8);
    long n = (long)wt_knob("iterations", wt_scaled(50000));
    weft_t *p = calloc((size_t)nt, sizeof *p), *c = calloc((size_t)nt, sizeof *c);
    WT_OK(weft_sem_init(&items, 0));
    atomic_store(&produced, 0);
    atomic_store(&consumed, 0);
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&c[i], NULL, consumer, (void *)(intptr_t)n));
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&p[i], NULL, producer, (void *)(intptr_t)n));
    for (int i = 0; i < nt; i++) {
        WT_OK(weft_join(p[i], NULL));
        WT_OK(weft_join(c[i], NULL));
    }
    WT_EQ(atomic_load(&produced), nt * n);
    WT_EQ(atomic_load(&consumed), nt * n);
    int v = -1;
    WT_OK(weft_sem_getvalue(&items, &v));
    WT_EQ(v, 0);
    WT_OK(weft_sem_destroy(&items));
    free(p);
    free(c);
}

/* main (bound) waits, a weft thread posts, and the other way round */
static weft_sem_t to_main, to_thread;

static void *post_later(void *arg)
{
    weft_sleep(20 * WT_MS);
    WT_OK(weft_sem_post(&to_main));
    WT_OK(weft_sem_wait(&to_thread));
    return arg;
}

WT_TEST(bound_waiter)
{
    WT_OK(weft_sem_init(&to_main, 0));
    WT_OK(weft_sem_init(&to_thread, 0));
    weft_t t;
    WT_OK(weft_create(&t, NULL, post_later, NULL));
    WT_OK(weft_sem_wait(&to_main)); /* main blocks its host thread */
    weft_sleep(20 * WT_MS);
    WT_OK(weft_sem_post(&to_thread)); /* wakes the weft thread */
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_sem_destroy(&to_main));
    WT_OK(weft_sem_destroy(&to_thread));
}

/* ---- timed waits on both clocks ---- */
static weft_sem_t timed;

static struct timespec after(clockid_t clock, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u + t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    return ts;
}

static void *timed_case(void *arg)
{
    clockid_t clock = (clockid_t)(intptr_t)arg;
    const uint64_t d = 50 * WT_MS;
    uint64_t t0 = wt_clock_ns(); /* first: the deadline is then at least t0 + d */
    struct timespec ts = after(clock, d);
    if (clock == CLOCK_REALTIME)
        WT_ERR(weft_sem_timedwait(&timed, &ts), ETIMEDOUT);
    else
        WT_ERR(weft_sem_clockwait(&timed, clock, &ts), ETIMEDOUT);
    uint64_t waited = wt_clock_ns() - t0;
    WT_GE(waited, d - WT_MS / 2);
    WT_LT(waited, d + 2000 * WT_MS);
    ts = after(clock, 0);
    WT_ERR(weft_sem_clockwait(&timed, clock, &ts), ETIMEDOUT);
    ts.tv_sec = -1;
    WT_ERR(weft_sem_clockwait(&timed, clock, &ts), ETIMEDOUT);
    ts = after(clock, d);
    ts.tv_nsec = 1000000000;
    WT_ERR(weft_sem_clockwait(&timed, clock, &ts), EINVAL);
    WT_ERR(weft_sem_clockwait(&timed, clock, NULL), EINVAL);
    return NULL;
}

static void *post_soon(void *arg)
{
    weft_sleep(20 * WT_MS);
    WT_OK(weft_sem_post(&timed));
    return arg;
}

WT_TEST(timedwait)
{
    WT_OK(weft_sem_init(&timed, 0));
    for (int c = 0; c < 2; c++) {
        void *clock = (void *)(intptr_t)(c ? CLOCK_MONOTONIC : CLOCK_REALTIME);
        timed_case(clock); /* main: bound */
        weft_t t;
        WT_OK(weft_create(&t, NULL, timed_case, clock));
        WT_OK(weft_join(t, NULL));
    }
    struct timespec ts = after(CLOCK_MONOTONIC, WT_MS);
    WT_ERR(weft_sem_clockwait(&timed, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_ERR(weft_sem_clockwait(NULL, CLOCK_MONOTONIC, &ts), EINVAL);
    WT_ERR(weft_sem_timedwait(NULL, &ts), EINVAL);
    /* a unit is there: taken whatever the time says */
    WT_OK(weft_sem_post(&timed));
    ts.tv_nsec = -1;
    WT_OK(weft_sem_clockwait(&timed, CLOCK_MONOTONIC, &ts));
    /* posted in time */
    weft_t t;
    WT_OK(weft_create(&t, NULL, post_soon, NULL));
    ts = after(CLOCK_REALTIME, 5000 * WT_MS);
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_sem_timedwait(&timed, &ts));
    WT_LT(wt_clock_ns() - t0, 4000 * WT_MS);
    WT_OK(weft_join(t, NULL));
    int v = -1;
    WT_OK(weft_sem_getvalue(&timed, &v));
    WT_EQ(v, 0); /* no unit lost or made up by the timeouts */
    WT_OK(weft_sem_destroy(&timed)); /* the timed-out waiters are gone */
}

/* Timed waiters racing posts: every unit goes to exactly one waiter. */
static weft_sem_t race;
static atomic_long race_got, race_timeouts;

static void *race_waiter(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        struct timespec ts = after(CLOCK_MONOTONIC, 50000 + (uint64_t)(i % 7) * 20000);
        int rc = weft_sem_clockwait(&race, CLOCK_MONOTONIC, &ts);
        if (rc == ETIMEDOUT)
            atomic_fetch_add(&race_timeouts, 1);
        else {
            WT_OK(rc);
            atomic_fetch_add(&race_got, 1);
        }
    }
    return NULL;
}

WT_TEST(timedwait_races_post)
{
    enum { NW = 6 };
    long n = (long)wt_knob("iterations", wt_scaled(3000));
    weft_t w[NW];
    WT_OK(weft_sem_init(&race, 0));
    for (int i = 0; i < NW; i++)
        WT_OK(weft_create(&w[i], NULL, race_waiter, (void *)(intptr_t)n));
    long posted = 0;
    for (long i = 0; i < NW * n / 2; i++) {
        WT_OK(weft_sem_post(&race));
        posted++;
        if (i % 4 == 0)
            weft_sleep(30000);
    }
    for (int i = 0; i < NW; i++)
        WT_OK(weft_join(w[i], NULL));
    int v = -1;
    WT_OK(weft_sem_getvalue(&race, &v));
    WT_EQ(atomic_load(&race_got) + v, posted);
    WT_EQ(atomic_load(&race_got) + atomic_load(&race_timeouts), NW * n);
    WT_OK(weft_sem_destroy(&race));
}

/* ---- interruption: sem waits are cancellation points; a suspended
 * timed waiter keeps its deadline ---- */
static weft_sem_t isem;

static void *sem_waiter(void *arg)
{
    if (arg) {
        struct timespec ts = after(CLOCK_MONOTONIC, (uint64_t)(uintptr_t)arg);
        return (void *)(intptr_t)weft_sem_clockwait(&isem, CLOCK_MONOTONIC, &ts);
    }
    return (void *)(intptr_t)weft_sem_wait(&isem);
}

WT_TEST(interrupted_waiters)
{
    weft_t t;
    void *r;
    WT_OK(weft_sem_init(&isem, 0));
    for (int timed = 0; timed < 2; timed++) {
        WT_OK(weft_create(&t, NULL, sem_waiter, timed ? (void *)(uintptr_t)(10000 * WT_MS) : NULL));
        WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &isem) == 1, 10);
        WT_OK(weft_cancel(t));
        WT_OK(weft_join(t, &r));
        WT_PTR_EQ(r, WEFT_CANCELED);
    }
    /* suspended: a post goes to nobody; resumed, it takes the unit */
    WT_OK(weft_create(&t, NULL, sem_waiter, NULL));
    WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &isem) == 1, 10);
    WT_OK(weft_suspend(t));
    WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &isem) == 0, 10);
    WT_OK(weft_sem_post(&isem));
    weft_sleep(10 * WT_MS);
    int v = -1;
    WT_OK(weft_sem_getvalue(&isem, &v));
    WT_EQ(v, 1);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, 0);
    WT_OK(weft_sem_getvalue(&isem, &v));
    WT_EQ(v, 0);
    /* a timed waiter suspended past part of its time keeps its deadline */
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_create(&t, NULL, sem_waiter, (void *)(uintptr_t)(150 * WT_MS)));
    WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &isem) == 1, 10);
    WT_OK(weft_suspend(t));
    weft_sleep(100 * WT_MS);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, &r));
    uint64_t took = wt_clock_ns() - t0;
    WT_ERR((intptr_t)r, ETIMEDOUT);
    WT_GE(took, 150 * WT_MS - WT_MS);
    WT_LT(took, 240 * WT_MS);
    WT_OK(weft_sem_destroy(&isem));
}

WT_MAIN(WT_ENTRY(values_and_errors, 0, 60),
        WT_ENTRY(zero_object, 0, 60),
        WT_ENTRY(destroy_busy, 0, 60),
        WT_ENTRY(post_wakes_one, 0, 60),
        WT_ENTRY(ping_pong, 0, 60),
        WT_ENTRY(contention, 0, 120),
        WT_ENTRY(bound_waiter, 0, 60),
        WT_ENTRY(timedwait, 0, 60),
        WT_ENTRY(timedwait_races_post, 0, 60),
        WT_ENTRY(interrupted_waiters, 0, 60))
