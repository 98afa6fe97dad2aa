/* test-pattr.c - pthread_attr_*: defaults, every getter/setter round trip,
 * every EINVAL (bad values, uninitialised or destroyed attributes), user
 * stacks, big stacks, the process-wide defaults (_np), affinity and signal
 * mask attributes; from the POSIX assertions, through glibc's <pthread.h>
 * against libweft-pthread. */
#include "runner.h"

#include <limits.h>
#include <sys/mman.h>

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static void *ret_arg(void *arg) { return arg; }

/* ---- defaults ---- */
WT_TEST(defaults)
{
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    int v;
    WT_OK(pthread_attr_getdetachstate(&a, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);
    WT_OK(pthread_attr_getinheritsched(&a, &v));
    WT_EQ(v, PTHREAD_INHERIT_SCHED);
    WT_OK(pthread_attr_getscope(&a, &v));
    WT_EQ(v, PTHREAD_SCOPE_SYSTEM);
    WT_OK(pthread_attr_getschedpolicy(&a, &v));
    WT_EQ(v, SCHED_OTHER);
    struct sched_param p;
    memset(&p, 0x7f, sizeof p);
    WT_OK(pthread_attr_getschedparam(&a, &p));
    WT_EQ(p.sched_priority, 0);
    size_t s;
    WT_OK(pthread_attr_getguardsize(&a, &s));
    WT_EQ(s, page_size());
    WT_OK(pthread_attr_getstacksize(&a, &s));
    WT_GE(s, (size_t)PTHREAD_STACK_MIN);
    void *addr = (void *)1;
    WT_OK(pthread_attr_getstack(&a, &addr, &s));
    WT_PTR_EQ(addr, NULL); /* no stack given */
    sigset_t m;
    WT_EQ(pthread_attr_getsigmask_np(&a, &m), PTHREAD_ATTR_NO_SIGMASK_NP);
    WT_OK(pthread_attr_destroy(&a));
    /* init after destroy gives the defaults again */
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_getdetachstate(&a, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);
    WT_OK(pthread_attr_destroy(&a));
}

/* ---- round trips ---- */
WT_TEST(round_trips)
{
    pthread_attr_t a;
    int v;
    size_t s;
    WT_OK(pthread_attr_init(&a));

    WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    WT_OK(pthread_attr_getdetachstate(&a, &v));
    WT_EQ(v, PTHREAD_CREATE_DETACHED);
    WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE));
    WT_OK(pthread_attr_getdetachstate(&a, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);

    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    WT_OK(pthread_attr_getinheritsched(&a, &v));
    WT_EQ(v, PTHREAD_EXPLICIT_SCHED);
    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_INHERIT_SCHED));
    WT_OK(pthread_attr_getinheritsched(&a, &v));
    WT_EQ(v, PTHREAD_INHERIT_SCHED);

    WT_OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
    WT_OK(pthread_attr_getscope(&a, &v));
    WT_EQ(v, PTHREAD_SCOPE_SYSTEM);
    /* PROCESS: ENOTSUP is allowed; if accepted it must read back */
    int rc = pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS);
    WT_ASSERTF(rc == 0 || rc == ENOTSUP, "rc=%d", rc);
    WT_OK(pthread_attr_getscope(&a, &v));
    WT_EQ(v, rc == 0 ? PTHREAD_SCOPE_PROCESS : PTHREAD_SCOPE_SYSTEM);
    WT_OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));

    static const int policies[] = {SCHED_FIFO, SCHED_RR, SCHED_OTHER};
    for (int i = 0; i < 3; i++) {
        WT_OK(pthread_attr_setschedpolicy(&a, policies[i]));
        WT_OK(pthread_attr_getschedpolicy(&a, &v));
        WT_EQ(v, policies[i]);
    }
    struct sched_param p = {0};
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    for (int prio = sched_get_priority_min(SCHED_FIFO); prio <= sched_get_priority_max(SCHED_FIFO);
         prio += 7) {
        p.sched_priority = prio;
        WT_OK(pthread_attr_setschedparam(&a, &p));
        struct sched_param q = {-1};
        WT_OK(pthread_attr_getschedparam(&a, &q));
        WT_EQ(q.sched_priority, prio);
    }
    p.sched_priority = 99;
    WT_OK(pthread_attr_setschedparam(&a, &p));
    WT_OK(pthread_attr_getschedparam(&a, &p));
    WT_EQ(p.sched_priority, 99);
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_OTHER));
    p.sched_priority = 0;
    WT_OK(pthread_attr_setschedparam(&a, &p));

    size_t guards[] = {0, 1, page_size(), 3 * page_size(), 1u << 20};
    for (size_t i = 0; i < sizeof guards / sizeof guards[0]; i++) {
        WT_OK(pthread_attr_setguardsize(&a, guards[i]));
        WT_OK(pthread_attr_getguardsize(&a, &s));
        WT_EQ(s, guards[i]);
    }

    size_t sizes[] = {PTHREAD_STACK_MIN, PTHREAD_STACK_MIN + 1, 1u << 20, 8u << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        WT_OK(pthread_attr_setstacksize(&a, sizes[i]));
        WT_OK(pthread_attr_getstacksize(&a, &s));
        WT_EQ(s, sizes[i]);
    }

    static char buf[256 * 1024] __attribute__((aligned(64)));
    WT_OK(pthread_attr_setstack(&a, buf, sizeof buf));
    void *addr;
    WT_OK(pthread_attr_getstack(&a, &addr, &s));
    WT_PTR_EQ(addr, buf);
    WT_EQ(s, sizeof buf);
    WT_OK(pthread_attr_getstacksize(&a, &s));
    WT_EQ(s, sizeof buf);
    WT_OK(pthread_attr_destroy(&a));
}

