/* test-tls.c - thread-local storage per weft thread (WEFT_TLS_OWN).
 *
 * __thread variables (initialised and zeroed ones) keep per-thread values
 * across yields, sleeps and migrations with 10,000 threads, and start
 * fresh in a reused record; errno needs no saving; a module loaded with
 * dlopen gets blocks per thread; the stack-protector canary (this file is
 * built with -fstack-protector-all) matches everywhere; a loop whose
 * compiler keeps the thread pointer in a register across a switch
 * (tls/cached.c) counts right, and the same loop on shared TLS does not;
 * glibc's stdio, malloc and strerror under stress; fork from a thread with
 * its own TLS. Where own TLS is unavailable (ThreadSanitizer), the tests
 * check the ENOTSUP paths and skip the rest. */
#include "runner.h"

#include <ctype.h>
#include <dlfcn.h>
#include <locale.h>
#include <sched.h>

int tls_cached_count(void (*step)(void *), void *arg, int n);
int tls_cached_sum(void);

static __thread int tv_init = 7;         /* .tdata */
static __thread char tv_zero[200];       /* .tbss */
static __thread struct { int id; double d; } tv_struct = {-1, 2.5};

static weft_attr_t own_attr(void)
{
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_settls(&a, WEFT_TLS_OWN));
    return a;
}

static void need_own_tls(void)
{
    if (!weft_tls_supported())
        WT_SKIP("own TLS is not available here (test create_unsupported covers it)");
}

static uintptr_t canary(void)
{
    uintptr_t c;
    __asm__ volatile("movq %%fs:0x28, %0" : "=r"(c));
    return c;
}

/* ---- attributes and configuration ---- */

WT_TEST(attr_errors)
{
    weft_attr_t a;
    int mode;
    WT_ERR(weft_attr_settls(NULL, WEFT_TLS_OWN), EINVAL);
    WT_ERR(weft_attr_gettls(NULL, &mode), EINVAL);
    memset(&a, 0, sizeof a);
    WT_ERR(weft_attr_settls(&a, WEFT_TLS_OWN), EINVAL); /* never initialised */
    WT_OK(weft_attr_init(&a));
    WT_ERR(weft_attr_gettls(&a, NULL), EINVAL);
    WT_OK(weft_attr_gettls(&a, &mode));
    WT_EQ(mode, WEFT_TLS_DEFAULT);
    WT_ERR(weft_attr_settls(&a, -1), EINVAL);
    WT_ERR(weft_attr_settls(&a, 3), EINVAL);
    int modes[] = {WEFT_TLS_OWN, WEFT_TLS_SHARED, WEFT_TLS_DEFAULT, WEFT_TLS_OWN};
    for (unsigned i = 0; i < sizeof modes / sizeof *modes; i++) {
        WT_OK(weft_attr_settls(&a, modes[i]));
        WT_OK(weft_attr_gettls(&a, &mode));
        WT_EQ(mode, modes[i]);
    }
    WT_OK(weft_attr_destroy(&a));
    WT_ERR(weft_attr_gettls(&a, &mode), EINVAL);
}

WT_TEST(config_errors)
{
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.tls = 3;
    WT_ERR(weft_init(&cfg), EINVAL);
    cfg.tls = -1;
    WT_ERR(weft_init(&cfg), EINVAL);
}

static void *addr_of_tv(void *arg)
{
    (void)arg;
    weft_yield();
    return &tv_init;
}

/* Two default threads on one vCPU: the same address for shared TLS, two
 * for own TLS. */
static int default_is_own(void)
{
    weft_t a, b;
    void *ra, *rb;
    WT_OK(weft_create(&a, NULL, addr_of_tv, NULL));
    WT_OK(weft_create(&b, NULL, addr_of_tv, NULL));
    WT_OK(weft_join(a, &ra));
    WT_OK(weft_join(b, &rb));
    return ra != rb;
}

WT_TEST(config_own)
{
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.nvcpus = 1;
    cfg.tls = WEFT_TLS_OWN;
    unsetenv("WEFT_VCPUS");
    int rc = weft_init(&cfg);
    if (rc == ENOTSUP) {
        WT_OK(weft_init(NULL)); /* the runtime did not start */
        WT_EQ(weft_tls_supported(), 0);
        WT_SKIP("own TLS is not available here; weft_init said ENOTSUP");
    }
    WT_OK(rc);
    WT_EQ(weft_tls_supported(), 1);
    WT_ASSERT(default_is_own());
}

