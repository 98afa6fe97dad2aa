/* test-pcancel.c - pthread_cancel, setcancelstate/type, testcancel and
 * the cleanup handlers of glibc's macros (plain C: the __sigsetjmp and
 * __pthread_register_cancel ABI), from the POSIX assertions, through
 * glibc's <pthread.h> against libweft-pthread. pcancel-fx.c, compiled
 * with -fexceptions, has the __attribute__((cleanup)) flavour (forced
 * unwinding); it is linked in only when tests/CMakeLists.txt adds it
 * (WEFT_PCANCEL_FX). */
#include "runner.h"

#include <dlfcn.h>

static atomic_int gate;

static void *gated(void *arg)
{
    while (!atomic_load(&gate))
        usleep(500);
    return arg;
}

static void *ret_arg(void *arg) { return arg; }

/* The id weft_dump shows for t. */
static unsigned long long tid_of(pthread_t t)
{
    uint64_t id = 0;
    WT_OK(weft_getid((weft_t)t, &id));
    return (unsigned long long)id;
}

/* Is t's line in weft_dump (the line starting with its id) blocked on a
 * wait channel containing `what`? */
static int dump_shows(pthread_t t, const char *what)
{
    char start[48];
    snprintf(start, sizeof start, "\n%8llu  ", tid_of(t));
    char *d = wt_dump_string();
    __asm__("" : "+r"(d)); /* (gcc takes it for runner.h's local) */
    const char *l = strstr(d, start);
    int yes = 0;
    if (l) {
        const char *e = strchr(l + 1, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)n, l);
        yes = strstr(line, " blocked ") && strstr(line, what);
    }
    free(d);
    return yes;
}

/* Wait until weft_dump shows a thread blocked on `what` (substring). */
static void wait_blocked_on(const char *what)
{
    WT_WAIT_UNTIL(wt_dump_count(what) >= 1, 30);
}

/* ---- the handler log ---- */
static atomic_int hlog[16];
static atomic_int nlog;

static void log_reset(void)
{
    atomic_store(&nlog, 0);
    for (int i = 0; i < 16; i++)
        atomic_store(&hlog[i], 0);
}

static void note(void *arg)
{
    int i = atomic_fetch_add(&nlog, 1);
    if (i < 16)
        atomic_store(&hlog[i], (int)(intptr_t)arg);
}

/* The log as a string "4 3 2 1". */
static const char *log_str(void)
{
    static char buf[128];
    size_t o = 0;
    buf[0] = 0;
    int n = atomic_load(&nlog);
    for (int i = 0; i < n && i < 16; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d", i ? " " : "", atomic_load(&hlog[i]));
    return buf;
}

/* ---- pthread_cancel: ESRCH ---- */
WT_TEST(cancel_esrch)
{
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_cancel(t), ESRCH);
    WT_ERR(pthread_cancel((pthread_t)0x7fff12345678abcdull), ESRCH);
    /* ended but not joined: not an error; the result stays its own */
    WT_OK(pthread_create(&t, NULL, ret_arg, (void *)4));
    usleep(20000);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)4);
}

/* ---- deferred cancellation acts at cancellation points only ---- */
static atomic_int go, progress, after_point;

static void *spin_then_testcancel(void *arg)
{
    (void)arg;
    while (!atomic_load(&go))
        ; /* no cancellation point */
    atomic_store(&progress, 1);
    pthread_testcancel();
    atomic_store(&after_point, 1);
    return NULL;
}

WT_TEST(deferred_at_testcancel)
{
    atomic_store(&go, 0);
    atomic_store(&progress, 0);
    atomic_store(&after_point, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, spin_then_testcancel, NULL));
    WT_OK(pthread_cancel(t));
    /* pthread_cancel does not wait for the thread */
    atomic_store(&go, 1);
    void *r = NULL;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&progress), 1);   /* ran on past the request */
    WT_EQ(atomic_load(&after_point), 0); /* ended at the point */
}

/* A thread blocked in pthread_join is cancelled; the thread it joined is
 * not detached and can still be joined. */
static pthread_t join_target;

static void *joiner(void *arg)
{
    (void)arg;
    pthread_join(join_target, NULL);
    atomic_store(&after_point, 1);
    return NULL;
}

