/* test-prwlock.c - pthread_rwlock_* and pthread_rwlockattr_* of
 * libweft-pthread, from the POSIX assertions: every error code, the
 * glibc kinds (recursive read while a writer waits under the default and
 * PREFER_WRITER_NP kinds, writer preference under
 * PREFER_WRITER_NONRECURSIVE_NP, its static initializer), the timed forms
 * on both clocks and not being cancellation points, the priority rule
 * under SCHED_FIFO, process-shared rwlocks across fork, and a randomized
 * stress on both vCPUs.
 *
 * Knobs: seconds=<n> (stress), threads=<n> (stress). */
#include "ptest.h"

#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>

WT_HELPER int waiting_on(pthread_rwlock_t *rw)
{
    return wt_dump_waiting_on("rwlock", rw);
}

WT_HELPER void set_fifo(int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    WT_OK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp));
}

/* ---- attributes ---- */
WT_TEST(attr)
{
    pthread_rwlockattr_t a;
    int v = -1;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_PRIVATE);
    WT_OK(pthread_rwlockattr_getkind_np(&a, &v));
    WT_EQ(v, PTHREAD_RWLOCK_PREFER_READER_NP);
    WT_ERR(pthread_rwlockattr_setpshared(&a, 7), EINVAL);
    WT_ERR(pthread_rwlockattr_setpshared(&a, -1), EINVAL);
    WT_OK(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_rwlockattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_SHARED);
    WT_ERR(pthread_rwlockattr_setkind_np(&a, 3), EINVAL);
    WT_ERR(pthread_rwlockattr_setkind_np(&a, -1), EINVAL);
    int kinds[] = {PTHREAD_RWLOCK_PREFER_WRITER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
                   PTHREAD_RWLOCK_PREFER_READER_NP};
    for (int i = 0; i < 3; i++) {
        WT_OK(pthread_rwlockattr_setkind_np(&a, kinds[i]));
        WT_OK(pthread_rwlockattr_getkind_np(&a, &v));
        WT_EQ(v, kinds[i]);
    }
    WT_OK(pthread_rwlockattr_destroy(&a));

    /* a rwlock made with each kind carries glibc's __flags */
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
    WT_OK(pthread_rwlock_init(&rw, &a));
    WT_EQ(rw.__data.__flags, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    WT_OK(pthread_rwlock_destroy(&rw));
    WT_OK(pthread_rwlockattr_destroy(&a));
}

/* ---- errors, single thread ---- */
WT_TEST(errors)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL));
    /* unlock when not held */
    WT_ERR(pthread_rwlock_unlock(&rw), EPERM);
    /* read lock: shared, several times */
    WT_OK(pthread_rwlock_rdlock(&rw));
    WT_OK(pthread_rwlock_tryrdlock(&rw));
    WT_OK(pthread_rwlock_rdlock(&rw));
    WT_ERR(pthread_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(pthread_rwlock_destroy(&rw), EBUSY);
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_ERR(pthread_rwlock_unlock(&rw), EPERM);
    /* write lock: exclusive; relocking EDEADLK */
    WT_OK(pthread_rwlock_wrlock(&rw));
    WT_ERR(pthread_rwlock_wrlock(&rw), EDEADLK);
    WT_ERR(pthread_rwlock_rdlock(&rw), EDEADLK);
    WT_ERR(pthread_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(pthread_rwlock_tryrdlock(&rw), EBUSY);
    struct timespec ts = in_ms(CLOCK_REALTIME, 10);
    WT_ERR(pthread_rwlock_timedwrlock(&rw, &ts), EDEADLK);
    WT_ERR(pthread_rwlock_timedrdlock(&rw, &ts), EDEADLK);
    ts = in_ms(CLOCK_MONOTONIC, 10);
    WT_ERR(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts), EDEADLK);
    WT_ERR(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts), EDEADLK);
    WT_ERR(pthread_rwlock_destroy(&rw), EBUSY);
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_ERR(pthread_rwlock_unlock(&rw), EPERM);
    /* the timed forms take a free lock whatever the timespec */
    struct timespec bad = {0, 2000000000L};
    WT_OK(pthread_rwlock_timedwrlock(&rw, &bad));
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_OK(pthread_rwlock_timedrdlock(&rw, &bad));
    WT_OK(pthread_rwlock_unlock(&rw));
    struct timespec past = {1, 0};
    WT_OK(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &past));
    WT_OK(pthread_rwlock_unlock(&rw));
    /* a bad clock is EINVAL */
    WT_ERR(pthread_rwlock_clockrdlock(&rw, CLOCK_PROCESS_CPUTIME_ID, &past), EINVAL);
    WT_ERR(pthread_rwlock_clockwrlock(&rw, 12345, &past), EINVAL);
    WT_OK(pthread_rwlock_destroy(&rw));
    /* destroyed objects can be initialised again */
    WT_OK(pthread_rwlock_init(&rw, NULL));
    WT_OK(pthread_rwlock_destroy(&rw));
}

