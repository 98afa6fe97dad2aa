/* test-psleep.c - nanosleep, clock_nanosleep, sleep, usleep: errors, "at
 * least the time asked", absolute sleeps, and that a sleeping thread parks
 * only itself (one vCPU: another thread keeps running); from the POSIX
 * assertions, through glibc's headers against libweft-pthread.
 *
 * The one-vCPU case re-runs this binary with WEFT_VCPUS=1. */
#include "ptest.h"

static uint64_t clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec ns_ts(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    return ts;
}

/* ---- nanosleep ---- */
WT_TEST(nanosleep_einval)
{
    struct timespec bad[] = {{0, 1000000000L}, {0, -1}, {-1, 0}, {1, 2000000000L}, {-5, 500}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        uint64_t t0 = wt_clock_ns();
        WT_EQ(nanosleep(&bad[i], NULL), -1);
        WT_ERR(errno, EINVAL);
        WT_LT(wt_clock_ns() - t0, 500 * WT_MS); /* did not sleep */
    }
    /* zero: returns at once, 0 */
    struct timespec z = {0, 0};
    WT_EQ(nanosleep(&z, NULL), 0);
}

WT_TEST(nanosleep_at_least)
{
    static const long ms[] = {1, 10, 50};
    for (int i = 0; i < 3; i++) {
        struct timespec ts = {0, ms[i] * 1000000L}, rem = {7, 7};
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        WT_EQ(nanosleep(&ts, &rem), 0);
        uint64_t dt = clock_ns(CLOCK_MONOTONIC) - t0;
        WT_ASSERTF(dt >= (uint64_t)ms[i] * WT_MS, "asked %ld ms, slept %.3f ms", ms[i], dt / 1e6);
    }
    /* whole seconds and nanoseconds together */
    struct timespec ts = {0, 999999999L};
    ts.tv_nsec = 200000000L;
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    WT_EQ(nanosleep(&ts, NULL), 0);
    WT_GE(clock_ns(CLOCK_MONOTONIC) - t0, 200 * WT_MS);
}

/* ---- clock_nanosleep ---- */
WT_TEST(clock_nanosleep_relative)
{
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {0, 30000000L};
        uint64_t t0 = clock_ns(clocks[i]);
        WT_OK(clock_nanosleep(clocks[i], 0, &ts, NULL));
        uint64_t dt = clock_ns(clocks[i]) - t0;
        WT_ASSERTF(dt >= 30 * WT_MS, "clock %d: slept %.3f ms", (int)clocks[i], dt / 1e6);
    }
}

WT_TEST(clock_nanosleep_absolute)
{
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        uint64_t target = clock_ns(clocks[i]) + 40 * WT_MS;
        struct timespec ts = ns_ts(target);
        WT_OK(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL));
        uint64_t now = clock_ns(clocks[i]);
        WT_ASSERTF(now >= target, "clock %d: woke %.3f ms early", (int)clocks[i],
                   (target - now) / 1e6);
        /* a time already past: at once */
        ts = ns_ts(clock_ns(clocks[i]) - 1000 * WT_MS);
        uint64_t t0 = wt_clock_ns();
        WT_OK(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL));
        WT_LT(wt_clock_ns() - t0, 500 * WT_MS);
        ts.tv_sec = 0;
        ts.tv_nsec = 1;
        WT_OK(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL));
    }
}

WT_TEST(clock_nanosleep_errors)
{
    struct timespec ts = {0, 1000000L};
    /* returns the error number, not -1 with errno */
    errno = 0;
    WT_ERR(clock_nanosleep((clockid_t)12345, 0, &ts, NULL), EINVAL);
    WT_ERR(clock_nanosleep((clockid_t)-1, 0, &ts, NULL), EINVAL);
    /* the calling thread's CPU-time clock: EINVAL */
    WT_ERR(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EINVAL);
    WT_ERR(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME, &ts, NULL), EINVAL);
    /* clocks that exist but cannot be slept on: ENOTSUP (Linux: EOPNOTSUPP,
     * the same number) */
    WT_ERR(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &ts, NULL), ENOTSUP);
    WT_ERR(clock_nanosleep(CLOCK_REALTIME_COARSE, 0, &ts, NULL), ENOTSUP);
    WT_ERR(clock_nanosleep(CLOCK_MONOTONIC_COARSE, TIMER_ABSTIME, &ts, NULL), ENOTSUP);
    /* bad timespecs, relative and absolute */
    struct timespec bad[] = {{0, 1000000000L}, {0, -1}, {-1, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        WT_ERR(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad[i], NULL), EINVAL);
        WT_ERR(clock_nanosleep(CLOCK_REALTIME, 0, &bad[i], NULL), EINVAL);
        if (bad[i].tv_sec >= 0) /* a negative absolute time is merely past */
            WT_ERR(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &bad[i], NULL), EINVAL);
    }
}