WT_TEST(cancel_at_join)
{
    atomic_store(&gate, 0);
    atomic_store(&after_point, 0);
    WT_OK(pthread_create(&join_target, NULL, gated, (void *)8));
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, joiner, NULL));
    char what[48];
    snprintf(what, sizeof what, "join(thread %llu)", tid_of(join_target));
    wait_blocked_on(what);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&after_point), 0);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(join_target, &r));
    WT_PTR_EQ(r, (void *)8);
}

/* A cancel already pending when pthread_join starts acts there too, and
 * the target stays joinable. */
static void *pending_joiner(void *arg)
{
    (void)arg;
    while (!atomic_load(&go))
        sched_yield(); /* not a cancellation point */
    pthread_join(join_target, NULL);
    atomic_store(&after_point, 1);
    return NULL;
}

WT_TEST(cancel_pending_at_join)
{
    atomic_store(&gate, 0);
    atomic_store(&go, 0);
    atomic_store(&after_point, 0);
    WT_OK(pthread_create(&join_target, NULL, gated, (void *)9));
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, pending_joiner, NULL));
    WT_OK(pthread_cancel(t));
    atomic_store(&go, 1);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&after_point), 0);
    WT_OK(pthread_kill(join_target, 0));
    atomic_store(&gate, 1);
    WT_OK(pthread_join(join_target, &r));
    WT_PTR_EQ(r, (void *)9);
}

/* Blocked in each of the sleeps, and with the cancel already pending when
 * the sleep starts. */
enum { S_SLEEP, S_USLEEP, S_NANOSLEEP, S_CLOCK_NANOSLEEP, S_CLOCK_NANOSLEEP_ABS, S_N };

static void *sleeper(void *arg)
{
    int kind = (int)(intptr_t)arg & 0xff;
    int pending = (int)(intptr_t)arg >> 8;
    if (pending)
        while (!atomic_load(&go))
            ; /* the cancel arrives while we run */
    struct timespec ts = {100, 0};
    switch (kind) {
    case S_SLEEP:
        sleep(100);
        break;
    case S_USLEEP:
        usleep(999999);
        usleep(999999);
        break;
    case S_NANOSLEEP:
        nanosleep(&ts, NULL);
        break;
    case S_CLOCK_NANOSLEEP:
        clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
        break;
    case S_CLOCK_NANOSLEEP_ABS:
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 100;
        clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
        break;
    }
    atomic_store(&after_point, 1);
    return NULL;
}

WT_TEST(cancel_at_sleeps)
{
    for (int pending = 0; pending < 2; pending++) {
        for (int k = 0; k < S_N; k++) {
            atomic_store(&after_point, 0);
            atomic_store(&go, 0);
            pthread_t t;
            WT_OK(pthread_create(&t, NULL, sleeper, (void *)(intptr_t)(k | pending << 8)));
            if (!pending)
                WT_WAIT_UNTIL(dump_shows(t, "sleep"), 30);
            uint64_t t0 = wt_clock_ns();
            WT_OK(pthread_cancel(t));
            atomic_store(&go, 1);
            void *r;
            WT_OK(pthread_join(t, &r));
            WT_ASSERTF(r == PTHREAD_CANCELED, "kind %d pending %d: result %p", k, pending, r);
            WT_EQ(atomic_load(&after_point), 0);
            /* woken by the cancel, not by the end of the sleep */
            WT_LT(wt_clock_ns() - t0, 50000 * WT_MS);
        }
    }
}

/* pthread_cond_wait: when cancelled, the mutex is held again before the
 * cleanup handlers run. Only once the drop-in exports it. */
static pthread_mutex_t cw_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cw_cond = PTHREAD_COND_INITIALIZER;
static atomic_int cw_handler_saw_locked;

static void cw_unlock(void *arg)
{
    (void)arg;
    /* held by us: a trylock fails */
    atomic_store(&cw_handler_saw_locked, pthread_mutex_trylock(&cw_mutex) == EBUSY);
    pthread_mutex_unlock(&cw_mutex);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cw_mutex);
    pthread_cleanup_push(cw_unlock, NULL);
    for (;;)
        pthread_cond_wait(&cw_cond, &cw_mutex);
    pthread_cleanup_pop(1);
    return NULL;
}