/* ---- EINVAL ---- */
WT_TEST(einval_values)
{
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    int v;
    WT_ERR(pthread_attr_setdetachstate(&a, 42), EINVAL);
    WT_ERR(pthread_attr_setdetachstate(&a, -1), EINVAL);
    WT_OK(pthread_attr_getdetachstate(&a, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);
    WT_ERR(pthread_attr_setinheritsched(&a, 42), EINVAL);
    WT_OK(pthread_attr_getinheritsched(&a, &v));
    WT_EQ(v, PTHREAD_INHERIT_SCHED);
    WT_ERR(pthread_attr_setscope(&a, 42), EINVAL);
    WT_OK(pthread_attr_getscope(&a, &v));
    WT_EQ(v, PTHREAD_SCOPE_SYSTEM);
    WT_ERR(pthread_attr_setschedpolicy(&a, 42), EINVAL);
    WT_ERR(pthread_attr_setschedpolicy(&a, -1), EINVAL);
    WT_OK(pthread_attr_getschedpolicy(&a, &v));
    WT_EQ(v, SCHED_OTHER);
    /* priorities outside the policy's range */
    struct sched_param p = {1};
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL); /* SCHED_OTHER: 0 only */
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    p.sched_priority = 0;
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL);
    p.sched_priority = 100;
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL);
    p.sched_priority = -3;
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL);
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_RR));
    p.sched_priority = 100;
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL);
    /* stacks below PTHREAD_STACK_MIN */
    size_t s;
    WT_OK(pthread_attr_getstacksize(&a, &s));
    WT_ERR(pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN - 1), EINVAL);
    WT_ERR(pthread_attr_setstacksize(&a, 0), EINVAL);
    size_t s2;
    WT_OK(pthread_attr_getstacksize(&a, &s2));
    WT_EQ(s2, s);
    static char buf[65536] __attribute__((aligned(64)));
    WT_ERR(pthread_attr_setstack(&a, buf, (size_t)PTHREAD_STACK_MIN - 1), EINVAL);
    WT_OK(pthread_attr_destroy(&a));
}

