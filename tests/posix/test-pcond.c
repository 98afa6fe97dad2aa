/* test-pcond.c - pthread_cond_* and pthread_condattr_* of libweft-pthread,
 * from the POSIX assertions: attributes (clock, pshared) and their errors,
 * the static initializer, signal and broadcast, timeouts on the
 * condvar's clock and with clockwait, bad clocks and timespecs, EPERM,
 * EBUSY destroy while threads wait (and a destroy right after a
 * broadcast), cancellation in a wait (handlers run with the mutex held),
 * condvars with recursive, robust (EOWNERDEAD through the wait), PI and
 * ceiling mutexes. */
#include "ptest.h"

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void init_mutex(pthread_mutex_t *m, int type, int robust, int protocol)
{
    pthread_mutexattr_t a;
    WT_OK(pthread_mutexattr_init(&a));
    WT_OK(pthread_mutexattr_settype(&a, type));
    WT_OK(pthread_mutexattr_setrobust(&a, robust));
    WT_OK(pthread_mutexattr_setprotocol(&a, protocol));
    if (protocol == PTHREAD_PRIO_PROTECT)
        WT_OK(pthread_mutexattr_setprioceiling(&a, 10));
    WT_OK(pthread_mutex_init(m, &a));
    WT_OK(pthread_mutexattr_destroy(&a));
}

