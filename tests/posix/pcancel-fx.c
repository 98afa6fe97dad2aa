/* pcancel-fx.c - part of test-pcancel, compiled with -fexceptions
 * (tests/CMakeLists.txt): here glibc's pthread_cleanup_push/pop are the
 * __attribute__((cleanup)) flavour, which only a forced unwind runs, and a
 * plain cleanup attribute must run on cancellation too. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#ifndef __EXCEPTIONS
#error "pcancel-fx.c must be compiled with -fexceptions"
#endif

/* The log: handlers append their ids. */
extern atomic_int fx_log[8];
extern atomic_int fx_nlog;

static void fx_note(int id)
{
    int i = atomic_fetch_add(&fx_nlog, 1);
    if (i < 8)
        atomic_store(&fx_log[i], id);
}

static void fx_attr_cleanup(int *p)
{
    fx_note(*p);
}

static void fx_handler(void *arg)
{
    fx_note((int)(long)arg);
}

/* Registers, outermost to innermost: attribute 1, push 2, attribute 3,
 * push 4; then waits at a cancellation point for ever. On cancellation
 * they run innermost first: 4 3 2 1. */
void fx_wait_cancelled(atomic_int *ready)
{
    int one __attribute__((cleanup(fx_attr_cleanup))) = 1;
    pthread_cleanup_push(fx_handler, (void *)2L);
    {
        int three __attribute__((cleanup(fx_attr_cleanup))) = 3;
        pthread_cleanup_push(fx_handler, (void *)4L);
        atomic_store(ready, 1);
        for (;;)
            sleep(100);
        pthread_cleanup_pop(0);
        (void)three;
    }
    pthread_cleanup_pop(0);
    (void)one;
}

/* The same on pthread_exit, from a nested call. */
static void fx_exit_deep(void)
{
    int five __attribute__((cleanup(fx_attr_cleanup))) = 5;
    pthread_exit((void *)55L);
    (void)five;
}

void fx_exit(void)
{
    int one __attribute__((cleanup(fx_attr_cleanup))) = 1;
    pthread_cleanup_push(fx_handler, (void *)2L);
    fx_exit_deep();
    pthread_cleanup_pop(0);
    (void)one;
}

/* pop(1) runs the handler, pop(0) does not; nothing on a plain return. */
void fx_pops(void)
{
    pthread_cleanup_push(fx_handler, (void *)6L);
    pthread_cleanup_push(fx_handler, (void *)7L);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(1);
}

/* Mixed frames: an -fexceptions frame (cleanup 8) around a plain-C one
 * that the caller passes in. */
void fx_call(void (*inner)(void))
{
    int eight __attribute__((cleanup(fx_attr_cleanup))) = 8;
    inner();
    (void)eight;
}
