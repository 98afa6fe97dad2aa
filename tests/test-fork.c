/* test-fork.c - fork from weft threads and weft_spawn (core/fork.c,
 * io/spawn.c, docs/fork.md). Run on both I/O backends (an I/O topic).
 *
 * The forked children report through their exit status, which the parent
 * reads with weft_waitpid: 0 is success, any other value names the check
 * that failed (CHECK below). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "io_util.h"
#include "runner.h"
#include "weft/io.h"
#include "weft/process.h"
#include "weft/sync.h"
#include "weft/thread.h"

/* In a child of fork: end with status `code` unless cond holds. */
#define CHECK(cond, code)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "child check failed (%d): %s\n", (code), #cond);  \
            _exit(code);                                                      \
        }                                                                     \
    } while (0)

static pid_t wait_status(pid_t pid)
{
    int st = -1;
    pid_t r;
    while ((r = weft_waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    WT_EQ(r, pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int fds_open(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own */
}

/* Descriptors a child of exec would inherit (not close-on-exec). */
static int fds_inheritable(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        int fl = fcntl(fd, F_GETFD);
        n += fd != self && fl >= 0 && !(fl & FD_CLOEXEC);
    }
    closedir(d);
    return n;
}

/* Spawned as a program: exit with the number of inherited descriptors. */
__attribute__((constructor)) static void fd_reporter(void)
{
    if (getenv("WT_FORK_REPORT_FDS"))
        _exit(fds_inheritable());
}

/* ThreadSanitizer refuses to start threads in the child of a multithreaded
 * fork ("not supported. Dying"): under TSan the children check what they
 * can without creating threads. */
#ifdef __SANITIZE_THREAD__
#define CHILD_THREADS 0
#else
#define CHILD_THREADS 1
#endif

static unsigned long root_threads(void)
{
    weft_group_info_t gi;
    if (weft_group_info(weft_group_self(), &gi))
        return 0;
    return gi.nthreads;
}

/* ---- what a child can do ---- */

static atomic_int counter;
static weft_mutex_t child_mu = WEFT_MUTEX_INITIALIZER;

static void *child_worker(void *arg)
{
    (void)arg;
    weft_mutex_lock(&child_mu);
    atomic_fetch_add(&counter, 1);
    weft_mutex_unlock(&child_mu);
    weft_sleep(WT_MS / 2);
    return (void *)7;
}

static void *pipe_writer(void *arg)
{
    int fd = (int)(intptr_t)arg;
    weft_sleep(2 * WT_MS);
    return weft_write(fd, "forked", 6) == 6 ? NULL : (void *)1;
}

/* The child's checks after a fork from a weft thread: only the caller
 * exists, threads, mutexes, sleep, I/O through the port, spawn and wait.
 * Then exec a shell that exits with `status`. */
static void child_life(int status)
{
    CHECK(weft_vcpu_self() == -1, 10); /* the caller is bound in the child */
    CHECK(root_threads() == 1, 11);
    uint64_t t0 = weft_now();
    CHECK(weft_sleep(2 * WT_MS) == 0, 12);
    CHECK(weft_now() - t0 >= 2 * WT_MS, 13);
    CHECK(weft_mutex_lock(&child_mu) == 0 && weft_mutex_unlock(&child_mu) == 0, 24);
    if (!CHILD_THREADS)
        goto exec;
    atomic_store(&counter, 0);
    enum { N = 100 };
    weft_t t[N];
    for (int i = 0; i < N; i++)
        CHECK(weft_create(&t[i], NULL, child_worker, NULL) == 0, 14);
    CHECK(root_threads() >= 2, 15);
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        CHECK(weft_join(t[i], &r) == 0 && r == (void *)7, 16);
    }
    CHECK(atomic_load(&counter) == N, 17);
    CHECK(root_threads() == 1, 18);
    /* I/O through the port, on a weft thread of the child's vCPUs. */
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0, 19);
    weft_t w;
    CHECK(weft_create(&w, NULL, pipe_writer, (void *)(intptr_t)p[1]) == 0, 20);
    char buf[8] = {0};
    CHECK(weft_read(p[0], buf, 6) == 6 && !memcmp(buf, "forked", 6), 21);
    void *r = (void *)1;
    CHECK(weft_join(w, &r) == 0 && r == NULL, 22);
    close(p[0]);
    close(p[1]);
exec:;
    char s[32];
    snprintf(s, sizeof s, "exit %d", status);
    execl("/bin/sh", "sh", "-c", s, (char *)NULL);
    _exit(23);
}

static void *fork_and_check(void *arg)
{
    int status = (int)(intptr_t)arg;
    pid_t pid = weft_fork();
    if (pid == 0)
        child_life(status);
    WT_GT(pid, 0);
    WT_EQ(wait_status(pid), status);
    return NULL;
}

WT_TEST(basic)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    io_in_weft(fork_and_check, (void *)(intptr_t)7);
    /* The parent's runtime is unchanged. */
    io_in_weft(fork_and_check, (void *)(intptr_t)9);
}

