/* test-pthread.c - pthread_create, join, detach, exit, self, equal, the
 * _np joins, names, getattr_np, concurrency and sched_yield, from the POSIX
 * assertions (every "shall" and listed error), through glibc's
 * <pthread.h> against libweft-pthread. main() itself is a weft thread here.
 *
 * Cases that need a process of their own (pthread_exit from main, one
 * vCPU) re-run this binary with a WT_MANUAL entry's name: a forked weft
 * process is not whole yet, an exec'd one is. */
#include "ptest.h"

#include <limits.h>

/* ---- helpers ---- */

static void *ret_arg(void *arg) { return arg; }

/* A gate the threads poll (no pthread sync objects here: they are tested
 * elsewhere). */
static atomic_int gate;

static void wait_gate(void)
{
    while (!atomic_load(&gate))
        usleep(500);
}

static void *gated(void *arg)
{
    wait_gate();
    return arg;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? -1 : 1;
    return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* ---- pthread_create ---- */

/* "Upon successful completion, pthread_create() shall store the ID of the
 * created thread in the location referenced by thread"; the thread runs
 * start_routine with arg as its sole argument. */
static pthread_t seen_self[64];

static void *record_self(void *arg)
{
    seen_self[(uintptr_t)arg] = pthread_self();
    return (void *)((uintptr_t)arg * 7 + 3);
}

WT_TEST(create_result)
{
    enum { N = 64 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, record_self, (void *)(uintptr_t)i));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            WT_ASSERT(!pthread_equal(t[i], t[j]));
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        WT_OK(pthread_join(t[i], &r));
        WT_EQ((uintptr_t)r, (uintptr_t)i * 7 + 3);
        WT_ASSERT(pthread_equal(seen_self[i], t[i]));
    }
    /* with an initialised default attribute too */
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    pthread_t u;
    void *r;
    WT_OK(pthread_create(&u, &a, ret_arg, (void *)42));
    WT_OK(pthread_attr_destroy(&a));
    WT_OK(pthread_join(u, &r));
    WT_PTR_EQ(r, (void *)42);
}

/* "The attributes specified by attr shall be ... ; if attr is invalid:
 * EINVAL" (the implementation checks the attribute). */
WT_TEST(create_bad_attr)
{
    pthread_t t = 0;
    pthread_attr_t a;
    memset(&a, 0x5a, sizeof a); /* never initialised */
    WT_ERR(pthread_create(&t, &a, ret_arg, NULL), EINVAL);
    memset(&a, 0, sizeof a); /* never initialised, all zero */
    WT_ERR(pthread_create(&t, &a, ret_arg, NULL), EINVAL);
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_destroy(&a));
    WT_ERR(pthread_create(&t, &a, ret_arg, NULL), EINVAL);
    /* the attribute's use does not change it: create twice from one */
    WT_OK(pthread_attr_init(&a));
    pthread_t u, v;
    WT_OK(pthread_create(&u, &a, ret_arg, (void *)1));
    WT_OK(pthread_create(&v, &a, ret_arg, (void *)2));
    void *r;
    WT_OK(pthread_join(u, &r));
    WT_PTR_EQ(r, (void *)1);
    WT_OK(pthread_join(v, &r));
    WT_PTR_EQ(r, (void *)2);
    WT_OK(pthread_attr_destroy(&a));
}

/* Many threads alive at once, all joined with their own results. */
WT_TEST(create_many)
{
    int n = (int)wt_scaled(2000);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    WT_ASSERT(t);
    atomic_store(&gate, 0);
    for (int i = 0; i < n; i++)
        WT_OK(pthread_create(&t[i], NULL, gated, (void *)(uintptr_t)(i + 1)));
    atomic_store(&gate, 1);
    for (int i = 0; i < n; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        WT_EQ((uintptr_t)r, i + 1);
    }
    free(t);
}

/* Creators on both vCPUs at once, detaching or joining what they made. */
static void *creator(void *arg)
{
    int detach = (int)(intptr_t)arg & 1;
    for (int i = 0; i < 300; i++) {
        pthread_t t;
        WT_OK(pthread_create(&t, NULL, ret_arg, (void *)(uintptr_t)(i + 1)));
        if (detach) {
            WT_OK(pthread_detach(t));
        } else {
            void *r;
            WT_OK(pthread_join(t, &r));
            WT_EQ((uintptr_t)r, i + 1);
        }
        if (i % 32 == 0)
            sched_yield();
    }
    return arg;
}