/* The static initializers work without init, and destroy. */
static pthread_rwlock_t static_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t static_nr = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

WT_TEST(static_init)
{
    WT_OK(pthread_rwlock_rdlock(&static_rw));
    WT_OK(pthread_rwlock_unlock(&static_rw));
    WT_OK(pthread_rwlock_wrlock(&static_rw));
    WT_ERR(pthread_rwlock_tryrdlock(&static_rw), EBUSY);
    WT_OK(pthread_rwlock_unlock(&static_rw));
    WT_OK(pthread_rwlock_destroy(&static_rw));
    WT_OK(pthread_rwlock_wrlock(&static_nr));
    WT_OK(pthread_rwlock_unlock(&static_nr));
    WT_EQ(static_nr.__data.__flags, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
}

/* ---- another thread's lock ---- */
struct holder {
    pthread_rwlock_t *rw;
    int write;
    atomic_int locked, release;
};

static void *hold(void *arg)
{
    struct holder *h = arg;
    WT_OK(h->write ? pthread_rwlock_wrlock(h->rw) : pthread_rwlock_rdlock(h->rw));
    atomic_store(&h->locked, 1);
    while (!atomic_load(&h->release))
        usleep(1000);
    WT_OK(pthread_rwlock_unlock(h->rw));
    return NULL;
}

WT_TEST(other_thread)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL));
    struct holder h = {&rw, 1, 0, 0};
    pthread_t t = spawn(hold, &h);
    WT_WAIT_UNTIL(atomic_load(&h.locked), 10);
    /* unlocking a write lock held by another thread */
    WT_ERR(pthread_rwlock_unlock(&rw), EPERM);
    WT_ERR(pthread_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(pthread_rwlock_tryrdlock(&rw), EBUSY);
    WT_ERR(pthread_rwlock_destroy(&rw), EBUSY);
    /* timeouts on both clocks, never early */
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    for (int c = 0; c < 2; c++) {
        for (int w = 0; w < 2; w++) {
            uint64_t t0 = wt_clock_ns();
            struct timespec ts = in_ms(clocks[c], 30);
            int rc;
            if (c == 0)
                rc = w ? pthread_rwlock_timedwrlock(&rw, &ts) : pthread_rwlock_timedrdlock(&rw, &ts);
            else
                rc = w ? pthread_rwlock_clockwrlock(&rw, clocks[c], &ts)
                       : pthread_rwlock_clockrdlock(&rw, clocks[c], &ts);
            WT_ERR(rc, ETIMEDOUT);
            WT_GE(wt_clock_ns() - t0, 29 * WT_MS);
            ts = in_ms(clocks[c], 30);
            rc = w ? pthread_rwlock_clockwrlock(&rw, clocks[c], &ts)
                   : pthread_rwlock_clockrdlock(&rw, clocks[c], &ts);
            WT_ERR(rc, ETIMEDOUT);
        }
    }
    /* a time already passed, and a bad timespec, when it would wait */
    struct timespec past = {1, 0}, bad = {0, -1}, bad2 = {0, 1000000000L};
    WT_ERR(pthread_rwlock_timedwrlock(&rw, &past), ETIMEDOUT);
    WT_ERR(pthread_rwlock_timedrdlock(&rw, &past), ETIMEDOUT);
    WT_ERR(pthread_rwlock_timedwrlock(&rw, &bad), EINVAL);
    WT_ERR(pthread_rwlock_timedrdlock(&rw, &bad2), EINVAL);
    WT_ERR(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &bad2), EINVAL);
    atomic_store(&h.release, 1);
    join(t);
    WT_OK(pthread_rwlock_wrlock(&rw));
    WT_OK(pthread_rwlock_unlock(&rw));

    /* a read lock held elsewhere: readers share, writers time out */
    struct holder r = {&rw, 0, 0, 0};
    t = spawn(hold, &r);
    WT_WAIT_UNTIL(atomic_load(&r.locked), 10);
    WT_OK(pthread_rwlock_tryrdlock(&rw));
    WT_OK(pthread_rwlock_unlock(&rw));
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 20);
    WT_ERR(pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    atomic_store(&r.release, 1);
    join(t);
    WT_OK(pthread_rwlock_destroy(&rw));
}

