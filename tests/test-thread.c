/* test-thread.c - create, join, detach, exit, self, ids, names, priorities,
 * every documented error of the thread calls, stale handles, user and small
 * stacks, per-thread errno. */
#include "runner.h"

#include <sys/mman.h>

static void *ret_arg(void *arg) { return arg; }

static weft_sem_t gate;

static void *wait_gate(void *arg)
{
    WT_OK(weft_sem_wait(&gate));
    return arg;
}

WT_TEST(create_join)
{
    enum { N = 64 };
    weft_t t[N];
    for (int i = 0; i < N; i++) {
        WT_OK(weft_create(&t[i], NULL, ret_arg, (void *)(uintptr_t)(i * 3 + 1)));
        WT_NE(t[i], 0);
    }
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((uintptr_t)r, i * 3 + 1);
    }
    /* result may be NULL */
    weft_t u;
    WT_OK(weft_create(&u, NULL, ret_arg, NULL));
    WT_OK(weft_join(u, NULL));
}

/* A thread that creates and joins its own children. */
static void *nested(void *arg)
{
    uintptr_t depth = (uintptr_t)arg;
    if (depth == 0)
        return (void *)1;
    weft_t a, b;
    void *ra, *rb;
    WT_OK(weft_create(&a, NULL, nested, (void *)(depth - 1)));
    WT_OK(weft_create(&b, NULL, nested, (void *)(depth - 1)));
    WT_OK(weft_join(a, &ra));
    WT_OK(weft_join(b, &rb));
    return (void *)((uintptr_t)ra + (uintptr_t)rb);
}

WT_TEST(create_join_nested)
{
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, NULL, nested, (void *)10));
    WT_OK(weft_join(t, &r));
    WT_EQ((uintptr_t)r, 1024);
}

static atomic_int detached_ran;

static void *detached_fn(void *arg)
{
    (void)arg;
    atomic_fetch_add(&detached_ran, 1);
    return NULL;
}

WT_TEST(detach)
{
    enum { N = 100 };
    weft_t t[N];
    atomic_store(&detached_ran, 0);
    WT_OK(weft_sem_init(&gate, 0));
    /* detach while alive (blocked) */
    weft_t b;
    WT_OK(weft_create(&b, NULL, wait_gate, NULL));
    WT_OK(weft_detach(b));
    /* detach right after creation, and maybe after it ended */
    for (int i = 0; i < N; i++) {
        WT_OK(weft_create(&t[i], NULL, detached_fn, NULL));
        if (i % 2)
            weft_yield();
        WT_OK(weft_detach(t[i]));
    }
    WT_WAIT_UNTIL(atomic_load(&detached_ran) == N, 10);
    /* ended detached threads are gone */
    uint64_t id;
    for (int i = 0; i < N; i++)
        WT_WAIT_UNTIL(weft_getid(t[i], &id) == ESRCH, 10);
    WT_OK(weft_sem_post(&gate));
    WT_WAIT_UNTIL(weft_getid(b, &id) == ESRCH, 10);
    WT_ERR(weft_join(b, NULL), ESRCH);
}

static void *self_fn(void *arg)
{
    (void)arg;
    weft_t me = weft_self();
    WT_NE(me, 0);
    WT_ASSERT(weft_equal(me, weft_self()));
    WT_ASSERT(weft_equal(me, me));
    return (void *)(uintptr_t)me;
}

WT_TEST(self_equal)
{
    weft_t m1 = weft_self(), m2 = weft_self();
    WT_NE(m1, 0);
    WT_ASSERT(weft_equal(m1, m2));
    weft_t t[2];
    void *r[2];
    WT_OK(weft_create(&t[0], NULL, self_fn, NULL));
    WT_OK(weft_create(&t[1], NULL, self_fn, NULL));
    WT_ASSERT(!weft_equal(t[0], t[1]));
    WT_ASSERT(!weft_equal(t[0], m1));
    WT_OK(weft_join(t[0], &r[0]));
    WT_OK(weft_join(t[1], &r[1]));
    WT_ASSERT(weft_equal((weft_t)(uintptr_t)r[0], t[0]));
    WT_ASSERT(weft_equal((weft_t)(uintptr_t)r[1], t[1]));
    WT_ASSERT(!weft_equal((weft_t)(uintptr_t)r[0], (weft_t)(uintptr_t)r[1]));
    /* main keeps its handle */
    WT_ASSERT(weft_equal(weft_self(), m1));
    uint64_t id1, id2;
    WT_OK(weft_getid(m1, &id1));
    WT_OK(weft_getid(weft_self(), &id2));
    WT_EQ_U64(id1, id2);
}

