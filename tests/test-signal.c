/* test-signal.c - POSIX signals for weft threads, native API
 * (weft/signal.h): per-thread masks, weft_kill to a blocked (semaphore:
 * EINTR; condvar: no EINTR), sleeping, running, masked thread and in a
 * pipe read (EINTR, or a restart with SA_RESTART), process-directed
 * signals picking a thread that does not block them, staying pending
 * while all block them, sigwait consumers fed by a host thread, timeouts,
 * sigsuspend, abort, the reserved signals, and a randomized stress of
 * real-time signals under load where every one is accounted for. */
#include "runner.h"

#define SIG_A SIGUSR1
#define SIG_B SIGUSR2

static atomic_int hits;           /* handler calls */
static _Atomic weft_t hit_thread; /* weft_self() in the last one */
static atomic_long hit_stack;     /* address of a local of the last one */
static atomic_int hit_sig, hit_value, hit_code;

static void on_sig(int sig)
{
    int local;
    atomic_store(&hit_thread, weft_self());
    atomic_store(&hit_stack, (long)(intptr_t)&local);
    atomic_store(&hit_sig, sig);
    atomic_fetch_add(&hits, 1);
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    atomic_store(&hit_value, si->si_value.sival_int);
    atomic_store(&hit_code, si->si_code);
    on_sig(sig);
}

static void handle(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    WT_OK(weft_sigaction(sig, &sa, NULL));
}

static void dispose(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    WT_OK(weft_sigaction(sig, &sa, NULL));
}

static sigset_t one(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return s;
}

/* Fresh per-test state: the caller's mask empty, counters zero. */
static void reset(void)
{
    sigset_t e;
    sigemptyset(&e);
    WT_OK(weft_sigmask(SIG_SETMASK, &e, NULL));
    atomic_store(&hits, 0);
    atomic_store(&hit_thread, 0);
    atomic_store(&hit_sig, 0);
}

static int is_blocked(int sig)
{
    sigset_t cur;
    WT_OK(weft_sigmask(SIG_BLOCK, NULL, &cur));
    return sigismember(&cur, sig);
}

/* ---- masks ---- */

static void *report_mask(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(is_blocked(SIG_A) * 2 + is_blocked(SIG_B));
}

WT_TEST(mask_per_thread)
{
    reset();
    sigset_t s = one(SIG_A), old;
    WT_ERR(weft_sigmask(12345, &s, NULL), EINVAL);
    WT_OK(weft_sigmask(12345, NULL, &old)); /* how is ignored without a set */
    WT_OK(weft_sigmask(SIG_BLOCK, &s, &old));
    WT_EQ(sigismember(&old, SIG_A), 0);
    WT_EQ(is_blocked(SIG_A), 1);
    /* a new thread starts with its creator's mask */
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, report_mask, NULL));
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, 2);
    s = one(SIG_B);
    WT_OK(weft_sigmask(SIG_SETMASK, &s, NULL));
    WT_OK(weft_create(&t, NULL, report_mask, NULL));
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, 1);
    WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
    WT_EQ(is_blocked(SIG_B), 0);
    /* SIGKILL, SIGSTOP and weft's own signals are never blocked */
    sigset_t all;
    sigfillset(&all);
    WT_OK(weft_sigmask(SIG_SETMASK, &all, NULL));
    WT_OK(weft_sigmask(SIG_SETMASK, NULL, &old));
    WT_EQ(sigismember(&old, SIGKILL), 0);
    WT_EQ(sigismember(&old, SIGSTOP), 0);
    WT_EQ(sigismember(&old, weft_sigrtmax() + 1), 0);
    WT_EQ(sigismember(&old, weft_sigrtmax() + 2), 0);
    WT_EQ(sigismember(&old, weft_sigrtmax()), 1);
    WT_EQ(sigismember(&old, SIGTERM), 1);
    reset();
}

/* ---- weft_kill: errors, self ---- */

static void *ret_arg(void *arg) { return arg; }

