/* test-debug.c - dumps on demand (src/debug/debug.c): WEFT_DUMP_AT_EXIT=1
 * prints weft_dump at exit, WEFT_SIGQUIT_DUMP=1 on every SIGQUIT, and the
 * process goes on. Each case runs weft in a child process that gets the
 * variable; the dumps are read from its stderr. */
#include "runner.h"

static weft_sem_t sem;
static atomic_int settled;

static void *sem_wait_fn(void *arg)
{
    atomic_fetch_add(&settled, 1);
    WT_OK(weft_sem_wait(&sem));
    return arg;
}

static void *sleep_fn(void *arg)
{
    atomic_fetch_add(&settled, 1);
    weft_sleep(3600ull * 1000 * WT_MS);
    return arg;
}

static void spawn(const char *name, void *(*fn)(void *))
{
    weft_attr_t a;
    weft_t t;
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setname(&a, name));
    WT_OK(weft_attr_setdetached(&a, 1));
    WT_OK(weft_create(&t, &a, fn, NULL));
    WT_OK(weft_attr_destroy(&a));
}

/* Two threads to find in a dump: "<prefix>-semwait" and "<prefix>-sleeper",
 * then "<prefix>-last", which takes the last slot: its line ends a dump. */
static void make_threads(const char *prefix)
{
    char name[WEFT_NAME_MAX];
    WT_OK(weft_sem_init(&sem, 0));
    snprintf(name, sizeof name, "%s-semwait", prefix);
    spawn(name, sem_wait_fn);
    snprintf(name, sizeof name, "%s-sleeper", prefix);
    spawn(name, sleep_fn);
    snprintf(name, sizeof name, "%s-last", prefix);
    spawn(name, sleep_fn);
    WT_WAIT_UNTIL(atomic_load(&settled) == 3, 30);
    weft_sleep(50 * WT_MS); /* from "settled" to blocked */
}

static void expect_threads(const char *dump, const char *prefix)
{
    char name[WEFT_NAME_MAX];
    snprintf(name, sizeof name, "%s-semwait", prefix);
    const char *l = wt_line_with(dump, name);
    WT_ASSERTF(strstr(l, "blocked") && strstr(l, "sem"), "%s", l);
    snprintf(name, sizeof name, "%s-sleeper", prefix);
    l = wt_line_with(dump, name);
    WT_ASSERTF(strstr(l, "blocked") && strstr(l, "sleep"), "%s", l);
    WT_CONTAINS(dump, "vCPU 0");
}

/* ---- WEFT_DUMP_AT_EXIT ---- */

static void exit_child(void *arg)
{
    if (arg)
        setenv("WEFT_DUMP_AT_EXIT", arg, 1);
    else
        unsetenv("WEFT_DUMP_AT_EXIT");
    make_threads("atexit");
    exit(0); /* atexit handlers run; wt_fork's own _exit would skip them */
}

WT_TEST(dump_at_exit)
{
    struct wt_child c;
    wt_fork(&c, 60, exit_child, "1");
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s:\n%s", wt_child_describe(&c), c.err);
    WT_EQ(wt_count(c.err, "weft: at exit"), 1);
    expect_threads(strstr(c.err, "weft: at exit"), "atexit");
    wt_child_free(&c);
}

WT_TEST(no_dump_at_exit)
{
    struct wt_child c;
    wt_fork(&c, 60, exit_child, "0");
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s:\n%s", wt_child_describe(&c), c.err);
    WT_NOT_CONTAINS(c.err, "atexit-semwait");
    wt_child_free(&c);
    wt_fork(&c, 60, exit_child, NULL);
    WT_ASSERTF(wt_child_exit(&c) == 0, "child %s:\n%s", wt_child_describe(&c), c.err);
    WT_NOT_CONTAINS(c.err, "atexit-semwait");
    wt_child_free(&c);
}

/* ---- WEFT_SIGQUIT_DUMP ---- */

/* A child with stdout ("ready" when set up) and stderr (the dumps) piped
 * back; it exits when its stdin pipe is closed. */
struct quit_child {
    pid_t pid;
    int out, err, in;
    char *text; /* all of its stderr so far */
    size_t len, cap;
};

