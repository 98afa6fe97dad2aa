/* test-pmutex.c - pthread_mutex_* and pthread_mutexattr_* of
 * libweft-pthread, from the POSIX assertions: attributes and their
 * errors, glibc's static initializers of every kind (with no init call,
 * racing first lockers included), the types, trylock/timedlock/clocklock
 * on both clocks, robust mutexes (owner ending by return, pthread_exit
 * and cancellation; consistent; ENOTRECOVERABLE), priority inheritance
 * (one vCPU: low owner, high waiter, a yielding medium thread; and the
 * control without PI), priority ceilings, and a randomized stress mix.
 * Compiled with glibc's <pthread.h>, linked against libweft-pthread. */
#include "ptest.h"

#include <sys/mman.h>

static uint64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void init_mutex(pthread_mutex_t *m, int type, int robust, int protocol, int ceiling)
{
    pthread_mutexattr_t a;
    WT_OK(pthread_mutexattr_init(&a));
    WT_OK(pthread_mutexattr_settype(&a, type));
    WT_OK(pthread_mutexattr_setrobust(&a, robust));
    WT_OK(pthread_mutexattr_setprotocol(&a, protocol));
    if (ceiling)
        WT_OK(pthread_mutexattr_setprioceiling(&a, ceiling));
    WT_OK(pthread_mutex_init(m, &a));
    WT_OK(pthread_mutexattr_destroy(&a));
}

/* Run fn(m) in another thread; its return value (an int) back. */
struct call {
    int (*fn)(pthread_mutex_t *);
    pthread_mutex_t *m;
};

static void *call_thread(void *p)
{
    struct call *c = p;
    return (void *)(intptr_t)c->fn(c->m);
}

static int in_other_thread(int (*fn)(pthread_mutex_t *), pthread_mutex_t *m)
{
    struct call c = {fn, m};
    return (int)(intptr_t)join(spawn(call_thread, &c));
}

static int do_trylock(pthread_mutex_t *m) { return pthread_mutex_trylock(m); }
static int do_unlock(pthread_mutex_t *m) { return pthread_mutex_unlock(m); }
static int do_lock_unlock(pthread_mutex_t *m)
{
    int rc = pthread_mutex_lock(m);
    if (rc == 0 || rc == EOWNERDEAD)
        pthread_mutex_unlock(m);
    return rc;
}
static int do_timedlock_short(pthread_mutex_t *m)
{
    struct timespec ts = after(CLOCK_REALTIME, 20 * WT_MS);
    return pthread_mutex_timedlock(m, &ts);
}

WT_TEST(abi)
{
    WT_EQ(sizeof(pthread_mutex_t), 40);
    WT_EQ(sizeof(pthread_mutexattr_t), 4);
    pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    int kind;
    memcpy(&kind, (char *)&r + 16, sizeof kind);
    WT_EQ(kind, PTHREAD_MUTEX_RECURSIVE);
}