WT_TEST(env_own)
{
    setenv("WEFT_TLS", "own", 1);
    setenv("WEFT_VCPUS", "1", 1);
    need_own_tls();
    WT_ASSERT(default_is_own());
}

WT_TEST(env_shared)
{
    setenv("WEFT_TLS", "shared", 1);
    setenv("WEFT_VCPUS", "1", 1);
    WT_ASSERT(!default_is_own());
}

/* libweft's own default is shared TLS (cheapest switch). */
WT_TEST(default_shared)
{
    unsetenv("WEFT_TLS");
    setenv("WEFT_VCPUS", "1", 1);
    WT_ASSERT(!default_is_own());
}

WT_TEST(create_unsupported)
{
    if (weft_tls_supported())
        WT_SKIP("own TLS is available here; the ENOTSUP path runs where it is not "
                "(the ThreadSanitizer build)");
    weft_attr_t a = own_attr();
    weft_t t;
    WT_ERR(weft_create(&t, &a, addr_of_tv, NULL), ENOTSUP);
    WT_OK(weft_attr_settls(&a, WEFT_TLS_SHARED));
    WT_OK(weft_create(&t, &a, addr_of_tv, NULL));
    WT_OK(weft_join(t, NULL));
}

/* ---- values per thread ---- */

struct tv_result {
    int bad;          /* first check that failed, 0 if none */
    int migrations;
    void *addr;       /* &tv_init as the thread saw it */
};

static struct tv_result *results;
static int rounds_knob;

static void *values_fn(void *arg)
{
    int id = (int)(uintptr_t)arg;
    struct tv_result *r = &results[id];
    if (tv_init != 7 || tv_struct.id != -1 || tv_struct.d != 2.5 || errno != 0)
        return r->bad = 1, NULL;
    for (unsigned i = 0; i < sizeof tv_zero; i++)
        if (tv_zero[i])
            return r->bad = 2, NULL;
    int *p = &tv_init; /* kept across every switch below */
    r->addr = p;
    tv_init = id;
    tv_struct.id = id;
    memset(tv_zero, id & 0x7f, sizeof tv_zero);
    errno = id;
    int cpu = sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return r->bad = 3, NULL;
    int vcpu = weft_vcpu_self();
    for (int i = 0; i < rounds_knob; i++) {
        if (i % 3 == 2)
            weft_sleep(1000 * (uint64_t)(id % 7));
        else
            weft_yield();
        int now = weft_vcpu_self();
        r->migrations += now != vcpu;
        vcpu = now;
        if (*p != id || tv_init != id || &tv_init != p || tv_struct.id != id || errno != id)
            return r->bad = 4, NULL;
        if (tv_zero[i % sizeof tv_zero] != (char)(id & 0x7f))
            return r->bad = 5, NULL;
    }
    return NULL;
}

/* must_move: fail unless some thread changed vCPU (the test is also about
 * migration); a test about something else need not insist. */
static int run_values(int n, const weft_attr_t *a, int must_move)
{
    weft_t *t = calloc((size_t)n, sizeof *t);
    results = calloc((size_t)n, sizeof *results);
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], a, values_fn, (void *)(uintptr_t)i));
    for (int i = 0; i < n; i++)
        WT_OK(weft_join(t[i], NULL));
    int moved = 0;
    for (int i = 0; i < n; i++) {
        if (results[i].bad)
            wt_fail(__FILE__, __LINE__, "thread %d: check %d failed", i, results[i].bad);
        moved += results[i].migrations;
    }
    printf("  %d threads, %d changes of vCPU\n", n, moved);
    if (must_move && weft_vcpu_count() > 1)
        WT_GT(moved, 0);
    free(t);
    free(results);
    return moved;
}

WT_TEST(values_10k)
{
    need_own_tls();
    rounds_knob = (int)wt_knob("rounds", 30);
    weft_attr_t a = own_attr();
    int n = (int)wt_scaled(10000);
    run_values(n, &a, 1); /* new blocks */
    run_values(n, &a, 1); /* the same blocks again, re-initialised */
    WT_EQ(tv_init, 7); /* main's own, untouched */
}

