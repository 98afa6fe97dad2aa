/* test-gdb.c - the gdb extension (tools/gdb/weft-gdb.py), live and on a
 * core file.
 *
 * The same executable plays both parts. `test-gdb target` is the program
 * under the debugger: it puts threads into every state - running,
 * runnable, blocked on a semaphore, blocked in a join, sleeping, exited
 * and not joined, a bound main thread - publishes their ids in globals
 * (gdb_id_*), and stops itself with SIGTRAP. The tests run gdb in batch
 * mode on it: `live` runs the commands on the stopped process, `core` on a
 * core file that gdb wrote of it (gcore). Neither sources the script: it
 * must load by itself from the .debug_gdb_scripts section, of the
 * executable (test-gdb, linked with libweft.a) or of libweft.so
 * (test-gdb-shared, the same source linked with the shared library).
 *
 * Skipped when gdb is missing or cannot trace a child here.
 *
 * To look for yourself:
 *   gdb -iex 'add-auto-load-safe-path build' -ex run --args build/tests/test-gdb target
 *   (gdb) info weft-threads
 */
#include "runner.h"

#include <sys/stat.h>

#define NSLEEPERS 40

/* Read by the gdb commands of the tests (weft-thread gdb_id_deep bt). */
volatile uint64_t gdb_id_main, gdb_id_semwait, gdb_id_deep, gdb_id_joiner,
    gdb_id_sleeper, gdb_id_exited, gdb_id_leader, gdb_id_spin[3];

weft_sem_t gdb_sem;
static atomic_int settled, spinning;

static uint64_t id_of(weft_t t)
{
    uint64_t id;
    WT_OK(weft_getid(t, &id));
    return id;
}

static weft_t spawn(const char *name, void *(*fn)(void *), void *arg, int prio, int newgroup)
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, name));
    WT_OK(weft_attr_setpriority(&a, prio));
    WT_OK(weft_attr_setnewgroup(&a, newgroup));
    /* The layout the checks expect (three spinners on two vCPUs, one
     * never started) needs threads that are never preempted. */
    WT_OK(weft_attr_setpreempt(&a, 0));
    WT_OK(weft_create(&t, &a, fn, arg));
    WT_OK(weft_attr_destroy(&a));
    return t;
}

static void *sem_wait_fn(void *arg)
{
    atomic_fetch_add(&settled, 1);
    WT_OK(weft_sem_wait(&gdb_sem));
    return arg;
}

/* A few frames of its own, so that a backtrace has something to find. The
 * volatile local, read after the call, keeps the compiler from turning the
 * recursion into a loop, and shows in `bt full`. */
__attribute__((noinline, noipa)) int gdb_deep_frame(int n)
{
    volatile int depth = n;
    if (n == 0) {
        atomic_fetch_add(&settled, 1);
        WT_OK(weft_sem_wait(&gdb_sem));
        return depth;
    }
    int r = gdb_deep_frame(n - 1);
    return r + depth;
}

static void *deep_fn(void *arg)
{
    return (void *)(intptr_t)gdb_deep_frame(4) + (intptr_t)arg;
}

static void *join_fn(void *arg)
{
    weft_t t = (weft_t)(uintptr_t)arg;
    atomic_fetch_add(&settled, 1);
    WT_OK(weft_join(t, NULL));
    return NULL;
}

static void *sleep_fn(void *arg)
{
    atomic_fetch_add(&settled, 1);
    weft_sleep(3600ull * 1000 * WT_MS);
    return arg;
}

static void *exit_fn(void *arg)
{
    atomic_fetch_add(&settled, 1);
    return arg;
}

/* Never yields: holds its vCPU until gdb kills the process. */
__attribute__((noinline)) void gdb_spin_loop(void)
{
    atomic_fetch_add(&spinning, 1);
    for (;;)
        __asm__ __volatile__("" ::: "memory");
}

static void *spin_fn(void *arg)
{
    gdb_spin_loop();
    return arg;
}

/* nblocked threads blocked and gdb-exited exited, as weft_dump sees them. */
static int all_settled(int nblocked)
{
    char *d = wt_dump_string();
    int ok = wt_count(d, " blocked ") == nblocked && strstr(d, " exited ");
    free(d);
    return ok;
}

