/* test-rwlock.c - read-write locks: errors, sharing, writer preference, a
 * writer not starved by a stream of readers, a timed-out writer letting
 * the readers behind it in, timeouts on both clocks, invariants under
 * stress on 1 and 2 vCPUs, foreign host threads.
 *
 * Knobs: threads=<n>, iterations=<n>, ms=<n> (writer_not_starved). */
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

static weft_rwlock_t rw = WEFT_RWLOCK_INITIALIZER;

WT_TEST(errors)
{
    static const weft_rwlock_t zero = WEFT_RWLOCK_INITIALIZER;
    for (size_t i = 0; i < sizeof zero.opaque / sizeof zero.opaque[0]; i++)
        WT_EQ(zero.opaque[i], 0);
    struct timespec ts = after(CLOCK_REALTIME, 10 * WT_MS);
    WT_ERR(weft_rwlock_init(NULL), EINVAL);
    WT_ERR(weft_rwlock_rdlock(NULL), EINVAL);
    WT_ERR(weft_rwlock_wrlock(NULL), EINVAL);
    WT_ERR(weft_rwlock_unlock(NULL), EINVAL);
    WT_ERR(weft_rwlock_destroy(NULL), EINVAL);
    WT_ERR(weft_rwlock_timedwrlock(NULL, &ts), EINVAL);
    WT_ERR(weft_rwlock_clockrdlock(&rw, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_ERR(weft_rwlock_clockwrlock(&rw, (clockid_t)55, &ts), EINVAL);

    WT_ERR(weft_rwlock_unlock(&rw), EPERM); /* not locked */
    /* readers share, also one thread twice (no writer waits) */
    WT_OK(weft_rwlock_rdlock(&rw));
    WT_OK(weft_rwlock_tryrdlock(&rw));
    WT_OK(weft_rwlock_timedrdlock(&rw, &ts));
    WT_ERR(weft_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(weft_rwlock_destroy(&rw), EBUSY);
    for (int i = 0; i < 3; i++)
        WT_OK(weft_rwlock_unlock(&rw));
    WT_ERR(weft_rwlock_unlock(&rw), EPERM);

    /* a writer relocking */
    WT_OK(weft_rwlock_wrlock(&rw));
    WT_ERR(weft_rwlock_wrlock(&rw), EDEADLK);
    WT_ERR(weft_rwlock_rdlock(&rw), EDEADLK);
    WT_ERR(weft_rwlock_timedwrlock(&rw, &ts), EDEADLK);
    WT_ERR(weft_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts), EDEADLK);
    WT_ERR(weft_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(weft_rwlock_tryrdlock(&rw), EBUSY);
    WT_ERR(weft_rwlock_destroy(&rw), EBUSY);
    WT_OK(weft_rwlock_unlock(&rw));
    WT_ERR(weft_rwlock_unlock(&rw), EPERM);
    WT_OK(weft_rwlock_trywrlock(&rw));
    WT_OK(weft_rwlock_unlock(&rw));
    WT_OK(weft_rwlock_destroy(&rw));
    WT_OK(weft_rwlock_init(&rw));

    /* free: taken at once whatever the time says */
    ts.tv_nsec = -1;
    WT_OK(weft_rwlock_timedwrlock(&rw, &ts));
    WT_OK(weft_rwlock_unlock(&rw));
    WT_OK(weft_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts));
    WT_OK(weft_rwlock_unlock(&rw));
}

/* ---- another thread holds it ---- */
static weft_sem_t go, done;

static void *hold_write(void *arg)
{
    WT_OK(weft_rwlock_wrlock(&rw));
    WT_OK(weft_sem_post(&go));
    WT_OK(weft_sem_wait(&done));
    WT_OK(weft_rwlock_unlock(&rw));
    return arg;
}

static void *hold_read(void *arg)
{
    WT_OK(weft_rwlock_rdlock(&rw));
    WT_OK(weft_sem_post(&go));
    WT_OK(weft_sem_wait(&done));
    WT_OK(weft_rwlock_unlock(&rw));
    return arg;
}

static weft_t start(void *(*fn)(void *))
{
    weft_t t;
    WT_OK(weft_create(&t, NULL, fn, NULL));
    WT_OK(weft_sem_wait(&go));
    return t;
}

static void stop(weft_t t)
{
    WT_OK(weft_sem_post(&done));
    WT_OK(weft_join(t, NULL));
}

WT_TEST(other_holder)
{
    weft_t t = start(hold_write);
    WT_ERR(weft_rwlock_unlock(&rw), EPERM); /* not ours */
    WT_ERR(weft_rwlock_tryrdlock(&rw), EBUSY);
    WT_ERR(weft_rwlock_trywrlock(&rw), EBUSY);
    WT_ERR(weft_rwlock_destroy(&rw), EBUSY);
    stop(t);
    t = start(hold_read);
    WT_OK(weft_rwlock_tryrdlock(&rw)); /* shared */
    WT_OK(weft_rwlock_unlock(&rw));
    WT_ERR(weft_rwlock_trywrlock(&rw), EBUSY);
    stop(t);
    WT_OK(weft_rwlock_destroy(&rw));
}

/* ---- timeouts ---- */
struct timed_arg {
    clockid_t clock;
    int writer, realtime_call;
};

static void timed_case(struct timed_arg *a)
{
    const uint64_t d = 50 * WT_MS;
    uint64_t t0 = wt_clock_ns(); /* first: the deadline is then at least t0 + d */
    struct timespec ts = after(a->clock, d);
    int rc;
    if (a->realtime_call)
        rc = a->writer ? weft_rwlock_timedwrlock(&rw, &ts) : weft_rwlock_timedrdlock(&rw, &ts);
    else
        rc = a->writer ? weft_rwlock_clockwrlock(&rw, a->clock, &ts)
                       : weft_rwlock_clockrdlock(&rw, a->clock, &ts);
    WT_ERR(rc, ETIMEDOUT);
    uint64_t waited = wt_clock_ns() - t0;
    WT_GE(waited, d - WT_MS / 2);
    WT_LT(waited, d + 2000 * WT_MS);
    ts = after(a->clock, 0);
    WT_ERR(a->writer ? weft_rwlock_clockwrlock(&rw, a->clock, &ts)
                     : weft_rwlock_clockrdlock(&rw, a->clock, &ts), ETIMEDOUT);
    ts = after(a->clock, d);
    ts.tv_nsec = 1000000000;
    WT_ERR(a->writer ? weft_rwlock_clockwrlock(&rw, a->clock, &ts)
                     : weft_rwlock_clockrdlock(&rw, a->clock, &ts), EINVAL);
}

static void *timed_thread(void *p)
{
    timed_case(p);
    return NULL;
}

WT_TEST(timeouts)
{
    for (int holder = 0; holder < 2; holder++) {
        weft_t h = start(holder ? hold_read : hold_write);
        for (int c = 0; c < 2; c++) {
            for (int w = 0; w < 2; w++) {
                if (holder && !w)
                    continue; /* readers share: nothing to time out */
                struct timed_arg a = {c ? CLOCK_MONOTONIC : CLOCK_REALTIME, w, !c};
                timed_case(&a);
                weft_t t;
                WT_OK(weft_create(&t, NULL, timed_thread, &a));
                WT_OK(weft_join(t, NULL));
            }
        }
        stop(h);
    }
    /* a timed-out waiter leaves nothing behind */
    WT_OK(weft_rwlock_destroy(&rw));
    WT_OK(weft_rwlock_wrlock(&rw));
    WT_OK(weft_rwlock_unlock(&rw));
}

/* ---- writer preference, FIFO hand-off, wait channels ---- */
static atomic_int order_next;
static atomic_int order[4];
static atomic_int started;

static void *reader_in_order(void *arg)
{
    atomic_fetch_add(&started, 1);
    WT_OK(weft_rwlock_rdlock(&rw));
    order[(intptr_t)arg] = atomic_fetch_add(&order_next, 1);
    WT_OK(weft_rwlock_unlock(&rw));
    return NULL;
}

static void *writer_in_order(void *arg)
{
    atomic_fetch_add(&started, 1);
    WT_OK(weft_rwlock_wrlock(&rw));
    order[(intptr_t)arg] = atomic_fetch_add(&order_next, 1);
    weft_sleep(5 * WT_MS); /* readers behind must not get in meanwhile */
    WT_OK(weft_rwlock_unlock(&rw));
    return NULL;
}

static void start_blocked(weft_t *t, void *(*fn)(void *), intptr_t i, int nblocked)
{
    WT_OK(weft_create(t, NULL, fn, (void *)i));
    WT_WAIT_UNTIL(wt_dump_waiting_on("rwlock", &rw) == nblocked, 10);
}

WT_TEST(writer_preference)
{
    atomic_store(&order_next, 0);
    weft_t h = start(hold_read), t[3];
    start_blocked(&t[0], writer_in_order, 0, 1); /* waits for the reader */
    WT_ERR(weft_rwlock_tryrdlock(&rw), EBUSY);   /* a writer waits */
    start_blocked(&t[1], reader_in_order, 1, 2); /* queues behind it */
    start_blocked(&t[2], reader_in_order, 2, 3);
    stop(h);
    for (int i = 0; i < 3; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(order[0], 0); /* the writer first, then both readers */
    WT_GE(order[1], 1);
    WT_GE(order[2], 1);
    WT_OK(weft_rwlock_destroy(&rw));
}

/* A writer queued behind a reader times out: the reader queued behind the
 * writer must get in now (only readers hold the lock). */
static void *timed_writer(void *arg)
{
    struct timespec ts = after(CLOCK_MONOTONIC, 50 * WT_MS);
    WT_ERR(weft_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    return arg;
}

WT_TEST(timed_out_writer_lets_readers_in)
{
    atomic_store(&order_next, 0);
    weft_t h = start(hold_read), w, r;
    start_blocked(&w, timed_writer, 0, 1);
    start_blocked(&r, reader_in_order, 0, 2);
    WT_OK(weft_join(w, NULL));
    WT_OK(weft_join(r, NULL)); /* got in while the first reader holds */
    WT_EQ(atomic_load(&order_next), 1);
    stop(h);
    WT_OK(weft_rwlock_destroy(&rw));
}

/* ---- interruption ---- */
/* A suspended writer leaves the queue, so the reader queued behind it gets
 * in beside the first one; resumed, the writer queues again and gets the
 * lock once the readers are gone. A timed lock is a cancellation point. */
static atomic_int writer_got;

static void *suspendable_writer(void *arg)
{
    WT_OK(weft_rwlock_wrlock(&rw));
    atomic_store(&writer_got, 1);
    WT_OK(weft_rwlock_unlock(&rw));
    return arg;
}

static void *cancellable_writer(void *arg)
{
    struct timespec ts = after(CLOCK_MONOTONIC, 10000 * WT_MS);
    WT_OK(weft_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts));
    return arg; /* not reached: cancelled while it waits */
}

WT_TEST(interrupted_writer)
{
    weft_t h = start(hold_read), w, r;
    void *res;
    atomic_store(&order_next, 0);
    atomic_store(&writer_got, 0);
    start_blocked(&w, suspendable_writer, 0, 1);
    start_blocked(&r, reader_in_order, 0, 2); /* behind the writer */
    WT_OK(weft_suspend(w));
    WT_OK(weft_join(r, NULL)); /* got in while the first reader holds */
    WT_EQ(atomic_load(&writer_got), 0);
    WT_OK(weft_resume(w));
    WT_WAIT_UNTIL(wt_dump_waiting_on("rwlock", &rw) == 1, 10); /* waits again */
    stop(h);
    WT_OK(weft_join(w, NULL));
    WT_EQ(atomic_load(&writer_got), 1);

    h = start(hold_read);
    start_blocked(&w, cancellable_writer, 0, 1);
    start_blocked(&r, reader_in_order, 0, 2);
    WT_OK(weft_cancel(w));
    WT_OK(weft_join(w, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_OK(weft_join(r, NULL)); /* the cancelled writer's place is gone */
    stop(h);
    WT_OK(weft_rwlock_destroy(&rw));
}

/* ---- a stream of readers does not starve a writer ---- */
static atomic_int stop_readers, writer_done;
static atomic_long reads_during;

static void *streaming_reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_readers)) {
        WT_OK(weft_rwlock_rdlock(&rw));
        if (!atomic_load(&writer_done))
            atomic_fetch_add(&reads_during, 1);
        wt_spin_ns(20000); /* overlapping holds: the lock is never free */
        weft_yield();
        WT_OK(weft_rwlock_unlock(&rw));
    }
    return NULL;
}

static void writer_not_starved(int nvcpus)
{
    enum { NR = 6 };
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    weft_t r[NR];
    for (int i = 0; i < NR; i++)
        WT_OK(weft_create(&r[i], NULL, streaming_reader, NULL));
    WT_WAIT_UNTIL(atomic_load(&reads_during) > 50, 10);
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_rwlock_wrlock(&rw)); /* main, bound */
    uint64_t waited = wt_clock_ns() - t0;
    atomic_store(&writer_done, 1);
    WT_OK(weft_rwlock_unlock(&rw));
    weft_sleep(20 * WT_MS); /* the readers go on afterwards */
    atomic_store(&stop_readers, 1);
    for (int i = 0; i < NR; i++)
        WT_OK(weft_join(r[i], NULL));
    printf("  writer waited %.3f ms behind %d streaming readers\n", waited / 1e6, NR);
    WT_LT(waited, 2000 * WT_MS);
}

WT_TEST(writer_not_starved_1vcpu)
{
    writer_not_starved(1);
}

WT_TEST(writer_not_starved_2vcpu)
{
    writer_not_starved(2);
}

/* ---- invariants under stress ---- */
static atomic_int nreaders, nwriters;
static atomic_long nreads, nwrites, ntimeouts;
static long protected_value; /* written under the write lock */

static void check_reader(void)
{
    WT_EQ(atomic_load(&nwriters), 0);
}

static void *stress_thread(void *arg)
{
    long n = (long)(intptr_t)arg;
    uint64_t seed = (uint64_t)(uintptr_t)&n ^ wt_clock_ns();
    for (long i = 0; i < n; i++) {
        int how = (int)wt_rand_below(&seed, 10);
        int rc = 0;
        if (how < 3) { /* writer */
            if (how == 0)
                rc = weft_rwlock_trywrlock(&rw);
            else if (how == 1) {
                struct timespec ts = after(CLOCK_MONOTONIC, 200000);
                rc = weft_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts);
            } else
                rc = weft_rwlock_wrlock(&rw);
            if (rc == EBUSY || rc == ETIMEDOUT) {
                atomic_fetch_add(&ntimeouts, 1);
                continue;
            }
            WT_OK(rc);
            WT_EQ(atomic_fetch_add(&nwriters, 1), 0);
            WT_EQ(atomic_load(&nreaders), 0);
            long v = protected_value;
            if (i % 8 == 0)
                weft_yield();
            protected_value = v + 1;
            atomic_fetch_add(&nwrites, 1);
            WT_EQ(atomic_fetch_sub(&nwriters, 1), 1);
        } else { /* reader */
            if (how == 3)
                rc = weft_rwlock_tryrdlock(&rw);
            else if (how == 4) {
                struct timespec ts = after(CLOCK_REALTIME, 200000);
                rc = weft_rwlock_timedrdlock(&rw, &ts);
            } else
                rc = weft_rwlock_rdlock(&rw);
            if (rc == EBUSY || rc == ETIMEDOUT) {
                atomic_fetch_add(&ntimeouts, 1);
                continue;
            }
            WT_OK(rc);
            atomic_fetch_add(&nreaders, 1);
            check_reader();
            if (i % 8 == 0)
                weft_yield();
            check_reader();
            atomic_fetch_sub(&nreaders, 1);
            atomic_fetch_add(&nreads, 1);
        }
        WT_OK(weft_rwlock_unlock(&rw));
    }
    return NULL;
}

