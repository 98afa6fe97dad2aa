/* test-mutex.c - mutexes: the three types and every error, all-zero
 * objects, timeouts on both clocks (weft and bound waiters), wait
 * channels, destroy while busy, contention on 1 and 2 vCPUs, foreign host
 * threads sharing a mutex with weft threads.
 *
 * Knobs: threads=<n>, iterations=<n>. */
#include "runner.h"

/* An absolute time ns from now on clock. */
static struct timespec after(clockid_t clock, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u + t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    return ts;
}

static void init_type(weft_mutex_t *m, int type)
{
    weft_mutexattr_t a;
    WT_OK(weft_mutexattr_init(&a));
    WT_OK(weft_mutexattr_settype(&a, type));
    WT_OK(weft_mutex_init(m, &a));
    WT_OK(weft_mutexattr_destroy(&a));
}

WT_TEST(attributes)
{
    weft_mutexattr_t a;
    int type = -1;
    WT_OK(weft_mutexattr_init(&a));
    WT_OK(weft_mutexattr_gettype(&a, &type));
    WT_EQ(type, WEFT_MUTEX_DEFAULT);
    WT_EQ(WEFT_MUTEX_DEFAULT, WEFT_MUTEX_NORMAL);
    WT_OK(weft_mutexattr_settype(&a, WEFT_MUTEX_RECURSIVE));
    WT_OK(weft_mutexattr_gettype(&a, &type));
    WT_EQ(type, WEFT_MUTEX_RECURSIVE);
    WT_OK(weft_mutexattr_settype(&a, WEFT_MUTEX_ERRORCHECK));
    WT_OK(weft_mutexattr_gettype(&a, &type));
    WT_EQ(type, WEFT_MUTEX_ERRORCHECK);
    WT_ERR(weft_mutexattr_settype(&a, 3), EINVAL);
    WT_ERR(weft_mutexattr_settype(&a, -1), EINVAL);
    WT_OK(weft_mutexattr_gettype(&a, &type));
    WT_EQ(type, WEFT_MUTEX_ERRORCHECK); /* unchanged */
    WT_ERR(weft_mutexattr_init(NULL), EINVAL);
    WT_ERR(weft_mutexattr_settype(NULL, 0), EINVAL);
    WT_ERR(weft_mutexattr_gettype(&a, NULL), EINVAL);
    WT_OK(weft_mutexattr_destroy(&a));

    weft_mutex_t m;
    a.type = 7; /* a corrupt attribute */
    WT_ERR(weft_mutex_init(&m, &a), EINVAL);
    WT_OK(weft_mutex_init(&m, NULL));
    WT_OK(weft_mutex_destroy(&m));
    WT_ERR(weft_mutex_init(NULL, NULL), EINVAL);
    WT_ERR(weft_mutex_lock(NULL), EINVAL);
    WT_ERR(weft_mutex_trylock(NULL), EINVAL);
    WT_ERR(weft_mutex_unlock(NULL), EINVAL);
    WT_ERR(weft_mutex_destroy(NULL), EINVAL);
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(weft_mutex_timedlock(NULL, &ts), EINVAL);
}

WT_TEST(normal_errors)
{
    weft_mutex_t m;
    WT_OK(weft_mutex_init(&m, NULL));
    WT_ERR(weft_mutex_unlock(&m), EPERM); /* not locked at all */
    WT_OK(weft_mutex_lock(&m));
    WT_ERR(weft_mutex_trylock(&m), EBUSY);
    WT_ERR(weft_mutex_destroy(&m), EBUSY);
    WT_OK(weft_mutex_unlock(&m));
    WT_ERR(weft_mutex_unlock(&m), EPERM);
    WT_OK(weft_mutex_trylock(&m));
    WT_OK(weft_mutex_unlock(&m));
    WT_OK(weft_mutex_destroy(&m));
}