/* ---- ids ---- */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define IDS_PER_CREATOR 2000
struct id_batch {
    uint64_t ids[IDS_PER_CREATOR];
    int decreased_at; /* first i where ids[i] <= ids[i - 1], or -1 */
    int last_vcpu, migrations;
};

static void *creator(void *arg)
{
    struct id_batch *b = arg;
    b->decreased_at = -1;
    for (int i = 0; i < IDS_PER_CREATOR; i++) {
        weft_t t;
        WT_OK(weft_create(&t, NULL, ret_arg, NULL));
        WT_OK(weft_getid(t, &b->ids[i]));
        if (i > 0 && b->ids[i] <= b->ids[i - 1] && b->decreased_at < 0)
            b->decreased_at = i;
        int v = weft_vcpu_self();
        if (i > 0 && v != b->last_vcpu)
            b->migrations++;
        b->last_vcpu = v;
        WT_OK(weft_join(t, NULL));
        /* move around: a sleeper may be woken by another vCPU's timer
         * poll, and a yield may let an idle vCPU steal us */
        if (i % 7 == 0)
            weft_yield();
        if (i % 16 == 0)
            weft_sleep(20000);
    }
    return NULL;
}

enum { CREATORS = 8 };

static struct id_batch *run_creators(void)
{
    struct id_batch *b = calloc(CREATORS, sizeof *b);
    weft_t c[CREATORS];
    for (int i = 0; i < CREATORS; i++)
        WT_OK(weft_create(&c[i], NULL, creator, &b[i]));
    for (int i = 0; i < CREATORS; i++)
        WT_OK(weft_join(c[i], NULL));
    return b;
}

/* Ids are unique, sequentially from main and across concurrent creators. */
WT_TEST(ids_unique)
{
    int n = (int)wt_scaled(20000);
    uint64_t prev = 0, id;
    for (int i = 0; i < n; i++) {
        weft_t t;
        WT_OK(weft_create(&t, NULL, ret_arg, NULL));
        WT_OK(weft_getid(t, &id));
        WT_GT(id, prev); /* main creates: increasing, even as slots recycle */
        prev = id;
        WT_OK(weft_join(t, NULL));
    }
    struct id_batch *b = run_creators();
    uint64_t *all = malloc(sizeof(uint64_t) * CREATORS * IDS_PER_CREATOR);
    for (int i = 0; i < CREATORS; i++)
        memcpy(all + (size_t)i * IDS_PER_CREATOR, b[i].ids, sizeof b[i].ids);
    qsort(all, (size_t)CREATORS * IDS_PER_CREATOR, sizeof *all, cmp_u64);
    for (size_t i = 1; i < (size_t)CREATORS * IDS_PER_CREATOR; i++)
        WT_LT(all[i - 1], all[i]);
    WT_GT(all[0], prev); /* and never an id from before */
    free(all);
    free(b);
}

/* Ids increase in creation order also for a weft thread that creates
 * (DESIGN.md: monotonic tids), even when it moves between vCPUs. */
WT_TEST(ids_increasing_per_creator)
{
    struct id_batch *b = run_creators();
    int moved = 0;
    for (int i = 0; i < CREATORS; i++)
        moved += b[i].migrations;
    printf("  creators changed vCPU %d times\n", moved);
    for (int i = 0; i < CREATORS; i++) {
        int k = b[i].decreased_at;
        if (k > 0)
            wt_fail(__FILE__, __LINE__,
                    "creator %d: id #%d = %" PRIu64 " after id #%d = %" PRIu64,
                    i, k, b[i].ids[k], k - 1, b[i].ids[k - 1]);
    }
    free(b);
}

WT_TEST(getid_errors)
{
    uint64_t id;
    weft_t t;
    WT_ERR(weft_getid(0, &id), ESRCH);
    WT_OK(weft_create(&t, NULL, ret_arg, NULL));
    WT_OK(weft_getid(t, &id));
    WT_NE(id, 0);
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_getid(t, &id), ESRCH);
}

