/* test-stress.c - randomized create / yield / sleep / join / detach / sem,
 * bounded by time and by an operation count, with a printed seed.
 *
 *   test-stress random [vcpus=2] [seconds=3] [actors=8] [iterations=N]
 *                      [seed=S] [setprio=0|1]
 *
 * ctest runs it as stress.random_1vcpu and stress.random_2vcpu. A failure
 * prints its seed; the decisions each actor makes follow from it (the
 * interleaving across vCPUs does not, so rerun a few times).
 *
 * Invariants checked:
 * - every joinable child is joined exactly once, with the result it
 *   returned; a second join of it is ESRCH;
 * - every child that was created started and finished exactly once
 *   (detached ones included), and no create/join/detach failed;
 * - semaphore counts balance: consumers' semaphore ends at 0, the traffic
 *   semaphore ends at posts - successful trywaits;
 * - the group's live-thread count returns to where it started. */
#include "runner.h"

#define MAX_KEPT 64

static weft_sem_t consume_sem; /* one post per consumer child, nobody else waits */
static weft_sem_t traffic_sem; /* random posts and trywaits, never blocking */

static atomic_long c_created, c_started, c_finished, c_joined, c_detached;
static atomic_long c_consumers, c_consume_posts;
static atomic_long c_traffic_posts, c_traffic_takes;
static atomic_long c_ops, c_grandchildren;
static uint64_t deadline_ns;
static long max_ops;
static int use_setprio; /* knob setprio=0 leaves weft_setpriority out */

struct child_arg {
    uint64_t tag;
    uint64_t seed;
    int consumer;
    int depth;
};

static void *child(void *p);

static int spawn(weft_t *t, int detached, uint64_t tag, uint64_t seed,
                 int consumer, int depth)
{
    struct child_arg *a = malloc(sizeof *a);
    WT_ASSERT(a);
    a->tag = tag;
    a->seed = seed;
    a->consumer = consumer;
    a->depth = depth;
    weft_attr_t at;
    WT_OK(weft_attr_init(&at));
    WT_OK(weft_attr_setdetached(&at, detached));
    if (seed % 5 == 0)
        WT_OK(weft_attr_setpriority(&at, (int)((seed >> 8) % (WEFT_PRIO_MAX + 1))));
    if (seed % 7 == 0)
        WT_OK(weft_attr_setsmallstack(&at, 8192));
    int rc = weft_create(t, &at, child, a);
    WT_OK(weft_attr_destroy(&at));
    if (rc != 0)
        wt_fail(__FILE__, __LINE__, "weft_create returned %d (%s)", rc,
                wt_errname(rc));
    atomic_fetch_add(&c_created, 1);
    if (consumer)
        atomic_fetch_add(&c_consumers, 1);
    return rc;
}

static void *child(void *p)
{
    struct child_arg a = *(struct child_arg *)p;
    free(p);
    atomic_fetch_add(&c_started, 1);
    uint64_t s = a.seed;
    int steps = (int)wt_rand_below(&s, 4);
    for (int i = 0; i < steps; i++) {
        switch (wt_rand_below(&s, 4)) {
        case 0:
            weft_yield();
            break;
        case 1:
            WT_OK(weft_sleep(wt_rand_below(&s, 200000)));
            break;
        case 2:
            if (weft_sem_trywait(&traffic_sem) == 0)
                atomic_fetch_add(&c_traffic_takes, 1);
            break;
        case 3:
            if (a.depth < 2 && wt_rand_below(&s, 4) == 0) {
                weft_t g;
                void *r;
                spawn(&g, 0, a.tag ^ 0xabcdef, wt_rand(&s), 0, a.depth + 1);
                WT_OK(weft_join(g, &r));
                WT_EQ_U64((uintptr_t)r, (a.tag ^ 0xabcdef) * 3 + 1);
                atomic_fetch_add(&c_joined, 1);
                atomic_fetch_add(&c_grandchildren, 1);
            }
            break;
        }
    }
    if (a.consumer)
        WT_OK(weft_sem_wait(&consume_sem));
    atomic_fetch_add(&c_finished, 1);
    return (void *)(uintptr_t)(a.tag * 3 + 1);
}

