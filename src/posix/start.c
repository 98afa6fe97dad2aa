/* start.c - main() as a weft thread.
 *
 * Every dynamically linked program starts in glibc's __libc_start_main,
 * which runs main on the process's first host thread. libweft-pthread
 * takes that call (preloaded, or linked before libc) and hands glibc a
 * main of its own: it starts the runtime and runs the program's main as a
 * weft thread named "main", with an 8 MiB stack (lazily committed, as the
 * host stack is), so that main can create, join and wait for weft threads
 * at weft's cost rather than a kernel thread's. The first host thread
 * stays behind as a bound thread ("host-main") that waits for it to end.
 *
 * When main returns, exit(its value) runs in the weft thread, as in glibc.
 * When main calls pthread_exit, the process lives on until its other
 * threads have ended, then exits with status 0, as in glibc; meanwhile
 * main's handle is joinable like any thread's. The host thread learns
 * that main ended from the pthread layer's exit hook (record.c).
 *
 * WEFT_PTHREAD_MAIN=host in the environment keeps main on the first host
 * thread (as a bound weft thread), for debugging. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/futex.h"
#include "core/attr.h"
#include "core/runtime.h"
#include "core/signal.h"
#include "core/tls.h"
#include "host/real.h"
#include "posix/posix.h"
#include "weft/runtime.h"
#include "weft/thread.h"

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                        void (*)(void), void *);

static main_fn user_main;
static int main_argc;
static char **main_argv, **main_envp;
static weft_t main_handle;
static _Atomic uint32_t main_ended; /* futex word: 1 once main's thread ended */

#define MAIN_STACK_MAX (8ul << 20)
#define POLL_NS 1000000u

static void *main_thread(void *unused)
{
    (void)unused;
    wp_self(); /* a record, so that its end reaches wp_start_thread_exit */
    exit(user_main(main_argc, main_argv, main_envp));
}

void wp_start_thread_exit(struct wf_thread *t)
{
    if (main_handle && wf_handle(t) == main_handle) {
        atomic_store_explicit(&main_ended, 1, memory_order_release);
        wf_futex_wake((const uint32_t *)&main_ended, 1);
    }
}

static size_t main_stack_size(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAIN_STACK_MAX)
        return MAIN_STACK_MAX;
    return rl.rlim_cur < WEFT_STACK_MIN ? WEFT_STACK_MIN : (size_t)rl.rlim_cur;
}

/* Threads that have not ended yet, the runtime's own and the caller
 * aside. A snapshot (wf_slot_foreach reads records racily). */
static void count_live(struct wf_thread *t, void *arg)
{
    struct wf_thread *self = ((void **)arg)[0];
    long *n = ((void **)arg)[1];
    int s = atomic_load_explicit(&t->state, memory_order_relaxed);
    if (t != self && !(t->flags & WF_TF_DAEMON) &&
        (s == WF_RUNNABLE || s == WF_RUNNING || s == WF_BLOCKED))
        (*n)++;
}

static long live_threads(void)
{
    long n = 0;
    void *arg[2] = {wf_self(), &n};
    wf_slot_foreach(count_live, arg);
    return n;
}

/* main ended with pthread_exit (or was cancelled): as in glibc, the
 * process lives until its last thread has ended, then exits with 0. Its
 * handle stays joinable meanwhile, for any thread that wants main's value. */
static _Noreturn void wait_for_the_rest(void)
{
    while (live_threads() > 0)
        weft_sleep(POLL_NS);
    exit(0);
}

static int weft_main(int argc, char **argv, char **envp)
{
    main_argc = argc;
    main_argv = argv;
    main_envp = envp;
    const char *mode = getenv("WEFT_PTHREAD_MAIN");
    if (mode && !strcmp(mode, "host"))
        return user_main(argc, argv, envp);
    weft_attr_t a;
    weft_attr_init(&a);
    weft_attr_setstacksize(&a, main_stack_size());
    weft_attr_setname(&a, "main");
    /* Named first, so that no dump ever shows two "main"s. */
    weft_setname(weft_self(), "host-main");
    /* main keeps the TLS that the program's constructors and glibc set up
     * for it (errno, the locale, thread_local objects and their
     * destructors, which exit runs); this host thread moves to a new one. */
    void *tp = wf_tls_default == WEFT_TLS_OWN ? wf_tls_host_detach() : NULL;
    if (tp)
        wf_attr_adopt_tls(&a, tp);
    weft_t t;
    if (weft_create(&t, &a, main_thread, NULL)) {
        fprintf(stderr, "weft: cannot start main as a weft thread; it runs on its host thread\n");
        weft_setname(weft_self(), "main");
        return user_main(argc, argv, envp);
    }
    __atomic_store_n(&main_handle, t, __ATOMIC_RELEASE);
    /* This thread is hidden from the program: it must never take the
     * program's signals (docs/signals.md). Not by blocking them all, which
     * would make weft catch every signal for good. */
    wf_signal_hide(wf_self());
    /* The main thread may have ended before main_handle was set. */
    struct wf_thread *m = wf_thread_lock_handle(t);
    if (m) {
        if (atomic_load_explicit(&m->state, memory_order_relaxed) == WF_EXITED)
            atomic_store(&main_ended, 1);
        wf_spin_unlock(&m->join_lock);
    } else {
        atomic_store(&main_ended, 1); /* ended and already joined or detached */
    }
    while (!atomic_load_explicit(&main_ended, memory_order_acquire))
        wf_futex_wait((const uint32_t *)&main_ended, 0, 0, 0);
    wait_for_the_rest();
}

WP_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    start_fn real;
    *(void **)&real = wf_real_sym("__libc_start_main");
    if (!real) {
        fprintf(stderr, "weft: no __libc_start_main in libc\n");
        abort();
    }
    user_main = main;
    return real(weft_main, argc, argv, init, fini, rtld_fini, stack_end);
}