/* ---- names ---- */
static void *name_self(void *arg)
{
    char buf[WEFT_NAME_MAX];
    WT_OK(weft_setname(weft_self(), (const char *)arg));
    WT_OK(weft_getname(weft_self(), buf, sizeof buf));
    WT_STR_EQ(buf, (const char *)arg);
    return NULL;
}

WT_TEST(names)
{
    weft_t t;
    char buf[64];
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_create(&t, NULL, wait_gate, NULL));

    /* exactly WEFT_NAME_MAX - 1 characters fit */
    WT_OK(weft_setname(t, "0123456789abcde"));
    WT_OK(weft_getname(t, buf, sizeof buf));
    WT_STR_EQ(buf, "0123456789abcde");
    /* one more: ERANGE, and nothing changes */
    WT_ERR(weft_setname(t, "0123456789abcdef"), ERANGE);
    WT_ERR(weft_setname(t, "a name that is much too long for weft"), ERANGE);
    WT_OK(weft_getname(t, buf, sizeof buf));
    WT_STR_EQ(buf, "0123456789abcde");

    WT_OK(weft_setname(t, "worker"));
    /* getname: len must hold the name and its NUL */
    WT_OK(weft_getname(t, buf, 7));
    WT_STR_EQ(buf, "worker");
    WT_ERR(weft_getname(t, buf, 6), ERANGE);
    WT_ERR(weft_getname(t, buf, 1), ERANGE);
    WT_ERR(weft_getname(t, buf, 0), ERANGE);
    /* an empty name reads back empty */
    WT_OK(weft_setname(t, ""));
    WT_OK(weft_getname(t, buf, 1));
    WT_STR_EQ(buf, "");

    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_setname(t, "gone"), ESRCH);
    WT_ERR(weft_getname(t, buf, sizeof buf), ESRCH);
    WT_ERR(weft_setname(0, "x"), ESRCH);
    WT_ERR(weft_getname(0, buf, sizeof buf), ESRCH);

    /* a thread names itself; main can be named */
    WT_OK(weft_create(&t, NULL, name_self, "self-named"));
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_setname(weft_self(), "main"));
    WT_OK(weft_getname(weft_self(), buf, sizeof buf));
    WT_STR_EQ(buf, "main");
}

/* ---- priorities ---- */
WT_TEST(priority)
{
    weft_t t;
    int p = -1;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_create(&t, NULL, wait_gate, NULL));
    WT_OK(weft_getpriority(t, &p));
    WT_EQ(p, WEFT_PRIO_DEFAULT);
    for (int q = WEFT_PRIO_MIN; q <= WEFT_PRIO_MAX; q++) {
        WT_OK(weft_setpriority(t, q));
        WT_OK(weft_getpriority(t, &p));
        WT_EQ(p, q);
    }
    /* Out of range: EINVAL (the convention of the attribute calls; the
     * header does not list it for weft_setpriority) and nothing changes. */
    WT_ERR(weft_setpriority(t, WEFT_PRIO_MAX + 1), EINVAL);
    WT_ERR(weft_setpriority(t, WEFT_PRIO_MIN - 1), EINVAL);
    WT_OK(weft_getpriority(t, &p));
    WT_EQ(p, WEFT_PRIO_MAX);
    WT_OK(weft_setpriority(t, 3));
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_setpriority(t, 3), ESRCH);
    WT_ERR(weft_getpriority(t, &p), ESRCH);
    WT_ERR(weft_getpriority(0, &p), ESRCH);
    /* main has a priority too */
    WT_OK(weft_getpriority(weft_self(), &p));
    WT_GE(p, WEFT_PRIO_MIN);
    WT_LE(p, WEFT_PRIO_MAX);
}

/* ---- join / detach errors ---- */
static void *join_self(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_join(weft_self(), NULL);
}

static void *detach_twice_then_wait(void *arg)
{
    (void)arg;
    WT_OK(weft_sem_wait(&gate));
    return NULL;
}

