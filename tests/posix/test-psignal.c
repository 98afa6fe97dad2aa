/* test-psignal.c - pthread_kill (existence checks, EINVAL, a signal to
 * yourself handled before the call returns), raise, pthread_sigqueue,
 * pthread_sigmask, pthread_atfork around fork(), and the real-time signal
 * range left to the program; per-thread masks (docs/signals.md):
 * pthread_kill to a thread blocked in a condvar (no EINTR), a semaphore
 * (EINTR), a pipe read (EINTR, or a restart under SA_RESTART), a sleeping,
 * a running and a masked thread; kill() picking a thread that does not
 * block the signal; sigwait consumers fed by another process;
 * sigtimedwait; abort from a thread; from the POSIX assertions, through
 * glibc's headers against libweft-pthread. */
#include "runner.h"
#include "posix/ptest.h"
#include <semaphore.h>

static atomic_int gate;

static void *gated(void *arg)
{
    while (!atomic_load(&gate))
        usleep(500);
    return arg;
}

static void *ret_arg(void *arg) { return arg; }

/* Is t's line in weft_dump in state `state`? */
static int dump_state(pthread_t t, const char *state)
{
    uint64_t id;
    if (weft_getid((weft_t)t, &id))
        return 0;
    char start[48];
    snprintf(start, sizeof start, "\n%8llu  ", (unsigned long long)id);
    char *d = wt_dump_string();
    __asm__("" : "+r"(d));
    const char *l = strstr(d, start);
    int yes = 0;
    if (l) {
        const char *e = strchr(l + 1, '\n');
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(e ? e - l : (long)strlen(l)), l);
        char want[32];
        snprintf(want, sizeof want, " %s ", state);
        yes = strstr(line, want) != NULL;
    }
    free(d);
    return yes;
}

static void install(int sig, int info);

/* ---- pthread_kill(t, 0) ---- */
static atomic_int ending;

static void *end_soon(void *arg)
{
    atomic_store(&ending, 1);
    return arg;
}

WT_TEST(kill_zero)
{
    pthread_t t;
    /* alive */
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_kill(t, 0));
    WT_OK(pthread_kill(pthread_self(), 0));
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    /* joined: ESRCH */
    WT_ERR(pthread_kill(t, 0), ESRCH);
    /* ended, not joined yet: still "exists" */
    atomic_store(&ending, 0);
    WT_OK(pthread_create(&t, NULL, end_soon, (void *)3));
    WT_WAIT_UNTIL(atomic_load(&ending) == 1, 30);
    WT_WAIT_UNTIL(dump_state(t, "exited"), 30);
    WT_OK(pthread_kill(t, 0));
    /* a real signal to it too: nothing to deliver, no error (glibc) */
    install(SIGUSR1, 0);
    WT_OK(pthread_kill(t, SIGUSR1));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)3);
    WT_ERR(pthread_kill(t, 0), ESRCH);
    WT_ERR(pthread_kill((pthread_t)0x7fff12345678abcdull, 0), ESRCH);
}

WT_TEST(kill_einval)
{
    WT_ERR(pthread_kill(pthread_self(), -1), EINVAL);
    WT_ERR(pthread_kill(pthread_self(), NSIG), EINVAL);
    WT_ERR(pthread_kill(pthread_self(), 1000), EINVAL);
    /* the runtime's own signals (above the program's SIGRTMAX) and glibc's
     * internal ones (below SIGRTMIN) are not the program's to send, as
     * glibc's pthread_kill refuses its internal ones */
    for (int sig = SIGRTMAX + 1; sig < NSIG; sig++) {
        WT_ERR(pthread_kill(pthread_self(), sig), EINVAL);
        errno = 0;
        WT_EQ(raise(sig), -1);
        WT_ERR(errno, EINVAL);
    }
    for (int sig = 32; sig < SIGRTMIN; sig++)
        WT_ERR(pthread_kill(pthread_self(), sig), EINVAL);
    /* the program's range itself is fine */
    install(SIGRTMAX, 0);
    install(SIGRTMIN, 0);
    WT_OK(pthread_kill(pthread_self(), SIGRTMAX));
    WT_OK(pthread_kill(pthread_self(), SIGRTMIN));
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_ERR(pthread_kill(t, -5), EINVAL);
    WT_ERR(pthread_kill(t, NSIG + 1), EINVAL);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    /* an invalid signal to a gone thread: either error is allowed */
    int rc = pthread_kill(t, -1);
    WT_ASSERTF(rc == EINVAL || rc == ESRCH, "rc=%d", rc);
}