WT_TEST(attributes)
{
    pthread_mutexattr_t a;
    int v = -1;
    WT_OK(pthread_mutexattr_init(&a));
    WT_OK(pthread_mutexattr_gettype(&a, &v));
    WT_EQ(v, PTHREAD_MUTEX_DEFAULT);
    WT_OK(pthread_mutexattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_PRIVATE);
    WT_OK(pthread_mutexattr_getrobust(&a, &v));
    WT_EQ(v, PTHREAD_MUTEX_STALLED);
    WT_OK(pthread_mutexattr_getprotocol(&a, &v));
    WT_EQ(v, PTHREAD_PRIO_NONE);
    WT_OK(pthread_mutexattr_getprioceiling(&a, &v));
    WT_GE(v, sched_get_priority_min(SCHED_FIFO));
    WT_LE(v, sched_get_priority_max(SCHED_FIFO));

    int types[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ERRORCHECK,
                   PTHREAD_MUTEX_DEFAULT, PTHREAD_MUTEX_ADAPTIVE_NP};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        WT_OK(pthread_mutexattr_settype(&a, types[i]));
        WT_OK(pthread_mutexattr_gettype(&a, &v));
        WT_EQ(v, types[i]);
    }
    WT_ERR(pthread_mutexattr_settype(&a, -1), EINVAL);
    WT_ERR(pthread_mutexattr_settype(&a, 4), EINVAL);
    WT_OK(pthread_mutexattr_gettype(&a, &v));
    WT_EQ(v, PTHREAD_MUTEX_ADAPTIVE_NP); /* unchanged */

    WT_OK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_mutexattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_SHARED);
    WT_ERR(pthread_mutexattr_setpshared(&a, 2), EINVAL);
    WT_OK(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE));

    WT_OK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    WT_OK(pthread_mutexattr_getrobust(&a, &v));
    WT_EQ(v, PTHREAD_MUTEX_ROBUST);
    WT_ERR(pthread_mutexattr_setrobust(&a, 2), EINVAL);
    WT_OK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED));

    WT_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
    WT_OK(pthread_mutexattr_getprotocol(&a, &v));
    WT_EQ(v, PTHREAD_PRIO_INHERIT);
    WT_OK(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT));
    WT_OK(pthread_mutexattr_getprotocol(&a, &v));
    WT_EQ(v, PTHREAD_PRIO_PROTECT);
    WT_ERR(pthread_mutexattr_setprotocol(&a, 3), EINVAL);
    WT_ERR(pthread_mutexattr_setprotocol(&a, -1), EINVAL);

    WT_OK(pthread_mutexattr_setprioceiling(&a, 42));
    WT_OK(pthread_mutexattr_getprioceiling(&a, &v));
    WT_EQ(v, 42);
    WT_ERR(pthread_mutexattr_setprioceiling(&a, 0), EINVAL);
    WT_ERR(pthread_mutexattr_setprioceiling(&a, 100), EINVAL);
    WT_OK(pthread_mutexattr_getprioceiling(&a, &v));
    WT_EQ(v, 42);

    /* every attribute kept apart from the others */
    WT_OK(pthread_mutexattr_gettype(&a, &v));
    WT_EQ(v, PTHREAD_MUTEX_ADAPTIVE_NP);
    WT_OK(pthread_mutexattr_getprotocol(&a, &v));
    WT_EQ(v, PTHREAD_PRIO_PROTECT);
    WT_OK(pthread_mutexattr_destroy(&a));

    /* an all-zero attribute is accepted, as glibc does */
    pthread_mutexattr_t z;
    memset(&z, 0, sizeof z);
    pthread_mutex_t m;
    WT_OK(pthread_mutex_init(&m, &z));
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_destroy(&m));
    WT_OK(pthread_mutex_init(&m, NULL));
    WT_OK(pthread_mutex_destroy(&m));
}

WT_TEST(static_normal)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_trylock(&m), EBUSY);
    WT_ERR(in_other_thread(do_trylock, &m), EBUSY);
    WT_ERR(pthread_mutex_destroy(&m), EBUSY);
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_trylock(&m));
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(in_other_thread(do_lock_unlock, &m));
    WT_OK(pthread_mutex_destroy(&m));
}

WT_TEST(static_recursive)
{
    static pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    WT_ERR(pthread_mutex_unlock(&m), EPERM); /* not locked */
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_trylock(&m));
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_OK(pthread_mutex_timedlock(&m, &ts));
    WT_ERR(in_other_thread(do_trylock, &m), EBUSY);
    WT_ERR(in_other_thread(do_unlock, &m), EPERM);
    WT_ERR(in_other_thread(do_timedlock_short, &m), ETIMEDOUT);
    for (int i = 0; i < 4; i++)
        WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(in_other_thread(do_lock_unlock, &m));
    WT_OK(pthread_mutex_destroy(&m));
}

WT_TEST(static_errorcheck)
{
    static pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_lock(&m), EDEADLK);
    WT_ERR(pthread_mutex_trylock(&m), EBUSY);
    struct timespec ts = after(CLOCK_REALTIME, WT_MS);
    WT_ERR(pthread_mutex_timedlock(&m, &ts), EDEADLK);
    WT_ERR(in_other_thread(do_unlock, &m), EPERM);
    WT_ERR(in_other_thread(do_trylock, &m), EBUSY);
    WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_destroy(&m));
}