/* Every call on an attribute never initialised, or destroyed. */
static void all_einval(pthread_attr_t *a)
{
    int v;
    size_t s;
    void *addr;
    struct sched_param p = {0};
    static char buf[65536] __attribute__((aligned(64)));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    sigset_t m;
    sigemptyset(&m);
    WT_ERR(pthread_attr_setdetachstate(a, PTHREAD_CREATE_DETACHED), EINVAL);
    WT_ERR(pthread_attr_getdetachstate(a, &v), EINVAL);
    WT_ERR(pthread_attr_setinheritsched(a, PTHREAD_EXPLICIT_SCHED), EINVAL);
    WT_ERR(pthread_attr_getinheritsched(a, &v), EINVAL);
    WT_ERR(pthread_attr_setscope(a, PTHREAD_SCOPE_SYSTEM), EINVAL);
    WT_ERR(pthread_attr_getscope(a, &v), EINVAL);
    WT_ERR(pthread_attr_setschedpolicy(a, SCHED_OTHER), EINVAL);
    WT_ERR(pthread_attr_getschedpolicy(a, &v), EINVAL);
    WT_ERR(pthread_attr_setschedparam(a, &p), EINVAL);
    WT_ERR(pthread_attr_getschedparam(a, &p), EINVAL);
    WT_ERR(pthread_attr_setguardsize(a, 4096), EINVAL);
    WT_ERR(pthread_attr_getguardsize(a, &s), EINVAL);
    WT_ERR(pthread_attr_setstacksize(a, 1u << 20), EINVAL);
    WT_ERR(pthread_attr_getstacksize(a, &s), EINVAL);
    WT_ERR(pthread_attr_setstack(a, buf, sizeof buf), EINVAL);
    WT_ERR(pthread_attr_getstack(a, &addr, &s), EINVAL);
    WT_ERR(pthread_attr_setaffinity_np(a, sizeof set, &set), EINVAL);
    WT_ERR(pthread_attr_getaffinity_np(a, sizeof set, &set), EINVAL);
    WT_ERR(pthread_attr_setsigmask_np(a, &m), EINVAL);
    WT_ERR(pthread_attr_getsigmask_np(a, &m), EINVAL);
    WT_ERR(pthread_setattr_default_np(a), EINVAL);
    WT_ERR(pthread_attr_destroy(a), EINVAL);
    pthread_t t;
    WT_ERR(pthread_create(&t, a, ret_arg, NULL), EINVAL);
}

WT_TEST(einval_uninitialised_destroyed)
{
    pthread_attr_t a;
    memset(&a, 0x5a, sizeof a);
    all_einval(&a);
    memset(&a, 0, sizeof a);
    all_einval(&a);
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setstacksize(&a, 1u << 20));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    WT_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
    WT_OK(pthread_attr_destroy(&a));
    all_einval(&a);
}

/* ---- stacks ---- */
struct stack_report {
    char *local;
    void *addr;
    size_t size;
    size_t guard;
};

static void *report_stack(void *arg)
{
    struct stack_report *r = arg;
    char local = 0;
    r->local = &local;
    pthread_attr_t a;
    WT_OK(pthread_getattr_np(pthread_self(), &a));
    WT_OK(pthread_attr_getstack(&a, &r->addr, &r->size));
    WT_OK(pthread_attr_getguardsize(&a, &r->guard));
    WT_OK(pthread_attr_destroy(&a));
    return r;
}

/* "The stack ... shall be the storage starting at stackaddr, stacksize
 * bytes long": the thread runs on the caller's buffer. */
WT_TEST(user_stack)
{
    size_t size = 256 * 1024;
    char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(buf != MAP_FAILED);
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setstack(&a, buf, size));
    struct stack_report r = {0};
    pthread_t t;
    void *res;
    WT_OK(pthread_create(&t, &a, report_stack, &r));
    WT_OK(pthread_join(t, &res));
    WT_PTR_EQ(res, &r);
    WT_ASSERTF(r.local >= buf && r.local < buf + size, "local %p, buffer [%p, %p)",
               (void *)r.local, (void *)buf, (void *)(buf + size));
    /* getattr_np reports a stack inside the buffer */
    WT_ASSERTF((char *)r.addr >= buf && (char *)r.addr + r.size <= buf + size,
               "reported [%p, +%zu), buffer [%p, +%zu)", r.addr, r.size, (void *)buf, size);
    WT_ASSERT(r.local >= (char *)r.addr && r.local < (char *)r.addr + r.size);
    /* "the guardsize attribute is ignored" for a caller's stack: none */
    WT_EQ(r.guard, 0);
    /* the buffer can be used again for another thread (after the join) */
    memset(&r, 0, sizeof r);
    WT_OK(pthread_create(&t, &a, report_stack, &r));
    WT_OK(pthread_join(t, NULL));
    WT_ASSERT(r.local >= buf && r.local < buf + size);
    /* an odd (unaligned) buffer works too */
    memset(&r, 0, sizeof r);
    WT_OK(pthread_attr_setstack(&a, buf + 8, size - 8 - 24));
    WT_OK(pthread_create(&t, &a, report_stack, &r));
    WT_OK(pthread_join(t, NULL));
    WT_ASSERT(r.local >= buf + 8 && r.local < buf + size - 24);
    WT_OK(pthread_attr_destroy(&a));
    munmap(buf, size);
}

