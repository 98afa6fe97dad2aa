/* test-key.c - thread-specific data: errors and limits, values per
 * thread, destructors at exit (weft_exit, return from the thread function,
 * an adopted host thread's weft_exit), destructors that set values again
 * up to the iteration limit, deleted keys and reused slots.
 *
 * Threads that set values are weft threads or host threads that end with
 * weft_exit: their tables are freed there (main's would be reported as a
 * leak by the leak checker at process exit). */
#include "runner.h"

WT_TEST(errors_and_limits)
{
    static weft_key_t keys[WEFT_KEYS_MAX + 1];
    weft_key_t k;
    WT_ERR(weft_key_create(NULL, NULL), EINVAL);
    WT_ERR(weft_key_delete(WEFT_KEYS_MAX), EINVAL);
    WT_ERR(weft_key_set(WEFT_KEYS_MAX, "x"), EINVAL);
    WT_PTR_EQ(weft_key_get(WEFT_KEYS_MAX), NULL);
    WT_PTR_EQ(weft_key_get(~0u), NULL);
    WT_GE(WEFT_KEYS_MAX, 1024);
    WT_EQ(WEFT_KEYS_DESTRUCTOR_ITERATIONS, 4);

    WT_OK(weft_key_create(&k, NULL));
    WT_PTR_EQ(weft_key_get(k), NULL);
    WT_OK(weft_key_set(k, NULL)); /* NULL needs no table */
    WT_OK(weft_key_delete(k));
    WT_ERR(weft_key_delete(k), EINVAL);
    WT_ERR(weft_key_set(k, NULL), EINVAL);
    WT_PTR_EQ(weft_key_get(k), NULL);

    /* every key there is, then EAGAIN */
    int n = 0;
    while (n <= WEFT_KEYS_MAX && weft_key_create(&keys[n], NULL) == 0)
        n++;
    WT_EQ(n, WEFT_KEYS_MAX);
    WT_ERR(weft_key_create(&k, NULL), EAGAIN);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (keys[i] == keys[j])
                WT_ASSERTF(0, "keys %d and %d are both %u", i, j, keys[i]);
    for (int i = 0; i < n; i++)
        WT_OK(weft_key_delete(keys[i]));
    WT_OK(weft_key_create(&k, NULL)); /* room again */
    WT_OK(weft_key_delete(k));
}

/* ---- values per thread; destructors at exit ---- */
#define NKEYS 40 /* spans two leaves of the table */
static weft_key_t keys[NKEYS];
static atomic_int destroyed[NKEYS];
static atomic_int wrong_thread;

struct value {
    int key;
    weft_t owner;
};

static void destructor(void *p)
{
    struct value *v = p;
    atomic_fetch_add(&destroyed[v->key], 1);
    if (!weft_equal(v->owner, weft_self()))
        atomic_fetch_add(&wrong_thread, 1);
    /* the value was set to NULL before the call */
    WT_PTR_EQ(weft_key_get(keys[v->key]), NULL);
    free(v);
}

static void set_all(void)
{
    for (int i = 0; i < NKEYS; i++) {
        if (i % 5 == 4)
            continue; /* these stay NULL: no destructor call */
        struct value *v = malloc(sizeof *v);
        v->key = i;
        v->owner = weft_self();
        WT_OK(weft_key_set(keys[i], v));
    }
    for (int i = 0; i < NKEYS; i++) {
        struct value *v = weft_key_get(keys[i]);
        if (i % 5 == 4) {
            WT_PTR_EQ(v, NULL);
        } else {
            WT_ASSERT(v != NULL);
            WT_EQ(v->key, i);
            WT_ASSERT(weft_equal(v->owner, weft_self()));
        }
    }
}

static void *returns(void *arg)
{
    set_all();
    weft_yield(); /* values stay with the thread across a switch */
    for (int i = 0; i < NKEYS; i++)
        WT_ASSERT((weft_key_get(keys[i]) != NULL) == (i % 5 != 4));
    return arg;
}

static void *exits(void *arg)
{
    set_all();
    weft_exit(arg);
}

static void *host_exits(void *arg)
{
    set_all();
    weft_exit(arg); /* an adopted host thread: pthread_exit after the destructors */
}

static void *host_returns(void *arg)
{
    set_all();
    return arg; /* no weft_exit: the runtime's host-thread exit hook runs them */
}

WT_TEST(destructors_at_exit)
{
    enum { NT = 6 };
    for (int i = 0; i < NKEYS; i++)
        WT_OK(weft_key_create(&keys[i], destructor));
    weft_t t[NT];
    for (int i = 0; i < NT; i++)
        WT_OK(weft_create(&t[i], NULL, i % 2 ? exits : returns, NULL));
    pthread_t h, h2;
    WT_EQ(pthread_create(&h, NULL, host_exits, NULL), 0);
    WT_EQ(pthread_create(&h2, NULL, host_returns, NULL), 0);
    for (int i = 0; i < NT; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_EQ(pthread_join(h, NULL), 0);
    WT_EQ(pthread_join(h2, NULL), 0);
    for (int i = 0; i < NKEYS; i++)
        WT_EQ(atomic_load(&destroyed[i]), i % 5 == 4 ? 0 : NT + 2);
    WT_EQ(atomic_load(&wrong_thread), 0);
    /* main never set anything */
    for (int i = 0; i < NKEYS; i++)
        WT_PTR_EQ(weft_key_get(keys[i]), NULL);
    for (int i = 0; i < NKEYS; i++)
        WT_OK(weft_key_delete(keys[i]));
}

/* ---- destructors that set values again ---- */
static weft_key_t again_key, forever_key;
static atomic_int again_calls, forever_calls;

static void again_dtor(void *p)
{
    /* set it again twice: three calls in all */
    if (atomic_fetch_add(&again_calls, 1) < 2)
        WT_OK(weft_key_set(again_key, p));
}

static void forever_dtor(void *p)
{
    atomic_fetch_add(&forever_calls, 1);
    WT_OK(weft_key_set(forever_key, p)); /* never gives up: cut at 4 */
}

static void *resetter(void *arg)
{
    WT_OK(weft_key_set(again_key, (void *)1));
    WT_OK(weft_key_set(forever_key, (void *)2));
    return arg;
}

WT_TEST(destructor_iterations)
{
    WT_OK(weft_key_create(&again_key, again_dtor));
    WT_OK(weft_key_create(&forever_key, forever_dtor));
    weft_t t;
    WT_OK(weft_create(&t, NULL, resetter, NULL));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&again_calls), 3);
    WT_EQ(atomic_load(&forever_calls), WEFT_KEYS_DESTRUCTOR_ITERATIONS);
    WT_OK(weft_key_delete(again_key));
    WT_OK(weft_key_delete(forever_key));
}