WT_TEST(kill_errors)
{
    reset();
    handle(SIG_A, 0);
    WT_ERR(weft_kill(weft_self(), -1), EINVAL);
    WT_ERR(weft_kill(weft_self(), 65), EINVAL);
    WT_ERR(weft_kill(weft_self(), weft_sigrtmax() + 1), EINVAL); /* weft's */
    WT_ERR(weft_kill(weft_self(), 33), EINVAL);                  /* glibc's */
    WT_OK(weft_kill(weft_self(), 0));
    weft_t t;
    WT_OK(weft_create(&t, NULL, ret_arg, NULL));
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_kill(t, SIG_A), ESRCH);
    WT_ERR(weft_kill(t, 0), ESRCH);
    WT_ERR(weft_kill(0, SIG_A), ESRCH);
    union sigval v = {.sival_int = 1};
    WT_ERR(weft_sigqueue(t, SIG_A, v), ESRCH);
    WT_ERR(weft_sigqueue(weft_self(), 99, v), EINVAL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    WT_ERR(weft_sigaction(SIGKILL, &sa, NULL), EINVAL);
    WT_ERR(weft_sigaction(SIGSTOP, &sa, NULL), EINVAL);
    WT_ERR(weft_sigaction(0, &sa, NULL), EINVAL);
    WT_ERR(weft_sigaction(weft_sigrtmax() + 1, &sa, NULL), EINVAL);
    WT_ERR(weft_sigaction(weft_sigrtmax() + 2, NULL, &sa), EINVAL);
    WT_OK(weft_sigaction(SIGKILL, NULL, &sa)); /* asking is fine */
    WT_EQ(atomic_load(&hits), 0);
    WT_ERR(weft_sigpending(NULL), EINVAL);
    WT_ERR(weft_sigwait(NULL, NULL), EINVAL);
    WT_ERR(weft_sigtimedwait(NULL, NULL, NULL), -EINVAL);
    WT_ERR(weft_sigsuspend(NULL), EINVAL);
}

static void *kill_self(void *arg)
{
    (void)arg;
    int before = atomic_load(&hits);
    WT_OK(weft_kill(weft_self(), SIG_A));
    /* the handler ran on this thread before weft_kill returned */
    WT_EQ(atomic_load(&hits), before + 1);
    WT_EQ_U64(atomic_load(&hit_thread), weft_self());
    union sigval v = {.sival_int = 77};
    WT_OK(weft_sigqueue(weft_self(), SIG_A, v));
    WT_EQ(atomic_load(&hits), before + 2);
    WT_EQ(atomic_load(&hit_value), 77);
    WT_EQ(atomic_load(&hit_code), SI_QUEUE);
    return NULL;
}

WT_TEST(kill_self)
{
    reset();
    handle(SIG_A, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, kill_self, NULL));
    WT_OK(weft_join(t, NULL));
    kill_self(NULL); /* a bound thread (main) too */
}

/* ---- a masked thread ---- */

static atomic_int stage;

static void *masked(void *arg)
{
    (void)arg;
    sigset_t s = one(SIG_A), p;
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 2)
        weft_sleep(WT_MS);
    /* pending, not run */
    WT_EQ(atomic_load(&hits), 0);
    WT_OK(weft_sigpending(&p));
    WT_EQ(sigismember(&p, SIG_A), 1);
    WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
    /* run before weft_sigmask returned, on this thread */
    WT_EQ(atomic_load(&hits), 1);
    WT_EQ_U64(atomic_load(&hit_thread), weft_self());
    WT_OK(weft_sigpending(&p));
    WT_EQ(sigismember(&p, SIG_A), 0);
    return NULL;
}

WT_TEST(kill_masked)
{
    reset();
    handle(SIG_A, 0);
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, masked, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    WT_OK(weft_kill(t, SIG_A)); /* a standard signal merges */
    weft_sleep(20 * WT_MS);
    atomic_store(&stage, 2);
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&hits), 1);
}

/* ---- blocked in a semaphore: EINTR ---- */

static weft_sem_t sem;

static void *sem_waiter(void *arg)
{
    (void)arg;
    atomic_store(&stage, 1);
    return (void *)(intptr_t)weft_sem_wait(&sem);
}

WT_TEST(kill_sem_eintr)
{
    reset();
    handle(SIG_A, SA_RESTART); /* sem_wait fails with EINTR all the same */
    WT_OK(weft_sem_init(&sem, 0));
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, sem_waiter, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1 && wt_dump_waiting_on("sem", &sem) == 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, EINTR);
    WT_EQ(atomic_load(&hits), 1);
    WT_EQ_U64(atomic_load(&hit_thread), t);
    WT_OK(weft_sem_destroy(&sem));
}

/* ---- blocked in a condvar: the handler runs, the wait goes on ---- */

static weft_mutex_t mu;
static weft_cond_t cv;
static int ready;

static void *cond_waiter(void *arg)
{
    (void)arg;
    WT_OK(weft_mutex_lock(&mu));
    atomic_store(&stage, 1);
    while (!ready)
        WT_OK(weft_cond_wait(&cv, &mu)); /* never EINTR */
    WT_OK(weft_mutex_unlock(&mu));
    return NULL;
}

WT_TEST(kill_cond_no_eintr)
{
    reset();
    handle(SIG_A, 0);
    WT_OK(weft_mutex_init(&mu, NULL));
    WT_OK(weft_cond_init(&cv, NULL));
    ready = 0;
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, cond_waiter, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1 && wt_dump_waiting_on("cond", &cv) == 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    WT_WAIT_UNTIL(atomic_load(&hits) == 1, 10);
    WT_EQ_U64(atomic_load(&hit_thread), t);
    /* still waiting for the predicate */
    WT_WAIT_UNTIL(wt_dump_waiting_on("cond", &cv) == 1, 10);
    WT_OK(weft_mutex_lock(&mu));
    ready = 1;
    WT_OK(weft_cond_signal(&cv));
    WT_OK(weft_mutex_unlock(&mu));
    WT_OK(weft_join(t, NULL));
}