WT_TEST(create_concurrent)
{
    enum { N = 8 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, creator, (void *)(intptr_t)i));
    for (int i = 0; i < N; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        WT_EQ((intptr_t)r, i);
    }
}

/* "The floating-point environment shall be inherited from the calling
 * thread": the rounding mode (MXCSR and x87 control word, set directly:
 * the test does not link libm). */
struct fpctl {
    uint32_t mxcsr;
    uint16_t cw;
};

static struct fpctl fp_get(void)
{
    struct fpctl f;
    __asm__ volatile("stmxcsr %0" : "=m"(f.mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(f.cw));
    f.mxcsr &= ~0x3fu; /* status flags aside */
    return f;
}

static void fp_set(struct fpctl f)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(f.mxcsr));
    __asm__ volatile("fldcw %0" : : "m"(f.cw));
}

static void *report_fp(void *arg)
{
    *(struct fpctl *)arg = fp_get();
    return NULL;
}

WT_TEST(create_inherits_fenv)
{
    struct fpctl saved = fp_get();
    /* round upwards (RC = 10b), and flush-to-zero in MXCSR */
    struct fpctl up = {(saved.mxcsr & ~0x6000u) | 0x4000u | 0x8000u,
                       (uint16_t)((saved.cw & ~0x0c00u) | 0x0800u)};
    fp_set(up);
    struct fpctl got = {0, 0};
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, report_fp, &got));
    WT_OK(pthread_join(t, NULL));
    fp_set(saved);
    WT_EQ(got.mxcsr, up.mxcsr);
    WT_EQ(got.cw, up.cw);
    /* with an attribute too */
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setstacksize(&a, 1u << 20));
    fp_set(up);
    memset(&got, 0, sizeof got);
    WT_OK(pthread_create(&t, &a, report_fp, &got));
    WT_OK(pthread_join(t, NULL));
    fp_set(saved);
    WT_OK(pthread_attr_destroy(&a));
    WT_EQ(got.mxcsr, up.mxcsr);
    WT_EQ(got.cw, up.cw);
    /* and the default again once the creator is back to it */
    memset(&got, 0, sizeof got);
    WT_OK(pthread_create(&t, NULL, report_fp, &got));
    WT_OK(pthread_join(t, NULL));
    WT_EQ(got.mxcsr, saved.mxcsr);
    WT_EQ(got.cw, saved.cw);
}

/* errno is per thread (POSIX: "errno ... thread-local"): plain code that
 * sets it, then yields, then reads it. The compiler may keep the address
 * __errno_location gave across the yields (it is a const function); each
 * thread has TLS of its own (docs/tls.md), so that address stays the
 * thread's own errno on any vCPU. Run on one vCPU (where every thread
 * shares a host thread) and on the default ones (where they move). */
static void *errno_keeper(void *arg)
{
    int mine = (int)(intptr_t)arg;
    errno = mine;
    long bad = 0;
    for (int i = 0; i < 2000; i++) {
        sched_yield();
        if (errno != mine)
            bad++;
    }
    return (void *)bad;
}

WT_TEST(errno_child)
{
    child_only();
    enum { N = 8 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, errno_keeper, (void *)(intptr_t)(1000 + i)));
    long bad = 0;
    for (int i = 0; i < N; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        bad += (long)r;
    }
    WT_ASSERTF(bad == 0, "errno read back wrong %ld times out of %d", bad, N * 2000);
}

WT_TEST(errno_per_thread)
{
    struct wt_child c;
    run_self(&c, "errno_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
    run_self(&c, "errno_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

/* ---- pthread_join ---- */

static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

WT_TEST(join_errors)
{
    pthread_t t;
    void *r;
    /* joined already: the handle no longer names a joinable thread */
    WT_OK(pthread_create(&t, NULL, ret_arg, (void *)5));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)5);
    WT_ERR(pthread_join(t, &r), ESRCH);
    WT_ERR(pthread_join(t, NULL), ESRCH);
    /* made-up handles */
    WT_ERR(pthread_join((pthread_t)0, NULL), ESRCH);
    WT_ERR(pthread_join((pthread_t)0x7fff12345678abcdull, NULL), ESRCH);
    WT_ERR(pthread_join((pthread_t)~0ull, NULL), ESRCH);
    /* the calling thread: EDEADLK */
    WT_ERR(pthread_join(pthread_self(), NULL), EDEADLK);
    WT_OK(pthread_create(&t, NULL, join_self, NULL));
    WT_OK(pthread_join(t, &r));
    WT_EQ((intptr_t)r, EDEADLK);
    /* a detached thread: EINVAL (while it still runs, and created so) */
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_detach(t));
    WT_ERR(pthread_join(t, NULL), EINVAL);
    pthread_attr_t a;
    pthread_t d;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    WT_OK(pthread_create(&d, &a, gated, NULL));
    WT_OK(pthread_attr_destroy(&a));
    WT_ERR(pthread_join(d, NULL), EINVAL);
    atomic_store(&gate, 1);
}