/* ---- a signal to yourself ---- */
static volatile sig_atomic_t handled;
static pthread_t handled_in;
static volatile int handled_value;

static void on_signal(int sig)
{
    handled = sig;
    handled_in = pthread_self();
}

static void on_siginfo(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    handled = sig;
    handled_value = si->si_value.sival_int;
    handled_in = pthread_self();
}

static void install(int sig, int info)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (info) {
        sa.sa_sigaction = on_siginfo;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = on_signal;
    }
    sigemptyset(&sa.sa_mask);
    WT_OK(sigaction(sig, &sa, NULL));
}

static void *kill_self(void *arg)
{
    int sig = (int)(intptr_t)arg;
    handled = 0;
    WT_OK(pthread_kill(pthread_self(), sig));
    /* "If the signal is ... delivered to the calling thread, ... the
     * handler shall have run before pthread_kill returns" (the signal is
     * unblocked and pending for this thread) */
    WT_EQ(handled, sig);
    WT_ASSERT(pthread_equal(handled_in, pthread_self()));
    return NULL;
}

WT_TEST(kill_self_handler_runs)
{
    install(SIGUSR1, 0);
    install(SIGUSR2, 0);
    kill_self((void *)(intptr_t)SIGUSR1); /* main */
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, kill_self, (void *)(intptr_t)SIGUSR2));
    WT_OK(pthread_join(t, NULL));
    /* a real-time signal from the program's range */
    int rt = SIGRTMIN + 1;
    install(rt, 0);
    WT_OK(pthread_create(&t, NULL, kill_self, (void *)(intptr_t)rt));
    WT_OK(pthread_join(t, NULL));
}

WT_TEST(raise_runs_handler)
{
    install(SIGUSR1, 0);
    handled = 0;
    WT_EQ(raise(SIGUSR1), 0);
    WT_EQ(handled, SIGUSR1);
    WT_ASSERT(pthread_equal(handled_in, pthread_self()));
    errno = 0;
    WT_EQ(raise(-1), -1);
    WT_ERR(errno, EINVAL);
    /* and raise(0) checks only */
    WT_EQ(raise(0), 0);
}

WT_TEST(sigqueue_self)
{
    install(SIGUSR2, 1);
    handled = 0;
    handled_value = 0;
    union sigval v = {.sival_int = 4242};
    WT_OK(pthread_sigqueue(pthread_self(), SIGUSR2, v));
    WT_EQ(handled, SIGUSR2);
    WT_EQ(handled_value, 4242);
    WT_ERR(pthread_sigqueue(pthread_self(), -1, v), EINVAL);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_sigqueue(t, SIGUSR2, v), ESRCH);
}