/* ---- sleeping: EINTR with the time left ---- */

static void *sleeper(void *arg)
{
    struct timespec *rem = arg, req = {10, 0};
    atomic_store(&stage, 1);
    return (void *)(intptr_t)weft_nanosleep(&req, rem);
}

WT_TEST(kill_sleeping)
{
    reset();
    handle(SIG_A, SA_RESTART); /* no restart for a sleep */
    atomic_store(&stage, 0);
    struct timespec rem = {0, 0};
    weft_t t;
    WT_OK(weft_create(&t, NULL, sleeper, &rem));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    weft_sleep(20 * WT_MS);
    uint64_t t0 = wt_clock_ns();
    WT_OK(weft_kill(t, SIG_A));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_LT(wt_clock_ns() - t0, 5000 * WT_MS);
    WT_EQ((intptr_t)r, EINTR);
    WT_EQ(atomic_load(&hits), 1);
    WT_GT(rem.tv_sec * 1000000000ll + rem.tv_nsec, 4000 * (long long)WT_MS);
    WT_LE(rem.tv_sec, 10);
}

/* ---- running on another vCPU ---- */

static char run_stack[256 * 1024] __attribute__((aligned(64)));

static void *spinner(void *arg)
{
    (void)arg;
    atomic_store(&stage, 1);
    while (atomic_load(&hits) == 0)
        weft_yield(); /* program code, entering weft now and then */
    return NULL;
}

/* Kill a thread running fn on its own stack once it has started; its
 * handler runs once, as that thread, on that stack. */
static void kill_running_case(void *(*fn)(void *))
{
    reset();
    handle(SIG_A, 0);
    atomic_store(&stage, 0);
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setstack(&a, run_stack, sizeof run_stack));
    weft_t t;
    WT_OK(weft_create(&t, &a, fn, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    WT_OK(weft_join(t, NULL)); /* the test's timeout bounds it */
    WT_EQ(atomic_load(&hits), 1);
    WT_EQ_U64(atomic_load(&hit_thread), t);
    long sp = atomic_load(&hit_stack);
    WT_ASSERT(sp > (long)(intptr_t)run_stack && sp < (long)(intptr_t)(run_stack + sizeof run_stack));
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(kill_running)
{
    if (weft_vcpu_count() < 2)
        WT_SKIP("needs 2 vCPUs");
    kill_running_case(spinner);
}

/* A thread spinning in its own code, never calling into weft: the
 * signal reaches it through the preemption tick (wf_preempt_kick), at a
 * safe point, within a tick or so, on its own stack. Without asynchronous
 * preemption (sanitizers, valgrind) it would spin forever: skipped. */
static void *pure_spinner(void *arg)
{
    (void)arg;
    atomic_store(&stage, 1);
    while (atomic_load(&hits) == 0)
        ; /* no weft call */
    return NULL;
}

WT_TEST(kill_running_no_weft_calls)
{
    if (weft_preempt_mode() != WEFT_PREEMPT_ASYNC)
        WT_SKIP("preemption is not asynchronous here (mode %d)", weft_preempt_mode());
    kill_running_case(pure_spinner);
}

/* ---- in a pipe read: EINTR, or a restart with SA_RESTART ---- */

static int pfd[2];

static void *reader(void *arg)
{
    (void)arg;
    char c = 0;
    atomic_store(&stage, 1);
    ssize_t n = weft_read(pfd[0], &c, 1);
    if (n < 0)
        return (void *)(intptr_t)-errno;
    return (void *)(intptr_t)c;
}

static void pipe_case(int restart)
{
    reset();
    handle(SIG_A, restart ? SA_RESTART : 0);
    WT_OK(pipe(pfd));
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, reader, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    weft_sleep(30 * WT_MS); /* in the read */
    WT_OK(weft_kill(t, SIG_A));
    WT_WAIT_UNTIL(atomic_load(&hits) == 1, 10);
    weft_sleep(20 * WT_MS);
    WT_EQ(weft_write(pfd[1], "x", 1), 1);
    void *r;
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, restart ? 'x' : -EINTR);
    WT_EQ_U64(atomic_load(&hit_thread), t);
    close(pfd[0]);
    close(pfd[1]);
}

WT_TEST(kill_read_eintr) { pipe_case(0); }
WT_TEST(kill_read_restart) { pipe_case(1); }

/* ---- sigsuspend ---- */

static void *suspender(void *arg)
{
    (void)arg;
    sigset_t s = one(SIG_A), e;
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    atomic_store(&stage, 1);
    sigemptyset(&e);
    int rc = weft_sigsuspend(&e);
    WT_EQ(is_blocked(SIG_A), 1); /* the old mask is back */
    return (void *)(intptr_t)rc;
}

WT_TEST(sigsuspend_wakes)
{
    reset();
    handle(SIG_A, 0);
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, suspender, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(&hits), 0);
    WT_OK(weft_kill(t, SIG_A));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, EINTR);
    WT_EQ(atomic_load(&hits), 1);
}

