/* test-psem.c - unnamed semaphores of libweft-pthread (sem_init & co.),
 * from the POSIX assertions: values and every error code, timeouts on
 * both clocks, cancellation of a blocked sem_wait, process-shared
 * semaphores across fork (ping-pong, timeouts, a counting stress), and a
 * threaded stress on both vCPUs.
 *
 * Knobs: iterations=<n> (ping-pong), seconds=<n> (stress). */
#include "ptest.h"

#include <dlfcn.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/mman.h>

/* -1 with errno == e. */
#define WT_ERRNO(expr, e)                                                     \
    do {                                                                      \
        errno = 0;                                                            \
        int wt_rc_ = (expr);                                                  \
        int wt_e_ = errno;                                                    \
        if (wt_rc_ != -1 || wt_e_ != (e))                                     \
            wt_fail(__FILE__, __LINE__, "%s\n  returned %d, errno %d (%s), expected -1, %s", \
                    #expr, wt_rc_, wt_e_, wt_errname(wt_e_), wt_errname(e));  \
    } while (0)

WT_HELPER int value(sem_t *s)
{
    int v = -12345;
    WT_OK(sem_getvalue(s, &v));
    return v;
}

WT_TEST(values_and_errors)
{
    sem_t s;
    WT_ERRNO(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1), EINVAL);
    WT_ERRNO(sem_init(&s, 1, UINT_MAX), EINVAL);
    for (int pshared = 0; pshared < 2; pshared++) {
        WT_OK(sem_init(&s, pshared, 2));
        WT_EQ(value(&s), 2);
        WT_OK(sem_wait(&s));
        WT_OK(sem_trywait(&s));
        WT_EQ(value(&s), 0);
        WT_ERRNO(sem_trywait(&s), EAGAIN);
        WT_OK(sem_post(&s));
        WT_EQ(value(&s), 1);
        /* a free unit is taken whatever the timespec */
        struct timespec bad = {0, -5};
        WT_OK(sem_timedwait(&s, &bad));
        WT_OK(sem_post(&s));
        WT_OK(sem_clockwait(&s, CLOCK_MONOTONIC, &bad));
        /* it would block: bad timespec EINVAL, passed time ETIMEDOUT */
        WT_ERRNO(sem_timedwait(&s, &bad), EINVAL);
        struct timespec bad2 = {0, 1000000000L};
        WT_ERRNO(sem_clockwait(&s, CLOCK_REALTIME, &bad2), EINVAL);
        struct timespec past = {1, 0};
        WT_ERRNO(sem_timedwait(&s, &past), ETIMEDOUT);
        WT_ERRNO(sem_clockwait(&s, CLOCK_MONOTONIC, &past), ETIMEDOUT);
        /* a bad clock */
        WT_ERRNO(sem_clockwait(&s, CLOCK_THREAD_CPUTIME_ID, &past), EINVAL);
        WT_ERRNO(sem_clockwait(&s, 4242, &past), EINVAL);
        WT_OK(sem_destroy(&s));

        /* at the maximum */
        WT_OK(sem_init(&s, pshared, SEM_VALUE_MAX));
        WT_EQ(value(&s), SEM_VALUE_MAX);
        WT_ERRNO(sem_post(&s), EOVERFLOW);
        WT_EQ(value(&s), SEM_VALUE_MAX);
        WT_OK(sem_trywait(&s));
        WT_OK(sem_post(&s));
        WT_ERRNO(sem_post(&s), EOVERFLOW);
        WT_OK(sem_destroy(&s));
    }
}

/* ---- waking and timeouts ---- */
struct poster {
    sem_t *s;
    long delay_ms;
};

static void *post_later(void *arg)
{
    struct poster *p = arg;
    usleep((useconds_t)(p->delay_ms * 1000));
    WT_OK(sem_post(p->s));
    return NULL;
}