/* ---- timed locks are not cancellation points ---- */
struct cancel_arg {
    pthread_rwlock_t *rw;
    atomic_int returned;
    int rc;
};

static void *timed_with_cancel_pending(void *arg)
{
    struct cancel_arg *c = arg;
    WT_OK(pthread_cancel(pthread_self()));
    struct timespec ts = in_ms(CLOCK_REALTIME, 20);
    c->rc = pthread_rwlock_timedwrlock(c->rw, &ts);
    ts = in_ms(CLOCK_MONOTONIC, 20);
    int rc2 = pthread_rwlock_clockrdlock(c->rw, CLOCK_MONOTONIC, &ts);
    if (rc2 != ETIMEDOUT)
        c->rc = rc2;
    atomic_store(&c->returned, 1);
    pthread_testcancel(); /* here it acts */
    return NULL;
}

WT_TEST(timed_not_cancellation_point)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL));
    WT_OK(pthread_rwlock_wrlock(&rw));
    struct cancel_arg c = {&rw, 0, -1};
    pthread_t t = spawn(timed_with_cancel_pending, &c);
    void *r = join(t);
    WT_EQ(atomic_load(&c.returned), 1);
    WT_ERR(c.rc, ETIMEDOUT);
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_OK(pthread_rwlock_unlock(&rw));
    WT_OK(pthread_rwlock_destroy(&rw));
}

/* ---- kinds ---- */
struct waiter {
    pthread_rwlock_t *rw;
    int write;
    atomic_int got, release;
    int order;
};

static atomic_int order_next;

static void *lock_wait(void *arg)
{
    struct waiter *w = arg;
    WT_OK(w->write ? pthread_rwlock_wrlock(w->rw) : pthread_rwlock_rdlock(w->rw));
    w->order = atomic_fetch_add(&order_next, 1);
    atomic_store(&w->got, 1);
    while (!atomic_load(&w->release))
        usleep(500);
    WT_OK(pthread_rwlock_unlock(w->rw));
    return NULL;
}

/* Under reader preference a thread holding a read lock reads again while
 * a writer waits (glibc's PREFER_READER_NP, the default, and
 * PREFER_WRITER_NP). */
static void recursive_read(pthread_rwlock_t *rw)
{
    WT_OK(pthread_rwlock_rdlock(rw));
    struct waiter w = {rw, 1, 0, 0, 0};
    pthread_t t = spawn(lock_wait, &w);
    WT_WAIT_UNTIL(waiting_on(rw) == 1, 10);
    WT_OK(pthread_rwlock_rdlock(rw));    /* no deadlock */
    WT_OK(pthread_rwlock_tryrdlock(rw)); /* nor EBUSY */
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 1000);
    WT_OK(pthread_rwlock_clockrdlock(rw, CLOCK_MONOTONIC, &ts));
    WT_EQ(atomic_load(&w.got), 0);
    for (int i = 0; i < 3; i++)
        WT_OK(pthread_rwlock_unlock(rw));
    usleep(20000);
    WT_EQ(atomic_load(&w.got), 0); /* one read lock still held */
    WT_OK(pthread_rwlock_unlock(rw));
    WT_WAIT_UNTIL(atomic_load(&w.got), 10);
    atomic_store(&w.release, 1);
    join(t);
}

WT_TEST(recursive_read_default)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL));
    recursive_read(&rw);
    WT_OK(pthread_rwlock_destroy(&rw));

    static pthread_rwlock_t srw = PTHREAD_RWLOCK_INITIALIZER;
    recursive_read(&srw);

    pthread_rwlockattr_t a;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NP));
    WT_OK(pthread_rwlock_init(&rw, &a));
    recursive_read(&rw);
    WT_OK(pthread_rwlock_destroy(&rw));
    WT_OK(pthread_rwlockattr_destroy(&a));
}

