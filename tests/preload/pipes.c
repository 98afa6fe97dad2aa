/* pipes.c - an unmodified program: 200 pairs of threads pass a token back
 * and forth through pipes with blocking read and write, 100 times each.
 * On glibc every thread is a kernel thread and this just works; under
 * libweft-pthread with one vCPU it works only if a thread blocked in read
 * leaves the vCPU to the others (the drop-in's I/O interposition). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define PAIRS 200
#define ROUNDS 100

struct pair {
    int ab[2], ba[2];
};

static void *ping(void *arg)
{
    struct pair *p = arg;
    char c = 'x';
    for (int i = 0; i < ROUNDS; i++)
        if (write(p->ab[1], &c, 1) != 1 || read(p->ba[0], &c, 1) != 1)
            return (void *)1;
    return NULL;
}

static void *pong(void *arg)
{
    struct pair *p = arg;
    char c;
    for (int i = 0; i < ROUNDS; i++)
        if (read(p->ab[0], &c, 1) != 1 || write(p->ba[1], &c, 1) != 1)
            return (void *)1;
    return NULL;
}

int main(void)
{
    static struct pair pairs[PAIRS];
    pthread_t a[PAIRS], b[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        if (pipe(pairs[i].ab) || pipe(pairs[i].ba)) {
            perror("pipe");
            return 1;
        }
        /* the reader first: it blocks until its partner writes */
        pthread_create(&b[i], NULL, pong, &pairs[i]);
        pthread_create(&a[i], NULL, ping, &pairs[i]);
    }
    long bad = 0;
    for (int i = 0; i < PAIRS; i++) {
        void *r1, *r2;
        pthread_join(a[i], &r1);
        pthread_join(b[i], &r2);
        bad += (long)r1 + (long)r2;
    }
    if (bad) {
        printf("FAIL: %ld threads failed\n", bad);
        return 1;
    }
    printf("ok: %d pairs exchanged %d tokens each through blocking pipes\n", PAIRS, ROUNDS);
    return 0;
}
