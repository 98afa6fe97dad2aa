/* test-ptls.c - thread-local storage in the drop-in library: pthreads get
 * TLS of their own by default (WEFT_TLS=shared turns it off), main keeps
 * the block that the program's constructors used, glibc's set*id calls
 * reach every host thread while threads with their own TLS run on the
 * vCPUs, and sched_getcpu answers from the kernel. */
#include "ptest.h"

#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>

static __thread int tv = 7;
static __thread char tz[64];
static int ctor_saw;

/* Runs on the first host thread before main: what it leaves in TLS must
 * be main's, as in glibc. */
__attribute__((constructor)) static void set_in_constructor(void)
{
    tv = 1234;
    ctor_saw = 1;
}

WT_TEST(main_keeps_constructor_tls)
{
    WT_EQ(ctor_saw, 1);
    WT_EQ(tv, 1234);
    /* and main is a weft thread on a vCPU, not the host thread */
    WT_GE(weft_vcpu_self(), 0);
}

static void *addr_fn(void *arg)
{
    (void)arg;
    if (tv != 7 || tz[0] || errno)
        return NULL;
    tv = 1;
    sched_yield();
    return tv == 1 ? &tv : NULL;
}

static int threads_share(void)
{
    pthread_t a = spawn(addr_fn, NULL), b = spawn(addr_fn, NULL);
    void *ra = join(a), *rb = join(b);
    return !ra || !rb || ra == rb;
}

/* One vCPU: both threads run on the same host thread. */
WT_TEST(own_by_default_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    WT_ASSERT(!threads_share());
}

WT_TEST(shared_by_env_child)
{
    child_only();
    WT_EQ(weft_vcpu_count(), 1);
    WT_ASSERT(threads_share());
}

static void expect_child_ok(const char *name, const char *env)
{
    struct wt_child c;
    run_self(&c, name, env);
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s (%s): %s", name, env, wt_child_describe(&c));
    wt_child_free(&c);
}

WT_TEST(own_by_default)
{
    expect_child_ok("own_by_default_child", "WEFT_VCPUS=1");
}

WT_TEST(shared_by_env)
{
    struct wt_child c; /* the child inherits WEFT_TLS */
    setenv("WEFT_TLS", "shared", 1);
    run_self(&c, "shared_by_env_child", "WEFT_VCPUS=1");
    unsetenv("WEFT_TLS");
    WT_ASSERTF(wt_child_exit(&c) == 0, "%s", wt_child_describe(&c));
    wt_child_free(&c);
}

/* ---- set*id with threads on their own TLS ---- */

static atomic_int spin_stop;

static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&spin_stop)) {
        tv++;
        sched_yield();
    }
    return NULL;
}

static void *setegid_fn(void *arg)
{
    return setegid((gid_t)(uintptr_t)arg) ? (void *)1 : NULL;
}

/* The effective gid of every host thread of the process. */
static int all_tasks_egid(gid_t want)
{
    DIR *d = opendir("/proc/self/task");
    WT_ASSERT(d);
    struct dirent *e;
    int n = 0, bad = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* ended meanwhile */
        while (fgets(line, sizeof line, f)) {
            unsigned r, eff;
            if (sscanf(line, "Gid: %u %u", &r, &eff) == 2) {
                n++;
                bad += eff != want;
            }
        }
        fclose(f);
    }
    closedir(d);
    WT_GT(n, 2); /* main's host thread, the vCPUs, the daemon */
    return bad == 0;
}

WT_TEST(setxid_reaches_every_host_thread)
{
    if (geteuid() != 0)
        WT_SKIP("needs root to change the effective gid");
    enum { N = 8 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        t[i] = spawn(spinner, NULL);
    for (int round = 0; round < 20; round++) {
        gid_t g = round % 2 ? 0 : 1;
        /* glibc signals every host thread it created; main calls, or a
         * thread of its own */
        if (round % 4 < 2)
            WT_OK(setegid(g));
        else
            WT_PTR_EQ(join(spawn(setegid_fn, (void *)(uintptr_t)g)), NULL);
        WT_ASSERT(all_tasks_egid(g));
    }
    atomic_store(&spin_stop, 1);
    for (int i = 0; i < N; i++)
        join(t[i]);
    WT_OK(setegid(0));
}

static void *cpu_fn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        int c = sched_getcpu();
        if (c < 0 || c >= CPU_SETSIZE)
            return (void *)1;
        sched_yield();
    }
    return NULL;
}

/* glibc reads the cpu from the thread's rseq area; a weft thread's block
 * has none registered, so glibc asks the kernel. */
WT_TEST(sched_getcpu_works)
{
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = spawn(cpu_fn, NULL);
    for (int i = 0; i < 8; i++)
        WT_PTR_EQ(join(t[i]), NULL);
    WT_GE(sched_getcpu(), 0);
}

WT_MAIN(WT_ENTRY(main_keeps_constructor_tls, 0, 30),
        WT_ENTRY(own_by_default, 0, 60),
        WT_ENTRY(own_by_default_child, 0, 30),
        WT_ENTRY(shared_by_env, 0, 60),
        WT_ENTRY(shared_by_env_child, 0, 30),
        WT_ENTRY(setxid_reaches_every_host_thread, 0, 60),
        WT_ENTRY(sched_getcpu_works, 0, 30))