WT_TEST(static_adaptive)
{
    static pthread_mutex_t m = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_trylock(&m), EBUSY);
    WT_ERR(in_other_thread(do_trylock, &m), EBUSY);
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(in_other_thread(do_lock_unlock, &m));
    WT_OK(pthread_mutex_destroy(&m));
}

/* Two threads race the first lock of fresh statically initialised
 * recursive and errorcheck mutexes: both must see the type. */
struct race {
    pthread_mutex_t rec, err;
    atomic_int go;
    atomic_int bad;
    long counter;
};

static void *race_thread(void *p)
{
    struct race *r = p;
    while (!atomic_load(&r->go))
        ;
    if (pthread_mutex_lock(&r->rec) || pthread_mutex_lock(&r->rec))
        atomic_fetch_add(&r->bad, 1);
    r->counter++;
    if (pthread_mutex_unlock(&r->rec) || pthread_mutex_unlock(&r->rec))
        atomic_fetch_add(&r->bad, 1);
    if (pthread_mutex_lock(&r->err))
        atomic_fetch_add(&r->bad, 1);
    if (pthread_mutex_lock(&r->err) != EDEADLK)
        atomic_fetch_add(&r->bad, 1);
    r->counter++;
    if (pthread_mutex_unlock(&r->err))
        atomic_fetch_add(&r->bad, 1);
    return NULL;
}

WT_TEST(static_race)
{
    static const pthread_mutex_t rec0 = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    static const pthread_mutex_t err0 = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
    int rounds = (int)wt_scaled(300);
    for (int i = 0; i < rounds; i++) {
        struct race *r = calloc(1, sizeof *r);
        r->rec = rec0;
        r->err = err0;
        pthread_t a = spawn(race_thread, r), b = spawn(race_thread, r);
        atomic_store(&r->go, 1);
        join(a);
        join(b);
        WT_EQ(atomic_load(&r->bad), 0);
        WT_EQ(r->counter, 4);
        WT_ERR(pthread_mutex_unlock(&r->rec), EPERM);
        WT_ERR(pthread_mutex_unlock(&r->err), EPERM);
        free(r);
    }
}

WT_TEST(types_by_init)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, 0);
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_lock(&m), EDEADLK);
    WT_ERR(in_other_thread(do_unlock, &m), EPERM);
    WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_destroy(&m));

    init_mutex(&m, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, 0);
    for (int i = 0; i < 100; i++)
        WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_destroy(&m), EBUSY);
    for (int i = 0; i < 100; i++)
        WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_destroy(&m));

    init_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, 0);
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_trylock(&m), EBUSY);
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_destroy(&m));
}

struct targ {
    pthread_mutex_t *m;
    clockid_t clock;
    int use_clocklock;
    struct timespec ts;
    int rc;
};

static void *timed_thread(void *p)
{
    struct targ *a = p;
    if (a->use_clocklock)
        a->rc = pthread_mutex_clocklock(a->m, a->clock, &a->ts);
    else
        a->rc = pthread_mutex_timedlock(a->m, &a->ts);
    return NULL;
}

/* m held by the caller: another thread's timed locks end in ETIMEDOUT,
 * never early, on both clocks. */
static void timeouts_on(pthread_mutex_t *m)
{
    WT_OK(pthread_mutex_lock(m));
    struct targ args[3] = {{m, CLOCK_REALTIME, 0, {0, 0}, -1},
                           {m, CLOCK_REALTIME, 1, {0, 0}, -1},
                           {m, CLOCK_MONOTONIC, 1, {0, 0}, -1}};
    for (int i = 0; i < 3; i++) {
        struct targ *a = &args[i];
        uint64_t t0 = now_ns(a->clock);
        a->ts = after(a->clock, 30 * WT_MS);
        join(spawn(timed_thread, a));
        uint64_t waited = now_ns(a->clock) - t0;
        WT_ERR(a->rc, ETIMEDOUT);
        WT_GE(waited, 29 * WT_MS); /* clock granularity */
        WT_LT(waited, 10000 * WT_MS);
    }
    WT_OK(pthread_mutex_unlock(m));
}

