/* forksem.c - an unmodified program sharing semaphores across fork: an
 * unnamed process-shared semaphore in MAP_SHARED memory (sem_init(s, 1,
 * 0)) and a named one (sem_open). Parent and child hand a token back and
 * forth ROUNDS times through each; then the child exits and the parent
 * checks its status and the count of hand-offs in the shared page. */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 1000

struct shared {
    sem_t ping, pong;
    long child_count;
};

int main(void)
{
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED || sem_init(&sh->ping, 1, 0) || sem_init(&sh->pong, 1, 0)) {
        printf("setup failed\n");
        return 1;
    }
    char name[64];
    snprintf(name, sizeof name, "/weft-forksem-%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (named == SEM_FAILED) {
        printf("sem_open failed\n");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        sem_t *mine = sem_open(name, 0);
        if (mine == SEM_FAILED)
            _exit(3);
        for (int i = 0; i < ROUNDS; i++) {
            if (sem_wait(&sh->ping))
                _exit(4);
            sh->child_count++;
            sem_post(&sh->pong);
            sem_post(mine);
        }
        sem_close(mine);
        _exit(0);
    }
    for (int i = 0; i < ROUNDS; i++) {
        sem_post(&sh->ping);
        if (sem_wait(&sh->pong) || sem_wait(named)) {
            printf("wait failed\n");
            return 1;
        }
    }
    int st;
    waitpid(pid, &st, 0);
    sem_close(named);
    sem_unlink(name);
    int v = -1;
    sem_getvalue(&sh->ping, &v);
    if (!WIFEXITED(st) || WEXITSTATUS(st) || sh->child_count != ROUNDS || v != 0) {
        printf("child status %d, count %ld, value %d\n", st, sh->child_count, v);
        return 1;
    }
    printf("ok: %d hand-offs each way through process-shared and named semaphores\n", ROUNDS);
    return 0;
}
