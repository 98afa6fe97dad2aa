/* test-pshared.c - process-shared mutexes and condvars of libweft-pthread
 * across fork, in MAP_SHARED memory: mutual exclusion between a child and
 * weft threads of the parent, owner checks across processes, condvar
 * signal and broadcast both ways, timeouts, robust mutexes whose owner
 * thread ends or whose owner process dies, cancellation in a
 * process-shared wait, destroy while busy.
 *
 * A child does only process-shared operations and _exit: the weft
 * runtime does not survive fork (yet). Children report by exit status. */
#include "ptest.h"

#include <sys/mman.h>

struct shm {
    pthread_mutex_t m;
    pthread_cond_t cv;
    pthread_mutex_t m2;
    long counter;
    int flag;
    int waiting;
    int rc;
};

static struct shm *shm_new(int type, int robust)
{
    struct shm *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
    WT_ASSERT(s != MAP_FAILED);
    pthread_mutexattr_t ma;
    WT_OK(pthread_mutexattr_init(&ma));
    WT_OK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_mutexattr_settype(&ma, type));
    WT_OK(pthread_mutexattr_setrobust(&ma, robust));
    WT_OK(pthread_mutex_init(&s->m, &ma));
    WT_OK(pthread_mutex_init(&s->m2, &ma));
    WT_OK(pthread_mutexattr_destroy(&ma));
    pthread_condattr_t ca;
    WT_OK(pthread_condattr_init(&ca));
    WT_OK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_cond_init(&s->cv, &ca));
    WT_OK(pthread_condattr_destroy(&ca));
    return s;
}

static void shm_free(struct shm *s)
{
    munmap(s, sizeof *s);
}

/* Fork a child running fn(s); returns its pid. fn's value is its status. */
static pid_t child(int (*fn)(struct shm *), struct shm *s)
{
    fflush(NULL);
    pid_t pid = fork();
    WT_ASSERT(pid >= 0);
    if (pid == 0)
        _exit(fn(s));
    return pid;
}

static int reap(pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    WT_EQ(r, pid);
    WT_ASSERTF(WIFEXITED(st), "child status 0x%x", st);
    return WEXITSTATUS(st);
}

enum { LOOPS = 20000 };

static int child_count(struct shm *s)
{
    for (int i = 0; i < LOOPS; i++) {
        if (pthread_mutex_lock(&s->m))
            return 2;
        long c = s->counter;
        if ((i & 63) == 0)
            sched_yield();
        s->counter = c + 1;
        if (pthread_mutex_unlock(&s->m))
            return 3;
    }
    return 0;
}

static void *thread_count(void *p)
{
    struct shm *s = p;
    for (int i = 0; i < LOOPS; i++) {
        if (pthread_mutex_lock(&s->m))
            return (void *)2;
        long c = s->counter;
        if ((i & 63) == 0)
            sched_yield();
        s->counter = c + 1;
        if (pthread_mutex_unlock(&s->m))
            return (void *)3;
    }
    return NULL;
}

static void exclusion(int type)
{
    struct shm *s = shm_new(type, PTHREAD_MUTEX_STALLED);
    pid_t a = child(child_count, s), b = child(child_count, s);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        WT_OK(pthread_create(&t[i], NULL, thread_count, s));
    for (int i = 0; i < 2; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        WT_PTR_EQ(r, NULL);
    }
    WT_EQ(reap(a), 0);
    WT_EQ(reap(b), 0);
    WT_EQ(s->counter, 4L * LOOPS);
    WT_OK(pthread_mutex_destroy(&s->m));
    shm_free(s);
}

WT_TEST(mutex_exclusion)
{
    exclusion(PTHREAD_MUTEX_NORMAL);
    exclusion(PTHREAD_MUTEX_ERRORCHECK);
    exclusion(PTHREAD_MUTEX_RECURSIVE);
}

static int child_owner_checks(struct shm *s)
{
    /* the parent holds m: not ours */
    if (pthread_mutex_trylock(&s->m) != EBUSY)
        return 10;
    if (pthread_mutex_unlock(&s->m) != EPERM)
        return 11;
    struct timespec ts = after(CLOCK_MONOTONIC, 20 * WT_MS);
    if (pthread_mutex_clocklock(&s->m, CLOCK_MONOTONIC, &ts) != ETIMEDOUT)
        return 12;
    ts = after(CLOCK_REALTIME, 20 * WT_MS);
    if (pthread_mutex_timedlock(&s->m, &ts) != ETIMEDOUT)
        return 13;
    return 0;
}