/* ---- process-directed signals ---- */

static atomic_int quit;

static void *idler(void *arg)
{
    if (arg) {
        sigset_t s = one(SIG_A);
        WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    } else {
        sigset_t s = one(SIG_A);
        WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
    }
    atomic_fetch_add(&stage, 1);
    while (!atomic_load(&quit))
        weft_sleep(WT_MS);
    return NULL;
}

WT_TEST(process_picks_unblocked)
{
    reset();
    handle(SIG_A, 0);
    sigset_t s = one(SIG_A);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL)); /* main (and so the threads) */
    atomic_store(&stage, 0);
    atomic_store(&quit, 0);
    weft_t blocker, taker;
    WT_OK(weft_create(&blocker, NULL, idler, (void *)1));
    WT_OK(weft_create(&taker, NULL, idler, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 2, 10);
    for (int i = 1; i <= 20; i++) {
        WT_OK(kill(getpid(), SIG_A));
        WT_WAIT_UNTIL(atomic_load(&hits) == i, 10);
        WT_EQ_U64(atomic_load(&hit_thread), taker);
    }
    atomic_store(&quit, 1);
    WT_OK(weft_join(blocker, NULL));
    WT_OK(weft_join(taker, NULL));
    reset();
}

static void *unblock_later(void *arg)
{
    (void)arg;
    atomic_store(&stage, 1);
    while (atomic_load(&stage) != 2)
        weft_sleep(WT_MS);
    sigset_t s = one(SIG_B);
    WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
    WT_WAIT_UNTIL(atomic_load(&hits) == 1, 10);
    return NULL;
}

WT_TEST(process_pending_until_unblocked)
{
    reset();
    handle(SIG_B, 0);
    sigset_t s = one(SIG_B), p;
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, unblock_later, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1, 10);
    WT_OK(kill(getpid(), SIG_B));
    WT_WAIT_UNTIL((weft_sigpending(&p), sigismember(&p, SIG_B) == 1), 10);
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(&hits), 0);
    atomic_store(&stage, 2);
    WT_OK(weft_join(t, NULL));
    WT_EQ_U64(atomic_load(&hit_thread), t);
    WT_OK(weft_sigpending(&p));
    WT_EQ(sigismember(&p, SIG_B), 0);
    reset();
}

/* SIG_DFL SIGTERM blocked by every thread stays pending (the process
 * lives); sigwait takes it. */
WT_TEST(default_blocked_stays_pending)
{
    reset();
    dispose(SIGTERM, SIG_DFL);
    sigset_t s = one(SIGTERM);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    WT_OK(kill(getpid(), SIGTERM));
    int sig = 0;
    WT_OK(weft_sigwait(&s, &sig));
    WT_EQ(sig, SIGTERM);
    reset();
}

static void *term_me(void *arg)
{
    (void)arg;
    kill(getpid(), SIGTERM);
    weft_sleep(5000 * WT_MS);
    return NULL;
}

static void die_by_term(void *arg)
{
    (void)arg;
    sigset_t s = one(SIGTERM);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL)); /* caught now, and pending */
    weft_t t;
    WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
    WT_OK(weft_create(&t, NULL, term_me, NULL));
    weft_join(t, NULL);
    _exit(3); /* not reached */
}

WT_TEST(default_action_kills)
{
    struct wt_child c;
    wt_fork(&c, 30, die_by_term, NULL);
    WT_ASSERTF(wt_child_signal(&c) == SIGTERM, "child %s", wt_child_describe(&c));
    wt_child_free(&c);
}

/* ---- abort from a weft thread ---- */

static void on_abrt(int sig)
{
    (void)sig;
    _exit(42);
}

static void *aborter(void *arg)
{
    (void)arg;
    abort();
}

static void abort_child(void *arg)
{
    if (arg)
        dispose(SIGABRT, on_abrt);
    weft_t t;
    WT_OK(weft_create(&t, NULL, aborter, NULL));
    weft_join(t, NULL);
    _exit(3);
}

WT_TEST(abort_handled)
{
    struct wt_child c;
    wt_fork(&c, 30, abort_child, (void *)1);
    WT_ASSERTF(wt_child_exit(&c) == 42, "child %s", wt_child_describe(&c));
    wt_child_free(&c);
    wt_fork(&c, 30, abort_child, NULL);
    WT_ASSERTF(wt_child_signal(&c) == SIGABRT, "child %s", wt_child_describe(&c));
    wt_child_free(&c);
}