WT_TEST(wait_wakes)
{
    for (int pshared = 0; pshared < 2; pshared++) {
        sem_t s;
        WT_OK(sem_init(&s, pshared, 0));
        struct poster p = {&s, 20};
        pthread_t t = spawn(post_later, &p);
        uint64_t t0 = wt_clock_ns();
        WT_OK(sem_wait(&s));
        WT_GE(wt_clock_ns() - t0, 15 * WT_MS);
        join(t);
        t = spawn(post_later, &p);
        struct timespec ts = in_ms(CLOCK_REALTIME, 5000);
        WT_OK(sem_timedwait(&s, &ts));
        join(t);
        t = spawn(post_later, &p);
        ts = in_ms(CLOCK_MONOTONIC, 5000);
        WT_OK(sem_clockwait(&s, CLOCK_MONOTONIC, &ts));
        join(t);
        WT_EQ(value(&s), 0);
        WT_OK(sem_destroy(&s));
    }
}

WT_TEST(timeouts_both_clocks)
{
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    for (int pshared = 0; pshared < 2; pshared++) {
        sem_t s;
        WT_OK(sem_init(&s, pshared, 0));
        for (int c = 0; c < 2; c++) {
            for (int form = 0; form < 2; form++) {
                if (form == 0 && clocks[c] != CLOCK_REALTIME)
                    continue;
                uint64_t t0 = wt_clock_ns();
                struct timespec ts = in_ms(clocks[c], 40);
                if (form == 0)
                    WT_ERRNO(sem_timedwait(&s, &ts), ETIMEDOUT);
                else
                    WT_ERRNO(sem_clockwait(&s, clocks[c], &ts), ETIMEDOUT);
                uint64_t dt = wt_clock_ns() - t0;
                WT_GE(dt, 39 * WT_MS);
                WT_LT(dt, 2000 * WT_MS);
                /* never early: the clock has reached the deadline */
                struct timespec now;
                clock_gettime(clocks[c], &now);
                WT_ASSERT(now.tv_sec > ts.tv_sec ||
                          (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec));
            }
        }
        WT_EQ(value(&s), 0);
        WT_OK(sem_destroy(&s));
    }
}

/* ---- destroy with waiters ---- */
struct waiter {
    sem_t *s;
    atomic_int started, done;
};

static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    atomic_store(&w->started, 1);
    WT_OK(sem_wait(w->s));
    atomic_store(&w->done, 1);
    return NULL;
}

WT_TEST(destroy_busy)
{
    for (int pshared = 0; pshared < 2; pshared++) {
        sem_t s;
        WT_OK(sem_init(&s, pshared, 0));
        struct waiter w = {&s, 0, 0};
        pthread_t t = spawn(waiter_fn, &w);
        WT_WAIT_UNTIL(atomic_load(&w.started), 10);
        usleep(30000);
        WT_ERRNO(sem_destroy(&s), EBUSY);
        WT_OK(sem_post(&s));
        join(t);
        WT_EQ(atomic_load(&w.done), 1);
        WT_OK(sem_destroy(&s));
    }
}

/* ---- cancellation ---- */
struct cancel_arg {
    sem_t *s;
    atomic_int started, cleaned, returned;
    int pending_first;
};

static void cleanup(void *arg)
{
    atomic_store(&((struct cancel_arg *)arg)->cleaned, 1);
}

static void *cancel_waiter(void *arg)
{
    struct cancel_arg *c = arg;
    pthread_cleanup_push(cleanup, c);
    if (c->pending_first)
        WT_OK(pthread_cancel(pthread_self()));
    atomic_store(&c->started, 1);
    sem_wait(c->s);
    atomic_store(&c->returned, 1);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cancel_blocked_wait)
{
    for (int pshared = 0; pshared < 2; pshared++) {
        sem_t s;
        WT_OK(sem_init(&s, pshared, 0));
        struct cancel_arg c = {&s, 0, 0, 0, 0};
        pthread_t t = spawn(cancel_waiter, &c);
        WT_WAIT_UNTIL(atomic_load(&c.started), 10);
        usleep(30000); /* blocked in sem_wait */
        WT_OK(pthread_cancel(t));
        WT_PTR_EQ(join(t), PTHREAD_CANCELED);
        WT_EQ(atomic_load(&c.cleaned), 1);
        WT_EQ(atomic_load(&c.returned), 0);
        /* no unit was taken or lost; the semaphore still works */
        WT_EQ(value(&s), 0);
        WT_OK(sem_post(&s));
        WT_OK(sem_wait(&s));
        WT_OK(sem_destroy(&s)); /* the cancelled waiter is gone */

        /* a cancellation point even when a unit is there (glibc) */
        WT_OK(sem_init(&s, pshared, 1));
        struct cancel_arg c2 = {&s, 0, 0, 0, 1};
        t = spawn(cancel_waiter, &c2);
        WT_PTR_EQ(join(t), PTHREAD_CANCELED);
        WT_EQ(atomic_load(&c2.returned), 0);
        WT_EQ(value(&s), 1);
        WT_OK(sem_destroy(&s));
    }
}

