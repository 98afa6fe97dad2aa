/* test-cond.c - condition variables: attributes and errors, signal and
 * broadcast counts, broadcast moving waiters to the mutex (one wakes at a
 * time), timeouts on both clocks, recursive mutexes, producers and
 * consumers on 1 and 2 vCPUs, foreign host threads.
 *
 * Knobs: producers=<n>, consumers=<n>, items=<n>. */
#include "runner.h"

static struct timespec after(clockid_t clock, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u + t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    return ts;
}

WT_TEST(attributes_and_errors)
{
    weft_condattr_t a;
    clockid_t c = -1;
    WT_OK(weft_condattr_init(&a));
    WT_OK(weft_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_REALTIME);
    WT_OK(weft_condattr_setclock(&a, CLOCK_MONOTONIC));
    WT_OK(weft_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_MONOTONIC);
    WT_ERR(weft_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
    WT_ERR(weft_condattr_setclock(&a, (clockid_t)77), EINVAL);
    WT_ERR(weft_condattr_setclock(NULL, CLOCK_MONOTONIC), EINVAL);
    WT_ERR(weft_condattr_getclock(&a, NULL), EINVAL);
    WT_ERR(weft_condattr_init(NULL), EINVAL);
    weft_cond_t cv;
    WT_OK(weft_cond_init(&cv, &a));
    WT_OK(weft_cond_destroy(&cv));
    WT_OK(weft_condattr_destroy(&a));
    a.clock = 77; /* corrupt */
    WT_ERR(weft_cond_init(&cv, &a), EINVAL);
    WT_OK(weft_cond_init(&cv, NULL));

    /* no waiters: signal and broadcast do nothing */
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_cond_broadcast(&cv));

    weft_mutex_t m;
    WT_OK(weft_mutex_init(&m, NULL));
    WT_ERR(weft_cond_init(NULL, NULL), EINVAL);
    WT_ERR(weft_cond_destroy(NULL), EINVAL);
    WT_ERR(weft_cond_signal(NULL), EINVAL);
    WT_ERR(weft_cond_broadcast(NULL), EINVAL);
    WT_ERR(weft_cond_wait(NULL, &m), EINVAL);
    WT_ERR(weft_cond_wait(&cv, NULL), EINVAL);

    /* waiting on a mutex that is not locked: EPERM (any type) */
    WT_ERR(weft_cond_wait(&cv, &m), EPERM);
    weft_mutexattr_t ma;
    WT_OK(weft_mutexattr_init(&ma));
    WT_OK(weft_mutexattr_settype(&ma, WEFT_MUTEX_ERRORCHECK));
    weft_mutex_t em;
    WT_OK(weft_mutex_init(&em, &ma));
    WT_ERR(weft_cond_wait(&cv, &em), EPERM);
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(weft_cond_timedwait(&cv, &em, &ts), EPERM);

    /* malformed and passed times, with the mutex held */
    WT_OK(weft_mutex_lock(&m));
    ts.tv_nsec = 1000000000;
    WT_ERR(weft_cond_timedwait(&cv, &m, &ts), EINVAL);
    ts.tv_nsec = -5;
    WT_ERR(weft_cond_timedwait(&cv, &m, &ts), EINVAL);
    WT_ERR(weft_cond_timedwait(&cv, &m, NULL), EINVAL);
    ts = after(CLOCK_MONOTONIC, WT_MS);
    WT_ERR(weft_cond_clockwait(&cv, &m, CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
    ts = after(CLOCK_REALTIME, 0);
    WT_ERR(weft_cond_timedwait(&cv, &m, &ts), ETIMEDOUT);
    ts.tv_sec = -1;
    WT_ERR(weft_cond_clockwait(&cv, &m, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    WT_ERR(weft_mutex_trylock(&m), EBUSY); /* still ours */
    WT_OK(weft_mutex_unlock(&m));
    WT_OK(weft_cond_destroy(&cv));
    WT_OK(weft_mutex_destroy(&m));
    WT_OK(weft_mutex_destroy(&em));
}

/* ---- signal releases one, broadcast all ---- */
static weft_mutex_t mu = WEFT_MUTEX_INITIALIZER;
static weft_cond_t cv = WEFT_COND_INITIALIZER; /* all-zero: REALTIME */
static int go, released; /* under mu */
static atomic_int arrived;
static atomic_int holding; /* threads between wait's return and unlock */
static int nwaiters;       /* started by start_waiters */

/* arg non-NULL: look at the others while holding the mutex. Of the
 * nwaiters - released - 1 others not yet through, at most one may be
 * off the mutex's queue (woken, not yet retried); main may be queued on
 * it as well. A broadcast that woke a herd would leave none parked. */
static void *waiter(void *arg)
{
    WT_OK(weft_mutex_lock(&mu));
    atomic_fetch_add(&arrived, 1);
    while (go == 0)
        WT_OK(weft_cond_wait(&cv, &mu));
    go--;
    WT_EQ(atomic_fetch_add(&holding, 1), 0); /* it owns the mutex */
    if (arg) {
        int parked = wt_dump_waiting_on("mutex", &mu);
        WT_GE(parked, nwaiters - released - 2);
        weft_sleep(WT_MS); /* hold it a while: the others stay parked */
    }
    released++;
    atomic_fetch_sub(&holding, 1);
    WT_OK(weft_mutex_unlock(&mu));
    return NULL;
}

static void start_waiters(weft_t *t, int n, void *arg)
{
    atomic_store(&arrived, 0);
    released = 0;
    go = 0;
    nwaiters = n;
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], NULL, waiter, arg));
    WT_WAIT_UNTIL(atomic_load(&arrived) == n, 10);
    /* each has released the mutex inside cond_wait once we can lock it */
    WT_OK(weft_mutex_lock(&mu));
    WT_OK(weft_mutex_unlock(&mu));
}

WT_TEST(signal_releases_one)
{
    enum { N = 8 };
    weft_t t[N];
    start_waiters(t, N, NULL);
    WT_EQ(wt_dump_waiting_on("cond", &cv), N);
    for (int k = 1; k <= N; k++) {
        WT_OK(weft_mutex_lock(&mu));
        go++;
        WT_OK(weft_cond_signal(&cv));
        WT_OK(weft_mutex_unlock(&mu));
        int r;
        uint64_t end = wt_clock_ns() + 10000 * WT_MS;
        do {
            weft_sleep(WT_MS);
            WT_OK(weft_mutex_lock(&mu));
            r = released;
            WT_OK(weft_mutex_unlock(&mu));
        } while (r < k && wt_clock_ns() < end);
        WT_EQ(r, k);
    }
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_OK(weft_cond_destroy(&cv));
}

/* Broadcast with the mutex held moves every waiter onto the mutex's
 * queue (the dump shows them waiting on the mutex, none on the condvar),
 * the condvar can be destroyed at once, and the waiters then wake one at
 * a time: while one holds the mutex the rest stay parked (see waiter). */
WT_TEST(broadcast_requeues)
{
    enum { N = 10 };
    weft_t t[N];
    start_waiters(t, N, (void *)1);
    WT_OK(weft_mutex_lock(&mu));
    go = N;
    WT_OK(weft_cond_broadcast(&cv));
    WT_EQ(wt_dump_waiting_on("cond", &cv), 0);
    WT_EQ(wt_dump_waiting_on("mutex", &mu), N);
    WT_OK(weft_cond_destroy(&cv)); /* nobody waits on it any more */
    WT_OK(weft_cond_init(&cv, NULL));
    WT_OK(weft_mutex_unlock(&mu));
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(released, N);
}

/* Broadcast without holding the mutex: the requeue wakes one itself. */
WT_TEST(broadcast_unlocked)
{
    enum { N = 16 };
    weft_t t[N];
    start_waiters(t, N, NULL);
    WT_OK(weft_mutex_lock(&mu));
    go = N;
    WT_OK(weft_mutex_unlock(&mu));
    WT_OK(weft_cond_broadcast(&cv));
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(released, N);
    WT_OK(weft_cond_destroy(&cv));
}

/* ---- destroy with a waiter, wait channel, another mutex ---- */
static weft_mutex_t other = WEFT_MUTEX_INITIALIZER;

WT_TEST(destroy_busy_and_other_mutex)
{
    weft_t t;
    start_waiters(&t, 1, NULL);
    WT_ERR(weft_cond_destroy(&cv), EBUSY);
    WT_EQ(wt_dump_waiting_on("cond", &cv), 1);
    WT_OK(weft_mutex_lock(&other));
    WT_ERR(weft_cond_wait(&cv, &other), EINVAL); /* not the waiters' mutex */
    WT_OK(weft_mutex_unlock(&other));
    WT_OK(weft_mutex_lock(&mu));
    go = 1;
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_mutex_unlock(&mu));
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_cond_destroy(&cv));
}