/* ---- sigwait ---- */

WT_TEST(sigtimedwait_timeout)
{
    reset();
    sigset_t s = one(SIG_B);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    struct timespec ts = {0, 50 * 1000 * 1000};
    uint64_t t0 = wt_clock_ns();
    WT_ERR(weft_sigtimedwait(&s, NULL, &ts), -EAGAIN);
    WT_GE(wt_clock_ns() - t0, 45 * WT_MS);
    ts.tv_nsec = 0;
    WT_ERR(weft_sigtimedwait(&s, NULL, &ts), -EAGAIN); /* a poll */
    ts.tv_nsec = 1000000000L;
    WT_ERR(weft_sigtimedwait(&s, NULL, &ts), -EINVAL);
    /* one pending for the thread is taken at once, with its value */
    union sigval v = {.sival_int = 5};
    WT_OK(weft_sigqueue(weft_self(), SIG_B, v));
    siginfo_t si;
    ts.tv_nsec = 0;
    WT_EQ(weft_sigtimedwait(&s, &si, &ts), SIG_B);
    WT_EQ(si.si_value.sival_int, 5);
    WT_EQ(si.si_code, SI_QUEUE);
    reset();
}

#define NWAITERS 4
static atomic_int got_count;
static atomic_uchar got[4096];
static int sig_rt;

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t s = one(sig_rt);
    sigaddset(&s, SIG_B);
    for (;;) {
        siginfo_t si;
        int r = weft_sigwaitinfo(&s, &si);
        WT_GT(r, 0);
        if (r == SIG_B)
            return NULL; /* the end */
        WT_EQ(r, sig_rt);
        int v = si.si_value.sival_int;
        WT_ASSERT(v >= 0 && v < 4096);
        WT_EQ(atomic_fetch_add(&got[v], 1), 0); /* each exactly once */
        atomic_fetch_add(&got_count, 1);
    }
}

struct sender {
    int n;
    int sig;
};

/* How many signals may be in flight. ThreadSanitizer keeps one pending
 * signal per number and host thread until that thread next enters its
 * runtime, so real-time signals merge there: one at a time under it. */
#ifdef __SANITIZE_THREAD__
#define IN_FLIGHT 0
#else
#define IN_FLIGHT 200
#endif

/* A host thread (glibc's pthread_create here: not a weft thread) sending
 * n real-time signals with values 0..n-1, a few hundred in flight at most
 * (the kernel's queue limit). */
static void *send_n(void *arg)
{
    struct sender *s = arg;
    for (int i = 0; i < s->n; i++) {
        while (i - atomic_load(&got_count) > IN_FLIGHT)
            usleep(100);
        union sigval v = {.sival_int = i};
        while (sigqueue(getpid(), s->sig, v) != 0)
            usleep(100); /* EAGAIN: the queue is full */
    }
    return NULL;
}

WT_TEST(sigwait_consumers)
{
    reset();
    sig_rt = SIGRTMIN + 1;
    sigset_t s = one(sig_rt);
    sigaddset(&s, SIG_B);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL)); /* everyone blocks them */
    memset(got, 0, sizeof got);
    atomic_store(&got_count, 0);
    weft_t w[NWAITERS];
    for (int i = 0; i < NWAITERS; i++)
        WT_OK(weft_create(&w[i], NULL, waiter, NULL));
    struct sender sd = {(int)wt_scaled(2000), sig_rt};
    pthread_t h;
    WT_OK(pthread_create(&h, NULL, send_n, &sd));
    WT_WAIT_UNTIL(atomic_load(&got_count) == sd.n, 60);
    WT_OK(pthread_join(h, NULL));
    for (int i = 0; i < NWAITERS; i++)
        WT_OK(weft_kill(w[i], SIG_B));
    for (int i = 0; i < NWAITERS; i++)
        WT_OK(weft_join(w[i], NULL));
    for (int i = 0; i < sd.n; i++)
        WT_EQ(atomic_load(&got[i]), 1);
    reset();
}

/* A handler of a signal outside the set ends weft_sigwaitinfo with EINTR;
 * weft_sigwait goes on waiting (POSIX lets neither be restarted by
 * SA_RESTART; sigwait never fails with EINTR). */
static void *waitinfo_b(void *arg)
{
    sigset_t s = one(SIG_B);
    if (arg) {
        int sig = 0;
        int rc = weft_sigwait(&s, &sig);
        return (void *)(intptr_t)(rc ? -rc : sig);
    }
    atomic_store(&stage, 1);
    return (void *)(intptr_t)weft_sigwaitinfo(&s, NULL);
}

