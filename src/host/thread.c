/* thread.c - host threads: the vCPUs and daemons run on them; foreign
 * ones are adopted as bound weft threads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"

int wf_host_thread_start(void *(*fn)(void *), void *arg, const char *name)
{
    const struct wf_real *r = wf_real();
    pthread_attr_t a;
    pthread_t t;
    r->pthread_attr_init(&a);
    r->pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    r->pthread_attr_setstacksize(&a, 256 * 1024);
    int rc = r->pthread_create(&t, &a, fn, arg);
    r->pthread_attr_destroy(&a);
    if (rc == 0 && name)
        r->pthread_setname_np(t, name);
    return rc;
}

int wf_host_tid(void)
{
    return (int)wf_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

void wf_host_stack_bounds(void **lo, size_t *size)
{
    const struct wf_real *r = wf_real();
    pthread_attr_t a;
    *lo = NULL;
    *size = 0;
    if (r->pthread_getattr_np(r->pthread_self(), &a) == 0) {
        r->pthread_attr_getstack(&a, lo, size);
        r->pthread_attr_destroy(&a);
    }
}

/* Raw system calls, not stdio: the timer daemon calls this while exit may
 * be flushing and freeing every FILE in another thread (a FILE opened and
 * closed here then was found freed by glibc's exit-time cleanup). */
long wf_host_thread_count(void)
{
    char buf[4096];
    long fd = wf_sys6(SYS_openat, AT_FDCWD, (long)"/proc/self/status", O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return -1;
    long len = wf_sys3(SYS_read, fd, (long)buf, sizeof buf - 1);
    wf_sys3(SYS_close, fd, 0, 0);
    if (len <= 0)
        return -1;
    buf[len] = 0;
    const char *p = strstr(buf, "\nThreads:");
    return p ? strtol(p + 9, NULL, 10) : -1;
}

int wf_host_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

/* One key for all host threads; its destructor runs fn when an adopted host
 * thread exits, so its bound record is released. */
static pthread_key_t exit_key;
static atomic_int exit_key_state; /* 0 none, 1 being made, 2 made */
static void (*exit_fn)(void *);

static void exit_trampoline(void *v)
{
    void (*fn)(void *) = __atomic_load_n(&exit_fn, __ATOMIC_ACQUIRE);
    if (fn)
        fn(v);
}

/* pthread_once is not used: in libweft-pthread that name is weft's. */
static void exit_key_make(void)
{
    int s = 0;
    if (atomic_compare_exchange_strong(&exit_key_state, &s, 1)) {
        wf_real()->pthread_key_create(&exit_key, exit_trampoline);
        atomic_store_explicit(&exit_key_state, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&exit_key_state, memory_order_acquire) != 2)
        wf_host_yield();
}

void wf_host_on_exit(void (*fn)(void *), void *value)
{
    __atomic_store_n(&exit_fn, fn, __ATOMIC_RELEASE); /* the same fn every time */
    if (atomic_load_explicit(&exit_key_state, memory_order_acquire) != 2)
        exit_key_make();
    wf_real()->pthread_setspecific(exit_key, value);
}
