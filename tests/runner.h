/* runner.h - the weft test runner: one list of tests per file.
 *
 * A test file defines its tests with WT_TEST(name) { ... } and ends with
 *
 *     WT_MAIN(WT_ENTRY(join_errors, 0, 60),
 *             WT_ENTRY(priority_order, WT_FRESH, 60), ...)
 *
 * tests/CMakeLists.txt reads those WT_ENTRY lines and registers every entry
 * as its own ctest test "<topic>.<name>" with that timeout (seconds), so each
 * case runs in its own process. Keep one WT_ENTRY per line.
 *
 * Running:
 *   build/tests/test-thread                    every test, sequentially
 *   build/tests/test-thread join_errors        just that one
 *   build/tests/test-stress random vcpus=1 seconds=10 seed=42
 *                                              knobs: key=value arguments
 *   build/tests/test-thread --list             the names
 * Prints "ok <name>", "FAIL <name>: ..." (exit 1) or "skipped <name>: why"
 * (exit 77, ctest's SKIP_RETURN_CODE). A test never passes silently when it
 * could not run.
 *
 * Flags of an entry:
 *   WT_FRESH   the test needs a process where the runtime has not started yet
 *              (it calls weft_init with its own config, or forks children
 *              that use weft). Run alone, every test gets a fresh process
 *              anyway; when a file is run as a whole, WT_FRESH tests run
 *              first, each in a forked child of the still weft-free runner,
 *              and the others then run in-process, one after the other.
 *   WT_MANUAL  not registered automatically: CMakeLists.txt adds it by hand,
 *              usually several times with different knobs.
 *
 * Environment:
 *   WEFT_TEST_SCALE=n   divide the big counts by n (sanitizers, valgrind);
 *                       default 1. Use wt_scaled(count).
 *   WT_NOFORK=1         wt_fork() runs the function in the calling process
 *                       instead of a child (to debug a crash test in gdb).
 *
 * Debugging one test under gdb:
 *
 *     gdb --args build/tests/test-thread join_errors
 *     (gdb) break wt_fail        # stops at the first failed assertion
 *     (gdb) run
 *     (gdb) info threads         # vCPUs are host threads
 *
 * For a crash test (one that uses wt_fork), either run it with WT_NOFORK=1
 * (gdb then stops at the crash itself), or `set follow-fork-mode child`.
 *
 * Assertions (WT_EQ, WT_OK, WT_ERR, ...) may be used from any thread, weft
 * or host: on failure they print file:line, the expressions and both values
 * to stderr and end the process with status 1 (through wt_fail, a good
 * breakpoint).
 */
#ifndef WEFT_TESTS_RUNNER_H
#define WEFT_TESTS_RUNNER_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weft.h>

/* Helpers a file may not use: no -Wunused-function noise. */
#define WT_HELPER static __attribute__((unused))

#define WT_FRESH 1u
#define WT_MANUAL 2u
#define WT_SKIP_CODE 77

struct wt_test {
    const char *name;
    void (*fn)(void);
    unsigned flags;
    unsigned timeout; /* seconds; used by CMakeLists.txt (ctest TIMEOUT) */
};

#define WT_TEST(name) static void test_##name(void)
#define WT_ENTRY(name, flags, timeout) { #name, test_##name, (flags), (timeout) }

/* ---- state of the runner ---- */
WT_HELPER const char *wt_current = "?";    /* name of the running test */
WT_HELPER int wt_argc;                     /* knob arguments (after the name) */
WT_HELPER char **wt_argv;
WT_HELPER pthread_t wt_runner_thread;
WT_HELPER jmp_buf wt_skip_jmp;
WT_HELPER int wt_skip_jmp_set;

static inline void wt_flush(void)
{
    fflush(stdout);
    fflush(stderr);
}

/* Where every failed assertion ends: break here in gdb. */
__attribute__((noinline, noreturn, format(printf, 3, 4)))
WT_HELPER void wt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s: %s:%d: ", wt_current, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    printf("FAIL %s\n", wt_current);
    wt_flush();
    _exit(1);
}