/* Under PREFER_WRITER_NONRECURSIVE_NP a waiting writer keeps new readers
 * out, and gets the lock before readers that came after it. */
static void writer_pref(pthread_rwlock_t *rw)
{
    atomic_store(&order_next, 0);
    WT_OK(pthread_rwlock_rdlock(rw));
    struct waiter w = {rw, 1, 0, 0, -1}, r = {rw, 0, 0, 0, -1};
    pthread_t tw = spawn(lock_wait, &w);
    WT_WAIT_UNTIL(waiting_on(rw) == 1, 10);
    WT_ERR(pthread_rwlock_tryrdlock(rw), EBUSY);
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 20);
    WT_ERR(pthread_rwlock_clockrdlock(rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    pthread_t tr = spawn(lock_wait, &r);
    WT_WAIT_UNTIL(waiting_on(rw) == 2, 10);
    WT_OK(pthread_rwlock_unlock(rw));
    WT_WAIT_UNTIL(atomic_load(&w.got), 10);
    usleep(20000);
    WT_EQ(atomic_load(&r.got), 0); /* the writer holds it */
    atomic_store(&w.release, 1);
    WT_WAIT_UNTIL(atomic_load(&r.got), 10);
    WT_EQ(w.order, 0);
    WT_EQ(r.order, 1);
    atomic_store(&r.release, 1);
    join(tw);
    join(tr);
}

WT_TEST(writer_preference_nonrecursive)
{
    static pthread_rwlock_t srw = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    writer_pref(&srw); /* the static initializer, no init call */
    pthread_rwlockattr_t a;
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
    WT_OK(pthread_rwlock_init(&rw, &a));
    writer_pref(&rw);
    WT_OK(pthread_rwlock_destroy(&rw));
    WT_OK(pthread_rwlockattr_destroy(&a));
}

/* Under the default kind, a writer that waits gets the lock once the
 * readers are gone; a timed-out writer does not block anyone. */
WT_TEST(default_writer_gets_it)
{
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    atomic_store(&order_next, 0);
    struct holder h = {&rw, 0, 0, 0};
    pthread_t th = spawn(hold, &h);
    WT_WAIT_UNTIL(atomic_load(&h.locked), 10);
    struct waiter w = {&rw, 1, 0, 0, -1};
    pthread_t tw = spawn(lock_wait, &w);
    WT_WAIT_UNTIL(waiting_on(&rw) == 1, 10);
    atomic_store(&h.release, 1);
    join(th);
    WT_WAIT_UNTIL(atomic_load(&w.got), 10);
    atomic_store(&w.release, 1);
    join(tw);
    WT_OK(pthread_rwlock_destroy(&rw));
}

/* ---- the priority rule under SCHED_FIFO ---- */
struct rt_waiter {
    pthread_rwlock_t *rw;
    int write, prio;
    atomic_int started;
    int order;
    int via_attr; /* created SCHED_FIFO by its attributes */
};

static void *rt_lock(void *arg)
{
    struct rt_waiter *w = arg;
    if (w->via_attr) {
        int policy = -1;
        struct sched_param sp;
        WT_OK(pthread_getschedparam(pthread_self(), &policy, &sp));
        WT_EQ(policy, SCHED_FIFO);
        WT_EQ(sp.sched_priority, w->prio);
    } else {
        set_fifo(w->prio);
    }
    atomic_store(&w->started, 1);
    WT_OK(w->write ? pthread_rwlock_wrlock(w->rw) : pthread_rwlock_rdlock(w->rw));
    w->order = atomic_fetch_add(&order_next, 1);
    usleep(5000); /* hold it a little: nobody else may be let in meanwhile */
    WT_OK(pthread_rwlock_unlock(w->rw));
    return NULL;
}

WT_TEST(priority_order)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL));
    atomic_store(&order_next, 0);
    WT_OK(pthread_rwlock_wrlock(&rw));
    /* queued in this order; they must get it in order of priority,
     * writers first at equal priority */
    struct rt_waiter w[] = {
        {&rw, 0, 10, 0, -1, 0}, /* reader 10: last */
        {&rw, 1, 10, 0, -1, 0}, /* writer 10: before reader 10 */
        {&rw, 0, 90, 0, -1, 0}, /* reader 90: first */
        {&rw, 1, 50, 0, -1, 0}, /* writer 50: second */
        {&rw, 0, 30, 0, -1, 0}, /* reader 30: third */
    };
    int want[] = {4, 3, 0, 1, 2};
    enum { N = sizeof w / sizeof w[0] };
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        if (i % 2) { /* every other one made SCHED_FIFO by its attributes */
            w[i].via_attr = 1;
            pthread_attr_t a;
            struct sched_param sp = {.sched_priority = w[i].prio};
            WT_OK(pthread_attr_init(&a));
            WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
            WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
            WT_OK(pthread_attr_setschedparam(&a, &sp));
            WT_OK(pthread_create(&t[i], &a, rt_lock, &w[i]));
            WT_OK(pthread_attr_destroy(&a));
        } else {
            t[i] = spawn(rt_lock, &w[i]);
        }
        WT_WAIT_UNTIL(waiting_on(&rw) == i + 1, 10);
    }
    WT_OK(pthread_rwlock_unlock(&rw));
    for (int i = 0; i < N; i++)
        join(t[i]);
    for (int i = 0; i < N; i++)
        WT_ASSERTF(w[i].order == want[i], "waiter %d (%s, prio %d): order %d, want %d", i,
                   w[i].write ? "writer" : "reader", w[i].prio, w[i].order, want[i]);
    WT_OK(pthread_rwlock_destroy(&rw));
}

