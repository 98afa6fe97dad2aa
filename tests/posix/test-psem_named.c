/* test-psem_named.c - named semaphores of libweft-pthread (sem_open,
 * sem_close, sem_unlink), from the POSIX assertions and glibc's
 * behaviour: names and their errors, O_CREAT / O_EXCL, ENOENT, EINVAL
 * for a value above SEM_VALUE_MAX, the mode, one address per semaphore
 * and process with a reference count, sem_close errors, sem_unlink
 * errors, use across fork, and racing creators in several processes. */
#include "runner.h"

#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* A name of this process, so parallel runs do not meet. */
WT_HELPER const char *name_of(const char *tag)
{
    static char buf[8][64];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, 64, "/weft-test-%d-%s", (int)getpid(), tag);
    return b;
}

#define WT_ERRNO(expr, e)                                                     \
    do {                                                                      \
        errno = 0;                                                            \
        long wt_rc_ = (long)(expr);                                           \
        int wt_e_ = errno;                                                    \
        if (wt_rc_ != -1 || wt_e_ != (e))                                     \
            wt_fail(__FILE__, __LINE__, "%s\n  returned %ld, errno %d (%s), expected -1, %s", \
                    #expr, wt_rc_, wt_e_, wt_errname(wt_e_), wt_errname(e));  \
    } while (0)

#define WT_SEM_FAILS(expr, e)                                                 \
    do {                                                                      \
        errno = 0;                                                            \
        sem_t *wt_s_ = (expr);                                                \
        int wt_e_ = errno;                                                    \
        if (wt_s_ != SEM_FAILED || wt_e_ != (e))                              \
            wt_fail(__FILE__, __LINE__, "%s\n  returned %p, errno %d (%s), expected SEM_FAILED, %s", \
                    #expr, (void *)wt_s_, wt_e_, wt_errname(wt_e_), wt_errname(e)); \
    } while (0)

WT_HELPER int value(sem_t *s)
{
    int v = -12345;
    WT_OK(sem_getvalue(s, &v));
    return v;
}

WT_TEST(names)
{
    /* empty, only slashes, an inner slash: EINVAL */
    WT_SEM_FAILS(sem_open("", O_CREAT, 0600, 0), EINVAL);
    WT_SEM_FAILS(sem_open("/", O_CREAT, 0600, 0), EINVAL);
    WT_SEM_FAILS(sem_open("///", 0), EINVAL);
    WT_SEM_FAILS(sem_open("/a/b", O_CREAT, 0600, 0), EINVAL);
    /* too long: the file sem.<name> would pass NAME_MAX */
    char longname[NAME_MAX + 8];
    longname[0] = '/';
    memset(longname + 1, 'x', NAME_MAX - 3);
    longname[NAME_MAX - 2] = '\0'; /* NAME_MAX - 3 characters: too long */
    WT_SEM_FAILS(sem_open(longname, O_CREAT, 0600, 0), ENAMETOOLONG);
    WT_ERRNO(sem_unlink(longname), ENAMETOOLONG);
    /* NAME_MAX - 4 characters: fine */
    snprintf(longname + 1, 32, "weft-%d-", (int)getpid());
    size_t n = strlen(longname);
    memset(longname + n, 'y', NAME_MAX - 4 + 1 - n);
    longname[NAME_MAX - 4 + 1] = '\0';
    sem_t *s = sem_open(longname, O_CREAT | O_EXCL, 0600, 0);
    WT_ASSERT(s != SEM_FAILED);
    WT_OK(sem_close(s));
    WT_OK(sem_unlink(longname));
    /* leading slashes are skipped: "//x" and "/x" and "x" are one */
    const char *nm = name_of("slashes");
    s = sem_open(nm, O_CREAT | O_EXCL, 0600, 3);
    WT_ASSERT(s != SEM_FAILED);
    char two[80];
    snprintf(two, sizeof two, "/%s", nm);
    sem_t *s2 = sem_open(two, 0);
    WT_PTR_EQ(s2, s);
    sem_t *s3 = sem_open(nm + 1, 0);
    WT_PTR_EQ(s3, s);
    WT_OK(sem_close(s));
    WT_OK(sem_close(s2));
    WT_OK(sem_close(s3));
    WT_OK(sem_unlink(two));
    /* sem_unlink of bad names and missing semaphores */
    WT_ERRNO(sem_unlink(nm), ENOENT);
    WT_ERRNO(sem_unlink(""), ENOENT);
    WT_ERRNO(sem_unlink("/a/b"), ENOENT);
}

WT_TEST(create_open_errors)
{
    const char *nm = name_of("create");
    sem_unlink(nm);
    /* without O_CREAT: ENOENT */
    WT_SEM_FAILS(sem_open(nm, 0), ENOENT);
    WT_SEM_FAILS(sem_open(nm, O_EXCL), ENOENT);
    /* a value above SEM_VALUE_MAX */
    WT_SEM_FAILS(sem_open(nm, O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1), EINVAL);
    WT_SEM_FAILS(sem_open(nm, 0), ENOENT); /* nothing was created */
    sem_t *s = sem_open(nm, O_CREAT | O_EXCL, 0600, 2);
    WT_ASSERT(s != SEM_FAILED);
    WT_EQ(value(s), 2);
    /* O_CREAT | O_EXCL on an existing one: EEXIST */
    WT_SEM_FAILS(sem_open(nm, O_CREAT | O_EXCL, 0600, 0), EEXIST);
    /* O_CREAT alone opens it; the value given is ignored */
    sem_t *s2 = sem_open(nm, O_CREAT, 0600, 9);
    WT_PTR_EQ(s2, s);
    WT_EQ(value(s), 2);
    /* it works as a semaphore */
    WT_OK(sem_wait(s));
    WT_OK(sem_trywait(s2));
    WT_ERRNO(sem_trywait(s), EAGAIN);
    struct timespec past = {1, 0};
    WT_ERRNO(sem_timedwait(s, &past), ETIMEDOUT);
    WT_OK(sem_post(s));
    WT_EQ(value(s2), 1);
    WT_OK(sem_close(s2));
    WT_OK(sem_close(s));
    WT_OK(sem_unlink(nm));
    WT_ERRNO(sem_unlink(nm), ENOENT);
    /* SEM_VALUE_MAX itself is fine */
    s = sem_open(nm, O_CREAT | O_EXCL, 0600, SEM_VALUE_MAX);
    WT_ASSERT(s != SEM_FAILED);
    WT_ERRNO(sem_post(s), EOVERFLOW);
    WT_OK(sem_close(s));
    WT_OK(sem_unlink(nm));
}

WT_TEST(mode)
{
    const char *nm = name_of("mode");
    sem_unlink(nm);
    mode_t old = umask(0);
    mode_t modes[] = {0600, 0640, 0604};
    for (int i = 0; i < 3; i++) {
        sem_t *s = sem_open(nm, O_CREAT | O_EXCL, modes[i], 0);
        WT_ASSERT(s != SEM_FAILED);
        char path[128];
        snprintf(path, sizeof path, "/dev/shm/sem.%s", nm + 1);
        struct stat st;
        WT_EQ(stat(path, &st), 0);
        WT_EQ(st.st_mode & 0777, modes[i]);
        WT_OK(sem_close(s));
        WT_OK(sem_unlink(nm));
    }
    /* the umask applies, as for open */
    umask(077);
    sem_t *s = sem_open(nm, O_CREAT | O_EXCL, 0666, 0);
    WT_ASSERT(s != SEM_FAILED);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", nm + 1);
    struct stat st;
    WT_EQ(stat(path, &st), 0);
    WT_EQ(st.st_mode & 0777, 0600);
    WT_OK(sem_close(s));
    WT_OK(sem_unlink(nm));
    umask(old);
}

WT_TEST(refcount_and_close)
{
    const char *nm = name_of("ref");
    sem_unlink(nm);
    sem_t *a = sem_open(nm, O_CREAT | O_EXCL, 0600, 1);
    WT_ASSERT(a != SEM_FAILED);
    sem_t *b = sem_open(nm, 0);
    sem_t *c = sem_open(nm, O_CREAT, 0600, 0);
    WT_PTR_EQ(b, a);
    WT_PTR_EQ(c, a);
    WT_OK(sem_close(a));
    WT_OK(sem_close(b));
    /* still mapped: one reference left */
    WT_EQ(value(c), 1);
    WT_OK(sem_wait(c));
    WT_OK(sem_post(c));
    /* unlinked while open: still usable */
    WT_OK(sem_unlink(nm));
    WT_EQ(value(c), 1);
    WT_OK(sem_close(c));
    /* closed for good */
    WT_ERRNO(sem_close(c), EINVAL);
    /* a semaphore that sem_open did not return */
    sem_t un;
    WT_OK(sem_init(&un, 1, 0));
    WT_ERRNO(sem_close(&un), EINVAL);
    WT_OK(sem_destroy(&un));
    /* the name can be created anew, with a new value */
    a = sem_open(nm, O_CREAT | O_EXCL, 0600, 4);
    WT_ASSERT(a != SEM_FAILED);
    WT_EQ(value(a), 4);
    WT_OK(sem_close(a));
    WT_OK(sem_unlink(nm));
}

/* ---- across processes ---- */
#define CHECK(n, cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            _exit(n);                                                         \
    } while (0)

WT_HELPER void wait_child(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        WT_EQ(errno, EINTR);
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
               "child: status 0x%x (exit %d: the check that failed)", st,
               WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The child opens the semaphores by name too (after fork). */
static void child_pingpong(const char *n1, const char *n2, int rounds)
{
    sem_t *a = sem_open(n1, 0);
    CHECK(10, a != SEM_FAILED);
    sem_t *b = sem_open(n2, 0);
    CHECK(11, b != SEM_FAILED);
    for (int i = 0; i < rounds; i++) {
        CHECK(12, sem_wait(a) == 0);
        CHECK(13, sem_post(b) == 0);
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    CHECK(14, sem_clockwait(a, CLOCK_MONOTONIC, &ts) == -1 && errno == ETIMEDOUT);
    /* its own opens, then the references inherited from the parent (as
     * with glibc, a child of fork has its parent's sem_open handles) */
    CHECK(15, sem_close(a) == 0);
    CHECK(16, sem_close(b) == 0);
    CHECK(17, sem_close(a) == 0);
    CHECK(18, sem_close(b) == 0);
    CHECK(19, sem_close(b) == -1 && errno == EINVAL);
    _exit(0);
}

WT_TEST(across_fork)
{
    const char *n1 = name_of("ping"), *n2 = name_of("pong");
    sem_unlink(n1);
    sem_unlink(n2);
    sem_t *a = sem_open(n1, O_CREAT | O_EXCL, 0600, 0);
    sem_t *b = sem_open(n2, O_CREAT | O_EXCL, 0600, 0);
    WT_ASSERT(a != SEM_FAILED && b != SEM_FAILED);
    int rounds = 500;
    pid_t pid = fork();
    WT_ASSERT(pid >= 0);
    if (pid == 0)
        child_pingpong(n1, n2, rounds);
    for (int i = 0; i < rounds; i++) {
        WT_OK(sem_post(a));
        WT_OK(sem_wait(b));
    }
    wait_child(pid);
    WT_EQ(value(a), 0);
    WT_EQ(value(b), 0);
    WT_OK(sem_close(a));
    WT_OK(sem_close(b));
    WT_OK(sem_unlink(n1));
    WT_OK(sem_unlink(n2));
}

/* Racing creators: several processes sem_open(O_CREAT) the same new name
 * at once; all get the one semaphore (each posts once). */
static void child_create(const char *nm, atomic_int *go)
{
    while (!atomic_load(go))
        ;
    sem_t *s = sem_open(nm, O_CREAT, 0600, 0);
    CHECK(20, s != SEM_FAILED);
    CHECK(21, sem_post(s) == 0);
    CHECK(22, sem_close(s) == 0);
    _exit(0);
}

WT_TEST(racing_creators)
{
    const char *nm = name_of("race");
    atomic_int *go = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    WT_ASSERT(go != MAP_FAILED);
    for (int round = 0; round < 10; round++) {
        sem_unlink(nm);
        atomic_store(go, 0);
        enum { N = 6 };
        pid_t pid[N];
        for (int i = 0; i < N; i++) {
            pid[i] = fork();
            WT_ASSERT(pid[i] >= 0);
            if (pid[i] == 0)
                child_create(nm, go);
        }
        atomic_store(go, 1);
        for (int i = 0; i < N; i++)
            wait_child(pid[i]);
        sem_t *s = sem_open(nm, 0);
        WT_ASSERT(s != SEM_FAILED);
        WT_EQ(value(s), N);
        WT_OK(sem_close(s));
        WT_OK(sem_unlink(nm));
    }
    /* no temporary file left behind */
    FILE *ls = popen("ls /dev/shm", "r");
    if (ls) {
        char line[512];
        char mine[64];
        snprintf(mine, sizeof mine, "weft-test-%d-", (int)getpid());
        while (fgets(line, sizeof line, ls))
            WT_ASSERTF(!strstr(line, mine), "left in /dev/shm: %s", line);
        pclose(ls);
    }
    munmap(go, 4096);
}

/* Two threads open the same name at once: one mapping, two references. */
struct opener {
    const char *nm;
    sem_t *s;
    atomic_int *go;
};

static void *open_thread(void *arg)
{
    struct opener *o = arg;
    while (!atomic_load(o->go))
        sched_yield();
    o->s = sem_open(o->nm, O_CREAT, 0600, 0);
    return NULL;
}

WT_TEST(threads_open_once)
{
    const char *nm = name_of("threads");
    sem_unlink(nm);
    atomic_int go = 0;
    enum { N = 8 };
    struct opener o[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        o[i] = (struct opener){nm, NULL, &go};
        WT_OK(pthread_create(&t[i], NULL, open_thread, &o[i]));
    }
    atomic_store(&go, 1);
    for (int i = 0; i < N; i++)
        WT_OK(pthread_join(t[i], NULL));
    for (int i = 0; i < N; i++) {
        WT_ASSERT(o[i].s != SEM_FAILED);
        WT_PTR_EQ(o[i].s, o[0].s);
    }
    for (int i = 0; i < N; i++)
        WT_OK(sem_close(o[i].s));
    WT_ERRNO(sem_close(o[0].s), EINVAL);
    WT_OK(sem_unlink(nm));
}

WT_MAIN(WT_ENTRY(names, 0, 30),
        WT_ENTRY(create_open_errors, 0, 30),
        WT_ENTRY(mode, 0, 30),
        WT_ENTRY(refcount_and_close, 0, 30),
        WT_ENTRY(across_fork, 0, 60),
        WT_ENTRY(racing_creators, 0, 60),
        WT_ENTRY(threads_open_once, 0, 30))
