/* test-overflow.c - stack overflows stop the process with a message on
 * stderr that names the thread (name and id), its stack size, and says
 * "stack overflow": by the guard page of a default stack, by the canary of a
 * small stack or a user-supplied stack (checked at a switch).
 *
 * Every case runs in a forked child (wt_fork). */
#include "runner.h"

#include <sys/mman.h>

struct shared {
    uint64_t id;
    int reached;
    int lowest, survived;
};
static struct shared *sh;

static void map_shared(void)
{
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
}

/* Size in the message: bytes, or KiB. */
static void expect_size(const char *err, size_t size)
{
    char a[32], b[32], c[32], d[32];
    snprintf(a, sizeof a, "%zu", size);
    snprintf(b, sizeof b, "%zuK", size / 1024);
    snprintf(c, sizeof c, "%zu K", size / 1024);
    snprintf(d, sizeof d, "%zuk", size / 1024);
    WT_ASSERTF(strstr(err, a) || strstr(err, b) || strstr(err, c) ||
               strstr(err, d),
               "stack size %zu (as \"%s\" or \"%s\") not in the message:\n%s",
               size, a, b, err);
}

static void expect_overflow_message(const struct wt_child *c, const char *name,
                                    size_t size)
{
    WT_ASSERTF(!c->timed_out && !(WIFEXITED(c->status) &&
                                  WEXITSTATUS(c->status) == 0),
               "child %s: expected it stopped; stderr:\n%s",
               wt_child_describe(c), c->err);
    printf("  child %s\n", wt_child_describe(c));
    WT_CONTAINS(c->err, "stack overflow");
    WT_CONTAINS(c->err, name);
    char id[32];
    WT_NE(sh->id, 0);
    snprintf(id, sizeof id, "%" PRIu64, sh->id);
    WT_CONTAINS(c->err, id);
    expect_size(c->err, size);
    WT_NOT_CONTAINS(c->err, "child: survived");
}

/* ---- unbounded recursion on a default (guarded) stack ---- */
static __attribute__((noinline)) long recurse(long depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    pad[255] = (char)depth;
    if (depth < 0) /* never */
        return pad[0];
    return recurse(depth + 1) + pad[255];
}

static void *deep(void *arg)
{
    (void)arg;
    WT_OK(weft_getid(weft_self(), &sh->id));
    return (void *)recurse(0);
}

static void child_guard(void *size)
{
    weft_attr_t a;
    weft_t t;
    unsetenv("WEFT_GUARD_PAGES");
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, "deep-recurse"));
    if (size)
        WT_OK(weft_attr_setstacksize(&a, (size_t)(uintptr_t)size));
    WT_OK(weft_create(&t, &a, deep, NULL));
    weft_join(t, NULL);
    fprintf(stderr, "child: survived\n");
}

WT_TEST(guard_default_stack)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_guard, NULL);
    expect_overflow_message(&c, "deep-recurse", WEFT_STACK_DEFAULT);
    wt_child_free(&c);
}

WT_TEST(guard_big_stack)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_guard, (void *)(uintptr_t)(256 * 1024));
    expect_overflow_message(&c, "deep-recurse", 256 * 1024);
    wt_child_free(&c);
}

/* ---- canary of a small stack, checked at a switch ----
 * A small stack has no guard page of its own (what lies below it may be a
 * neighbour, or a guard page of the whole slab), so go down carefully:
 * `here` lies within a few hundred bytes of the stack top, so here - size
 * is that far below the low end. Damage the stack 16 bytes at a time,
 * starting 512 bytes above that point and going down, and switch after
 * each step: the canary at the low end is hit before anything below the
 * stack is, and the switch right after must catch it. The stack pointer
 * itself stays near the top all along. */
static __attribute__((noinline)) void smash_step(size_t size, int off)
{
    /* 16-aligned like the stack's ends, so that 8-byte steps land on the
     * canary exactly before they could touch anything below the stack */
    char *top = (char *)((uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)15);
    volatile uint64_t *p = (volatile uint64_t *)(top - size + off);
    *p = 0x5a5a5a5a5a5a5a5aull;
}

static void *small_overflow(void *arg)
{
    size_t size = (size_t)(uintptr_t)arg;
    WT_OK(weft_getid(weft_self(), &sh->id));
    sh->reached = 1;
    sh->lowest = sh->survived = 1 << 20;
    for (int off = 1024; off >= -1024; off -= 8) {
        smash_step(size, off);
        sh->lowest = off;
        weft_yield(); /* the switch checks the canary */
        sh->survived = off;
    }
    sh->reached = 2; /* not caught */
    weft_sleep(10 * WT_MS);
    return NULL;
}

/* A yield only switches when something else can run: keep a companion
 * thread runnable on the same (single) vCPU. */
static atomic_int companion_stop;

static void *companion(void *arg)
{
    (void)arg;
    while (!atomic_load(&companion_stop))
        weft_yield();
    return NULL;
}

