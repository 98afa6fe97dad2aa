/* test-pfork.c - fork, vfork, pthread_atfork, posix_spawn, system through
 * glibc's names against libweft-pthread (src/posix/fork.c,
 * docs/fork.md). A child reports through its exit status: 0 is success,
 * any other value names the check that failed (CHECK). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "posix/ptest.h"

extern char **environ;

#define CHECK(cond, code)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "child check failed (%d): %s\n", (code), #cond);  \
            _exit(code);                                                      \
        }                                                                     \
    } while (0)

static int status_of(pid_t pid)
{
    int st = -1;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    WT_EQ(r, pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- fork with many threads alive ---- */

enum { NHOLD = 8 };
static pthread_mutex_t held[NHOLD];
static atomic_int release, nheld, nready;
static int blockp[2];
static atomic_int counter;
static pthread_mutex_t child_mu = PTHREAD_MUTEX_INITIALIZER;

static void *holder(void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_mutex_lock(&held[i]);
    atomic_fetch_add(&nheld, 1);
    while (!atomic_load(&release))
        usleep(1000);
    pthread_mutex_unlock(&held[i]);
    return NULL;
}

static void *waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&nready, 1);
    if (i % 3 == 0) {
        pthread_mutex_lock(&held[i % NHOLD]);
        pthread_mutex_unlock(&held[i % NHOLD]);
    } else if (i % 3 == 1) {
        while (!atomic_load(&release))
            usleep(500 + i % 1000);
    } else {
        char c;
        if (read(blockp[0], &c, 1) != 1)
            return (void *)1;
    }
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&child_mu);
    atomic_fetch_add(&counter, 1);
    pthread_mutex_unlock(&child_mu);
    usleep(200);
    return (void *)3;
}

static void *pipe_writer(void *arg)
{
    usleep(2000);
    return write((int)(intptr_t)arg, "ok", 2) == 2 ? NULL : (void *)1;
}

/* What the child checks; then it execs a shell that exits with `status`. */
static void child_life(int status)
{
    CHECK(pthread_mutex_trylock(&held[0]) == EBUSY, 10); /* held by a thread not here */
    pthread_t t[50];
    atomic_store(&counter, 0);
    for (int i = 0; i < 50; i++)
        CHECK(pthread_create(&t[i], NULL, child_thread, NULL) == 0, 11);
    for (int i = 0; i < 50; i++) {
        void *r;
        CHECK(pthread_join(t[i], &r) == 0 && r == (void *)3, 12);
    }
    CHECK(atomic_load(&counter) == 50, 13);
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0, 14);
    pthread_t w;
    CHECK(pthread_create(&w, NULL, pipe_writer, (void *)(intptr_t)p[1]) == 0, 15);
    char buf[2];
    CHECK(read(p[0], buf, 2) == 2 && buf[0] == 'o', 16);
    void *r = (void *)1;
    CHECK(pthread_join(w, &r) == 0 && r == NULL, 17);
    struct timespec ts = {0, 2000000};
    CHECK(nanosleep(&ts, NULL) == 0, 18);
    /* A grandchild, spawned and waited for. */
    char *argv[] = {"true", NULL};
    pid_t g;
    CHECK(posix_spawnp(&g, "true", NULL, NULL, argv, environ) == 0, 19);
    int st;
    CHECK(waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 0, 20);
    char s[32];
    snprintf(s, sizeof s, "exit %d", status);
    execl("/bin/sh", "sh", "-c", s, (char *)NULL);
    _exit(21);
}

static void *forker(void *arg)
{
    int status = (int)(intptr_t)arg;
    pid_t pid = fork();
    if (pid == 0)
        child_life(status);
    WT_GT(pid, 0);
    WT_EQ(status_of(pid), status);
    return NULL;
}

WT_TEST(fork_many_threads)
{
    WT_OK(pipe2(blockp, O_CLOEXEC));
    for (int i = 0; i < NHOLD; i++)
        pthread_mutex_init(&held[i], NULL);
    int n = (int)wt_scaled(300);
    pthread_t *t = calloc((size_t)n + NHOLD, sizeof *t);
    for (int i = 0; i < NHOLD; i++)
        t[i] = spawn(holder, (void *)(intptr_t)i);
    while (atomic_load(&nheld) < NHOLD)
        usleep(1000);
    for (int i = 0; i < n; i++)
        t[NHOLD + i] = spawn(waiter, (void *)(intptr_t)i);
    while (atomic_load(&nready) < n)
        usleep(1000);
    usleep(5000);
    join(spawn(forker, (void *)(intptr_t)6)); /* from a thread */
    forker((void *)(intptr_t)8);                /* from main */
    atomic_store(&release, 1);
    for (int i = 0; i < n; i++)
        if (i % 3 == 2)
            WT_EQ(write(blockp[1], "x", 1), 1);
    for (int i = 0; i < n + NHOLD; i++)
        WT_PTR_EQ(join(t[i]), NULL);
    free(t);
}