/* ---- threads: ping-pong and a counting stress ---- */
struct pp {
    sem_t a, b;
    long n;
};

static void *pong(void *arg)
{
    struct pp *p = arg;
    for (long i = 0; i < p->n; i++) {
        WT_OK(sem_wait(&p->a));
        WT_OK(sem_post(&p->b));
    }
    return NULL;
}

WT_TEST(ping_pong)
{
    long n = wt_knob("iterations", 20000);
    for (int pshared = 0; pshared < 2; pshared++) {
        struct pp p;
        p.n = pshared ? n / 10 : n;
        WT_OK(sem_init(&p.a, pshared, 0));
        WT_OK(sem_init(&p.b, pshared, 0));
        pthread_t t = spawn(pong, &p);
        uint64_t t0 = wt_clock_ns();
        for (long i = 0; i < p.n; i++) {
            WT_OK(sem_post(&p.a));
            WT_OK(sem_wait(&p.b));
        }
        join(t);
        printf("  %s: %.0f ns per round trip\n", pshared ? "process-shared" : "private",
               (double)(wt_clock_ns() - t0) / (double)p.n);
        WT_OK(sem_destroy(&p.a));
        WT_OK(sem_destroy(&p.b));
    }
}

struct stress {
    sem_t s;
    atomic_long posted, taken;
    atomic_int stop;
};

static void *stress_thread(void *arg)
{
    struct stress *st = arg;
    uint64_t seed = wt_clock_ns() ^ (uintptr_t)&seed;
    while (!atomic_load(&st->stop)) {
        switch (wt_rand_below(&seed, 5)) {
        case 0:
        case 1:
            WT_OK(sem_post(&st->s));
            atomic_fetch_add(&st->posted, 1);
            break;
        case 2:
            if (sem_trywait(&st->s) == 0)
                atomic_fetch_add(&st->taken, 1);
            else
                WT_EQ(errno, EAGAIN);
            break;
        case 3: {
            struct timespec ts = in_ms(CLOCK_MONOTONIC, 1);
            if (sem_clockwait(&st->s, CLOCK_MONOTONIC, &ts) == 0)
                atomic_fetch_add(&st->taken, 1);
            else
                WT_EQ(errno, ETIMEDOUT);
            break;
        }
        default: {
            struct timespec ts = in_ms(CLOCK_REALTIME, 2);
            if (sem_timedwait(&st->s, &ts) == 0)
                atomic_fetch_add(&st->taken, 1);
            else
                WT_EQ(errno, ETIMEDOUT);
            break;
        }
        }
    }
    return NULL;
}

WT_TEST(stress)
{
    double seconds = (double)wt_knob("seconds", 2);
    for (int pshared = 0; pshared < 2; pshared++) {
        struct stress st = {0};
        WT_OK(sem_init(&st.s, pshared, 0));
        enum { N = 12 };
        pthread_t t[N];
        for (int i = 0; i < N; i++)
            t[i] = spawn(stress_thread, &st);
        usleep((useconds_t)(seconds / 2 * 1e6));
        atomic_store(&st.stop, 1);
        for (int i = 0; i < N; i++)
            join(t[i]);
        /* every unit posted is either taken or still there */
        WT_EQ(atomic_load(&st.posted) - atomic_load(&st.taken), value(&st.s));
        printf("  %s: %ld posted, %ld taken\n", pshared ? "process-shared" : "private",
               atomic_load(&st.posted), atomic_load(&st.taken));
        WT_OK(sem_destroy(&st.s));
    }
}

/* ---- process-shared across fork ---- */
#define CHECK(n, cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            _exit(n);                                                         \
    } while (0)