WT_TEST(errorcheck_errors)
{
    weft_mutex_t m;
    init_type(&m, WEFT_MUTEX_ERRORCHECK);
    WT_ERR(weft_mutex_unlock(&m), EPERM);
    WT_OK(weft_mutex_lock(&m));
    WT_ERR(weft_mutex_lock(&m), EDEADLK);
    WT_ERR(weft_mutex_trylock(&m), EBUSY);
    struct timespec ts = after(CLOCK_MONOTONIC, 10 * WT_MS);
    WT_ERR(weft_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts), EDEADLK);
    ts = after(CLOCK_REALTIME, 10 * WT_MS);
    WT_ERR(weft_mutex_timedlock(&m, &ts), EDEADLK);
    WT_ERR(weft_mutex_destroy(&m), EBUSY);
    WT_OK(weft_mutex_unlock(&m));
    WT_ERR(weft_mutex_unlock(&m), EPERM);
    WT_OK(weft_mutex_trylock(&m));
    WT_OK(weft_mutex_unlock(&m));
    WT_OK(weft_mutex_destroy(&m));
}

WT_TEST(recursive_counts)
{
    weft_mutex_t m;
    init_type(&m, WEFT_MUTEX_RECURSIVE);
    WT_ERR(weft_mutex_unlock(&m), EPERM);
    WT_OK(weft_mutex_lock(&m));
    WT_OK(weft_mutex_lock(&m));
    WT_OK(weft_mutex_trylock(&m));
    struct timespec ts = after(CLOCK_MONOTONIC, 10 * WT_MS);
    WT_OK(weft_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts)); /* 4 deep */
    for (int i = 0; i < 3; i++) {
        WT_OK(weft_mutex_unlock(&m));
        WT_ERR(weft_mutex_destroy(&m), EBUSY); /* still held */
    }
    WT_OK(weft_mutex_unlock(&m));
    WT_ERR(weft_mutex_unlock(&m), EPERM);
    WT_OK(weft_mutex_destroy(&m));
}

/* White box: the recursion count is the second 32-bit word (mutex.h);
 * 2^32 real relocks would take half a minute. */
WT_TEST(recursive_overflow)
{
    weft_mutex_t m;
    init_type(&m, WEFT_MUTEX_RECURSIVE);
    WT_OK(weft_mutex_lock(&m));
    uint32_t *count = (uint32_t *)&m + 1;
    WT_EQ(*count, 0);
    WT_OK(weft_mutex_lock(&m));
    WT_EQ(*count, 1); /* it is the count */
    *count = UINT32_MAX - 1;
    WT_OK(weft_mutex_lock(&m));
    WT_ERR(weft_mutex_lock(&m), EAGAIN);
    WT_ERR(weft_mutex_trylock(&m), EAGAIN);
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(weft_mutex_timedlock(&m, &ts), EAGAIN);
    WT_OK(weft_mutex_unlock(&m));
    WT_OK(weft_mutex_lock(&m)); /* room for one again */
    *count = 0;
    WT_OK(weft_mutex_unlock(&m));
    WT_ERR(weft_mutex_unlock(&m), EPERM);
}

/* ---- another thread holds it ---- */
static weft_mutex_t held;
static weft_sem_t held_go, held_done;

static void *hold_it(void *arg)
{
    WT_OK(weft_mutex_lock(&held));
    WT_OK(weft_sem_post(&held_go));
    WT_OK(weft_sem_wait(&held_done));
    WT_OK(weft_mutex_unlock(&held));
    return arg;
}

static void start_holder(weft_t *t)
{
    WT_OK(weft_sem_init(&held_go, 0));
    WT_OK(weft_sem_init(&held_done, 0));
    WT_OK(weft_create(t, NULL, hold_it, NULL));
    WT_OK(weft_sem_wait(&held_go));
}

static void stop_holder(weft_t t)
{
    WT_OK(weft_sem_post(&held_done));
    WT_OK(weft_join(t, NULL));
}