struct try_arg {
    pthread_rwlock_t *rw;
    int prio; /* 0: SCHED_OTHER */
    int rc;
};

static void *try_read(void *arg)
{
    struct try_arg *a = arg;
    if (a->prio)
        set_fifo(a->prio);
    a->rc = pthread_rwlock_tryrdlock(a->rw);
    if (a->rc == 0)
        WT_OK(pthread_rwlock_unlock(a->rw));
    return NULL;
}

/* No reader takes the lock while a real-time writer of higher or equal
 * priority waits (whatever the kind); a higher-priority reader does. */
WT_TEST(priority_reader_rule)
{
    pthread_rwlock_t rw;
    WT_OK(pthread_rwlock_init(&rw, NULL)); /* PREFER_READER_NP */
    WT_OK(pthread_rwlock_rdlock(&rw));
    atomic_store(&order_next, 0);
    struct rt_waiter wr = {&rw, 1, 50, 0, -1, 0};
    pthread_t tw = spawn(rt_lock, &wr);
    WT_WAIT_UNTIL(waiting_on(&rw) == 1, 10);
    struct try_arg cases[] = {{&rw, 0, -1}, {&rw, 10, -1}, {&rw, 50, -1}, {&rw, 90, -1}};
    int want[] = {EBUSY, EBUSY, EBUSY, 0};
    for (int i = 0; i < 4; i++) {
        pthread_t t = spawn(try_read, &cases[i]);
        join(t);
        WT_ASSERTF(cases[i].rc == want[i], "reader prio %d: tryrdlock %s, want %s", cases[i].prio,
                   wt_errname(cases[i].rc), wt_errname(want[i]));
    }
    WT_OK(pthread_rwlock_unlock(&rw));
    join(tw);
    WT_EQ(wr.order, 0);
    WT_OK(pthread_rwlock_destroy(&rw));
}

/* ---- process-shared, across fork ---- */
struct shm_rw {
    pthread_rwlock_t rw;
    atomic_int step;
    atomic_int value;
};

WT_HELPER struct shm_rw *shm_rw(int kind)
{
    struct shm_rw *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    pthread_rwlockattr_t a;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_rwlockattr_setkind_np(&a, kind));
    WT_OK(pthread_rwlock_init(&s->rw, &a));
    WT_OK(pthread_rwlockattr_destroy(&a));
    return s;
}

/* The child: only process-shared operations, then _exit with a code
 * that says which check failed (0: all passed). */
#define CHECK(n, cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            _exit(n);                                                         \
    } while (0)

