/* test-ponce.c - pthread_once: "the first call ... from any thread ...
 * with a given once_control shall call init_routine with no arguments.
 * Subsequent calls ... shall not call the init_routine. On return from
 * pthread_once(), init_routine shall have completed." And: "if an
 * init_routine is a cancellation point and is canceled, the effect on
 * once_control shall be as if pthread_once() was never called." Through
 * glibc's <pthread.h> against libweft-pthread. */
#include "runner.h"

static atomic_int gate;

/* ---- once under contention ---- */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int init_calls, init_done;
static atomic_int vcpu_seen[64];

static void slow_init(void)
{
    atomic_fetch_add(&init_calls, 1);
    usleep(20000); /* the others arrive and must wait */
    /* busy too, so a waiter on the other vCPU really overlaps */
    wt_spin_ns(5 * WT_MS);
    atomic_store(&init_done, 1);
}

static void *caller(void *arg)
{
    while (!atomic_load(&gate))
        sched_yield(); /* no preemption: spinning alone would hold the vCPU */
    int v = weft_vcpu_self();
    if (v >= 0 && v < 64)
        atomic_store(&vcpu_seen[v], 1);
    WT_OK(pthread_once(&once, slow_init));
    /* it has completed by the time we return */
    WT_EQ(atomic_load(&init_done), 1);
    return arg;
}

WT_TEST(once_contention)
{
    enum { N = 64 };
    pthread_t t[N];
    atomic_store(&gate, 0);
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, caller, NULL));
    usleep(5000);
    atomic_store(&gate, 1);
    for (int i = 0; i < N; i++)
        WT_OK(pthread_join(t[i], NULL));
    WT_EQ(atomic_load(&init_calls), 1);
    /* later calls: no call */
    WT_OK(pthread_once(&once, slow_init));
    WT_EQ(atomic_load(&init_calls), 1);
    int vcpus = 0;
    for (int i = 0; i < 64; i++)
        vcpus += atomic_load(&vcpu_seen[i]);
    printf("callers ran on %d of %d vCPUs\n", vcpus, weft_vcpu_count());
}

/* Many once objects, each raced for by several threads. */
enum { ROUNDS = 200, RACERS = 6 };
static pthread_once_t onces[ROUNDS];
static atomic_int calls[ROUNDS];
static atomic_int cur_round;

static void count_init(void)
{
    int r = atomic_load(&cur_round);
    atomic_fetch_add(&calls[r], 1);
    if (r % 3 == 0)
        sched_yield(); /* let the others pile up */
}

static atomic_int arrived;

static void *racer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        /* everybody on round r */
        while (atomic_load(&cur_round) < r)
            sched_yield();
        WT_OK(pthread_once(&onces[r], count_init));
        WT_EQ(atomic_load(&calls[r]), 1);
        if (atomic_fetch_add(&arrived, 1) == (r + 1) * RACERS - 1)
            atomic_store(&cur_round, r + 1);
    }
    return NULL;
}

WT_TEST(once_many_objects)
{
    for (int r = 0; r < ROUNDS; r++)
        onces[r] = PTHREAD_ONCE_INIT;
    atomic_store(&cur_round, 0);
    atomic_store(&arrived, 0);
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        WT_OK(pthread_create(&t[i], NULL, racer, NULL));
    for (int i = 0; i < RACERS; i++)
        WT_OK(pthread_join(t[i], NULL));
    for (int r = 0; r < ROUNDS; r++)
        WT_ASSERTF(atomic_load(&calls[r]) == 1, "round %d: %d calls", r, atomic_load(&calls[r]));
}

/* ---- a cancelled init routine ---- */
static pthread_once_t conce = PTHREAD_ONCE_INIT;
static atomic_int attempts, completed;

static void cancellable_init(void)
{
    int n = atomic_fetch_add(&attempts, 1) + 1;
    if (n == 1) {
        atomic_store(&gate, 1);
        for (;;)
            sleep(100); /* a cancellation point: cancelled here */
    }
    atomic_store(&completed, n);
}

static void *once_caller(void *arg)
{
    WT_OK(pthread_once(&conce, cancellable_init));
    /* returns only once the routine has completed */
    WT_GE(atomic_load(&completed), 2);
    return arg;
}