WT_TEST(attributes)
{
    WT_EQ(sizeof(pthread_cond_t), 48);
    WT_EQ(sizeof(pthread_condattr_t), 4);
    pthread_condattr_t a;
    clockid_t c = -1;
    int v = -1;
    WT_OK(pthread_condattr_init(&a));
    WT_OK(pthread_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_REALTIME);
    WT_OK(pthread_condattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_PRIVATE);
    WT_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    WT_OK(pthread_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_MONOTONIC);
    WT_ERR(pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
    WT_ERR(pthread_condattr_setclock(&a, CLOCK_THREAD_CPUTIME_ID), EINVAL);
    WT_ERR(pthread_condattr_setclock(&a, 12345), EINVAL);
    WT_OK(pthread_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_MONOTONIC);
    WT_OK(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_condattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_SHARED);
    WT_ERR(pthread_condattr_setpshared(&a, 7), EINVAL);
    WT_OK(pthread_condattr_getclock(&a, &c));
    WT_EQ(c, CLOCK_MONOTONIC);
    WT_OK(pthread_condattr_destroy(&a));

    pthread_cond_t cv;
    WT_OK(pthread_cond_init(&cv, NULL));
    WT_OK(pthread_cond_destroy(&cv));
    pthread_condattr_t z;
    memset(&z, 0, sizeof z);
    WT_OK(pthread_cond_init(&cv, &z));
    WT_OK(pthread_cond_signal(&cv)); /* nobody waiting: no effect */
    WT_OK(pthread_cond_broadcast(&cv));
    WT_OK(pthread_cond_destroy(&cv));
}

/* ---- signal / broadcast ---- */

struct box {
    pthread_mutex_t *m;
    pthread_cond_t *cv;
    int ready;
    int waiting;
    int woke;
    int rc;
};

static void *waiter(void *p)
{
    struct box *b = p;
    int rc = pthread_mutex_lock(b->m);
    if (rc && rc != EOWNERDEAD)
        return (void *)(intptr_t)rc;
    b->waiting++;
    while (!b->ready) {
        rc = pthread_cond_wait(b->cv, b->m);
        if (rc == EOWNERDEAD) {
            pthread_mutex_consistent(b->m);
            continue;
        }
        if (rc) {
            b->rc = rc;
            break;
        }
    }
    b->woke++;
    if (b->ready > 0)
        b->ready--; /* each signal lets one through */
    pthread_mutex_unlock(b->m);
    return NULL;
}

static void signal_and_broadcast_with(pthread_mutex_t *m)
{
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    struct box b = {m, &cv, 0, 0, 0, 0};
    enum { N = 6 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        t[i] = spawn(waiter, &b);
    /* wait until all wait */
    for (;;) {
        pthread_mutex_lock(m);
        int w = b.waiting;
        pthread_mutex_unlock(m);
        if (w == N)
            break;
        usleep(1000);
    }
    /* one signal releases (at least) one */
    pthread_mutex_lock(m);
    b.ready = 1;
    WT_OK(pthread_cond_signal(&cv));
    pthread_mutex_unlock(m);
    WT_WAIT_UNTIL(({
                      pthread_mutex_lock(m);
                      int w = b.woke;
                      pthread_mutex_unlock(m);
                      w >= 1;
                  }),
                  10);
    /* broadcast releases the rest */
    pthread_mutex_lock(m);
    b.ready = -1;
    WT_OK(pthread_cond_broadcast(&cv));
    pthread_mutex_unlock(m);
    for (int i = 0; i < N; i++)
        WT_PTR_EQ(join(t[i]), NULL);
    WT_EQ(b.woke, N);
    WT_EQ(b.rc, 0);
    WT_OK(pthread_cond_destroy(&cv));
}

WT_TEST(signal_broadcast)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    signal_and_broadcast_with(&m);
    pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    signal_and_broadcast_with(&r);
    pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    signal_and_broadcast_with(&e);
}

WT_TEST(special_mutexes)
{
    int kinds[][2] = {{PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT},
                      {PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE},
                      {PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT},
                      {PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_PROTECT}};
    for (int i = 0; i < 4; i++) {
        for (int type = 0; type < 3; type++) {
            pthread_mutex_t m;
            init_mutex(&m, type, kinds[i][0], kinds[i][1]);
            signal_and_broadcast_with(&m);
            WT_OK(pthread_mutex_destroy(&m));
        }
    }
}

/* A recursive mutex locked several times is released fully by the wait
 * and relocked as deep. */
WT_TEST(recursive_depth)
{
    pthread_mutex_t ms[2];
    ms[0] = (pthread_mutex_t)PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    init_mutex(&ms[1], PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
    for (int k = 0; k < 2; k++) {
        pthread_mutex_t *m = &ms[k];
        pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
        WT_OK(pthread_mutex_lock(m));
        WT_OK(pthread_mutex_lock(m));
        WT_OK(pthread_mutex_lock(m));
        struct timespec ts = after(CLOCK_REALTIME, 10 * WT_MS);
        WT_ERR(pthread_cond_timedwait(&cv, m, &ts), ETIMEDOUT);
        for (int i = 0; i < 3; i++)
            WT_OK(pthread_mutex_unlock(m));
        WT_ERR(pthread_mutex_unlock(m), EPERM);
    }
    WT_OK(pthread_mutex_destroy(&ms[1]));
}

/* ---- timeouts ---- */

static void timeouts_with(pthread_mutex_t *m)
{
    pthread_condattr_t a;
    pthread_cond_t rt = PTHREAD_COND_INITIALIZER, mono;
    WT_OK(pthread_condattr_init(&a));
    WT_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    WT_OK(pthread_cond_init(&mono, &a));
    WT_OK(pthread_mutex_lock(m));
    struct {
        pthread_cond_t *cv;
        clockid_t clock;
        int clockwait;
    } cases[] = {{&rt, CLOCK_REALTIME, 0},
                 {&mono, CLOCK_MONOTONIC, 0},
                 {&rt, CLOCK_MONOTONIC, 1},
                 {&mono, CLOCK_REALTIME, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t t0 = now_ns(cases[i].clock);
        struct timespec ts = after(cases[i].clock, 20 * WT_MS);
        int rc = cases[i].clockwait
                     ? pthread_cond_clockwait(cases[i].cv, m, cases[i].clock, &ts)
                     : pthread_cond_timedwait(cases[i].cv, m, &ts);
        uint64_t waited = now_ns(cases[i].clock) - t0;
        WT_ERR(rc, ETIMEDOUT);
        WT_GE(waited, 19 * WT_MS);
        WT_LT(waited, 10000 * WT_MS);
        /* the mutex is held again */
        WT_ERR(pthread_mutex_lock(m), EDEADLK); /* errorcheck: ours again */
    }
    /* passed already: ETIMEDOUT at once, mutex kept */
    struct timespec past = {0, 0};
    WT_ERR(pthread_cond_timedwait(&rt, m, &past), ETIMEDOUT);
    WT_ERR(pthread_cond_clockwait(&rt, m, CLOCK_MONOTONIC, &past), ETIMEDOUT);
    /* bad timespec, bad clock */
    struct timespec bad = {time(NULL) + 10, 1000000000L};
    WT_ERR(pthread_cond_timedwait(&rt, m, &bad), EINVAL);
    bad.tv_nsec = -1;
    WT_ERR(pthread_cond_clockwait(&rt, m, CLOCK_MONOTONIC, &bad), EINVAL);
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(pthread_cond_clockwait(&rt, m, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_OK(pthread_mutex_unlock(m));
    WT_OK(pthread_cond_destroy(&rt));
    WT_OK(pthread_cond_destroy(&mono));
    WT_OK(pthread_condattr_destroy(&a));
}

WT_TEST(timeouts)
{
    pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    timeouts_with(&m);
    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT);
    timeouts_with(&r);
    WT_OK(pthread_mutex_destroy(&r));
}

WT_TEST(eperm)
{
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    WT_ERR(pthread_cond_wait(&cv, &e), EPERM); /* not held */
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(pthread_cond_timedwait(&cv, &e, &ts), EPERM);
    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
    WT_ERR(pthread_cond_wait(&cv, &r), EPERM);
    WT_OK(pthread_mutex_destroy(&r));
    WT_OK(pthread_cond_destroy(&cv));
}

/* ---- destroy ---- */

struct dbox {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int go;
    int in;
};

static void *dwaiter(void *p)
{
    struct dbox *d = p;
    pthread_mutex_lock(&d->m);
    d->in++;
    while (!d->go)
        pthread_cond_wait(&d->cv, &d->m);
    pthread_mutex_unlock(&d->m);
    return NULL;
}

static void destroy_with(int special)
{
    struct dbox *d = calloc(1, sizeof *d);
    if (special)
        init_mutex(&d->m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
    else
        pthread_mutex_init(&d->m, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = spawn(dwaiter, d);
    for (;;) {
        pthread_mutex_lock(&d->m);
        int n = d->in;
        pthread_mutex_unlock(&d->m);
        if (n == 3)
            break;
        usleep(1000);
    }
    WT_ERR(pthread_cond_destroy(&d->cv), EBUSY);
    pthread_mutex_lock(&d->m);
    d->go = 1;
    WT_OK(pthread_cond_broadcast(&d->cv));
    /* every waiter released: destroy is allowed now (POSIX) */
    WT_OK(pthread_cond_destroy(&d->cv));
    pthread_mutex_unlock(&d->m);
    for (int i = 0; i < 3; i++)
        join(t[i]);
    WT_OK(pthread_mutex_destroy(&d->m));
    free(d);
}

WT_TEST(destroy_busy)
{
    destroy_with(0);
    destroy_with(1);
}

/* ---- cancellation ---- */

struct cbox {
    pthread_mutex_t m;
    pthread_cond_t cv;
    atomic_int waiting;
    atomic_int handler_ran;
    int handler_unlock_rc;
};

static void cleanup(void *p)
{
    struct cbox *c = p;
    /* an errorcheck mutex: unlock succeeds only for the holder */
    c->handler_unlock_rc = pthread_mutex_unlock(&c->m);
    atomic_store(&c->handler_ran, 1);
}

static void *cwaiter(void *p)
{
    struct cbox *c = p;
    pthread_mutex_lock(&c->m);
    pthread_cleanup_push(cleanup, c);
    atomic_store(&c->waiting, 1);
    for (;;)
        pthread_cond_wait(&c->cv, &c->m);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *ctwaiter(void *p)
{
    struct cbox *c = p;
    pthread_mutex_lock(&c->m);
    pthread_cleanup_push(cleanup, c);
    atomic_store(&c->waiting, 1);
    for (;;) {
        struct timespec ts = after(CLOCK_MONOTONIC, 60000 * WT_MS);
        pthread_cond_clockwait(&c->cv, &c->m, CLOCK_MONOTONIC, &ts);
    }
    pthread_cleanup_pop(0);
    return NULL;
}

static void cancel_with(int special, void *(*fn)(void *))
{
    struct cbox *c = calloc(1, sizeof *c);
    if (special)
        init_mutex(&c->m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT);
    else
        c->m = (pthread_mutex_t)PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    pthread_cond_init(&c->cv, NULL);
    pthread_t t = spawn(fn, c);
    WT_WAIT_UNTIL(atomic_load(&c->waiting), 10);
    /* it waits once it released the mutex */
    WT_OK(pthread_mutex_lock(&c->m));
    WT_OK(pthread_mutex_unlock(&c->m));
    WT_OK(pthread_cancel(t));
    WT_PTR_EQ(join(t), PTHREAD_CANCELED);
    WT_EQ(atomic_load(&c->handler_ran), 1);
    WT_EQ(c->handler_unlock_rc, 0); /* it held the mutex in its handler */
    WT_OK(pthread_mutex_trylock(&c->m));
    WT_OK(pthread_mutex_unlock(&c->m));
    WT_OK(pthread_cond_destroy(&c->cv));
    if (special)
        WT_OK(pthread_mutex_destroy(&c->m));
    free(c);
}

WT_TEST(cancel_in_wait)
{
    cancel_with(0, cwaiter);
    cancel_with(0, ctwaiter);
    cancel_with(1, cwaiter);
    cancel_with(1, ctwaiter);
}

/* ---- robust mutex: the owner dies while a waiter waits on the condvar ---- */

struct rbox {
    pthread_mutex_t m;
    pthread_cond_t cv;
    atomic_int waiting;
    int rc;
};

static void *rwaiter(void *p)
{
    struct rbox *r = p;
    pthread_mutex_lock(&r->m);
    atomic_store(&r->waiting, 1);
    r->rc = pthread_cond_wait(&r->cv, &r->m);
    if (r->rc == EOWNERDEAD)
        pthread_mutex_consistent(&r->m);
    pthread_mutex_unlock(&r->m);
    return NULL;
}

static void *signal_and_die(void *p)
{
    struct rbox *r = p;
    pthread_mutex_lock(&r->m);
    pthread_cond_signal(&r->cv);
    return NULL; /* ends holding it */
}

WT_TEST(robust_owner_dies_during_wait)
{
    struct rbox r;
    memset(&r, 0, sizeof r);
    init_mutex(&r.m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
    pthread_cond_init(&r.cv, NULL);
    pthread_t w = spawn(rwaiter, &r);
    WT_WAIT_UNTIL(atomic_load(&r.waiting), 10);
    WT_OK(pthread_mutex_lock(&r.m)); /* w is in the wait now */
    WT_OK(pthread_mutex_unlock(&r.m));
    join(spawn(signal_and_die, &r));
    join(w);
    WT_ERR(r.rc, EOWNERDEAD);
    WT_OK(pthread_mutex_lock(&r.m));
    WT_OK(pthread_mutex_unlock(&r.m));
    WT_OK(pthread_mutex_destroy(&r.m));
    WT_OK(pthread_cond_destroy(&r.cv));
}

/* Producer/consumer through a bounded buffer: no lost wakeups. */
struct pc {
    pthread_mutex_t *m;
    pthread_cond_t notfull, notempty;
    int buf[4], head, count;
    long sum;
    int done;
};

static void *producer(void *p)
{
    struct pc *q = p;
    for (int i = 1; i <= 3000; i++) {
        pthread_mutex_lock(q->m);
        while (q->count == 4)
            pthread_cond_wait(&q->notfull, q->m);
        q->buf[(q->head + q->count++) % 4] = i;
        pthread_cond_signal(&q->notempty);
        pthread_mutex_unlock(q->m);
    }
    return NULL;
}

static void *consumer(void *p)
{
    struct pc *q = p;
    for (;;) {
        pthread_mutex_lock(q->m);
        while (q->count == 0 && !q->done)
            pthread_cond_wait(&q->notempty, q->m);
        if (q->count == 0) {
            pthread_mutex_unlock(q->m);
            return NULL;
        }
        q->sum += q->buf[q->head];
        q->head = (q->head + 1) % 4;
        q->count--;
        pthread_cond_signal(&q->notfull);
        pthread_mutex_unlock(q->m);
    }
}

static void produce_consume(pthread_mutex_t *m)
{
    struct pc *q = calloc(1, sizeof *q);
    q->m = m;
    pthread_cond_init(&q->notfull, NULL);
    pthread_cond_init(&q->notempty, NULL);
    pthread_t p[2], c[2];
    for (int i = 0; i < 2; i++) {
        p[i] = spawn(producer, q);
        c[i] = spawn(consumer, q);
    }
    for (int i = 0; i < 2; i++)
        join(p[i]);
    pthread_mutex_lock(m);
    q->done = 1;
    pthread_cond_broadcast(&q->notempty);
    pthread_mutex_unlock(m);
    for (int i = 0; i < 2; i++)
        join(c[i]);
    WT_EQ(q->sum, 2L * 3000 * 3001 / 2);
    WT_OK(pthread_cond_destroy(&q->notfull));
    WT_OK(pthread_cond_destroy(&q->notempty));
    free(q);
}

WT_TEST(producer_consumer)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    produce_consume(&m);
    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE);
    produce_consume(&r);
    WT_OK(pthread_mutex_destroy(&r));
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT);
    produce_consume(&r);
    WT_OK(pthread_mutex_destroy(&r));
}

WT_MAIN(WT_ENTRY(attributes, 0, 60),
        WT_ENTRY(signal_broadcast, 0, 60),
        WT_ENTRY(special_mutexes, 0, 60),
        WT_ENTRY(recursive_depth, 0, 60),
        WT_ENTRY(timeouts, 0, 60),
        WT_ENTRY(eperm, 0, 60),
        WT_ENTRY(destroy_busy, 0, 60),
        WT_ENTRY(cancel_in_wait, 0, 60),
        WT_ENTRY(robust_owner_dies_during_wait, 0, 60),
        WT_ENTRY(producer_consumer, 0, 120))