static void child_rw(struct shm_rw *s)
{
    /* the parent holds the write lock */
    CHECK(10, pthread_rwlock_trywrlock(&s->rw) == EBUSY);
    CHECK(11, pthread_rwlock_tryrdlock(&s->rw) == EBUSY);
    CHECK(12, pthread_rwlock_unlock(&s->rw) == EPERM);
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 30);
    CHECK(13, pthread_rwlock_clockwrlock(&s->rw, CLOCK_MONOTONIC, &ts) == ETIMEDOUT);
    ts = in_ms(CLOCK_REALTIME, 30);
    CHECK(14, pthread_rwlock_timedrdlock(&s->rw, &ts) == ETIMEDOUT);
    CHECK(15, pthread_rwlock_destroy(&s->rw) == EBUSY);
    atomic_store(&s->step, 1);
    /* blocks until the parent unlocks */
    CHECK(16, pthread_rwlock_rdlock(&s->rw) == 0);
    CHECK(17, atomic_load(&s->value) == 1);
    CHECK(18, pthread_rwlock_unlock(&s->rw) == 0);
    /* now the child writes, the parent waits for it */
    CHECK(19, pthread_rwlock_wrlock(&s->rw) == 0);
    CHECK(20, pthread_rwlock_wrlock(&s->rw) == EDEADLK);
    CHECK(21, pthread_rwlock_rdlock(&s->rw) == EDEADLK);
    atomic_store(&s->step, 2);
    wt_spin_ns(50 * WT_MS); /* no weft calls in the child: it has no runtime */
    atomic_store(&s->value, 2);
    CHECK(22, pthread_rwlock_unlock(&s->rw) == 0);
    _exit(0);
}

