/* test-intr.c - interruptible blocking: deferred and asynchronous
 * cancellation with cleanup handlers, and suspend/resume of sleepers,
 * joiners, runners and not-yet-started threads; a randomized stress of
 * both against threads that sleep, join and yield on 2 vCPUs.
 * (Cancelling threads blocked in the primitives of weft/sync.h is tested
 * with each primitive.) */
#include "runner.h"

static atomic_int log_buf[16];
static atomic_int log_n;

static void log_handler(void *arg)
{
    int i = atomic_fetch_add(&log_n, 1);
    if (i < 16)
        atomic_store(&log_buf[i], (int)(intptr_t)arg);
}

/* ---- cancellation ---- */

static void *sleep_long_with_handlers(void *arg)
{
    (void)arg;
    weft_cleanup_push(log_handler, (void *)1);
    weft_cleanup_push(log_handler, (void *)2);
    weft_sleep(60ull * 1000 * WT_MS); /* a minute: only a cancel ends it */
    weft_cleanup_pop(0);
    weft_cleanup_pop(0);
    return (void *)7;
}

WT_TEST(cancel_sleeper)
{
    weft_t t;
    atomic_store(&log_n, 0);
    WT_OK(weft_create(&t, NULL, sleep_long_with_handlers, NULL));
    weft_sleep(20 * WT_MS);
    uint64_t t0 = weft_now();
    WT_OK(weft_cancel(t));
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_LT(weft_now() - t0, 5000 * WT_MS);
    /* innermost first */
    WT_EQ(atomic_load(&log_n), 2);
    WT_EQ(atomic_load(&log_buf[0]), 2);
    WT_EQ(atomic_load(&log_buf[1]), 1);
}

/* cancel before the thread reaches its first cancellation point */
WT_TEST(cancel_before_wait)
{
    weft_t t;
    atomic_store(&log_n, 0);
    WT_OK(weft_create(&t, NULL, sleep_long_with_handlers, NULL));
    WT_OK(weft_cancel(t)); /* queued, not run yet */
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&log_n), 2);
}

static weft_sem_t never;
static void *wait_never(void *arg)
{
    (void)arg;
    weft_sem_wait(&never);
    return (void *)5;
}

static void *join_arg(void *arg)
{
    weft_t *target = arg;
    void *r = NULL;
    weft_cleanup_push(log_handler, (void *)3);
    weft_join(*target, &r);
    weft_cleanup_pop(0);
    return r;
}

/* a joiner is cancelled; the target can be joined afterwards */
WT_TEST(cancel_joiner)
{
    weft_t target, joiner;
    atomic_store(&log_n, 0);
    WT_OK(weft_sem_init(&never, 0));
    WT_OK(weft_create(&target, NULL, wait_never, NULL));
    WT_OK(weft_create(&joiner, NULL, join_arg, &target));
    WT_WAIT_UNTIL(wt_dump_count("join(") > 0, 10); /* the joiner is in its join */
    WT_ERR(weft_join(target, NULL), EINVAL); /* the joiner has it */
    WT_OK(weft_cancel(joiner));
    void *res = NULL;
    WT_OK(weft_join(joiner, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&log_n), 1);
    WT_EQ(atomic_load(&log_buf[0]), 3);
    WT_OK(weft_sem_post(&never));
    WT_OK(weft_join(target, &res));
    WT_PTR_EQ(res, (void *)5);
}

static atomic_int phase;
static void *disabled_then_enabled(void *arg)
{
    (void)arg;
    int old = -1;
    WT_OK(weft_setcancelstate(WEFT_CANCEL_DISABLE, &old));
    WT_EQ(old, WEFT_CANCEL_ENABLE);
    atomic_store(&phase, 1);
    while (atomic_load(&phase) != 2)
        weft_yield();
    weft_sleep(10 * WT_MS); /* a cancellation point, but disabled */
    weft_testcancel();
    atomic_store(&phase, 3);
    WT_OK(weft_setcancelstate(WEFT_CANCEL_ENABLE, &old));
    WT_EQ(old, WEFT_CANCEL_DISABLE);
    atomic_store(&phase, 4); /* deferred: still running until a point */
    weft_testcancel();
    atomic_store(&phase, 5);
    return NULL;
}

