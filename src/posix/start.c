/* start.c - main() as a weft thread.
 *
 * Every dynamically linked program starts in glibc's __libc_start_main,
 * which runs main on the process's first host thread. libweft-pthread
 * takes that call (preloaded, or linked before libc) and hands glibc a
 * main of its own: it starts the runtime and runs the program's main as a
 * weft thread named "main", with an 8 MiB stack (lazily committed, as the
 * host stack is), so that main can create, join and wait for weft threads
 * at weft's cost rather than a kernel thread's. The first host thread
 * stays behind as a bound thread ("host-main") that joins it.
 *
 * When main returns, exit(its value) runs in the weft thread, as in glibc.
 * When main calls pthread_exit, the process lives on until its other
 * threads have ended, then exits with status 0, as in glibc.
 *
 * WEFT_PTHREAD_MAIN=host in the environment keeps main on the first host
 * thread (as a bound weft thread), for debugging. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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

#define MAIN_STACK_MAX (8ul << 20)

static void *main_thread(void *unused)
{
    (void)unused;
    exit(user_main(main_argc, main_argv, main_envp));
}

static size_t main_stack_size(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAIN_STACK_MAX)
        return MAIN_STACK_MAX;
    return rl.rlim_cur < WEFT_STACK_MIN ? WEFT_STACK_MIN : (size_t)rl.rlim_cur;
}

/* main called pthread_exit: wait for the process's other threads. */
static _Noreturn void wait_for_the_rest(void)
{
    weft_group_info_t gi;
    weft_gid_t g = weft_group_self();
    /* Only this bound thread left in the program's group (and any groups
     * it started, which die with their threads). */
    while (weft_group_info(g, &gi) == 0 && gi.nthreads > 1)
        weft_sleep(1000000);
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
    weft_t t;
    if (weft_create(&t, &a, main_thread, NULL)) {
        fprintf(stderr, "weft: cannot start main as a weft thread; it runs on its host thread\n");
        return user_main(argc, argv, envp);
    }
    weft_setname(weft_self(), "host-main");
    int rc = weft_join(t, NULL);
    if (rc == EINVAL) {
        /* main detached itself: wait until it is gone */
        uint64_t id;
        while (weft_getid(t, &id) == 0)
            weft_sleep(1000000);
    }
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