WT_HELPER void wait_child(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        WT_EQ(errno, EINTR);
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status 0x%x (exit %d: the check that failed)",
               st, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

WT_TEST(pshared_fork)
{
    struct shm_rw *s = shm_rw(PTHREAD_RWLOCK_PREFER_READER_NP);
    WT_OK(pthread_rwlock_wrlock(&s->rw));
    pid_t pid = fork();
    WT_ASSERT(pid >= 0);
    if (pid == 0)
        child_rw(s);
    WT_WAIT_UNTIL(atomic_load(&s->step) == 1, 10);
    usleep(20000); /* the child is blocked in rdlock */
    atomic_store(&s->value, 1);
    WT_OK(pthread_rwlock_unlock(&s->rw));
    WT_WAIT_UNTIL(atomic_load(&s->step) == 2, 10);
    WT_ERR(pthread_rwlock_unlock(&s->rw), EPERM);  /* the child's write lock */
    WT_ERR(pthread_rwlock_tryrdlock(&s->rw), EBUSY);
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 10);
    WT_ERR(pthread_rwlock_clockrdlock(&s->rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    WT_OK(pthread_rwlock_wrlock(&s->rw)); /* waits for the child */
    WT_EQ(atomic_load(&s->value), 2);
    WT_OK(pthread_rwlock_unlock(&s->rw));
    wait_child(pid);
    WT_OK(pthread_rwlock_destroy(&s->rw));
    munmap(s, sizeof *s);
}

/* Recursive read across processes under the default kind while a writer
 * (the child) waits; writer preference under NONRECURSIVE. */
static void child_writer(struct shm_rw *s)
{
    atomic_store(&s->step, 1);
    CHECK(30, pthread_rwlock_wrlock(&s->rw) == 0);
    atomic_store(&s->value, 5);
    CHECK(31, pthread_rwlock_unlock(&s->rw) == 0);
    _exit(0);
}

WT_TEST(pshared_kinds)
{
    for (int k = 0; k < 2; k++) {
        int kind = k ? PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP : PTHREAD_RWLOCK_PREFER_READER_NP;
        struct shm_rw *s = shm_rw(kind);
        WT_OK(pthread_rwlock_rdlock(&s->rw));
        pid_t pid = fork();
        WT_ASSERT(pid >= 0);
        if (pid == 0)
            child_writer(s);
        WT_WAIT_UNTIL(atomic_load(&s->step) == 1, 10);
        usleep(50000); /* the child waits in wrlock */
        if (k == 0) {
            WT_OK(pthread_rwlock_rdlock(&s->rw)); /* recursive: no deadlock */
            WT_OK(pthread_rwlock_unlock(&s->rw));
        } else {
            WT_ERR(pthread_rwlock_tryrdlock(&s->rw), EBUSY); /* the writer waits */
        }
        WT_EQ(atomic_load(&s->value), 0);
        WT_OK(pthread_rwlock_unlock(&s->rw));
        wait_child(pid);
        WT_EQ(atomic_load(&s->value), 5);
        WT_OK(pthread_rwlock_destroy(&s->rw));
        munmap(s, sizeof *s);
    }
}

/* ---- stress: both vCPUs, randomized, invariants checked ---- */
struct stress {
    pthread_rwlock_t rw;
    sem_t slots;            /* at most SLOTS threads inside the "pool" */
    atomic_int readers, writers, in_pool;
    atomic_long ops, reads, writes, timeouts;
    long shared_counter;    /* written under the write lock */
    atomic_int stop;
    int kind;
};
enum { SLOTS = 3 };

static void *stress_thread(void *arg)
{
    struct stress *s = arg;
    uint64_t seed = (uint64_t)(uintptr_t)&seed ^ wt_clock_ns();
    while (!atomic_load(&s->stop)) {
        unsigned op = (unsigned)wt_rand_below(&seed, 8);
        int rc, write = op >= 5;
        switch (op) {
        case 0: case 1: rc = pthread_rwlock_rdlock(&s->rw); break;
        case 2: rc = pthread_rwlock_tryrdlock(&s->rw); break;
        case 3: {
            struct timespec ts = in_ms(CLOCK_MONOTONIC, 1);
            rc = pthread_rwlock_clockrdlock(&s->rw, CLOCK_MONOTONIC, &ts);
            break;
        }
        case 4: {
            /* the semaphore side: a bounded pool */
            if (sem_trywait(&s->slots) != 0) {
                WT_EQ(errno, EAGAIN);
                WT_OK(sem_wait(&s->slots));
            }
            int n = atomic_fetch_add(&s->in_pool, 1) + 1;
            WT_ASSERTF(n <= SLOTS, "%d threads in a pool of %d", n, SLOTS);
            sched_yield();
            atomic_fetch_sub(&s->in_pool, 1);
            WT_OK(sem_post(&s->slots));
            continue;
        }
        case 5: rc = pthread_rwlock_wrlock(&s->rw); break;
        case 6: rc = pthread_rwlock_trywrlock(&s->rw); break;
        default: {
            struct timespec ts = in_ms(CLOCK_REALTIME, 1);
            rc = pthread_rwlock_timedwrlock(&s->rw, &ts);
            break;
        }
        }
        if (rc == EBUSY || rc == ETIMEDOUT) {
            atomic_fetch_add(&s->timeouts, 1);
            continue;
        }
        WT_OK(rc);
        if (write) {
            WT_EQ(atomic_fetch_add(&s->writers, 1), 0);
            WT_EQ(atomic_load(&s->readers), 0);
            long c = s->shared_counter;
            if (wt_rand_below(&seed, 4) == 0)
                sched_yield();
            s->shared_counter = c + 1;
            atomic_fetch_add(&s->writes, 1);
            atomic_fetch_sub(&s->writers, 1);
        } else {
            atomic_fetch_add(&s->readers, 1);
            WT_EQ(atomic_load(&s->writers), 0);
            if (wt_rand_below(&seed, 4) == 0)
                sched_yield();
            WT_EQ(atomic_load(&s->writers), 0);
            atomic_fetch_sub(&s->readers, 1);
            atomic_fetch_add(&s->reads, 1);
        }
        WT_OK(pthread_rwlock_unlock(&s->rw));
        atomic_fetch_add(&s->ops, 1);
    }
    return NULL;
}

/* The process-shared stress's child: the same invariants, from another
 * process (no runtime there: spins instead of yields). */
static void stress_child(struct stress *s)
{
    uint64_t seed = wt_clock_ns();
    while (!atomic_load(&s->stop)) {
        unsigned op = (unsigned)wt_rand_below(&seed, 4);
        int rc, write = op >= 2;
        if (op == 0)
            rc = pthread_rwlock_rdlock(&s->rw);
        else if (op == 1)
            rc = pthread_rwlock_tryrdlock(&s->rw);
        else if (op == 2)
            rc = pthread_rwlock_wrlock(&s->rw);
        else {
            struct timespec ts = in_ms(CLOCK_MONOTONIC, 1);
            rc = pthread_rwlock_clockwrlock(&s->rw, CLOCK_MONOTONIC, &ts);
        }
        if (rc == EBUSY || rc == ETIMEDOUT)
            continue;
        CHECK(40, rc == 0);
        if (write) {
            CHECK(41, atomic_fetch_add(&s->writers, 1) == 0);
            CHECK(42, atomic_load(&s->readers) == 0);
            long c = s->shared_counter;
            wt_spin_ns(wt_rand_below(&seed, 2000));
            s->shared_counter = c + 1;
            atomic_fetch_add(&s->writes, 1);
            atomic_fetch_sub(&s->writers, 1);
        } else {
            atomic_fetch_add(&s->readers, 1);
            CHECK(43, atomic_load(&s->writers) == 0);
            wt_spin_ns(wt_rand_below(&seed, 2000));
            CHECK(44, atomic_load(&s->writers) == 0);
            atomic_fetch_sub(&s->readers, 1);
            atomic_fetch_add(&s->reads, 1);
        }
        CHECK(45, pthread_rwlock_unlock(&s->rw) == 0);
        atomic_fetch_add(&s->ops, 1);
    }
    _exit(0);
}

static void stress_run(int kind, int pshared, double seconds, int nthreads)
{
    struct stress *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    pthread_rwlockattr_t a;
    WT_OK(pthread_rwlockattr_init(&a));
    WT_OK(pthread_rwlockattr_setkind_np(&a, kind));
    if (pshared)
        WT_OK(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_rwlock_init(&s->rw, &a));
    WT_OK(sem_init(&s->slots, pshared, SLOTS));
    pid_t pid = -1;
    if (pshared) {
        pid = fork();
        WT_ASSERT(pid >= 0);
        if (pid == 0)
            stress_child(s);
    }
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    for (int i = 0; i < nthreads; i++)
        t[i] = spawn(stress_thread, s);
    usleep((useconds_t)(seconds * 1e6));
    atomic_store(&s->stop, 1);
    for (int i = 0; i < nthreads; i++)
        join(t[i]);
    if (pid > 0)
        wait_child(pid);
    WT_EQ(s->shared_counter, atomic_load(&s->writes));
    WT_GT(atomic_load(&s->reads), 0);
    WT_GT(atomic_load(&s->writes), 0);
    int v = -1;
    WT_OK(sem_getvalue(&s->slots, &v));
    WT_EQ(v, SLOTS);
    WT_OK(pthread_rwlock_destroy(&s->rw));
    WT_OK(sem_destroy(&s->slots));
    printf("  kind %d%s: %ld ops (%ld reads, %ld writes, %ld busy/timeouts)\n", kind,
           pshared ? ", process-shared" : "", atomic_load(&s->ops), atomic_load(&s->reads),
           atomic_load(&s->writes), atomic_load(&s->timeouts));
    free(t);
    munmap(s, sizeof *s);
}

WT_TEST(stress)
{
    double seconds = (double)wt_knob("seconds", 2);
    int nthreads = (int)wt_knob("threads", 16);
    if (weft_vcpu_count() < 2)
        printf("  note: %d vCPU\n", weft_vcpu_count());
    stress_run(PTHREAD_RWLOCK_PREFER_READER_NP, 0, seconds / 2, nthreads);
    stress_run(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, 0, seconds / 2, nthreads);
}

WT_TEST(stress_pshared)
{
    double seconds = (double)wt_knob("seconds", 2);
    int nthreads = (int)wt_knob("threads", 8);
    stress_run(PTHREAD_RWLOCK_PREFER_READER_NP, 1, seconds / 2, nthreads);
    stress_run(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, 1, seconds / 2, nthreads);
}

WT_MAIN(WT_ENTRY(attr, 0, 30),
        WT_ENTRY(errors, 0, 30),
        WT_ENTRY(static_init, 0, 30),
        WT_ENTRY(other_thread, 0, 30),
        WT_ENTRY(timed_not_cancellation_point, 0, 30),
        WT_ENTRY(recursive_read_default, 0, 30),
        WT_ENTRY(writer_preference_nonrecursive, 0, 30),
        WT_ENTRY(default_writer_gets_it, 0, 30),
        WT_ENTRY(priority_order, 0, 30),
        WT_ENTRY(priority_reader_rule, 0, 30),
        WT_ENTRY(pshared_fork, 0, 30),
        WT_ENTRY(pshared_kinds, 0, 30),
        WT_ENTRY(stress, 0, 60),
        WT_ENTRY(stress_pshared, 0, 60))
