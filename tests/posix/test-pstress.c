/* test-pstress.c - randomized pthread traffic through libweft-pthread:
 * creates (joinable and detached), joins, cancels of threads blocked in
 * condvar waits, semaphore waits and sleeps (with cleanup handlers and
 * key destructors), a static recursive mutex, a rwlock and pthread_once,
 * all at once, bounded by time, with a printed seed.
 *
 *   test-pstress random [seconds=3] [actors=8] [seed=S]
 *   test-pstress random_4vcpu       (the same in a child with WEFT_VCPUS=4)
 *
 * Invariants checked at the end:
 * - every thread created ran exactly once and ended exactly once (its
 *   function returned, or it was cancelled and its cleanup handler ran);
 * - every joinable one was joined once, with its own result or
 *   PTHREAD_CANCELED when (and only when) it was cancelled;
 * - every key value set was destroyed once (destructors at exit);
 * - the counter guarded by the recursive mutex and the rwlock-guarded
 *   pair saw no lost update, and the once routine ran once. */
#include "runner.h"

#include <semaphore.h>

static pthread_mutex_t rmu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static sem_t sem;

static long counter;     /* under rmu, locked twice (recursive) */
static long pair_a, pair_b; /* under rw (write), equal under rw (read) */
static atomic_long c_created, c_started, c_returned, c_cleanups, c_cancels, c_joined;
static atomic_long c_keys_set, c_keys_destroyed, c_once, c_increments, c_pair_bad;
static uint64_t deadline_ns;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void key_dtor(void *v)
{
    (void)v;
    atomic_fetch_add(&c_keys_destroyed, 1);
}

static void once_fn(void)
{
    atomic_fetch_add(&c_once, 1);
}

static void unlock_cmu(void *unused)
{
    (void)unused;
    WT_OK(pthread_mutex_unlock(&cmu));
}

static void cleanup(void *unused)
{
    (void)unused;
    atomic_fetch_add(&c_cleanups, 1);
}

/* A child: does one random thing; some block where a cancel reaches them. */
static void *child(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg | 1;
    atomic_fetch_add(&c_started, 1);
    WT_OK(pthread_once(&once, once_fn));
    if (rnd(&s) % 2) {
        WT_OK(pthread_setspecific(key, (void *)1));
        atomic_fetch_add(&c_keys_set, 1);
    }
    void *result = arg;
    /* every random choice before the cleanup push (its setjmp) */
    const uint64_t what = rnd(&s) % 5, v1 = rnd(&s), v2 = rnd(&s);
    pthread_cleanup_push(cleanup, NULL);
    switch (what) {
    case 0: /* a condvar wait nobody signals: ends by cancel or timeout */
        WT_OK(pthread_mutex_lock(&cmu));
        pthread_cleanup_push(unlock_cmu, NULL); /* a cancelled waiter holds it again */
        {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)(v1 % 2000000);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            int rc = pthread_cond_timedwait(&cv, &cmu, &ts);
            WT_ASSERT(rc == 0 || rc == ETIMEDOUT);
        }
        pthread_cleanup_pop(1);
        break;
    case 1: /* a semaphore wait, posted by actors now and then */
        {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 1000000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            int rc = sem_clockwait(&sem, CLOCK_MONOTONIC, &ts);
            WT_ASSERT(rc == 0 || errno == ETIMEDOUT);
        }
        break;
    case 2:
        usleep((useconds_t)(v1 % 500));
        break;
    case 3: /* the recursive mutex, twice */
        WT_OK(pthread_mutex_lock(&rmu));
        WT_OK(pthread_mutex_lock(&rmu));
        counter++;
        atomic_fetch_add(&c_increments, 1);
        WT_OK(pthread_mutex_unlock(&rmu));
        WT_OK(pthread_mutex_unlock(&rmu));
        break;
    default: /* the rwlock pair */
        if (v2 % 3) {
            WT_OK(pthread_rwlock_rdlock(&rw));
            if (pair_a != pair_b)
                atomic_fetch_add(&c_pair_bad, 1);
            sched_yield();
            WT_OK(pthread_rwlock_unlock(&rw));
        } else {
            WT_OK(pthread_rwlock_wrlock(&rw));
            pair_a++;
            sched_yield();
            pair_b++;
            WT_OK(pthread_rwlock_unlock(&rw));
        }
    }
    pthread_testcancel();
    pthread_cleanup_pop(0);
    atomic_fetch_add(&c_returned, 1);
    return result;
}

#define KEPT 32