WT_TEST(not_the_owner)
{
    static const int types[] = {WEFT_MUTEX_NORMAL, WEFT_MUTEX_RECURSIVE,
                                WEFT_MUTEX_ERRORCHECK};
    for (int i = 0; i < 3; i++) {
        weft_t t;
        init_type(&held, types[i]);
        start_holder(&t);
        WT_ERR(weft_mutex_trylock(&held), EBUSY);
        struct timespec ts = after(CLOCK_MONOTONIC, 0);
        WT_ERR(weft_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
        WT_ERR(weft_mutex_destroy(&held), EBUSY);
        if (types[i] != WEFT_MUTEX_NORMAL)
            WT_ERR(weft_mutex_unlock(&held), EPERM); /* checked owner */
        stop_holder(t);
        WT_OK(weft_mutex_lock(&held)); /* and it is free again */
        WT_OK(weft_mutex_unlock(&held));
        WT_OK(weft_mutex_destroy(&held));
    }
}

/* ---- all-zero objects ---- */
static weft_mutex_t zero_static = WEFT_MUTEX_INITIALIZER;
static long zero_counter;

static void *zero_worker(void *arg)
{
    for (int i = 0; i < 1000; i++) {
        WT_OK(weft_mutex_lock(&zero_static));
        zero_counter++;
        if (i % 64 == 0)
            weft_yield(); /* switch away holding it */
        WT_OK(weft_mutex_unlock(&zero_static));
    }
    return arg;
}

WT_TEST(zero_object)
{
    static const weft_mutex_t init = WEFT_MUTEX_INITIALIZER;
    for (size_t i = 0; i < sizeof init.opaque / sizeof init.opaque[0]; i++)
        WT_EQ(init.opaque[i], 0);
    weft_t t[4];
    for (int i = 0; i < 4; i++)
        WT_OK(weft_create(&t[i], NULL, zero_worker, NULL));
    for (int i = 0; i < 4; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(zero_counter, 4000);
    weft_mutex_t *h = calloc(1, sizeof *h);
    WT_OK(weft_mutex_trylock(h));
    WT_ERR(weft_mutex_trylock(h), EBUSY);
    WT_OK(weft_mutex_unlock(h));
    WT_OK(weft_mutex_destroy(h));
    free(h);
    WT_OK(weft_mutex_destroy(&zero_static));
}

/* ---- timeouts, both clocks, weft thread and bound thread ---- */
struct timed_arg {
    clockid_t clock;
    int realtime_call; /* weft_mutex_timedlock rather than clocklock */
    uint64_t waited;
};

static void timed_case(struct timed_arg *a)
{
    const uint64_t d = 50 * WT_MS;
    uint64_t t0 = wt_clock_ns(); /* first: the deadline is then at least t0 + d */
    struct timespec ts = after(a->clock, d);
    if (a->realtime_call)
        WT_ERR(weft_mutex_timedlock(&held, &ts), ETIMEDOUT);
    else
        WT_ERR(weft_mutex_clocklock(&held, a->clock, &ts), ETIMEDOUT);
    a->waited = wt_clock_ns() - t0;
    WT_GE(a->waited, d - WT_MS / 2); /* clock granularity: never early beyond */
    WT_LT(a->waited, d + 2000 * WT_MS);
    /* a time already passed: at once */
    ts = after(a->clock, 0);
    t0 = wt_clock_ns();
    WT_ERR(weft_mutex_clocklock(&held, a->clock, &ts), ETIMEDOUT);
    ts.tv_sec = -1;
    WT_ERR(weft_mutex_clocklock(&held, a->clock, &ts), ETIMEDOUT);
    WT_LT(wt_clock_ns() - t0, 1000 * WT_MS);
    /* malformed: EINVAL, since it would have to wait */
    ts = after(a->clock, d);
    ts.tv_nsec = 1000000000;
    WT_ERR(weft_mutex_clocklock(&held, a->clock, &ts), EINVAL);
    ts.tv_nsec = -1;
    WT_ERR(weft_mutex_clocklock(&held, a->clock, &ts), EINVAL);
    WT_ERR(weft_mutex_clocklock(&held, a->clock, NULL), EINVAL);
}

static void *timed_thread(void *p)
{
    timed_case(p);
    return NULL;
}

WT_TEST(timeouts)
{
    static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    weft_t h;
    WT_OK(weft_mutex_init(&held, NULL));
    start_holder(&h);
    for (int c = 0; c < 2; c++) {
        for (int rt = 0; rt < 2; rt++) {
            if (rt && clocks[c] != CLOCK_REALTIME)
                continue;
            struct timed_arg a = {clocks[c], rt, 0};
            timed_case(&a); /* main: a bound thread, futex deadline */
            weft_t t;
            WT_OK(weft_create(&t, NULL, timed_thread, &a)); /* weft timer */
            WT_OK(weft_join(t, NULL));
        }
    }
    struct timespec ts = after(CLOCK_MONOTONIC, WT_MS);
    WT_ERR(weft_mutex_clocklock(&held, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_ERR(weft_mutex_clocklock(&held, (clockid_t)99, &ts), EINVAL);
    stop_holder(h);
    /* free: taken at once whatever the time says */
    ts.tv_nsec = 2000000000;
    WT_OK(weft_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts));
    WT_OK(weft_mutex_unlock(&held));
    ts = after(CLOCK_REALTIME, 0);
    WT_OK(weft_mutex_timedlock(&held, &ts));
    WT_OK(weft_mutex_unlock(&held));
}

/* A timed lock that gets the mutex before its time. */
static void *release_soon(void *arg)
{
    weft_sleep(20 * WT_MS);
    WT_OK(weft_sem_post(&held_done));
    return arg;
}

static void *timed_gets_it(void *arg)
{
    struct timespec ts = after(CLOCK_MONOTONIC, 5000 * WT_MS);
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts));
    WT_LT(wt_clock_ns() - t0, 4000 * WT_MS);
    WT_OK(weft_mutex_unlock(&held));
    return arg;
}

WT_TEST(timedlock_succeeds)
{
    weft_t h, r, w;
    WT_OK(weft_mutex_init(&held, NULL));
    start_holder(&h);
    WT_OK(weft_create(&w, NULL, timed_gets_it, NULL));
    WT_OK(weft_create(&r, NULL, release_soon, NULL));
    WT_OK(weft_join(w, NULL));
    WT_OK(weft_join(r, NULL));
    WT_OK(weft_join(h, NULL));
    /* a bound thread too */
    start_holder(&h);
    WT_OK(weft_create(&r, NULL, release_soon, NULL));
    timed_gets_it(NULL);
    WT_OK(weft_join(r, NULL));
    WT_OK(weft_join(h, NULL));
    WT_OK(weft_mutex_destroy(&held));
}

/* ---- wait channel and destroy while waited for ---- */
static atomic_int waiter_in, waiter_done;

static void *wait_for_held(void *arg)
{
    atomic_fetch_add(&waiter_in, 1);
    WT_OK(weft_mutex_lock(&held));
    atomic_fetch_add(&waiter_done, 1);
    WT_OK(weft_mutex_unlock(&held));
    return arg;
}

WT_TEST(wait_channel_and_destroy_busy)
{
    weft_t t;
    WT_OK(weft_mutex_init(&held, NULL));
    WT_OK(weft_mutex_lock(&held)); /* main holds it */
    WT_OK(weft_create(&t, NULL, wait_for_held, NULL));
    WT_WAIT_UNTIL(atomic_load(&waiter_in) == 1, 10);
    weft_sleep(50 * WT_MS);
    char want[64];
    snprintf(want, sizeof want, "mutex(%p)", (void *)&held);
    char *dump = wt_dump_string();
    WT_CONTAINS(dump, want);
    free(dump);
    WT_OK(weft_mutex_unlock(&held));
    /* the waiter may not have run yet: locked, woken or queued is busy */
    WT_WAIT_UNTIL(atomic_load(&waiter_done) == 1, 10);
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_mutex_destroy(&held));

    /* EBUSY with a waiter queued while nobody holds it is impossible to
     * catch from outside; with a holder and a waiter: */
    WT_OK(weft_mutex_lock(&held));
    atomic_store(&waiter_in, 0);
    atomic_store(&waiter_done, 0);
    WT_OK(weft_create(&t, NULL, wait_for_held, NULL));
    WT_WAIT_UNTIL(atomic_load(&waiter_in) == 1, 10);
    weft_sleep(20 * WT_MS);
    WT_ERR(weft_mutex_destroy(&held), EBUSY);
    WT_OK(weft_mutex_unlock(&held));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&waiter_done), 1);
    WT_OK(weft_mutex_destroy(&held));
}