/* The program under the debugger (not a ctest entry of its own). */
WT_TEST(target)
{
    wt_start(2, WEFT_DEADLOCK_IGNORE);
    WT_OK(weft_sem_init(&gdb_sem, 0));
    gdb_id_main = id_of(weft_self());
    int n = 0;
    weft_t semwait = spawn("gdb-semwait", sem_wait_fn, NULL, WEFT_PRIO_DEFAULT, 0);
    gdb_id_semwait = id_of(semwait);
    gdb_id_deep = id_of(spawn("gdb-deep", deep_fn, NULL, 20, 0));
    gdb_id_joiner = id_of(spawn("gdb-joiner", join_fn, (void *)(uintptr_t)semwait,
                                WEFT_PRIO_DEFAULT, 0));
    gdb_id_sleeper = id_of(spawn("gdb-sleeper", sleep_fn, NULL, 3, 0));
    gdb_id_exited = id_of(spawn("gdb-exited", exit_fn, NULL, WEFT_PRIO_DEFAULT, 0));
    gdb_id_leader = id_of(spawn("gdb-leader", sleep_fn, NULL, WEFT_PRIO_DEFAULT, 1));
    n = 6;
    for (int i = 0; i < NSLEEPERS; i++) {
        weft_t t;
        WT_OK(weft_create(&t, NULL, sleep_fn, NULL));
        WT_OK(weft_detach(t));
        n++;
    }
    WT_WAIT_UNTIL(atomic_load(&settled) == n, 30);
    /* From "settled" to blocked (or exited) takes a few more instructions:
     * wait until the dump shows every one of them there. */
    WT_WAIT_UNTIL(all_settled(n - 1), 30);

    /* Two vCPUs, three spinners: two run, the third waits in a queue. */
    static const char *names[3] = {"gdb-spin-0", "gdb-spin-1", "gdb-spin-2"};
    for (int i = 0; i < 3; i++)
        gdb_id_spin[i] = id_of(spawn(names[i], spin_fn, NULL, WEFT_PRIO_DEFAULT, 0));
    WT_WAIT_UNTIL(atomic_load(&spinning) >= 2, 30);
    weft_sleep(20 * WT_MS);
    printf("gdb-ids: main=%" PRIu64 " semwait=%" PRIu64 " deep=%" PRIu64 " joiner=%" PRIu64
           " sleeper=%" PRIu64 " exited=%" PRIu64 " leader=%" PRIu64 "\n",
           gdb_id_main, gdb_id_semwait, gdb_id_deep, gdb_id_joiner, gdb_id_sleeper,
           gdb_id_exited, gdb_id_leader);
    printf("target ready\n");
    wt_flush();
    raise(SIGTRAP);
    _exit(0); /* gdb kills it before this */
}

/* ---- the driver: gdb in batch mode ---------------------------------------- */

/* Run argv (gdb) with stdout and stderr into one string (free it), killing
 * it and whatever it started after `timeout` seconds. *status: waitpid's,
 * or -1 when it could not be executed. */