WT_TEST(cancel_disabled_then_enabled)
{
    weft_t t;
    atomic_store(&phase, 0);
    WT_OK(weft_create(&t, NULL, disabled_then_enabled, NULL));
    WT_WAIT_UNTIL(atomic_load(&phase) == 1, 10);
    WT_OK(weft_cancel(t));
    atomic_store(&phase, 2);
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&phase), 4);
}

static atomic_long spins;
static void *spin_yield_async(void *arg)
{
    int async = (int)(intptr_t)arg;
    int old = -1;
    if (async) {
        WT_OK(weft_setcanceltype(WEFT_CANCEL_ASYNCHRONOUS, &old));
        WT_EQ(old, WEFT_CANCEL_DEFERRED);
    }
    for (;;) {
        atomic_fetch_add(&spins, 1);
        weft_yield(); /* not a cancellation point; a safe point for async */
        if (!async && atomic_load(&phase) == 9)
            break;
    }
    atomic_store(&phase, 10);
    return NULL;
}

WT_TEST(cancel_async_at_yield)
{
    weft_t t;
    WT_OK(weft_create(&t, NULL, spin_yield_async, (void *)1));
    WT_WAIT_UNTIL(atomic_load(&spins) > 10, 10);
    WT_OK(weft_cancel(t));
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
}

WT_TEST(cancel_deferred_ignores_yield)
{
    weft_t t;
    atomic_store(&phase, 0);
    atomic_store(&spins, 0);
    WT_OK(weft_create(&t, NULL, spin_yield_async, (void *)0));
    WT_WAIT_UNTIL(atomic_load(&spins) > 10, 10);
    WT_OK(weft_cancel(t));
    long s0 = atomic_load(&spins);
    WT_WAIT_UNTIL(atomic_load(&spins) > s0 + 10, 10); /* still running */
    atomic_store(&phase, 9);
    void *res = NULL;
    WT_OK(weft_join(t, &res)); /* returned normally: no point was reached */
    WT_PTR_EQ(res, NULL);
    WT_EQ(atomic_load(&phase), 10);
}

static void *return_quickly(void *arg)
{
    return arg;
}

WT_TEST(cancel_ended_thread)
{
    weft_t t;
    WT_OK(weft_create(&t, NULL, return_quickly, (void *)9));
    weft_sleep(10 * WT_MS);
    WT_OK(weft_cancel(t)); /* ended, not joined: no effect */
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, (void *)9);
    WT_ERR(weft_cancel(t), ESRCH); /* joined: gone */
    WT_ERR(weft_cancel(0), ESRCH);
}

WT_TEST(cancel_errors)
{
    int old;
    WT_ERR(weft_setcancelstate(2, &old), EINVAL);
    WT_ERR(weft_setcancelstate(-1, NULL), EINVAL);
    WT_ERR(weft_setcanceltype(2, &old), EINVAL);
    WT_OK(weft_setcancelstate(WEFT_CANCEL_ENABLE, NULL));
    WT_OK(weft_setcanceltype(WEFT_CANCEL_DEFERRED, NULL));
    weft_testcancel(); /* nothing pending: returns */
}

static void *exit_with_handlers(void *arg)
{
    (void)arg;
    weft_cleanup_push(log_handler, (void *)1);
    weft_cleanup_push(log_handler, (void *)2);
    weft_cleanup_pop(1); /* runs 2 */
    weft_cleanup_push(log_handler, (void *)3);
    weft_cleanup_pop(0); /* drops 3 */
    weft_cleanup_push(log_handler, (void *)4);
    weft_exit((void *)11); /* runs 4, then 1 */
    weft_cleanup_pop(0);
    weft_cleanup_pop(0);
    return NULL;
}

WT_TEST(cleanup_order_on_exit)
{
    weft_t t;
    atomic_store(&log_n, 0);
    WT_OK(weft_create(&t, NULL, exit_with_handlers, NULL));
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, (void *)11);
    WT_EQ(atomic_load(&log_n), 3);
    WT_EQ(atomic_load(&log_buf[0]), 2);
    WT_EQ(atomic_load(&log_buf[1]), 4);
    WT_EQ(atomic_load(&log_buf[2]), 1);
}

/* a cleanup handler that reaches a cancellation point runs to its end */
static void sleepy_handler(void *arg)
{
    (void)arg;
    weft_sleep(5 * WT_MS);
    weft_testcancel();
    atomic_fetch_add(&log_n, 1);
}