/* Two threads joining each other: the second join is EDEADLK (and the
 * first still completes). */
static pthread_t mutual_a;
static uint64_t mutual_b_id;
static atomic_int mutual_b_rc = -1;

static void *mutual_a_fn(void *arg)
{
    pthread_t b = (pthread_t)arg;
    void *r;
    WT_OK(pthread_join(b, &r)); /* b's result */
    return r;
}

static void *mutual_b_fn(void *arg)
{
    (void)arg;
    char want[48];
    snprintf(want, sizeof want, "join(thread %llu)", (unsigned long long)mutual_b_id);
    /* wait until a is seen blocked joining us */
    WT_WAIT_UNTIL(wt_dump_count(want) == 1, 30);
    int rc = pthread_join(mutual_a, NULL);
    atomic_store(&mutual_b_rc, rc);
    return (void *)(intptr_t)(rc + 1000);
}

WT_TEST(join_mutual_edeadlk)
{
    pthread_t b;
    WT_OK(pthread_create(&b, NULL, mutual_b_fn, NULL));
    WT_OK(weft_getid((weft_t)b, &mutual_b_id));
    WT_OK(pthread_create(&mutual_a, NULL, mutual_a_fn, (void *)b));
    /* nobody else joins a until b has tried */
    WT_WAIT_UNTIL(atomic_load(&mutual_b_rc) != -1, 30);
    WT_ERR(atomic_load(&mutual_b_rc), EDEADLK);
    void *r = NULL;
    WT_OK(pthread_join(mutual_a, &r));
    WT_EQ((intptr_t)r, EDEADLK + 1000);
}

/* "The value passed to pthread_exit() by the terminating thread shall be
 * made available in the location referenced by value_ptr"; a cancelled
 * thread's is PTHREAD_CANCELED. */
static void *sleep_forever(void *arg)
{
    (void)arg;
    for (;;)
        sleep(100);
    return NULL;
}

static void *exit_with(void *arg)
{
    pthread_exit(arg);
    return (void *)0xbad;
}

WT_TEST(join_values)
{
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, exit_with, (void *)0x1234));
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)0x1234);
    /* a join of a thread that already ended */
    WT_OK(pthread_create(&t, NULL, ret_arg, (void *)77));
    usleep(20000);
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)77);
    /* NULL result pointer: the value is just dropped */
    WT_OK(pthread_create(&t, NULL, ret_arg, (void *)78));
    WT_OK(pthread_join(t, NULL));
    /* cancelled */
    WT_OK(pthread_create(&t, NULL, sleep_forever, NULL));
    WT_OK(pthread_cancel(t));
    r = NULL;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, PTHREAD_CANCELED);
}

/* ---- pthread_detach ---- */
static atomic_int self_detached;

static void *self_detach(void *arg)
{
    WT_OK(pthread_detach(pthread_self()));
    atomic_store(&self_detached, 1);
    wait_gate();
    return arg;
}

WT_TEST(detach)
{
    pthread_t t;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_detach(t));
    /* already detached: EINVAL */
    WT_ERR(pthread_detach(t), EINVAL);
    atomic_store(&gate, 1);
    /* once it has ended, the handle is gone: ESRCH */
    WT_WAIT_UNTIL(pthread_kill(t, 0) == ESRCH, 30);
    WT_ERR(pthread_detach(t), ESRCH);
    /* a thread that ended but was not joined: detach frees it */
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    usleep(20000);
    WT_OK(pthread_detach(t));
    WT_ERR(pthread_join(t, NULL), ESRCH);
    /* joined: ESRCH; made up: ESRCH */
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_detach(t), ESRCH);
    WT_ERR(pthread_detach((pthread_t)0x7fff12345678abcdull), ESRCH);
    /* a thread that detaches itself */
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, self_detach, NULL));
    WT_WAIT_UNTIL(atomic_load(&self_detached) == 1, 30);
    WT_ERR(pthread_join(t, NULL), EINVAL);
    WT_ERR(pthread_detach(t), EINVAL);
    atomic_store(&gate, 1);
    WT_WAIT_UNTIL(pthread_kill(t, 0) == ESRCH, 30);
    /* many detached threads that end by themselves */
    for (int i = 0; i < 200; i++) {
        WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
        WT_OK(pthread_detach(t));
    }
}

