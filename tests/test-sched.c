/* test-sched.c - the scheduler: work reaches every vCPU (stealing),
 * priorities order execution, yield is round robin, the vCPU calls and
 * weft_init's errors.
 *
 * Knobs: vcpus=<n> (spread_steal, default 2), threads=<n>, iterations=<n>. */
#include "runner.h"

#include <limits.h>
#include <xmmintrin.h>

/* ---- work reaches every vCPU ---- */
#define MAX_VCPUS 64
static atomic_long seen_on[MAX_VCPUS];
static atomic_long seen_bad;
static atomic_int all_created;

static void *spin_record(void *arg)
{
    (void)arg;
    /* Hold the vCPU until every thread exists: where creation is slower
     * than the work (sanitizers), a thief could otherwise run each thread
     * as it appears and leave the spawner's vCPU nothing. */
    while (!atomic_load(&all_created))
        ;
    int v = weft_vcpu_self();
    if (v < 0 || v >= MAX_VCPUS || v >= weft_vcpu_count())
        atomic_fetch_add(&seen_bad, 1);
    else
        atomic_fetch_add(&seen_on[v], 1);
    wt_spin_ns(200000); /* 200 us: long enough for the idle vCPU to steal */
    return NULL;
}

static void *spawner(void *arg)
{
    long n = (long)(intptr_t)arg;
    weft_t *t = calloc((size_t)n, sizeof *t);
    for (long i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], NULL, spin_record, NULL));
    atomic_store(&all_created, 1);
    for (long i = 0; i < n; i++)
        WT_OK(weft_join(t[i], NULL));
    free(t);
    return NULL;
}

WT_TEST(spread_steal)
{
    int nv = (int)wt_knob("vcpus", 2);
    long n = (long)wt_knob("threads", 1000);
    WT_LE(nv, MAX_VCPUS);
    wt_start(nv, WEFT_DEADLOCK_ABORT);
    uint64_t steals0 = 0, steals1 = 0;
    for (int c = 0; c < nv; c++) {
        weft_vcpu_stats_t st;
        WT_OK(weft_vcpu_stats(c, &st));
        steals0 += st.steals;
    }
    /* All the threads are queued on the spawner's vCPU (create never
     * switches); the others only get work by stealing. */
    weft_t s;
    WT_OK(weft_create(&s, NULL, spawner, (void *)(intptr_t)n));
    WT_OK(weft_join(s, NULL));
    WT_EQ(atomic_load(&seen_bad), 0);
    long total = 0;
    for (int c = 0; c < nv; c++) {
        weft_vcpu_stats_t st;
        WT_OK(weft_vcpu_stats(c, &st));
        printf("  vcpu %d: ran %ld threads, switches %" PRIu64 ", steals %"
               PRIu64 ", parks %" PRIu64 ", wakeups %" PRIu64 "\n", c,
               atomic_load(&seen_on[c]), st.switches, st.steals, st.parks,
               st.wakeups);
        total += atomic_load(&seen_on[c]);
        steals1 += st.steals;
    }
    WT_EQ(total, n);
    for (int c = 0; c < nv; c++)
        WT_ASSERTF(atomic_load(&seen_on[c]) > 0, "no thread ran on vCPU %d",
                   c);
    WT_GT(steals1, steals0);
}

/* ---- priorities on one vCPU ---- */
#define NPRIO (WEFT_PRIO_MAX - WEFT_PRIO_MIN + 1)
static int prio_log[NPRIO * 2];
static atomic_int prio_log_n;

static void *log_prio(void *arg)
{
    int i = atomic_fetch_add(&prio_log_n, 1);
    prio_log[i] = (int)(intptr_t)arg;
    return NULL;
}

