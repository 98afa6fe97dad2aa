/* test-attr.c - thread attributes: every function, its errors, its getters,
 * and that weft_create applies what was set. */
#include "runner.h"

#include <sys/mman.h>

/* Every attr function on a given bad attr must answer EINVAL. */
static void expect_all_einval(weft_attr_t *a, const char *what)
{
    size_t sz;
    void *addr;
    int v;
    static char stack[8192] __attribute__((aligned(16)));

    fprintf(stderr, "  (attr: %s)\n", what);
    WT_ERR(weft_attr_destroy(a), EINVAL);
    WT_ERR(weft_attr_setstacksize(a, 1u << 20), EINVAL);
    WT_ERR(weft_attr_getstacksize(a, &sz), EINVAL);
    WT_ERR(weft_attr_setsmallstack(a, 4096), EINVAL);
    WT_ERR(weft_attr_setstack(a, stack, sizeof stack), EINVAL);
    WT_ERR(weft_attr_getstack(a, &addr, &sz), EINVAL);
    WT_ERR(weft_attr_setdetached(a, 1), EINVAL);
    WT_ERR(weft_attr_getdetached(a, &v), EINVAL);
    WT_ERR(weft_attr_setpriority(a, 3), EINVAL);
    WT_ERR(weft_attr_getpriority(a, &v), EINVAL);
    WT_ERR(weft_attr_setname(a, "x"), EINVAL);
    WT_ERR(weft_attr_setnewgroup(a, 1), EINVAL);
    WT_ERR(weft_attr_getnewgroup(a, &v), EINVAL);
}

WT_TEST(null_attr)
{
    expect_all_einval(NULL, "NULL");
    WT_ERR(weft_attr_init(NULL), EINVAL);
}

WT_TEST(uninitialised_attr)
{
    weft_attr_t a;
    memset(&a, 0, sizeof a);
    expect_all_einval(&a, "all zero");
    memset(&a, 0xa5, sizeof a);
    expect_all_einval(&a, "garbage 0xa5");
}

static void *ret_arg(void *arg) { return arg; }

WT_TEST(create_with_bad_attr)
{
    weft_attr_t a;
    weft_t t = 0;
    memset(&a, 0, sizeof a);
    WT_ERR(weft_create(&t, &a, ret_arg, NULL), EINVAL);
    memset(&a, 0x5a, sizeof a);
    WT_ERR(weft_create(&t, &a, ret_arg, NULL), EINVAL);
}