WT_TEST(values_4vcpus)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    rounds_knob = 60;
    weft_attr_t a = own_attr();
    /* Scaled down (sanitizers), a round can end before an idle vCPU
     * steals anything: rounds until threads have moved, 20 at most. */
    int moved = 0;
    for (int round = 0; round < 20 && !moved; round++)
        moved = run_values((int)wt_scaled(2000), &a, 0);
    WT_GT(moved, 0);
}

/* The same where the thread pointer is written with arch_prctl (machines
 * without FSGSBASE, and valgrind): WEFT_FSGSBASE=0 makes weft use it. */
WT_TEST(values_arch_prctl)
{
    setenv("WEFT_FSGSBASE", "0", 1);
    wt_start(2, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    rounds_knob = 30;
    weft_attr_t a = own_attr();
    /* Few threads under valgrind (WEFT_TEST_SCALE): they may never move. */
    run_values((int)wt_scaled(1000), &a, 0);
    run_values((int)wt_scaled(1000), &a, 0);
}

/* ---- errno ---- */

static atomic_int errno_go;

static void *errno_fn(void *arg)
{
    int mine = (int)(uintptr_t)arg;
    int *loc = &errno; /* one address for the thread's whole life */
    while (!atomic_load(&errno_go))
        weft_yield();
    errno = mine;
    for (int i = 0; i < 20000; i++) {
        weft_yield();
        if (errno != mine || &errno != loc)
            wt_fail(__FILE__, __LINE__, "thread %d: errno %d after %d yields", mine, errno, i);
    }
    return loc;
}

/* One vCPU: every thread runs on the same host thread, and nothing saves
 * or restores errno for threads with TLS of their own (sched.c). */
WT_TEST(errno_1vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    enum { N = 8 };
    weft_attr_t a = own_attr();
    weft_t t[N];
    void *loc[N];
    errno = 4242;
    for (int i = 0; i < N; i++)
        WT_OK(weft_create(&t[i], &a, errno_fn, (void *)(uintptr_t)(100 + i)));
    atomic_store(&errno_go, 1);
    for (int i = 0; i < N; i++)
        WT_OK(weft_join(t[i], &loc[i]));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            WT_ASSERT(loc[i] != loc[j]);
    WT_EQ(errno, 4242);
}

/* ---- a thread pointer kept in a register across switches ---- */

static void step(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    if (i % 5 == 0)
        weft_sleep(2000);
    else
        weft_yield();
}

struct cached {
    int idx, counted, fresh, migrations;
};

static void *cached_fn(void *arg)
{
    struct cached *c = arg;
    int v0 = weft_vcpu_self();
    c->counted = tls_cached_count(step, (void *)(uintptr_t)c->idx, 200);
    c->fresh = tls_cached_sum();
    c->migrations = weft_vcpu_self() != v0;
    return NULL;
}

static int run_cached(const weft_attr_t *a, int *moved)
{
    enum { N = 64 };
    static struct cached c[N];
    weft_t t[N];
    memset(c, 0, sizeof c);
    for (int i = 0; i < N; i++) {
        c[i].idx = i;
        WT_OK(weft_create(&t[i], a, cached_fn, &c[i]));
    }
    int wrong = 0;
    *moved = 0;
    for (int i = 0; i < N; i++) {
        WT_OK(weft_join(t[i], NULL));
        wrong += c[i].counted != 200 || c[i].fresh != 200;
        *moved += c[i].migrations;
    }
    return wrong;
}

WT_TEST(cached_thread_pointer)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    weft_attr_t a = own_attr();
    int moved;
    WT_EQ(run_cached(&a, &moved), 0);
    printf("  %d of 64 threads ended on another vCPU\n", moved);
}

/* The control: the same code on shared TLS gets it wrong (the threads of a
 * vCPU count into one block), so the test above can tell. One vCPU: with
 * more, a migrated thread would count into another vCPU's block while that
 * vCPU's threads do, a data race ThreadSanitizer rightly reports. */
WT_TEST(cached_thread_pointer_shared_control)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_settls(&a, WEFT_TLS_SHARED));
    int moved;
    WT_GT(run_cached(&a, &moved), 0);
}