/* ---- pthread_exit ---- */
static atomic_int after_exit;

static void deep3(uintptr_t v)
{
    pthread_exit((void *)(v + 3));
}

static void deep2(uintptr_t v)
{
    deep3(v + 2);
    atomic_store(&after_exit, 1);
}

static void *deep1(void *arg)
{
    deep2((uintptr_t)arg + 1);
    atomic_store(&after_exit, 1);
    return NULL;
}

static pthread_key_t exit_key;
static atomic_int exit_key_dtor;

static void exit_dtor(void *v)
{
    WT_PTR_EQ(v, (void *)&exit_key);
    atomic_fetch_add(&exit_key_dtor, 1);
}

static void *exit_with_key(void *arg)
{
    WT_OK(pthread_setspecific(exit_key, &exit_key));
    deep1(arg);
    return NULL;
}

WT_TEST(exit_nested_and_keys)
{
    pthread_t t;
    void *r;
    atomic_store(&after_exit, 0);
    WT_OK(pthread_create(&t, NULL, deep1, (void *)100));
    WT_OK(pthread_join(t, &r));
    WT_EQ((uintptr_t)r, 106);
    WT_EQ(atomic_load(&after_exit), 0);
    /* key destructors run at pthread_exit, with the thread's value */
    WT_OK(pthread_key_create(&exit_key, exit_dtor));
    atomic_store(&exit_key_dtor, 0);
    WT_OK(pthread_create(&t, NULL, exit_with_key, (void *)10));
    WT_OK(pthread_join(t, &r));
    WT_EQ((uintptr_t)r, 16);
    WT_EQ(atomic_load(&exit_key_dtor), 1);
    WT_EQ(atomic_load(&after_exit), 0);
    WT_OK(pthread_key_delete(exit_key));
}

/* pthread_exit in main: "the process shall exit with an exit status of 0
 * after the last thread has been terminated", and the other threads run on
 * until then. Child: main exits while a thread still has work to do. */
static void *late_worker(void *arg)
{
    (void)arg;
    usleep(200000);
    fprintf(stderr, "late worker done\n");
    return NULL;
}

static void *late_detached(void *arg)
{
    (void)arg;
    usleep(300000);
    fprintf(stderr, "late detached done\n");
    return NULL;
}

WT_TEST(main_exit_child)
{
    child_only();
    pthread_t t, d;
    WT_OK(pthread_create(&t, NULL, late_worker, NULL));
    WT_OK(pthread_create(&d, NULL, late_detached, NULL));
    WT_OK(pthread_detach(d));
    fprintf(stderr, "main exits\n");
    wt_flush();
    pthread_exit((void *)3);
}

static void main_cleanup(void *v)
{
    fprintf(stderr, "%s\n", (const char *)v);
}

static void main_key_dtor(void *v)
{
    fprintf(stderr, "main key destructor %s\n", (const char *)v);
}

WT_TEST(main_exit_detached_child)
{
    child_only();
    static pthread_key_t k;
    WT_OK(pthread_key_create(&k, main_key_dtor));
    WT_OK(pthread_setspecific(k, "ran"));
    pthread_cleanup_push(main_cleanup, "main cleanup ran");
    pthread_t d;
    WT_OK(pthread_create(&d, NULL, late_detached, NULL));
    WT_OK(pthread_detach(d));
    fprintf(stderr, "main exits\n");
    wt_flush();
    pthread_exit(NULL);
    pthread_cleanup_pop(0);
}