WT_HELPER void wait_child(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        WT_EQ(errno, EINTR);
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
               "child: status 0x%x (exit %d: the check that failed)", st,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

struct shm {
    sem_t a, b, c;
    atomic_long counter;
};

WT_HELPER struct shm *shm_new(void)
{
    struct shm *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    WT_OK(sem_init(&s->a, 1, 0));
    WT_OK(sem_init(&s->b, 1, 0));
    WT_OK(sem_init(&s->c, 1, 0));
    return s;
}

static void child_pingpong(struct shm *s, long n)
{
    /* timeouts in a process without weft's runtime */
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 30);
    CHECK(10, sem_clockwait(&s->c, CLOCK_MONOTONIC, &ts) == -1 && errno == ETIMEDOUT);
    ts = in_ms(CLOCK_REALTIME, 30);
    CHECK(11, sem_timedwait(&s->c, &ts) == -1 && errno == ETIMEDOUT);
    CHECK(12, sem_trywait(&s->c) == -1 && errno == EAGAIN);
    for (long i = 0; i < n; i++) {
        CHECK(13, sem_wait(&s->a) == 0);
        CHECK(14, sem_post(&s->b) == 0);
    }
    /* the parent waits with a timeout it will not reach */
    CHECK(15, sem_post(&s->c) == 0);
    _exit(0);
}

WT_TEST(pshared_fork_ping_pong)
{
    struct shm *s = shm_new();
    long n = 2000;
    pid_t pid = fork();
    WT_ASSERT(pid >= 0);
    if (pid == 0)
        child_pingpong(s, n);
    uint64_t t0 = wt_clock_ns();
    for (long i = 0; i < n; i++) {
        WT_OK(sem_post(&s->a));
        WT_OK(sem_wait(&s->b));
    }
    printf("  %.0f ns per round trip across processes\n", (double)(wt_clock_ns() - t0) / (double)n);
    struct timespec ts = in_ms(CLOCK_REALTIME, 10000);
    WT_OK(sem_timedwait(&s->c, &ts));
    wait_child(pid);
    munmap(s, sizeof *s);
}

/* Several processes and threads share one counting semaphore as a
 * mutex: the counter is never torn. */
static void child_count(struct shm *s, long n)
{
    for (long i = 0; i < n; i++) {
        CHECK(20, sem_wait(&s->a) == 0);
        long v = atomic_load_explicit(&s->counter, memory_order_relaxed);
        atomic_store_explicit(&s->counter, v + 1, memory_order_relaxed);
        CHECK(21, sem_post(&s->a) == 0);
    }
    _exit(0);
}

struct count_arg {
    struct shm *s;
    long n;
};

static void *thread_count(void *arg)
{
    struct count_arg *c = arg;
    for (long i = 0; i < c->n; i++) {
        WT_OK(sem_wait(&c->s->a));
        long v = atomic_load_explicit(&c->s->counter, memory_order_relaxed);
        if (i % 64 == 0)
            sched_yield();
        atomic_store_explicit(&c->s->counter, v + 1, memory_order_relaxed);
        WT_OK(sem_post(&c->s->a));
    }
    return NULL;
}

WT_TEST(pshared_fork_mutex)
{
    struct shm *s = shm_new();
    WT_OK(sem_post(&s->a)); /* a binary semaphore */
    long n = 20000;
    enum { CHILDREN = 2, THREADS = 3 };
    pid_t pid[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pid[i] = fork();
        WT_ASSERT(pid[i] >= 0);
        if (pid[i] == 0)
            child_count(s, n);
    }
    struct count_arg ca = {s, n};
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        t[i] = spawn(thread_count, &ca);
    for (int i = 0; i < THREADS; i++)
        join(t[i]);
    for (int i = 0; i < CHILDREN; i++)
        wait_child(pid[i]);
    WT_EQ(atomic_load(&s->counter), (CHILDREN + THREADS) * n);
    WT_EQ(value(&s->a), 1);
    munmap(s, sizeof *s);
}

/* ---- SCHED_FIFO waiters: a post wakes the highest priority first ---- */
struct prio_waiter {
    sem_t *s;
    int prio; /* 0: SCHED_OTHER */
    int order;
};

static atomic_int prio_next;