WT_TEST(destroyed_attr)
{
    weft_attr_t a;
    int v;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_destroy(&a));
    /* A destroyed attribute is an uninitialised one again. */
    WT_ERR(weft_attr_getpriority(&a, &v), EINVAL);
    WT_ERR(weft_attr_destroy(&a), EINVAL);
    /* ... and can be initialised again. */
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_getpriority(&a, &v));
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(defaults)
{
    weft_attr_t a;
    size_t sz = 0;
    int v = -1;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_STACK_DEFAULT);
    WT_OK(weft_attr_getdetached(&a, &v));
    WT_EQ(v, 0);
    WT_OK(weft_attr_getpriority(&a, &v));
    WT_EQ(v, WEFT_PRIO_DEFAULT);
    v = -1;
    WT_OK(weft_attr_getnewgroup(&a, &v));
    WT_EQ(v, 0);
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(stacksize)
{
    weft_attr_t a;
    size_t sz = 0;
    long page = sysconf(_SC_PAGESIZE);
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_attr_setstacksize(&a, 0), EINVAL);
    WT_ERR(weft_attr_setstacksize(&a, WEFT_STACK_MIN - 1), EINVAL);
    WT_ERR(weft_attr_setstacksize(&a, WEFT_SMALL_STACK_MIN), EINVAL);
    /* A refused value changes nothing. */
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_STACK_DEFAULT);

    WT_OK(weft_attr_setstacksize(&a, WEFT_STACK_MIN));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_STACK_MIN);
    WT_OK(weft_attr_setstacksize(&a, 1u << 20));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, 1u << 20);
    /* Not a page multiple: accepted; the getter gives the size asked for or
     * that size rounded up to pages (the header only says weft rounds). */
    WT_OK(weft_attr_setstacksize(&a, WEFT_STACK_MIN + 1));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_ASSERTF(sz == WEFT_STACK_MIN + 1 ||
               sz == (WEFT_STACK_MIN + (size_t)page),
               "getstacksize after setstacksize(MIN+1) = %zu", sz);
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(smallstack)
{
    weft_attr_t a;
    size_t sz = 0;
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_attr_setsmallstack(&a, 0), EINVAL);
    WT_ERR(weft_attr_setsmallstack(&a, 1024), EINVAL);
    WT_ERR(weft_attr_setsmallstack(&a, WEFT_SMALL_STACK_MIN - 1), EINVAL);
    WT_ERR(weft_attr_setsmallstack(&a, 2500), EINVAL);       /* not k-multiple */
    WT_ERR(weft_attr_setsmallstack(&a, WEFT_STACK_MIN + 1024), EINVAL);
    WT_ERR(weft_attr_setsmallstack(&a, 1u << 20), EINVAL);
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_STACK_DEFAULT);

    WT_OK(weft_attr_setsmallstack(&a, WEFT_SMALL_STACK_MIN));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_SMALL_STACK_MIN);
    WT_OK(weft_attr_setsmallstack(&a, 3072));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, 3072);
    WT_OK(weft_attr_setsmallstack(&a, WEFT_STACK_MIN - 1024));
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, WEFT_STACK_MIN - 1024);
    /* WEFT_STACK_MIN itself: the header's "MIN..WEFT_STACK_MIN" does not say
     * whether the upper end is included; not checked. */
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(user_stack)
{
    weft_attr_t a;
    void *addr = NULL;
    size_t sz = 0;
    char *mem = aligned_alloc(64, 65536);
    WT_ASSERT(mem);
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_attr_setstack(&a, NULL, 65536), EINVAL);
    WT_ERR(weft_attr_setstack(&a, mem, 0), EINVAL);
    WT_ERR(weft_attr_setstack(&a, mem, WEFT_SMALL_STACK_MIN - 1), EINVAL);
    WT_ERR(weft_attr_setstack(&a, mem, 1024), EINVAL);
    WT_ERR(weft_attr_setstack(&a, mem + 8, 32768), EINVAL);   /* unaligned */
    WT_ERR(weft_attr_setstack(&a, mem + 1, 32768), EINVAL);
    WT_ERR(weft_attr_setstack(&a, mem + 4, 32768), EINVAL);

    WT_OK(weft_attr_setstack(&a, mem + 16, WEFT_SMALL_STACK_MIN));
    WT_OK(weft_attr_getstack(&a, &addr, &sz));
    WT_PTR_EQ(addr, mem + 16);
    WT_EQ(sz, WEFT_SMALL_STACK_MIN);
    WT_OK(weft_attr_setstack(&a, mem, 65536));
    WT_OK(weft_attr_getstack(&a, &addr, &sz));
    WT_PTR_EQ(addr, mem);
    WT_EQ(sz, 65536);
    WT_OK(weft_attr_getstacksize(&a, &sz));
    WT_EQ(sz, 65536);
    WT_OK(weft_attr_destroy(&a));
    free(mem);
}

WT_TEST(detached)
{
    weft_attr_t a;
    int v = -1;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setdetached(&a, 1));
    WT_OK(weft_attr_getdetached(&a, &v));
    WT_NE(v, 0);
    WT_OK(weft_attr_setdetached(&a, 0));
    WT_OK(weft_attr_getdetached(&a, &v));
    WT_EQ(v, 0);
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(priority)
{
    weft_attr_t a;
    int v = -1;
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_attr_setpriority(&a, WEFT_PRIO_MIN - 1), EINVAL);
    WT_ERR(weft_attr_setpriority(&a, WEFT_PRIO_MAX + 1), EINVAL);
    WT_ERR(weft_attr_setpriority(&a, -1000), EINVAL);
    WT_ERR(weft_attr_setpriority(&a, 1 << 30), EINVAL);
    WT_OK(weft_attr_getpriority(&a, &v));
    WT_EQ(v, WEFT_PRIO_DEFAULT);
    for (int p = WEFT_PRIO_MIN; p <= WEFT_PRIO_MAX; p++) {
        WT_OK(weft_attr_setpriority(&a, p));
        WT_OK(weft_attr_getpriority(&a, &v));
        WT_EQ(v, p);
    }
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(newgroup)
{
    weft_attr_t a;
    int v = -1;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setnewgroup(&a, 1));
    WT_OK(weft_attr_getnewgroup(&a, &v));
    WT_NE(v, 0);
    WT_OK(weft_attr_setnewgroup(&a, 0));
    WT_OK(weft_attr_getnewgroup(&a, &v));
    WT_EQ(v, 0);
    WT_OK(weft_attr_destroy(&a));
}