/* From the bound main thread too. */
WT_TEST(from_main)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    fork_and_check((void *)(intptr_t)5);
}

/* From a thread with its own TLS. */
static __thread int tls_mark;

static void *own_tls_fork(void *arg)
{
    (void)arg;
    tls_mark = 4242;
    pid_t pid = weft_fork();
    if (pid == 0) {
        CHECK(tls_mark == 4242, 30);
        child_life(3);
    }
    WT_EQ(wait_status(pid), 3);
    WT_EQ(tls_mark, 4242);
    return NULL;
}

WT_TEST(own_tls)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    if (!weft_tls_supported())
        WT_SKIP("own TLS is not available here");
    weft_attr_t a;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_settls(&a, WEFT_TLS_OWN));
    weft_t t;
    void *r = (void *)1;
    WT_OK(weft_create(&t, &a, own_tls_fork, NULL));
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
}

/* ---- many threads alive, locks held by others ---- */

enum { NLOCKS = 16 };
static weft_mutex_t held[NLOCKS];
static weft_mutex_t mine = WEFT_MUTEX_INITIALIZER;
static atomic_int release_all, nholding, nready;
static int block_pipe[2];

static void *holder(void *arg)
{
    int i = (int)(intptr_t)arg;
    weft_mutex_lock(&held[i]);
    atomic_fetch_add(&nholding, 1);
    while (!atomic_load(&release_all))
        weft_sleep(WT_MS);
    weft_mutex_unlock(&held[i]);
    return NULL;
}

static void *contender(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&nready, 1);
    if (i % 4 == 0) { /* blocked on a mutex another thread holds */
        weft_mutex_lock(&held[i / 4 % NLOCKS]);
        weft_mutex_unlock(&held[i / 4 % NLOCKS]);
    } else if (i % 4 == 1) { /* blocked on the forker's own mutex */
        weft_mutex_lock(&mine);
        weft_mutex_unlock(&mine);
    } else if (i % 4 == 2) { /* sleeping */
        while (!atomic_load(&release_all))
            weft_sleep(WT_MS * (1 + i % 5));
    } else { /* in an I/O wait */
        char c;
        if (weft_read(block_pipe[0], &c, 1) != 1)
            return (void *)1;
    }
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&release_all))
        weft_yield();
    return NULL;
}

static void *crowded_fork(void *arg)
{
    (void)arg;
    pid_t pid = weft_fork();
    if (pid == 0) {
        /* mine: free at this fork (main's fork had it held, with waiters). */
        CHECK(weft_mutex_trylock(&mine) == 0, 41);
        CHECK(weft_mutex_unlock(&mine) == 0, 42);
        /* held[]: held by threads that are not here: stays locked. */
        CHECK(weft_mutex_trylock(&held[0]) == EBUSY, 43);
        child_life(0);
    }
    WT_EQ(wait_status(pid), 0);
    return NULL;
}