static void *sleep_with_sleepy_handler(void *arg)
{
    (void)arg;
    weft_cleanup_push(sleepy_handler, NULL);
    weft_sleep(60ull * 1000 * WT_MS);
    weft_cleanup_pop(0);
    return NULL;
}

WT_TEST(cancel_handler_not_cancellable)
{
    weft_t t;
    atomic_store(&log_n, 0);
    WT_OK(weft_create(&t, NULL, sleep_with_sleepy_handler, NULL));
    weft_sleep(10 * WT_MS);
    WT_OK(weft_cancel(t));
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&log_n), 1);
}

/* a foreign host thread blocked in a weft sleep is cancelled too */
static void *host_sleeper(void *arg)
{
    weft_t *self = arg;
    *self = weft_self();
    atomic_store(&phase, 1);
    weft_cleanup_push(log_handler, (void *)8);
    weft_sleep(60ull * 1000 * WT_MS);
    weft_cleanup_pop(0);
    return NULL;
}

WT_TEST(cancel_host_thread)
{
    pthread_t p;
    weft_t h = 0;
    atomic_store(&phase, 0);
    atomic_store(&log_n, 0);
    WT_EQ(pthread_create(&p, NULL, host_sleeper, &h), 0);
    WT_WAIT_UNTIL(atomic_load(&phase) == 1, 10);
    weft_sleep(10 * WT_MS);
    WT_OK(weft_cancel(h));
    void *res = NULL;
    WT_EQ(pthread_join(p, &res), 0);
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&log_n), 1);
    WT_EQ(atomic_load(&log_buf[0]), 8);
}

/* ---- suspend and resume ---- */

static atomic_int slept_done;
static void *sleep_100ms(void *arg)
{
    (void)arg;
    weft_sleep(100 * WT_MS);
    atomic_store(&slept_done, 1);
    return NULL;
}

WT_TEST(suspend_sleeper)
{
    weft_t t;
    atomic_store(&slept_done, 0);
    uint64_t t0 = weft_now();
    WT_OK(weft_create(&t, NULL, sleep_100ms, NULL));
    weft_sleep(30 * WT_MS);
    WT_OK(weft_suspend(t));
    uint64_t ts = weft_now();
    weft_sleep(150 * WT_MS); /* past the sleep's original end */
    WT_EQ(atomic_load(&slept_done), 0);
    char *d = wt_dump_string();
    WT_CONTAINS(d, "suspended");
    free(d);
    WT_OK(weft_resume(t));
    uint64_t tr = weft_now();
    WT_OK(weft_join(t, NULL));
    uint64_t tj = weft_now();
    WT_EQ(atomic_load(&slept_done), 1);
    /* it slept what it had left: ~100 ms minus what passed before the
     * suspend, so at least 100 - (ts - t0) after the resume */
    uint64_t before = ts - t0, after = tj - tr;
    printf("  slept %.1f ms before the suspend, %.1f ms after the resume\n",
           before / 1e6, after / 1e6);
    WT_GE(before + after, 100 * WT_MS);
    WT_GT(after, 20 * WT_MS);
}

static void *yield_counter(void *arg)
{
    (void)arg;
    while (atomic_load(&phase) != 99) {
        atomic_fetch_add(&spins, 1);
        weft_yield();
    }
    return NULL;
}

WT_TEST(suspend_runner_nested)
{
    weft_t t;
    atomic_store(&phase, 0);
    atomic_store(&spins, 0);
    WT_OK(weft_create(&t, NULL, yield_counter, NULL));
    WT_WAIT_UNTIL(atomic_load(&spins) > 10, 10);
    WT_OK(weft_suspend(t));
    WT_OK(weft_suspend(t)); /* nests */
    /* it stops at its next yield: wait until the count settles */
    long s0 = atomic_load(&spins), s1;
    for (int i = 0; i < 1000; i++, s0 = s1) {
        weft_sleep(5 * WT_MS);
        if ((s1 = atomic_load(&spins)) == s0)
            break;
    }
    weft_sleep(30 * WT_MS);
    WT_EQ(atomic_load(&spins), s0);
    WT_OK(weft_resume(t));
    weft_sleep(30 * WT_MS);
    WT_EQ(atomic_load(&spins), s0); /* one suspend still holds */
    WT_OK(weft_resume(t));
    WT_WAIT_UNTIL(atomic_load(&spins) > s0 + 10, 10);
    WT_ERR(weft_resume(t), EINVAL); /* not suspended */
    atomic_store(&phase, 99);
    WT_OK(weft_join(t, NULL));
}