WT_TEST(sigwait_vs_other_handler)
{
    reset();
    handle(SIG_A, SA_RESTART);
    sigset_t b = one(SIG_B);
    WT_OK(weft_sigmask(SIG_BLOCK, &b, NULL)); /* inherited */
    atomic_store(&stage, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, waitinfo_b, NULL));
    WT_WAIT_UNTIL(atomic_load(&stage) == 1 && wt_dump_count("sigwait") >= 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, -EINTR);
    WT_EQ(atomic_load(&hits), 1);
    /* weft_sigwait: the handler runs, the wait goes on until SIG_B */
    WT_OK(weft_create(&t, NULL, waitinfo_b, (void *)1));
    WT_WAIT_UNTIL(wt_dump_count("sigwait") >= 1, 10);
    WT_OK(weft_kill(t, SIG_A));
    WT_WAIT_UNTIL(atomic_load(&hits) == 2, 10);
    weft_sleep(20 * WT_MS);
    WT_EQ(wt_dump_count("sigwait"), 1);
    WT_OK(weft_kill(t, SIG_B));
    WT_OK(weft_join(t, &r));
    WT_EQ((intptr_t)r, SIG_B);
    reset();
}

/* SA_RESETHAND, SA_NODEFER and sa_mask: the mask while the handler runs,
 * and the disposition after it */
static atomic_int in_mask_a, in_mask_b, nested;

static void on_probe(int sig)
{
    (void)sig;
    in_mask_a = is_blocked(SIG_A);
    in_mask_b = is_blocked(SIG_B);
    if (atomic_fetch_add(&nested, 1) == 0)
        weft_kill(weft_self(), SIG_A); /* runs now only with SA_NODEFER */
    atomic_fetch_add(&hits, 1);
}

WT_TEST(handler_flags)
{
    reset();
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_probe;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIG_B);
    WT_OK(weft_sigaction(SIG_A, &sa, NULL));
    atomic_store(&nested, 0);
    WT_OK(weft_kill(weft_self(), SIG_A));
    /* deferred: the nested one ran after the first returned */
    WT_EQ(atomic_load(&hits), 2);
    WT_EQ(is_blocked(SIG_A), 0);
    WT_EQ(is_blocked(SIG_B), 0); /* the mask from before is back */
    /* SA_NODEFER: not blocked inside; sa_mask still is */
    sa.sa_flags = SA_NODEFER;
    WT_OK(weft_sigaction(SIG_A, &sa, NULL));
    atomic_store(&nested, 0);
    atomic_store(&hits, 0);
    WT_OK(weft_kill(weft_self(), SIG_A));
    WT_EQ(atomic_load(&hits), 2);
    WT_EQ(atomic_load(&in_mask_b), 1);
    /* SA_RESETHAND: SIG_DFL once the handler starts */
    sa.sa_flags = SA_RESETHAND;
    sa.sa_handler = on_sig;
    WT_OK(weft_sigaction(SIG_A, &sa, NULL));
    atomic_store(&hits, 0);
    WT_OK(weft_kill(weft_self(), SIG_A));
    WT_EQ(atomic_load(&hits), 1);
    WT_OK(weft_sigaction(SIG_A, NULL, &old));
    WT_PTR_EQ((void *)old.sa_handler, (void *)SIG_DFL);
    /* the old action is reported as set */
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_info;
    WT_OK(weft_sigaction(SIG_A, &sa, NULL));
    WT_OK(weft_sigaction(SIG_A, NULL, &old));
    WT_PTR_EQ((void *)old.sa_sigaction, (void *)on_info);
    WT_ASSERT(old.sa_flags & SA_SIGINFO);
    WT_EQ(sigismember(&old.sa_mask, SIG_B), 1);
    /* SIG_IGN: a kill is dropped */
    dispose(SIG_A, SIG_IGN);
    atomic_store(&hits, 0);
    WT_OK(weft_kill(weft_self(), SIG_A));
    WT_EQ(atomic_load(&hits), 0);
    reset();
}

/* ---- fork: the child gets a dispatcher of its own ---- */

static void child_sigwait(void *arg)
{
    (void)arg;
    sigset_t s = one(SIG_B), p;
    /* the mask came along, nothing pending did */
    WT_EQ(is_blocked(SIG_B), 1);
    WT_OK(weft_sigpending(&p));
    WT_EQ(sigismember(&p, SIG_B), 0);
    WT_OK(kill(getpid(), SIG_B));
    int sig = 0;
    WT_OK(weft_sigwait(&s, &sig));
    _exit(sig == SIG_B ? 0 : 2);
}