/* ---- timeouts ---- */
struct timed_arg {
    weft_cond_t *cv;
    clockid_t clock;
    int how; /* 0: timedwait (the condvar's clock), 1: clockwait */
};

static void timed_case(struct timed_arg *a)
{
    const uint64_t d = 50 * WT_MS;
    weft_mutex_t m;
    WT_OK(weft_mutex_init(&m, NULL));
    WT_OK(weft_mutex_lock(&m));
    uint64_t t0 = wt_clock_ns(); /* first: the deadline is then at least t0 + d */
    struct timespec ts = after(a->clock, d);
    if (a->how)
        WT_ERR(weft_cond_clockwait(a->cv, &m, a->clock, &ts), ETIMEDOUT);
    else
        WT_ERR(weft_cond_timedwait(a->cv, &m, &ts), ETIMEDOUT);
    uint64_t waited = wt_clock_ns() - t0;
    WT_GE(waited, d - WT_MS / 2);
    WT_LT(waited, d + 2000 * WT_MS);
    WT_ERR(weft_mutex_trylock(&m), EBUSY); /* held again */
    WT_OK(weft_mutex_unlock(&m));
    WT_OK(weft_mutex_destroy(&m));
}

static void *timed_thread(void *p)
{
    timed_case(p);
    return NULL;
}