/* The obsolete pthread_attr_setstackaddr: the address is the stack's top
 * on a downward-growing stack (glibc's meaning). */
WT_TEST(stackaddr_obsolete)
{
    size_t size = 128 * 1024;
    char *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(buf != MAP_FAILED);
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    WT_OK(pthread_attr_setstacksize(&a, size));
    WT_OK(pthread_attr_setstackaddr(&a, buf + size));
    void *addr;
    WT_OK(pthread_attr_getstackaddr(&a, &addr));
    WT_PTR_EQ(addr, buf + size);
#pragma GCC diagnostic pop
    size_t s;
    WT_OK(pthread_attr_getstack(&a, &addr, &s));
    WT_PTR_EQ(addr, buf);
    WT_EQ(s, size);
    struct stack_report r = {0};
    pthread_t t;
    WT_OK(pthread_create(&t, &a, report_stack, &r));
    WT_OK(pthread_join(t, NULL));
    WT_ASSERTF(r.local >= buf && r.local < buf + size, "local %p, buffer [%p, %p)",
               (void *)r.local, (void *)buf, (void *)(buf + size));
    WT_OK(pthread_attr_destroy(&a));
    munmap(buf, size);
}

/* Deep recursion, each frame touching 4 KiB. */
static __attribute__((noinline)) uintptr_t dig(int depth)
{
    volatile char frame[4000];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (depth == 0)
        return (uintptr_t)&frame[0];
    uintptr_t r = dig(depth - 1);
    return r + (frame[0] != (char)depth) + (frame[sizeof frame - 1] != (char)depth);
}

struct big {
    size_t size;
    uintptr_t deepest;
    char *top;
};

static void *use_big_stack(void *arg)
{
    struct big *b = arg;
    char here;
    b->top = &here;
    int depth = (int)((b->size - b->size / 8) / 4096); /* ~7/8 of it */
    b->deepest = dig(depth);
    return NULL;
}

WT_TEST(big_stacks)
{
    size_t sizes[] = {1u << 20, 8u << 20};
    for (int i = 0; i < 2; i++) {
        pthread_attr_t a;
        WT_OK(pthread_attr_init(&a));
        WT_OK(pthread_attr_setstacksize(&a, sizes[i]));
        struct big b = {sizes[i], 0, NULL};
        pthread_t t;
        WT_OK(pthread_create(&t, &a, use_big_stack, &b));
        WT_OK(pthread_join(t, NULL));
        WT_OK(pthread_attr_destroy(&a));
        /* it really went that deep */
        WT_GT((uintptr_t)b.top - b.deepest, sizes[i] / 2);
    }
    /* the smallest stack allowed is usable, ours or the caller's */
    {
        pthread_attr_t m;
        WT_OK(pthread_attr_init(&m));
        WT_OK(pthread_attr_setstacksize(&m, PTHREAD_STACK_MIN));
        struct big b = {PTHREAD_STACK_MIN, 0, NULL};
        pthread_t t;
        WT_OK(pthread_create(&t, &m, use_big_stack, &b));
        WT_OK(pthread_join(t, NULL));
        char *buf = aligned_alloc(4096, PTHREAD_STACK_MIN);
        WT_ASSERT(buf);
        WT_OK(pthread_attr_setstack(&m, buf, PTHREAD_STACK_MIN));
        struct stack_report r = {0};
        WT_OK(pthread_create(&t, &m, report_stack, &r));
        WT_OK(pthread_join(t, NULL));
        WT_ASSERT(r.local >= buf && r.local < buf + PTHREAD_STACK_MIN);
        free(buf);
        WT_OK(pthread_attr_destroy(&m));
    }
    /* the thread's stack is at least what was asked */
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setstacksize(&a, 3u << 20));
    struct stack_report r = {0};
    pthread_t t;
    WT_OK(pthread_create(&t, &a, report_stack, &r));
    WT_OK(pthread_join(t, NULL));
    WT_GE(r.size, 3u << 20);
    WT_OK(pthread_attr_destroy(&a));
}