static void *low_creator(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    int order[NPRIO];
    weft_t t[NPRIO];
    weft_attr_t a;
    for (int i = 0; i < NPRIO; i++)
        order[i] = WEFT_PRIO_MIN + i;
    for (int i = NPRIO - 1; i > 0; i--) {
        int j = (int)wt_rand_below(&seed, (uint64_t)i + 1);
        int x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    WT_OK(weft_attr_init(&a));
    for (int i = 0; i < NPRIO; i++) {
        WT_OK(weft_attr_setpriority(&a, order[i]));
        WT_OK(weft_create(&t[i], &a, log_prio, (void *)(intptr_t)order[i]));
    }
    /* nothing has run yet: create never switches, and we hold the vCPU */
    WT_EQ(atomic_load(&prio_log_n), 0);
    for (int i = 0; i < NPRIO; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_OK(weft_attr_destroy(&a));
    return NULL;
}

WT_TEST(priority_order)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    uint64_t seed = (uint64_t)wt_knob("seed", (long long)wt_clock_ns());
    printf("  seed=%" PRIu64 "\n", seed);
    weft_attr_t a;
    weft_t c;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setpriority(&a, WEFT_PRIO_MIN));
    WT_OK(weft_create(&c, &a, low_creator, (void *)(uintptr_t)seed));
    WT_OK(weft_join(c, NULL));
    WT_EQ(atomic_load(&prio_log_n), NPRIO);
    for (int i = 0; i < NPRIO; i++) {
        if (prio_log[i] != WEFT_PRIO_MAX - i) {
            for (int k = 0; k < NPRIO; k++)
                fprintf(stderr, "%d ", prio_log[k]);
            fputc('\n', stderr);
        }
        WT_EQ(prio_log[i], WEFT_PRIO_MAX - i);
    }
}

/* weft_setpriority takes effect at the thread's next enqueue: a thread
 * raised while blocked runs before its lower peers once woken. */
static weft_sem_t raise_sem;

static void *wait_log(void *arg)
{
    WT_OK(weft_sem_wait(&raise_sem));
    return log_prio(arg);
}

static void *raise_creator(void *arg)
{
    (void)arg;
    weft_t t[4];
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setpriority(&a, 5));
    for (int i = 0; i < 4; i++)
        WT_OK(weft_create(&t[i], &a, wait_log, (void *)(intptr_t)i));
    weft_sleep(20 * WT_MS); /* all four block on the semaphore */
    WT_OK(weft_setpriority(t[2], 20)); /* takes effect when woken */
    for (int i = 0; i < 4; i++)
        WT_OK(weft_sem_post(&raise_sem)); /* never switches */
    for (int i = 0; i < 4; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_OK(weft_attr_destroy(&a));
    return NULL;
}

WT_TEST(setpriority_effect)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_attr_t a;
    weft_t c;
    atomic_store(&prio_log_n, 0);
    WT_OK(weft_sem_init(&raise_sem, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setpriority(&a, WEFT_PRIO_MIN));
    WT_OK(weft_create(&c, &a, raise_creator, NULL));
    WT_OK(weft_join(c, NULL));
    WT_EQ(atomic_load(&prio_log_n), 4);
    WT_EQ(prio_log[0], 2); /* the raised one first */
}

/* weft_setpriority on threads that are queued, being woken, blocked,
 * stolen: the run queues must stay consistent. */
#define PS_WORKERS 16
static weft_t ps_workers[PS_WORKERS];
static weft_sem_t ps_sem[PS_WORKERS];
static atomic_int ps_stop;
static atomic_long ps_rounds;

static void *ps_worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    uint64_t s = (uint64_t)i * 7919 + 1;
    while (!atomic_load(&ps_stop)) {
        switch (wt_rand_below(&s, 4)) {
        case 0:
        case 1:
            weft_yield();
            break;
        case 2: /* wake the next one, wait to be woken (by the previous) */
            WT_OK(weft_sem_post(&ps_sem[(i + 1) % PS_WORKERS]));
            WT_OK(weft_sem_wait(&ps_sem[i]));
            break;
        case 3:
            weft_sleep(wt_rand_below(&s, 20000));
            break;
        }
        atomic_fetch_add(&ps_rounds, 1);
    }
    return NULL;
}

static void *ps_changer(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg;
    long n = 0;
    while (!atomic_load(&ps_stop)) {
        int w = (int)wt_rand_below(&s, PS_WORKERS);
        WT_OK(weft_setpriority(ps_workers[w], (int)wt_rand_below(&s, 32)));
        if (++n % 8 == 0)
            weft_yield();
    }
    return (void *)n;
}