/* ---- handlers registered through the executable's pthread_atfork ---- */

static char order[32];
static atomic_int olen;
static void note(char c) { order[atomic_fetch_add(&olen, 1)] = c; }
static void p1(void) { note('P'); }
static void p2(void) { note('Q'); }
static void a1(void) { note('a'); }
static void a2(void) { note('b'); }
static void c1(void) { note('1'); }
static void c2(void) { note('2'); }

static void *atfork_fn(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0) {
        order[atomic_load(&olen)] = 0;
        _exit(strcmp(order, "QP12") ? 1 : 0);
    }
    WT_EQ(status_of(pid), 0);
    order[atomic_load(&olen)] = 0;
    WT_STR_EQ(order, "QPab");
    return NULL;
}

WT_TEST(atfork_order)
{
    WT_OK(pthread_atfork(p1, a1, c1));
    WT_OK(pthread_atfork(p2, a2, c2));
    join(spawn(atfork_fn, NULL));
}

/* ---- vfork is fork ---- */

static int vfork_mark;

WT_TEST(vfork_is_fork)
{
    vfork_mark = 1;
    pid_t pid = vfork();
    if (pid == 0) {
        vfork_mark = 2; /* a copy: the parent keeps 1 */
        _exit(vfork_mark == 2 ? 0 : 1);
    }
    WT_EQ(status_of(pid), 0);
    WT_EQ(vfork_mark, 1);
}

/* ---- posix_spawn and system ---- */

static void *spawner(void *arg)
{
    int i = (int)(intptr_t)arg;
    char *argv[] = {"sh", "-c", i % 2 ? "exit 1" : "exit 0", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    if (rc)
        return (void *)(intptr_t)(100 + rc);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != i % 2)
        return (void *)2;
    return NULL;
}

WT_TEST(spawn_concurrent)
{
    int n = (int)wt_scaled(300);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        t[i] = spawn(spawner, (void *)(intptr_t)i);
    for (int i = 0; i < n; i++)
        WT_PTR_EQ(join(t[i]), NULL);
    free(t);
    siginfo_t si;
    WT_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), -1);
    WT_EQ(errno, ECHILD);
}

/* Valgrind runs glibc's clone(CLONE_VM|CLONE_VFORK) as a plain fork, so
 * an exec that fails cannot be reported to posix_spawn: it answers 0 and
 * the child exits with 127. Is that where we run? */
static int under_valgrind(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, "vgpreload") != NULL;
    if (f)
        fclose(f);
    return found;
}

/* rc from a spawn that must fail with want (or, under valgrind, whose
 * child must exit with 127). */
static int spawn_failed_with(int rc, pid_t pid, int want)
{
    if (rc == want)
        return 1;
    if (rc != 0 || !under_valgrind())
        return 0;
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 127;
}

static void *spawn_errors_fn(void *arg)
{
    (void)arg;
    char *argv[] = {"x", NULL};
    pid_t pid;
    errno = 0;
    int rc = posix_spawn(&pid, "/nonexistent/weft-none", NULL, NULL, argv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, ENOENT), "rc %d", rc);
    WT_EQ(errno, 0);
    rc = posix_spawnp(&pid, "weft-none-on-the-path", NULL, NULL, argv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, ENOENT), "rc %d", rc);
    return NULL;
}

WT_TEST(spawn_errors)
{
    join(spawn(spawn_errors_fn, NULL));
}

static void *system_fn(void *arg)
{
    (void)arg;
    int st = system("exit 3");
    return (void *)(intptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

WT_TEST(system_call)
{
    WT_EQ((int)(intptr_t)join(spawn(system_fn, NULL)), 3);
}

WT_MAIN(WT_ENTRY(fork_many_threads, 0, 120),
        WT_ENTRY(atfork_order, 0, 60),
        WT_ENTRY(vfork_is_fork, 0, 30),
        WT_ENTRY(spawn_concurrent, 0, 120),
        WT_ENTRY(spawn_errors, 0, 30),
        WT_ENTRY(system_call, 0, 30))