/* ---- weft_create applies the attribute ---- */
static weft_sem_t gate;

static void *wait_gate(void *arg)
{
    WT_OK(weft_sem_wait(&gate));
    return arg;
}

WT_TEST(create_applies_attr)
{
    weft_attr_t a;
    weft_t t;
    char name[WEFT_NAME_MAX];
    int prio = -1;
    void *res = NULL;

    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setpriority(&a, 7));
    WT_OK(weft_attr_setname(&a, "attr-named"));
    WT_OK(weft_create(&t, &a, wait_gate, (void *)0x1234));
    /* The attribute is copied: changing or destroying it later does not
     * change the thread. */
    WT_OK(weft_attr_setpriority(&a, 9));
    WT_OK(weft_attr_setname(&a, "changed"));
    WT_OK(weft_attr_destroy(&a));
    WT_OK(weft_getpriority(t, &prio));
    WT_EQ(prio, 7);
    WT_OK(weft_getname(t, name, sizeof name));
    WT_STR_EQ(name, "attr-named");
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(t, &res));
    WT_PTR_EQ(res, (void *)0x1234);
}

WT_TEST(name_cut)
{
    weft_attr_t a;
    weft_t t;
    char name[64];
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    /* 26 characters: cut to WEFT_NAME_MAX - 1 = 15. */
    WT_OK(weft_attr_setname(&a, "abcdefghijklmnopqrstuvwxyz"));
    WT_OK(weft_create(&t, &a, wait_gate, NULL));
    WT_OK(weft_getname(t, name, sizeof name));
    WT_STR_EQ(name, "abcdefghijklmno");
    WT_EQ(strlen(name), WEFT_NAME_MAX - 1);
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(create_detached)
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setdetached(&a, 1));
    WT_OK(weft_create(&t, &a, wait_gate, NULL));
    /* Alive and detached: join and detach say EINVAL. */
    WT_ERR(weft_join(t, NULL), EINVAL);
    WT_ERR(weft_detach(t), EINVAL);
    WT_OK(weft_sem_post(&gate));
    /* Once it has ended it is gone. */
    uint64_t id;
    WT_WAIT_UNTIL(weft_getid(t, &id) == ESRCH, 10);
    WT_ERR(weft_join(t, NULL), ESRCH);
    WT_OK(weft_attr_destroy(&a));
}

/* One attribute, many threads, with a big weft-allocated stack used deep. */
static void *use_stack(void *arg)
{
    size_t n = (size_t)arg;
    volatile char buf[n];
    for (size_t i = 0; i < n; i += 512)
        buf[i] = (char)i;
    weft_yield();
    size_t sum = 0;
    for (size_t i = 0; i < n; i += 512)
        sum += (unsigned char)buf[i];
    return (void *)sum;
}

WT_TEST(attr_reused)
{
    weft_attr_t a;
    weft_t t[16];
    size_t want = 0;
    const size_t n = 200 * 1024;
    for (size_t i = 0; i < n; i += 512)
        want += (unsigned char)(char)i;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setstacksize(&a, 256 * 1024));
    for (int i = 0; i < 16; i++)
        WT_OK(weft_create(&t[i], &a, use_stack, (void *)n));
    for (int i = 0; i < 16; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((size_t)r, want);
    }
    WT_OK(weft_attr_destroy(&a));
}

WT_MAIN(WT_ENTRY(null_attr, 0, 60),
        WT_ENTRY(uninitialised_attr, 0, 60),
        WT_ENTRY(create_with_bad_attr, 0, 60),
        WT_ENTRY(destroyed_attr, 0, 60),
        WT_ENTRY(defaults, 0, 60),
        WT_ENTRY(stacksize, 0, 60),
        WT_ENTRY(smallstack, 0, 60),
        WT_ENTRY(user_stack, 0, 60),
        WT_ENTRY(detached, 0, 60),
        WT_ENTRY(priority, 0, 60),
        WT_ENTRY(newgroup, 0, 60),
        WT_ENTRY(create_applies_attr, 0, 60),
        WT_ENTRY(name_cut, 0, 60),
        WT_ENTRY(create_detached, 0, 60),
        WT_ENTRY(attr_reused, 0, 60))
