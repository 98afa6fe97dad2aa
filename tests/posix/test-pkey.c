/* test-pkey.c - pthread_key_create/delete, pthread_getspecific/
 * setspecific, destructors at thread exit (return, pthread_exit,
 * cancellation), PTHREAD_DESTRUCTOR_ITERATIONS rounds, EAGAIN at
 * PTHREAD_KEYS_MAX, EINVAL for deleted keys; from the POSIX assertions,
 * through glibc's <pthread.h> against libweft-pthread. */
#include "runner.h"

#include <limits.h>

static atomic_int gate;

/* ---- basic values ---- */
static pthread_key_t k1, k2;

static void *per_thread(void *arg)
{
    /* a new thread starts with NULL in every key */
    WT_PTR_EQ(pthread_getspecific(k1), NULL);
    WT_PTR_EQ(pthread_getspecific(k2), NULL);
    WT_OK(pthread_setspecific(k1, arg));
    WT_OK(pthread_setspecific(k2, (char *)arg + 1));
    while (!atomic_load(&gate))
        usleep(200);
    /* others' values did not touch ours */
    WT_PTR_EQ(pthread_getspecific(k1), arg);
    WT_PTR_EQ(pthread_getspecific(k2), (char *)arg + 1);
    return NULL;
}

WT_TEST(values_per_thread)
{
    WT_OK(pthread_key_create(&k1, NULL));
    WT_OK(pthread_key_create(&k2, NULL));
    WT_ASSERT(k1 != k2);
    WT_PTR_EQ(pthread_getspecific(k1), NULL);
    WT_OK(pthread_setspecific(k1, (void *)0x10));
    WT_PTR_EQ(pthread_getspecific(k1), (void *)0x10);
    WT_OK(pthread_setspecific(k1, NULL));
    WT_PTR_EQ(pthread_getspecific(k1), NULL);
    WT_OK(pthread_setspecific(k1, (void *)0x20));
    enum { N = 16 };
    pthread_t t[N];
    atomic_store(&gate, 0);
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, per_thread, (void *)(uintptr_t)(0x1000 * (i + 1))));
    usleep(10000);
    atomic_store(&gate, 1);
    for (int i = 0; i < N; i++)
        WT_OK(pthread_join(t[i], NULL));
    WT_PTR_EQ(pthread_getspecific(k1), (void *)0x20);
    WT_PTR_EQ(pthread_getspecific(k2), NULL);
    WT_OK(pthread_key_delete(k1));
    WT_OK(pthread_key_delete(k2));
}

/* "Upon key creation, the value NULL shall be associated with the new key
 * in all active threads": also when the key reuses a deleted one's slot
 * that still had values. */
static void *hold_value_then_check(void *arg)
{
    pthread_key_t *k = arg;
    WT_OK(pthread_setspecific(*k, (void *)0x55));
    atomic_store(&gate, 1);
    while (atomic_load(&gate) != 2)
        usleep(200);
    /* k was deleted and created again */
    return pthread_getspecific(*k);
}

WT_TEST(new_key_is_null_everywhere)
{
    static pthread_key_t k;
    WT_OK(pthread_key_create(&k, NULL));
    WT_OK(pthread_setspecific(k, (void *)0x66));
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, hold_value_then_check, &k));
    WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
    pthread_key_t old = k;
    WT_OK(pthread_key_delete(k));
    /* create until the old slot comes back (or plenty tried) */
    pthread_key_t extra[64];
    int n = 0;
    WT_OK(pthread_key_create(&k, NULL));
    while (k != old && n < 64) {
        extra[n++] = k;
        WT_OK(pthread_key_create(&k, NULL));
    }
    WT_PTR_EQ(pthread_getspecific(k), NULL);
    atomic_store(&gate, 2);
    void *r;
    WT_OK(pthread_join(t, &r));
    WT_PTR_EQ(r, NULL);
    for (int i = 0; i < n; i++)
        WT_OK(pthread_key_delete(extra[i]));
    WT_OK(pthread_key_delete(k));
}

/* ---- destructors ---- */
static pthread_key_t dk;
static atomic_int dtor_calls;
static atomic_int dtor_saw_null;
static void *dtor_last;

static void dtor(void *v)
{
    /* the key's value is NULL when its destructor runs */
    if (pthread_getspecific(dk) == NULL)
        atomic_fetch_add(&dtor_saw_null, 1);
    dtor_last = v;
    atomic_fetch_add(&dtor_calls, 1);
}