/* ---- dumps say which threads have TLS of their own ---- */

static weft_sem_t dump_sem;

static void *dump_waiter(void *arg)
{
    (void)arg;
    weft_sem_wait(&dump_sem);
    return NULL;
}

WT_TEST(dump_marks_own_tls)
{
    need_own_tls();
    WT_OK(weft_sem_init(&dump_sem, 0));
    weft_attr_t own = own_attr(), shared;
    WT_OK(weft_attr_init(&shared));
    WT_OK(weft_attr_settls(&shared, WEFT_TLS_SHARED));
    WT_OK(weft_attr_setname(&own, "tls-own"));
    WT_OK(weft_attr_setname(&shared, "tls-shared"));
    weft_t a, b;
    WT_OK(weft_create(&a, &own, dump_waiter, NULL));
    WT_OK(weft_create(&b, &shared, dump_waiter, NULL));
    WT_WAIT_UNTIL(wt_dump_waiting_on("sem", &dump_sem) == 2, 10);
    char *d = wt_dump_string();
    WT_CONTAINS(wt_line_with(d, "tls-own"), "own-tls");
    WT_NOT_CONTAINS(wt_line_with(d, "tls-shared"), "own-tls");
    free(d);
    WT_OK(weft_sem_post(&dump_sem));
    WT_OK(weft_sem_post(&dump_sem));
    WT_OK(weft_join(a, NULL));
    WT_OK(weft_join(b, NULL));
}

/* ---- threads of both modes side by side ---- */

static void *mixed_fn(void *arg)
{
    int id = (int)(uintptr_t)arg;
    int own = id % 2;
    if (own && tv_init != 7)
        return (void *)1;
    if (own)
        tv_init = id;
    errno = id;
    for (int i = 0; i < 2000; i++) {
        weft_yield();
        if (errno != id || (own && tv_init != id))
            return (void *)2;
    }
    return NULL;
}

/* Own and shared threads switching straight to each other on one vCPU:
 * the switch installs and restores the vCPU's pointer as needed, errno is
 * kept for both kinds, and the sanitizers' fiber bookkeeping stays paired. */
WT_TEST(mixed_modes_1vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    enum { N = 16 };
    weft_t t[N];
    for (int i = 0; i < N; i++) {
        weft_attr_t a;
        WT_OK(weft_attr_init(&a));
        WT_OK(weft_attr_settls(&a, i % 2 ? WEFT_TLS_OWN : WEFT_TLS_SHARED));
        WT_OK(weft_create(&t[i], &a, mixed_fn, (void *)(uintptr_t)(100 + i)));
    }
    for (int i = 0; i < N; i++) {
        void *r;
        WT_OK(weft_join(t[i], &r));
        WT_PTR_EQ(r, NULL);
    }
}

/* ---- a module loaded with dlopen ---- */

struct module {
    void *handle;
    int *(*addr)(void);
    int (*zeroed_sum)(void);
    void (*fill)(char);
    int (*count_across)(void (*)(void *), void *, int);
};
static struct module mod;

static void module_open(void)
{
    mod.handle = dlopen(WEFT_TLS_MODULE, RTLD_NOW | RTLD_LOCAL);
    WT_ASSERTF(mod.handle, "dlopen %s: %s", WEFT_TLS_MODULE, dlerror());
    *(void **)&mod.addr = dlsym(mod.handle, "mod_value_addr");
    *(void **)&mod.zeroed_sum = dlsym(mod.handle, "mod_zeroed_sum");
    *(void **)&mod.fill = dlsym(mod.handle, "mod_fill");
    *(void **)&mod.count_across = dlsym(mod.handle, "mod_count_across");
    WT_ASSERT(mod.addr && mod.zeroed_sum && mod.fill && mod.count_across);
}

static atomic_int mod_loaded;