WT_TEST(timeouts)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    timeouts_on(&m);
    /* the same for the side-entry kinds */
    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, 0);
    timeouts_on(&r);
    WT_OK(pthread_mutex_destroy(&r));
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT, 0);
    timeouts_on(&r);
    WT_OK(pthread_mutex_destroy(&r));

    /* a free mutex is taken whatever the time; a bad one only when it
     * would wait: EINVAL */
    struct timespec bad = {0, 1000000000L}, past = {0, 0};
    WT_OK(pthread_mutex_timedlock(&m, &bad));
    WT_ERR(pthread_mutex_timedlock(&m, &bad), EINVAL);  /* would wait */
    WT_ERR(pthread_mutex_timedlock(&m, &past), ETIMEDOUT);
    WT_ERR(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &past), ETIMEDOUT);
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &past));
    WT_OK(pthread_mutex_unlock(&m));
    struct timespec ts = after(CLOCK_MONOTONIC, WT_MS);
    WT_ERR(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_ERR(pthread_mutex_clocklock(&m, 12345, &ts), EINVAL);
}

/* pthread_mutex_timedlock is not a cancellation point (weft's timed
 * lock is: the layer turns that off around it). A cancel sent while it
 * waits acts only at the next cancellation point. */
struct nc {
    pthread_mutex_t *m;
    atomic_int started;
    int rc;
};

static void *nc_thread(void *p)
{
    struct nc *n = p;
    struct timespec ts = after(CLOCK_REALTIME, 300 * WT_MS);
    atomic_store(&n->started, 1);
    n->rc = pthread_mutex_timedlock(n->m, &ts);
    pthread_testcancel();
    return (void *)2;
}

static void not_cancellation_point(pthread_mutex_t *m)
{
    struct nc n = {m, 0, -1};
    WT_OK(pthread_mutex_lock(m));
    pthread_t t = spawn(nc_thread, &n);
    WT_WAIT_UNTIL(atomic_load(&n.started), 10);
    usleep(20000);
    WT_OK(pthread_cancel(t));
    WT_PTR_EQ(join(t), PTHREAD_CANCELED);
    WT_ERR(n.rc, ETIMEDOUT);
    WT_OK(pthread_mutex_unlock(m));
}

WT_TEST(timedlock_not_cancellation_point)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    not_cancellation_point(&m);
    pthread_mutex_t r;
    init_mutex(&r, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT, 0);
    not_cancellation_point(&r);
    WT_OK(pthread_mutex_destroy(&r));
}

struct holder {
    pthread_mutex_t *m;
    int how; /* 0 return, 1 pthread_exit, 2 wait for cancel */
    atomic_int locked;
};

static void *hold_and_end(void *p)
{
    struct holder *h = p;
    int rc = pthread_mutex_lock(h->m);
    if (rc != 0)
        return (void *)(intptr_t)rc;
    atomic_store(&h->locked, 1);
    if (h->how == 1)
        pthread_exit(NULL);
    if (h->how == 2)
        for (;;) {
            usleep(1000); /* a cancellation point */
            pthread_testcancel();
        }
    return NULL;
}

static void owner_dies(pthread_mutex_t *m, int how)
{
    struct holder h = {m, how, 0};
    pthread_t t = spawn(hold_and_end, &h);
    if (how == 2) {
        WT_WAIT_UNTIL(atomic_load(&h.locked), 10);
        WT_OK(pthread_cancel(t));
        WT_PTR_EQ(join(t), PTHREAD_CANCELED);
    } else {
        WT_PTR_EQ(join(t), NULL);
    }
    WT_EQ(atomic_load(&h.locked), 1);
}