/* Only a detached thread left: the process ends when it does. */
WT_TEST(exit_from_main_detached)
{
    struct wt_child c;
    run_self(&c, "main_exit_detached_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "late detached done");
    /* main's cleanup handlers and key destructors ran at its pthread_exit */
    WT_CONTAINS(c.err, "main cleanup ran");
    WT_CONTAINS(c.err, "main key destructor ran");
    wt_child_free(&c);
}

/* A joinable thread that ends and is never joined has terminated too: the
 * process must not wait for a join that never comes. */
WT_TEST(exit_from_main)
{
    struct wt_child c;
    run_self(&c, "main_exit_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "main exits");
    WT_CONTAINS(c.err, "late worker done");
    WT_CONTAINS(c.err, "late detached done");
    /* in that order: main first */
    WT_ASSERT(strstr(c.err, "main exits") < strstr(c.err, "late worker done"));
    wt_child_free(&c);
}

/* A thread's return is an implicit pthread_exit: other threads go on, and
 * return from main ends the process with main's value (exit). */
WT_TEST(main_return_child)
{
    child_only();
    pthread_t t;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL)); /* never released */
    fprintf(stderr, "main returns 7\n");
    wt_flush();
    exit(7);
}

WT_TEST(exit_status_from_main_return)
{
    struct wt_child c;
    run_self(&c, "main_return_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 7, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "main returns 7");
    wt_child_free(&c);
}

/* Another thread joins the main thread, which ends with pthread_exit: it
 * gets main's value (the initial thread is joinable, as any other). The
 * joiner ends the process itself, with the verdict as its status. */
static pthread_t main_handle;

static void *join_main(void *arg)
{
    (void)arg;
    void *r = NULL;
    int rc = pthread_join(main_handle, &r);
    fprintf(stderr, "join(main) = %d, value %p\n", rc, r);
    exit(rc == 0 && r == (void *)0x5a ? 0 : 3);
}

WT_TEST(join_main_child)
{
    child_only();
    main_handle = pthread_self();
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, join_main, NULL));
    usleep(50000); /* (not needed for the result: the join waits either way) */
    pthread_exit((void *)0x5a);
}

WT_TEST(join_main_thread)
{
    struct wt_child c;
    run_self(&c, "join_main_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

/* exit() from any thread ends the process with that status. */
static void *exit_five(void *arg)
{
    (void)arg;
    usleep(10000);
    exit(5);
}

WT_TEST(exit_from_thread_child)
{
    child_only();
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, exit_five, NULL));
    pthread_join(t, NULL);
    fprintf(stderr, "join returned\n");
    exit(9);
}

WT_TEST(exit_from_thread)
{
    struct wt_child c;
    run_self(&c, "exit_from_thread_child", NULL);
    WT_ASSERTF(wt_child_exit(&c) == 5, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_NOT_CONTAINS(c.err, "join returned");
    wt_child_free(&c);
}

/* ---- pthread_self, pthread_equal ---- */
static void *give_self(void *arg)
{
    (void)arg;
    return (void *)pthread_self();
}

WT_TEST(self_equal)
{
    pthread_t me = pthread_self();
    WT_ASSERT(pthread_equal(me, pthread_self()));
    WT_ASSERT(pthread_equal(me, me));
    pthread_t t, u;
    void *rt, *ru;
    WT_OK(pthread_create(&t, NULL, give_self, NULL));
    WT_OK(pthread_create(&u, NULL, give_self, NULL));
    WT_OK(pthread_join(t, &rt));
    WT_OK(pthread_join(u, &ru));
    WT_ASSERT(pthread_equal((pthread_t)rt, t));
    WT_ASSERT(pthread_equal((pthread_t)ru, u));
    WT_ASSERT(!pthread_equal(t, u));
    WT_ASSERT(!pthread_equal(t, me));
    WT_ASSERT(!pthread_equal(me, u));
    /* a handle stays unequal to later threads' (slots are reused) */
    for (int i = 0; i < 50; i++) {
        pthread_t v;
        WT_OK(pthread_create(&v, NULL, give_self, NULL));
        WT_OK(pthread_join(v, NULL));
        WT_ASSERT(!pthread_equal(v, t));
        WT_ERR(pthread_join(t, NULL), ESRCH);
    }
    /* main is a weft thread: its handle is a weft handle */
    WT_EQ_U64((uint64_t)me, (uint64_t)weft_self());
}

/* ---- pthread_tryjoin_np, pthread_timedjoin_np, pthread_clockjoin_np ---- */
WT_TEST(tryjoin)
{
    pthread_t t;
    void *r = NULL;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, (void *)9));
    WT_ERR(pthread_tryjoin_np(t, &r), EBUSY);
    WT_ERR(pthread_tryjoin_np(t, &r), EBUSY);
    WT_PTR_EQ(r, NULL);
    atomic_store(&gate, 1);
    int rc;
    uint64_t end = wt_clock_ns() + 30000 * WT_MS;
    while ((rc = pthread_tryjoin_np(t, &r)) == EBUSY && wt_clock_ns() < end)
        usleep(1000);
    WT_OK(rc);
    WT_PTR_EQ(r, (void *)9);
    WT_ERR(pthread_tryjoin_np(t, &r), ESRCH);
    WT_ERR(pthread_tryjoin_np(pthread_self(), &r), EDEADLK);
    /* detached: EINVAL */
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_detach(t));
    WT_ERR(pthread_tryjoin_np(t, &r), EINVAL);
    atomic_store(&gate, 1);
}

