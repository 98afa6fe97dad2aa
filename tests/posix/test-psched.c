/* test-psched.c - pthread_setschedparam/getschedparam/setschedprio, the
 * scheduling attributes at pthread_create (INHERIT_SCHED, EXPLICIT_SCHED),
 * SCHED_FIFO before SCHED_OTHER on one vCPU, pthread_setaffinity_np/
 * getaffinity_np, pthread_getcpuclockid; from the POSIX assertions,
 * through glibc's <pthread.h> against libweft-pthread.
 *
 * The one-vCPU case re-runs this binary with WEFT_VCPUS=1 (main is a weft
 * thread from the start, so the runtime cannot be configured in-process). */
#include "ptest.h"

static atomic_int gate;

static void *gated(void *arg)
{
    while (!atomic_load(&gate))
        usleep(500);
    return arg;
}

static void *ret_arg(void *arg) { return arg; }

static void expect_sched(pthread_t t, int policy, int prio, int line)
{
    int p = -1;
    struct sched_param sp;
    memset(&sp, 0x7f, sizeof sp);
    int rc = pthread_getschedparam(t, &p, &sp);
    if (rc || p != policy || sp.sched_priority != prio)
        wt_fail(__FILE__, line, "getschedparam: rc %d, policy %d prio %d; expected policy %d prio %d",
                rc, p, sp.sched_priority, policy, prio);
}
#define EXPECT_SCHED(t, pol, pr) expect_sched((t), (pol), (pr), __LINE__)

/* ---- round trips ---- */
static void round_trips_on(pthread_t t)
{
    struct sched_param sp = {0};
    EXPECT_SCHED(t, SCHED_OTHER, 0); /* the default */
    WT_OK(pthread_setschedparam(t, SCHED_OTHER, &sp));
    EXPECT_SCHED(t, SCHED_OTHER, 0);
    static const int rt[] = {SCHED_FIFO, SCHED_RR};
    for (int i = 0; i < 2; i++) {
        for (int prio = 1; prio <= 99; prio += 7) {
            sp.sched_priority = prio;
            WT_OK(pthread_setschedparam(t, rt[i], &sp));
            EXPECT_SCHED(t, rt[i], prio);
        }
        sp.sched_priority = 99;
        WT_OK(pthread_setschedparam(t, rt[i], &sp));
        EXPECT_SCHED(t, rt[i], 99);
        /* setschedprio keeps the policy */
        WT_OK(pthread_setschedprio(t, 42));
        EXPECT_SCHED(t, rt[i], 42);
        WT_OK(pthread_setschedprio(t, 1));
        EXPECT_SCHED(t, rt[i], 1);
        /* a real-time thread is above every default one in weft */
        int wp = -1;
        WT_OK(weft_getpriority((weft_t)t, &wp));
        WT_GT(wp, WEFT_PRIO_DEFAULT);
    }
    sp.sched_priority = 0;
    WT_OK(pthread_setschedparam(t, SCHED_OTHER, &sp));
    EXPECT_SCHED(t, SCHED_OTHER, 0);
    int wp = -1;
    WT_OK(weft_getpriority((weft_t)t, &wp));
    WT_EQ(wp, WEFT_PRIO_DEFAULT);
}

WT_TEST(schedparam_round_trips)
{
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    round_trips_on(t);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    round_trips_on(pthread_self());
    /* the priority range the policies report */
    WT_EQ(sched_get_priority_min(SCHED_FIFO), 1);
    WT_EQ(sched_get_priority_max(SCHED_FIFO), 99);
    WT_EQ(sched_get_priority_min(SCHED_RR), 1);
    WT_EQ(sched_get_priority_max(SCHED_RR), 99);
    WT_EQ(sched_get_priority_min(SCHED_OTHER), 0);
    WT_EQ(sched_get_priority_max(SCHED_OTHER), 0);
}

WT_TEST(schedparam_errors)
{
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    struct sched_param sp = {10};
    WT_OK(pthread_setschedparam(t, SCHED_FIFO, &sp));
    /* bad policy, priorities out of range: EINVAL, nothing changed */
    WT_ERR(pthread_setschedparam(t, 42, &sp), EINVAL);
    WT_ERR(pthread_setschedparam(t, -1, &sp), EINVAL);
    sp.sched_priority = 0;
    WT_ERR(pthread_setschedparam(t, SCHED_FIFO, &sp), EINVAL);
    sp.sched_priority = 100;
    WT_ERR(pthread_setschedparam(t, SCHED_RR, &sp), EINVAL);
    sp.sched_priority = -1;
    WT_ERR(pthread_setschedparam(t, SCHED_FIFO, &sp), EINVAL);
    sp.sched_priority = 5;
    WT_ERR(pthread_setschedparam(t, SCHED_OTHER, &sp), EINVAL);
    WT_ERR(pthread_setschedprio(t, 0), EINVAL);
    WT_ERR(pthread_setschedprio(t, 100), EINVAL);
    EXPECT_SCHED(t, SCHED_FIFO, 10);
    sp.sched_priority = 0;
    WT_OK(pthread_setschedparam(t, SCHED_OTHER, &sp));
    WT_ERR(pthread_setschedprio(t, 1), EINVAL); /* SCHED_OTHER: 0 only */
    WT_OK(pthread_setschedprio(t, 0));
    EXPECT_SCHED(t, SCHED_OTHER, 0);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    /* a gone thread: ESRCH */
    int pol;
    sp.sched_priority = 1;
    WT_ERR(pthread_setschedparam(t, SCHED_FIFO, &sp), ESRCH);
    WT_ERR(pthread_getschedparam(t, &pol, &sp), ESRCH);
    WT_ERR(pthread_setschedprio(t, 1), ESRCH);
    WT_ERR(pthread_getschedparam((pthread_t)0x7fff12345678abcdull, &pol, &sp), ESRCH);
}