struct kept {
    weft_t t;
    uint64_t tag;
};

static int time_left(void)
{
    return weft_now() < deadline_ns && atomic_load(&c_ops) < max_ops;
}

static void join_kept(struct kept *k, uint64_t *s)
{
    void *r;
    WT_OK(weft_join(k->t, &r));
    WT_EQ_U64((uintptr_t)r, k->tag * 3 + 1);
    atomic_fetch_add(&c_joined, 1);
    if (wt_rand_below(s, 8) == 0) {
        WT_ERR(weft_join(k->t, &r), ESRCH);
        WT_ERR(weft_detach(k->t), ESRCH);
    }
}

static void *actor(void *arg)
{
    uint64_t id = (uint64_t)(uintptr_t)arg >> 48;
    uint64_t s = (uint64_t)(uintptr_t)arg;
    struct kept kept[MAX_KEPT];
    int nkept = 0;
    uint64_t seq = 0;

    while (time_left()) {
        atomic_fetch_add(&c_ops, 1);
        uint64_t r = wt_rand_below(&s, 100);
        uint64_t tag = (id << 40) | ++seq;
        if (r < 45) { /* create: joinable or detached, maybe a consumer */
            int detached = wt_rand_below(&s, 4) == 0;
            int consumer = wt_rand_below(&s, 3) == 0;
            int post_first = wt_rand_below(&s, 2);
            if (!detached && nkept == MAX_KEPT) {
                int i = (int)wt_rand_below(&s, MAX_KEPT);
                join_kept(&kept[i], &s);
                kept[i] = kept[--nkept];
            }
            if (consumer && post_first) {
                WT_OK(weft_sem_post(&consume_sem));
                atomic_fetch_add(&c_consume_posts, 1);
            }
            weft_t t;
            spawn(&t, detached, tag, wt_rand(&s), consumer, 0);
            if (consumer && !post_first) {
                if (wt_rand_below(&s, 2))
                    weft_yield();
                WT_OK(weft_sem_post(&consume_sem));
                atomic_fetch_add(&c_consume_posts, 1);
            }
            if (detached) {
                atomic_fetch_add(&c_detached, 1);
            } else {
                kept[nkept].t = t;
                kept[nkept].tag = tag;
                nkept++;
            }
        } else if (r < 52 && nkept > 0) { /* detach a kept one */
            int i = (int)wt_rand_below(&s, (uint64_t)nkept);
            WT_OK(weft_detach(kept[i].t));
            if (wt_rand_below(&s, 4) == 0) {
                /* EINVAL while it runs, ESRCH once it has ended */
                int rc = weft_detach(kept[i].t);
                WT_ASSERTF(rc == EINVAL || rc == ESRCH,
                           "second detach returned %d (%s)", rc,
                           wt_errname(rc));
            }
            atomic_fetch_add(&c_detached, 1);
            kept[i] = kept[--nkept];
        } else if (r < 72 && nkept > 0) { /* join a kept one */
            int i = (int)wt_rand_below(&s, (uint64_t)nkept);
            join_kept(&kept[i], &s);
            kept[i] = kept[--nkept];
        } else if (r < 82) {
            WT_OK(weft_yield());
        } else if (r < 87) {
            WT_OK(weft_sleep(wt_rand_below(&s, 500000)));
        } else if (r < 94) {
            if (wt_rand_below(&s, 2)) {
                WT_OK(weft_sem_post(&traffic_sem));
                atomic_fetch_add(&c_traffic_posts, 1);
            } else if (weft_sem_trywait(&traffic_sem) == 0) {
                atomic_fetch_add(&c_traffic_takes, 1);
            }
        } else if (nkept > 0) { /* names and priorities of live handles */
            int i = (int)wt_rand_below(&s, (uint64_t)nkept);
            char name[WEFT_NAME_MAX];
            /* joinable and not joined: it exists, even if it has ended */
            WT_OK(weft_setname(kept[i].t, "stressed"));
            WT_OK(weft_getname(kept[i].t, name, sizeof name));
            WT_STR_EQ(name, "stressed");
            /* "priority of a live thread": an ended one may say ESRCH */
            int prio = (int)wt_rand_below(&s, 32);
            if (use_setprio) {
                int rc = weft_setpriority(kept[i].t, prio);
                WT_ASSERTF(rc == 0 || rc == ESRCH,
                           "setpriority returned %d (%s)", rc, wt_errname(rc));
            }
        }
    }
    while (nkept > 0) {
        join_kept(&kept[nkept - 1], &s);
        nkept--;
    }
    return (void *)(uintptr_t)(id + 1);
}