WT_TEST(once_cancelled_init)
{
    atomic_store(&gate, 0);
    atomic_store(&attempts, 0);
    atomic_store(&completed, 0);
    pthread_t first;
    WT_OK(pthread_create(&first, NULL, once_caller, NULL));
    WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
    /* a second caller arrives while the first runs the routine: it waits */
    pthread_t second;
    WT_OK(pthread_create(&second, NULL, once_caller, (void *)2));
    usleep(20000);
    WT_ERR(pthread_tryjoin_np(second, NULL), EBUSY);
    WT_EQ(atomic_load(&attempts), 1);
    /* cancel the first inside the routine */
    WT_OK(pthread_cancel(first));
    void *r;
    WT_OK(pthread_join(first, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    /* as if never called: the waiter runs the routine itself */
    WT_OK(pthread_join(second, &r));
    WT_PTR_EQ(r, (void *)2);
    WT_EQ(atomic_load(&attempts), 2);
    WT_EQ(atomic_load(&completed), 2);
    /* done now */
    WT_OK(pthread_once(&conce, cancellable_init));
    WT_EQ(atomic_load(&attempts), 2);
}

/* Cancelled with nobody waiting: the next caller runs it. */
static pthread_once_t conce2 = PTHREAD_ONCE_INIT;
static atomic_int attempts2;

static void cancellable_init2(void)
{
    if (atomic_fetch_add(&attempts2, 1) == 0) {
        atomic_store(&gate, 1);
        for (;;)
            pthread_testcancel(), usleep(1000);
    }
}

static void *once_caller2(void *arg)
{
    WT_OK(pthread_once(&conce2, cancellable_init2));
    return arg;
}

WT_TEST(once_cancelled_then_next_caller)
{
    atomic_store(&gate, 0);
    atomic_store(&attempts2, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, once_caller2, NULL));
    WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
    WT_OK(pthread_cancel(t));
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&attempts2), 1);
    WT_OK(pthread_once(&conce2, cancellable_init2));
    WT_EQ(atomic_load(&attempts2), 2);
    WT_OK(pthread_once(&conce2, cancellable_init2));
    WT_EQ(atomic_load(&attempts2), 2);
}

/* pthread_once is not a cancellation point: a thread waiting there for
 * another's init routine is not cancelled until it reaches one after. */
static pthread_once_t wonce = PTHREAD_ONCE_INIT;
static atomic_int release_init, waiter_passed;

static void held_init(void)
{
    atomic_store(&gate, 1);
    while (!atomic_load(&release_init))
        usleep(1000); /* (a cancellation point, but nobody cancels us) */
}

static void *init_runner(void *arg)
{
    WT_OK(pthread_once(&wonce, held_init));
    return arg;
}

static void *once_waiter(void *arg)
{
    WT_OK(pthread_once(&wonce, held_init));
    atomic_store(&waiter_passed, 1);
    pthread_testcancel();
    return arg;
}

WT_TEST(once_wait_not_cancellation_point)
{
    atomic_store(&gate, 0);
    atomic_store(&release_init, 0);
    atomic_store(&waiter_passed, 0);
    pthread_t runner, waiter;
    WT_OK(pthread_create(&runner, NULL, init_runner, NULL));
    WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
    WT_OK(pthread_create(&waiter, NULL, once_waiter, NULL));
    usleep(20000);
    WT_OK(pthread_cancel(waiter));
    usleep(20000);
    WT_ERR(pthread_tryjoin_np(waiter, NULL), EBUSY); /* still waiting */
    WT_EQ(atomic_load(&waiter_passed), 0);
    atomic_store(&release_init, 1);
    void *r;
    WT_OK(pthread_join(waiter, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
    WT_EQ(atomic_load(&waiter_passed), 1);
    WT_OK(pthread_join(runner, NULL));
}

/* An init routine may itself use pthread_once on another object. */
static pthread_once_t outer = PTHREAD_ONCE_INIT, inner = PTHREAD_ONCE_INIT;
static atomic_int inner_calls, outer_calls;

static void inner_init(void) { atomic_fetch_add(&inner_calls, 1); }

static void outer_init(void)
{
    atomic_fetch_add(&outer_calls, 1);
    WT_OK(pthread_once(&inner, inner_init));
}

WT_TEST(once_nested)
{
    WT_OK(pthread_once(&outer, outer_init));
    WT_OK(pthread_once(&outer, outer_init));
    WT_OK(pthread_once(&inner, inner_init));
    WT_EQ(atomic_load(&outer_calls), 1);
    WT_EQ(atomic_load(&inner_calls), 1);
}

WT_MAIN(WT_ENTRY(once_contention, 0, 60),
        WT_ENTRY(once_many_objects, 0, 60),
        WT_ENTRY(once_cancelled_init, 0, 60),
        WT_ENTRY(once_cancelled_then_next_caller, 0, 60),
        WT_ENTRY(once_wait_not_cancellation_point, 0, 60),
        WT_ENTRY(once_nested, 0, 60))