/* ---- contention: mutual exclusion and no lost wakeups ---- */
static weft_mutex_t cm;
static atomic_int inside;
static long shared_count; /* only under cm */
static atomic_long timeouts;

static void enter(void)
{
    WT_EQ(atomic_exchange(&inside, 1), 0);
}

static void leave(void)
{
    WT_EQ(atomic_exchange(&inside, 0), 1);
}

static void *contender(void *arg)
{
    long n = (long)(intptr_t)arg;
    uint64_t seed = (uint64_t)(uintptr_t)&n;
    for (long i = 0; i < n; i++) {
        int how = (int)wt_rand_below(&seed, 8);
        if (how == 0) {
            while (weft_mutex_trylock(&cm) == EBUSY)
                weft_yield();
        } else if (how == 1) {
            struct timespec ts = after(CLOCK_MONOTONIC, WT_MS);
            int rc;
            while ((rc = weft_mutex_clocklock(&cm, CLOCK_MONOTONIC, &ts)) == ETIMEDOUT) {
                atomic_fetch_add(&timeouts, 1);
                ts = after(CLOCK_MONOTONIC, WT_MS);
            }
            WT_OK(rc);
        } else {
            WT_OK(weft_mutex_lock(&cm));
        }
        /* recursive: lock once more */
        int rec = weft_mutex_trylock(&cm) == 0;
        enter();
        shared_count++;
        if (how == 2)
            weft_yield(); /* switch away holding it */
        leave();
        if (rec)
            WT_OK(weft_mutex_unlock(&cm));
        WT_OK(weft_mutex_unlock(&cm));
    }
    return NULL;
}