/* ---- pthread_sigmask ---- */
WT_TEST(sigmask_round_trip)
{
    install(SIGUSR1, 0);
    sigset_t set, old, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    WT_OK(pthread_sigmask(SIG_BLOCK, &set, &old));
    WT_ASSERT(!sigismember(&old, SIGUSR1));
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(sigismember(&cur, SIGUSR1));
    /* blocked: stays pending */
    handled = 0;
    WT_OK(pthread_kill(pthread_self(), SIGUSR1));
    WT_EQ(handled, 0);
    sigset_t pend;
    WT_OK(sigpending(&pend));
    WT_ASSERT(sigismember(&pend, SIGUSR1));
    /* unblocking delivers it before pthread_sigmask returns */
    WT_OK(pthread_sigmask(SIG_UNBLOCK, &set, &cur));
    WT_EQ(handled, SIGUSR1);
    WT_ASSERT(sigismember(&cur, SIGUSR1)); /* old mask of that call */
    WT_OK(pthread_sigmask(SIG_SETMASK, NULL, &cur));
    WT_ASSERT(!sigismember(&cur, SIGUSR1));
    /* SIG_SETMASK sets exactly */
    WT_OK(pthread_sigmask(SIG_SETMASK, &set, NULL));
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(sigismember(&cur, SIGUSR1));
    WT_OK(pthread_sigmask(SIG_SETMASK, &old, NULL));
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(!sigismember(&cur, SIGUSR1));
    /* blocking "everything" leaves the runtime's reserved signals (above
     * SIGRTMAX) deliverable, as glibc does with its internal ones */
    sigset_t all;
    sigfillset(&all);
    WT_OK(pthread_sigmask(SIG_BLOCK, &all, &old));
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGRTMAX));
    for (int sig = SIGRTMAX + 1; sig < NSIG; sig++)
        WT_ASSERTF(!sigismember(&cur, sig), "signal %d blocked", sig);
    WT_OK(pthread_sigmask(SIG_SETMASK, &all, NULL));
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    for (int sig = SIGRTMAX + 1; sig < NSIG; sig++)
        WT_ASSERTF(!sigismember(&cur, sig), "signal %d blocked", sig);
    WT_OK(pthread_sigmask(SIG_SETMASK, &old, NULL));
    /* a bad how: EINVAL, mask unchanged */
    WT_ERR(pthread_sigmask(12345, &set, NULL), EINVAL);
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(!sigismember(&cur, SIGUSR1));
}

/* ---- pthread_atfork ---- */
static char forklog[64];
static atomic_int nfork;

static void fl(char c)
{
    int i = atomic_fetch_add(&nfork, 1);
    if (i < 63)
        forklog[i] = c;
}
static void prep1(void) { fl('p'); }
static void prep2(void) { fl('P'); }
static void par1(void) { fl('a'); }
static void par2(void) { fl('A'); }
static void chi1(void) { fl('c'); }
static void chi2(void) { fl('C'); }

WT_TEST(atfork_handlers)
{
    WT_OK(pthread_atfork(prep1, par1, chi1));
    WT_OK(pthread_atfork(prep2, par2, chi2));
    WT_OK(pthread_atfork(NULL, NULL, NULL));
    memset(forklog, 0, sizeof forklog);
    atomic_store(&nfork, 0);
    wt_flush();
    pid_t pid = fork();
    WT_ASSERT(pid >= 0);
    if (pid == 0) {
        /* prepare in reverse order of registration, child in order */
        _exit(strcmp(forklog, "Ppc" "C") == 0 ? 0 : 1);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    /* parent: prepare reversed, then parent handlers in order */
    WT_STR_EQ(forklog, "PpaA");
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child's handlers out of order (status 0x%x)",
               st);
}

/* ---- the real-time signals left to the program ---- */
WT_TEST(sigrtmax)
{
    /* the kernel has 64 signals; weft keeps the top two */
    WT_EQ(SIGRTMAX, 64 - 2);
    WT_EQ(__libc_current_sigrtmax(), 62);
    WT_GE(SIGRTMIN, 32);
    WT_LT(SIGRTMIN, SIGRTMAX);
}

/* sigprocmask: the same mask as pthread_sigmask (the calling thread's), -1
 * with errno for a bad `how`, and the runtime's reserved signals never
 * blocked. */