/* ---- sleep, usleep ---- */
WT_TEST(sleep_usleep)
{
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    WT_EQ(sleep(1), 0);
    uint64_t dt = clock_ns(CLOCK_MONOTONIC) - t0;
    WT_ASSERTF(dt >= 1000 * WT_MS, "sleep(1) slept %.3f ms", dt / 1e6);
    WT_EQ(sleep(0), 0);
    t0 = clock_ns(CLOCK_MONOTONIC);
    WT_EQ(usleep(20000), 0);
    dt = clock_ns(CLOCK_MONOTONIC) - t0;
    WT_ASSERTF(dt >= 20 * WT_MS, "usleep(20000) slept %.3f ms", dt / 1e6);
    WT_EQ(usleep(0), 0);
    t0 = clock_ns(CLOCK_MONOTONIC);
    WT_EQ(usleep(1500000), 0); /* more than a second */
    WT_GE(clock_ns(CLOCK_MONOTONIC) - t0, 1500 * WT_MS);
}

/* Several threads sleeping at once: each sleeps its own time. */
static void *sleep_ms(void *arg)
{
    long ms = (long)(intptr_t)arg;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    WT_EQ(nanosleep(&ts, NULL), 0);
    return (void *)(uintptr_t)(clock_ns(CLOCK_MONOTONIC) - t0);
}

WT_TEST(many_sleepers)
{
    enum { N = 200 };
    pthread_t t[N];
    uint64_t t0 = wt_clock_ns();
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, sleep_ms, (void *)(intptr_t)(10 + i % 50)));
    for (int i = 0; i < N; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        WT_GE((uint64_t)(uintptr_t)r, (uint64_t)(10 + i % 50) * WT_MS);
    }
    /* they slept side by side, not one after the other (200 x 35 ms
     * would be 7 s) */
    WT_LT(wt_clock_ns() - t0, 5000 * WT_MS);
}

/* ---- a sleeper parks only itself (one vCPU, child process) ---- */
static atomic_long counter;
static atomic_int sleeper_done;
static atomic_long seen_at_wake;

enum { K_NANOSLEEP, K_USLEEP, K_CLOCK_ABS, K_SLEEP, K_N };

static void *sleeper(void *arg)
{
    int kind = (int)(intptr_t)arg;
    struct timespec ts = {0, 200000000L};
    switch (kind) {
    case K_NANOSLEEP:
        nanosleep(&ts, NULL);
        break;
    case K_USLEEP:
        usleep(200000);
        break;
    case K_CLOCK_ABS:
        ts = ns_ts(clock_ns(CLOCK_MONOTONIC) + 200 * WT_MS);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        break;
    case K_SLEEP:
        sleep(1);
        break;
    }
    atomic_store(&seen_at_wake, atomic_load(&counter));
    atomic_store(&sleeper_done, 1);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&sleeper_done)) {
        atomic_fetch_add(&counter, 1);
        sched_yield();
    }
    return NULL;
}

WT_TEST(parks_only_itself_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    for (int k = 0; k < K_N; k++) {
        atomic_store(&counter, 0);
        atomic_store(&sleeper_done, 0);
        atomic_store(&seen_at_wake, -1);
        pthread_t s, w;
        WT_OK(pthread_create(&s, NULL, sleeper, (void *)(intptr_t)k));
        WT_OK(pthread_create(&w, NULL, worker, NULL));
        WT_OK(pthread_join(s, NULL));
        WT_OK(pthread_join(w, NULL));
        /* the worker ran (on the only vCPU) while the sleeper slept */
        WT_ASSERTF(atomic_load(&seen_at_wake) > 0, "kind %d: worker count at wake-up %ld", k,
                   atomic_load(&seen_at_wake));
    }
}

WT_TEST(parks_only_itself)
{
    struct wt_child c;
    run_self(&c, "parks_only_itself_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(nanosleep_einval, 0, 60),
        WT_ENTRY(nanosleep_at_least, 0, 60),
        WT_ENTRY(clock_nanosleep_relative, 0, 60),
        WT_ENTRY(clock_nanosleep_absolute, 0, 60),
        WT_ENTRY(clock_nanosleep_errors, 0, 60),
        WT_ENTRY(sleep_usleep, 0, 60),
        WT_ENTRY(many_sleepers, 0, 60),
        WT_ENTRY(parks_only_itself_child, WT_MANUAL, 60),
        WT_ENTRY(parks_only_itself, 0, 60))
