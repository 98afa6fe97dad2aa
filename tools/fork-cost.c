/* tools/fork-cost.c - what a fork and a spawn cost from a weft thread,
 * with N parked threads alive (docs/fork.md, Figures). Build and run:
 *   gcc -O2 -I include tools/fork-cost.c -o /tmp/fork-cost build/libweft.a -luring -lpthread -ldl
 *   /tmp/fork-cost 1000
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <weft/thread.h>
#include <weft/runtime.h>
#include <weft/io.h>
#include <weft/process.h>
#include <weft/sync.h>
extern char **environ;
static weft_sem_t never;
static void *parked(void *a) { (void)a; weft_sem_wait(&never); return NULL; }
static void *bench(void *a) {
    int n = 200;
    uint64_t t0 = weft_now();
    for (int i = 0; i < n; i++) {
        pid_t p = weft_fork();
        if (p == 0) _exit(0);
        int st; weft_waitpid(p, &st, 0);
    }
    uint64_t t1 = weft_now();
    for (int i = 0; i < n; i++) {
        pid_t p = weft_fork();
        if (p == 0) { weft_t t; weft_create(&t, NULL, parked, NULL); _exit(0); }
        int st; weft_waitpid(p, &st, 0);
    }
    uint64_t t2 = weft_now();
    char *argv[] = {"true", NULL};
    for (int i = 0; i < n; i++) {
        pid_t p; weft_spawn(&p, "/bin/true", NULL, NULL, argv, environ);
        int st; weft_waitpid(p, &st, 0);
    }
    uint64_t t3 = weft_now();
    printf("%s: fork+_exit+wait %.1f us; fork+create(restart)+_exit+wait %.1f us; spawn(/bin/true)+wait %.1f us\n",
           (char *)a, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n, (t3 - t2) / 1e3 / n);
    return NULL;
}
int main(int argc, char **argv) {
    weft_config_t c = {0}; c.nvcpus = 4; weft_init(&c);
    weft_sem_init(&never, 0);
    int k = argc > 1 ? atoi(argv[1]) : 0;
    for (int i = 0; i < k; i++) { weft_t t; weft_create(&t, NULL, parked, NULL); }
    char label[64]; snprintf(label, sizeof label, "%d parked threads", k);
    weft_t t; weft_create(&t, NULL, bench, label); weft_join(t, NULL);
    fflush(stdout);
    _exit(0);
}