WT_TEST(many_threads)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    WT_OK(pipe2(block_pipe, O_CLOEXEC));
    int n = (int)wt_scaled(1000);
    weft_t *t = calloc((size_t)n + NLOCKS + 4, sizeof *t);
    for (int i = 0; i < NLOCKS; i++)
        WT_OK(weft_create(&t[i], NULL, holder, (void *)(intptr_t)i));
    WT_WAIT_UNTIL(atomic_load(&nholding) == NLOCKS, 10);
    for (int i = 0; i < 4; i++)
        WT_OK(weft_create(&t[NLOCKS + i], NULL, spinner, NULL));
    /* main holds `mine` while contenders queue on it. */
    WT_OK(weft_mutex_lock(&mine));
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[NLOCKS + 4 + i], NULL, contender, (void *)(intptr_t)i));
    WT_WAIT_UNTIL(atomic_load(&nready) == n, 20);
    weft_sleep(5 * WT_MS);
    /* main holds `mine`; fork from main (bound) and from a weft thread. */
    pid_t pid = weft_fork();
    if (pid == 0) {
        CHECK(root_threads() == 1, 44);
        CHECK(weft_mutex_unlock(&mine) == 0, 45);
        CHECK(weft_mutex_trylock(&held[1]) == EBUSY, 46);
        child_life(0);
    }
    WT_EQ(wait_status(pid), 0);
    weft_mutex_unlock(&mine);
    io_in_weft(crowded_fork, NULL); /* `mine` is free: the forker does not hold it */
    /* The parent carries on: every thread completes. */
    atomic_store(&release_all, 1);
    for (int i = 0; i < n; i++)
        if (i % 4 == 3)
            WT_EQ(write(block_pipe[1], "x", 1), 1);
    for (int i = 0; i < n + NLOCKS + 4; i++) {
        void *r = (void *)1;
        WT_OK(weft_join(t[i], &r));
        WT_PTR_EQ(r, NULL);
    }
    free(t);
    close(block_pipe[0]);
    close(block_pipe[1]);
}

/* ---- atfork handlers ---- */

static char order[64];
static atomic_int order_len;

static void note(char c)
{
    int i = atomic_fetch_add(&order_len, 1);
    if (i < (int)sizeof order - 1)
        order[i] = c;
}
static void pa(void) { note('A'); }
static void pb(void) { note('B'); }
static void pc(void) { note('C'); }
static void qa(void) { note('a'); }
static void qb(void) { note('b'); }
static void qc(void) { note('c'); }
static void ca(void) { note('1'); }
static void cb(void) { note('2'); }
static void cc(void) { note('3'); }

static void *atfork_fork(void *arg)
{
    (void)arg;
    pid_t pid = weft_fork();
    if (pid == 0) {
        order[atomic_load(&order_len)] = 0;
        CHECK(!strcmp(order, "CBA123"), 50);
        _exit(0);
    }
    WT_EQ(wait_status(pid), 0);
    order[atomic_load(&order_len)] = 0;
    WT_STR_EQ(order, "CBAabc");
    return NULL;
}

WT_TEST(atfork_order)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    WT_OK(weft_atfork(pa, qa, ca));
    WT_OK(weft_atfork(pb, qb, cb));
    WT_OK(pthread_atfork(pc, qc, cc)); /* the executable's: the same list */
    WT_OK(weft_atfork(NULL, NULL, NULL));
    io_in_weft(atfork_fork, NULL);
}

/* ---- repeated, concurrent forks ---- */

/* GCC 12's AddressSanitizer does not hold its allocator's locks across
 * fork (LLVM added that in 2023): a child forked while another thread of
 * the parent allocates may hang in its first allocation (seen: a child's
 * timer heap growing, while a parent thread had held the same size
 * class). Under ASan the forks are serialised and no busy threads run. */