static char *run(char *const argv[], double timeout, int *status)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        wt_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    wt_flush();
    pid_t pid = fork();
    if (pid < 0)
        wt_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0); /* gdb and the program it runs: killed as one */
        dup2(p[1], 1);
        dup2(p[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    uint64_t end = wt_clock_ns() + (uint64_t)(timeout * 1e9);
    int timed_out = 0;
    for (;;) {
        uint64_t now = wt_clock_ns();
        if (now >= end) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pfd = {p[0], POLLIN, 0};
        int r = poll(&pfd, 1, (int)((end - now) / 1000000) + 1);
        if (r <= 0)
            continue;
        if (len + 4096 >= cap)
            out = realloc(out, cap *= 2);
        ssize_t n = read(p[0], out + len, cap - len - 1);
        if (n > 0)
            len += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(p[0]);
    out[len] = '\0';
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    kill(-pid, SIGKILL); /* a program gdb left behind */
    if (timed_out)
        wt_fail(__FILE__, __LINE__, "%s timed out after %g s; its output:\n%s", argv[0],
                timeout, out);
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 127 && len == 0)
        *status = -1;
    return out;
}

/* Skip unless gdb runs here, with Python. */
static void need_gdb(void)
{
    char *argv[] = {"gdb", "-nx", "-batch", "-ex", "python print('py' + 'thon ok')", NULL};
    int st;
    char *out = run(argv, 60, &st);
    if (st == -1)
        WT_SKIP("gdb is not installed");
    if (!strstr(out, "python ok"))
        WT_SKIP("this gdb has no Python:\n%s", out);
    free(out);
}

/* The section of out that follows the line "==== name". */
static char *section(const char *out, const char *name)
{
    char mark[128];
    snprintf(mark, sizeof mark, "==== %s\n", name);
    const char *b = strstr(out, mark);
    if (!b)
        wt_fail(__FILE__, __LINE__, "no section \"%s\" in gdb's output:\n%s", name, out);
    b += strlen(mark);
    const char *e = strstr(b, "==== ");
    return strndup(b, e ? (size_t)(e - b) : strlen(b));
}

/* Whitespace-separated columns of an info weft-threads line, without the
 * '*' that marks the selected thread. */
static int columns(const char *line, char cols[][64], int max)
{
    int n = 0;
    const char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '*')
            p++;
        if (!*p)
            break;
        int k = 0;
        while (*p && *p != ' ' && k < 63)
            cols[n][k++] = *p++;
        cols[n][k] = '\0';
        n++;
    }
    return n;
}

enum { C_ID, C_NAME, C_GROUP, C_STATE, C_VCPU, C_PRIO, C_STACK, C_THREAD, C_WCHAN };

struct ids {
    unsigned long long main, semwait, deep, joiner, sleeper, exited, leader;
};

static void parse_ids(const char *out, struct ids *ids)
{
    const char *l = wt_line_with(out, "gdb-ids:");
    WT_EQ(sscanf(l, "gdb-ids: main=%llu semwait=%llu deep=%llu joiner=%llu sleeper=%llu "
                    "exited=%llu leader=%llu",
                 &ids->main, &ids->semwait, &ids->deep, &ids->joiner, &ids->sleeper,
                 &ids->exited, &ids->leader),
          7);
}

/* Checks one weft thread's line: state, and a word that must be on it. */
static void expect_thread(const char *table, const char *name, unsigned long long id,
                          const char *state, const char *word)
{
    char needle[64], cols[12][64];
    snprintf(needle, sizeof needle, " %s ", name);
    const char *l = wt_line_with(table, needle);
    int n = columns(l, cols, 12);
    WT_ASSERTF(n >= C_WCHAN + 1, "short line: %s", l);
    WT_ASSERTF(strtoull(cols[C_ID], NULL, 10) == id, "%s: id %s, expected %llu: %s", name,
               cols[C_ID], id, l);
    WT_ASSERTF(strcmp(cols[C_STATE], state) == 0, "%s: state %s, expected %s: %s", name,
               cols[C_STATE], state, l);
    if (word)
        WT_ASSERTF(strstr(l, word), "%s: no \"%s\" on its line: %s", name, word, l);
}

