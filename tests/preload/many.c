/* many.c - an unmodified pthread program: 100,000 threads alive at once.
 * Built with plain `gcc -pthread`; under NPTL it fails near 32k threads
 * on the test machine (pid_max, memory for 8 MiB stacks). Under
 * LD_PRELOAD=libweft-pthread.so every thread is a weft thread.
 * Each thread parks on a barrier-like condition until all exist, then
 * returns a value derived from its index, which main checks. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* WEFT_TEST_SCALE=n (set for the valgrind run) divides the count. */
static long N = 100000;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_here = PTHREAD_COND_INITIALIZER;
static long arrived;

static void *worker(void *arg)
{
    long i = (long)arg;
    pthread_mutex_lock(&mu);
    if (++arrived == N)
        pthread_cond_broadcast(&all_here);
    while (arrived < N)
        pthread_cond_wait(&all_here, &mu);
    pthread_mutex_unlock(&mu);
    return (void *)(i * 3 + 1);
}

int main(void)
{
    const char *scale = getenv("WEFT_TEST_SCALE");
    if (scale && atol(scale) > 1)
        N /= atol(scale);
    pthread_t *t = malloc(N * sizeof *t);
    if (!t)
        return 2;
    for (long i = 0; i < N; i++) {
        int rc = pthread_create(&t[i], NULL, worker, (void *)i);
        if (rc) {
            printf("pthread_create failed at thread %ld: error %d\n", i, rc);
            return 1;
        }
    }
    long bad = 0;
    for (long i = 0; i < N; i++) {
        void *r;
        if (pthread_join(t[i], &r) || (long)r != i * 3 + 1)
            bad++;
    }
    if (bad) {
        printf("%ld wrong results\n", bad);
        return 1;
    }
    printf("ok: %ld concurrent threads, every result checked\n", N);
    free(t);
    return 0;
}