enum { END_RETURN, END_EXIT, END_CANCEL, END_NULL_VALUE };

static void *ender(void *arg)
{
    int how = (int)(intptr_t)arg;
    if (how != END_NULL_VALUE)
        WT_OK(pthread_setspecific(dk, (void *)0x77));
    switch (how) {
    case END_EXIT:
        pthread_exit(NULL);
    case END_CANCEL:
        atomic_store(&gate, 1);
        for (;;)
            sleep(100);
    default:
        return NULL;
    }
}

WT_TEST(destructors_at_exit)
{
    WT_OK(pthread_key_create(&dk, dtor));
    for (int how = END_RETURN; how <= END_NULL_VALUE; how++) {
        atomic_store(&dtor_calls, 0);
        atomic_store(&dtor_saw_null, 0);
        dtor_last = NULL;
        atomic_store(&gate, 0);
        pthread_t t;
        WT_OK(pthread_create(&t, NULL, ender, (void *)(intptr_t)how));
        if (how == END_CANCEL) {
            WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
            WT_OK(pthread_cancel(t));
        }
        void *r;
        WT_OK(pthread_join(t, &r));
        if (how == END_CANCEL)
            WT_PTR_EQ(r, PTHREAD_CANCELED);
        if (how == END_NULL_VALUE) {
            /* no destructor for a NULL value */
            WT_EQ(atomic_load(&dtor_calls), 0);
        } else {
            WT_ASSERTF(atomic_load(&dtor_calls) == 1, "how %d: %d calls", how,
                       atomic_load(&dtor_calls));
            WT_PTR_EQ(dtor_last, (void *)0x77);
            WT_EQ(atomic_load(&dtor_saw_null), 1);
        }
    }
    /* a deleted key's destructor is not called */
    atomic_store(&dtor_calls, 0);
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, ender, (void *)(intptr_t)END_CANCEL));
    WT_WAIT_UNTIL(atomic_load(&gate) == 1, 30);
    WT_OK(pthread_key_delete(dk));
    WT_OK(pthread_cancel(t));
    WT_OK(pthread_join(t, NULL));
    WT_EQ(atomic_load(&dtor_calls), 0);
}

/* Destructors that set values again: more rounds, at most
 * PTHREAD_DESTRUCTOR_ITERATIONS of them. */
static pthread_key_t rk, rk2;
static atomic_int rounds, rk2_calls;

static void again(void *v)
{
    atomic_fetch_add(&rounds, 1);
    WT_OK(pthread_setspecific(rk, (char *)v + 1)); /* non-NULL once more */
}

static void second(void *v)
{
    (void)v;
    atomic_fetch_add(&rk2_calls, 1);
}

static void first_sets_second(void *v)
{
    (void)v;
    WT_OK(pthread_setspecific(rk2, (void *)1));
}

static void *set_rk(void *arg)
{
    (void)arg;
    WT_OK(pthread_setspecific(rk, (void *)1));
    return NULL;
}

WT_TEST(destructor_iterations)
{
    WT_OK(pthread_key_create(&rk, again));
    atomic_store(&rounds, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, set_rk, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_EQ(atomic_load(&rounds), PTHREAD_DESTRUCTOR_ITERATIONS);
    WT_OK(pthread_key_delete(rk));
    /* a destructor that gives another key a value: that one runs in the
     * next round */
    WT_OK(pthread_key_create(&rk, first_sets_second));
    WT_OK(pthread_key_create(&rk2, second));
    atomic_store(&rk2_calls, 0);
    WT_OK(pthread_create(&t, NULL, set_rk, NULL));
    WT_OK(pthread_join(t, NULL));
    WT_EQ(atomic_load(&rk2_calls), 1);
    WT_OK(pthread_key_delete(rk));
    WT_OK(pthread_key_delete(rk2));
}

/* A destructor may delete its own key: no further rounds for it. */
static pthread_key_t self_deleting;
static atomic_int sd_calls;

static void delete_own_key(void *v)
{
    atomic_fetch_add(&sd_calls, 1);
    WT_OK(pthread_key_delete(self_deleting));
    /* setting it now fails: the key is gone */
    WT_ERR(pthread_setspecific(self_deleting, v), EINVAL);
}

static void *set_self_deleting(void *arg)
{
    WT_OK(pthread_setspecific(self_deleting, arg));
    return NULL;
}

WT_TEST(destructor_deletes_key)
{
    WT_OK(pthread_key_create(&self_deleting, delete_own_key));
    atomic_store(&sd_calls, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, set_self_deleting, (void *)1));
    WT_OK(pthread_join(t, NULL));
    WT_EQ(atomic_load(&sd_calls), 1);
    WT_ERR(pthread_key_delete(self_deleting), EINVAL);
}