/* A test that cannot run here: says why, never passes. */
__attribute__((noreturn, format(printf, 1, 2)))
WT_HELPER void wt_skip(const char *fmt, ...)
{
    va_list ap;
    printf("skipped %s: ", wt_current);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    wt_flush();
    if (wt_skip_jmp_set && pthread_equal(pthread_self(), wt_runner_thread))
        longjmp(wt_skip_jmp, 1);
    _exit(WT_SKIP_CODE);
}
#define WT_SKIP(...) wt_skip(__VA_ARGS__)

/* Name of an errno value, for messages. */
WT_HELPER const char *wt_errname(long e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENOSYS: return "ENOSYS";
    case EOVERFLOW: return "EOVERFLOW";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTSUP: return "ENOTSUP";
    default: return "?";
    }
}

/* ---- assertions: print both sides ---- */
#define WT_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            wt_fail(__FILE__, __LINE__, "WT_ASSERT(%s) is false", #cond);    \
    } while (0)

#define WT_ASSERTF(cond, ...)                                                 \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "  note: ");                                      \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            wt_fail(__FILE__, __LINE__, "WT_ASSERT(%s) is false", #cond);    \
        }                                                                     \
    } while (0)

#define WT_CMP_(a, op, b, name)                                               \
    do {                                                                      \
        long long wt_a_ = (long long)(a), wt_b_ = (long long)(b);            \
        if (!(wt_a_ op wt_b_))                                                \
            wt_fail(__FILE__, __LINE__,                                       \
                    name "(%s, %s): expected %s " #op " %s\n"                 \
                    "  %s = %lld (0x%llx)\n  %s = %lld (0x%llx)",             \
                    #a, #b, #a, #b, #a, wt_a_, (unsigned long long)wt_a_,     \
                    #b, wt_b_, (unsigned long long)wt_b_);                    \
    } while (0)

#define WT_EQ(a, b) WT_CMP_(a, ==, b, "WT_EQ")
#define WT_NE(a, b) WT_CMP_(a, !=, b, "WT_NE")
#define WT_LT(a, b) WT_CMP_(a, <, b, "WT_LT")
#define WT_LE(a, b) WT_CMP_(a, <=, b, "WT_LE")
#define WT_GT(a, b) WT_CMP_(a, >, b, "WT_GT")
#define WT_GE(a, b) WT_CMP_(a, >=, b, "WT_GE")

/* Unsigned 64-bit equality (handles, ids). */
#define WT_EQ_U64(a, b)                                                       \
    do {                                                                      \
        uint64_t wt_a_ = (uint64_t)(a), wt_b_ = (uint64_t)(b);               \
        if (wt_a_ != wt_b_)                                                   \
            wt_fail(__FILE__, __LINE__,                                       \
                    "WT_EQ_U64(%s, %s)\n  %s = %" PRIu64 " (0x%" PRIx64 ")\n" \
                    "  %s = %" PRIu64 " (0x%" PRIx64 ")",                     \
                    #a, #b, #a, wt_a_, wt_a_, #b, wt_b_, wt_b_);              \
    } while (0)

#define WT_PTR_EQ(a, b)                                                       \
    do {                                                                      \
        const void *wt_a_ = (const void *)(a), *wt_b_ = (const void *)(b);   \
        if (wt_a_ != wt_b_)                                                   \
            wt_fail(__FILE__, __LINE__,                                       \
                    "WT_PTR_EQ(%s, %s)\n  %s = %p\n  %s = %p",                \
                    #a, #b, #a, wt_a_, #b, wt_b_);                            \
    } while (0)

/* expr returns an errno-style code: expect exactly `want`. */
#define WT_ERR(expr, want)                                                    \
    do {                                                                      \
        long wt_r_ = (long)(expr), wt_w_ = (long)(want);                     \
        if (wt_r_ != wt_w_)                                                   \
            wt_fail(__FILE__, __LINE__,                                       \
                    "%s\n  returned %ld (%s), expected %ld (%s)",             \
                    #expr, wt_r_, wt_errname(wt_r_), wt_w_,                   \
                    wt_errname(wt_w_));                                       \
    } while (0)
#define WT_OK(expr) WT_ERR(expr, 0)

#define WT_STR_EQ(a, b)                                                       \
    do {                                                                      \
        const char *wt_a_ = (a), *wt_b_ = (b);                                \
        if (strcmp(wt_a_, wt_b_) != 0)                                        \
            wt_fail(__FILE__, __LINE__,                                       \
                    "WT_STR_EQ(%s, %s)\n  %s = \"%s\"\n  %s = \"%s\"",        \
                    #a, #b, #a, wt_a_, #b, wt_b_);                            \
    } while (0)

/* hay must contain needle; prints (the start of) hay otherwise. */
#define WT_CONTAINS(hay, needle)                                              \
    do {                                                                      \
        const char *wt_h_ = (hay) ? (hay) : "(null)", *wt_n_ = (needle);     \
        if (!strstr(wt_h_, wt_n_))                                            \
            wt_fail(__FILE__, __LINE__,                                       \
                    "WT_CONTAINS(%s, %s): \"%s\" not found in:\n"             \
                    "----8<----\n%.8000s\n----8<----",                        \
                    #hay, #needle, wt_n_, wt_h_);                             \
    } while (0)
#define WT_NOT_CONTAINS(hay, needle)                                          \
    do {                                                                      \
        const char *wt_h_ = (hay) ? (hay) : "(null)", *wt_n_ = (needle);     \
        if (strstr(wt_h_, wt_n_))                                             \
            wt_fail(__FILE__, __LINE__,                                       \
                    "WT_NOT_CONTAINS(%s, %s): \"%s\" found in:\n"             \
                    "----8<----\n%.8000s\n----8<----",                        \
                    #hay, #needle, wt_n_, wt_h_);                             \
    } while (0)

/* ---- knobs, scale, time, randomness ---- */

/* A key=value argument after the test name, or def. */
WT_HELPER long long wt_knob(const char *key, long long def)
{
    size_t n = strlen(key);
    for (int i = 0; i < wt_argc; i++)
        if (strncmp(wt_argv[i], key, n) == 0 && wt_argv[i][n] == '=')
            return strtoll(wt_argv[i] + n + 1, NULL, 0);
    return def;
}

/* WEFT_TEST_SCALE (default 1): divisor for big counts. */
WT_HELPER long wt_scale(void)
{
    const char *s = getenv("WEFT_TEST_SCALE");
    long v = s ? strtol(s, NULL, 0) : 1;
    return v < 1 ? 1 : v;
}

WT_HELPER long long wt_scaled(long long n)
{
    long long v = n / wt_scale();
    return v < 1 ? 1 : v;
}

/* Host monotonic clock, independent of weft. */
static inline uint64_t wt_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Busy-wait (never switches, never blocks). */
static inline void wt_spin_ns(uint64_t ns)
{
    uint64_t end = wt_clock_ns() + ns;
    while (wt_clock_ns() < end)
        __asm__ __volatile__("" ::: "memory");
}

/* xorshift64*: reproducible from a printed seed. */
static inline uint64_t wt_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t wt_rand_below(uint64_t *s, uint64_t n)
{
    return n ? wt_rand(s) % n : 0;
}

#define WT_MS (1000000ull)

/* Wait (weft_sleep, 1 ms steps) until cond holds; fail after `sec`. */
#define WT_WAIT_UNTIL(cond, sec)                                              \
    do {                                                                      \
        uint64_t wt_end_ = wt_clock_ns() + (uint64_t)((sec) * 1e9);          \
        while (!(cond)) {                                                     \
            if (wt_clock_ns() > wt_end_)                                      \
                wt_fail(__FILE__, __LINE__,                                   \
                        "WT_WAIT_UNTIL(%s): still false after %g s",          \
                        #cond, (double)(sec));                                \
            weft_sleep(WT_MS);                                                \
        }                                                                     \
    } while (0)

/* Start the runtime with exactly nvcpus vCPUs (and a deadlock mode). Only
 * valid in a WT_FRESH test. The environment must not override the test's
 * choice, so WEFT_VCPUS is removed first. */
WT_HELPER void wt_start(int nvcpus, int deadlock)
{
    weft_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.nvcpus = nvcpus;
    cfg.deadlock = deadlock;
    unsetenv("WEFT_VCPUS");
    if (deadlock == WEFT_DEADLOCK_ABORT)
        unsetenv("WEFT_DEADLOCK");
    int rc = weft_init(&cfg);
    if (rc != 0)
        wt_fail(__FILE__, __LINE__,
                "weft_init(nvcpus=%d) returned %d (%s); a WT_FRESH test must "
                "start the runtime itself", nvcpus, rc, wt_errname(rc));
    if (nvcpus > 0 && weft_vcpu_count() != nvcpus)
        wt_fail(__FILE__, __LINE__, "weft_vcpu_count() = %d, configured %d",
                weft_vcpu_count(), nvcpus);
}

/* weft_dump into a malloc'd string (free it). */
WT_HELPER char *wt_dump_string(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        wt_fail(__FILE__, __LINE__, "open_memstream: %s", strerror(errno));
    weft_dump(f);
    fclose(f);
    return buf;
}

/* Occurrences of needle in hay, overlapping ones included. */
WT_HELPER int wt_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The line of text that holds word (a static buffer); fails if none. */
WT_HELPER const char *wt_line_with(const char *text, const char *word)
{
    static char line[1024];
    const char *p = strstr(text, word);
    if (!p)
        wt_fail(__FILE__, __LINE__, "\"%s\" not found in:\n%s", word, text);
    const char *b = p, *e = p;
    while (b > text && b[-1] != '\n')
        b--;
    while (*e && *e != '\n')
        e++;
    snprintf(line, sizeof line, "%.*s", (int)(e - b), b);
    return line;
}

/* How often needle occurs in a fresh weft_dump. */
WT_HELPER int wt_dump_count(const char *needle)
{
    char *d = wt_dump_string();
    int n = wt_count(d, needle);
    free(d);
    return n;
}

/* How many threads the dump shows waiting on obj, a "kind" object. */
WT_HELPER int wt_dump_waiting_on(const char *kind, const void *obj)
{
    char want[64];
    snprintf(want, sizeof want, "%s(%p)", kind, obj);
    return wt_dump_count(want);
}

/* ---- running a function in a child process (crash tests) ---- */
struct wt_child {
    int status;      /* from waitpid */
    int timed_out;   /* killed by us after the timeout */
    char *err;       /* everything the child wrote to stderr, NUL-ended */
    size_t errlen;
};

WT_HELPER int wt_child_signal(const struct wt_child *c)
{
    return WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
}

WT_HELPER int wt_child_exit(const struct wt_child *c)
{
    return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
}

WT_HELPER const char *wt_child_describe(const struct wt_child *c)
{
    static char buf[96];
    if (c->timed_out)
        snprintf(buf, sizeof buf, "timed out (killed)");
    else if (WIFSIGNALED(c->status))
        snprintf(buf, sizeof buf, "killed by signal %d (%s)",
                 WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
    else if (WIFEXITED(c->status))
        snprintf(buf, sizeof buf, "exited with %d", WEXITSTATUS(c->status));
    else
        snprintf(buf, sizeof buf, "status 0x%x", c->status);
    return buf;
}

WT_HELPER void wt_child_free(struct wt_child *c)
{
    free(c->err);
    c->err = NULL;
}

/* Replace the process with this test program again (argv[0] is ignored),
 * e.g. in a wt_fork child that needs a fresh process with other
 * environment variables. Through the path /proc/self/exe names, not the
 * link itself: under valgrind the link is valgrind's own tool. Returns
 * only if exec failed (errno set). */
WT_HELPER void wt_exec_self(char *const argv[])
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return;
    path[n] = 0;
    execv(path, argv);
}

/* Run fn(arg) in a forked child with stderr captured; the child exits 0
 * when fn returns. After `timeout` seconds the child is killed (SIGKILL) and
 * timed_out is set. No core dumps. The caller's process must not have
 * started the runtime if the child uses weft (make such a test WT_FRESH). */
WT_HELPER void wt_fork(struct wt_child *c, double timeout,
                    void (*fn)(void *), void *arg)
{
    memset(c, 0, sizeof *c);
    if (getenv("WT_NOFORK") && atoi(getenv("WT_NOFORK"))) {
        fprintf(stderr, "WT_NOFORK: running the child function in-process\n");
        fn(arg);
        wt_flush();
        _exit(0);
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        wt_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    wt_flush();
    pid_t pid = fork();
    if (pid < 0)
        wt_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    if (pid == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        setvbuf(stderr, NULL, _IONBF, 0);
        fn(arg);
        wt_flush();
        _exit(0);
    }
    close(p[1]);
    size_t cap = 4096;
    c->err = malloc(cap);
    uint64_t end = wt_clock_ns() + (uint64_t)(timeout * 1e9);
    int eof = 0;
    while (!eof) {
        uint64_t now = wt_clock_ns();
        if (now >= end) {
            c->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pfd = {p[0], POLLIN, 0};
        int ms = (int)((end - now) / 1000000) + 1;
        int r = poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        if (c->errlen + 1024 >= cap)
            c->err = realloc(c->err, cap *= 2);
        ssize_t n = read(p[0], c->err + c->errlen, cap - c->errlen - 1);
        if (n > 0)
            c->errlen += (size_t)n;
        else if (n == 0 || errno != EINTR)
            eof = 1;
    }
    /* The child has closed stderr (normally: it ended); wait for it, but
     * not forever: it may have closed stderr and hung. */
    for (;;) {
        pid_t r = waitpid(pid, &c->status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            wt_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
        if (!c->timed_out && wt_clock_ns() >= end) {
            c->timed_out = 1;
            kill(pid, SIGKILL);
        }
        usleep(1000);
    }
    close(p[0]);
    c->err[c->errlen] = '\0';
}

/* ---- main ---- */
WT_HELPER int wt_run_one(const struct wt_test *t)
{
    wt_current = t->name;
    uint64_t t0 = wt_clock_ns();
    wt_skip_jmp_set = 1;
    if (setjmp(wt_skip_jmp)) {
        wt_skip_jmp_set = 0;
        return WT_SKIP_CODE;
    }
    t->fn();
    wt_skip_jmp_set = 0;
    printf("ok %s (%.2f s)\n", t->name, (double)(wt_clock_ns() - t0) / 1e9);
    wt_flush();
    return 0;
}

/* A WT_FRESH test when the whole file runs: in a child of the runner. */
WT_HELPER int wt_run_forked(const struct wt_test *t)
{
    wt_flush();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        wt_skip_jmp_set = 0;
        wt_run_one(t);
        wt_flush();
        _exit(0);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    printf("FAIL %s: killed by signal %d (%s)\n", t->name, WTERMSIG(st),
           strsignal(WTERMSIG(st)));
    return 1;
}

WT_HELPER int wt_main(const struct wt_test *tests, size_t n, int argc,
                   char **argv)
{
    wt_runner_thread = pthread_self();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s%s\n", tests[i].name,
                   tests[i].flags & WT_FRESH ? " (fresh)" : "");
        return 0;
    }
    if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
                     strcmp(argv[1], "--help") == 0)) {
        printf("usage: %s [--list | test-name [knob=value ...]]\n", argv[0]);
        return 0;
    }
    if (argc > 1) {
        wt_argc = argc - 2;
        wt_argv = argv + 2;
        for (size_t i = 0; i < n; i++)
            if (strcmp(tests[i].name, argv[1]) == 0)
                return wt_run_one(&tests[i]);
        fprintf(stderr, "%s: no test named '%s' (try --list)\n", argv[0],
                argv[1]);
        return 2;
    }
    /* Everything: WT_FRESH tests first, each in a child, while this process
     * has not touched weft; then the rest in-process. */
    int failed = 0, skipped = 0, passed = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            int fresh = (tests[i].flags & WT_FRESH) != 0;
            if (fresh != (pass == 0))
                continue;
            int rc = fresh ? wt_run_forked(&tests[i]) : wt_run_one(&tests[i]);
            if (rc == 0)
                passed++;
            else if (rc == WT_SKIP_CODE)
                skipped++;
            else
                failed++;
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

#define WT_MAIN(...)                                                          \
    static const struct wt_test wt_tests_[] = {__VA_ARGS__};                  \
    int main(int argc, char **argv)                                           \
    {                                                                         \
        return wt_main(wt_tests_, sizeof wt_tests_ / sizeof wt_tests_[0],     \
                       argc, argv);                                           \
    }

#endif
