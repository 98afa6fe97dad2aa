/* test-stall.c - the stall detector (WEFT_STALL_MS): it reports a thread
 * that spins without yielding, once, with its name and backtrace; it stays
 * quiet on a workload that yields; it is off (no signal handler) unless
 * asked for.
 *
 * Each case runs the runtime in a child (wt_fork) so its stderr can be
 * read. The binary is linked with -rdynamic (tests/CMakeLists.txt) so the
 * backtrace names the spinning function. */
#include "runner.h"

#include <signal.h>

/* Non-static and not inlined: the backtrace must show it by name. */
__attribute__((noinline)) void stall_spin_here(uint64_t ns)
{
    wt_spin_ns(ns); /* reads the clock: never switches, never blocks */
}

static void *spinner(void *arg)
{
    stall_spin_here((uint64_t)(uintptr_t)arg * WT_MS);
    return NULL;
}

static uint64_t stalls_now(void)
{
    weft_stats_t st;
    WT_OK(weft_stats(WEFT_STATS_ALL, &st));
    return st.stalls;
}

/* Non-static, like stall_spin_here: always on the reported stack.
 * Spins 200 ms, and on until its stall has been reported (the handler
 * counts it on this very host thread), for at most 20 s: on a loaded
 * machine the daemon may look only rarely. */
__attribute__((noinline)) void *spin_until_reported(void *arg)
{
    (void)arg;
    uint64_t t0 = wt_clock_ns();
    stall_spin_here(200 * WT_MS);
    while (stalls_now() == 0 && wt_clock_ns() - t0 < 20000 * WT_MS)
        stall_spin_here(WT_MS);
    return NULL;
}

static weft_t spawn_named(const char *name, void *(*fn)(void *), void *arg)
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, name));
    WT_OK(weft_create(&t, &a, fn, arg));
    WT_OK(weft_attr_destroy(&a));
    return t;
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void print_stats(void)
{
    weft_stats_t st;
    WT_OK(weft_stats(WEFT_STATS_ALL, &st));
    fprintf(stderr, "child: stalls=%" PRIu64 "\n", st.stalls);
}

static void spin_child(void *arg)
{
    (void)arg;
    setenv("WEFT_STALL_MS", "50", 1);
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t t = spawn_named("stall-spinner", spin_until_reported, NULL);
    WT_OK(weft_join(t, NULL));
    print_stats();
}

WT_TEST(fires_on_spinner)
{
    struct wt_child c;
    wt_fork(&c, 80, spin_child, NULL);
    printf("----- child stderr -----\n%s------------------------\n", c.err);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s", wt_child_describe(&c));
    WT_NOT_CONTAINS(c.err, "Sanitizer"); /* a report from the handler */
    WT_EQ(count_of(c.err, "weft: stall: thread "), 1);
    WT_CONTAINS(c.err, "\"stall-spinner\" has held vCPU 0 for ");
    WT_CONTAINS(c.err, "(WEFT_STALL_MS=50); backtrace:");
    WT_CONTAINS(c.err, "spin_until_reported");
    WT_CONTAINS(c.err, "weft: stall: end of backtrace");
    WT_CONTAINS(c.err, "child: stalls=1\n");
    wt_child_free(&c);
}

static atomic_int quiet_stop;

/* Short bursts of work, a yield after each: never near the threshold. */
static void *polite(void *arg)
{
    (void)arg;
    while (!atomic_load(&quiet_stop)) {
        wt_spin_ns(WT_MS / 2);
        WT_OK(weft_yield());
    }
    return NULL;
}

static void *napper(void *arg)
{
    (void)arg;
    while (!atomic_load(&quiet_stop))
        WT_OK(weft_sleep(3 * WT_MS));
    return NULL;
}

static void quiet_child(void *arg)
{
    (void)arg;
    /* 200 ms, well above the work between yields (0.5 ms), so a host
     * thread descheduled for a while on a loaded machine is no report. */
    setenv("WEFT_STALL_MS", "200", 1);
    wt_start(2, WEFT_DEADLOCK_ABORT);
    weft_t t[5];
    for (int i = 0; i < 4; i++)
        t[i] = spawn_named("polite", polite, NULL);
    t[4] = spawn_named("napper", napper, NULL);
    weft_sleep(600 * WT_MS);
    atomic_store(&quiet_stop, 1);
    for (int i = 0; i < 5; i++)
        WT_OK(weft_join(t[i], NULL));
    print_stats();
}

WT_TEST(quiet_when_yielding)
{
    struct wt_child c;
    wt_fork(&c, 60, quiet_child, NULL);
    printf("----- child stderr -----\n%s------------------------\n", c.err);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s", wt_child_describe(&c));
    WT_NOT_CONTAINS(c.err, "Sanitizer"); /* a report from the handler */
    WT_NOT_CONTAINS(c.err, "weft: stall");
    WT_CONTAINS(c.err, "child: stalls=0\n");
    wt_child_free(&c);
}

/* Without WEFT_STALL_MS nothing is installed and nothing is reported,
 * even for a long spin. */
static void off_child(void *arg)
{
    (void)arg;
    unsetenv("WEFT_STALL_MS");
    wt_start(1, WEFT_DEADLOCK_ABORT);
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
        /* The preemption tick (weft/preempt.h) is installed when it is on. */
        if (sig == SIGRTMAX && weft_preempt_mode() == WEFT_PREEMPT_ASYNC)
            continue;
        struct sigaction sa;
        WT_EQ(sigaction(sig, NULL, &sa), 0);
        WT_ASSERTF(sa.sa_handler == SIG_DFL, "signal %d has a handler", sig);
    }
    weft_t t = spawn_named("stall-spinner", spinner, (void *)(uintptr_t)100);
    WT_OK(weft_join(t, NULL));
    print_stats();
}

WT_TEST(off_by_default)
{
    struct wt_child c;
    wt_fork(&c, 60, off_child, NULL);
    printf("----- child stderr -----\n%s------------------------\n", c.err);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s", wt_child_describe(&c));
    WT_NOT_CONTAINS(c.err, "Sanitizer"); /* a report from the handler */
    WT_NOT_CONTAINS(c.err, "weft: stall");
    WT_CONTAINS(c.err, "child: stalls=0\n");
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(fires_on_spinner, WT_FRESH, 90),
        WT_ENTRY(quiet_when_yielding, WT_FRESH, 90),
        WT_ENTRY(off_by_default, WT_FRESH, 90))