WT_TEST(setpriority_stress)
{
    int nv = (int)wt_knob("vcpus", 2);
    double secs = (double)wt_knob("seconds", 2);
    wt_start(nv, WEFT_DEADLOCK_ABORT);
    for (int i = 0; i < PS_WORKERS; i++)
        WT_OK(weft_sem_init(&ps_sem[i], 0));
    for (int i = 0; i < PS_WORKERS; i++)
        WT_OK(weft_create(&ps_workers[i], NULL, ps_worker, (void *)(intptr_t)i));
    weft_t ch[2];
    for (int i = 0; i < 2; i++)
        WT_OK(weft_create(&ch[i], NULL, ps_changer, (void *)(uintptr_t)(i + 1)));
    weft_sleep((uint64_t)(secs * 1e9));
    atomic_store(&ps_stop, 1);
    long changes = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        WT_OK(weft_join(ch[i], &r));
        changes += (long)(intptr_t)r;
    }
    /* release any worker still waiting for its neighbour */
    for (int i = 0; i < PS_WORKERS; i++)
        WT_OK(weft_sem_post(&ps_sem[i]));
    for (int i = 0; i < PS_WORKERS; i++)
        WT_OK(weft_join(ps_workers[i], NULL));
    printf("  %ld priority changes, %ld worker rounds\n", changes,
           atomic_load(&ps_rounds));
    WT_GT(changes, 0);
}

/* ---- yield is round robin on one vCPU ---- */
static int *rr_log;
static atomic_long rr_n;

static void *rr_thread(void *arg)
{
    int id = (int)(intptr_t)arg;
    long k = (long)wt_knob("iterations", wt_scaled(20000));
    for (long i = 0; i < k; i++) {
        rr_log[atomic_fetch_add(&rr_n, 1)] = id;
        weft_yield();
    }
    return NULL;
}

static void *rr_creator(void *arg)
{
    int n = (int)(intptr_t)arg;
    weft_t t[64];
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], NULL, rr_thread, (void *)(intptr_t)i));
    for (int i = 0; i < n; i++)
        WT_OK(weft_join(t[i], NULL));
    return NULL;
}

WT_TEST(yield_round_robin)
{
    int n = (int)wt_knob("threads", 4);
    long k = (long)wt_knob("iterations", wt_scaled(20000));
    WT_LE(n, 64);
    wt_start(1, WEFT_DEADLOCK_ABORT);
    rr_log = calloc((size_t)(n * k), sizeof *rr_log);
    weft_t c;
    WT_OK(weft_create(&c, NULL, rr_creator, (void *)(intptr_t)n));
    WT_OK(weft_join(c, NULL));
    long total = atomic_load(&rr_n);
    WT_EQ(total, n * k);
    /* first round: every thread once */
    int seen[64] = {0};
    for (int i = 0; i < n; i++)
        seen[rr_log[i]]++;
    for (int i = 0; i < n; i++)
        WT_EQ(seen[i], 1);
    /* then the same order over and over; the tail, where threads finish one
     * by one, is still in order. A timeslice ending between the log append
     * and the yield would not break the pattern, so no slack is needed;
     * still, report how many entries are out of order and the longest wait
     * (in entries) between two turns of the same thread. */
    long bad = 0, maxgap = 0;
    long last[64];
    for (int i = 0; i < n; i++)
        last[i] = -1;
    for (long i = 0; i < total; i++) {
        int id = rr_log[i];
        if (i >= n && rr_log[i - n] != id)
            bad++;
        if (last[id] >= 0 && i - last[id] > maxgap)
            maxgap = i - last[id];
        last[id] = i;
    }
    printf("  %d threads x %ld yields: %ld out of round-robin order, "
           "longest gap %ld (ideal %d)\n", n, k, bad, maxgap, n);
    WT_EQ(bad, 0);
    WT_EQ(maxgap, n);
    free(rr_log);
}

/* ---- a yield switches whenever an equal is runnable ---- */
/* Two threads whose timeslices end at different jiffies: when one's slice
 * runs out it waits in the expired array, and the other's yields must still
 * switch to it rather than pick itself again until its own slice ends. */