/* ---- limits and errors ---- */
WT_TEST(keys_max)
{
    static pthread_key_t keys[PTHREAD_KEYS_MAX + 8];
    int n = 0, rc;
    while ((rc = pthread_key_create(&keys[n], NULL)) == 0) {
        n++;
        WT_ASSERTF(n <= PTHREAD_KEYS_MAX, "more than PTHREAD_KEYS_MAX (%d) keys", PTHREAD_KEYS_MAX);
    }
    WT_ERR(rc, EAGAIN);
    /* the program itself uses none before: nearly all of them were free */
    WT_GE(n, PTHREAD_KEYS_MAX - 8);
    /* all distinct and usable */
    for (int i = 0; i < n; i++)
        WT_OK(pthread_setspecific(keys[i], (void *)(uintptr_t)(i + 1)));
    for (int i = 0; i < n; i++)
        WT_PTR_EQ(pthread_getspecific(keys[i]), (void *)(uintptr_t)(i + 1));
    /* one deleted: one can be created again, then EAGAIN again */
    WT_OK(pthread_key_delete(keys[n / 2]));
    WT_OK(pthread_key_create(&keys[n / 2], NULL));
    WT_PTR_EQ(pthread_getspecific(keys[n / 2]), NULL);
    pthread_key_t extra;
    WT_ERR(pthread_key_create(&extra, NULL), EAGAIN);
    for (int i = 0; i < n; i++)
        WT_OK(pthread_key_delete(keys[i]));
    WT_OK(pthread_key_create(&extra, NULL));
    WT_OK(pthread_key_delete(extra));
}

WT_TEST(deleted_keys_einval)
{
    pthread_key_t k;
    WT_OK(pthread_key_create(&k, NULL));
    WT_OK(pthread_setspecific(k, (void *)3));
    WT_OK(pthread_key_delete(k));
    WT_ERR(pthread_setspecific(k, (void *)4), EINVAL);
    WT_PTR_EQ(pthread_getspecific(k), NULL);
    WT_ERR(pthread_key_delete(k), EINVAL);
    /* keys never made */
    WT_ERR(pthread_setspecific((pthread_key_t)(PTHREAD_KEYS_MAX - 1), (void *)4), EINVAL);
    WT_ERR(pthread_setspecific((pthread_key_t)PTHREAD_KEYS_MAX, (void *)4), EINVAL);
    WT_ERR(pthread_setspecific((pthread_key_t)0x7fffffff, (void *)4), EINVAL);
    WT_PTR_EQ(pthread_getspecific((pthread_key_t)PTHREAD_KEYS_MAX), NULL);
    WT_PTR_EQ(pthread_getspecific((pthread_key_t)0xffffffffu), NULL);
    WT_ERR(pthread_key_delete((pthread_key_t)PTHREAD_KEYS_MAX), EINVAL);
    WT_ERR(pthread_key_delete((pthread_key_t)0xffffffffu), EINVAL);
}

/* Keys made and used from many threads at once. */
static void *churn(void *arg)
{
    for (int i = 0; i < 200; i++) {
        pthread_key_t k;
        WT_OK(pthread_key_create(&k, NULL));
        WT_PTR_EQ(pthread_getspecific(k), NULL);
        WT_OK(pthread_setspecific(k, arg));
        WT_PTR_EQ(pthread_getspecific(k), arg);
        if (i % 16 == 0)
            sched_yield();
        WT_PTR_EQ(pthread_getspecific(k), arg);
        WT_OK(pthread_key_delete(k));
    }
    return NULL;
}

WT_TEST(concurrent_create_delete)
{
    enum { N = 8 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1)));
    for (int i = 0; i < N; i++)
        WT_OK(pthread_join(t[i], NULL));
}

WT_MAIN(WT_ENTRY(values_per_thread, 0, 60),
        WT_ENTRY(new_key_is_null_everywhere, 0, 60),
        WT_ENTRY(destructors_at_exit, 0, 60),
        WT_ENTRY(destructor_iterations, 0, 60),
        WT_ENTRY(destructor_deletes_key, 0, 60),
        WT_ENTRY(keys_max, 0, 60),
        WT_ENTRY(deleted_keys_einval, 0, 60),
        WT_ENTRY(concurrent_create_delete, 0, 60))
