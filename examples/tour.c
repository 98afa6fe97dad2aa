/* tour.c - the showcase (`make run`): a million weft threads sleeping and
 * waking, pairs of threads ping-ponging, work spreading across vCPUs by
 * stealing, with what each step cost.
 *
 * Usage: tour [threads]   (default 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

static long nthreads = 1000000;

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "tour: %s: %s\n", what, strerror(rc));
        exit(1);
    }
}

/* ---- 1. a million sleepers ---- */

static weft_sem_t all_asleep, go_home;
static _Atomic long asleep, early, woke, done;
static _Atomic uint64_t last_wake;

static void *sleeper(void *arg)
{
    uint64_t nap = 100000000 + (uint64_t)(uintptr_t)arg % 400000000; /* 100-500 ms */
    if (++asleep == nthreads)
        weft_sem_post(&all_asleep);
    uint64_t t0 = weft_now();
    weft_sleep(nap);
    uint64_t t1 = weft_now();
    if (t1 - t0 < nap)
        early++;
    woke++;
    last_wake = t1;
    weft_sem_wait(&go_home); /* now blocked on a semaphore instead */
    done++;
    return NULL;
}

static void million(void)
{
    weft_attr_t a;
    weft_attr_init(&a);
    weft_attr_setsmallstack(&a, 4096);
    weft_attr_setdetached(&a, 1);
    weft_sem_init(&all_asleep, 0);
    weft_sem_init(&go_home, 0);
    long rss0 = rss_kib();
    uint64_t t0 = weft_now();
    unsigned seed = 12345;
    for (long i = 0; i < nthreads; i++) {
        seed = seed * 1103515245u + 12345u;
        weft_t t;
        check(weft_create(&t, &a, sleeper, (void *)(uintptr_t)seed), "create");
    }
    uint64_t t1 = weft_now();
    weft_sem_wait(&all_asleep);
    uint64_t t2 = weft_now();
    printf("1. created %ld threads in %.0f ms (%.0f ns each); all asleep after %.0f ms, "
           "%.2f KiB RSS each (4 KiB stacks)\n",
           nthreads, ms(t1 - t0), (double)(t1 - t0) / (double)nthreads, ms(t2 - t0),
           (double)(rss_kib() - rss0) / (double)nthreads);
    while (woke < nthreads)
        weft_sleep(10000000);
    printf("   they slept 100-500 ms each and woke by timer: last one %.0f ms after the "
           "first was created, %ld woke early\n",
           ms(last_wake - t0), (long)early);
    uint64_t t3 = weft_now();
    for (long i = 0; i < nthreads; i++)
        weft_sem_post(&go_home);
    while (done < nthreads)
        weft_sleep(1000000);
    printf("   released from their semaphore and gone in %.0f ms\n", ms(weft_now() - t3));
    weft_attr_destroy(&a);
}

/* ---- 2. ping-pong ---- */

#define PAIRS 1000
#define ROUNDS 1000

struct pair {
    weft_sem_t ping, pong;
};

static void *pinger(void *arg)
{
    struct pair *p = arg;
    for (int i = 0; i < ROUNDS; i++) {
        weft_sem_post(&p->ping);
        weft_sem_wait(&p->pong);
    }
    return NULL;
}

static void *ponger(void *arg)
{
    struct pair *p = arg;
    for (int i = 0; i < ROUNDS; i++) {
        weft_sem_wait(&p->ping);
        weft_sem_post(&p->pong);
    }
    return NULL;
}

static void pingpong(void)
{
    static struct pair pairs[PAIRS];
    static weft_t ts[2 * PAIRS];
    uint64_t t0 = weft_now();
    for (int i = 0; i < PAIRS; i++) {
        weft_sem_init(&pairs[i].ping, 0);
        weft_sem_init(&pairs[i].pong, 0);
        check(weft_create(&ts[2 * i], NULL, pinger, &pairs[i]), "create");
        check(weft_create(&ts[2 * i + 1], NULL, ponger, &pairs[i]), "create");
    }
    for (int i = 0; i < 2 * PAIRS; i++)
        check(weft_join(ts[i], NULL), "join");
    uint64_t el = weft_now() - t0;
    printf("2. %d pairs ping-ponged %d times each through semaphores: %.0f ms, "
           "%.0f ns per round trip\n",
           PAIRS, ROUNDS, ms(el), (double)el / (PAIRS * ROUNDS));
}

/* ---- 3. stealing ---- */

#define TASKS 4000

static _Atomic long ran_on[64];

static void *task(void *arg)
{
    volatile unsigned long x = (uintptr_t)arg;
    for (int i = 0; i < 20000; i++) /* ~20-40 us of work */
        x = x * 6364136223846793005ul + 1;
    int v = weft_vcpu_self();
    if (v >= 0 && v < 64)
        ran_on[v]++;
    return NULL;
}

static void stealing(void)
{
    static weft_t ts[TASKS];
    int n = weft_vcpu_count();
    weft_vcpu_stats_t st0[64], st1;
    for (int i = 0; i < n && i < 64; i++)
        weft_vcpu_stats(i, &st0[i]);
    uint64_t t0 = weft_now();
    for (int i = 0; i < TASKS; i++)
        check(weft_create(&ts[i], NULL, task, (void *)(uintptr_t)i), "create");
    for (int i = 0; i < TASKS; i++)
        check(weft_join(ts[i], NULL), "join");
    uint64_t el = weft_now() - t0;
    printf("3. one thread on vCPU %d queued %d busy tasks on its own vCPU; %.0f ms later "
           "they had run on:\n",
           weft_vcpu_self(), TASKS, ms(el));
    for (int i = 0; i < n && i < 64; i++) {
        weft_vcpu_stats(i, &st1);
        printf("   vCPU %d: %ld tasks, %llu stolen by it, %llu switches\n", i, (long)ran_on[i],
               (unsigned long long)(st1.steals - st0[i].steals),
               (unsigned long long)(st1.switches - st0[i].switches));
    }
}

static void *tour(void *arg)
{
    (void)arg;
    printf("weft tour: %d vCPUs; main is a bound thread, the tour runs in a weft thread\n\n",
           weft_vcpu_count());
    million();
    pingpong();
    stealing();
    printf("\nThe runtime now (weft_dump):\n");
    weft_dump(stdout);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nthreads = atol(argv[1]);
    if (nthreads < 1) {
        fprintf(stderr, "usage: tour [threads]\n");
        return 2;
    }
    weft_attr_t a;
    weft_attr_init(&a);
    weft_attr_setname(&a, "tour");
    weft_t t;
    check(weft_create(&t, &a, tour, NULL), "create");
    check(weft_join(t, NULL), "join");
    return 0;
}
