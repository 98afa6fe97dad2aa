/* test-deadlock.c - the deadlock report: when every thread is blocked and
 * nothing (a timer, a running bound thread) could wake one, the runtime
 * dumps all threads to stderr and aborts; WEFT_DEADLOCK / cfg.deadlock
 * change that; sleeping threads and busy bound threads are not deadlocks.
 *
 * Every case runs the runtime in a forked child (wt_fork). */
#include "runner.h"

#include <sys/mman.h>

/* Shared with the child: ids it wants the parent to look for. */
struct shared {
    uint64_t id_a, id_b;
};
static struct shared *sh;

static void map_shared(void)
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
}

static void set_mode(const char *mode)
{
    unsetenv("WEFT_VCPUS");
    if (mode)
        setenv("WEFT_DEADLOCK", mode, 1);
    else
        unsetenv("WEFT_DEADLOCK");
}

static weft_sem_t never, sem_a, sem_b;

static void *wait_never(void *arg)
{
    (void)arg;
    weft_sem_wait(&never);
    return NULL;
}

static weft_t spawn_named(const char *name, void *(*fn)(void *), void *arg)
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, name));
    WT_OK(weft_create(&t, &a, fn, arg));
    WT_OK(weft_attr_destroy(&a));
    return t;
}

/* main joins "stuck", which waits on a semaphore nobody posts */
static void child_join_stuck(void *mode)
{
    set_mode(mode);
    WT_OK(weft_sem_init(&never, 0));
    weft_t t = spawn_named("stuck", wait_never, NULL);
    WT_OK(weft_getid(t, &sh->id_a));
    WT_OK(weft_setname(weft_self(), "joiner"));
    WT_OK(weft_getid(weft_self(), &sh->id_b));
    weft_join(t, NULL);
    fprintf(stderr, "child: join returned\n");
    _exit(3);
}

static void contains_id(const char *err, uint64_t id)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, id);
    WT_CONTAINS(err, buf);
}

static void expect_stuck_report(const struct wt_child *c)
{
    WT_CONTAINS(c->err, "stuck");
    WT_CONTAINS(c->err, "joiner");
    WT_CONTAINS(c->err, "blocked");
    WT_CONTAINS(c->err, "sem");
    WT_CONTAINS(c->err, "join");
    WT_NE(sh->id_a, 0);
    contains_id(c->err, sh->id_a);
    contains_id(c->err, sh->id_b);
}

WT_TEST(abort_dump)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_join_stuck, NULL);
    WT_ASSERTF(!c.timed_out && wt_child_signal(&c) == SIGABRT,
               "child %s, expected SIGABRT; stderr:\n%s",
               wt_child_describe(&c), c.err);
    expect_stuck_report(&c);
    wt_child_free(&c);
}

WT_TEST(abort_explicit_env)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_join_stuck, "abort");
    WT_ASSERTF(!c.timed_out && wt_child_signal(&c) == SIGABRT,
               "child %s, expected SIGABRT; stderr:\n%s",
               wt_child_describe(&c), c.err);
    expect_stuck_report(&c);
    wt_child_free(&c);
}

/* two weft threads wait for each other; main joins one of them */
static void *cycle_a(void *arg)
{
    (void)arg;
    weft_sem_wait(&sem_a);
    weft_sem_post(&sem_b);
    return NULL;
}

static void *cycle_b(void *arg)
{
    (void)arg;
    weft_sem_wait(&sem_b);
    weft_sem_post(&sem_a);
    return NULL;
}

static void child_cycle(void *unused)
{
    (void)unused;
    set_mode(NULL);
    WT_OK(weft_sem_init(&sem_a, 0));
    WT_OK(weft_sem_init(&sem_b, 0));
    weft_t a = spawn_named("cycle-a", cycle_a, NULL);
    weft_t b = spawn_named("cycle-b", cycle_b, NULL);
    WT_OK(weft_getid(a, &sh->id_a));
    WT_OK(weft_getid(b, &sh->id_b));
    weft_join(a, NULL);
    _exit(3);
}