WT_TEST(robust_owner_dies)
{
    for (int how = 0; how < 3; how++) {
        for (int type = 0; type < 3; type++) {
            pthread_mutex_t m;
            init_mutex(&m, type, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, 0);
            owner_dies(&m, how);
            /* the next locker holds it, marked; consistent makes it normal */
            WT_ERR(pthread_mutex_lock(&m), EOWNERDEAD);
            WT_OK(pthread_mutex_consistent(&m));
            WT_ERR(pthread_mutex_consistent(&m), EINVAL); /* consistent already */
            WT_OK(pthread_mutex_unlock(&m));
            WT_OK(pthread_mutex_lock(&m));
            WT_OK(pthread_mutex_unlock(&m));

            /* trylock and timedlock also report it */
            owner_dies(&m, how);
            WT_ERR(pthread_mutex_trylock(&m), EOWNERDEAD);
            WT_OK(pthread_mutex_consistent(&m));
            WT_OK(pthread_mutex_unlock(&m));
            owner_dies(&m, how);
            struct timespec ts = after(CLOCK_REALTIME, 100 * WT_MS);
            WT_ERR(pthread_mutex_timedlock(&m, &ts), EOWNERDEAD);
            /* unlocked without consistent: not recoverable, for good */
            WT_OK(pthread_mutex_unlock(&m));
            WT_ERR(pthread_mutex_lock(&m), ENOTRECOVERABLE);
            WT_ERR(pthread_mutex_trylock(&m), ENOTRECOVERABLE);
            ts = after(CLOCK_REALTIME, 100 * WT_MS);
            WT_ERR(pthread_mutex_timedlock(&m, &ts), ENOTRECOVERABLE);
            WT_ERR(in_other_thread(do_lock_unlock, &m), ENOTRECOVERABLE);
            WT_OK(pthread_mutex_destroy(&m));
        }
    }
}

/* A waiter blocked while the marked mutex is unlocked without consistent
 * gets ENOTRECOVERABLE. */
WT_TEST(robust_waiters_notrecoverable)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, 0);
    owner_dies(&m, 0);
    WT_ERR(pthread_mutex_lock(&m), EOWNERDEAD);
    pthread_t w[3];
    for (int i = 0; i < 3; i++)
        w[i] = spawn((void *(*)(void *))(void *)call_thread,
                     &(struct call){do_lock_unlock, &m});
    usleep(50000); /* let them block (not a pass criterion) */
    WT_OK(pthread_mutex_unlock(&m));
    for (int i = 0; i < 3; i++)
        WT_EQ((int)(intptr_t)join(w[i]), ENOTRECOVERABLE);
}

WT_TEST(robust_errors)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, 0);
    WT_ERR(pthread_mutex_consistent(&m), EINVAL); /* not marked */
    WT_OK(pthread_mutex_lock(&m));
    WT_ERR(pthread_mutex_lock(&m), EDEADLK); /* glibc too */
    WT_ERR(pthread_mutex_trylock(&m), EBUSY);
    WT_ERR(in_other_thread(do_unlock, &m), EPERM);
    WT_ERR(pthread_mutex_consistent(&m), EINVAL);
    WT_ERR(pthread_mutex_destroy(&m), EBUSY);
    WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_destroy(&m));
    /* a destroyed one is refused, not followed */
    WT_ERR(pthread_mutex_lock(&m), EINVAL);

    pthread_mutex_t p = PTHREAD_MUTEX_INITIALIZER;
    WT_ERR(pthread_mutex_consistent(&p), EINVAL); /* not robust */
    WT_OK(pthread_mutex_lock(&p));
    WT_ERR(pthread_mutex_consistent(&p), EINVAL);
    WT_OK(pthread_mutex_unlock(&p));

    /* recursive robust: counts, EOWNERDEAD after a death with depth */
    init_mutex(&m, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, 0);
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_unlock(&m));
    WT_ERR(pthread_mutex_unlock(&m), EPERM);
    WT_OK(pthread_mutex_destroy(&m));
}

/* ---- priorities ---- */

static int my_prio(void)
{
    int p = -1;
    WT_OK(weft_getpriority(weft_self(), &p));
    return p;
}

/* Re-run this test in a process with one vCPU. */
static void need_one_vcpu(void)
{
    if (weft_vcpu_count() == 1)
        return;
    if (getenv("WT_PMUTEX_REEXEC"))
        WT_SKIP("WEFT_VCPUS=1 did not give one vCPU");
    setenv("WEFT_VCPUS", "1", 1);
    setenv("WT_PMUTEX_REEXEC", "1", 1);
    fflush(NULL);
    char *argv[] = {(char *)"test-pmutex", (char *)wt_current, NULL};
    wt_exec_self(argv);
    WT_SKIP("execv: %s", strerror(errno));
}

