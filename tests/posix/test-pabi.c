/* test-pabi.c - the drop-in's ABI: glibc 2.36's x86_64 object sizes as a
 * program built with glibc's headers sees them, and that such a program
 * really runs on weft (main and its threads are weft threads). */
#include "runner.h"

#include <dlfcn.h>
#include <semaphore.h>

WT_TEST(sizes)
{
    WT_EQ(sizeof(pthread_t), 8);
    WT_EQ(sizeof(pthread_attr_t), 56);
    WT_EQ(sizeof(pthread_mutex_t), 40);
    WT_EQ(sizeof(pthread_mutexattr_t), 4);
    WT_EQ(sizeof(pthread_cond_t), 48);
    WT_EQ(sizeof(pthread_condattr_t), 4);
    WT_EQ(sizeof(pthread_rwlock_t), 56);
    WT_EQ(sizeof(pthread_rwlockattr_t), 8);
    WT_EQ(sizeof(pthread_barrier_t), 32);
    WT_EQ(sizeof(pthread_barrierattr_t), 4);
    WT_EQ(sizeof(pthread_spinlock_t), 4);
    WT_EQ(sizeof(pthread_key_t), 4);
    WT_EQ(sizeof(pthread_once_t), 4);
    WT_EQ(sizeof(sem_t), 32);
    /* the static initializers are all zero bytes */
    static const pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static const pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    static const pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    static const pthread_once_t o = PTHREAD_ONCE_INIT;
    const unsigned char *objs[] = {(const void *)&m, (const void *)&c, (const void *)&rw,
                                   (const void *)&o};
    const size_t sizes[] = {sizeof m, sizeof c, sizeof rw, sizeof o};
    for (int i = 0; i < 4; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            WT_EQ(objs[i][j], 0);
}

/* The thread calls resolve to libweft-pthread, not to libc. */
WT_TEST(symbols_from_weft)
{
    static const char *names[] = {"pthread_create", "pthread_join", "pthread_self",
                                  "pthread_cancel", "pthread_key_create", "pthread_once",
                                  "pthread_attr_init", "nanosleep", "sched_yield"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *p = dlsym(RTLD_DEFAULT, names[i]);
        Dl_info info;
        WT_ASSERTF(p && dladdr(p, &info) && info.dli_fname, "%s not found", names[i]);
        WT_ASSERTF(strstr(info.dli_fname, "weft-pthread") != NULL, "%s comes from %s", names[i],
                   info.dli_fname);
    }
}

static void *vcpu_of(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)weft_vcpu_self();
}

WT_TEST(runs_on_weft)
{
    /* main is a weft thread on a vCPU (not a bound host thread) */
    WT_GE(weft_vcpu_self(), 0);
    WT_LT(weft_vcpu_self(), weft_vcpu_count());
    enum { N = 16 };
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        WT_OK(pthread_create(&t[i], NULL, vcpu_of, NULL));
    for (int i = 0; i < N; i++) {
        void *r;
        WT_OK(pthread_join(t[i], &r));
        WT_GE((intptr_t)r, 0);
        WT_LT((intptr_t)r, weft_vcpu_count());
    }
    /* pthread_self is weft's handle */
    WT_EQ_U64((uint64_t)pthread_self(), (uint64_t)weft_self());
}

static atomic_int gate;

static void *gated(void *arg)
{
    while (!atomic_load(&gate))
        usleep(500);
    return arg;
}

WT_TEST(dump_shows_main)
{
    atomic_store(&gate, 0);
    pthread_t t;
    WT_OK(pthread_create(&t, NULL, gated, NULL));
    WT_OK(pthread_setname_np(t, "pabi-worker"));
    char *d = wt_dump_string();
    __asm__("" : "+r"(d));
    /* the program's main, running, and the host thread that waits for it;
     * one "main" only, from main's first instruction on (the host thread
     * must have its own name before main starts) */
    WT_ASSERTF(wt_count(d, "  main  ") == 1, "threads named main:\n%s", d);
    const char *l = wt_line_with(d, "  main  ");
    WT_CONTAINS(l, "running");
    WT_CONTAINS(d, "host-main");
    WT_CONTAINS(d, "pabi-worker");
    free(d);
    atomic_store(&gate, 1);
    WT_OK(pthread_join(t, NULL));
}

WT_MAIN(WT_ENTRY(sizes, 0, 60),
        WT_ENTRY(symbols_from_weft, 0, 60),
        WT_ENTRY(runs_on_weft, 0, 60),
        WT_ENTRY(dump_shows_main, 0, 60))
