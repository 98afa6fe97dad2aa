/* debug.c - weft_dump on demand:
 *   WEFT_SIGQUIT_DUMP=1   every SIGQUIT prints weft_dump to stderr; the
 *                         process goes on (instead of dumping core)
 *   WEFT_DUMP_AT_EXIT=1   weft_dump to stderr at a normal exit (return from
 *                         main or exit(); not _exit, abort or a signal)
 *
 * A signal handler may interrupt a thread that holds any lock, and
 * weft_dump takes some (the stack pool's spinlock, stdio's stream lock):
 * dumping in the handler could deadlock the thread against itself. So the
 * handler only counts the request and wakes a host thread of group 0,
 * "sigquit", that sleeps on the count (a futex) and prints the dump from
 * an ordinary context. The interrupted thread goes on at once. Signals
 * that arrive during a dump are served by one more dump.
 *
 * Rejected:
 * - Writing the dump in the handler without locks (write(2) only): a
 *   second formatter beside dump.c, and the stack counters could not be
 *   read consistently.
 * - Handing the request to the timer daemon: a long dump (a million
 *   threads into a slow pipe) would stop the clock tick, timeslices and the
 *   timers of busy vCPUs for as long, and the daemon's sleep would need a
 *   recheck of the request so a wake sent just before it sleeps is not
 *   lost. The extra thread sleeps in the kernel and costs nothing; it
 *   exists only when WEFT_SIGQUIT_DUMP is set.
 *
 * The handler and atexit are installed here rather than through src/host:
 * they are one call each and only this file uses them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "debug/debug.h"
#include "debug/trace.h"
#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"

/* The gdb script's object must be linked wherever this one is. */
__attribute__((used)) static const char *const keep_gdb_script = &wf_debug_gdb_scripts_anchor;

/* SIGQUITs received. Written by the handler (any host thread), read by
 * the dumper; also the futex word the dumper sleeps on. */
static atomic_int requests;
/* Set by the dumper once its record is in group 0. */
static atomic_int dumper_ready;

static int env_on(const char *name)
{
    const char *s = getenv(name);
    return s && *s && strcmp(s, "0") != 0;
}

/* Async-signal-safe: an atomic add and a futex wake (a system call). */
static void on_sigquit(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_fetch_add_explicit(&requests, 1, memory_order_relaxed);
    wf_host_futex_wake((int *)&requests, 1);
    errno = saved;
}

static void *dumper_main(void *arg)
{
    (void)arg;
    /* Let the kernel pick another thread for SIGQUIT. Under ThreadSanitizer
     * a handler runs only when its thread next enters the runtime, and this
     * one would wait in the kernel for the very wake the handler sends. */
    sigset_t quit;
    sigemptyset(&quit);
    sigaddset(&quit, SIGQUIT);
    wf_real()->pthread_sigmask(SIG_BLOCK, &quit, NULL);
    wf_tls_self = wf_daemon_record("sigquit");
    atomic_store(&dumper_ready, 1);
    int done = 0;
    for (;;) {
        int seen = atomic_load_explicit(&requests, memory_order_relaxed);
        if (seen == done) {
            /* Returns at once if a request came after the load above. */
            wf_host_futex_wait((int *)&requests, seen, 0);
            continue;
        }
        done = seen;
        fprintf(stderr, "weft: SIGQUIT: every thread (WEFT_SIGQUIT_DUMP=1)\n");
        weft_dump(stderr);
    }
    return NULL;
}

static void sigquit_dump_start(void)
{
    /* The deadlock check counts the host threads it knows about; this one
     * is a bound daemon that never ends, so it counts as one for good. */
    atomic_fetch_add(&wf_rt.bound_alive, 1);
    if (wf_host_thread_start(dumper_main, NULL, "weft-sigquit")) {
        atomic_fetch_sub(&wf_rt.bound_alive, 1);
        fprintf(stderr, "weft: WEFT_SIGQUIT_DUMP: cannot start the dump thread\n");
        return;
    }
    /* Like the vCPUs and the timer daemon: in group 0 before the runtime's
     * start returns, so every dump and group count has it. */
    while (!atomic_load(&dumper_ready))
        wf_host_yield();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigquit;
    sa.sa_flags = SA_RESTART | SA_ONSTACK; /* vCPUs have an alternate stack */
    sigemptyset(&sa.sa_mask);
    wf_host_sigaction(SIGQUIT, &sa, NULL); /* libc's: not the drop-in's */
}

static void dump_at_exit(void)
{
    fprintf(stderr, "weft: at exit: every thread (WEFT_DUMP_AT_EXIT=1)\n");
    weft_dump(stderr);
}

void wf_debug_start(void)
{
    if (env_on("WEFT_SIGQUIT_DUMP"))
        sigquit_dump_start();
    if (env_on("WEFT_DUMP_AT_EXIT"))
        atexit(dump_at_exit);
    const char *stall = getenv("WEFT_STALL_MS");
    if (stall && *stall)
        wf_debug_stall_start(strtol(stall, NULL, 10));
    wf_trace_start(); /* WEFT_TRACE */
}