static void check_threads(const char *out, const struct ids *ids)
{
    char *t = section(out, "info weft-threads");
    char want[64], cols[12][64];
    expect_thread(t, "gdb-semwait", ids->semwait, "blocked", "sem(0x");
    expect_thread(t, "gdb-semwait", ids->semwait, "blocked", "<gdb_sem>");
    expect_thread(t, "gdb-deep", ids->deep, "blocked", "<gdb_sem>");
    snprintf(want, sizeof want, "join(thread %llu)", ids->semwait);
    expect_thread(t, "gdb-joiner", ids->joiner, "blocked", want);
    expect_thread(t, "gdb-sleeper", ids->sleeper, "blocked", "sleep");
    expect_thread(t, "gdb-exited", ids->exited, "exited", NULL);
    expect_thread(t, "gdb-leader", ids->leader, "blocked", "sleep");
    expect_thread(t, "main", ids->main, "running", "bound");

    /* Columns: the deep one's priority, the sleeper's, the new group. */
    columns(wt_line_with(t, " gdb-deep "), cols, 12);
    WT_STR_EQ(cols[C_PRIO], "20");
    WT_ASSERTF(strstr(cols[C_STACK], "/64K"), "stack column %s", cols[C_STACK]);
    columns(wt_line_with(t, " gdb-sleeper "), cols, 12);
    WT_STR_EQ(cols[C_PRIO], "3");
    WT_STR_EQ(cols[C_GROUP], "1");
    columns(wt_line_with(t, " gdb-leader "), cols, 12);
    WT_EQ(strtoull(cols[C_GROUP], NULL, 10), ids->leader);
    /* main runs on gdb thread 1, the process's first host thread */
    columns(wt_line_with(t, " main "), cols, 12);
    WT_STR_EQ(cols[C_THREAD], "1");
    WT_STR_EQ(cols[C_VCPU], "bound");

    /* Spinners: two on the vCPUs' host threads, one queued behind them. */
    int running = 0, runnable = 0;
    int vcpu_seen[2] = {0, 0};
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, " gdb-spin-%d ", i);
        const char *l = wt_line_with(t, name);
        columns(l, cols, 12);
        if (strcmp(cols[C_STATE], "running") == 0) {
            running++;
            int v = atoi(cols[C_VCPU]);
            WT_ASSERTF(v == 0 || v == 1, "vcpu column: %s", l);
            vcpu_seen[v]++;
            WT_ASSERTF(strcmp(cols[C_THREAD], "-") != 0, "no gdb thread: %s", l);
        } else {
            WT_ASSERTF(strcmp(cols[C_STATE], "runnable") == 0, "%s", l);
            WT_STR_EQ(cols[C_THREAD], "-");
            runnable++;
        }
    }
    WT_EQ(running, 2);
    WT_EQ(runnable, 1);
    WT_EQ(vcpu_seen[0], 1);
    WT_EQ(vcpu_seen[1], 1);

    /* The runtime's own threads and the detached sleepers. */
    WT_CONTAINS(t, " timer ");
    WT_CONTAINS(t, " idle/0 ");
    WT_CONTAINS(t, " idle/1 ");
    WT_EQ(wt_count(t, "[detached]"), NSLEEPERS);
    const char *sum = wt_line_with(t, "weft threads:");
    WT_ASSERTF(strstr(sum, "1 exited") && strstr(sum, "1 runnable"), "summary: %s", sum);
    free(t);
}

static void check_sched(const char *out)
{
    char *s = section(out, "weft-sched");
    WT_CONTAINS(s, "2 vCPUs");
    for (int v = 0; v < 2; v++) {
        char head[32];
        snprintf(head, sizeof head, "vCPU %d: busy", v);
        const char *l = wt_line_with(s, head);
        WT_ASSERTF(strstr(l, "running") && strstr(l, "\"gdb-spin-"), "%s", l);
    }
    WT_CONTAINS(s, "switches ");
    WT_CONTAINS(s, "steals ");
    WT_CONTAINS(s, "run queue: 1 thread\n");
    const char *q = wt_line_with(s, "prio 16:"); /* in the active array or a run-next slot */
    WT_ASSERTF(strstr(q, "\"gdb-spin-"), "%s", q);
    free(s);
}

static void check_mem(const char *out)
{
    char *m = section(out, "weft-mem");
    WT_CONTAINS(m, " mapped, ");
    WT_CONTAINS(m, " committed at most");
    WT_CONTAINS(m, "in use: ");
    WT_CONTAINS(m, "cached: ");
    WT_CONTAINS(m, "guard pages: ");
    WT_CONTAINS(m, "thread table: ");
    free(m);
}

/* bt of a suspended thread: its own frames only, down to its entry. */
static void check_bt(const char *out, const char *name, const char *const *frames)
{
    char *b = section(out, name);
    for (; *frames; frames++)
        WT_CONTAINS(b, *frames);
    WT_CONTAINS(b, "wf_arch_start");
    WT_NOT_CONTAINS(b, "#0 ");       /* the borrowed host frame is hidden */
    WT_NOT_CONTAINS(b, "raise");     /* and so are the ones of main's stop */
    WT_NOT_CONTAINS(b, "test_target");
    free(b);
}