WT_TEST(sigprocmask_like_pthread_sigmask)
{
    install(SIGUSR2, 0);
    sigset_t set, old, cur, all;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    WT_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(sigismember(&cur, SIGUSR2));
    errno = 0;
    WT_EQ(sigprocmask(12345, &set, NULL), -1);
    WT_EQ(errno, EINVAL);
    sigfillset(&all);
    WT_EQ(sigprocmask(SIG_SETMASK, &all, NULL), 0);
    WT_EQ(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
    for (int sig = SIGRTMAX + 1; sig < NSIG; sig++)
        WT_ASSERTF(!sigismember(&cur, sig), "signal %d blocked", sig);
    WT_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_ASSERT(!sigismember(&cur, SIGUSR2));
}

/* ---- per-thread signals (docs/signals.md) ---- */

static atomic_int nhits;
static pthread_t hit_by;
static atomic_long hit_sp;

static void on_hit(int sig)
{
    (void)sig;
    int local;
    hit_by = pthread_self();
    atomic_store(&hit_sp, (long)(intptr_t)&local);
    atomic_fetch_add(&nhits, 1);
}

static void hit_handler(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hit;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    WT_OK(sigaction(sig, &sa, NULL));
    atomic_store(&nhits, 0);
}

static void unmask_all(void)
{
    sigset_t e;
    sigemptyset(&e);
    WT_OK(pthread_sigmask(SIG_SETMASK, &e, NULL));
}

static atomic_int step;

static void *masked_then_not(void *arg)
{
    (void)arg;
    sigset_t s, p;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    atomic_store(&step, 1);
    while (atomic_load(&step) != 2)
        usleep(1000);
    WT_EQ(atomic_load(&nhits), 0);
    WT_OK(sigpending(&p));
    WT_EQ(sigismember(&p, SIGUSR1), 1);
    WT_OK(pthread_sigmask(SIG_UNBLOCK, &s, NULL));
    WT_EQ(atomic_load(&nhits), 1);
    WT_ASSERT(pthread_equal(hit_by, pthread_self()));
    return NULL;
}

WT_TEST(kill_masked_thread)
{
    unmask_all();
    hit_handler(SIGUSR1, 0);
    atomic_store(&step, 0);
    pthread_t t = spawn(masked_then_not, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    WT_OK(pthread_kill(t, SIGUSR1));
    usleep(20000);
    atomic_store(&step, 2);
    join(t);
}

static sem_t psem;

static void *psem_waiter(void *arg)
{
    (void)arg;
    atomic_store(&step, 1);
    int r = sem_wait(&psem);
    return (void *)(intptr_t)(r == 0 ? 0 : errno);
}

WT_TEST(kill_sem_wait_eintr)
{
    unmask_all();
    hit_handler(SIGUSR1, SA_RESTART); /* EINTR all the same (POSIX) */
    WT_OK(sem_init(&psem, 0, 0));
    atomic_store(&step, 0);
    pthread_t t = spawn(psem_waiter, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    usleep(20000);
    WT_OK(pthread_kill(t, SIGUSR1));
    WT_EQ((intptr_t)join(t), EINTR);
    WT_EQ(atomic_load(&nhits), 1);
    WT_ASSERT(pthread_equal(hit_by, t));
    sem_destroy(&psem);
}

static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
static int pready;

static void *pcond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pm);
    atomic_store(&step, 1);
    while (!pready)
        WT_OK(pthread_cond_wait(&pc, &pm)); /* never EINTR */
    pthread_mutex_unlock(&pm);
    return NULL;
}

WT_TEST(kill_cond_wait_goes_on)
{
    unmask_all();
    hit_handler(SIGUSR2, 0);
    pready = 0;
    atomic_store(&step, 0);
    pthread_t t = spawn(pcond_waiter, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    usleep(20000);
    WT_OK(pthread_kill(t, SIGUSR2));
    WT_WAIT_UNTIL(atomic_load(&nhits) == 1, 10);
    WT_ASSERT(pthread_equal(hit_by, t));
    usleep(20000);
    pthread_mutex_lock(&pm);
    pready = 1;
    pthread_cond_signal(&pc);
    pthread_mutex_unlock(&pm);
    join(t);
}

static void *psleeper(void *arg)
{
    struct timespec *rem = arg, req = {10, 0};
    atomic_store(&step, 1);
    int r = nanosleep(&req, rem);
    return (void *)(intptr_t)(r == 0 ? 0 : errno);
}

WT_TEST(kill_sleeping_thread)
{
    unmask_all();
    hit_handler(SIGUSR1, SA_RESTART); /* a sleep is not restarted */
    atomic_store(&step, 0);
    struct timespec rem = {0, 0};
    pthread_t t = spawn(psleeper, &rem);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    usleep(20000);
    WT_OK(pthread_kill(t, SIGUSR1));
    WT_EQ((intptr_t)join(t), EINTR);
    WT_GT(rem.tv_sec * 1000000000ll + rem.tv_nsec, 4000000000ll);
    WT_LE(rem.tv_sec, 10);
}

static char pstack[256 * 1024] __attribute__((aligned(64)));

static void *pspinner(void *arg)
{
    (void)arg;
    atomic_store(&step, 1);
    while (atomic_load(&nhits) == 0)
        sched_yield();
    return NULL;
}

WT_TEST(kill_running_thread)
{
    if (weft_vcpu_count() < 2)
        WT_SKIP("needs 2 vCPUs");
    unmask_all();
    hit_handler(SIGUSR2, 0);
    atomic_store(&step, 0);
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setstack(&a, pstack, sizeof pstack));
    pthread_t t;
    WT_OK(pthread_create(&t, &a, pspinner, NULL));
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    WT_OK(pthread_kill(t, SIGUSR2));
    join(t);
    WT_EQ(atomic_load(&nhits), 1);
    WT_ASSERT(pthread_equal(hit_by, t));
    long sp = atomic_load(&hit_sp);
    WT_ASSERT(sp > (long)(intptr_t)pstack && sp < (long)(intptr_t)(pstack + sizeof pstack));
    pthread_attr_destroy(&a);
}

static int ppipe[2];

static void *preader(void *arg)
{
    (void)arg;
    char c = 0;
    atomic_store(&step, 1);
    ssize_t n = read(ppipe[0], &c, 1);
    return (void *)(intptr_t)(n < 0 ? -errno : c);
}

static void read_case(int restart)
{
    unmask_all();
    if (restart) {
        WT_ASSERT(signal(SIGUSR1, on_hit) != SIG_ERR); /* BSD: SA_RESTART */
        atomic_store(&nhits, 0);
    } else {
        hit_handler(SIGUSR1, 0);
    }
    WT_OK(pipe(ppipe));
    atomic_store(&step, 0);
    pthread_t t = spawn(preader, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    usleep(30000);
    WT_OK(pthread_kill(t, SIGUSR1));
    WT_WAIT_UNTIL(atomic_load(&nhits) == 1, 10);
    usleep(20000);
    WT_EQ(write(ppipe[1], "y", 1), 1);
    WT_EQ((intptr_t)join(t), restart ? 'y' : -EINTR);
    close(ppipe[0]);
    close(ppipe[1]);
}

static void *ppoller(void *arg)
{
    (void)arg;
    struct pollfd p = {ppipe[0], POLLIN, 0};
    atomic_store(&step, 1);
    int r = poll(&p, 1, 10000);
    return (void *)(intptr_t)(r < 0 ? -errno : r);
}

/* poll fails with EINTR, SA_RESTART or not */
WT_TEST(kill_poll_eintr)
{
    unmask_all();
    WT_ASSERT(signal(SIGUSR1, on_hit) != SIG_ERR); /* SA_RESTART */
    atomic_store(&nhits, 0);
    WT_OK(pipe(ppipe));
    atomic_store(&step, 0);
    pthread_t t = spawn(ppoller, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 1, 10);
    usleep(30000);
    uint64_t t0 = wt_clock_ns();
    WT_OK(pthread_kill(t, SIGUSR1));
    WT_EQ((intptr_t)join(t), -EINTR);
    WT_LT(wt_clock_ns() - t0, 5000 * WT_MS);
    WT_EQ(atomic_load(&nhits), 1);
    close(ppipe[0]);
    close(ppipe[1]);
}

WT_TEST(kill_read_eintr) { read_case(0); }
WT_TEST(kill_read_restarts) { read_case(1); }

static atomic_int pquit;

static void *blocks_or_not(void *arg)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    WT_OK(pthread_sigmask(arg ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL));
    atomic_fetch_add(&step, 1);
    while (!atomic_load(&pquit))
        usleep(1000);
    return NULL;
}

WT_TEST(process_signal_to_unblocked_thread)
{
    unmask_all();
    hit_handler(SIGUSR2, 0);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL)); /* main does not take it */
    atomic_store(&step, 0);
    atomic_store(&pquit, 0);
    pthread_t b = spawn(blocks_or_not, (void *)1), u = spawn(blocks_or_not, NULL);
    WT_WAIT_UNTIL(atomic_load(&step) == 2, 10);
    for (int i = 1; i <= 20; i++) {
        WT_OK(kill(getpid(), SIGUSR2));
        WT_WAIT_UNTIL(atomic_load(&nhits) == i, 10);
        WT_ASSERTF(pthread_equal(hit_by, u), "hit_by %lx, u %lx, b %lx, main %lx", (long)hit_by,
                   (long)u, (long)b, (long)pthread_self());
    }
    atomic_store(&pquit, 1);
    join(b);
    join(u);
    unmask_all();
}