WT_TEST(timedjoin)
{
    pthread_t t;
    void *r = NULL;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, (void *)11));
    /* times out: not before the time given */
    struct timespec ts = in_ms(CLOCK_REALTIME, 50);
    WT_ERR(pthread_timedjoin_np(t, &r, &ts), ETIMEDOUT);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    WT_ASSERTF(ts_cmp(&now, &ts) >= 0, "returned at %ld.%09ld, deadline %ld.%09ld",
               (long)now.tv_sec, now.tv_nsec, (long)ts.tv_sec, ts.tv_nsec);
    /* a time in the past: ETIMEDOUT at once for a running thread */
    ts.tv_sec -= 10;
    WT_ERR(pthread_timedjoin_np(t, &r, &ts), ETIMEDOUT);
    /* bad timespecs */
    ts = in_ms(CLOCK_REALTIME, 1000);
    ts.tv_nsec = 1000000000L;
    WT_ERR(pthread_timedjoin_np(t, &r, &ts), EINVAL);
    ts.tv_nsec = -1;
    WT_ERR(pthread_timedjoin_np(t, &r, &ts), EINVAL);
    /* the thread is still joinable after those */
    atomic_store(&gate, 1);
    ts = in_ms(CLOCK_REALTIME, 30000);
    WT_OK(pthread_timedjoin_np(t, &r, &ts));
    WT_PTR_EQ(r, (void *)11);
    WT_ERR(pthread_timedjoin_np(t, &r, &ts), ESRCH);
    /* an ended thread with a deadline in the past: joined */
    WT_OK(pthread_create(&t, NULL, ret_arg, (void *)13));
    uint64_t end = wt_clock_ns() + 30000 * WT_MS;
    int rc;
    ts.tv_sec = 1;
    ts.tv_nsec = 0;
    while ((rc = pthread_timedjoin_np(t, &r, &ts)) == ETIMEDOUT && wt_clock_ns() < end)
        usleep(1000);
    WT_OK(rc);
    WT_PTR_EQ(r, (void *)13);
    WT_ERR(pthread_timedjoin_np(pthread_self(), &r, &ts), EDEADLK);
}

WT_TEST(clockjoin)
{
    pthread_t t;
    void *r = NULL;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, (void *)21));
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    for (int i = 0; i < 2; i++) {
        struct timespec ts = in_ms(clocks[i], 30), now;
        WT_ERR(pthread_clockjoin_np(t, &r, clocks[i], &ts), ETIMEDOUT);
        clock_gettime(clocks[i], &now);
        WT_ASSERTF(ts_cmp(&now, &ts) >= 0, "clock %d: returned at %ld.%09ld, deadline %ld.%09ld",
                   (int)clocks[i], (long)now.tv_sec, now.tv_nsec, (long)ts.tv_sec, ts.tv_nsec);
    }
    /* bad clocks, bad timespecs */
    struct timespec ts = in_ms(CLOCK_MONOTONIC, 1000);
    WT_ERR(pthread_clockjoin_np(t, &r, (clockid_t)12345, &ts), EINVAL);
    WT_ERR(pthread_clockjoin_np(t, &r, (clockid_t)-1, &ts), EINVAL);
    WT_ERR(pthread_clockjoin_np(t, &r, CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
    WT_ERR(pthread_clockjoin_np(t, &r, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    ts.tv_nsec = 1000000000L;
    WT_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), EINVAL);
    ts.tv_nsec = -5;
    WT_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), EINVAL);
    /* success before the deadline */
    atomic_store(&gate, 1);
    ts = in_ms(CLOCK_MONOTONIC, 30000);
    WT_OK(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts));
    WT_PTR_EQ(r, (void *)21);
    WT_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), ESRCH);
}