static atomic_int joined_result;
static void *join_and_record(void *arg)
{
    weft_t *target = arg;
    void *r = NULL;
    WT_OK(weft_join(*target, &r));
    atomic_store(&joined_result, (int)(intptr_t)r);
    return NULL;
}

/* a thread blocked in join is suspended; the join completes after resume */
WT_TEST(suspend_joiner)
{
    weft_t target, joiner;
    atomic_store(&joined_result, 0);
    WT_OK(weft_sem_init(&never, 0));
    WT_OK(weft_create(&target, NULL, wait_never, NULL));
    WT_OK(weft_create(&joiner, NULL, join_and_record, &target));
    WT_WAIT_UNTIL(wt_dump_count("join(") > 0, 10);
    WT_OK(weft_suspend(joiner));
    weft_sleep(10 * WT_MS);
    WT_OK(weft_sem_post(&never)); /* target ends while the joiner is stopped */
    weft_sleep(30 * WT_MS);
    WT_EQ(atomic_load(&joined_result), 0);
    WT_OK(weft_resume(joiner));
    WT_OK(weft_join(joiner, NULL));
    WT_EQ(atomic_load(&joined_result), 5);
}

static atomic_int self_phase;
static void *suspend_self(void *arg)
{
    (void)arg;
    atomic_store(&self_phase, 1);
    WT_OK(weft_suspend(weft_self()));
    atomic_store(&self_phase, 2);
    return NULL;
}

WT_TEST(suspend_self)
{
    weft_t t;
    atomic_store(&self_phase, 0);
    WT_OK(weft_create(&t, NULL, suspend_self, NULL));
    WT_WAIT_UNTIL(wt_dump_count("suspended") > 0, 10); /* it stopped itself */
    weft_sleep(10 * WT_MS);
    WT_EQ(atomic_load(&self_phase), 1);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&self_phase), 2);
}

static atomic_int started;
static void *mark_started(void *arg)
{
    (void)arg;
    atomic_store(&started, 1);
    return NULL;
}

/* Creates and suspends from a weft thread on the only vCPU, which it keeps
 * until weft_sleep: the new thread cannot have run by then. (Created from
 * the host main thread, the idle vCPU could start it before the suspend.) */
static void *create_suspended(void *arg)
{
    weft_t *t = arg;
    WT_OK(weft_create(t, NULL, mark_started, NULL)); /* queued on vCPU 0 */
    WT_OK(weft_suspend(*t));
    return NULL;
}

/* suspended before it ever ran: it does not start until resumed */
WT_TEST(suspend_unstarted)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t c, t;
    atomic_store(&started, 0);
    WT_OK(weft_create(&c, NULL, create_suspended, &t));
    WT_OK(weft_join(c, NULL));
    weft_sleep(30 * WT_MS);
    WT_EQ(atomic_load(&started), 0);
    WT_OK(weft_resume(t));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&started), 1);
}

WT_TEST(suspend_errors)
{
    weft_t t;
    WT_ERR(weft_suspend(0), ESRCH);
    WT_ERR(weft_resume(0), ESRCH);
    WT_OK(weft_create(&t, NULL, return_quickly, NULL));
    /* resume of a live, unsuspended thread is EINVAL and changes nothing:
     * poll with it until the thread has ended */
    int rc;
    uint64_t until = weft_now() + 10000 * WT_MS;
    while ((rc = weft_resume(t)) == EINVAL && weft_now() < until)
        weft_sleep(WT_MS);
    WT_EQ(rc, ESRCH);
    WT_ERR(weft_suspend(t), ESRCH); /* ended */
    WT_ERR(weft_resume(t), ESRCH);
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_suspend(t), ESRCH); /* gone */
}