static atomic_int alt_last = -1, alt_done;
static atomic_long alt_yields, alt_repeats;
static uint64_t alt_until;

static void *alternator(void *arg)
{
    int me = (int)(intptr_t)arg;
    while (!atomic_load(&alt_done)) {
        if (atomic_exchange(&alt_last, me) == me)
            atomic_fetch_add(&alt_repeats, 1);
        atomic_fetch_add(&alt_yields, 1);
        if (weft_now() >= alt_until)
            atomic_store(&alt_done, 1);
        weft_yield();
    }
    return NULL;
}

static void *alt_creator(void *arg)
{
    (void)arg;
    weft_t a, b;
    alt_until = weft_now() + 200 * WT_MS; /* ~10 timeslices of prio 16 */
    WT_OK(weft_create(&a, NULL, alternator, (void *)0));
    wt_spin_ns(7 * WT_MS); /* b's slice starts ~7 jiffies after a's */
    WT_OK(weft_create(&b, NULL, alternator, (void *)1));
    WT_OK(weft_join(a, NULL));
    WT_OK(weft_join(b, NULL));
    return NULL;
}

WT_TEST(yield_alternates)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t c;
    WT_OK(weft_create(&c, NULL, alt_creator, NULL));
    WT_OK(weft_join(c, NULL));
    long yields = atomic_load(&alt_yields), repeats = atomic_load(&alt_repeats);
    printf("  %ld yields, %ld picked the yielder again\n", yields, repeats);
    /* the first turn of the first thread and the last one of the thread
     * that outlives the other may repeat */
    WT_LE(repeats, 2);
    WT_GT(yields, 1000);
}

/* ---- floating-point control state belongs to each thread ---- */
/* MXCSR (SSE rounding, flush-to-zero) and the x87 control word are
 * callee-saved: a thread that changes them keeps its own, the others keep
 * theirs, across switches on one vCPU. */