/* sigwait consumers fed by another process */
#define PWAITERS 3
static atomic_int pgot_n;
static atomic_uchar pgot[1024];

static void *psigwaiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 3);
    sigaddset(&s, SIGUSR1);
    for (;;) {
        siginfo_t si;
        int r = sigwaitinfo(&s, &si);
        WT_GT(r, 0);
        if (r == SIGUSR1)
            return NULL;
        int v = si.si_value.sival_int;
        WT_ASSERT(v >= 0 && v < 1024);
        WT_EQ(atomic_fetch_add(&pgot[v], 1), 0);
        atomic_fetch_add(&pgot_n, 1);
    }
}

/* In the child: raw system calls only (the runtime did not come along). */
static void send_from_child(void *arg)
{
    int n = (int)(intptr_t)arg;
    pid_t parent = getppid();
    for (int i = 0; i < n; i++) {
        union sigval v = {.sival_int = i};
        while (sigqueue(parent, SIGRTMIN + 3, v) != 0)
            wt_spin_ns(100000);
        wt_spin_ns(20000);
    }
    _exit(0);
}

WT_TEST(sigwait_from_another_process)
{
    unmask_all();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 3);
    sigaddset(&s, SIGUSR1);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL)); /* every thread: inherited */
    memset(pgot, 0, sizeof pgot);
    atomic_store(&pgot_n, 0);
    pthread_t w[PWAITERS];
    for (int i = 0; i < PWAITERS; i++)
        w[i] = spawn(psigwaiter, NULL);
    int n = (int)wt_scaled(1000);
    struct wt_child c;
    wt_fork(&c, 60, send_from_child, (void *)(intptr_t)n);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s", wt_child_describe(&c));
    wt_child_free(&c);
    WT_WAIT_UNTIL(atomic_load(&pgot_n) == n, 30);
    for (int i = 0; i < PWAITERS; i++)
        WT_OK(pthread_kill(w[i], SIGUSR1));
    for (int i = 0; i < PWAITERS; i++)
        join(w[i]);
    for (int i = 0; i < n; i++)
        WT_EQ(atomic_load(&pgot[i]), 1);
    unmask_all();
}