struct inversion {
    pthread_mutex_t m;
    atomic_int seq;
    atomic_int l_locked, h_started;
    int h_got, m_done, l_done;
};

static void *low_thread(void *p)
{
    struct inversion *v = p;
    if (pthread_mutex_lock(&v->m))
        return (void *)1;
    atomic_store(&v->l_locked, 1);
    while (!atomic_load(&v->h_started))
        sched_yield();
    for (int i = 0; i < 50; i++)
        sched_yield();
    v->l_done = atomic_fetch_add(&v->seq, 1);
    pthread_mutex_unlock(&v->m);
    return NULL;
}

static void *medium_thread(void *p)
{
    struct inversion *v = p;
    for (int i = 0; i < 300; i++)
        sched_yield();
    v->m_done = atomic_fetch_add(&v->seq, 1);
    return NULL;
}

static void *high_thread(void *p)
{
    struct inversion *v = p;
    atomic_store(&v->h_started, 1);
    if (pthread_mutex_lock(&v->m))
        return (void *)1;
    v->h_got = atomic_fetch_add(&v->seq, 1);
    pthread_mutex_unlock(&v->m);
    return NULL;
}

static void inversion(int protocol, struct inversion *v)
{
    memset(v, 0, sizeof *v);
    init_mutex(&v->m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, protocol, 0);
    pthread_t l = spawn(low_thread, v);
    WT_OK(weft_setpriority((weft_t)l, 5));
    while (!atomic_load(&v->l_locked))
        usleep(1000);
    pthread_t m = spawn(medium_thread, v);
    WT_OK(weft_setpriority((weft_t)m, 10));
    pthread_t h = spawn(high_thread, v);
    WT_OK(weft_setpriority((weft_t)h, 20));
    WT_PTR_EQ(join(h), NULL);
    WT_PTR_EQ(join(m), NULL);
    WT_PTR_EQ(join(l), NULL);
    WT_OK(pthread_mutex_destroy(&v->m));
}

WT_TEST(priority_inheritance)
{
    need_one_vcpu();
    struct inversion v;
    /* control: the medium thread runs to its end before the owner can
     * release the mutex the high one waits for */
    inversion(PTHREAD_PRIO_NONE, &v);
    WT_LT(v.m_done, v.h_got);
    /* with PI the owner runs at the waiter's priority */
    inversion(PTHREAD_PRIO_INHERIT, &v);
    WT_LT(v.l_done, v.m_done);
    WT_LT(v.h_got, v.m_done);
    WT_EQ(my_prio(), WEFT_PRIO_DEFAULT);
}

/* The owner is boosted while a higher waiter waits, and drops back on
 * unlock; transitively through a chain. */
struct chain {
    pthread_mutex_t a, b;
    atomic_int stage;
};

static void *chain_mid(void *p)
{
    struct chain *c = p;
    pthread_mutex_lock(&c->b);
    atomic_store(&c->stage, 1);
    pthread_mutex_lock(&c->a); /* held by main */
    pthread_mutex_unlock(&c->a);
    pthread_mutex_unlock(&c->b);
    return NULL;
}

static void *chain_top(void *p)
{
    struct chain *c = p;
    atomic_store(&c->stage, 2);
    pthread_mutex_lock(&c->b);
    pthread_mutex_unlock(&c->b);
    return NULL;
}