/* ---- inheritance at pthread_create ---- */
struct seen {
    int policy, prio, weft_prio;
};

static void *report_sched(void *arg)
{
    struct seen *s = arg;
    struct sched_param sp;
    WT_OK(pthread_getschedparam(pthread_self(), &s->policy, &sp));
    s->prio = sp.sched_priority;
    WT_OK(weft_getpriority(weft_self(), &s->weft_prio));
    return NULL;
}

static struct seen create_and_report(const pthread_attr_t *a)
{
    struct seen s = {-1, -1, -1};
    pthread_t t;
    WT_OK(pthread_create(&t, a, report_sched, &s));
    WT_OK(pthread_join(t, NULL));
    return s;
}

WT_TEST(inherit_explicit)
{
    struct sched_param sp = {30};
    WT_OK(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp));
    /* NULL attribute: inherited */
    struct seen s = create_and_report(NULL);
    WT_EQ(s.policy, SCHED_FIFO);
    WT_EQ(s.prio, 30);
    int fifo30 = -1;
    WT_OK(weft_getpriority(weft_self(), &fifo30));
    WT_GT(fifo30, WEFT_PRIO_DEFAULT);
    WT_EQ(s.weft_prio, fifo30); /* it runs as it says */
    /* INHERIT_SCHED (the default): the attribute's policy is ignored */
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_RR));
    sp.sched_priority = 5;
    WT_OK(pthread_attr_setschedparam(&a, &sp));
    s = create_and_report(&a);
    WT_EQ(s.policy, SCHED_FIFO);
    WT_EQ(s.prio, 30);
    /* EXPLICIT_SCHED: the attribute's */
    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    s = create_and_report(&a);
    WT_EQ(s.policy, SCHED_RR);
    WT_EQ(s.prio, 5);
    WT_GT(s.weft_prio, WEFT_PRIO_DEFAULT);
    WT_LT(s.weft_prio, fifo30);
    /* EXPLICIT_SCHED with SCHED_OTHER: back to the default */
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_OTHER));
    sp.sched_priority = 0;
    WT_OK(pthread_attr_setschedparam(&a, &sp));
    s = create_and_report(&a);
    WT_EQ(s.policy, SCHED_OTHER);
    WT_EQ(s.prio, 0);
    WT_EQ(s.weft_prio, WEFT_PRIO_DEFAULT); /* not the creator's FIFO 30 */
    WT_OK(pthread_attr_destroy(&a));
    /* the creator goes back to SCHED_OTHER: so do new threads */
    WT_OK(pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp));
    s = create_and_report(NULL);
    WT_EQ(s.policy, SCHED_OTHER);
    WT_EQ(s.prio, 0);
    WT_EQ(s.weft_prio, WEFT_PRIO_DEFAULT);
    /* a thread created SCHED_FIFO passes it on to its own children */
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    sp.sched_priority = 77;
    WT_OK(pthread_attr_setschedparam(&a, &sp));
    pthread_t t;
    WT_OK(pthread_create(&t, &a, ret_arg, NULL));
    WT_OK(pthread_attr_destroy(&a));
    WT_OK(pthread_join(t, NULL));
}

/* ---- SCHED_FIFO first, on one vCPU (child process) ---- */
static atomic_int order[16];
static atomic_int norder;

static void *mark(void *arg)
{
    atomic_store(&order[atomic_fetch_add(&norder, 1)], (int)(intptr_t)arg);
    return NULL;
}

