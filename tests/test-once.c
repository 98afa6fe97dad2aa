/* test-once.c - once: runs exactly once, late callers park (shown as
 * "once" in dumps) until it has returned and then see its effects, many
 * once objects sharing the parking buckets, foreign host threads.
 *
 * Knobs: threads=<n>, objects=<n>. */
#include "runner.h"

WT_TEST(errors_and_zero)
{
    static weft_once_t o = WEFT_ONCE_INIT;
    static const weft_once_t zero = WEFT_ONCE_INIT;
    WT_EQ(zero.state, 0);
    WT_ERR(weft_once(NULL, NULL), EINVAL);
    WT_ERR(weft_once(&o, NULL), EINVAL);
}

/* ---- one object, many callers, a slow function ---- */
static weft_once_t slow_once = WEFT_ONCE_INIT;
static atomic_int slow_runs;
static int slow_value; /* written by the function only, plain */
static atomic_int callers_in, callers_out;

static void slow_fn(void)
{
    atomic_fetch_add(&slow_runs, 1);
    weft_sleep(50 * WT_MS); /* the others arrive and park meanwhile */
    slow_value = 42;
}

static void *caller(void *arg)
{
    atomic_fetch_add(&callers_in, 1);
    WT_OK(weft_once(&slow_once, slow_fn));
    WT_EQ(slow_value, 42); /* its effects are visible on return */
    atomic_fetch_add(&callers_out, 1);
    return arg;
}

WT_TEST(runs_once_others_park)
{
    int nt = (int)wt_knob("threads", 20);
    weft_t *t = calloc((size_t)nt, sizeof *t);
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&t[i], NULL, caller, NULL));
    WT_WAIT_UNTIL(atomic_load(&callers_in) == nt, 10);
    weft_sleep(10 * WT_MS);
    if (atomic_load(&callers_out) == 0) { /* still running slow_fn */
        char want[64];
        snprintf(want, sizeof want, "once(%p)", (void *)&slow_once);
        char *d = wt_dump_string();
        WT_CONTAINS(d, want);
        free(d);
    }
    for (int i = 0; i < nt; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(atomic_load(&slow_runs), 1);
    WT_OK(weft_once(&slow_once, slow_fn)); /* done: returns at once */
    WT_EQ(atomic_load(&slow_runs), 1);
    free(t);
}

/* ---- many objects whose waiters share buckets ---- */
#define MAXOBJ 256
static weft_once_t objs[MAXOBJ];
static atomic_int runs[MAXOBJ];
static int values[MAXOBJ];
static int nobj;

/* The function finds its object through a variable of the host thread
 * that the caller sets just before weft_once: nothing can switch in
 * between, and obj_fn reads it before it yields. */
static __thread int which;

static void obj_fn(void)
{
    int i = which;
    atomic_fetch_add(&runs[i], 1);
    if (i % 3 == 0)
        weft_yield();
    values[i] = i + 1;
}

static void *many_caller(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg * 7919 + 1;
    for (int k = 0; k < 4 * nobj; k++) {
        int i = (int)wt_rand_below(&seed, (uint64_t)nobj);
        which = i; /* read by obj_fn on this host thread, before any switch */
        WT_OK(weft_once(&objs[i], obj_fn));
        WT_EQ(values[i], i + 1);
    }
    return NULL;
}

static void *host_many_caller(void *arg)
{
    return many_caller(arg);
}

static void many_objects(int nvcpus, int nhost)
{
    int nt = (int)wt_knob("threads", 12);
    nobj = (int)wt_knob("objects", MAXOBJ);
    if (nobj > MAXOBJ)
        nobj = MAXOBJ;
    wt_start(nvcpus, WEFT_DEADLOCK_ABORT);
    weft_t *t = calloc((size_t)nt, sizeof *t);
    pthread_t h[4];
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_create(&h[i], NULL, host_many_caller, (void *)(intptr_t)(100 + i)), 0);
    for (int i = 0; i < nt; i++)
        WT_OK(weft_create(&t[i], NULL, many_caller, (void *)(intptr_t)i));
    for (int i = 0; i < nt; i++)
        WT_OK(weft_join(t[i], NULL));
    for (int i = 0; i < nhost; i++)
        WT_EQ(pthread_join(h[i], NULL), 0);
    for (int i = 0; i < nobj; i++)
        WT_ASSERTF(atomic_load(&runs[i]) <= 1, "object %d ran %d times", i, atomic_load(&runs[i]));
    free(t);
}

WT_TEST(many_objects_1vcpu)
{
    many_objects(1, 0);
}

WT_TEST(many_objects_2vcpu)
{
    many_objects(2, 0);
}

WT_TEST(foreign_threads)
{
    many_objects(2, 3);
}

/* ---- a cancelled function: the next caller runs it ---- */
static weft_once_t cancel_once = WEFT_ONCE_INIT;
static atomic_int cancel_runs, cancel_in;

static void cancellable_fn(void)
{
    if (atomic_fetch_add(&cancel_runs, 1) == 0) {
        atomic_store(&cancel_in, 1);
        weft_sleep(10000 * WT_MS); /* a cancellation point: cancelled here */
    }
}

static void *cancel_caller(void *arg)
{
    WT_OK(weft_once(&cancel_once, cancellable_fn));
    return arg;
}

WT_TEST(cancelled_function_reruns)
{
    weft_t first, second;
    void *r;
    WT_OK(weft_create(&first, NULL, cancel_caller, NULL));
    WT_WAIT_UNTIL(atomic_load(&cancel_in) == 1, 10);
    WT_OK(weft_create(&second, NULL, cancel_caller, NULL));
    char want[64];
    snprintf(want, sizeof want, "once(%p)", (void *)&cancel_once);
    for (;;) { /* the second one parks */
        char *d = wt_dump_string();
        int in = strstr(d, want) != NULL;
        free(d);
        if (in)
            break;
        weft_sleep(WT_MS);
    }
    WT_OK(weft_cancel(first));
    WT_OK(weft_join(first, &r));
    WT_PTR_EQ(r, WEFT_CANCELED);
    WT_OK(weft_join(second, &r)); /* ran it again, to the end */
    WT_PTR_EQ(r, NULL);
    WT_EQ(atomic_load(&cancel_runs), 2);
    WT_OK(weft_once(&cancel_once, cancellable_fn));
    WT_EQ(atomic_load(&cancel_runs), 2);
}

WT_MAIN(WT_ENTRY(errors_and_zero, 0, 60),
        WT_ENTRY(runs_once_others_park, 0, 60),
        WT_ENTRY(cancelled_function_reruns, 0, 60),
        WT_ENTRY(many_objects_1vcpu, WT_FRESH, 60),
        WT_ENTRY(many_objects_2vcpu, WT_FRESH, 60),
        WT_ENTRY(foreign_threads, WT_FRESH, 60))