WT_TEST(priority_inheritance_chain)
{
    struct chain c;
    memset(&c, 0, sizeof c);
    init_mutex(&c.a, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT, 0);
    init_mutex(&c.b, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT, 0);
    int base = my_prio();
    WT_OK(pthread_mutex_lock(&c.a));
    pthread_t mid = spawn(chain_mid, &c);
    WT_WAIT_UNTIL(atomic_load(&c.stage) == 1, 10);
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &c.a) == 1, 10);
    pthread_t top;
    pthread_attr_t at;
    WT_OK(pthread_attr_init(&at));
    WT_OK(pthread_create(&top, &at, chain_top, &c));
    WT_OK(weft_setpriority((weft_t)top, 28));
    WT_WAIT_UNTIL(wt_dump_waiting_on("mutex", &c.b) == 1, 10);
    /* top waits for mid, which waits for us: we run at top's priority */
    WT_WAIT_UNTIL(my_prio() == 28, 10);
    int mp = -1;
    WT_OK(weft_getpriority((weft_t)mid, &mp));
    WT_EQ(mp, 28);
    WT_OK(pthread_mutex_unlock(&c.a));
    WT_EQ(my_prio(), base);
    join(mid);
    join(top);
    WT_OK(pthread_attr_destroy(&at));
}

WT_TEST(priority_ceiling)
{
    pthread_mutex_t m;
    init_mutex(&m, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_PROTECT, 50);
    int c = -1, old = -1;
    WT_OK(pthread_mutex_getprioceiling(&m, &c));
    WT_EQ(c, 50);
    int base = my_prio();
    WT_OK(pthread_mutex_lock(&m));
    int want = my_prio();
    WT_GT(want, base);
    WT_OK(pthread_mutex_unlock(&m));
    WT_EQ(my_prio(), base);

    /* setprioceiling: locks, changes, returns the old one */
    WT_OK(pthread_mutex_setprioceiling(&m, 90, &old));
    WT_EQ(old, 50);
    WT_OK(pthread_mutex_getprioceiling(&m, &c));
    WT_EQ(c, 90);
    WT_OK(pthread_mutex_lock(&m));
    WT_GT(my_prio(), want);
    /* holding it: the change applies at once */
    WT_OK(pthread_mutex_setprioceiling(&m, 50, &old));
    WT_EQ(old, 90);
    WT_EQ(my_prio(), want);
    WT_OK(pthread_mutex_unlock(&m));
    WT_EQ(my_prio(), base);
    WT_ERR(pthread_mutex_setprioceiling(&m, 0, &old), EINVAL);
    WT_ERR(pthread_mutex_setprioceiling(&m, 100, &old), EINVAL);

    /* a caller above the ceiling: EINVAL */
    struct sched_param sp = {.sched_priority = 60};
    WT_OK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp));
    WT_ERR(pthread_mutex_lock(&m), EINVAL);
    WT_ERR(pthread_mutex_trylock(&m), EINVAL);
    sp.sched_priority = 0;
    WT_OK(pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp));
    WT_OK(pthread_mutex_lock(&m));
    WT_OK(pthread_mutex_unlock(&m));
    WT_OK(pthread_mutex_destroy(&m));

    /* not a ceiling mutex */
    pthread_mutex_t p = PTHREAD_MUTEX_INITIALIZER;
    WT_ERR(pthread_mutex_getprioceiling(&p, &c), EINVAL);
    WT_ERR(pthread_mutex_setprioceiling(&p, 10, &old), EINVAL);
}

/* ---- stress ---- */

struct stress {
    pthread_mutex_t m;
    pthread_cond_t cv;
    long counter;
    long shadow;
    atomic_long ops;
    uint64_t end;
    atomic_int bad;
};

static void *stress_thread(void *p)
{
    struct stress *s = p;
    uint64_t seed = (uint64_t)(uintptr_t)&seed ^ wt_clock_ns();
    long mine = 0;
    while (wt_clock_ns() < s->end) {
        int op = (int)wt_rand_below(&seed, 10);
        int rc;
        if (op < 5) {
            rc = pthread_mutex_lock(&s->m);
        } else if (op < 7) {
            rc = pthread_mutex_trylock(&s->m);
            if (rc == EBUSY)
                continue;
        } else {
            struct timespec ts = after(op == 7 ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                                       wt_rand_below(&seed, 2) * WT_MS);
            rc = op == 7 ? pthread_mutex_timedlock(&s->m, &ts)
                         : pthread_mutex_clocklock(&s->m, CLOCK_MONOTONIC, &ts);
            if (rc == ETIMEDOUT)
                continue;
        }
        if (rc) {
            atomic_fetch_add(&s->bad, 1);
            break;
        }
        long c = s->counter;
        if (c != s->shadow)
            atomic_fetch_add(&s->bad, 1);
        if (wt_rand_below(&seed, 8) == 0) {
            struct timespec ts = after(CLOCK_REALTIME, 200000);
            rc = pthread_cond_timedwait(&s->cv, &s->m, &ts);
            if (rc && rc != ETIMEDOUT)
                atomic_fetch_add(&s->bad, 1);
            c = s->counter;
        }
        s->counter = c + 1;
        s->shadow = c + 1;
        if (wt_rand_below(&seed, 4) == 0)
            pthread_cond_signal(&s->cv);
        if (pthread_mutex_unlock(&s->m))
            atomic_fetch_add(&s->bad, 1);
        mine++;
    }
    atomic_fetch_add(&s->ops, mine);
    return NULL;
}

