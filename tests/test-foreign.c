/* test-foreign.c - host threads weft did not create (plain pthreads) call
 * weft: they are adopted as bound threads, can create, join, wait, post,
 * sleep, and weft threads can wait for them.
 *
 * Knobs: threads=<n> (foreign threads at once), iterations=<n>. */
#include "runner.h"

static void *ret_arg(void *arg) { return arg; }

static void *host_run(void *(*fn)(void *), void *arg)
{
    pthread_t p;
    void *r = (void *)0xdead;
    if (pthread_create(&p, NULL, fn, arg) != 0)
        wt_fail(__FILE__, __LINE__, "pthread_create failed");
    WT_EQ(pthread_join(p, &r), 0);
    return r;
}

/* ---- the basic calls from a foreign thread ---- */
static void *foreign_basics(void *arg)
{
    (void)arg;
    weft_t me = weft_self();
    WT_NE(me, 0);
    WT_ASSERT(weft_equal(me, weft_self()));
    WT_EQ(weft_vcpu_self(), -1);
    uint64_t id;
    WT_OK(weft_getid(me, &id));
    WT_NE(id, 0);

    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, ret_arg, (void *)42));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)42);

    weft_sem_t s;
    WT_OK(weft_sem_init(&s, 1));
    WT_OK(weft_sem_wait(&s));
    WT_ERR(weft_sem_trywait(&s), EAGAIN);
    WT_OK(weft_sem_post(&s));
    WT_OK(weft_sem_destroy(&s));

    uint64_t t0 = weft_now();
    WT_OK(weft_sleep(20 * WT_MS));
    WT_GE(weft_now() - t0, 20 * WT_MS);
    WT_OK(weft_yield());
    WT_EQ(weft_vcpu_self(), -1);
    /* a bound thread cannot be joined or detached, not even by itself */
    WT_ERR(weft_detach(me), EINVAL);
    return (void *)(uintptr_t)me;
}

WT_TEST(basics)
{
    void *r = host_run(foreign_basics, NULL);
    weft_t h = (weft_t)(uintptr_t)r;
    WT_NE(h, 0);
    WT_ASSERT(!weft_equal(h, weft_self()));
}

/* ---- weft thread <-> foreign thread, both directions ---- */
static weft_sem_t to_weft, to_host;
static atomic_int flag;

static void *weft_waits_for_host(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        WT_OK(weft_sem_wait(&to_weft));
        WT_EQ(atomic_load(&flag), 2 * i + 1);
        atomic_store(&flag, 2 * i + 2);
        WT_OK(weft_sem_post(&to_host));
    }
    return (void *)1;
}

static void *host_side(void *arg)
{
    long n = (long)(intptr_t)arg;
    weft_self(); /* adopted before anything blocks */
    for (long i = 0; i < n; i++) {
        atomic_store(&flag, 2 * i + 1);
        WT_OK(weft_sem_post(&to_weft));
        WT_OK(weft_sem_wait(&to_host));
        WT_EQ(atomic_load(&flag), 2 * i + 2);
    }
    return (void *)2;
}

WT_TEST(ping_pong)
{
    long n = (long)wt_knob("iterations", wt_scaled(20000));
    WT_OK(weft_sem_init(&to_weft, 0));
    WT_OK(weft_sem_init(&to_host, 0));
    atomic_store(&flag, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, weft_waits_for_host, (void *)(intptr_t)n));
    WT_PTR_EQ(host_run(host_side, (void *)(intptr_t)n), (void *)2);
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
}

/* A weft thread is already waiting when a host thread (adopted, but busy in
 * host code for a while) posts; and a host thread waits for a weft thread
 * that sleeps first. */
static void *host_posts_late(void *arg)
{
    (void)arg;
    weft_self();
    usleep(100 * 1000); /* host code, not weft: must not look like deadlock */
    WT_OK(weft_sem_post(&to_weft));
    WT_OK(weft_sem_wait(&to_host));
    return (void *)3;
}

static void *weft_waits_then_posts_late(void *arg)
{
    (void)arg;
    WT_OK(weft_sem_wait(&to_weft));
    WT_OK(weft_sleep(50 * WT_MS));
    WT_OK(weft_sem_post(&to_host));
    return (void *)4;
}

WT_TEST(wait_each_other)
{
    WT_OK(weft_sem_init(&to_weft, 0));
    WT_OK(weft_sem_init(&to_host, 0));
    weft_t t;
    WT_OK(weft_create(&t, NULL, weft_waits_then_posts_late, NULL));
    WT_PTR_EQ(host_run(host_posts_late, NULL), (void *)3);
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)4);
}