static void *module_fn(void *arg)
{
    int id = (int)(uintptr_t)arg;
    while (!atomic_load(&mod_loaded)) /* started before the dlopen */
        weft_yield();
    int *p = mod.addr();
    if (*p != 42 || mod.zeroed_sum() != 0)
        wt_fail(__FILE__, __LINE__, "thread %d: module TLS starts at %d, zeroed sum %d", id, *p,
                mod.zeroed_sum());
    *p = id;
    mod.fill(1);
    int end = mod.count_across(step, (void *)(uintptr_t)id, 50);
    if (end != id + 50 || mod.addr() != p || mod.zeroed_sum() != 256)
        wt_fail(__FILE__, __LINE__, "thread %d: module TLS ended at %d", id, end);
    return NULL;
}

static void run_module_threads(int n, int open_midway)
{
    weft_attr_t a = own_attr();
    weft_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], &a, module_fn, (void *)(uintptr_t)(1000 + i)));
    if (open_midway) {
        weft_sleep(5 * WT_MS); /* let them run on blocks made before the module */
        module_open();
        atomic_store(&mod_loaded, 1);
    }
    for (int i = 0; i < n; i++)
        WT_OK(weft_join(t[i], NULL));
    free(t);
}

WT_TEST(dlopen_module)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    run_module_threads(200, 1);            /* loaded while they wait */
    run_module_threads(200, 0);            /* reused blocks: fresh values */
    WT_EQ(*mod.addr(), 42);                /* main's own block */
    WT_OK(dlclose(mod.handle));
}

/* ---- the stack protector's canary ---- */

static __attribute__((noinline)) int guarded(int depth)
{
    char buf[64];
    snprintf(buf, sizeof buf, "depth %d", depth);
    weft_yield(); /* may return on another vCPU: the canary must match */
    return depth ? guarded(depth - 1) + (int)strlen(buf) : 0;
}

static void *canary_fn(void *arg)
{
    uintptr_t want = (uintptr_t)arg;
    for (int i = 0; i < 50; i++) {
        if (canary() != want)
            wt_fail(__FILE__, __LINE__, "canary %#lx, main's %#lx", (unsigned long)canary(),
                    (unsigned long)want);
        guarded(8);
    }
    return NULL;
}

WT_TEST(stack_protector)
{
    need_own_tls();
    weft_attr_t a = own_attr();
    weft_t t[32];
    for (int i = 0; i < 32; i++)
        WT_OK(weft_create(&t[i], &a, canary_fn, (void *)canary()));
    for (int i = 0; i < 32; i++)
        WT_OK(weft_join(t[i], NULL));
}

/* ---- glibc's stdio, malloc, strerror and locale under stress ---- */

static FILE *shared_out;
static atomic_long lines_written;
static uint64_t stress_end;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *stress_fn(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    int id = (int)(uintptr_t)arg & 0xffff;
    char want[64], line[128];
    for (long k = 0; now_ns() < stress_end; k++) {
        /* malloc: blocks of random sizes, filled, checked after a switch */
        size_t n = 1 + rand_r(&seed) % 5000;
        unsigned char *m = malloc(n);
        WT_ASSERT(m);
        memset(m, id & 0xff, n);
        /* strerror of an unknown code formats into a per-thread buffer */
        int code = 10000 + id;
        const char *s = strerror(code);
        snprintf(want, sizeof want, "Unknown error %d", code);
        if (k & 1)
            weft_yield();
        if (strcmp(s, want))
            wt_fail(__FILE__, __LINE__, "thread %d: strerror gave \"%s\"", id, s);
        for (size_t i = 0; i < n; i += 97)
            if (m[i] != (id & 0xff))
                wt_fail(__FILE__, __LINE__, "thread %d: malloc'd byte changed", id);
        free(m);
        if (!isalpha('q') || toupper('q') != 'Q')
            wt_fail(__FILE__, __LINE__, "thread %d: ctype tables", id);
        snprintf(line, sizeof line, "%d %ld %.3f %s\n", id, k, k / 8.0, strerror(EPIPE));
        fputs(line, shared_out); /* one locked call: lines never interleave */
        atomic_fetch_add(&lines_written, 1);
    }
    return NULL;
}

