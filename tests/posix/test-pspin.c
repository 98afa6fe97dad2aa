/* test-pspin.c - pthread_spin_* of libweft-pthread, from the POSIX
 * assertions: init's pshared values, trylock EBUSY, destroy EBUSY,
 * unlock EPERM, mutual exclusion among threads on both vCPUs (with
 * holders that yield inside the critical section), and process-shared
 * spinlocks across fork. */
#include "ptest.h"

#include <sys/mman.h>

WT_TEST(errors)
{
    pthread_spinlock_t l;
    WT_ERR(pthread_spin_init(&l, 2), EINVAL);
    WT_ERR(pthread_spin_init(&l, -1), EINVAL);
    for (int shared = 0; shared < 2; shared++) {
        WT_OK(pthread_spin_init(&l, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE));
        WT_ERR(pthread_spin_unlock(&l), EPERM);
        WT_OK(pthread_spin_trylock(&l));
        WT_ERR(pthread_spin_trylock(&l), EBUSY);
        WT_ERR(pthread_spin_destroy(&l), EBUSY);
        WT_OK(pthread_spin_unlock(&l));
        WT_ERR(pthread_spin_unlock(&l), EPERM);
        WT_OK(pthread_spin_lock(&l));
        WT_ERR(pthread_spin_trylock(&l), EBUSY);
        WT_OK(pthread_spin_unlock(&l));
        WT_OK(pthread_spin_destroy(&l));
    }
}

/* ---- mutual exclusion among threads ---- */
struct count {
    pthread_spinlock_t l;
    long counter;
    long n;
    atomic_int inside;
};

static void *count_thread(void *arg)
{
    struct count *c = arg;
    for (long i = 0; i < c->n; i++) {
        if (i % 3 == 0) {
            /* weft has no preemption: a holder switched out on this
             * vCPU only runs again if the spinner yields */
            while (pthread_spin_trylock(&c->l) == EBUSY)
                sched_yield();
        } else {
            WT_OK(pthread_spin_lock(&c->l));
        }
        WT_EQ(atomic_fetch_add(&c->inside, 1), 0);
        long v = c->counter;
        /* a holder switched out on the waiter's vCPU must still finish */
        if (i % 1000 == 0)
            sched_yield();
        c->counter = v + 1;
        atomic_fetch_sub(&c->inside, 1);
        WT_OK(pthread_spin_unlock(&c->l));
    }
    return NULL;
}

WT_TEST(threads)
{
    for (int shared = 0; shared < 2; shared++) {
        struct count c = {0};
        c.n = 50000;
        WT_OK(pthread_spin_init(&c.l, shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE));
        enum { N = 6 };
        pthread_t t[N];
        for (int i = 0; i < N; i++)
            t[i] = spawn(count_thread, &c);
        for (int i = 0; i < N; i++)
            join(t[i]);
        WT_EQ(c.counter, N * c.n);
        WT_OK(pthread_spin_destroy(&c.l));
    }
}

/* ---- process-shared across fork ---- */
struct shm {
    pthread_spinlock_t l;
    long counter;
};

static void child(struct shm *s, long n)
{
    for (long i = 0; i < n; i++) {
        if (pthread_spin_lock(&s->l) != 0)
            _exit(10);
        long v = s->counter;
        __asm__ __volatile__("" ::: "memory");
        s->counter = v + 1;
        if (pthread_spin_unlock(&s->l) != 0)
            _exit(11);
    }
    /* trylock against a lock the parent may hold: EBUSY or 0 only */
    int rc = pthread_spin_trylock(&s->l);
    if (rc != 0 && rc != EBUSY)
        _exit(12);
    if (rc == 0 && pthread_spin_unlock(&s->l) != 0)
        _exit(13);
    _exit(0);
}

WT_TEST(pshared_fork)
{
    struct shm *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    WT_OK(pthread_spin_init(&s->l, PTHREAD_PROCESS_SHARED));
    long n = 200000;
    enum { CHILDREN = 2 };
    pid_t pid[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pid[i] = fork();
        WT_ASSERT(pid[i] >= 0);
        if (pid[i] == 0)
            child(s, n);
    }
    for (long i = 0; i < n; i++) {
        WT_OK(pthread_spin_lock(&s->l));
        long v = s->counter;
        __asm__ __volatile__("" ::: "memory");
        s->counter = v + 1;
        WT_OK(pthread_spin_unlock(&s->l));
    }
    for (int i = 0; i < CHILDREN; i++) {
        int st = 0;
        while (waitpid(pid[i], &st, 0) < 0)
            WT_EQ(errno, EINTR);
        WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: status 0x%x", i, st);
    }
    WT_EQ(s->counter, (CHILDREN + 1) * n);
    WT_OK(pthread_spin_destroy(&s->l));
    munmap(s, sizeof *s);
}

WT_MAIN(WT_ENTRY(errors, 0, 30),
        WT_ENTRY(threads, 0, 60),
        WT_ENTRY(pshared_fork, 0, 60))