/* ---- several foreign threads at once ---- */
struct multi {
    int idx;
    long iters;
    weft_sem_t sem; /* this foreign thread's private semaphore */
    weft_t self;
};

static void *multi_weft_poster(void *arg)
{
    struct multi *m = arg;
    for (long i = 0; i < m->iters; i++) {
        if (i % 3 == 0)
            weft_yield();
        WT_OK(weft_sem_post(&m->sem));
    }
    return (void *)(uintptr_t)m->idx;
}

static void *multi_host(void *arg)
{
    struct multi *m = arg;
    m->self = weft_self();
    WT_EQ(weft_vcpu_self(), -1);
    for (int round = 0; round < 10; round++) {
        weft_t t;
        void *r;
        WT_OK(weft_create(&t, NULL, multi_weft_poster, m));
        for (long i = 0; i < m->iters; i++)
            WT_OK(weft_sem_wait(&m->sem));
        WT_OK(weft_join(t, &r));
        WT_EQ((uintptr_t)r, m->idx);
        WT_OK(weft_sleep(1 * WT_MS));
    }
    WT_ASSERT(weft_equal(m->self, weft_self()));
    return NULL;
}

WT_TEST(many_foreign)
{
    int n = (int)wt_knob("threads", 8);
    long iters = (long)wt_knob("iterations", wt_scaled(2000));
    pthread_t *p = calloc((size_t)n, sizeof *p);
    struct multi *m = calloc((size_t)n, sizeof *m);
    for (int i = 0; i < n; i++) {
        m[i].idx = i;
        m[i].iters = iters;
        WT_OK(weft_sem_init(&m[i].sem, 0));
        WT_EQ(pthread_create(&p[i], NULL, multi_host, &m[i]), 0);
    }
    for (int i = 0; i < n; i++)
        WT_EQ(pthread_join(p[i], NULL), 0);
    /* distinct handles */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            WT_ASSERT(!weft_equal(m[i].self, m[j].self));
    free(p);
    free(m);
}

/* ---- a weft thread tries to join a foreign (bound) thread ---- */
static weft_t host_handle;
static weft_sem_t host_ready, host_release;

static void *bound_target(void *arg)
{
    (void)arg;
    host_handle = weft_self();
    WT_OK(weft_sem_post(&host_ready));
    WT_OK(weft_sem_wait(&host_release));
    return NULL;
}

static void *join_bound(void *arg)
{
    (void)arg;
    WT_ERR(weft_join(host_handle, NULL), EINVAL);
    WT_ERR(weft_detach(host_handle), EINVAL);
    return (void *)1;
}

WT_TEST(join_foreign)
{
    pthread_t p;
    WT_OK(weft_sem_init(&host_ready, 0));
    WT_OK(weft_sem_init(&host_release, 0));
    WT_EQ(pthread_create(&p, NULL, bound_target, NULL), 0);
    WT_OK(weft_sem_wait(&host_ready));
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, join_bound, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    WT_ERR(weft_join(host_handle, NULL), EINVAL); /* from main too */
    WT_OK(weft_sem_post(&host_release));
    WT_EQ(pthread_join(p, NULL), 0);
}

/* ---- weft_exit from a bound thread is pthread_exit ---- */
static void *exit_bound(void *arg)
{
    weft_self();
    weft_exit(arg);
}

WT_TEST(exit_bound)
{
    WT_PTR_EQ(host_run(exit_bound, (void *)0x77), (void *)0x77);
    /* weft is still fine */
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, ret_arg, (void *)5));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)5);
}

/* ---- many short-lived foreign threads, each adopted once ---- */
static void *short_lived(void *arg)
{
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, ret_arg, arg));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, arg);
    return arg;
}

WT_TEST(short_lived_foreign)
{
    int n = (int)wt_knob("threads", (long long)wt_scaled(500));
    for (int i = 0; i < n; i++)
        WT_PTR_EQ(host_run(short_lived, (void *)(uintptr_t)(i + 1)),
                  (void *)(uintptr_t)(i + 1));
}

WT_MAIN(WT_ENTRY(basics, 0, 60),
        WT_ENTRY(ping_pong, 0, 60),
        WT_ENTRY(wait_each_other, 0, 60),
        WT_ENTRY(many_foreign, 0, 60),
        WT_ENTRY(join_foreign, 0, 60),
        WT_ENTRY(exit_bound, 0, 60),
        WT_ENTRY(short_lived_foreign, 0, 60))