WT_TEST(join_errors)
{
    weft_t t;
    void *r;
    WT_OK(weft_sem_init(&gate, 0));

    /* join twice */
    WT_OK(weft_create(&t, NULL, ret_arg, (void *)5));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)5);
    WT_ERR(weft_join(t, &r), ESRCH);
    WT_ERR(weft_join(t, NULL), ESRCH);
    /* detach a gone thread */
    WT_ERR(weft_detach(t), ESRCH);

    /* join yourself */
    WT_OK(weft_create(&t, NULL, join_self, NULL));
    WT_OK(weft_join(t, &r));
    WT_ERR((intptr_t)r, EDEADLK);

    /* join a detached (live) thread; detach twice */
    WT_OK(weft_create(&t, NULL, detach_twice_then_wait, NULL));
    WT_OK(weft_detach(t));
    WT_ERR(weft_join(t, &r), EINVAL);
    WT_ERR(weft_detach(t), EINVAL);
    WT_OK(weft_sem_post(&gate));
    uint64_t id;
    WT_WAIT_UNTIL(weft_getid(t, &id) == ESRCH, 10);
    WT_ERR(weft_join(t, &r), ESRCH);
    WT_ERR(weft_detach(t), ESRCH);

    /* handles that never were */
    const weft_t bad[] = {0, 1, 2, 0xdeadbeef, 0xdeadbeefdeadbeefull,
                          0x8000000000000000ull, 0xffffffffull,
                          0xffffffff00000000ull, ~0ull};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rj = weft_join(bad[i], &r), rd = weft_detach(bad[i]);
        int ri = weft_getid(bad[i], &id);
        if (rj != ESRCH || rd != ESRCH || ri != ESRCH)
            wt_fail(__FILE__, __LINE__,
                    "handle 0x%" PRIx64 ": join %s, detach %s, getid %s; "
                    "expected ESRCH", bad[i], wt_errname(rj),
                    wt_errname(rd), wt_errname(ri));
    }
}

/* Two joiners at once: the second gets EINVAL, the first the result. */
static weft_t join_target;

static void *joiner(void *arg)
{
    (void)arg;
    void *r = NULL;
    int rc = weft_join(join_target, &r);
    WT_OK(rc);
    return r;
}

static void *second_joiner(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_join(join_target, NULL);
}

WT_TEST(join_concurrent)
{
    weft_t j;
    void *r;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_create(&join_target, NULL, wait_gate, (void *)77));
    WT_OK(weft_create(&j, NULL, joiner, NULL));
    /* let the first joiner start waiting */
    weft_sleep(100 * WT_MS);
    /* main is the second joiner */
    WT_ERR(weft_join(join_target, &r), EINVAL);
    WT_ERR(weft_detach(join_target), EINVAL);
    /* a weft thread as the second joiner */
    weft_t j2;
    WT_OK(weft_create(&j2, NULL, second_joiner, NULL));
    WT_OK(weft_join(j2, &r));
    WT_ERR((intptr_t)r, EINVAL);
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(j, &r));
    WT_PTR_EQ(r, (void *)77);
    WT_ERR(weft_join(join_target, &r), ESRCH);
}

static weft_t main_handle;

static void *join_main(void *arg)
{
    (void)arg;
    WT_ERR(weft_join(main_handle, NULL), EINVAL);
    WT_ERR(weft_detach(main_handle), EINVAL);
    return (void *)1;
}