static int exported_by_weft(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    Dl_info info;
    return p && dladdr(p, &info) && info.dli_fname && strstr(info.dli_fname, "weft");
}

WT_TEST(cancel_at_cond_wait)
{
    if (!exported_by_weft("pthread_cond_wait") || !exported_by_weft("pthread_mutex_lock"))
        WT_SKIP("libweft-pthread does not export pthread_cond_wait/pthread_mutex_lock yet");
    atomic_store(&cw_handler_saw_locked, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, cond_waiter, NULL));
    /* blocked on the condvar (not on the mutex) */
    WT_WAIT_UNTIL(dump_shows(t, "cond"), 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&cw_handler_saw_locked), 1);
    /* the handler let go of the mutex */
    WT_OK(pthread_mutex_trylock(&cw_mutex));
    WT_OK(pthread_mutex_unlock(&cw_mutex));
}

/* ---- cancel disabled, then enabled ---- */
static atomic_int stage;

static void *disabled_then_enabled(void *arg)
{
    (void)arg;
    int old = -1;
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_ENABLE);
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 2)
        usleep(500); /* a cancellation point, disabled */
    /* the request stays pending across every point while disabled */
    pthread_testcancel();
    usleep(1000);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    atomic_store(&stage, 3);
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_DISABLE);
    atomic_store(&stage, 4); /* enabling is not a point by itself (deferred) */
    pthread_testcancel();
    atomic_store(&stage, 5);
    return NULL;
}

WT_TEST(disabled_then_enabled)
{
    atomic_store(&stage, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, disabled_then_enabled, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    atomic_store(&stage, 2);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&stage), 4);
}

/* ---- asynchronous cancellation ----
 * "can be acted upon at any time": weft has no preemption, so it acts at
 * the thread's next switch of any kind (sched_yield is not a cancellation
 * point, so under the deferred type the same loop goes on). */
static atomic_int yields;

static void *yield_loop(void *arg)
{
    int async = (int)(intptr_t)arg;
    if (async)
        WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 3) {
        atomic_fetch_add(&yields, 1);
        sched_yield();
    }
    pthread_testcancel();
    return (void *)2;
}

WT_TEST(async_acts_without_a_point)
{
    atomic_store(&stage, 0);
    atomic_store(&yields, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, yield_loop, (void *)1));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r)); /* ends with stage never 3 */
    WT_PTR_EQ(r, PTHREAD_CANCELED);
}

WT_TEST(deferred_not_at_yield)
{
    atomic_store(&stage, 0);
    atomic_store(&yields, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, yield_loop, (void *)0));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    int before = atomic_load(&yields);
    WT_WAIT_UNTIL(atomic_load(&yields) > before + 100, 30); /* it yields on */
    WT_ERR(pthread_tryjoin_np(t, NULL), EBUSY);
    atomic_store(&stage, 3);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED); /* at the testcancel */
}

/* Enabling cancellation under the asynchronous type with a cancel pending
 * acts at once: pthread_setcancelstate does not return. */
static void *enable_async(void *arg)
{
    (void)arg;
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL));
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 2)
        usleep(500);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    atomic_store(&stage, 5);
    for (;;)
        pthread_testcancel(), usleep(1000);
    return NULL;
}

WT_TEST(async_enable_acts_at_once)
{
    atomic_store(&stage, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, enable_async, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    atomic_store(&stage, 2);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&stage), 2);
}

/* ---- setcancelstate / setcanceltype: EINVAL and old values ---- */
static void *state_type(void *arg)
{
    (void)arg;
    int old = -1;
    WT_ERR(pthread_setcancelstate(42, &old), EINVAL);
    WT_ERR(pthread_setcancelstate(-1, &old), EINVAL);
    WT_EQ(old, -1); /* nothing stored on error */
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_ENABLE); /* the default */
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_ENABLE);
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_DISABLE);
    WT_ERR(pthread_setcancelstate(42, &old), EINVAL);
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old)); /* state unchanged by the error */
    WT_EQ(old, PTHREAD_CANCEL_DISABLE);
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL));

    old = -1;
    WT_ERR(pthread_setcanceltype(42, &old), EINVAL);
    WT_EQ(old, -1);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_DEFERRED); /* the default */
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
    WT_EQ(old, PTHREAD_CANCEL_DEFERRED);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_ASYNCHRONOUS);
    WT_ERR(pthread_setcanceltype(-7, &old), EINVAL);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL));
    return (void *)1;
}