static void contention(int nvcpus)
{
    int nt = (int)wt_knob("threads", 16);
    long n = (long)wt_knob("iterations", wt_scaled(20000));
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    static const int types[] = {WEFT_MUTEX_NORMAL, WEFT_MUTEX_RECURSIVE,
                                WEFT_MUTEX_ERRORCHECK};
    weft_t *t = calloc((size_t)nt, sizeof *t);
    for (int k = 0; k < 3; k++) {
        init_type(&cm, types[k]);
        shared_count = 0;
        for (int i = 0; i < nt; i++)
            WT_OK(weft_create(&t[i], NULL, contender, (void *)(intptr_t)n));
        for (int i = 0; i < nt; i++)
            WT_OK(weft_join(t[i], NULL));
        WT_EQ(shared_count, nt * n);
        WT_OK(weft_mutex_destroy(&cm));
    }
    printf("  %d threads x %ld x 3 types, %ld timed-out tries\n", nt, n,
           atomic_load(&timeouts));
    free(t);
}

WT_TEST(contention_1vcpu)
{
    contention(1);
}

WT_TEST(contention_2vcpu)
{
    contention(2);
}

/* ---- foreign host threads and weft threads on one mutex ---- */
static void *host_contender(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        WT_OK(weft_mutex_lock(&cm));
        enter();
        shared_count++;
        if (i % 16 == 0)
            wt_spin_ns(2000); /* hold it a while: weft threads park */
        leave();
        WT_OK(weft_mutex_unlock(&cm));
    }
    return NULL;
}

WT_TEST(foreign_threads)
{
    enum { NH = 3, NW = 8 };
    long n = (long)wt_knob("iterations", wt_scaled(20000));
    wt_start(2, WEFT_DEADLOCK_ABORT);
    for (int k = 0; k < 2; k++) {
        init_type(&cm, k ? WEFT_MUTEX_ERRORCHECK : WEFT_MUTEX_NORMAL);
        shared_count = 0;
        pthread_t h[NH];
        weft_t w[NW];
        for (int i = 0; i < NH; i++)
            WT_EQ(pthread_create(&h[i], NULL, host_contender, (void *)(intptr_t)n), 0);
        for (int i = 0; i < NW; i++)
            WT_OK(weft_create(&w[i], NULL, contender, (void *)(intptr_t)n));
        host_contender((void *)(intptr_t)n); /* main too */
        for (int i = 0; i < NW; i++)
            WT_OK(weft_join(w[i], NULL));
        for (int i = 0; i < NH; i++)
            WT_EQ(pthread_join(h[i], NULL), 0);
        WT_EQ(shared_count, (NH + NW + 1) * n);
        WT_OK(weft_mutex_destroy(&cm));
    }
}

/* ---- interruption: suspend and cancel of a waiter ---- */
static atomic_int got_it;