static void stress_one(const pthread_mutex_t *init)
{
    struct stress *s = calloc(1, sizeof *s);
    s->m = *init;
    pthread_cond_init(&s->cv, NULL);
    s->end = wt_clock_ns() + 700 * WT_MS;
    enum { N = 8 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        t[i] = spawn(stress_thread, s);
    for (int i = 0; i < N; i++)
        join(t[i]);
    pthread_cond_broadcast(&s->cv);
    WT_EQ(atomic_load(&s->bad), 0);
    WT_EQ(s->counter, atomic_load(&s->ops));
    WT_GT(s->counter, 0);
    WT_OK(pthread_cond_destroy(&s->cv));
    free(s);
}

WT_TEST(stress)
{
    WT_GE(weft_vcpu_count(), 1);
    static const pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
    static const pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
    stress_one(&plain);
    stress_one(&rec);
    /* the other kinds cannot be copied: made in place */
    for (int kind = 0; kind < 2; kind++) {
        struct stress *s = calloc(1, sizeof *s);
        if (kind == 0) {
            init_mutex(&s->m, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ROBUST,
                       PTHREAD_PRIO_INHERIT, 0);
            WT_OK(pthread_cond_init(&s->cv, NULL));
        } else { /* process-shared mutex and condvar, used in-process */
            pthread_mutexattr_t ma;
            WT_OK(pthread_mutexattr_init(&ma));
            WT_OK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
            WT_OK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
            WT_OK(pthread_mutex_init(&s->m, &ma));
            pthread_condattr_t ca;
            WT_OK(pthread_condattr_init(&ca));
            WT_OK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
            WT_OK(pthread_cond_init(&s->cv, &ca));
        }
        s->end = wt_clock_ns() + 700 * WT_MS;
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            t[i] = spawn(stress_thread, s);
        for (int i = 0; i < 8; i++)
            join(t[i]);
        WT_EQ(atomic_load(&s->bad), 0);
        WT_EQ(s->counter, atomic_load(&s->ops));
        WT_GT(s->counter, 0);
        WT_OK(pthread_mutex_destroy(&s->m));
        WT_OK(pthread_cond_destroy(&s->cv));
        free(s);
    }
    WT_EQ(my_prio(), WEFT_PRIO_DEFAULT);
}

WT_MAIN(WT_ENTRY(abi, 0, 60),
        WT_ENTRY(attributes, 0, 60),
        WT_ENTRY(static_normal, 0, 60),
        WT_ENTRY(static_recursive, 0, 60),
        WT_ENTRY(static_errorcheck, 0, 60),
        WT_ENTRY(static_adaptive, 0, 60),
        WT_ENTRY(static_race, 0, 120),
        WT_ENTRY(types_by_init, 0, 60),
        WT_ENTRY(timeouts, 0, 60),
        WT_ENTRY(timedlock_not_cancellation_point, 0, 60),
        WT_ENTRY(robust_owner_dies, 0, 60),
        WT_ENTRY(robust_waiters_notrecoverable, 0, 60),
        WT_ENTRY(robust_errors, 0, 60),
        WT_ENTRY(priority_inheritance, WT_FRESH, 60),
        WT_ENTRY(priority_inheritance_chain, 0, 60),
        WT_ENTRY(priority_ceiling, 0, 60),
        WT_ENTRY(stress, 0, 120))