/* a suspended thread that is cancelled ends only after its resume */
WT_TEST(suspend_then_cancel)
{
    weft_t t;
    atomic_store(&log_n, 0);
    WT_OK(weft_create(&t, NULL, sleep_long_with_handlers, NULL));
    weft_sleep(10 * WT_MS);
    WT_OK(weft_suspend(t));
    WT_OK(weft_cancel(t));
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(&log_n), 0);
    WT_OK(weft_resume(t));
    void *res = NULL;
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, WEFT_CANCELED);
    WT_EQ(atomic_load(&log_n), 2);
}

/* ---- stress: random suspends, resumes and cancels ---- */
#define ST_N 64
static weft_t st_t[ST_N];
static atomic_int st_suspends[ST_N];
static atomic_long st_work;

static void *st_worker(void *arg)
{
    intptr_t i = (intptr_t)arg;
    uint64_t seed = (uint64_t)i * 7919 + 1;
    for (;;) {
        switch (wt_rand_below(&seed, 3)) {
        case 0:
            weft_sleep(wt_rand_below(&seed, 300) * 1000);
            break;
        case 1:
            weft_yield();
            break;
        default:
            weft_testcancel();
            break;
        }
        atomic_fetch_add(&st_work, 1);
    }
    return NULL;
}

WT_TEST(stress_suspend_cancel)
{
    int nv = (int)wt_knob("vcpus", 2);
    wt_start(nv, WEFT_DEADLOCK_ABORT);
    long rounds = wt_scaled(20000);
    for (intptr_t i = 0; i < ST_N; i++)
        WT_OK(weft_create(&st_t[i], NULL, st_worker, (void *)i));
    uint64_t seed = 42;
    uint64_t end = weft_now() + 3000 * WT_MS;
    long ops = 0;
    for (long r = 0; r < rounds && weft_now() < end; r++, ops++) {
        int i = (int)wt_rand_below(&seed, ST_N);
        if (wt_rand_below(&seed, 2) && atomic_load(&st_suspends[i]) < 3) {
            WT_OK(weft_suspend(st_t[i]));
            atomic_fetch_add(&st_suspends[i], 1);
        } else if (atomic_load(&st_suspends[i]) > 0) {
            WT_OK(weft_resume(st_t[i]));
            atomic_fetch_sub(&st_suspends[i], 1);
        }
        if (wt_rand_below(&seed, 16) == 0)
            weft_sleep(100 * 1000);
    }
    for (int i = 0; i < ST_N; i++)
        while (atomic_load(&st_suspends[i]) > 0) {
            WT_OK(weft_resume(st_t[i]));
            atomic_fetch_sub(&st_suspends[i], 1);
        }
    long w0 = atomic_load(&st_work);
    WT_WAIT_UNTIL(atomic_load(&st_work) > w0 + ST_N, 10); /* all resumed run */
    for (int i = 0; i < ST_N; i++)
        WT_OK(weft_cancel(st_t[i]));
    for (int i = 0; i < ST_N; i++) {
        void *res = NULL;
        WT_OK(weft_join(st_t[i], &res));
        WT_PTR_EQ(res, WEFT_CANCELED);
    }
    printf("  %ld suspend/resume calls, %ld work items\n", ops, atomic_load(&st_work));
}

WT_MAIN(WT_ENTRY(cancel_sleeper, 0, 60),
        WT_ENTRY(cancel_before_wait, 0, 60),
        WT_ENTRY(cancel_joiner, 0, 60),
        WT_ENTRY(cancel_disabled_then_enabled, 0, 60),
        WT_ENTRY(cancel_async_at_yield, 0, 60),
        WT_ENTRY(cancel_deferred_ignores_yield, 0, 60),
        WT_ENTRY(cancel_ended_thread, 0, 60),
        WT_ENTRY(cancel_errors, 0, 60),
        WT_ENTRY(cleanup_order_on_exit, 0, 60),
        WT_ENTRY(cancel_handler_not_cancellable, 0, 60),
        WT_ENTRY(cancel_host_thread, 0, 60),
        WT_ENTRY(suspend_sleeper, 0, 60),
        WT_ENTRY(suspend_runner_nested, 0, 60),
        WT_ENTRY(suspend_joiner, 0, 60),
        WT_ENTRY(suspend_self, 0, 60),
        WT_ENTRY(suspend_unstarted, WT_FRESH, 60),
        WT_ENTRY(suspend_errors, 0, 60),
        WT_ENTRY(suspend_then_cancel, 0, 60),
        WT_ENTRY(stress_suspend_cancel, WT_FRESH, 120))