WT_TEST(fork_child_signals)
{
#ifdef __SANITIZE_THREAD__
    WT_SKIP("ThreadSanitizer does not start threads after a multi-threaded fork");
#endif
    reset();
    handle(SIG_B, 0); /* the parent's dispatcher runs */
    sigset_t s = one(SIG_B);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
    WT_OK(weft_kill(weft_self(), SIG_B)); /* pending here, not in the child */
    struct wt_child c;
    wt_fork(&c, 30, child_sigwait, NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s: %s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
    int sig = 0;
    WT_OK(weft_sigwait(&s, &sig));
    WT_EQ(sig, SIG_B);
    reset();
}

/* ---- the reserved signals ---- */

WT_TEST(reserved_invisible)
{
    reset();
    int top = weft_sigrtmax();
    WT_EQ(top, SIGRTMAX - 2);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    WT_ERR(weft_sigaction(top + 1, &sa, NULL), EINVAL);
    WT_ERR(weft_sigaction(top + 2, &sa, NULL), EINVAL);
    WT_OK(weft_sigaction(top, &sa, NULL));
    WT_ERR(weft_kill(weft_self(), top + 1), EINVAL);
    sigset_t s = one(top + 2), old;
    WT_OK(weft_sigmask(SIG_BLOCK, &s, &old));
    WT_OK(weft_sigmask(SIG_BLOCK, NULL, &old));
    WT_EQ(sigismember(&old, top + 2), 0);
    sa.sa_handler = SIG_DFL;
    WT_OK(weft_sigaction(top, &sa, NULL));
    reset();
}

/* ---- stress: real-time signals to the process under load ---- */

static atomic_int stress_seen[1 << 14];
static atomic_int stress_count, stress_quit;
static weft_sem_t stress_sem;

static void on_stress(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    int v = si->si_value.sival_int;
    if (v >= 0 && v < (1 << 14))
        atomic_fetch_add(&stress_seen[v], 1);
    atomic_fetch_add(&stress_count, 1);
}

/* Thread-directed signals in the stress: a killer thread sends SIG_A to
 * random workers; the handler finds which worker it runs on. */
#define STRESS_MAX 256
static weft_t stress_ts[STRESS_MAX];
static int stress_n;
static atomic_int stress_sent[STRESS_MAX], stress_got[STRESS_MAX], stress_stray;

static void on_stress_kill(int sig)
{
    (void)sig;
    weft_t me = weft_self();
    int n = __atomic_load_n(&stress_n, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (stress_ts[i] == me) {
            atomic_fetch_add(&stress_got[i], 1);
            return;
        }
    atomic_fetch_add(&stress_stray, 1);
}

static void *stress_killer(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    while (!atomic_load(&stress_quit)) {
        int i = (int)wt_rand_below(&seed, (uint64_t)__atomic_load_n(&stress_n, __ATOMIC_ACQUIRE));
        atomic_fetch_add(&stress_sent[i], 1);
        int rc = weft_kill(stress_ts[i], SIG_A);
        WT_ASSERTF(rc == 0, "weft_kill: %d", rc);
        if (wt_rand_below(&seed, 4) == 0)
            weft_sleep(50 * 1000);
        else
            weft_yield();
    }
    return NULL;
}

static void *stress_worker(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    sigset_t s = one(sig_rt), a = one(SIG_A);
    while (!__atomic_load_n(&stress_n, __ATOMIC_ACQUIRE))
        weft_yield();
    WT_OK(weft_sigmask(SIG_UNBLOCK, &a, NULL)); /* blocked at creation */
    while (!atomic_load(&stress_quit)) {
        switch (wt_rand_below(&seed, 6)) {
        case 0:
            weft_sleep(wt_rand_below(&seed, 300) * 1000);
            break;
        case 1:
            weft_yield();
            break;
        case 2: /* a while masked, then unmasked: what waited is delivered */
            WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL));
            weft_sleep(wt_rand_below(&seed, 200) * 1000);
            WT_OK(weft_sigmask(SIG_UNBLOCK, &s, NULL));
            break;
        case 3: {
            int r = weft_sem_trywait(&stress_sem);
            if (r == EAGAIN)
                weft_sem_post(&stress_sem);
            break;
        }
        case 4:
            wt_spin_ns(wt_rand_below(&seed, 50) * 1000);
            break;
        default: {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            weft_sem_timedwait(&stress_sem, &ts); /* EINTR or ETIMEDOUT or 0: all fine */
            break;
        }
        }
    }
    return NULL;
}

