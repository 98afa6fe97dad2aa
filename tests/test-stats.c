/* test-stats.c - weft_stats: every counter of one vCPU or of all summed,
 * its errors, its agreement with weft_vcpu_stats, and the counters that
 * must stay 0 until preemption and the I/O port exist. */
#include "runner.h"

#include <limits.h>
#include <pthread.h>

#define YIELDS 2000

static atomic_int started;

/* Waits (yielding) until `arg` yielders have started, so they take turns. */
static void *yielder(void *arg)
{
    atomic_fetch_add(&started, 1);
    while (atomic_load(&started) < (int)(intptr_t)arg)
        WT_OK(weft_yield());
    for (int i = 0; i < YIELDS; i++)
        WT_OK(weft_yield());
    return arg;
}

/* Every monotonic field of a is <= the same field of b. */
static void expect_le(const weft_stats_t *a, const weft_stats_t *b)
{
    WT_LE(a->switches, b->switches);
    WT_LE(a->steals, b->steals);
    WT_LE(a->parks, b->parks);
    WT_LE(a->wakeups, b->wakeups);
    WT_LE(a->stalls, b->stalls);
}

/* Preemption is not built yet, and this test does no I/O (test-ioasync
 * checks the I/O counters). */
static void expect_unbuilt_zero(const weft_stats_t *s)
{
    WT_EQ_U64(s->preemptions, 0);
    WT_EQ_U64(s->io_submits, 0);
    WT_EQ_U64(s->io_completions, 0);
    WT_EQ_U64(s->offloads, 0);
    for (size_t i = 0; i < sizeof s->reserved / sizeof s->reserved[0]; i++)
        WT_EQ_U64(s->reserved[i], 0);
}

WT_TEST(errors)
{
    int n = weft_vcpu_count();
    weft_stats_t st;
    WT_ERR(weft_stats(0, NULL), EINVAL);
    WT_ERR(weft_stats(WEFT_STATS_ALL, NULL), EINVAL);
    WT_ERR(weft_stats(-2, &st), EINVAL);
    WT_ERR(weft_stats(n, &st), EINVAL);
    WT_ERR(weft_stats(n + 100, &st), EINVAL);
    WT_ERR(weft_stats(INT_MAX, &st), EINVAL);
    WT_ERR(weft_stats(INT_MIN, &st), EINVAL);
    WT_OK(weft_stats(WEFT_STATS_ALL, &st));
    WT_OK(weft_stats(n - 1, &st));
}

/* Two threads yielding to each other on one vCPU: each yield is a switch,
 * each creation a wakeup. */
WT_TEST(counts_one_vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_stats_t a, b;
    WT_OK(weft_stats(WEFT_STATS_ALL, &a));
    weft_t t1, t2;
    WT_OK(weft_create(&t1, NULL, yielder, (void *)2));
    WT_OK(weft_create(&t2, NULL, yielder, (void *)2));
    WT_OK(weft_join(t1, NULL));
    WT_OK(weft_join(t2, NULL));
    WT_OK(weft_stats(WEFT_STATS_ALL, &b));
    printf("switches %" PRIu64 " -> %" PRIu64 ", wakeups %" PRIu64
           " -> %" PRIu64 ", parks %" PRIu64 "\n",
           a.switches, b.switches, a.wakeups, b.wakeups, b.parks);
    expect_le(&a, &b);
    WT_GE(b.switches - a.switches, (uint64_t)YIELDS);
    WT_GE(b.wakeups - a.wakeups, 2);
    WT_EQ_U64(b.steals, 0); /* one vCPU: nobody to steal from */
    WT_EQ_U64(b.stalls, 0); /* WEFT_STALL_MS is not set by ctest */
    expect_unbuilt_zero(&b);
    /* vCPU 0 alone is the whole sum. */
    weft_stats_t v0;
    WT_OK(weft_stats(0, &v0));
    expect_le(&b, &v0);
}

/* The sum lies between per-vCPU reads taken before and after, and
 * weft_vcpu_stats agrees with weft_stats. */
WT_TEST(sum_and_old_call)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    weft_t t[4];
    for (int i = 0; i < 4; i++)
        WT_OK(weft_create(&t[i], NULL, yielder, (void *)1));
    for (int i = 0; i < 4; i++)
        WT_OK(weft_join(t[i], NULL));

    weft_stats_t before[2], all, after[2], sum_before, sum_after;
    memset(&sum_before, 0, sizeof sum_before);
    memset(&sum_after, 0, sizeof sum_after);
    for (int c = 0; c < 2; c++)
        WT_OK(weft_stats(c, &before[c]));
    WT_OK(weft_stats(WEFT_STATS_ALL, &all));
    for (int c = 0; c < 2; c++)
        WT_OK(weft_stats(c, &after[c]));
    for (int c = 0; c < 2; c++) {
        expect_le(&before[c], &after[c]);
        sum_before.switches += before[c].switches;
        sum_before.steals += before[c].steals;
        sum_before.parks += before[c].parks;
        sum_before.wakeups += before[c].wakeups;
        sum_after.switches += after[c].switches;
        sum_after.steals += after[c].steals;
        sum_after.parks += after[c].parks;
        sum_after.wakeups += after[c].wakeups;
    }
    expect_le(&sum_before, &all);
    expect_le(&all, &sum_after);
    WT_GE(all.switches, 4); /* each ran; a yield alone on its vCPU is no switch */
    WT_GE(all.wakeups, 4);
    expect_unbuilt_zero(&all);

    for (int c = 0; c < 2; c++) {
        weft_stats_t s1, s2;
        weft_vcpu_stats_t old;
        WT_OK(weft_stats(c, &s1));
        WT_OK(weft_vcpu_stats(c, &old));
        WT_OK(weft_stats(c, &s2));
        WT_LE(s1.switches, old.switches);
        WT_LE(old.switches, s2.switches);
        WT_LE(s1.wakeups, old.wakeups);
        WT_LE(old.wakeups, s2.wakeups);
        WT_LE(s1.steals, old.steals);
        WT_LE(old.steals, s2.steals);
    }
}

static void *foreign(void *arg)
{
    weft_stats_t *st = arg;
    WT_OK(weft_stats(WEFT_STATS_ALL, st));
    return NULL;
}

/* A plain host thread may read the counters; it starts the runtime. */
WT_TEST(foreign_thread)
{
    pthread_t p;
    weft_stats_t st;
    memset(&st, 0xff, sizeof st);
    WT_EQ(pthread_create(&p, NULL, foreign, &st), 0);
    WT_EQ(pthread_join(p, NULL), 0);
    expect_unbuilt_zero(&st); /* and it wrote the whole struct */
}

WT_MAIN(WT_ENTRY(errors, 0, 30),
        WT_ENTRY(counts_one_vcpu, WT_FRESH, 60),
        WT_ENTRY(sum_and_old_call, WT_FRESH, 60),
        WT_ENTRY(foreign_thread, WT_FRESH, 30))