/* A timed join that times out leaves the thread joinable by someone else. */
static pthread_t timed_target;

static void *timed_joiner(void *arg)
{
    (void)arg;
    struct timespec ts = in_ms(CLOCK_REALTIME, 20);
    return (void *)(intptr_t)pthread_timedjoin_np(timed_target, NULL, &ts);
}

WT_TEST(timedjoin_then_join)
{
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&timed_target, NULL, gated, (void *)31));
    pthread_t j;
    void *r;
    WT_OK(pthread_create(&j, NULL, timed_joiner, NULL));
    WT_OK(pthread_join(j, &r));
    WT_EQ((intptr_t)r, ETIMEDOUT);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(timed_target, &r));
    WT_PTR_EQ(r, (void *)31);
}

/* ---- names ---- */
WT_TEST(names)
{
    char buf[64];
    /* main is "main" */
    WT_OK(pthread_getname_np(pthread_self(), buf, sizeof buf));
    WT_STR_EQ(buf, "main");
    pthread_t t;
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_setname_np(t, "worker-1"));
    WT_OK(pthread_getname_np(t, buf, sizeof buf));
    WT_STR_EQ(buf, "worker-1");
    /* 15 characters fit; 16 do not (ERANGE, nothing changed) */
    WT_OK(pthread_setname_np(t, "abcdefghijklmno"));
    WT_OK(pthread_getname_np(t, buf, 16));
    WT_STR_EQ(buf, "abcdefghijklmno");
    WT_ERR(pthread_setname_np(t, "abcdefghijklmnop"), ERANGE);
    WT_OK(pthread_getname_np(t, buf, sizeof buf));
    WT_STR_EQ(buf, "abcdefghijklmno");
    /* a buffer too small for the name: ERANGE */
    WT_ERR(pthread_getname_np(t, buf, 4), ERANGE);
    WT_ERR(pthread_getname_np(t, buf, 15), ERANGE);
    WT_OK(pthread_setname_np(t, ""));
    WT_OK(pthread_getname_np(t, buf, sizeof buf));
    /* own name */
    WT_OK(pthread_setname_np(pthread_self(), "main"));
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
    /* gone: ESRCH */
    WT_ERR(pthread_setname_np(t, "x"), ESRCH);
    WT_ERR(pthread_getname_np(t, buf, sizeof buf), ESRCH);
}

/* ---- pthread_getattr_np ---- */
static void *getattr_self(void *arg)
{
    (void)arg;
    volatile int local = 1;
    pthread_attr_t a;
    WT_OK(pthread_getattr_np(pthread_self(), &a));
    void *addr;
    size_t size;
    WT_OK(pthread_attr_getstack(&a, &addr, &size));
    WT_ASSERTF((char *)&local >= (char *)addr && (char *)&local < (char *)addr + size,
               "local %p, stack [%p, %p)", (void *)&local, addr, (char *)addr + size);
    int ds;
    WT_OK(pthread_attr_getdetachstate(&a, &ds));
    WT_OK(pthread_attr_destroy(&a));
    return (void *)(intptr_t)ds;
}

