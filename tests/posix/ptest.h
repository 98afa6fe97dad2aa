/* ptest.h - helpers the tests of the pthread drop-in share (after
 * runner.h): threads through the pthread calls themselves, absolute
 * timeouts, and running one of the test program's own entries in a fresh
 * process (the drop-in starts weft before main, so settings such as
 * WEFT_VCPUS need a new process). */
#ifndef WEFT_TESTS_PTEST_H
#define WEFT_TESTS_PTEST_H

#include "runner.h"

/* pthread_create / pthread_join that fail the test on an error. */
WT_HELPER pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, arg);
    if (rc)
        wt_fail(__FILE__, __LINE__, "pthread_create: %d", rc);
    return t;
}

WT_HELPER void *join(pthread_t t)
{
    void *r = NULL;
    int rc = pthread_join(t, &r);
    if (rc)
        wt_fail(__FILE__, __LINE__, "pthread_join: %d", rc);
    return r;
}

/* An absolute time ms from now on clock. */
WT_HELPER struct timespec in_ms(clockid_t clock, long ms)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* An absolute time ns from now on clock. */
WT_HELPER struct timespec after(clockid_t clock, uint64_t ns)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    uint64_t t = (uint64_t)ts.tv_nsec + ns % 1000000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u + t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    return ts;
}

/* Run this program's test `name` in a new process (fork + exec), with
 * `env` (NULL or "VAR=value") added to its environment; the child's
 * entry starts with child_only(). */
struct wt_self_exec {
    const char *name;
    const char *env;
};

WT_HELPER void wt_self_exec_fn(void *p)
{
    const struct wt_self_exec *x = p;
    putenv("WT_SELF_CHILD=1");
    if (x->env)
        putenv((char *)x->env);
    char *argv[] = {"self", (char *)x->name, NULL};
    wt_exec_self(argv);
    fprintf(stderr, "execv: %s\n", strerror(errno));
    _exit(127);
}

WT_HELPER void run_self(struct wt_child *c, const char *name, const char *env)
{
    struct wt_self_exec x = {name, env};
    wt_fork(c, 30, wt_self_exec_fn, &x);
}

/* A child entry runs only when run_self started it. */
WT_HELPER void child_only(void)
{
    if (!getenv("WT_SELF_CHILD"))
        WT_SKIP("a child process's part; its parent test runs it");
}

#endif