static unsigned get_x87_cw(void)
{
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static void set_x87_cw(unsigned cw)
{
    unsigned short w = (unsigned short)cw;
    __asm__ volatile("fldcw %0" : : "m"(w));
}

static atomic_long fp_bad;

static void *fp_thread(void *arg)
{
    int custom = (int)(intptr_t)arg;
    unsigned csr = _mm_getcsr(), cw = get_x87_cw();
    if (custom) {
        csr = (csr & ~0x6000u) | 0x4000u | 0x8000u; /* round up, flush to zero */
        cw = (cw & ~0x0c00u) | 0x0c00u;             /* x87: round toward zero */
        _mm_setcsr(csr);
        set_x87_cw(cw);
    }
    for (int i = 0; i < 10000; i++) {
        weft_yield();
        if (_mm_getcsr() != csr || get_x87_cw() != cw)
            atomic_fetch_add(&fp_bad, 1);
    }
    return NULL;
}

WT_TEST(fpu_control_per_thread)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t t[4];
    for (int i = 0; i < 4; i++)
        WT_OK(weft_create(&t[i], NULL, fp_thread, (void *)(intptr_t)(i & 1)));
    for (int i = 0; i < 4; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(atomic_load(&fp_bad), 0);
}

/* ---- vCPU calls ---- */
static void *vcpu_probe(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_vcpu_self();
}

WT_TEST(vcpu_api)
{
    int n = weft_vcpu_count();
    WT_GE(n, 1);
    WT_EQ(weft_vcpu_count(), n);
    WT_EQ(weft_vcpu_self(), -1); /* main is bound */
    for (int i = 0; i < 20; i++) {
        weft_t t;
        void *r;
        WT_OK(weft_create(&t, NULL, vcpu_probe, NULL));
        WT_OK(weft_join(t, &r));
        WT_GE((intptr_t)r, 0);
        WT_LT((intptr_t)r, n);
    }
    weft_vcpu_stats_t st, st2;
    WT_ERR(weft_vcpu_stats(-1, &st), EINVAL);
    WT_ERR(weft_vcpu_stats(n, &st), EINVAL);
    WT_ERR(weft_vcpu_stats(n + 100, &st), EINVAL);
    WT_ERR(weft_vcpu_stats(INT_MAX, &st), EINVAL);
    WT_ERR(weft_vcpu_stats(INT_MIN, &st), EINVAL);
    for (int c = 0; c < n; c++) {
        WT_OK(weft_vcpu_stats(c, &st));
        weft_t t;
        WT_OK(weft_create(&t, NULL, vcpu_probe, NULL));
        WT_OK(weft_join(t, NULL));
        WT_OK(weft_vcpu_stats(c, &st2));
        WT_GE(st2.switches, st.switches);
        WT_GE(st2.steals, st.steals);
        WT_GE(st2.parks, st.parks);
        WT_GE(st2.wakeups, st.wakeups);
    }
    uint64_t sw = 0;
    for (int c = 0; c < n; c++) {
        WT_OK(weft_vcpu_stats(c, &st));
        sw += st.switches;
    }
    WT_GT(sw, 0);
}

WT_TEST(init_ebusy)
{
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    (void)weft_vcpu_count(); /* starts the runtime if nothing did */
    WT_ERR(weft_init(NULL), EBUSY);
    WT_ERR(weft_init(&cfg), EBUSY);
    cfg.nvcpus = 1;
    WT_ERR(weft_init(&cfg), EBUSY);
}

WT_TEST(init_einval)
{
    /* A fresh process: nothing has started the runtime. */
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.nvcpus = -1;
    WT_ERR(weft_init(&cfg), EINVAL);
    cfg.nvcpus = INT_MIN;
    WT_ERR(weft_init(&cfg), EINVAL);
    cfg.nvcpus = 0;
    cfg.deadlock = 3;
    WT_ERR(weft_init(&cfg), EINVAL);
    cfg.deadlock = -1;
    WT_ERR(weft_init(&cfg), EINVAL);
    cfg.deadlock = 0;
    cfg.guard_pages = -2;
    WT_ERR(weft_init(&cfg), EINVAL);
    /* None of these started it: a good config still works. */
    wt_start(1, WEFT_DEADLOCK_ABORT);
    WT_ERR(weft_init(NULL), EBUSY);
}

WT_TEST(init_config)
{
    wt_start(3, WEFT_DEADLOCK_ABORT);
    WT_EQ(weft_vcpu_count(), 3);
    weft_vcpu_stats_t st;
    WT_OK(weft_vcpu_stats(2, &st));
    WT_ERR(weft_vcpu_stats(3, &st), EINVAL);
}

WT_TEST(env_vcpus)
{
    setenv("WEFT_VCPUS", "5", 1);
    WT_EQ(weft_vcpu_count(), 5); /* the first call starts the runtime */
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, vcpu_probe, NULL));
    WT_OK(weft_join(t, &r));
    WT_LT((intptr_t)r, 5);
    WT_ERR(weft_init(NULL), EBUSY);
}

WT_TEST(default_vcpus)
{
    unsetenv("WEFT_VCPUS");
    WT_OK(weft_init(NULL));
    WT_EQ(weft_vcpu_count(), sysconf(_SC_NPROCESSORS_ONLN));
}

WT_MAIN(WT_ENTRY(spread_steal, WT_FRESH, 60),
        WT_ENTRY(priority_order, WT_FRESH, 60),
        WT_ENTRY(setpriority_effect, WT_FRESH, 60),
        WT_ENTRY(setpriority_stress, WT_FRESH, 60),
        WT_ENTRY(yield_round_robin, WT_FRESH, 60),
        WT_ENTRY(yield_alternates, WT_FRESH, 60),
        WT_ENTRY(fpu_control_per_thread, WT_FRESH, 60),
        WT_ENTRY(vcpu_api, 0, 60),
        WT_ENTRY(init_ebusy, 0, 60),
        WT_ENTRY(init_einval, WT_FRESH, 60),
        WT_ENTRY(init_config, WT_FRESH, 60),
        WT_ENTRY(env_vcpus, WT_FRESH, 60),
        WT_ENTRY(default_vcpus, WT_FRESH, 60))