WT_TEST(getattr_np)
{
    pthread_t t;
    void *r;
    WT_OK(pthread_create(&t, NULL, getattr_self, NULL));
    WT_OK(pthread_join(t, &r));
    WT_EQ((intptr_t)r, PTHREAD_CREATE_JOINABLE);
    /* a detached one says so */
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, &a, gated, NULL));
    WT_OK(pthread_attr_destroy(&a));
    pthread_attr_t b;
    WT_OK(pthread_getattr_np(t, &b));
    int ds;
    WT_OK(pthread_attr_getdetachstate(&b, &ds));
    WT_EQ(ds, PTHREAD_CREATE_DETACHED);
    WT_OK(pthread_attr_destroy(&b));
    atomic_store(&gate, 1);
    /* a thread detached later says so too */
    atomic_store(&gate, 0);
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_detach(t));
    WT_OK(pthread_getattr_np(t, &b));
    WT_OK(pthread_attr_getdetachstate(&b, &ds));
    WT_EQ(ds, PTHREAD_CREATE_DETACHED);
    WT_OK(pthread_attr_destroy(&b));
    atomic_store(&gate, 1);
    /* main's stack holds main's locals */
    volatile int local = 0;
    WT_OK(pthread_getattr_np(pthread_self(), &b));
    void *addr;
    size_t size;
    WT_OK(pthread_attr_getstack(&b, &addr, &size));
    WT_ASSERTF((char *)&local >= (char *)addr && (char *)&local < (char *)addr + size,
               "local %p, main's stack [%p, %p)", (void *)&local, addr, (char *)addr + size);
    WT_OK(pthread_attr_getdetachstate(&b, &ds));
    WT_EQ(ds, PTHREAD_CREATE_JOINABLE);
    WT_OK(pthread_attr_destroy(&b));
    /* a gone thread: ESRCH */
    WT_OK(pthread_create(&t, NULL, ret_arg, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_ERR(pthread_getattr_np(t, &b), ESRCH);
}

/* ---- concurrency ---- */
WT_TEST(concurrency)
{
    /* initially 0: the implementation chooses */
    WT_EQ(pthread_getconcurrency(), 0);
    WT_ERR(pthread_setconcurrency(-1), EINVAL);
    WT_ERR(pthread_setconcurrency(INT_MIN), EINVAL);
    WT_EQ(pthread_getconcurrency(), 0);
    WT_OK(pthread_setconcurrency(4));
    WT_EQ(pthread_getconcurrency(), 4);
    WT_OK(pthread_setconcurrency(0));
    WT_EQ(pthread_getconcurrency(), 0);
}

/* ---- sched_yield: with one vCPU, a yield lets another thread run ---- */
static atomic_int yield_flag;

static void *set_yield_flag(void *arg)
{
    (void)arg;
    atomic_store(&yield_flag, 1);
    return NULL;
}

WT_TEST(yield_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    pthread_t t;
    atomic_store(&yield_flag, 0);
    WT_OK(pthread_create(&t, NULL, set_yield_flag, NULL));
    long n = 0;
    while (!atomic_load(&yield_flag) && n < 100000000L) {
        WT_OK(sched_yield());
        n++;
    }
    WT_EQ(atomic_load(&yield_flag), 1);
    WT_OK(pthread_join(t, NULL));
}

WT_TEST(sched_yield_one_vcpu)
{
    WT_OK(sched_yield());
    struct wt_child c;
    run_self(&c, "yield_child", "WEFT_VCPUS=1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s; stderr:\n%s", wt_child_describe(&c), c.err);
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(create_result, 0, 60),
        WT_ENTRY(create_bad_attr, 0, 60),
        WT_ENTRY(create_many, 0, 120),
        WT_ENTRY(create_concurrent, 0, 60),
        WT_ENTRY(create_inherits_fenv, 0, 60),
        WT_ENTRY(errno_child, WT_MANUAL, 60),
        WT_ENTRY(errno_per_thread, 0, 60),
        WT_ENTRY(join_errors, 0, 60),
        WT_ENTRY(join_mutual_edeadlk, 0, 60),
        WT_ENTRY(join_values, 0, 60),
        WT_ENTRY(detach, 0, 60),
        WT_ENTRY(exit_nested_and_keys, 0, 60),
        WT_ENTRY(main_exit_child, WT_MANUAL, 60),
        WT_ENTRY(exit_from_main, 0, 60),
        WT_ENTRY(main_exit_detached_child, WT_MANUAL, 60),
        WT_ENTRY(exit_from_main_detached, 0, 60),
        WT_ENTRY(main_return_child, WT_MANUAL, 60),
        WT_ENTRY(exit_status_from_main_return, 0, 60),
        WT_ENTRY(join_main_child, WT_MANUAL, 60),
        WT_ENTRY(join_main_thread, 0, 60),
        WT_ENTRY(exit_from_thread_child, WT_MANUAL, 60),
        WT_ENTRY(exit_from_thread, 0, 60),
        WT_ENTRY(self_equal, 0, 60),
        WT_ENTRY(tryjoin, 0, 60),
        WT_ENTRY(timedjoin, 0, 60),
        WT_ENTRY(clockjoin, 0, 60),
        WT_ENTRY(timedjoin_then_join, 0, 60),
        WT_ENTRY(names, 0, 60),
        WT_ENTRY(getattr_np, 0, 60),
        WT_ENTRY(concurrency, 0, 60),
        WT_ENTRY(yield_child, WT_MANUAL, 60),
        WT_ENTRY(sched_yield_one_vcpu, 0, 60))