WT_TEST(timeouts)
{
    weft_cond_t rt, mono;
    weft_condattr_t a;
    WT_OK(weft_cond_init(&rt, NULL));
    WT_OK(weft_condattr_init(&a));
    WT_OK(weft_condattr_setclock(&a, CLOCK_MONOTONIC));
    WT_OK(weft_cond_init(&mono, &a));
    struct timed_arg cases[] = {
        {&rt, CLOCK_REALTIME, 0},
        {&mono, CLOCK_MONOTONIC, 0},
        {&rt, CLOCK_MONOTONIC, 1},
        {&mono, CLOCK_REALTIME, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        timed_case(&cases[i]); /* main: bound */
        weft_t t;
        WT_OK(weft_create(&t, NULL, timed_thread, &cases[i]));
        WT_OK(weft_join(t, NULL));
    }
    WT_OK(weft_cond_destroy(&rt));
    WT_OK(weft_cond_destroy(&mono));
}

/* A timed waiter that is signalled in time returns 0. */
static void *timed_signalled(void *arg)
{
    WT_OK(weft_mutex_lock(&mu));
    atomic_fetch_add(&arrived, 1);
    struct timespec ts = after(CLOCK_REALTIME, 10000 * WT_MS);
    while (go == 0)
        WT_OK(weft_cond_timedwait(&cv, &mu, &ts));
    go--;
    released++;
    WT_OK(weft_mutex_unlock(&mu));
    return arg;
}

WT_TEST(timedwait_signalled)
{
    weft_t t;
    atomic_store(&arrived, 0);
    go = released = 0;
    WT_OK(weft_create(&t, NULL, timed_signalled, NULL));
    WT_WAIT_UNTIL(atomic_load(&arrived) == 1, 10);
    weft_sleep(10 * WT_MS);
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_mutex_lock(&mu));
    go = 1;
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_mutex_unlock(&mu));
    WT_OK(weft_join(t, NULL));
    WT_LT(wt_clock_ns() - t0, 5000 * WT_MS);
    WT_EQ(released, 1);
}

/* ---- a recursive mutex is released fully and relocked as deep ---- */
static weft_mutex_t rec;
static atomic_int rec_stage;

static void *rec_signaller(void *arg)
{
    WT_WAIT_UNTIL(atomic_load(&rec_stage) == 1, 10);
    WT_OK(weft_mutex_lock(&rec)); /* only possible if wait released all 3 */
    atomic_store(&rec_stage, 2);
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_mutex_unlock(&rec));
    return arg;
}

