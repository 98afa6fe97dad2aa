/* test-pbarrier.c - pthread_barrier_* and pthread_barrierattr_* of
 * libweft-pthread, from the POSIX assertions: attribute and init errors,
 * exactly one PTHREAD_BARRIER_SERIAL_THREAD per generation, reuse over
 * many generations on both vCPUs, destroy EBUSY while threads wait, not a
 * cancellation point, process-shared barriers across fork.
 *
 * Knobs: generations=<n>. */
#include "ptest.h"

#include <sys/mman.h>

WT_TEST(attr_and_init)
{
    pthread_barrierattr_t a;
    int v = -1;
    WT_OK(pthread_barrierattr_init(&a));
    WT_OK(pthread_barrierattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_PRIVATE);
    WT_ERR(pthread_barrierattr_setpshared(&a, 2), EINVAL);
    WT_ERR(pthread_barrierattr_setpshared(&a, -1), EINVAL);
    WT_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_barrierattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_SHARED);
    WT_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE));
    WT_OK(pthread_barrierattr_getpshared(&a, &v));
    WT_EQ(v, PTHREAD_PROCESS_PRIVATE);

    pthread_barrier_t b;
    WT_ERR(pthread_barrier_init(&b, NULL, 0), EINVAL);
    WT_ERR(pthread_barrier_init(&b, &a, 0), EINVAL);
    WT_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_ERR(pthread_barrier_init(&b, &a, 0), EINVAL);
    WT_OK(pthread_barrierattr_destroy(&a));

    /* count 1: every wait is the serial thread, at once */
    for (int shared = 0; shared < 2; shared++) {
        WT_OK(pthread_barrierattr_init(&a));
        WT_OK(pthread_barrierattr_setpshared(&a, shared ? PTHREAD_PROCESS_SHARED
                                                         : PTHREAD_PROCESS_PRIVATE));
        WT_OK(pthread_barrier_init(&b, &a, 1));
        for (int i = 0; i < 3; i++)
            WT_EQ(pthread_barrier_wait(&b), PTHREAD_BARRIER_SERIAL_THREAD);
        WT_OK(pthread_barrier_destroy(&b));
        WT_OK(pthread_barrierattr_destroy(&a));
    }
    /* an all-zero object is not a barrier */
    memset(&b, 0, sizeof b);
    WT_ERR(pthread_barrier_wait(&b), EINVAL);
}

/* ---- serial thread and reuse ---- */
struct gen {
    pthread_barrier_t b;
    int nthreads, generations;
    atomic_int serial[4096];
    atomic_int arrived[4096];
    atomic_int bad;
};

static void *gen_thread(void *arg)
{
    struct gen *g = arg;
    for (int i = 0; i < g->generations; i++) {
        atomic_fetch_add(&g->arrived[i], 1);
        int rc = pthread_barrier_wait(&g->b);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&g->serial[i], 1);
        else if (rc != 0)
            atomic_store(&g->bad, rc);
        /* nobody leaves before everyone of this generation arrived */
        if (atomic_load(&g->arrived[i]) != g->nthreads)
            atomic_store(&g->bad, 1000 + i);
        if (i % 7 == 0)
            sched_yield();
    }
    return NULL;
}

static void run_generations(int shared, int nthreads, int generations)
{
    struct gen *g = calloc(1, sizeof *g);
    g->nthreads = nthreads;
    g->generations = generations;
    pthread_barrierattr_t a;
    WT_OK(pthread_barrierattr_init(&a));
    WT_OK(pthread_barrierattr_setpshared(&a, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE));
    WT_OK(pthread_barrier_init(&g->b, &a, (unsigned)nthreads));
    WT_OK(pthread_barrierattr_destroy(&a));
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    for (int i = 0; i < nthreads; i++)
        t[i] = spawn(gen_thread, g);
    for (int i = 0; i < nthreads; i++)
        join(t[i]);
    WT_EQ(atomic_load(&g->bad), 0);
    for (int i = 0; i < generations; i++)
        WT_ASSERTF(atomic_load(&g->serial[i]) == 1, "generation %d: %d serial threads", i,
                   atomic_load(&g->serial[i]));
    WT_OK(pthread_barrier_destroy(&g->b));
    free(t);
    free(g);
}

WT_TEST(serial_and_reuse)
{
    int generations = (int)wt_knob("generations", 2000);
    if (generations > 4096)
        generations = 4096;
    run_generations(0, 2, generations);
    run_generations(0, 7, generations);
    run_generations(0, 32, generations / 4);
}

WT_TEST(serial_and_reuse_shared)
{
    int generations = (int)wt_knob("generations", 2000);
    if (generations > 4096)
        generations = 4096;
    run_generations(1, 2, generations);
    run_generations(1, 5, generations / 2);
}

/* ---- destroy while threads wait ---- */
struct one {
    pthread_barrier_t *b;
    atomic_int started;
    int rc;
};

static void *wait_once(void *arg)
{
    struct one *o = arg;
    atomic_store(&o->started, 1);
    o->rc = pthread_barrier_wait(o->b);
    return NULL;
}