#ifdef __SANITIZE_ADDRESS__
#define NBUSY 0
static weft_mutex_t fork_serial = WEFT_MUTEX_INITIALIZER;
#define FORK_SERIAL_LOCK() weft_mutex_lock(&fork_serial)
#define FORK_SERIAL_UNLOCK() weft_mutex_unlock(&fork_serial)
#else
#define NBUSY 20
#define FORK_SERIAL_LOCK() ((void)0)
#define FORK_SERIAL_UNLOCK() ((void)0)
#endif

static void *repeat_forker(void *arg)
{
    int k = (int)(intptr_t)arg;
    for (int i = 0; i < 5; i++) {
        FORK_SERIAL_LOCK();
        pid_t pid = weft_fork();
        if (pid != 0)
            FORK_SERIAL_UNLOCK();
        if (pid == 0) {
            CHECK(root_threads() == 1, 60);
            weft_t t;
            CHECK(!CHILD_THREADS || weft_create(&t, NULL, child_worker, NULL) == 0, 61);
            CHECK(!CHILD_THREADS || weft_join(t, NULL) == 0, 62);
            _exit(40 + k % 10);
        }
        if (pid < 0)
            return (void *)2;
        if (wait_status(pid) != 40 + k % 10)
            return (void *)1;
        weft_yield();
    }
    return NULL;
}

static void *busy_worker(void *arg)
{
    atomic_int *stop = arg;
    uint64_t seed = (uint64_t)(uintptr_t)&seed;
    /* Not child_mu: a child would inherit it locked (and the deadlock
     * check of the child reports that, as it should). */
    static weft_mutex_t busy_mu = WEFT_MUTEX_INITIALIZER;
    while (!atomic_load(stop)) {
        weft_mutex_lock(&busy_mu);
        weft_mutex_unlock(&busy_mu);
        if (wt_rand_below(&seed, 4) == 0)
            weft_sleep(WT_MS / 4);
        else
            weft_yield();
    }
    return NULL;
}

WT_TEST(repeated)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    enum { NF = 10, NB = NBUSY };
    atomic_int stop = 0;
    weft_t f[NF], b[NB + 1];
    for (int i = 0; i < NB; i++)
        WT_OK(weft_create(&b[i], NULL, busy_worker, &stop));
    for (int i = 0; i < NF; i++)
        WT_OK(weft_create(&f[i], NULL, repeat_forker, (void *)(intptr_t)i));
    for (int i = 0; i < NF; i++) {
        void *r = (void *)1;
        WT_OK(weft_join(f[i], &r));
        WT_PTR_EQ(r, NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < NB; i++)
        WT_OK(weft_join(b[i], NULL));
}

/* ---- spawn ---- */

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


extern char **environ;

static int spawn_wait(const char *cmd)
{
    char *argv[] = {"sh", "-c", (char *)cmd, NULL};
    pid_t pid;
    int rc = weft_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
    if (rc)
        return -rc;
    return wait_status(pid);
}

static void *spawn_one(void *arg)
{
    int i = (int)(intptr_t)arg;
    pid_t pid;
    int rc;
    if (i % 2) {
        char *argv[] = {"true", NULL};
        rc = weft_spawnp(&pid, "true", NULL, NULL, argv, environ);
    } else {
        char *argv[] = {"false", NULL};
        rc = weft_spawn(&pid, "/bin/false", NULL, NULL, argv, environ);
    }
    if (rc)
        return (void *)(intptr_t)(1000 + rc);
    int st = -1;
    if (weft_waitpid(pid, &st, 0) != pid)
        return (void *)(intptr_t)2000;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != (i % 2 ? 0 : 1))
        return (void *)(intptr_t)3000;
    return NULL;
}

static void no_children_left(void)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    errno = 0;
    WT_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), -1);
    WT_EQ(errno, ECHILD);
}