WT_TEST(recursive_mutex)
{
    weft_mutexattr_t a;
    WT_OK(weft_mutexattr_init(&a));
    WT_OK(weft_mutexattr_settype(&a, WEFT_MUTEX_RECURSIVE));
    WT_OK(weft_mutex_init(&rec, &a));
    weft_t t;
    WT_OK(weft_create(&t, NULL, rec_signaller, NULL));
    for (int i = 0; i < 3; i++)
        WT_OK(weft_mutex_lock(&rec));
    atomic_store(&rec_stage, 1);
    while (atomic_load(&rec_stage) != 2)
        WT_OK(weft_cond_wait(&cv, &rec));
    for (int i = 0; i < 3; i++)
        WT_OK(weft_mutex_unlock(&rec));
    WT_ERR(weft_mutex_unlock(&rec), EPERM);
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_mutex_destroy(&rec));
}

/* ---- interruption: cancel and suspend of waiters ---- */
static weft_mutex_t em; /* error-checking: unlock proves ownership */
static atomic_int cleanup_ran;

static void unlock_in_cleanup(void *arg)
{
    (void)arg;
    WT_OK(weft_mutex_unlock(&em)); /* cancelled with the mutex held */
    atomic_fetch_add(&cleanup_ran, 1);
}

static void *cancellable_waiter(void *arg)
{
    WT_OK(weft_mutex_lock(&em));
    atomic_fetch_add(&arrived, 1);
    weft_cleanup_push(unlock_in_cleanup, NULL);
    for (;;) {
        if (arg) {
            struct timespec ts = after(CLOCK_REALTIME, 10000 * WT_MS);
            int rc = weft_cond_timedwait(&cv, &em, &ts);
            WT_ASSERT(rc == 0 || rc == ETIMEDOUT);
        } else {
            WT_OK(weft_cond_wait(&cv, &em));
        }
    }
    weft_cleanup_pop(0);
    return NULL;
}

static void errorcheck(weft_mutex_t *m)
{
    weft_mutexattr_t a;
    WT_OK(weft_mutexattr_init(&a));
    WT_OK(weft_mutexattr_settype(&a, WEFT_MUTEX_ERRORCHECK));
    WT_OK(weft_mutex_init(m, &a));
}

/* Cancelled on the condvar's queue, and after a broadcast moved it to the
 * mutex's queue: either way its cleanup runs holding the mutex, and the
 * condvar is left with nobody counted. */
WT_TEST(cancel_waiter)
{
    errorcheck(&em);
    WT_OK(weft_cond_init(&cv, NULL));
    for (int moved = 0; moved < 2; moved++) {
        for (int timed = 0; timed < 2; timed++) {
            weft_t t;
            void *r;
            atomic_store(&arrived, 0);
            atomic_store(&cleanup_ran, 0);
            WT_OK(weft_create(&t, NULL, cancellable_waiter, timed ? (void *)1 : NULL));
            WT_WAIT_UNTIL(wt_dump_waiting_on("cond", &cv) == 1, 10);
            if (moved) {
                WT_OK(weft_mutex_lock(&em));
                WT_OK(weft_cond_broadcast(&cv));
                WT_EQ(wt_dump_waiting_on("mutex", &em), 1);
                WT_OK(weft_cancel(t));
                weft_sleep(10 * WT_MS); /* it relocks first: we hold it */
                WT_EQ(atomic_load(&cleanup_ran), 0);
                WT_OK(weft_mutex_unlock(&em));
            } else {
                WT_OK(weft_cancel(t));
            }
            WT_OK(weft_join(t, &r));
            WT_PTR_EQ(r, WEFT_CANCELED);
            WT_EQ(atomic_load(&cleanup_ran), 1);
            WT_OK(weft_cond_destroy(&cv)); /* nobody counted as waiting */
            WT_OK(weft_mutex_destroy(&em));
        }
    }
}

/* A suspended waiter stops without the mutex and does not return while
 * stopped; resumed, it comes back holding the mutex (0: a signal it got,
 * or a spurious wakeup). */