WT_TEST(join_bound)
{
    weft_t t;
    void *r;
    main_handle = weft_self();
    WT_OK(weft_create(&t, NULL, join_main, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    /* main is still there */
    uint64_t id;
    WT_OK(weft_getid(main_handle, &id));
}

/* Keep a handle; let its thread be joined; reuse the slots many times. */
WT_TEST(join_after_reuse)
{
    weft_t old, olddet;
    uint64_t id;
    char buf[WEFT_NAME_MAX];
    int p;
    void *r;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_create(&old, NULL, ret_arg, (void *)3));
    WT_OK(weft_join(old, &r));
    WT_PTR_EQ(r, (void *)3);
    WT_OK(weft_create(&olddet, NULL, ret_arg, NULL));
    WT_OK(weft_detach(olddet));
    WT_WAIT_UNTIL(weft_getid(olddet, &id) == ESRCH, 10);

    int n = (int)wt_scaled(20000);
    enum { LIVE = 64 };
    weft_t live[LIVE];
    for (int i = 0; i < n; i++) {
        weft_t t;
        WT_OK(weft_create(&t, NULL, ret_arg, (void *)(uintptr_t)i));
        WT_ASSERT(!weft_equal(t, old));
        WT_ASSERT(!weft_equal(t, olddet));
        WT_OK(weft_join(t, &r));
        WT_EQ((uintptr_t)r, i);
    }
    /* some alive while the stale handles are used */
    for (int i = 0; i < LIVE; i++) {
        WT_OK(weft_create(&live[i], NULL, wait_gate, (void *)(uintptr_t)i));
        WT_ASSERT(!weft_equal(live[i], old));
    }
    const weft_t stale[2] = {old, olddet};
    for (int k = 0; k < 2; k++) {
        weft_t s = stale[k];
        WT_ERR(weft_join(s, &r), ESRCH);
        WT_ERR(weft_detach(s), ESRCH);
        WT_ERR(weft_getname(s, buf, sizeof buf), ESRCH);
        WT_ERR(weft_setname(s, "zombie"), ESRCH);
        WT_ERR(weft_getid(s, &id), ESRCH);
        WT_ERR(weft_getpriority(s, &p), ESRCH);
        WT_ERR(weft_setpriority(s, 1), ESRCH);
        weft_gid_t g;
        WT_ERR(weft_group_of(s, &g), ESRCH);
    }
    /* the live threads were not touched by the stale calls */
    for (int i = 0; i < LIVE; i++) {
        WT_OK(weft_getname(live[i], buf, sizeof buf));
        WT_ASSERTF(strcmp(buf, "zombie") != 0, "live thread %d renamed", i);
        WT_OK(weft_getpriority(live[i], &p));
        WT_EQ(p, WEFT_PRIO_DEFAULT);
    }
    for (int i = 0; i < LIVE; i++)
        WT_OK(weft_sem_post(&gate));
    for (int i = 0; i < LIVE; i++) {
        WT_OK(weft_join(live[i], &r));
        WT_EQ((uintptr_t)r, i);
    }
}

/* ---- weft_exit ---- */
static __attribute__((noinline)) void exit_deep(int depth, void *res)
{
    if (depth < 0)
        return; /* never: the caller passes depth >= 0 */
    if (depth > 0)
        exit_deep(depth - 1, res);
    weft_exit(res);
}

static void *exit_fn(void *arg)
{
    exit_deep(20, arg);
    return (void *)0xbad;
}

WT_TEST(exit_result)
{
    weft_t t[10];
    for (int i = 0; i < 10; i++)
        WT_OK(weft_create(&t[i], NULL, exit_fn, (void *)(uintptr_t)(100 + i)));
    for (int i = 0; i < 10; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((uintptr_t)r, 100 + i);
    }
}

WT_TEST(create_einval)
{
    weft_t t = 0;
    WT_ERR(weft_create(&t, NULL, NULL, NULL), EINVAL);
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_create(&t, &a, NULL, NULL), EINVAL);
    WT_OK(weft_attr_destroy(&a));
}

/* ---- user-supplied stacks ---- */
struct stack_probe {
    char *lo, *hi;
    int in_range;
};

static void *probe_stack(void *arg)
{
    struct stack_probe *p = arg;
    volatile char local[256];
    local[0] = 1;
    p->in_range = (char *)local >= p->lo && (char *)local < p->hi;
    weft_yield();
    return (void *)(uintptr_t)local[0];
}

WT_TEST(user_stack)
{
    const size_t sz = 64 * 1024;
    weft_attr_t a;
    weft_t t;
    void *r;

    /* heap memory: still ours after the join (ASan catches a free) */
    char *mem = aligned_alloc(16, sz);
    WT_ASSERT(mem);
    memset(mem, 0xcc, sz);
    struct stack_probe p = {mem, mem + sz, 0};
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setstack(&a, mem, sz));
    WT_OK(weft_create(&t, &a, probe_stack, &p));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, (void *)1);
    WT_ASSERTF(p.in_range, "the thread did not run on the supplied stack");
    /* something near the top was used, the bottom was not */
    size_t used = 0;
    for (size_t i = 0; i < sz; i++)
        used += mem[i] != (char)0xcc;
    WT_GT(used, 0);
    memset(mem, 0, sz); /* still writable */
    /* the same memory again, for a second thread */
    WT_OK(weft_create(&t, &a, probe_stack, &p));
    WT_OK(weft_join(t, &r));
    WT_ASSERT(p.in_range);
    free(mem);

    /* mmap'd memory: the mapping must still exist after the join */
    char *m = mmap(NULL, sz, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(m != MAP_FAILED);
    p.lo = m;
    p.hi = m + sz;
    WT_OK(weft_attr_setstack(&a, m, sz));
    WT_OK(weft_create(&t, &a, probe_stack, &p));
    WT_OK(weft_join(t, &r));
    WT_ASSERT(p.in_range);
    WT_EQ(msync(m, sz, MS_ASYNC), 0); /* ENOMEM if weft unmapped it */
    WT_OK(weft_attr_destroy(&a));
    WT_EQ(munmap(m, sz), 0);
}