WT_TEST(sigtimedwait_eagain)
{
    unmask_all();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    struct timespec ts = {0, 30000000};
    errno = 0;
    WT_EQ(sigtimedwait(&s, NULL, &ts), -1);
    WT_ERR(errno, EAGAIN);
    WT_OK(pthread_kill(pthread_self(), SIGUSR2));
    int sig = 0;
    WT_OK(sigwait(&s, &sig));
    WT_EQ(sig, SIGUSR2);
    unmask_all();
}

/* abort from a thread, in a fresh process: a SIGABRT handler that exits
 * with 42, or none and the process dies of SIGABRT */
static void on_abort_exit(int sig)
{
    (void)sig;
    _exit(42);
}

static void *call_abort(void *arg)
{
    (void)arg;
    abort();
}

WT_TEST(abort_child)
{
    child_only();
    if (getenv("WT_ABORT_HANDLED"))
        WT_ASSERT(signal(SIGABRT, on_abort_exit) != SIG_ERR);
    join(spawn(call_abort, NULL));
    _exit(3);
}

WT_TEST(abort_from_thread)
{
    struct wt_child c;
    run_self(&c, "abort_child", "WT_ABORT_HANDLED=1");
    WT_ASSERTF(wt_child_exit(&c) == 42, "child %s: %s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
    run_self(&c, "abort_child", NULL);
    WT_ASSERTF(wt_child_signal(&c) == SIGABRT, "child %s: %s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

/* kill of the own process by a thread that does not block the signal:
 * that thread takes it before kill returns (POSIX); sigqueue too */
static void *kill_own_process(void *arg)
{
    (void)arg;
    atomic_store(&nhits, 0);
    WT_OK(kill(getpid(), SIGUSR1));
    WT_EQ(atomic_load(&nhits), 1);
    WT_ASSERT(pthread_equal(hit_by, pthread_self()));
    union sigval v = {.sival_int = 3};
    WT_OK(sigqueue(getpid(), SIGUSR1, v));
    WT_EQ(atomic_load(&nhits), 2);
    return NULL;
}

WT_TEST(kill_own_process_runs_handler)
{
    unmask_all();
    hit_handler(SIGUSR1, 0);
    join(spawn(kill_own_process, NULL));
    kill_own_process(NULL);
    errno = 0;
    WT_EQ(kill(getpid(), SIGRTMAX + 1), -1); /* weft's */
    WT_ERR(errno, EINVAL);
    errno = 0;
    WT_EQ(kill(-12345678, SIGUSR1), -1);
    WT_ERR(errno, ESRCH);
}

static void *mask_bits(void *arg)
{
    (void)arg;
    sigset_t cur;
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    return (void *)(intptr_t)(sigismember(&cur, SIGUSR1) * 2 + sigismember(&cur, SIGUSR2));
}

/* pthread_attr_setsigmask_np: the new thread starts with that mask, the
 * creator keeps its own */
WT_TEST(attr_sigmask_applied)
{
    unmask_all();
    sigset_t s, cur;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setsigmask_np(&a, &s));
    pthread_t t;
    WT_OK(pthread_create(&t, &a, mask_bits, NULL));
    WT_EQ((intptr_t)join(t), 2);
    WT_OK(pthread_sigmask(SIG_BLOCK, NULL, &cur));
    WT_EQ(sigismember(&cur, SIGUSR1), 0);
    pthread_attr_destroy(&a);
    /* without it: the creator's */
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    WT_OK(pthread_sigmask(SIG_BLOCK, &s, NULL));
    WT_EQ((intptr_t)join(spawn(mask_bits, NULL)), 1);
    unmask_all();
}

WT_TEST(reserved_signals_refused)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hit;
    for (int sig = SIGRTMAX + 1; sig < NSIG; sig++) {
        errno = 0;
        WT_EQ(sigaction(sig, &sa, NULL), -1);
        WT_ERR(errno, EINVAL);
        WT_ASSERT(signal(sig, on_hit) == SIG_ERR);
    }
    errno = 0;
    WT_EQ(sigaction(SIGKILL, &sa, NULL), -1);
    WT_ERR(errno, EINVAL);
}

WT_MAIN(WT_ENTRY(kill_zero, 0, 60),
        WT_ENTRY(kill_einval, 0, 60),
        WT_ENTRY(kill_self_handler_runs, 0, 60),
        WT_ENTRY(raise_runs_handler, 0, 60),
        WT_ENTRY(sigqueue_self, 0, 60),
        WT_ENTRY(sigmask_round_trip, 0, 60),
        WT_ENTRY(sigprocmask_like_pthread_sigmask, 0, 60),
        WT_ENTRY(atfork_handlers, 0, 60),
        WT_ENTRY(sigrtmax, 0, 60),
        WT_ENTRY(kill_masked_thread, 0, 30),
        WT_ENTRY(kill_sem_wait_eintr, 0, 30),
        WT_ENTRY(kill_cond_wait_goes_on, 0, 30),
        WT_ENTRY(kill_sleeping_thread, 0, 30),
        WT_ENTRY(kill_running_thread, 0, 30),
        WT_ENTRY(kill_read_eintr, 0, 30),
        WT_ENTRY(kill_read_restarts, 0, 30),
        WT_ENTRY(kill_poll_eintr, 0, 30),
        WT_ENTRY(process_signal_to_unblocked_thread, 0, 30),
        WT_ENTRY(sigwait_from_another_process, 0, 90),
        WT_ENTRY(sigtimedwait_eagain, 0, 30),
        WT_ENTRY(abort_child, 0, 30),
        WT_ENTRY(abort_from_thread, 0, 60),
        WT_ENTRY(kill_own_process_runs_handler, 0, 30),
        WT_ENTRY(attr_sigmask_applied, 0, 30),
        WT_ENTRY(reserved_signals_refused, 0, 30))