static void quit_child_start(struct quit_child *q, void (*fn)(void))
{
    int o[2], e[2], i[2];
    WT_OK(pipe(o));
    WT_OK(pipe(e));
    WT_OK(pipe(i));
    wt_flush();
    q->pid = fork();
    WT_ASSERT(q->pid >= 0);
    if (q->pid == 0) {
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl); /* a SIGQUIT that kills must not dump core */
        dup2(o[1], 1);
        dup2(e[1], 2);
        dup2(i[0], 0);
        close(o[0]);
        close(e[0]);
        close(i[1]);
        setvbuf(stdout, NULL, _IONBF, 0);
        setenv("WEFT_SIGQUIT_DUMP", "1", 1);
        fn();
        /* A host wait: main stays a running bound thread. poll, not a
         * blocking read: ThreadSanitizer delivers a signal to a thread
         * blocked in poll at once, to one blocked in read only after. */
        for (;;) {
            struct pollfd pfd = {0, POLLIN, 0};
            char c;
            if (poll(&pfd, 1, 50) > 0 && read(0, &c, 1) <= 0)
                break;
        }
        exit(0);
    }
    close(o[1]);
    close(e[1]);
    close(i[0]);
    q->out = o[0];
    q->err = e[0];
    q->in = i[1];
    q->cap = 1 << 16;
    q->len = 0;
    q->text = malloc(q->cap);
    q->text[0] = '\0';
    char buf[16] = {0};
    ssize_t n = read(q->out, buf, 5);
    WT_ASSERTF(n == 5 && memcmp(buf, "ready", 5) == 0, "the child did not get ready (%zd)",
               n);
}

/* Read what the child wrote to stderr within ms; 0 once it closed it. */
static int quit_child_read(struct quit_child *q, int ms)
{
    struct pollfd pfd = {q->err, POLLIN, 0};
    if (poll(&pfd, 1, ms) <= 0)
        return 1;
    if (q->len + 4096 >= q->cap)
        q->text = realloc(q->text, q->cap *= 2);
    ssize_t n = read(q->err, q->text + q->len, q->cap - q->len - 1);
    if (n <= 0)
        return 0;
    q->len += (size_t)n;
    q->text[q->len] = '\0';
    return 1;
}

/* Read the child's stderr until `needle` occurs `times` times, sending it
 * SIGQUIT every 200 ms if `nudge`: under ThreadSanitizer a handler waits
 * until its thread next enters the sanitizer's runtime, and the kernel may
 * have picked a vCPU parked in a futex. */
static void quit_child_wait(struct quit_child *q, const char *needle, int times, double sec,
                            int nudge)
{
    uint64_t end = wt_clock_ns() + (uint64_t)(sec * 1e9);
    uint64_t next = wt_clock_ns() + 200 * WT_MS;
    while (wt_count(q->text, needle) < times) {
        uint64_t now = wt_clock_ns();
        if (now >= end)
            wt_fail(__FILE__, __LINE__, "\"%s\" not seen %d times after %g s; stderr:\n%s",
                    needle, times, sec, q->text);
        if (nudge && now >= next) {
            kill(q->pid, SIGQUIT);
            next = now + 200 * WT_MS;
        }
        if (!quit_child_read(q, 20))
            wt_fail(__FILE__, __LINE__, "the child closed stderr; it said:\n%s", q->text);
    }
}

/* Close its stdin: it exits 0 by itself. */
static void quit_child_end(struct quit_child *q)
{
    close(q->in);
    int st;
    while (waitpid(q->pid, &st, 0) < 0 && errno == EINTR)
        ;
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x; stderr:\n%s", st,
               q->text);
    close(q->out);
    close(q->err);
    free(q->text);
}

static void quit_threads(void)
{
    make_threads("quit");
    printf("ready");
}

WT_TEST(sigquit_dump)
{
    struct quit_child q;
    quit_child_start(&q, quit_threads);
    kill(q.pid, SIGQUIT);
    quit_child_wait(&q, "quit-last", 1, 30, 1);
    quit_child_wait(&q, " sigquit ", 1, 30, 1);
    const char *d = strstr(q.text, "weft: SIGQUIT");
    WT_ASSERTF(d, "no header:\n%s", q.text);
    expect_threads(d, "quit");
    /* The dump thread is one of the runtime's own: group 0. */
    WT_CONTAINS(wt_line_with(d, " sigquit "), " 0 ");
    /* Still alive, and another signal gives another dump. */
    int st;
    WT_EQ(waitpid(q.pid, &st, WNOHANG), 0);
    int dumps = wt_count(q.text, "quit-last");
    kill(q.pid, SIGQUIT);
    quit_child_wait(&q, "quit-last", dumps + 1, 30, 1);
    WT_GE(wt_count(q.text, "weft: SIGQUIT"), 2);
    quit_child_end(&q);
}

