/* test-spin.c - the public spinlock: errors, mutual exclusion on 1 and 2
 * vCPUs with holders that switch away inside the critical section (the
 * waiters must yield for them), foreign host threads.
 *
 * Knobs: threads=<n>, iterations=<n>. */
#include "runner.h"

WT_TEST(errors)
{
    weft_spinlock_t l;
    static weft_spinlock_t zero;
    WT_ERR(weft_spin_init(NULL), EINVAL);
    WT_ERR(weft_spin_lock(NULL), EINVAL);
    WT_ERR(weft_spin_trylock(NULL), EINVAL);
    WT_ERR(weft_spin_unlock(NULL), EINVAL);
    WT_ERR(weft_spin_destroy(NULL), EINVAL);
    WT_OK(weft_spin_init(&l));
    WT_ERR(weft_spin_unlock(&l), EPERM);
    WT_OK(weft_spin_lock(&l));
    WT_ERR(weft_spin_trylock(&l), EBUSY);
    WT_ERR(weft_spin_destroy(&l), EBUSY);
    WT_OK(weft_spin_unlock(&l));
    WT_OK(weft_spin_trylock(&l));
    WT_OK(weft_spin_unlock(&l));
    WT_OK(weft_spin_destroy(&l));
    WT_OK(weft_spin_trylock(&zero)); /* all-zero: unlocked */
    WT_OK(weft_spin_unlock(&zero));
}

static weft_spinlock_t sl;
static atomic_int inside;
static long count; /* under sl */

static void *spinner(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        if (i % 3 == 0) {
            while (weft_spin_trylock(&sl) == EBUSY)
                weft_yield(); /* the holder may be switched out here */
        } else {
            WT_OK(weft_spin_lock(&sl));
        }
        WT_EQ(atomic_exchange(&inside, 1), 0);
        count++;
        /* Switch away holding it now and then: on one vCPU the waiters
         * spin until they yield to this thread. */
        if (i % 100 == 0)
            weft_yield();
        WT_EQ(atomic_exchange(&inside, 0), 1);
        WT_OK(weft_spin_unlock(&sl));
    }
    return NULL;
}

static void *host_spinner(void *arg)
{
    return spinner(arg);
}

static void contention(int nvcpus, int nhost)
{
    int nt = (int)wt_knob("threads", 8);
    long n = (long)wt_knob("iterations", wt_scaled(20000));
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    weft_t *t = calloc((size_t)nt, sizeof *t);
    pthread_t h[4];
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_create(&h[i], NULL, host_spinner, (void *)(intptr_t)n), 0);
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&t[i], NULL, spinner, (void *)(intptr_t)n));
    for (int i = 0; i < nt; i++)
        WT_OK(weft_join(t[i], NULL));
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_join(h[i], NULL), 0);
    WT_EQ(count, (nt + nhost) * n);
    WT_OK(weft_spin_destroy(&sl));
    free(t);
}

WT_TEST(contention_1vcpu)
{
    contention(1, 0);
}

WT_TEST(contention_2vcpu)
{
    contention(2, 0);
}

WT_TEST(foreign_threads)
{
    contention(2, 2);
}

WT_MAIN(WT_ENTRY(errors, 0, 60),
        WT_ENTRY(contention_1vcpu, WT_FRESH, 120),
        WT_ENTRY(contention_2vcpu, WT_FRESH, 120),
        WT_ENTRY(foreign_threads, WT_FRESH, 120))