WT_TEST(owner_checks)
{
    struct shm *s = shm_new(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED);
    WT_ERR(pthread_mutex_unlock(&s->m), EPERM);
    WT_OK(pthread_mutex_lock(&s->m));
    WT_ERR(pthread_mutex_lock(&s->m), EDEADLK);
    WT_ERR(pthread_mutex_trylock(&s->m), EBUSY);
    WT_ERR(pthread_mutex_destroy(&s->m), EBUSY);
    WT_EQ(reap(child(child_owner_checks, s)), 0);
    /* a thread of ours is not the owner either */
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_mutex_destroy(&s->m));
    shm_free(s);

    s = shm_new(PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_STALLED);
    WT_OK(pthread_mutex_lock(&s->m));
    WT_OK(pthread_mutex_lock(&s->m));
    WT_EQ(reap(child(child_owner_checks, s)), 0);
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_ERR(pthread_mutex_unlock(&s->m), EPERM);
    shm_free(s);
}

/* ---- condvars ---- */

static int child_signal(struct shm *s)
{
    usleep(20000);
    if (pthread_mutex_lock(&s->m))
        return 2;
    s->flag = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->m);
    return 0;
}

static int child_wait(struct shm *s)
{
    if (pthread_mutex_lock(&s->m))
        return 2;
    s->waiting++;
    while (!s->flag)
        if (pthread_cond_wait(&s->cv, &s->m))
            return 3;
    pthread_mutex_unlock(&s->m);
    return 0;
}

static int child_timeout(struct shm *s)
{
    if (pthread_mutex_lock(&s->m))
        return 2;
    struct timespec ts = after(CLOCK_REALTIME, 20 * WT_MS);
    int rc = pthread_cond_timedwait(&s->cv, &s->m, &ts);
    if (pthread_mutex_unlock(&s->m))
        return 4; /* held again after the timeout */
    return rc == ETIMEDOUT ? 0 : 3;
}

WT_TEST(cond_across_fork)
{
    struct shm *s = shm_new(PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED);
    /* the parent waits, the child signals */
    pid_t p = child(child_signal, s);
    WT_OK(pthread_mutex_lock(&s->m));
    while (!s->flag)
        WT_OK(pthread_cond_wait(&s->cv, &s->m));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_EQ(reap(p), 0);

    /* children wait, the parent broadcasts */
    s->flag = 0;
    pid_t a = child(child_wait, s), b = child(child_wait, s);
    for (;;) {
        WT_OK(pthread_mutex_lock(&s->m));
        int w = s->waiting;
        WT_OK(pthread_mutex_unlock(&s->m));
        if (w == 2)
            break;
        usleep(1000);
    }
    usleep(20000);
    WT_OK(pthread_mutex_lock(&s->m));
    s->flag = 1;
    WT_OK(pthread_cond_broadcast(&s->cv));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_EQ(reap(a), 0);
    WT_EQ(reap(b), 0);

    /* a timed wait in the child */
    WT_EQ(reap(child(child_timeout, s)), 0);
    WT_OK(pthread_cond_destroy(&s->cv));
    WT_OK(pthread_mutex_destroy(&s->m));
    shm_free(s);
}

struct tw {
    struct shm *s;
    int rc;
};