WT_TEST(libc_stress)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    need_own_tls();
    unsigned seed = (unsigned)wt_knob("seed", (long long)time(NULL));
    int nthreads = (int)wt_knob("threads", 200);
    printf("  seed=%u threads=%d\n", seed, nthreads);
    shared_out = tmpfile();
    WT_ASSERT(shared_out);
    stress_end = now_ns() + (uint64_t)wt_knob("ms", 1500) * WT_MS;
    weft_attr_t a = own_attr();
    weft_t *t = calloc((size_t)nthreads, sizeof *t);
    for (int i = 0; i < nthreads; i++)
        WT_OK(weft_create(&t[i], &a, stress_fn, (void *)(uintptr_t)((seed << 16) + (unsigned)i)));
    for (int i = 0; i < nthreads; i++)
        WT_OK(weft_join(t[i], NULL));
    rewind(shared_out);
    char line[256], tail[128];
    long lines = 0;
    int id;
    long k;
    double f;
    while (fgets(line, sizeof line, shared_out)) {
        lines++;
        if (sscanf(line, "%d %ld %lf %127[^\n]", &id, &k, &f, tail) != 4 || f != k / 8.0 ||
            strcmp(tail, strerror(EPIPE)))
            wt_fail(__FILE__, __LINE__, "garbled line %ld: %s", lines, line);
    }
    WT_EQ(lines, atomic_load(&lines_written));
    printf("  %ld lines\n", lines);
    fclose(shared_out);
    free(t);
}

/* ---- a host thread created from a thread with its own TLS ---- */

static void *host_fn(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(sched_getcpu() >= 0 && tv_init == 7 ? 0 : 1);
}

static void *creates_host_thread(void *arg)
{
    (void)arg;
    pthread_t h; /* glibc's: it copies parts of the creator's TCB */
    void *r = (void *)2;
    if (pthread_create(&h, NULL, host_fn, NULL) == 0)
        pthread_join(h, &r);
    return r;
}

/* glibc's pthread_create reads the creator's TCB (the rseq state it passes
 * on): from a weft thread's own block it must still make a working host
 * thread, under valgrind too (which refuses rseq). */
WT_TEST(host_thread_from_own_tls)
{
    need_own_tls();
    weft_attr_t a = own_attr();
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, &a, creates_host_thread, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
}

/* ---- fork from a thread with its own TLS ---- */

static void *fork_fn(void *arg)
{
    (void)arg;
    tv_init = 99;
    pid_t pid = fork();
    if (pid == 0) {
        /* The child is this thread alone on this TCB (issue 7 gives it a
         * runtime): libc must work, and the TLS must be the thread's. */
        char *m = malloc(100);
        snprintf(m, 100, "%s", strerror(EINVAL));
        _exit(tv_init == 99 && !strcmp(m, "Invalid argument") ? 0 : 3);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return (void *)(uintptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

WT_TEST(fork_from_own_tls)
{
    need_own_tls();
    weft_attr_t a = own_attr();
    weft_t t;
    void *r;
    WT_OK(weft_create(&t, &a, fork_fn, NULL));
    WT_OK(weft_join(t, &r));
    WT_EQ((int)(uintptr_t)r, 0);
}

WT_MAIN(WT_ENTRY(attr_errors, 0, 30),
        WT_ENTRY(config_errors, WT_FRESH, 30),
        WT_ENTRY(config_own, WT_FRESH, 30),
        WT_ENTRY(env_own, WT_FRESH, 30),
        WT_ENTRY(env_shared, WT_FRESH, 30),
        WT_ENTRY(default_shared, WT_FRESH, 30),
        WT_ENTRY(create_unsupported, 0, 30),
        WT_ENTRY(values_10k, 0, 180),
        WT_ENTRY(values_4vcpus, WT_FRESH, 120),
        WT_ENTRY(values_arch_prctl, WT_FRESH, 60),
        WT_ENTRY(errno_1vcpu, WT_FRESH, 60),
        WT_ENTRY(dump_marks_own_tls, 0, 30),
        WT_ENTRY(mixed_modes_1vcpu, WT_FRESH, 60),
        WT_ENTRY(cached_thread_pointer, WT_FRESH, 60),
        WT_ENTRY(cached_thread_pointer_shared_control, WT_FRESH, 60),
        WT_ENTRY(dlopen_module, WT_FRESH, 60),
        WT_ENTRY(stack_protector, 0, 60),
        WT_ENTRY(libc_stress, WT_FRESH, 120),
        WT_ENTRY(host_thread_from_own_tls, 0, 60),
        WT_ENTRY(fork_from_own_tls, 0, 60))