static atomic_int suspended_waiter_out;

static void *waiter_for_go(void *arg)
{
    WT_OK(weft_mutex_lock(&mu));
    atomic_fetch_add(&arrived, 1);
    while (go == 0)
        WT_OK(weft_cond_wait(&cv, &mu));
    go--;
    atomic_store(&suspended_waiter_out, 1);
    WT_OK(weft_mutex_unlock(&mu));
    return arg;
}

WT_TEST(suspend_waiter)
{
    weft_t t;
    atomic_store(&arrived, 0);
    atomic_store(&suspended_waiter_out, 0);
    go = 0;
    WT_OK(weft_create(&t, NULL, waiter_for_go, NULL));
    WT_WAIT_UNTIL(wt_dump_waiting_on("cond", &cv) == 1, 10);
    WT_OK(weft_suspend(t));
    WT_WAIT_UNTIL(wt_dump_waiting_on("cond", &cv) == 0, 10);
    char *d;
    for (;;) { /* stopped, and off the condvar */
        d = wt_dump_string();
        if (strstr(d, "suspended"))
            break;
        free(d);
        weft_sleep(WT_MS);
    }
    free(d);
    WT_OK(weft_mutex_trylock(&mu)); /* it does not hold the mutex */
    go = 1;
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_mutex_unlock(&mu));
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(&suspended_waiter_out), 0);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&suspended_waiter_out), 1);
    WT_OK(weft_cond_destroy(&cv));
}

/* ---- producers and consumers: every item arrives exactly once ---- */
#define QCAP 16
static weft_mutex_t qm;
static weft_cond_t not_empty, not_full;
static long queue[QCAP];
static int qhead, qlen, producers_left; /* under qm */
static atomic_uchar *seen;
static long per_producer;
static atomic_long qtimeouts;

static void put(long item, int use_timed)
{
    WT_OK(weft_mutex_lock(&qm));
    while (qlen == QCAP) {
        if (use_timed) {
            struct timespec ts = after(CLOCK_MONOTONIC, WT_MS);
            int rc = weft_cond_clockwait(&not_full, &qm, CLOCK_MONOTONIC, &ts);
            if (rc == ETIMEDOUT)
                atomic_fetch_add(&qtimeouts, 1);
            else
                WT_OK(rc);
        } else {
            WT_OK(weft_cond_wait(&not_full, &qm));
        }
    }
    queue[(qhead + qlen++) % QCAP] = item;
    WT_OK(weft_cond_signal(&not_empty));
    WT_OK(weft_mutex_unlock(&qm));
}

/* -1: all producers are done and the queue is empty. */
static long get(int use_timed)
{
    WT_OK(weft_mutex_lock(&qm));
    while (qlen == 0 && producers_left > 0) {
        if (use_timed) {
            struct timespec ts = after(CLOCK_REALTIME, WT_MS);
            int rc = weft_cond_timedwait(&not_empty, &qm, &ts);
            if (rc == ETIMEDOUT)
                atomic_fetch_add(&qtimeouts, 1);
            else
                WT_OK(rc);
        } else {
            WT_OK(weft_cond_wait(&not_empty, &qm));
        }
    }
    long item = -1;
    if (qlen > 0) {
        item = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        /* now and then a broadcast: the waiters queue on the mutex */
        if (item % 7 == 0)
            WT_OK(weft_cond_broadcast(&not_full));
        else
            WT_OK(weft_cond_signal(&not_full));
    }
    WT_OK(weft_mutex_unlock(&qm));
    return item;
}

static void *producer(void *arg)
{
    long p = (long)(intptr_t)arg;
    for (long i = 0; i < per_producer; i++)
        put(p * per_producer + i, (i & 3) == 1);
    WT_OK(weft_mutex_lock(&qm));
    if (--producers_left == 0)
        WT_OK(weft_cond_broadcast(&not_empty)); /* wake consumers to end */
    WT_OK(weft_mutex_unlock(&qm));
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    long n = 0, item;
    int k = 0;
    while ((item = get((k++ & 3) == 2)) >= 0) {
        WT_EQ(atomic_fetch_add(&seen[item], 1), 0);
        n++;
    }
    return (void *)(intptr_t)n;
}