static void check_output(const char *out, const struct ids *ids)
{
    WT_NOT_CONTAINS(out, "Python Exception");
    WT_NOT_CONTAINS(out, "Traceback");
    WT_NOT_CONTAINS(out, "Undefined command");
    WT_NOT_CONTAINS(out, "Undefined info command");
    char *a = section(out, "auto-load");
    WT_CONTAINS(wt_line_with(a, "weft-gdb.py"), "Yes");
    free(a);
    check_threads(out, ids);
    check_sched(out);
    check_mem(out);

    static const char *const deep[] = {"gdb_deep_frame (n=", "weft_sem_wait", "deep_fn", NULL};
    check_bt(out, "bt deep", deep);
    char *d = section(out, "bt deep");
    WT_EQ(wt_count(d, " in gdb_deep_frame ("), 5); /* n = 0..4, each its own frame */
    free(d);
    static const char *const sleeper[] = {"weft_sleep", "sleep_fn", NULL};
    check_bt(out, "bt sleeper", sleeper);
    static const char *const joiner[] = {"weft_join", "join_fn", NULL};
    check_bt(out, "bt joiner", joiner);
    char *l = section(out, "locals deep");
    WT_CONTAINS(l, "#9 "); /* bt full: every frame, with its locals */
#ifndef __SANITIZE_ADDRESS__ /* ASan moves locals where gdb cannot name them */
    WT_CONTAINS(l, "depth = 0");
    WT_CONTAINS(l, "depth = 4");
#endif
    free(l);
    char *f = section(out, "frame deep");
    WT_CONTAINS(f, " in gdb_deep_frame (n=");
    free(f);
    char *m = section(out, "bt main");
    WT_CONTAINS(m, "test_target");
    free(m);
    char *e = section(out, "bt exited");
    WT_CONTAINS(e, "has exited");
    free(e);
    char *all = section(out, "bt all");
    WT_CONTAINS(all, "gdb_spin_loop");      /* running: on its vCPU's host thread */
    WT_CONTAINS(all, "has not started yet"); /* the queued spinner */
    WT_CONTAINS(all, "vcpu_main");           /* a vCPU's scheduler context */
    free(all);
    /* Afterwards gdb is back on the thread and frame it had selected. */
    char *after = section(out, "after");
    WT_CONTAINS(after, "Current thread is 1 ");
    WT_CONTAINS(after, "#0 ");
    WT_NOT_CONTAINS(after, "switch_to");
    free(after);
}

/* The gdb command line: options, -ex commands (NULL-terminated), args. */
struct argv_buf {
    char *v[128];
    int n;
};

static void add(struct argv_buf *a, const char *s)
{
    WT_ASSERT(a->n < 126);
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
}

static void add_ex(struct argv_buf *a, const char *cmd)
{
    add(a, "-ex");
    add(a, cmd);
}

static void gdb_start(struct argv_buf *a, const char *safe)
{
    a->n = 0;
    add(a, "gdb");
    add(a, "-nx");
    add(a, "-batch");
    add(a, "-q");
    add(a, "-iex");
    add(a, safe);
    add(a, "-iex");
    add(a, "set debuginfod enabled off");
    add_ex(a, "set print thread-events off");
}

static void add_checks(struct argv_buf *a)
{
    add_ex(a, "echo ==== auto-load\\n");
    add_ex(a, "info auto-load python-scripts");
    add_ex(a, "echo ==== info weft-threads\\n");
    add_ex(a, "info weft-threads");
    add_ex(a, "echo ==== weft-sched\\n");
    add_ex(a, "weft-sched");
    add_ex(a, "echo ==== weft-mem\\n");
    add_ex(a, "weft-mem");
    add_ex(a, "echo ==== bt deep\\n");
    add_ex(a, "weft-thread gdb_id_deep bt");
    add_ex(a, "echo ==== locals deep\\n");
    add_ex(a, "weft-thread gdb_id_deep bt full");
    add_ex(a, "echo ==== frame deep\\n");
    add_ex(a, "weft-thread gdb_id_deep frame function gdb_deep_frame");
    add_ex(a, "echo ==== bt sleeper\\n");
    add_ex(a, "weft-thread gdb_id_sleeper bt");
    add_ex(a, "echo ==== bt joiner\\n");
    add_ex(a, "weft-thread gdb_id_joiner bt");
    add_ex(a, "echo ==== bt main\\n");
    add_ex(a, "weft-thread gdb_id_main bt");
    add_ex(a, "echo ==== bt exited\\n");
    add_ex(a, "weft-thread gdb_id_exited bt");
    add_ex(a, "echo ==== bt all\\n");
    add_ex(a, "weft-thread all bt");
    add_ex(a, "echo ==== after\\n");
    add_ex(a, "thread");
    add_ex(a, "frame");
    add_ex(a, "echo ==== end\\n");
}