/* ---- process-wide defaults ---- */
static void *report_attr(void *arg)
{
    pthread_attr_t *out = arg;
    WT_OK(pthread_getattr_np(pthread_self(), out));
    return NULL;
}

WT_TEST(default_np)
{
    pthread_attr_t d;
    WT_OK(pthread_getattr_default_np(&d));
    int v;
    size_t s;
    WT_OK(pthread_attr_getdetachstate(&d, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);
    WT_OK(pthread_attr_getstacksize(&d, &s));
    WT_GE(s, (size_t)PTHREAD_STACK_MIN);
    size_t old_size = s;
    /* a bigger default stack: NULL-attribute threads get it */
    WT_OK(pthread_attr_setstacksize(&d, 2u << 20));
    WT_OK(pthread_setattr_default_np(&d));
    WT_OK(pthread_attr_destroy(&d));
    WT_OK(pthread_getattr_default_np(&d));
    WT_OK(pthread_attr_getstacksize(&d, &s));
    WT_EQ(s, 2u << 20);
    WT_OK(pthread_attr_destroy(&d));
    pthread_attr_t got;
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, report_attr, &got));
    WT_OK(pthread_join(t, NULL));
    WT_OK(pthread_attr_getstacksize(&got, &s));
    WT_GE(s, 2u << 20);
    WT_OK(pthread_attr_destroy(&got));
    /* an attribute with a stack address is refused */
    static char buf[4 * 65536] __attribute__((aligned(64)));
    WT_OK(pthread_attr_init(&d));
    WT_OK(pthread_attr_setstack(&d, buf, sizeof buf));
    WT_ERR(pthread_setattr_default_np(&d), EINVAL);
    WT_OK(pthread_attr_destroy(&d));
    /* the refused call changed nothing */
    WT_OK(pthread_getattr_default_np(&d));
    WT_OK(pthread_attr_getstacksize(&d, &s));
    WT_EQ(s, 2u << 20);
    /* back to the old size */
    WT_OK(pthread_attr_setstacksize(&d, old_size));
    WT_OK(pthread_setattr_default_np(&d));
    WT_OK(pthread_attr_destroy(&d));
    WT_OK(pthread_getattr_default_np(&d));
    WT_OK(pthread_attr_getstacksize(&d, &s));
    WT_EQ(s, old_size);
    WT_OK(pthread_attr_destroy(&d));
}