/* A destructor sets a key that had no value, in another leaf of the
 * table: the next round destroys that one. */
static weft_key_t chain_key, chain_late;
static atomic_int chain_late_calls;

static void chain_late_dtor(void *p)
{
    WT_PTR_EQ(p, (void *)3);
    atomic_fetch_add(&chain_late_calls, 1);
}

static void chain_dtor(void *p)
{
    (void)p;
    WT_OK(weft_key_set(chain_late, (void *)3));
}

static void *chain_thread(void *arg)
{
    WT_OK(weft_key_set(chain_key, (void *)1));
    return arg;
}

WT_TEST(destructor_sets_new_value)
{
    weft_key_t filler[40];
    WT_OK(weft_key_create(&chain_key, chain_dtor));
    for (int i = 0; i < 40; i++) /* chain_late in another leaf */
        WT_OK(weft_key_create(&filler[i], NULL));
    WT_OK(weft_key_create(&chain_late, chain_late_dtor));
    weft_t t;
    WT_OK(weft_create(&t, NULL, chain_thread, NULL));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&chain_late_calls), 1);
    for (int i = 0; i < 40; i++)
        WT_OK(weft_key_delete(filler[i]));
    WT_OK(weft_key_delete(chain_key));
    WT_OK(weft_key_delete(chain_late));
}

/* ---- a deleted key: no destructor, and its slot starts empty ---- */
static weft_key_t del_key;
static atomic_int del_calls;
static weft_sem_t del_set, del_deleted;

static void del_dtor(void *p)
{
    (void)p;
    atomic_fetch_add(&del_calls, 1);
}

static void *del_thread(void *arg)
{
    WT_OK(weft_key_set(del_key, (void *)5));
    WT_OK(weft_sem_post(&del_set));
    WT_OK(weft_sem_wait(&del_deleted));
    /* deleted, and a new key made in the same slot: it starts NULL */
    WT_PTR_EQ(weft_key_get(del_key), NULL);
    return arg;
}

WT_TEST(deleted_key)
{
    WT_OK(weft_sem_init(&del_set, 0));
    WT_OK(weft_sem_init(&del_deleted, 0));
    WT_OK(weft_key_create(&del_key, del_dtor));
    weft_t t;
    WT_OK(weft_create(&t, NULL, del_thread, NULL));
    WT_OK(weft_sem_wait(&del_set));
    weft_key_t old = del_key;
    WT_OK(weft_key_delete(del_key));
    WT_OK(weft_key_create(&del_key, del_dtor));
    WT_EQ(del_key, old); /* the lowest free slot: reused */
    WT_OK(weft_sem_post(&del_deleted));
    WT_OK(weft_join(t, NULL));
    WT_EQ(atomic_load(&del_calls), 0); /* the old value was not destroyed */
    WT_OK(weft_key_delete(del_key));
}

/* ---- a cancelled thread runs its destructors, after its cleanup ---- */
static weft_key_t cancel_key;
static atomic_int cancel_step; /* 1: cleanup ran, 2: then the destructor */

static void cancel_cleanup(void *arg)
{
    (void)arg;
    WT_EQ(atomic_load(&cancel_step), 0);
    WT_PTR_EQ(weft_key_get(cancel_key), (void *)7); /* still set */
    atomic_store(&cancel_step, 1);
}

static void cancel_dtor(void *p)
{
    WT_PTR_EQ(p, (void *)7);
    WT_EQ(atomic_load(&cancel_step), 1);
    atomic_store(&cancel_step, 2);
}

static void *cancelled_thread(void *arg)
{
    WT_OK(weft_key_set(cancel_key, (void *)7));
    weft_cleanup_push(cancel_cleanup, NULL);
    weft_sleep(10000 * WT_MS); /* cancelled here */
    weft_cleanup_pop(0);
    return arg;
}

WT_TEST(cancelled_thread)
{
    weft_t t;
    void *r;
    WT_OK(weft_key_create(&cancel_key, cancel_dtor));
    WT_OK(weft_create(&t, NULL, cancelled_thread, NULL));
    weft_sleep(20 * WT_MS);
    WT_OK(weft_cancel(t));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, WEFT_CANCELED);
    WT_EQ(atomic_load(&cancel_step), 2);
    WT_OK(weft_key_delete(cancel_key));
}

WT_MAIN(WT_ENTRY(errors_and_limits, 0, 60),
        WT_ENTRY(destructors_at_exit, 0, 60),
        WT_ENTRY(destructor_iterations, 0, 60),
        WT_ENTRY(destructor_sets_new_value, 0, 60),
        WT_ENTRY(deleted_key, 0, 60),
        WT_ENTRY(cancelled_thread, 0, 60))