static void *lock_then_testcancel(void *arg)
{
    WT_OK(weft_mutex_lock(&held)); /* not a cancellation point */
    atomic_store(&got_it, 1);
    WT_OK(weft_mutex_unlock(&held));
    weft_testcancel();
    return arg;
}

/* A suspended waiter leaves the queue (the mutex can be had meanwhile)
 * and waits again once resumed. lock is not a cancellation point: a
 * cancel waits for the lock, then acts at the next point. */
WT_TEST(interrupted_waiter)
{
    weft_t t;
    WT_OK(weft_mutex_init(&held, NULL));
    atomic_store(&got_it, 0);
    WT_OK(weft_mutex_lock(&held));
    WT_OK(weft_create(&t, NULL, lock_then_testcancel, NULL));
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &held) == 1, 10);
    WT_OK(weft_suspend(t));
    WT_WAIT_UNTIL(wt_dump_count("suspended") == 1, 10);
    WT_EQ(wt_dump_waiting_on("mutex", &held), 0);
    WT_OK(weft_mutex_unlock(&held));
    weft_sleep(10 * WT_MS);
    WT_EQ(atomic_load(&got_it), 0);     /* stopped */
    WT_OK(weft_mutex_lock(&held));      /* and not in the way */
    WT_OK(weft_resume(t));
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &held) == 1, 10); /* waits again */
    WT_OK(weft_cancel(t));
    weft_sleep(10 * WT_MS);
    WT_EQ(wt_dump_waiting_on("mutex", &held), 1); /* still waits: no cancel point */
    WT_OK(weft_mutex_unlock(&held));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_EQ(atomic_load(&got_it), 1);
    WT_PTR_EQ(r, WEFT_CANCELED);
    WT_OK(weft_mutex_destroy(&held));
}

/* A timed lock is a cancellation point; suspended, it keeps its deadline. */
static void *timed_lock_long(void *arg)
{
    struct timespec ts = after(CLOCK_MONOTONIC, (uint64_t)(uintptr_t)arg);
    int rc = weft_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts);
    return (void *)(intptr_t)rc;
}

WT_TEST(interrupted_timed_waiter)
{
    weft_t t;
    void *r;
    WT_OK(weft_mutex_init(&held, NULL));
    WT_OK(weft_mutex_lock(&held));
    WT_OK(weft_create(&t, NULL, timed_lock_long, (void *)(uintptr_t)(10000 * WT_MS)));
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &held) == 1, 10);
    WT_OK(weft_cancel(t));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, WEFT_CANCELED);
    WT_EQ(wt_dump_waiting_on("mutex", &held), 0);

    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_create(&t, NULL, timed_lock_long, (void *)(uintptr_t)(150 * WT_MS)));
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &held) == 1, 10);
    WT_OK(weft_suspend(t));
    WT_WAIT_UNTIL(wt_dump_count("suspended") == 1, 10);
    weft_sleep(100 * WT_MS);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, &r));
    uint64_t took = wt_clock_ns() - t0;
    WT_ERR((intptr_t)r, ETIMEDOUT);
    WT_GE(took, 150 * WT_MS - WT_MS);
    WT_LT(took, 240 * WT_MS); /* the same deadline: a new one would be >= 250 ms */
    WT_OK(weft_mutex_unlock(&held));
    WT_OK(weft_mutex_destroy(&held));
}

WT_MAIN(WT_ENTRY(attributes, 0, 60),
        WT_ENTRY(normal_errors, 0, 60),
        WT_ENTRY(errorcheck_errors, 0, 60),
        WT_ENTRY(recursive_counts, 0, 60),
        WT_ENTRY(recursive_overflow, 0, 60),
        WT_ENTRY(not_the_owner, 0, 60),
        WT_ENTRY(zero_object, 0, 60),
        WT_ENTRY(timeouts, 0, 60),
        WT_ENTRY(timedlock_succeeds, 0, 60),
        WT_ENTRY(wait_channel_and_destroy_busy, 0, 60),
        WT_ENTRY(interrupted_waiter, 0, 60),
        WT_ENTRY(interrupted_timed_waiter, 0, 60),
        WT_ENTRY(contention_1vcpu, WT_FRESH, 120),
        WT_ENTRY(contention_2vcpu, WT_FRESH, 120),
        WT_ENTRY(foreign_threads, WT_FRESH, 120))