WT_TEST(fifo_first_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    enum { NOTHER = 5 };
    pthread_t t[NOTHER + 2];
    atomic_store(&norder, 0);
    /* SCHED_OTHER ones first, then one SCHED_FIFO by attribute */
    for (int i = 0; i < NOTHER; i++)
        WT_OK(pthread_create(&t[i], NULL, mark, (void *)(intptr_t)(i + 1)));
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    struct sched_param sp = {10};
    WT_OK(pthread_attr_setschedparam(&a, &sp));
    WT_OK(pthread_create(&t[NOTHER], &a, mark, (void *)100));
    WT_OK(pthread_attr_destroy(&a));
    /* nobody has run yet: main has not let go of the only vCPU */
    WT_EQ(atomic_load(&norder), 0);
    for (int i = 0; i <= NOTHER; i++)
        WT_OK(pthread_join(t[i], NULL));
    WT_EQ(atomic_load(&order[0]), 100);
    /* a queued SCHED_OTHER thread made SCHED_FIFO moves ahead too */
    atomic_store(&norder, 0);
    for (int i = 0; i < NOTHER; i++)
        WT_OK(pthread_create(&t[i], NULL, mark, (void *)(intptr_t)(i + 1)));
    sp.sched_priority = 1;
    WT_OK(pthread_setschedparam(t[NOTHER - 1], SCHED_RR, &sp));
    WT_EQ(atomic_load(&norder), 0);
    for (int i = 0; i < NOTHER; i++)
        WT_OK(pthread_join(t[i], NULL));
    WT_EQ(atomic_load(&order[0]), NOTHER);
    /* and a higher real-time priority before a lower one */
    atomic_store(&norder, 0);
    WT_OK(pthread_create(&t[0], NULL, mark, (void *)1));
    WT_OK(pthread_create(&t[1], NULL, mark, (void *)2));
    WT_OK(pthread_create(&t[2], NULL, mark, (void *)3));
    sp.sched_priority = 10;
    WT_OK(pthread_setschedparam(t[1], SCHED_FIFO, &sp));
    sp.sched_priority = 90;
    WT_OK(pthread_setschedparam(t[2], SCHED_FIFO, &sp));
    for (int i = 0; i < 3; i++)
        WT_OK(pthread_join(t[i], NULL));
    WT_EQ(atomic_load(&order[0]), 3);
    WT_EQ(atomic_load(&order[1]), 2);
    WT_EQ(atomic_load(&order[2]), 1);
}

WT_TEST(fifo_before_other_one_vcpu)
{
    struct wt_child c;
    run_self(&c, "fifo_first_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

/* ---- affinity ---- */
WT_TEST(affinity)
{
    cpu_set_t set, got;
    /* default: CPU 0 at least, and only CPUs of this machine */
    WT_OK(pthread_getaffinity_np(pthread_self(), sizeof got, &got));
    WT_ASSERT(CPU_ISSET(0, &got));
    WT_LE(CPU_COUNT(&got), (int)sysconf(_SC_NPROCESSORS_CONF));
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    pthread_t who[2] = {pthread_self(), t};
    for (int i = 0; i < 2; i++) {
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        WT_OK(pthread_setaffinity_np(who[i], sizeof set, &set));
        memset(&got, 0xff, sizeof got);
        WT_OK(pthread_getaffinity_np(who[i], sizeof got, &got));
        WT_ASSERT(CPU_EQUAL(&set, &got));
        /* an empty set: EINVAL, nothing changed */
        CPU_ZERO(&set);
        WT_ERR(pthread_setaffinity_np(who[i], sizeof set, &set), EINVAL);
        /* only CPUs this machine does not have: EINVAL */
        CPU_ZERO(&set);
        CPU_SET(CPU_SETSIZE - 1, &set);
        WT_ERR(pthread_setaffinity_np(who[i], sizeof set, &set), EINVAL);
        WT_OK(pthread_getaffinity_np(who[i], sizeof got, &got));
        WT_ASSERT(CPU_ISSET(0, &got));
        WT_EQ(CPU_COUNT(&got), 1);
    }
    /* back to every CPU for main */
    CPU_ZERO(&set);
    for (int c = 0; c < sysconf(_SC_NPROCESSORS_CONF) && c < CPU_SETSIZE; c++)
        CPU_SET(c, &set);
    WT_OK(pthread_setaffinity_np(pthread_self(), sizeof set, &set));
    WT_OK(pthread_getaffinity_np(pthread_self(), sizeof got, &got));
    WT_ASSERT(CPU_EQUAL(&set, &got));
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_setaffinity_np(t, sizeof set, &set), ESRCH);
    WT_ERR(pthread_getaffinity_np(t, sizeof got, &got), ESRCH);
}

/* ---- CPU-time clocks: none per weft thread ---- */
WT_TEST(getcpuclockid)
{
    clockid_t c;
    WT_ERR(pthread_getcpuclockid(pthread_self(), &c), ENOENT);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_getcpuclockid(t, &c), ESRCH);
}

WT_MAIN(WT_ENTRY(schedparam_round_trips, 0, 60),
        WT_ENTRY(schedparam_errors, 0, 60),
        WT_ENTRY(inherit_explicit, 0, 60),
        WT_ENTRY(fifo_first_child, WT_MANUAL, 60),
        WT_ENTRY(fifo_before_other_one_vcpu, 0, 60),
        WT_ENTRY(affinity, 0, 60),
        WT_ENTRY(getcpuclockid, 0, 60))