/* ---- affinity and signal mask ---- */
WT_TEST(affinity_sigmask)
{
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    cpu_set_t set, got;
    /* none set: every CPU */
    WT_OK(pthread_attr_getaffinity_np(&a, sizeof got, &got));
    WT_ASSERT(CPU_ISSET(0, &got));
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    WT_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
    memset(&got, 0xff, sizeof got);
    WT_OK(pthread_attr_getaffinity_np(&a, sizeof got, &got));
    WT_ASSERT(CPU_EQUAL(&set, &got));
    /* a set bigger than the stored one: zero-filled */
    char bigger[sizeof(cpu_set_t) * 2];
    memset(bigger, 0xff, sizeof bigger);
    WT_OK(pthread_attr_getaffinity_np(&a, sizeof bigger, (cpu_set_t *)bigger));
    WT_ASSERT(CPU_ISSET_S(0, sizeof bigger, (cpu_set_t *)bigger));
    WT_EQ(CPU_COUNT_S(sizeof bigger, (cpu_set_t *)bigger), 1);
    /* a CPU that does not fit in the caller's set: EINVAL */
    CPU_ZERO(&set);
    CPU_SET(200, &set);
    WT_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
    WT_ERR(pthread_attr_getaffinity_np(&a, 8, &got), EINVAL);
    /* a thread created with an affinity reports it */
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    WT_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
    pthread_attr_t rep;
    pthread_t t;
    WT_OK(pthread_create(&t, &a, report_attr, &rep));
    WT_OK(pthread_join(t, NULL));
    memset(&got, 0, sizeof got);
    WT_OK(pthread_attr_getaffinity_np(&rep, sizeof got, &got));
    WT_ASSERT(CPU_EQUAL(&set, &got));
    WT_OK(pthread_attr_destroy(&rep));

    /* signal mask */
    sigset_t m, mg;
    WT_EQ(pthread_attr_getsigmask_np(&a, &mg), PTHREAD_ATTR_NO_SIGMASK_NP);
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    WT_OK(pthread_attr_setsigmask_np(&a, &m));
    sigemptyset(&mg);
    WT_OK(pthread_attr_getsigmask_np(&a, &mg));
    WT_ASSERT(sigismember(&mg, SIGUSR1) && sigismember(&mg, SIGUSR2));
    WT_ASSERT(!sigismember(&mg, SIGINT));
    WT_OK(pthread_attr_setsigmask_np(&a, NULL));
    WT_EQ(pthread_attr_getsigmask_np(&a, &mg), PTHREAD_ATTR_NO_SIGMASK_NP);
    WT_OK(pthread_attr_destroy(&a));
}

/* Attributes read at creation only: changing or destroying the attribute
 * afterwards does not affect the thread. */
static atomic_int keep_running;

static void *wait_flag(void *arg)
{
    while (atomic_load(&keep_running))
        usleep(500);
    return arg;
}

WT_TEST(attr_not_kept)
{
    pthread_attr_t a;
    WT_OK(pthread_attr_init(&a));
    atomic_store(&keep_running, 1);
    pthread_t t;
    WT_OK(pthread_create(&t, &a, wait_flag, (void *)5));
    WT_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    WT_OK(pthread_attr_destroy(&a));
    memset(&a, 0x5a, sizeof a);
    pthread_attr_t g;
    WT_OK(pthread_getattr_np(t, &g));
    int v;
    WT_OK(pthread_attr_getdetachstate(&g, &v));
    WT_EQ(v, PTHREAD_CREATE_JOINABLE);
    WT_OK(pthread_attr_destroy(&g));
    atomic_store(&keep_running, 0);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, (void *)5);
}

static void *noop(void *arg) { return arg; }

/* The policy and the priority are set separately and kept as set (glibc);
 * pthread_create with PTHREAD_EXPLICIT_SCHED checks the pair. */
WT_TEST(explicit_sched_pair_checked_at_create)
{
    pthread_attr_t a;
    struct sched_param p = {0};
    pthread_t t;
    WT_OK(pthread_attr_init(&a));
    WT_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    WT_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    WT_OK(pthread_attr_getschedparam(&a, &p));
    WT_EQ(p.sched_priority, 0); /* not changed behind the caller's back */
    WT_ERR(pthread_create(&t, &a, noop, NULL), EINVAL);
    p.sched_priority = 10;
    WT_OK(pthread_attr_setschedparam(&a, &p));
    WT_OK(pthread_create(&t, &a, noop, NULL));
    WT_OK(pthread_join(t, NULL));
    p.sched_priority = 100;
    WT_ERR(pthread_attr_setschedparam(&a, &p), EINVAL);
    WT_OK(pthread_attr_destroy(&a));
}

WT_MAIN(WT_ENTRY(defaults, 0, 60),
        WT_ENTRY(round_trips, 0, 60),
        WT_ENTRY(explicit_sched_pair_checked_at_create, 0, 60),
        WT_ENTRY(einval_values, 0, 60),
        WT_ENTRY(einval_uninitialised_destroyed, 0, 60),
        WT_ENTRY(user_stack, 0, 60),
        WT_ENTRY(stackaddr_obsolete, 0, 60),
        WT_ENTRY(big_stacks, 0, 60),
        WT_ENTRY(default_np, 0, 60),
        WT_ENTRY(affinity_sigmask, 0, 60),
        WT_ENTRY(attr_not_kept, 0, 60))