WT_TEST(state_type_values)
{
    pthread_t t;
    void *r;
    /* a new thread starts enabled and deferred whatever its creator has */
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL));
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    WT_OK(pthread_create(&t, NULL, state_type, NULL));
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL));
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    /* main thread too */
    int old = -1;
    WT_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    WT_EQ(old, PTHREAD_CANCEL_ENABLE);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_DEFERRED);
}

/* ---- cleanup handlers (plain C macros) ---- */
static void *nested_cancel(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, (void *)1);
    pthread_cleanup_push(note, (void *)2);
    pthread_cleanup_push(note, (void *)3);
    atomic_store(&stage, 1);
    for (;;)
        sleep(100);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cleanup_on_cancel)
{
    log_reset();
    atomic_store(&stage, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, nested_cancel, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(log_str(), "3 2 1");
}

/* Handlers in several frames, pthread_exit from the innermost. */
static void exit_inner(void)
{
    pthread_cleanup_push(note, (void *)3);
    pthread_cleanup_push(note, (void *)4);
    pthread_exit((void *)99);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
}

static void exit_middle(void)
{
    pthread_cleanup_push(note, (void *)2);
    exit_inner();
    pthread_cleanup_pop(0);
}

static void *nested_exit(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, (void *)1);
    exit_middle();
    pthread_cleanup_pop(0);
    note((void *)100); /* never */
    return NULL;
}

WT_TEST(cleanup_on_exit)
{
    log_reset();
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, nested_exit, NULL));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)99);
    WT_STR_EQ(log_str(), "4 3 2 1");
}

/* pop(1) runs the handler, pop(0) does not; a plain return runs none. */
static void *pops(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, (void *)1);
    pthread_cleanup_push(note, (void *)2);
    pthread_cleanup_push(note, (void *)3);
    pthread_cleanup_pop(1);
    pthread_cleanup_pop(0);
    note((void *)10);
    pthread_cleanup_pop(1);
    pthread_cleanup_push(note, (void *)4);
    pthread_cleanup_pop(0);
    return (void *)7;
}

static void *push_pop0_return(void *arg)
{
    pthread_cleanup_push(note, (void *)5);
    pthread_cleanup_push(note, (void *)6);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return arg;
}

WT_TEST(cleanup_pop)
{
    log_reset();
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, pops, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)7);
    WT_STR_EQ(log_str(), "3 10 1");
    /* popped with 0, then a plain return: no handler runs */
    log_reset();
    WT_OK(pthread_create(&t, NULL, push_pop0_return, (void *)8));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)8);
    WT_STR_EQ(log_str(), "");
}

/* A handler popped with 0 stays gone when the thread is later cancelled;
 * handlers that remain still run. */