static void *host_stress_thread(void *arg)
{
    return stress_thread(arg);
}

static void stress(int nvcpus, int nhost)
{
    int nt = (int)wt_knob("threads", 12);
    long n = (long)wt_knob("iterations", wt_scaled(20000));
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    weft_t *t = calloc((size_t)nt, sizeof *t);
    pthread_t h[4];
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_create(&h[i], NULL, host_stress_thread, (void *)(intptr_t)(n / 4)), 0);
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&t[i], NULL, stress_thread, (void *)(intptr_t)n));
    for (int i = 0; i < nt; i++)
        WT_OK(weft_join(t[i], NULL));
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_join(h[i], NULL), 0);
    WT_EQ(protected_value, atomic_load(&nwrites));
    printf("  %ld reads, %ld writes, %ld busy or timed out\n", atomic_load(&nreads),
           atomic_load(&nwrites), atomic_load(&ntimeouts));
    WT_GT(atomic_load(&nwrites), 0);
    WT_GT(atomic_load(&nreads), 0);
    WT_OK(weft_rwlock_destroy(&rw));
    free(t);
}

WT_TEST(stress_1vcpu)
{
    stress(1, 0);
}

WT_TEST(stress_2vcpu)
{
    stress(2, 0);
}

WT_TEST(foreign_threads)
{
    stress(2, 3);
}

WT_MAIN(WT_ENTRY(errors, 0, 60),
        WT_ENTRY(other_holder, 0, 60),
        WT_ENTRY(timeouts, 0, 60),
        WT_ENTRY(writer_preference, 0, 60),
        WT_ENTRY(timed_out_writer_lets_readers_in, 0, 60),
        WT_ENTRY(interrupted_writer, 0, 60),
        WT_ENTRY(writer_not_starved_1vcpu, WT_FRESH, 60),
        WT_ENTRY(writer_not_starved_2vcpu, WT_FRESH, 60),
        WT_ENTRY(stress_1vcpu, WT_FRESH, 120),
        WT_ENTRY(stress_2vcpu, WT_FRESH, 120),
        WT_ENTRY(foreign_threads, WT_FRESH, 120))