WT_TEST(stress_process_signals)
{
    reset();
    uint64_t seed = (uint64_t)wt_knob("seed", (long long)wt_clock_ns());
    printf("seed=%llu\n", (unsigned long long)seed);
    sig_rt = SIGRTMIN + 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_stress;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    WT_OK(weft_sigaction(sig_rt, &sa, NULL));
    sigset_t s = one(sig_rt);
    WT_OK(weft_sigmask(SIG_BLOCK, &s, NULL)); /* main never takes them */
    WT_OK(weft_sem_init(&stress_sem, 0));
    memset(stress_seen, 0, sizeof stress_seen);
    atomic_store(&stress_count, 0);
    atomic_store(&stress_quit, 0);
    int nthreads = (int)wt_knob("threads", 64);
    if (nthreads > STRESS_MAX)
        nthreads = STRESS_MAX;
    weft_t *ts = stress_ts;
    dispose(SIG_A, on_stress_kill);
    atomic_store(&stress_stray, 0);
    for (int i = 0; i < nthreads; i++) {
        atomic_store(&stress_sent[i], 0);
        atomic_store(&stress_got[i], 0);
    }
    /* workers must not take SIG_A before stress_n is set: they inherit
     * main's mask with it blocked, and unblock it once it is */
    sigset_t a = one(SIG_A);
    WT_OK(weft_sigmask(SIG_BLOCK, &a, NULL));
    for (int i = 0; i < nthreads; i++) {
        WT_OK(weft_create(&ts[i], NULL, stress_worker, (void *)(uintptr_t)(wt_rand(&seed) | 1)));
    }
    __atomic_store_n(&stress_n, nthreads, __ATOMIC_RELEASE);
    weft_t killer;
    WT_OK(weft_create(&killer, NULL, stress_killer, (void *)(uintptr_t)(wt_rand(&seed) | 1)));
    struct sender sd = {(int)wt_scaled(wt_knob("signals", 5000)), sig_rt};
    if (sd.n > (1 << 14))
        sd.n = 1 << 14;
    /* send_n paces on got_count: alias it to what the handler counts */
    atomic_store(&got_count, 0);
    pthread_t h;
    WT_OK(pthread_create(&h, NULL, send_n, &sd));
    /* at least `ms` of load (thread-directed signals go on meanwhile),
     * at most a minute */
    uint64_t start = wt_clock_ns(), end = start + 60000 * WT_MS;
    uint64_t least = start + (uint64_t)wt_knob("ms", 1000) * WT_MS;
    while ((atomic_load(&stress_count) < sd.n || wt_clock_ns() < least) && wt_clock_ns() < end) {
        atomic_store(&got_count, atomic_load(&stress_count));
        weft_sleep(WT_MS);
    }
    atomic_store(&got_count, 1 << 30);
    WT_OK(pthread_join(h, NULL));
    atomic_store(&stress_quit, 1);
    WT_OK(weft_join(killer, NULL));
    for (int i = 0; i < nthreads; i++)
        WT_OK(weft_join(ts[i], NULL));
    WT_EQ(atomic_load(&stress_count), sd.n);
    for (int i = 0; i < sd.n; i++)
        WT_EQ(atomic_load(&stress_seen[i]), 1);
    /* thread-directed: only on the thread named, never more often than
     * sent (standard signals merge; one pending at a thread's end is
     * dropped with it) */
    long sent = 0, got = 0;
    for (int i = 0; i < nthreads; i++) {
        WT_LE(atomic_load(&stress_got[i]), atomic_load(&stress_sent[i]));
        sent += atomic_load(&stress_sent[i]);
        got += atomic_load(&stress_got[i]);
    }
    WT_EQ(atomic_load(&stress_stray), 0);
    WT_GT(got, 0);
    printf("thread-directed: %ld sent, %ld handled\n", sent, got);
    __atomic_store_n(&stress_n, 0, __ATOMIC_RELEASE);
    WT_OK(weft_sem_destroy(&stress_sem));
    reset();
}

WT_MAIN(WT_ENTRY(mask_per_thread, 0, 30),
        WT_ENTRY(kill_errors, 0, 30),
        WT_ENTRY(kill_self, 0, 30),
        WT_ENTRY(kill_masked, 0, 30),
        WT_ENTRY(kill_sem_eintr, 0, 30),
        WT_ENTRY(kill_cond_no_eintr, 0, 30),
        WT_ENTRY(kill_sleeping, 0, 30),
        WT_ENTRY(kill_running, 0, 30),
        WT_ENTRY(kill_running_no_weft_calls, 0, 30),
        WT_ENTRY(kill_read_eintr, 0, 30),
        WT_ENTRY(kill_read_restart, 0, 30),
        WT_ENTRY(sigsuspend_wakes, 0, 30),
        WT_ENTRY(process_picks_unblocked, 0, 30),
        WT_ENTRY(process_pending_until_unblocked, 0, 30),
        WT_ENTRY(default_blocked_stays_pending, 0, 30),
        WT_ENTRY(default_action_kills, WT_FRESH, 60),
        WT_ENTRY(abort_handled, WT_FRESH, 60),
        WT_ENTRY(sigtimedwait_timeout, 0, 30),
        WT_ENTRY(sigwait_consumers, 0, 120),
        WT_ENTRY(reserved_invisible, 0, 30),
        WT_ENTRY(sigwait_vs_other_handler, 0, 30),
        WT_ENTRY(handler_flags, 0, 30),
        WT_ENTRY(fork_child_signals, 0, 60),
        WT_ENTRY(stress_process_signals, 0, 180))