static void *pop_then_cancel(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, (void *)1);
    pthread_cleanup_push(note, (void *)2);
    pthread_cleanup_pop(0);
    atomic_store(&stage, 1);
    for (;;)
        pthread_testcancel(), usleep(1000);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cleanup_pop_then_cancel)
{
    log_reset();
    atomic_store(&stage, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, pop_then_cancel, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(log_str(), "1");
}

/* A handler reaching a cancellation point does not start the unwind over:
 * every handler runs once. Key destructors run after the handlers. */
static pthread_key_t order_key;

static void key_note(void *v)
{
    note(v);
}

static void handler_that_sleeps(void *arg)
{
    usleep(1000);
    pthread_testcancel();
    note(arg);
}

static void *cancel_with_key(void *arg)
{
    (void)arg;
    WT_OK(pthread_setspecific(order_key, (void *)9));
    pthread_cleanup_push(note, (void *)1);
    pthread_cleanup_push(handler_that_sleeps, (void *)2);
    atomic_store(&stage, 1);
    for (;;)
        sleep(100);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cleanup_then_key_destructors)
{
    log_reset();
    atomic_store(&stage, 0);
    WT_OK(pthread_key_create(&order_key, key_note));
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, cancel_with_key, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(log_str(), "2 1 9");
    WT_OK(pthread_key_delete(order_key));
}

/* Cancelling a thread twice, and cancelling yourself. */
static void *cancel_self(void *arg)
{
    (void)arg;
    pthread_cleanup_push(note, (void *)1);
    WT_OK(pthread_cancel(pthread_self()));
    note((void *)2); /* deferred: still running */
    pthread_testcancel();
    note((void *)3);
    pthread_cleanup_pop(0);
    return NULL;
}

WT_TEST(cancel_self_and_twice)
{
    log_reset();
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, cancel_self, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(log_str(), "2 1");
    atomic_store(&stage, 0);
    log_reset();
    WT_OK(pthread_create(&t, NULL, nested_cancel, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 30);
    WT_OK(pthread_cancel(t));
    int rc = pthread_cancel(t); /* 0 while it is not yet joined */
    WT_OK(rc);
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(log_str(), "3 2 1");
}

/* pthread_cleanup_push_defer_np: deferred while pushed, the old type back
 * at pop_restore; the handler runs on pop_restore(1). */
static void *defer_np(void *arg)
{
    (void)arg;
    int old = -1;
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    pthread_cleanup_push_defer_np(note, (void *)1);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_DEFERRED);
    pthread_cleanup_pop_restore_np(1);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_ASYNCHRONOUS);
    /* deferred before: deferred after */
    pthread_cleanup_push_defer_np(note, (void *)2);
    pthread_cleanup_pop_restore_np(0);
    WT_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    WT_EQ(old, PTHREAD_CANCEL_DEFERRED);
    return (void *)1;
}

WT_TEST(cleanup_defer_np)
{
    log_reset();
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, defer_np, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    WT_STR_EQ(log_str(), "1");
}

/* Cancels racing with the threads' own ends: every join gets either the
 * thread's value or PTHREAD_CANCELED, and each handler ran exactly when
 * the thread was cancelled. */
static atomic_int race_handlers;

static void race_handler(void *arg)
{
    (void)arg;
    atomic_fetch_add(&race_handlers, 1);
}

static void *race_victim(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    pthread_cleanup_push(race_handler, NULL);
    if (i % 3 == 0)
        usleep((useconds_t)(i % 7) * 100);
    else if (i % 3 == 1)
        sched_yield();
    pthread_testcancel();
    pthread_cleanup_pop(0);
    return (void *)(i + 1);
}

WT_TEST(cancel_races_exit)
{
    int n = (int)wt_scaled(2000);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    WT_ASSERT(t);
    atomic_store(&race_handlers, 0);
    for (int i = 0; i < n; i++) {
        WT_OK(pthread_create(&t[i], NULL, race_victim, (void *)(uintptr_t)i));
        if (i % 5 == 0)
            sched_yield();
        if (i >= 3)
            WT_OK(pthread_cancel(t[i - 3]));
    }
    int cancelled = 0;
    for (int i = 0; i < n; i++) {
        if (i >= n - 3)
            WT_OK(pthread_cancel(t[i]));
        void *r;
        WT_OK(pthread_join(t[i], &r));
        if (r == PTHREAD_CANCELED)
            cancelled++;
        else
            WT_EQ((uintptr_t)r, (uintptr_t)i + 1);
    }
    WT_EQ(atomic_load(&race_handlers), cancelled);
    printf("%d of %d cancelled\n", cancelled, n);
    free(t);
}

/* ---- the -fexceptions flavour (pcancel-fx.c) ---- */
#ifdef WEFT_PCANCEL_FX
atomic_int fx_log[8];
atomic_int fx_nlog;
void fx_wait_cancelled(atomic_int *ready);
void fx_exit(void);
void fx_pops(void);
void fx_call(void (*inner)(void));

static void fx_plain_note(void *arg)
{
    int i = atomic_fetch_add(&fx_nlog, 1);
    if (i < 8)
        atomic_store(&fx_log[i], (int)(intptr_t)arg);
}

/* plain-C frame inside the -fexceptions one (fx_call) */
static atomic_int mixed_ready;