WT_TEST(spawn_many)
{
    wt_start(4, WEFT_DEADLOCK_ABORT);
    int n = (int)wt_scaled(1000);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 200 && rl.rlim_max >= (rlim_t)n + 200) {
        rl.rlim_cur = (rlim_t)n + 200;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    weft_t *t = calloc((size_t)n, sizeof *t);
    /* warm up: the offload pool's threads and the backend exist before
     * the descriptors are counted */
    WT_EQ(spawn_wait("exit 0"), 0);
    int fds = fds_open();
    for (int i = 0; i < n; i++)
        WT_OK(weft_create(&t[i], NULL, spawn_one, (void *)(intptr_t)i));
    for (int i = 0; i < n; i++) {
        void *r = (void *)1;
        WT_OK(weft_join(t[i], &r));
        WT_EQ((long)(intptr_t)r, 0);
    }
    free(t);
    no_children_left();
    WT_EQ(fds_open(), fds);
}

/* The child inherits none of weft's own descriptors (rings, epoll sets,
 * eventfds, pidfds are close-on-exec). */
static void *report_fds(void *arg)
{
    int want = (int)(intptr_t)arg; /* inheritable before the runtime started */
    /* Make the runtime open what it opens: the backend (started), the
     * offload pool and pidfds (a spawn and its wait), a pipe read. */
    WT_EQ(spawn_wait("exit 0"), 0);
    int p[2];
    WT_OK(pipe2(p, O_CLOEXEC));
    WT_EQ(weft_write(p[1], "z", 1), 1);
    char c;
    WT_EQ(weft_read(p[0], &c, 1), 1);
    close(p[0]);
    close(p[1]);
    WT_EQ(fds_inheritable(), want);
    char path[4096];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    WT_GT(len, 0);
    path[len] = 0;
    char *argv[] = {path, NULL};
    char *envp[] = {"WT_FORK_REPORT_FDS=1", NULL};
    pid_t pid;
    WT_OK(weft_spawn(&pid, path, NULL, NULL, argv, envp));
    WT_EQ(wait_status(pid), want);
    return NULL;
}

WT_TEST(spawn_fds)
{
    int before = fds_inheritable();
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(report_fds, (void *)(intptr_t)before);
}

/* The spawning thread parks, its vCPU does not: the child blocks in the
 * spawn itself (opening a FIFO for reading, a file action), and only
 * another thread of the same, single vCPU opening it for writing lets it
 * go on to exec. */
static char fifo_path[64];

static void *fifo_opener(void *arg)
{
    atomic_int *spawned = arg;
    weft_sleep(20 * WT_MS);
    WT_EQ(atomic_load(spawned), 0); /* the spawn is still in flight */
    int fd = open(fifo_path, O_WRONLY | O_CLOEXEC);
    WT_GE(fd, 0);
    WT_EQ(write(fd, "y", 1), 1);
    close(fd);
    return NULL;
}

static void *spawn_blocked(void *arg)
{
    (void)arg;
    atomic_int spawned = 0;
    weft_t o;
    WT_OK(weft_create(&o, NULL, fifo_opener, &spawned));
    posix_spawn_file_actions_t fa;
    WT_OK(posix_spawn_file_actions_init(&fa));
    WT_OK(posix_spawn_file_actions_addopen(&fa, 0, fifo_path, O_RDONLY, 0));
    char *argv[] = {"sh", "-c", "read x; test \"$x\" = y", NULL};
    pid_t pid;
    WT_OK(weft_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ));
    atomic_store(&spawned, 1);
    posix_spawn_file_actions_destroy(&fa);
    WT_OK(weft_join(o, NULL));
    WT_EQ(wait_status(pid), 0);
    return NULL;
}

WT_TEST(spawn_does_not_block_vcpu)
{
    if (under_valgrind())
        WT_SKIP("valgrind runs posix_spawn's vfork as a fork: the caller never waits");
    wt_start(1, WEFT_DEADLOCK_ABORT);
    snprintf(fifo_path, sizeof fifo_path, "/tmp/weft-fork-fifo-%d", (int)getpid());
    unlink(fifo_path);
    WT_OK(mkfifo(fifo_path, 0600));
    io_in_weft(spawn_blocked, NULL);
    unlink(fifo_path);
}