static void *prio_wait(void *arg)
{
    struct prio_waiter *w = arg;
    if (w->prio) {
        struct sched_param sp = {.sched_priority = w->prio};
        WT_OK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp));
    }
    WT_OK(sem_wait(w->s));
    w->order = atomic_fetch_add(&prio_next, 1);
    return NULL;
}

WT_TEST(priority_wake)
{
    sem_t s;
    WT_OK(sem_init(&s, 0, 0));
    atomic_store(&prio_next, 0);
    /* queued in this order; woken: 90, 50 (first of the two), 50, 10,
     * then the SCHED_OTHER ones in FIFO order */
    struct prio_waiter w[] = {{&s, 0, -1}, {&s, 10, -1}, {&s, 50, -1}, {&s, 0, -1},
                              {&s, 90, -1}, {&s, 50, -1}};
    int want[] = {4, 3, 1, 5, 0, 2};
    enum { N = sizeof w / sizeof w[0] };
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        t[i] = spawn(prio_wait, &w[i]);
        WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &s) == i + 1, 10);
    }
    for (int i = 0; i < N; i++) {
        WT_OK(sem_post(&s));
        WT_WAIT_UNTIL(atomic_load(&prio_next) == i + 1, 10);
    }
    for (int i = 0; i < N; i++)
        join(t[i]);
    for (int i = 0; i < N; i++)
        WT_ASSERTF(w[i].order == want[i], "waiter %d (prio %d): woken %d-th, want %d", i, w[i].prio,
                   w[i].order, want[i]);
    WT_EQ(value(&s), 0);
    WT_OK(sem_destroy(&s));
}

/* ---- a host thread (glibc's own pthread_create): weft adopts it as a
 * bound thread, which waits on a process-shared semaphore in the kernel
 * (in slices) rather than on a vCPU ---- */
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
typedef int (*join_fn)(pthread_t, void **);

struct host_arg {
    sem_t *s;
    int rc_wait, rc_timed, err_timed;
    uint64_t timed_ns;
};

static void *host_thread(void *arg)
{
    struct host_arg *h = arg;
    h->rc_wait = sem_wait(h->s);
    uint64_t t0 = wt_clock_ns();
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 50);
    h->rc_timed = sem_clockwait(h->s, CLOCK_MONOTONIC, &ts);
    h->err_timed = errno;
    h->timed_ns = wt_clock_ns() - t0;
    return NULL;
}

WT_TEST(host_thread_waits)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!libc)
        WT_SKIP("no libc.so.6 handle: %s", dlerror());
    create_fn real_create = (create_fn)dlsym(libc, "pthread_create");
    join_fn real_join = (join_fn)dlsym(libc, "pthread_join");
    if (!real_create || !real_join || (void *)real_create == (void *)pthread_create)
        WT_SKIP("glibc's pthread_create not reachable");
    sem_t s;
    WT_OK(sem_init(&s, 1, 0));
    struct host_arg h = {&s, -5, -5, 0, 0};
    pthread_t t;
    WT_OK(real_create(&t, NULL, host_thread, &h));
    usleep(50000); /* it waits */
    WT_OK(sem_post(&s));
    WT_OK(real_join(t, NULL));
    WT_EQ(h.rc_wait, 0);
    WT_EQ(h.rc_timed, -1);
    WT_ERR(h.err_timed, ETIMEDOUT);
    WT_GE(h.timed_ns, 49 * WT_MS);
    WT_OK(sem_destroy(&s));
}

WT_MAIN(WT_ENTRY(values_and_errors, 0, 30),
        WT_ENTRY(wait_wakes, 0, 30),
        WT_ENTRY(timeouts_both_clocks, 0, 30),
        WT_ENTRY(destroy_busy, 0, 30),
        WT_ENTRY(cancel_blocked_wait, 0, 30),
        WT_ENTRY(ping_pong, 0, 60),
        WT_ENTRY(stress, 0, 60),
        WT_ENTRY(pshared_fork_ping_pong, 0, 60),
        WT_ENTRY(pshared_fork_mutex, 0, 120),
        WT_ENTRY(host_thread_waits, 0, 30),
        WT_ENTRY(priority_wake, 0, 30))
