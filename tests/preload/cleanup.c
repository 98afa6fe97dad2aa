/* cleanup.c - an unmodified pthread program using cancellation and
 * pthread_cleanup_push/pop as glibc's macros expand them in C (the
 * __sigsetjmp / __pthread_register_cancel ABI). A worker pushes three
 * nested handlers and blocks in a cancellation point; main cancels it;
 * the handlers must run innermost first, the join must return
 * PTHREAD_CANCELED, and the mutex a handler unlocks must be free. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char order[8];
static int n_order, started;

static void note(void *c)
{
    order[n_order++] = *(char *)c;
}

static void unlock(void *m)
{
    note("m");
    pthread_mutex_unlock(m);
}

static void *worker(void *unused)
{
    (void)unused;
    pthread_cleanup_push(note, "a");
    pthread_cleanup_push(note, "b");
    pthread_mutex_lock(&mu);
    pthread_cleanup_push(unlock, &mu);
    started = 1;
    pthread_cond_signal(&cv);
    for (;;)
        pthread_cond_wait(&cv, &mu); /* a cancellation point; never signalled again */
    pthread_cleanup_pop(1);
    pthread_cleanup_pop(1);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *sleeper(void *unused)
{
    (void)unused;
    pthread_cleanup_push(note, "s");
    for (;;)
        sleep(1); /* also a cancellation point */
    pthread_cleanup_pop(0);
    return NULL;
}

int main(void)
{
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, worker, NULL);
    pthread_mutex_lock(&mu);
    while (!started)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    pthread_cancel(t);
    if (pthread_join(t, &r) || r != PTHREAD_CANCELED) {
        printf("join: not PTHREAD_CANCELED\n");
        return 1;
    }
    if (strcmp(order, "mba")) {
        printf("handlers ran as \"%s\", expected \"mba\"\n", order);
        return 1;
    }
    if (pthread_mutex_trylock(&mu)) {
        printf("the handler did not unlock the mutex\n");
        return 1;
    }
    pthread_mutex_unlock(&mu);

    n_order = 0;
    memset(order, 0, sizeof order);
    pthread_create(&t, NULL, sleeper, NULL);
    usleep(10000);
    pthread_cancel(t);
    if (pthread_join(t, &r) || r != PTHREAD_CANCELED || strcmp(order, "s")) {
        printf("sleeper: not cancelled with its handler (\"%s\")\n", order);
        return 1;
    }
    printf("ok: cleanup handlers ran innermost first on cancellation\n");
    return 0;
}