static void *spawn_errors_fn(void *arg)
{
    (void)arg;
    char *argv[] = {"x", NULL};
    pid_t pid = 0;
    errno = 0;
    int rc = weft_spawn(&pid, "/nonexistent/weft-no-such-program", NULL, NULL, argv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, ENOENT), "rc %d", rc);
    WT_EQ(errno, 0); /* returned, not through errno */
    rc = weft_spawnp(&pid, "weft-no-such-program-anywhere", NULL, NULL, argv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, ENOENT), "rc %d", rc);
    WT_EQ(weft_spawn(&pid, NULL, NULL, NULL, argv, environ), EINVAL);
    WT_EQ(weft_spawn(&pid, "/bin/true", NULL, NULL, NULL, environ), EINVAL);
    /* A file action that fails in the child. */
    posix_spawn_file_actions_t fa;
    WT_OK(posix_spawn_file_actions_init(&fa));
    WT_OK(posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/dir/file", O_RDONLY, 0));
    char *tv[] = {"true", NULL};
    rc = weft_spawn(&pid, "/bin/true", &fa, NULL, tv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, ENOENT), "rc %d", rc);
    posix_spawn_file_actions_destroy(&fa);
    /* A dup2 from a descriptor that is not open. */
    WT_OK(posix_spawn_file_actions_init(&fa));
    WT_OK(posix_spawn_file_actions_adddup2(&fa, 900, 901));
    rc = weft_spawn(&pid, "/bin/true", &fa, NULL, tv, environ);
    WT_ASSERTF(spawn_failed_with(rc, pid, EBADF), "rc %d", rc);
    posix_spawn_file_actions_destroy(&fa);
    /* Attributes of the caller's own (a signal mask) are kept. */
    posix_spawnattr_t at;
    WT_OK(posix_spawnattr_init(&at));
    sigset_t none;
    sigemptyset(&none);
    WT_OK(posix_spawnattr_setsigmask(&at, &none));
    WT_OK(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK));
    WT_OK(weft_spawn(&pid, "/bin/true", NULL, &at, tv, environ));
    WT_EQ(wait_status(pid), 0);
    posix_spawnattr_destroy(&at);
    no_children_left();
    WT_EQ(spawn_wait("exit 3"), 3);
    return NULL;
}

WT_TEST(spawn_errors)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(spawn_errors_fn, NULL);
    /* From a bound thread (main): the plain call. */
    WT_EQ(spawn_wait("exit 4"), 4);
}

/* fork's child can spawn, on its restarted offload pool. */
static void *fork_then_spawn(void *arg)
{
    (void)arg;
    pid_t pid = weft_fork();
    if (pid == 0) {
        weft_t t;
        CHECK(weft_create(&t, NULL, spawn_one, (void *)(intptr_t)1) == 0, 70);
        void *r = (void *)1;
        CHECK(weft_join(t, &r) == 0 && r == NULL, 71);
        _exit(0);
    }
    WT_EQ(wait_status(pid), 0);
    return NULL;
}

WT_TEST(fork_then_spawn)
{
    if (!CHILD_THREADS)
        WT_SKIP("ThreadSanitizer: no threads in the child of a multithreaded fork");
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(fork_then_spawn, NULL);
}

WT_MAIN(WT_ENTRY(basic, WT_FRESH, 60),
        WT_ENTRY(from_main, WT_FRESH, 60),
        WT_ENTRY(own_tls, WT_FRESH, 60),
        WT_ENTRY(many_threads, WT_FRESH, 120),
        WT_ENTRY(atfork_order, WT_FRESH, 60),
        WT_ENTRY(repeated, WT_FRESH, 120),
        WT_ENTRY(spawn_many, WT_FRESH, 180),
        WT_ENTRY(spawn_fds, WT_FRESH, 60),
        WT_ENTRY(spawn_does_not_block_vcpu, WT_FRESH, 60),
        WT_ENTRY(spawn_errors, WT_FRESH, 60),
        WT_ENTRY(fork_then_spawn, WT_FRESH, 60))
