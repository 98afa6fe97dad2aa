/* test-ppreempt.c - preemption in the pthread drop-in (docs/preempt.md):
 * on by default, so a pthread spinning in the program's own code does not
 * starve the others of a one-vCPU process; WEFT_PREEMPT=0 turns it off.
 *
 * The one-vCPU cases re-run this binary with WEFT_VCPUS=1 (main is a weft
 * thread from the start, so the runtime cannot be configured in-process). */
#include "ptest.h"

static atomic_int stop;
static atomic_int sleeps;

static void *spin(void *arg)
{
    volatile unsigned long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        n++;
    return arg;
}

static void *sleeper(void *arg)
{
    for (int i = 0; i < 20; i++) {
        struct timespec ts = {0, 2000000};
        WT_OK(nanosleep(&ts, NULL));
        atomic_fetch_add(&sleeps, 1);
    }
    return arg;
}

WT_TEST(no_starve_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    WT_EQ(weft_preempt_mode(), WEFT_PREEMPT_ASYNC);
    pthread_t s, t;
    WT_OK(pthread_create(&s, NULL, spin, NULL));
    WT_OK(pthread_create(&t, NULL, sleeper, NULL));
    WT_OK(pthread_join(t, NULL)); /* never returns without preemption */
    atomic_store(&stop, 1);
    WT_OK(pthread_join(s, NULL));
    WT_EQ(atomic_load(&sleeps), 20);
    weft_stats_t st;
    WT_OK(weft_stats(WEFT_STATS_ALL, &st));
    WT_GT(st.preemptions, 0);
}

/* Off: the spinner keeps the only vCPU for its whole (bounded) run. */
static void *bounded_spin(void *arg)
{
    uint64_t end = wt_clock_ns() + 150000000;
    volatile unsigned long n = 0;
    while (wt_clock_ns() < end)
        for (int i = 0; i < 4096; i++)
            n++;
    *(int *)arg = atomic_load(&sleeps);
    return NULL;
}

WT_TEST(off_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    WT_EQ(weft_preempt_mode(), WEFT_PREEMPT_OFF);
    int seen = -1;
    pthread_t s, t;
    WT_OK(pthread_create(&s, NULL, bounded_spin, &seen));
    WT_OK(pthread_create(&t, NULL, sleeper, NULL));
    WT_OK(pthread_join(s, NULL));
    WT_EQ(seen, 0);
    WT_OK(pthread_join(t, NULL));
}

WT_TEST(no_starve_one_vcpu)
{
    if (weft_preempt_mode() != WEFT_PREEMPT_ASYNC)
        WT_SKIP("preemption is not asynchronous here (valgrind)");
    struct wt_child c;
    run_self(&c, "no_starve_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

WT_TEST(off_by_env_one_vcpu)
{
    setenv("WEFT_PREEMPT", "0", 1);
    struct wt_child c;
    run_self(&c, "off_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(no_starve_child, WT_MANUAL, 60),
        WT_ENTRY(off_child, WT_MANUAL, 60),
        WT_ENTRY(no_starve_one_vcpu, 0, 60),
        WT_ENTRY(off_by_env_one_vcpu, 0, 60))