WT_TEST(destroy_busy)
{
    for (int shared = 0; shared < 2; shared++) {
        pthread_barrierattr_t a;
        pthread_barrier_t b;
        WT_OK(pthread_barrierattr_init(&a));
        WT_OK(pthread_barrierattr_setpshared(&a, shared ? PTHREAD_PROCESS_SHARED
                                                         : PTHREAD_PROCESS_PRIVATE));
        WT_OK(pthread_barrier_init(&b, &a, 2));
        struct one o = {&b, 0, -5};
        pthread_t t = spawn(wait_once, &o);
        WT_WAIT_UNTIL(atomic_load(&o.started), 10);
        usleep(20000);
        WT_ERR(pthread_barrier_destroy(&b), EBUSY);
        int rc = pthread_barrier_wait(&b);
        join(t);
        WT_EQ((rc == PTHREAD_BARRIER_SERIAL_THREAD) + (o.rc == PTHREAD_BARRIER_SERIAL_THREAD), 1);
        WT_EQ((rc == 0) + (o.rc == 0), 1);
        WT_OK(pthread_barrier_destroy(&b));
        WT_OK(pthread_barrierattr_destroy(&a));
    }
}

/* ---- not a cancellation point ---- */
struct cancel_arg {
    pthread_barrier_t *b;
    atomic_int returned;
};

static void *wait_with_cancel(void *arg)
{
    struct cancel_arg *c = arg;
    WT_OK(pthread_cancel(pthread_self()));
    pthread_barrier_wait(c->b);
    atomic_store(&c->returned, 1);
    pthread_testcancel();
    return NULL;
}

WT_TEST(not_cancellation_point)
{
    for (int shared = 0; shared < 2; shared++) {
        pthread_barrierattr_t a;
        pthread_barrier_t b;
        WT_OK(pthread_barrierattr_init(&a));
        WT_OK(pthread_barrierattr_setpshared(&a, shared ? PTHREAD_PROCESS_SHARED
                                                         : PTHREAD_PROCESS_PRIVATE));
        WT_OK(pthread_barrier_init(&b, &a, 2));
        struct cancel_arg c = {&b, 0};
        pthread_t t = spawn(wait_with_cancel, &c);
        usleep(30000);
        WT_EQ(atomic_load(&c.returned), 0); /* still waiting, not cancelled */
        pthread_barrier_wait(&b);
        WT_PTR_EQ(join(t), PTHREAD_CANCELED);
        WT_EQ(atomic_load(&c.returned), 1);
        WT_OK(pthread_barrier_destroy(&b));
        WT_OK(pthread_barrierattr_destroy(&a));
    }
}

/* ---- process-shared across fork ---- */
#define CHECK(n, cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            _exit(n);                                                         \
    } while (0)

struct shm {
    pthread_barrier_t b;
    atomic_int serial;
    atomic_int arrived[1000];
};

static void child(struct shm *s, int nproc, int generations)
{
    for (int i = 0; i < generations; i++) {
        atomic_fetch_add(&s->arrived[i], 1);
        int rc = pthread_barrier_wait(&s->b);
        CHECK(10, rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
        if (rc)
            atomic_fetch_add(&s->serial, 1);
        CHECK(11, atomic_load(&s->arrived[i]) == nproc);
    }
    _exit(0);
}

WT_TEST(pshared_fork)
{
    enum { NPROC = 3, GENS = 1000 };
    struct shm *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    pthread_barrierattr_t a;
    WT_OK(pthread_barrierattr_init(&a));
    WT_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_barrier_init(&s->b, &a, NPROC));
    WT_OK(pthread_barrierattr_destroy(&a));
    pid_t pid[NPROC - 1];
    for (int i = 0; i < NPROC - 1; i++) {
        pid[i] = fork();
        WT_ASSERT(pid[i] >= 0);
        if (pid[i] == 0)
            child(s, NPROC, GENS);
    }
    for (int i = 0; i < GENS; i++) {
        atomic_fetch_add(&s->arrived[i], 1);
        int rc = pthread_barrier_wait(&s->b);
        WT_ASSERT(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
        if (rc)
            atomic_fetch_add(&s->serial, 1);
        WT_EQ(atomic_load(&s->arrived[i]), NPROC);
    }
    for (int i = 0; i < NPROC - 1; i++) {
        int st = 0;
        while (waitpid(pid[i], &st, 0) < 0)
            WT_EQ(errno, EINTR);
        WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: status 0x%x", i, st);
    }
    WT_EQ(atomic_load(&s->serial), GENS);
    WT_OK(pthread_barrier_destroy(&s->b));
    munmap(s, sizeof *s);
}

WT_MAIN(WT_ENTRY(attr_and_init, 0, 30),
        WT_ENTRY(serial_and_reuse, 0, 60),
        WT_ENTRY(serial_and_reuse_shared, 0, 60),
        WT_ENTRY(destroy_busy, 0, 30),
        WT_ENTRY(not_cancellation_point, 0, 30),
        WT_ENTRY(pshared_fork, 0, 60))