/* ---- a SIGQUIT storm while every lock is busy ---- */

#define LOAD_PAIRS 8

static weft_sem_t ping[LOAD_PAIRS], pong[LOAD_PAIRS];
static atomic_int load_done;

static void *noop(void *arg)
{
    return arg;
}

/* Ping-pong on semaphores (wait locks, run queues) and create/join (the
 * slot table, the stack pool): the handler lands inside them often. */
static void *pinger(void *arg)
{
    int i = (int)(intptr_t)arg;
    long rounds = wt_scaled(20000);
    for (long r = 0; r < rounds; r++) {
        WT_OK(weft_sem_post(&ping[i]));
        WT_OK(weft_sem_wait(&pong[i]));
        if (r % 64 == 0) {
            weft_t t;
            WT_OK(weft_create(&t, NULL, noop, NULL));
            WT_OK(weft_join(t, NULL));
        }
    }
    atomic_fetch_add(&load_done, 1);
    return NULL;
}

static void *ponger(void *arg)
{
    int i = (int)(intptr_t)arg;
    long rounds = wt_scaled(20000);
    for (long r = 0; r < rounds; r++) {
        WT_OK(weft_sem_wait(&ping[i]));
        WT_OK(weft_sem_post(&pong[i]));
    }
    return NULL;
}

static void load_start(void)
{
    for (int i = 0; i < LOAD_PAIRS; i++) {
        WT_OK(weft_sem_init(&ping[i], 0));
        WT_OK(weft_sem_init(&pong[i], 0));
        weft_t a, b;
        WT_OK(weft_create(&a, NULL, pinger, (void *)(intptr_t)i));
        WT_OK(weft_create(&b, NULL, ponger, (void *)(intptr_t)i));
        WT_OK(weft_detach(a));
        WT_OK(weft_detach(b));
    }
    printf("ready");
}

static void load_child(void)
{
    load_start();
    WT_WAIT_UNTIL(atomic_load(&load_done) == LOAD_PAIRS, 120);
    fprintf(stderr, "load finished\n");
}

/* SIGQUIT every 2 ms for as long as the load runs: the handler interrupts
 * threads inside every lock; the load must still finish, and dumps come. */
WT_TEST(sigquit_under_load)
{
    struct quit_child q;
    quit_child_start(&q, load_child);
    uint64_t end = wt_clock_ns() + 120 * 1000 * WT_MS;
    int sent = 0;
    while (!strstr(q.text, "load finished")) {
        WT_ASSERTF(wt_clock_ns() < end, "the load did not finish; sent %d SIGQUITs; stderr:\n%s",
                   sent, q.text);
        kill(q.pid, SIGQUIT);
        sent++;
        WT_ASSERTF(quit_child_read(&q, 2), "the child closed stderr; it said:\n%s", q.text);
    }
    /* A short load can end before the dump thread has printed the dump a
     * signal asked for: wait for one (nudging, as under TSan). */
    quit_child_wait(&q, "weft: SIGQUIT", 1, 60, 1);
    printf("%d SIGQUITs sent, %d dumps printed\n", sent, wt_count(q.text, "weft: SIGQUIT"));
    quit_child_end(&q);
}

/* The dump thread is a host thread the deadlock check must count as known,
 * or it would take it for an outsider that could still wake someone. */
static void deadlock_child(void *arg)
{
    (void)arg;
    setenv("WEFT_SIGQUIT_DUMP", "1", 1);
    unsetenv("WEFT_DEADLOCK");
    WT_OK(weft_sem_init(&sem, 0));
    weft_t t;
    WT_OK(weft_create(&t, NULL, sem_wait_fn, NULL));
    weft_join(t, NULL); /* nobody posts: a deadlock */
}

WT_TEST(deadlock_still_reported)
{
    struct wt_child c;
    wt_fork(&c, 60, deadlock_child, NULL);
    WT_ASSERTF(wt_child_signal(&c) == SIGABRT, "child %s:\n%s", wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "weft: deadlock");
    WT_CONTAINS(c.err, " sigquit ");
    wt_child_free(&c);
}

WT_MAIN(WT_ENTRY(dump_at_exit, WT_FRESH, 60),
        WT_ENTRY(no_dump_at_exit, WT_FRESH, 60),
        WT_ENTRY(sigquit_dump, WT_FRESH, 60),
        WT_ENTRY(sigquit_under_load, WT_FRESH, 180),
        WT_ENTRY(deadlock_still_reported, WT_FRESH, 60))