static void plain_inner(void)
{
    pthread_cleanup_push(fx_plain_note, (void *)7);
    atomic_store(&mixed_ready, 1);
    for (;;)
        sleep(100);
    pthread_cleanup_pop(0);
}

static void *fx_mixed_inner_plain(void *arg)
{
    (void)arg;
    fx_call(plain_inner);
    return NULL;
}

/* the -fexceptions frames inside a plain-C one */
static void *fx_mixed_outer_plain(void *arg)
{
    pthread_cleanup_push(fx_plain_note, (void *)9);
    fx_wait_cancelled(arg);
    pthread_cleanup_pop(0);
    return NULL;
}

static const char *fx_str(void)
{
    static char buf[64];
    size_t o = 0;
    buf[0] = 0;
    int n = atomic_load(&fx_nlog);
    for (int i = 0; i < n && i < 8; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d", i ? " " : "", atomic_load(&fx_log[i]));
    return buf;
}

static void fx_reset(void)
{
    atomic_store(&fx_nlog, 0);
}

static void *fx_cancel_thread(void *arg)
{
    fx_wait_cancelled(arg);
    return NULL;
}

static void *fx_exit_thread(void *arg)
{
    (void)arg;
    fx_exit();
    return NULL;
}

static void *fx_pops_thread(void *arg)
{
    (void)arg;
    fx_pops();
    return (void *)3;
}
#endif

WT_TEST(cleanup_fexceptions)
{
#ifndef WEFT_PCANCEL_FX
    WT_SKIP("pcancel-fx.c (-fexceptions) not built in");
#else
    static atomic_int ready;
    fx_reset();
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, fx_cancel_thread, &ready));
    WT_WAIT_UNTIL(atomic_load(&ready) == 1, 30);
    WT_OK(pthread_cancel(t));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(fx_str(), "4 3 2 1");
    fx_reset();
    WT_OK(pthread_create(&t, NULL, fx_exit_thread, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)55);
    WT_STR_EQ(fx_str(), "5 2 1");
    fx_reset();
    WT_OK(pthread_create(&t, NULL, fx_pops_thread, NULL));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)3);
    WT_STR_EQ(fx_str(), "6");
    /* mixed frames, both ways: strictly innermost first */
    fx_reset();
    atomic_store(&ready, 0);
    WT_OK(pthread_create(&t, NULL, fx_mixed_outer_plain, &ready));
    WT_WAIT_UNTIL(atomic_load(&ready) == 1, 30);
    WT_OK(pthread_cancel(t));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(fx_str(), "4 3 2 1 9");
    fx_reset();
    atomic_store(&mixed_ready, 0);
    WT_OK(pthread_create(&t, NULL, fx_mixed_inner_plain, NULL));
    WT_WAIT_UNTIL(atomic_load(&mixed_ready) == 1, 30);
    WT_OK(pthread_cancel(t));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_STR_EQ(fx_str(), "7 8");
#endif
}

WT_MAIN(WT_ENTRY(cancel_esrch, 0, 60),
        WT_ENTRY(deferred_at_testcancel, 0, 60),
        WT_ENTRY(cancel_at_join, 0, 60),
        WT_ENTRY(cancel_pending_at_join, 0, 60),
        WT_ENTRY(cancel_at_sleeps, 0, 60),
        WT_ENTRY(cancel_at_cond_wait, 0, 60),
        WT_ENTRY(disabled_then_enabled, 0, 60),
        WT_ENTRY(state_type_values, 0, 60),
        WT_ENTRY(async_acts_without_a_point, 0, 60),
        WT_ENTRY(deferred_not_at_yield, 0, 60),
        WT_ENTRY(async_enable_acts_at_once, 0, 60),
        WT_ENTRY(cleanup_on_cancel, 0, 60),
        WT_ENTRY(cleanup_on_exit, 0, 60),
        WT_ENTRY(cleanup_pop, 0, 60),
        WT_ENTRY(cleanup_pop_then_cancel, 0, 60),
        WT_ENTRY(cleanup_then_key_destructors, 0, 60),
        WT_ENTRY(cancel_self_and_twice, 0, 60),
        WT_ENTRY(cleanup_defer_np, 0, 60),
        WT_ENTRY(cancel_races_exit, 0, 120),
        WT_ENTRY(cleanup_fexceptions, 0, 60))
