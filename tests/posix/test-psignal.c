/* test-psignal.c - pthread_kill (existence checks, EINVAL, a signal to
 * yourself handled before the call returns), raise, pthread_sigqueue,
 * pthread_sigmask, pthread_atfork around fork(), and the real-time signal
 * range left to the program; from the POSIX assertions, through glibc's
 * headers against libweft-pthread. */
#include "runner.h"

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

/* sigprocmask: the same mask as pthread_sigmask (the caller's vCPU), -1
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

WT_MAIN(WT_ENTRY(kill_zero, 0, 60),
        WT_ENTRY(kill_einval, 0, 60),
        WT_ENTRY(kill_self_handler_runs, 0, 60),
        WT_ENTRY(raise_runs_handler, 0, 60),
        WT_ENTRY(sigqueue_self, 0, 60),
        WT_ENTRY(sigmask_round_trip, 0, 60),
        WT_ENTRY(sigprocmask_like_pthread_sigmask, 0, 60),
        WT_ENTRY(atfork_handlers, 0, 60),
        WT_ENTRY(sigrtmax, 0, 60))