WT_TEST(abort_cycle)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_cycle, NULL);
    WT_ASSERTF(!c.timed_out && wt_child_signal(&c) == SIGABRT,
               "child %s, expected SIGABRT; stderr:\n%s",
               wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "cycle-a");
    WT_CONTAINS(c.err, "cycle-b");
    contains_id(c.err, sh->id_a);
    contains_id(c.err, sh->id_b);
    wt_child_free(&c);
}

/* main alone waits on a semaphore */
static void child_main_alone(void *unused)
{
    (void)unused;
    set_mode(NULL);
    WT_OK(weft_sem_init(&never, 0));
    WT_OK(weft_setname(weft_self(), "lonely-main"));
    weft_sem_wait(&never);
    _exit(3);
}

WT_TEST(abort_main_alone)
{
    struct wt_child c;
    wt_fork(&c, 30, child_main_alone, NULL);
    WT_ASSERTF(!c.timed_out && wt_child_signal(&c) == SIGABRT,
               "child %s, expected SIGABRT; stderr:\n%s",
               wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "lonely-main");
    WT_CONTAINS(c.err, "sem");
    wt_child_free(&c);
}

/* ---- not deadlocks ---- */
static void *sleep_then_post(void *arg)
{
    (void)arg;
    weft_sleep(200 * WT_MS);
    WT_OK(weft_sem_post(&never));
    return NULL;
}

/* every thread is blocked, but a timer will wake the sleeper */
static void child_sleeper(void *mode)
{
    set_mode(mode);
    WT_OK(weft_sem_init(&never, 0));
    weft_t w = spawn_named("waiter", wait_never, NULL);
    weft_t s = spawn_named("sleeper", sleep_then_post, NULL);
    WT_OK(weft_join(w, NULL));
    WT_OK(weft_join(s, NULL));
    fprintf(stderr, "child: done\n");
}

static void expect_clean(const struct wt_child *c)
{
    WT_ASSERTF(!c->timed_out && wt_child_exit(c) == 0,
               "child %s, expected exit 0; stderr:\n%s",
               wt_child_describe(c), c->err);
    WT_CONTAINS(c->err, "child: done");
    WT_NOT_CONTAINS(c->err, "waiter");
    WT_NOT_CONTAINS(c->err, "blocked");
}

WT_TEST(sleeper_is_not_deadlock)
{
    struct wt_child c;
    wt_fork(&c, 30, child_sleeper, NULL);
    expect_clean(&c);
    wt_child_free(&c);
}

WT_TEST(sleeper_ignore_mode)
{
    struct wt_child c;
    wt_fork(&c, 30, child_sleeper, "ignore");
    expect_clean(&c);
    wt_child_free(&c);
}

/* main itself sleeps (a timer) while the others are blocked */
static void child_main_sleeps(void *unused)
{
    (void)unused;
    set_mode(NULL);
    WT_OK(weft_sem_init(&never, 0));
    weft_t w = spawn_named("waiter", wait_never, NULL);
    WT_OK(weft_sleep(200 * WT_MS));
    WT_OK(weft_sem_post(&never));
    WT_OK(weft_join(w, NULL));
    fprintf(stderr, "child: done\n");
}

WT_TEST(main_sleeping_is_not_deadlock)
{
    struct wt_child c;
    wt_fork(&c, 30, child_main_sleeps, NULL);
    expect_clean(&c);
    wt_child_free(&c);
}

/* an adopted host thread, busy in host code, will post */
static void *host_posts_late(void *arg)
{
    (void)arg;
    weft_self(); /* adopted */
    usleep(300 * 1000);
    WT_OK(weft_sem_post(&never));
    return NULL;
}

static void child_bound_running(void *unused)
{
    (void)unused;
    set_mode(NULL);
    WT_OK(weft_sem_init(&never, 0));
    weft_t w = spawn_named("waiter", wait_never, NULL);
    pthread_t p;
    WT_EQ(pthread_create(&p, NULL, host_posts_late, NULL), 0);
    WT_OK(weft_join(w, NULL)); /* main blocked too */
    WT_EQ(pthread_join(p, NULL), 0);
    fprintf(stderr, "child: done\n");
}