static void *host_producer(void *arg)
{
    return producer(arg);
}

static void *host_consumer(void *arg)
{
    return consumer(arg);
}

/* nhost: how many of the producers and of the consumers are plain pthreads */
static void producers_consumers(int nvcpus, int nhost)
{
    int np = (int)wt_knob("producers", 6), nc = (int)wt_knob("consumers", 6);
    per_producer = (long)wt_knob("items", wt_scaled(30000));
    if (nvcpus)
        wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    long total = np * per_producer;
    seen = calloc((size_t)total, 1);
    qhead = qlen = 0;
    producers_left = np;
    WT_OK(weft_mutex_init(&qm, NULL));
    WT_OK(weft_cond_init(&not_empty, NULL));
    weft_condattr_t a;
    WT_OK(weft_condattr_init(&a));
    WT_OK(weft_condattr_setclock(&a, CLOCK_MONOTONIC));
    WT_OK(weft_cond_init(&not_full, &a));
    weft_t *pt = calloc((size_t)np, sizeof *pt), *ct = calloc((size_t)nc, sizeof *ct);
    pthread_t *ph = calloc((size_t)np, sizeof *ph), *ch = calloc((size_t)nc, sizeof *ch);
    for (int i = 0; i < nc; i++) {
        if (i < nhost)
            WT_EQ(pthread_create(&ch[i], NULL, host_consumer, NULL), 0);
        else
            WT_OK(weft_create(&ct[i], NULL, consumer, NULL));
    }
    for (int i = 0; i < np; i++) {
        if (i < nhost)
            WT_EQ(pthread_create(&ph[i], NULL, host_producer, (void *)(intptr_t)i), 0);
        else
            WT_OK(weft_create(&pt[i], NULL, producer, (void *)(intptr_t)i));
    }
    long got = 0;
    for (int i = 0; i < np; i++) {
        if (i < nhost)
            WT_EQ(pthread_join(ph[i], NULL), 0);
        else
            WT_OK(weft_join(pt[i], NULL));
    }
    for (int i = 0; i < nc; i++) {
        void *r;
        if (i < nhost)
            WT_EQ(pthread_join(ch[i], &r), 0);
        else
            WT_OK(weft_join(ct[i], &r));
        got += (long)(intptr_t)r;
    }
    WT_EQ(got, total);
    for (long i = 0; i < total; i++)
        if (atomic_load(&seen[i]) != 1)
            WT_ASSERTF(0, "item %ld arrived %d times", i, (int)atomic_load(&seen[i]));
    WT_EQ(qlen, 0);
    WT_OK(weft_cond_destroy(&not_empty));
    WT_OK(weft_cond_destroy(&not_full));
    WT_OK(weft_mutex_destroy(&qm));
    printf("  %d producers, %d consumers (%d of each host threads), %ld items, "
           "%ld timed-out waits\n", np, nc, nhost, total, atomic_load(&qtimeouts));
    free(seen);
    free(pt);
    free(ct);
    free(ph);
    free(ch);
}

WT_TEST(producers_consumers_1vcpu)
{
    producers_consumers(1, 0);
}

WT_TEST(producers_consumers_2vcpu)
{
    producers_consumers(2, 0);
}

WT_TEST(foreign_threads)
{
    producers_consumers(2, 2);
}

WT_MAIN(WT_ENTRY(attributes_and_errors, 0, 60),
        WT_ENTRY(signal_releases_one, 0, 60),
        WT_ENTRY(broadcast_requeues, 0, 60),
        WT_ENTRY(broadcast_unlocked, 0, 60),
        WT_ENTRY(destroy_busy_and_other_mutex, 0, 60),
        WT_ENTRY(timeouts, 0, 60),
        WT_ENTRY(timedwait_signalled, 0, 60),
        WT_ENTRY(recursive_mutex, 0, 60),
        WT_ENTRY(cancel_waiter, 0, 60),
        WT_ENTRY(suspend_waiter, 0, 60),
        WT_ENTRY(producers_consumers_1vcpu, WT_FRESH, 120),
        WT_ENTRY(producers_consumers_2vcpu, WT_FRESH, 120),
        WT_ENTRY(foreign_threads, WT_FRESH, 120))
