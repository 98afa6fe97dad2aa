/* thread.c - host threads: the vCPUs and daemons run on them; foreign
 * ones are adopted as bound weft threads. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"

int wf_host_thread_start(void *(*fn)(void *), void *arg, const char *name)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    int rc = pthread_create(&t, &a, fn, arg);
    pthread_attr_destroy(&a);
    if (rc == 0 && name)
        pthread_setname_np(t, name);
    return rc;
}

int wf_host_tid(void)
{
    return (int)syscall(SYS_gettid);
}

void wf_host_stack_bounds(void **lo, size_t *size)
{
    pthread_attr_t a;
    *lo = NULL;
    *size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, lo, size);
        pthread_attr_destroy(&a);
    }
}

long wf_host_thread_count(void)
{
    char line[128];
    long n = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

int wf_host_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

/* One key for all host threads; its destructor runs fn when an adopted host
 * thread exits, so its bound record is released. */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void (*exit_fn)(void *);

static void exit_trampoline(void *v)
{
    void (*fn)(void *) = __atomic_load_n(&exit_fn, __ATOMIC_ACQUIRE);
    if (fn)
        fn(v);
}

static void exit_key_make(void)
{
    pthread_key_create(&exit_key, exit_trampoline);
}

void wf_host_on_exit(void (*fn)(void *), void *value)
{
    __atomic_store_n(&exit_fn, fn, __ATOMIC_RELEASE); /* the same fn every time */
    pthread_once(&exit_once, exit_key_make);
    pthread_setspecific(exit_key, value);
}