static char exe[4096], safe[4200];

/* Runs the target under gdb up to its SIGTRAP; `more` adds commands. */
static char *gdb_live(void (*more)(struct argv_buf *, void *), void *arg)
{
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    WT_GT(n, 0);
    exe[n] = '\0';
    /* Trust the build tree: the program and, for test-gdb-shared, libweft.so. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", exe);
    for (int up = 0; up < 2; up++)
        if (strrchr(dir, '/') && strrchr(dir, '/') != dir)
            *strrchr(dir, '/') = '\0';
    snprintf(safe, sizeof safe, "add-auto-load-safe-path %s", dir);
    struct argv_buf a;
    gdb_start(&a, safe);
    /* One malloc arena: keeps the per-thread 64 MiB reservations out of
     * the core file (gcore writes them out, zeros and all). */
    add_ex(&a, "set environment GLIBC_TUNABLES=glibc.malloc.arena_max=1");
    add_ex(&a, "run");
    more(&a, arg);
    add_ex(&a, "kill");
    add(&a, "--args");
    add(&a, exe);
    add(&a, "target");
    int st;
    char *out = run(a.v, 240, &st);
    if (strstr(out, "ptrace: Operation not permitted") ||
        strstr(out, "Couldn't get registers") || strstr(out, "not permitted to trace"))
        WT_SKIP("gdb cannot trace a child here:\n%.2000s", out);
    if (!strstr(out, "target ready"))
        wt_fail(__FILE__, __LINE__, "the target did not get ready under gdb:\n%s", out);
    return out;
}

static void more_checks(struct argv_buf *a, void *arg)
{
    (void)arg;
    add_checks(a);
}

WT_TEST(live)
{
    need_gdb();
    char *out = gdb_live(more_checks, NULL);
    printf("%s", out);
    struct ids ids;
    parse_ids(out, &ids);
    check_output(out, &ids);
    free(out);
}

static void more_gcore(struct argv_buf *a, void *arg)
{
    static char cmd[4200];
    snprintf(cmd, sizeof cmd, "gcore %s", (const char *)arg);
    add_ex(a, cmd);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#endif

WT_TEST(core)
{
#ifdef SANITIZED
    /* gcore reads every mapping, the sanitizer's terabytes of shadow too:
     * minutes of system time and a core gdb cannot open. */
    WT_SKIP("no core file of a sanitized process");
#endif
    need_gdb();
    char dir[] = "/tmp/weft-gdb-XXXXXX", core[64];
    WT_ASSERT(mkdtemp(dir));
    snprintf(core, sizeof core, "%s/core", dir);
    char *out = gdb_live(more_gcore, core);
    struct ids ids;
    parse_ids(out, &ids);
    struct stat sb;
    WT_ASSERTF(stat(core, &sb) == 0, "gcore wrote no %s:\n%s", core, out);
    printf("core file: %lld bytes\n", (long long)sb.st_size);
    free(out);

    /* A second gdb, on the core file only: no process to ask anything. */
    struct argv_buf a;
    gdb_start(&a, safe);
    add_checks(&a);
    add(&a, exe);
    add(&a, core);
    int st;
    out = run(a.v, 240, &st);
    unlink(core);
    rmdir(dir);
    printf("%s", out);
    WT_CONTAINS(out, "Program terminated with signal SIGTRAP");
    check_output(out, &ids);
    free(out);
}

WT_MAIN(WT_ENTRY(target, WT_MANUAL, 60),
        WT_ENTRY(live, 0, 240),
        WT_ENTRY(core, 0, 240))