WT_TEST(bound_running_is_not_deadlock)
{
    struct wt_child c;
    wt_fork(&c, 30, child_bound_running, NULL);
    expect_clean(&c);
    wt_child_free(&c);
}

/* a plain host thread that has not called weft yet (weft cannot know what
 * it will do) posts after a while: no report meanwhile */
static void *unknown_host_posts_late(void *arg)
{
    (void)arg;
    usleep(300 * 1000);
    WT_OK(weft_sem_post(&never)); /* its first weft call */
    return NULL;
}

static void child_unknown_host(void *unused)
{
    (void)unused;
    set_mode(NULL);
    WT_OK(weft_sem_init(&never, 0));
    weft_t w = spawn_named("waiter", wait_never, NULL);
    pthread_t p;
    WT_EQ(pthread_create(&p, NULL, unknown_host_posts_late, NULL), 0);
    WT_OK(weft_join(w, NULL));
    WT_EQ(pthread_join(p, NULL), 0);
    fprintf(stderr, "child: done\n");
}

WT_TEST(unknown_host_thread_is_not_deadlock)
{
    struct wt_child c;
    wt_fork(&c, 30, child_unknown_host, NULL);
    expect_clean(&c);
    wt_child_free(&c);
}

/* ---- the modes ---- */
static void expect_silent_hang(const struct wt_child *c)
{
    WT_ASSERTF(c->timed_out, "child %s, expected it still waiting; stderr:\n%s",
               wt_child_describe(c), c->err);
    WT_NOT_CONTAINS(c->err, "stuck");
    WT_NOT_CONTAINS(c->err, "child: join returned");
}

WT_TEST(ignore_env)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 3, child_join_stuck, "ignore");
    expect_silent_hang(&c);
    wt_child_free(&c);
}

static void child_join_stuck_cfg(void *mode)
{
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.deadlock = (int)(intptr_t)mode;
    unsetenv("WEFT_DEADLOCK");
    WT_OK(weft_init(&cfg));
    child_join_stuck(NULL);
}

WT_TEST(ignore_config)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 3, child_join_stuck_cfg, (void *)(intptr_t)WEFT_DEADLOCK_IGNORE);
    expect_silent_hang(&c);
    wt_child_free(&c);
}

WT_TEST(report_env)
{
    /* dump, then keep waiting */
    struct wt_child c;
    map_shared();
    wt_fork(&c, 5, child_join_stuck, "report");
    WT_ASSERTF(c.timed_out, "child %s, expected it still waiting; stderr:\n%s",
               wt_child_describe(&c), c.err);
    expect_stuck_report(&c);
    WT_NOT_CONTAINS(c.err, "child: join returned");
    wt_child_free(&c);
}

WT_TEST(report_config)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 5, child_join_stuck_cfg, (void *)(intptr_t)WEFT_DEADLOCK_REPORT);
    WT_ASSERTF(c.timed_out, "child %s, expected it still waiting; stderr:\n%s",
               wt_child_describe(&c), c.err);
    expect_stuck_report(&c);
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(abort_dump, WT_FRESH, 60),
        WT_ENTRY(abort_explicit_env, WT_FRESH, 60),
        WT_ENTRY(abort_cycle, WT_FRESH, 60),
        WT_ENTRY(abort_main_alone, WT_FRESH, 60),
        WT_ENTRY(sleeper_is_not_deadlock, WT_FRESH, 60),
        WT_ENTRY(sleeper_ignore_mode, WT_FRESH, 60),
        WT_ENTRY(main_sleeping_is_not_deadlock, WT_FRESH, 60),
        WT_ENTRY(bound_running_is_not_deadlock, WT_FRESH, 60),
        WT_ENTRY(unknown_host_thread_is_not_deadlock, WT_FRESH, 60),
        WT_ENTRY(ignore_env, WT_FRESH, 60),
        WT_ENTRY(ignore_config, WT_FRESH, 60),
        WT_ENTRY(report_env, WT_FRESH, 60),
        WT_ENTRY(report_config, WT_FRESH, 60))