WT_TEST(cond_timeouts_and_errors)
{
    struct shm *s = shm_new(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED);
    WT_ERR(pthread_cond_wait(&s->cv, &s->m), EPERM);
    WT_OK(pthread_mutex_lock(&s->m));
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    for (int i = 0; i < 2; i++) {
        uint64_t t0 = wt_clock_ns();
        struct timespec ts = after(clocks[i], 20 * WT_MS);
        WT_ERR(pthread_cond_clockwait(&s->cv, &s->m, clocks[i], &ts), ETIMEDOUT);
        WT_GE(wt_clock_ns() - t0, 19 * WT_MS);
        WT_ERR(pthread_mutex_lock(&s->m), EDEADLK); /* held again */
    }
    struct timespec ts = after(CLOCK_REALTIME, 20 * WT_MS);
    WT_ERR(pthread_cond_timedwait(&s->cv, &s->m, &ts), ETIMEDOUT);
    struct timespec past = {0, 0}, bad = {0, -5};
    WT_ERR(pthread_cond_timedwait(&s->cv, &s->m, &past), ETIMEDOUT);
    WT_ERR(pthread_cond_timedwait(&s->cv, &s->m, &bad), EINVAL);
    WT_ERR(pthread_cond_clockwait(&s->cv, &s->m, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    WT_OK(pthread_mutex_unlock(&s->m));

    /* a monotonic pshared condvar */
    pthread_condattr_t ca;
    pthread_cond_t mono;
    WT_OK(pthread_condattr_init(&ca));
    WT_OK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
    WT_OK(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    WT_OK(pthread_cond_init(&mono, &ca));
    WT_OK(pthread_mutex_lock(&s->m));
    ts = after(CLOCK_MONOTONIC, 20 * WT_MS);
    WT_ERR(pthread_cond_timedwait(&mono, &s->m, &ts), ETIMEDOUT);
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_cond_destroy(&mono));

    /* destroy while a child waits: EBUSY; after the broadcast: fine */
    s->flag = 0;
    s->waiting = 0;
    pid_t a = child(child_wait, s);
    for (;;) {
        WT_OK(pthread_mutex_lock(&s->m));
        int w = s->waiting;
        WT_OK(pthread_mutex_unlock(&s->m));
        if (w == 1)
            break;
        usleep(1000);
    }
    WT_OK(pthread_mutex_lock(&s->m));
    WT_ERR(pthread_cond_destroy(&s->cv), EBUSY);
    s->flag = 1;
    WT_OK(pthread_cond_broadcast(&s->cv));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_cond_destroy(&s->cv));
    WT_EQ(reap(a), 0);
    shm_free(s);
}

/* ---- robust ---- */

static void *lock_and_return(void *p)
{
    struct shm *s = p;
    return (void *)(intptr_t)pthread_mutex_lock(&s->m);
}

static int child_lock_and_die(struct shm *s)
{
    if (pthread_mutex_lock(&s->m))
        return 2;
    return 0; /* _exit holding it */
}

WT_TEST(robust)
{
    struct shm *s = shm_new(PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST);
    /* the owner thread ends */
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, lock_and_return, s));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, NULL);
    WT_ERR(pthread_mutex_lock(&s->m), EOWNERDEAD);
    WT_OK(pthread_mutex_consistent(&s->m));
    WT_ERR(pthread_mutex_consistent(&s->m), EINVAL);
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_mutex_lock(&s->m));
    WT_OK(pthread_mutex_unlock(&s->m));

    /* the owner process dies (reaped first: a zombie still counts) */
    WT_EQ(reap(child(child_lock_and_die, s)), 0);
    WT_ERR(pthread_mutex_lock(&s->m), EOWNERDEAD);
    WT_OK(pthread_mutex_consistent(&s->m));
    WT_OK(pthread_mutex_unlock(&s->m));

    /* again, not made consistent: not recoverable for everyone */
    WT_EQ(reap(child(child_lock_and_die, s)), 0);
    struct timespec ts = after(CLOCK_REALTIME, 5000 * WT_MS);
    WT_ERR(pthread_mutex_timedlock(&s->m, &ts), EOWNERDEAD);
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_ERR(pthread_mutex_lock(&s->m), ENOTRECOVERABLE);
    WT_ERR(pthread_mutex_trylock(&s->m), ENOTRECOVERABLE);
    shm_free(s);
}

/* ---- cancellation in a process-shared wait ---- */

struct cw {
    struct shm *s;
    atomic_int waiting;
    int handler_rc;
};

static void cw_cleanup(void *p)
{
    struct cw *c = p;
    c->handler_rc = pthread_mutex_unlock(&c->s->m); /* errorcheck: only the holder */
}

static void *cw_thread(void *p)
{
    struct cw *c = p;
    pthread_mutex_lock(&c->s->m);
    pthread_cleanup_push(cw_cleanup, c);
    atomic_store(&c->waiting, 1);
    for (;;)
        pthread_cond_wait(&c->s->cv, &c->s->m);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cancel_in_wait)
{
    struct shm *s = shm_new(PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED);
    struct cw c = {s, 0, -1};
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, cw_thread, &c));
    WT_WAIT_UNTIL(atomic_load(&c.waiting), 10);
    WT_OK(pthread_mutex_lock(&s->m));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(c.handler_rc, 0);
    WT_OK(pthread_mutex_lock(&s->m));
    WT_OK(pthread_mutex_unlock(&s->m));
    WT_OK(pthread_cond_destroy(&s->cv));
    shm_free(s);
}

WT_MAIN(WT_ENTRY(mutex_exclusion, 0, 120),
        WT_ENTRY(owner_checks, 0, 60),
        WT_ENTRY(cond_across_fork, 0, 60),
        WT_ENTRY(cond_timeouts_and_errors, 0, 60),
        WT_ENTRY(robust, 0, 60),
        WT_ENTRY(cancel_in_wait, 0, 60))