static void child_small(void *size)
{
    weft_attr_t a;
    weft_t t, comp;
    wt_start(1, WEFT_DEADLOCK_ABORT);
    WT_OK(weft_create(&comp, NULL, companion, NULL));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, "small-smash"));
    WT_OK(weft_attr_setsmallstack(&a, (size_t)(uintptr_t)size));
    WT_OK(weft_create(&t, &a, small_overflow, size));
    weft_join(t, NULL);
    atomic_store(&companion_stop, 1);
    weft_join(comp, NULL);
    fprintf(stderr, "child: survived\n");
}

static void small_case(size_t size)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* Sanitizer builds give small stacks more room than asked for (their
     * instrumented frames are bigger), so the stack's end cannot be found
     * from the size asked for. */
    WT_SKIP("sanitizer build: small stacks are enlarged, their end is unknown");
#endif
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_small, (void *)(uintptr_t)size);
    printf("  damaged down to %d bytes above (frame - size), survived the "
           "switch after %d\n", sh->lowest, sh->survived);
    expect_overflow_message(&c, "small-smash", size);
    WT_EQ(sh->reached, 1);
    /* caught inside the switch that followed the damage, not later by a
     * write below the stack */
    WT_ASSERTF(sh->lowest < sh->survived,
               "the damage at %d was not caught by the switch after it; "
               "stderr:\n%s", sh->lowest, c.err);
    wt_child_free(&c);
}

WT_TEST(canary_small_stack)
{
    small_case(WEFT_SMALL_STACK_MIN);
}

WT_TEST(canary_small_stack_8k)
{
    small_case(8192);
}

/* ---- canary of a user-supplied stack: its low end is known exactly ---- */
static char *user_lo;

static void *user_overflow(void *arg)
{
    (void)arg;
    WT_OK(weft_getid(weft_self(), &sh->id));
    /* the bottom 256 bytes: where the canary lives */
    memset(user_lo, 0x5a, 256);
    sh->reached = 1;
    weft_yield(); /* switches to the companion: the canary is checked */
    sh->reached = 2;
    weft_sleep(10 * WT_MS);
    return NULL;
}

static void child_user(void *unused)
{
    (void)unused;
    const size_t sz = 32 * 1024;
    weft_attr_t a;
    weft_t t;
    user_lo = aligned_alloc(16, sz);
    WT_ASSERT(user_lo);
    wt_start(1, WEFT_DEADLOCK_ABORT);
    weft_t comp;
    WT_OK(weft_create(&comp, NULL, companion, NULL));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, "user-smash"));
    WT_OK(weft_attr_setstack(&a, user_lo, sz));
    WT_OK(weft_create(&t, &a, user_overflow, NULL));
    weft_join(t, NULL);
    fprintf(stderr, "child: survived\n");
}

WT_TEST(canary_user_stack)
{
    struct wt_child c;
    map_shared();
    wt_fork(&c, 30, child_user, NULL);
    expect_overflow_message(&c, "user-smash", 32 * 1024);
    WT_EQ(sh->reached, 1); /* caught at the first switch after the damage */
    wt_child_free(&c);
}

/* ---- deep but within bounds: no false alarm ---- */
static __attribute__((noinline)) long bounded(long depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth == 0)
        return 0;
    long r = bounded(depth - 1) + pad[0];
    if (depth % 16 == 0)
        weft_yield();
    return r;
}

static void *near_limit(void *arg)
{
    /* ~40 KiB of a 64 KiB stack */
    return (void *)bounded((long)(uintptr_t)arg);
}

static void *small_ok(void *arg)
{
    volatile char buf[1024];
    memset((char *)buf, 1, sizeof buf);
    weft_yield();
    return (void *)(uintptr_t)(buf[10] + (int)(uintptr_t)arg);
}

static void child_no_false_alarm(void *unused)
{
    (void)unused;
    weft_t t;
    void *r;
    for (int i = 0; i < 20; i++) {
        WT_OK(weft_create(&t, NULL, near_limit, (void *)(uintptr_t)80));
        WT_OK(weft_join(t, &r));
    }
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setsmallstack(&a, 4096));
    for (int i = 0; i < 200; i++) {
        WT_OK(weft_create(&t, &a, small_ok, (void *)(uintptr_t)i));
        WT_OK(weft_join(t, &r));
        WT_EQ((uintptr_t)r, i + 1);
    }
    fprintf(stderr, "child: done\n");
}

WT_TEST(no_false_alarm)
{
    struct wt_child c;
    wt_fork(&c, 30, child_no_false_alarm, NULL);
    WT_ASSERTF(!c.timed_out && wt_child_exit(&c) == 0,
               "child %s; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_NOT_CONTAINS(c.err, "stack overflow");
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(guard_default_stack, WT_FRESH, 60),
        WT_ENTRY(guard_big_stack, WT_FRESH, 60),
        WT_ENTRY(canary_small_stack, WT_FRESH, 60),
        WT_ENTRY(canary_small_stack_8k, WT_FRESH, 60),
        WT_ENTRY(canary_user_stack, WT_FRESH, 60),
        WT_ENTRY(no_false_alarm, WT_FRESH, 60))