/* ---- small stacks ---- */
static void *shallow(void *arg)
{
    volatile int x = (int)(uintptr_t)arg;
    weft_yield();
    return (void *)(uintptr_t)(x + 1);
}

WT_TEST(small_stack)
{
    int n = (int)wt_scaled(2000);
    weft_t *t = calloc((size_t)n, sizeof *t);
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setsmallstack(&a, WEFT_SMALL_STACK_MIN));
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], &a, shallow, (void *)(uintptr_t)i));
    for (int i = 0; i < n; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((uintptr_t)r, i + 1);
    }
    WT_OK(weft_attr_setsmallstack(&a, 4096));
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], &a, shallow, (void *)(uintptr_t)i));
    for (int i = 0; i < n; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((uintptr_t)r, i + 1);
    }
    WT_OK(weft_attr_destroy(&a));
    free(t);
}

/* ---- errno is per thread ---- */
/* weft saves and restores errno at every switch. glibc declares
 * __errno_location const, so a compiler may keep errno's address across
 * weft_yield; after a migration to another vCPU that address is the old
 * host thread's errno (unless the thread has TLS of its own, docs/tls.md,
 * which these do not: libweft's default is shared TLS). So this
 * test asks for the address afresh, through a volatile function pointer the
 * compiler cannot fold, and checks the value weft keeps per thread. */
static int *(*volatile errno_loc)(void) = __errno_location;
static atomic_int errno_go;

static void *errno_fn(void *arg)
{
    int mine = (int)(uintptr_t)arg;
    long iters = (long)wt_knob("iterations", wt_scaled(100000));
    while (!atomic_load(&errno_go))
        weft_yield();
    *errno_loc() = mine;
    for (long i = 0; i < iters; i++) {
        weft_yield();
        if (*errno_loc() != mine)
            wt_fail(__FILE__, __LINE__,
                    "thread %d: errno is %d after %ld yields", mine, *errno_loc(), i);
        if (i % 1000 == 0) {
            weft_sleep(0);
            WT_EQ(*errno_loc(), mine);
        }
    }
    return NULL;
}

static void errno_body(void)
{
    enum { N = 6 };
    weft_t t[N];
    atomic_store(&errno_go, 0);
    errno = 4242;
    for (int i = 0; i < N; i++)
        WT_OK(weft_create(&t[i], NULL, errno_fn, (void *)(uintptr_t)(1000 + i)));
    atomic_store(&errno_go, 1);
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(errno, 4242); /* main's own errno survived the joins */
}

WT_TEST(errno_per_thread)
{
    errno_body();
}

/* On one vCPU the threads certainly share a host thread. */
WT_TEST(errno_per_thread_1vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    errno_body();
}

WT_MAIN(WT_ENTRY(create_join, 0, 60),
        WT_ENTRY(create_join_nested, 0, 60),
        WT_ENTRY(detach, 0, 60),
        WT_ENTRY(self_equal, 0, 60),
        WT_ENTRY(ids_unique, 0, 120),
        WT_ENTRY(ids_increasing_per_creator, 0, 120),
        WT_ENTRY(getid_errors, 0, 60),
        WT_ENTRY(names, 0, 60),
        WT_ENTRY(priority, 0, 60),
        WT_ENTRY(join_errors, 0, 60),
        WT_ENTRY(join_concurrent, 0, 60),
        WT_ENTRY(join_bound, 0, 60),
        WT_ENTRY(join_after_reuse, 0, 120),
        WT_ENTRY(exit_result, 0, 60),
        WT_ENTRY(create_einval, 0, 60),
        WT_ENTRY(user_stack, 0, 60),
        WT_ENTRY(small_stack, 0, 60),
        WT_ENTRY(errno_per_thread, 0, 120),
        WT_ENTRY(errno_per_thread_1vcpu, WT_FRESH, 120))