static void *actor(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg | 1;
    pthread_t kept[KEPT];
    uintptr_t tag[KEPT];
    int cancelled[KEPT];
    int n = 0;
    while (wt_clock_ns() < deadline_ns) {
        uint64_t r = rnd(&s);
        if (r % 4 == 0 && n > 0) { /* join one, maybe cancelling it first */
            int i = (int)((r >> 8) % (uint64_t)n);
            if ((r >> 16) % 3 == 0) {
                WT_OK(pthread_cancel(kept[i]));
                cancelled[i] = 1;
            }
            void *res;
            WT_OK(pthread_join(kept[i], &res));
            atomic_fetch_add(&c_joined, 1);
            if (res == PTHREAD_CANCELED) {
                WT_ASSERTF(cancelled[i], "a thread nobody cancelled ended cancelled");
                atomic_fetch_add(&c_cancels, 1);
            } else {
                WT_ASSERT((uintptr_t)res == tag[i]);
            }
            kept[i] = kept[--n];
            tag[i] = tag[n];
            cancelled[i] = cancelled[n];
        } else if (r % 4 == 1) {
            WT_OK(sem_post(&sem));
        } else if (r % 4 == 2 || n == KEPT) {
            pthread_attr_t a;
            pthread_t t;
            WT_OK(pthread_attr_init(&a));
            WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
            if ((r >> 20) % 4 == 0)
                WT_OK(pthread_attr_setstacksize(&a, 256 * 1024));
            WT_OK(pthread_create(&t, &a, child, (void *)(uintptr_t)(rnd(&s) << 1)));
            WT_OK(pthread_attr_destroy(&a));
            atomic_fetch_add(&c_created, 1);
        } else {
            tag[n] = (uintptr_t)(rnd(&s) << 1);
            cancelled[n] = 0;
            WT_OK(pthread_create(&kept[n], NULL, child, (void *)tag[n]));
            atomic_fetch_add(&c_created, 1);
            n++;
        }
    }
    while (n > 0) {
        void *res;
        n--;
        WT_OK(pthread_join(kept[n], &res));
        atomic_fetch_add(&c_joined, 1);
        WT_ASSERT((uintptr_t)res == tag[n]);
    }
    return NULL;
}

WT_TEST(random)
{
    double secs = (double)wt_knob("seconds", 3);
    int nactors = (int)wt_knob("actors", 8);
    uint64_t seed = (uint64_t)wt_knob("seed", (long long)(wt_clock_ns() & 0xffffffffffff));
    printf("  seed=%" PRIu64 " vcpus=%d seconds=%g actors=%d\n", seed, weft_vcpu_count(), secs,
           nactors);
    printf("  reproduce: test-pstress random seconds=%g actors=%d seed=%" PRIu64 "\n", secs,
           nactors, seed);
    WT_OK(pthread_key_create(&key, key_dtor));
    WT_OK(sem_init(&sem, 0, 0));
    deadline_ns = wt_clock_ns() + (uint64_t)(secs * 1e9);
    pthread_t a[64];
    WT_ASSERT(nactors > 0 && nactors <= 64);
    for (int i = 0; i < nactors; i++)
        WT_OK(pthread_create(&a[i], NULL, actor, (void *)(uintptr_t)(seed * 2654435761u + i)));
    for (int i = 0; i < nactors; i++)
        WT_OK(pthread_join(a[i], NULL));
    /* detached children still running: wait until every one has ended */
    WT_WAIT_UNTIL(atomic_load(&c_returned) + atomic_load(&c_cancels) ==
                      atomic_load(&c_created),
                  60);
    /* and has run its key destructors (after its function's end) */
    WT_WAIT_UNTIL(atomic_load(&c_keys_destroyed) == atomic_load(&c_keys_set), 60);
    long created = atomic_load(&c_created);
    printf("  created %ld, cancelled %ld, joined %ld, keys %ld\n", created,
           atomic_load(&c_cancels), atomic_load(&c_joined), atomic_load(&c_keys_set));
    WT_EQ(atomic_load(&c_started), created);
    WT_EQ(atomic_load(&c_cleanups), atomic_load(&c_cancels));
    WT_EQ(atomic_load(&c_once), 1);
    WT_EQ(atomic_load(&c_pair_bad), 0);
    WT_OK(pthread_mutex_lock(&rmu));
    WT_EQ(counter, atomic_load(&c_increments));
    WT_OK(pthread_mutex_unlock(&rmu));
    WT_EQ(pair_a, pair_b);
    WT_ASSERT(created > 100);
}

/* The same with four vCPUs: the runtime starts before main in the
 * drop-in, so a child process gets WEFT_VCPUS=4. */
static void exec_random(void *unused)
{
    (void)unused;
    setenv("WEFT_VCPUS", "4", 1);
    char *argv[] = {"self", "random", "seconds=2", NULL};
    wt_exec_self(argv);
    _exit(127);
}

WT_TEST(random_4vcpu)
{
    struct wt_child c;
    wt_fork(&c, 120, exec_random, NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(random, 0, 120),
        WT_ENTRY(random_4vcpu, 0, 180))