static unsigned long group_nthreads(weft_group_info_t *g)
{
    WT_OK(weft_group_info(weft_group_self(), g));
    return g->nthreads;
}

WT_TEST(random)
{
    int nv = (int)wt_knob("vcpus", 2);
    double secs = (double)wt_knob("seconds", 3);
    int nactors = (int)wt_knob("actors", 8);
    uint64_t seed = (uint64_t)wt_knob("seed", (long long)(wt_clock_ns() & 0xffffffffffff));
    max_ops = (long)wt_knob("iterations", wt_scaled(2000000));
    use_setprio = (int)wt_knob("setprio", 1);
    printf("  seed=%" PRIu64 " vcpus=%d seconds=%g actors=%d iterations=%ld\n",
           seed, nv, secs, nactors, max_ops);
    printf("  reproduce: test-stress random vcpus=%d seconds=%g actors=%d "
           "seed=%" PRIu64 "\n", nv, secs, nactors, seed);
    fflush(stdout);
    wt_start(nv, WEFT_DEADLOCK_ABORT);

    WT_OK(weft_sem_init(&consume_sem, 0));
    WT_OK(weft_sem_init(&traffic_sem, 0));
    weft_group_info_t g0, g1;
    WT_OK(weft_group_info(weft_group_self(), &g0));

    deadline_ns = weft_now() + (uint64_t)(secs * 1e9);
    weft_t *a = calloc((size_t)nactors, sizeof *a);
    for (int i = 0; i < nactors; i++) {
        uint64_t s = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        s = (s & 0xffffffffffffull) | ((uint64_t)i << 48);
        WT_OK(weft_create(&a[i], NULL, actor, (void *)(uintptr_t)s));
    }
    for (int i = 0; i < nactors; i++) {
        void *r;
        WT_OK(weft_join(a[i], &r));
        WT_EQ((uintptr_t)r, (uintptr_t)i + 1);
    }
    /* detached children may still be running */
    WT_WAIT_UNTIL(atomic_load(&c_finished) == atomic_load(&c_created), 30);
    WT_WAIT_UNTIL(group_nthreads(&g1) == g0.nthreads, 30);

    long created = atomic_load(&c_created);
    printf("  ops %ld: created %ld (grandchildren %ld), joined %ld, "
           "detached %ld, consumers %ld, traffic posts %ld takes %ld\n",
           atomic_load(&c_ops), created, atomic_load(&c_grandchildren),
           atomic_load(&c_joined), atomic_load(&c_detached),
           atomic_load(&c_consumers), atomic_load(&c_traffic_posts),
           atomic_load(&c_traffic_takes));
    WT_GT(created, 0);
    WT_EQ(atomic_load(&c_started), created);
    WT_EQ(atomic_load(&c_finished), created);
    WT_EQ(atomic_load(&c_joined) + atomic_load(&c_detached), created);
    WT_EQ(atomic_load(&c_consume_posts), atomic_load(&c_consumers));
    int v = -1;
    WT_OK(weft_sem_getvalue(&consume_sem, &v));
    WT_EQ(v, 0);
    WT_OK(weft_sem_getvalue(&traffic_sem, &v));
    WT_EQ(v, atomic_load(&c_traffic_posts) - atomic_load(&c_traffic_takes));
    WT_OK(weft_sem_destroy(&consume_sem));
    WT_OK(weft_sem_destroy(&traffic_sem));
    WT_EQ(g1.nthreads, g0.nthreads);
    free(a);
}

WT_MAIN(WT_ENTRY(random, WT_FRESH | WT_MANUAL, 120))
