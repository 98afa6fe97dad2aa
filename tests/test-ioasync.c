/* test-ioasync.c - timeouts, cancellation, the offload pool and the
 * asynchronous form (weft_io_submit / weft_io_wait), on both backends. */
#define _GNU_SOURCE
#include "io_util.h"

/* GCC 12 takes the string wt_dump_string returns (open_memstream's
 * buffer) for a pointer to its local variable. */
#pragma GCC diagnostic ignored "-Wdangling-pointer"

/* ---- timeouts ---- */

static void *timeout_body(void *arg)
{
    (void)arg;
    int p[2];
    IO_OK(pipe(p));
    WT_EQ_U64(weft_io_timeout(40 * WT_MS), 0);
    char c;
    uint64_t t0 = weft_now();
    IO_ERR(weft_read(p[0], &c, 1), ETIMEDOUT);
    WT_GE(weft_now() - t0, 40 * WT_MS);
    /* The timed-out read was cancelled: it took nothing. */
    IO_OK(write(p[1], "q", 1));
    WT_EQ(IO_OK(weft_read(p[0], &c, 1)), 1);
    WT_EQ(c, 'q');
    int port;
    int l = io_listener(&port, 4);
    IO_ERR(weft_accept(l, NULL, NULL), ETIMEDOUT);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    IO_ERR(weft_poll(&pf, 1, 10000), ETIMEDOUT); /* the I/O timeout is shorter */
    WT_EQ(IO_OK(weft_poll(&pf, 1, 5)), 0);       /* poll's own is shorter */
    WT_EQ_U64(weft_io_timeout(0), 40 * WT_MS);
    /* Per call: weft_io_run. */
    weft_io_op_t op;
    memset(&op, 0, sizeof op);
    op.code = WEFT_IO_READ;
    op.fd = p[0];
    op.buf = &c;
    op.len = 1;
    t0 = weft_now();
    IO_ERR(weft_io_run(&op, 20 * WT_MS), ETIMEDOUT);
    WT_GE(weft_now() - t0, 20 * WT_MS);
    IO_OK(write(p[1], "r", 1));
    WT_EQ(IO_OK(weft_io_run(&op, WEFT_IO_FOREVER)), 1);
    WT_EQ(op.result, 1);
    WT_EQ(c, 'r');
    op.code = -1;
    IO_ERR(weft_io_run(&op, 0), EINVAL);
    IO_ERR(weft_io_run(NULL, 0), EINVAL);
    close(l);
    close(p[0]);
    close(p[1]);
    return NULL;
}

WT_TEST(timeouts) { io_in_weft(timeout_body, NULL); }

static void *new_thread_timeout(void *arg)
{
    (void)arg;
    return weft_io_timeout(0) == 0 ? NULL : (void *)1;
}

static void *timeout_per_thread(void *arg)
{
    (void)arg;
    weft_io_timeout(5 * WT_MS);
    io_in_weft(new_thread_timeout, NULL); /* a new thread starts with none */
    WT_EQ_U64(weft_io_timeout(0), 5 * WT_MS);
    return NULL;
}

WT_TEST(timeout_is_per_thread) { io_in_weft(timeout_per_thread, NULL); }

/* ---- cancellation ---- */

static atomic_int handler_ran;
static void on_cancel(void *arg)
{
    (void)arg;
    atomic_store(&handler_ran, 1);
}

static int block_fd;
static void *blocked_reader(void *arg)
{
    (void)arg;
    char c;
    weft_cleanup_push(on_cancel, NULL);
    weft_read(block_fd, &c, 1);
    weft_cleanup_pop(0);
    return (void *)2;
}

static void *blocked_acceptor(void *arg)
{
    (void)arg;
    weft_cleanup_push(on_cancel, NULL);
    weft_accept(block_fd, NULL, NULL);
    weft_cleanup_pop(0);
    return (void *)2;
}

static void cancel_blocked(void *(*fn)(void *), const char *kind)
{
    atomic_store(&handler_ran, 0);
    weft_t t;
    WT_OK(weft_create(&t, NULL, fn, NULL));
    WT_WAIT_UNTIL(wt_dump_count(kind) == 1, 10);
    WT_OK(weft_cancel(t));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, WEFT_CANCELED);
    WT_EQ(atomic_load(&handler_ran), 1);
}

WT_TEST(cancel_read)
{
    int p[2];
    IO_OK(pipe(p));
    block_fd = p[0];
    cancel_blocked(blocked_reader, "io:read");
    /* The cancelled read took nothing. */
    IO_OK(write(p[1], "d", 1));
    char c = 0;
    WT_EQ(IO_OK(read(p[0], &c, 1)), 1);
    WT_EQ(c, 'd');
    close(p[0]);
    close(p[1]);
}

WT_TEST(cancel_accept)
{
    int port;
    block_fd = io_listener(&port, 4);
    cancel_blocked(blocked_acceptor, "io:accept");
    /* The cancelled accept took no connection. */
    int s = IO_OK(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = io_loopback(port);
    IO_OK(connect(s, (struct sockaddr *)&a, sizeof a));
    int c = IO_OK(accept(block_fd, NULL, NULL));
    close(c);
    close(s);
    close(block_fd);
}

static void *suspended_reader(void *arg)
{
    (void)arg;
    char c = 0;
    return weft_read(block_fd, &c, 1) == 1 && c == 's' ? NULL : (void *)1;
}

/* A suspend stops the thread but not its read, which completes after. */
WT_TEST(suspend_read)
{
    int p[2];
    IO_OK(pipe(p));
    block_fd = p[0];
    weft_t t;
    WT_OK(weft_create(&t, NULL, suspended_reader, NULL));
    WT_WAIT_UNTIL(wt_dump_count("io:read") == 1, 10);
    WT_OK(weft_suspend(t));
    IO_OK(write(p[1], "s", 1));
    weft_sleep(20 * WT_MS);
    WT_OK(weft_resume(t));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, NULL);
    close(p[0]);
    close(p[1]);
}

/* ---- the offload pool ---- */

static atomic_long ticks;
static atomic_int slow_done;

static long slow_call(void *arg)
{
    struct timespec ts = {0, 200 * 1000000};
    nanosleep(&ts, NULL); /* blocks its host thread: must not be a vCPU */
    return (long)arg;
}

static void *ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&slow_done)) {
        atomic_fetch_add(&ticks, 1);
        weft_yield();
    }
    return NULL;
}

static void *offload_body(void *arg)
{
    (void)arg;
    weft_t t;
    WT_OK(weft_create(&t, NULL, ticker, NULL));
    weft_yield();
    weft_stats_t s0, s1;
    WT_OK(weft_stats(WEFT_STATS_ALL, &s0));
    long before = atomic_load(&ticks);
    uint64_t t0 = weft_now();
    WT_EQ(weft_io_offload(slow_call, (void *)42L), 42);
    WT_GE(weft_now() - t0, 200 * WT_MS);
    long during = atomic_load(&ticks) - before;
    atomic_store(&slow_done, 1);
    WT_OK(weft_join(t, NULL));
    /* One vCPU: the ticker ran only because the call left it free. */
    WT_GT(during, 100);
    WT_OK(weft_stats(WEFT_STATS_ALL, &s1));
    WT_GE(s1.offloads - s0.offloads, 1);
    IO_ERR(weft_io_offload(NULL, NULL), EINVAL);
    /* The pool's threads are runtime threads: group 0, in dumps. */
    char *d = wt_dump_string();
    const char *p = strstr(d, "io-offload/0");
    WT_ASSERTF(p != NULL, "no io-offload/0 in the dump:\n%s", d);
    int group = -1;
    WT_EQ(sscanf(p, "io-offload/0 %d", &group), 1);
    WT_EQ(group, 0);
    free(d);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    WT_EQ(weft_getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
    WT_ASSERT(res && res->ai_family == AF_INET);
    freeaddrinfo(res);
    WT_EQ(weft_getaddrinfo("not an address", "80", &hints, &res), EAI_NONAME);
    return NULL;
}

WT_TEST(offload_does_not_stall_vcpu)
{
    wt_start(1, WEFT_DEADLOCK_ABORT);
    io_in_weft(offload_body, NULL);
}

/* ---- the asynchronous form ---- */

#define NPIPES 64
static int pipes[NPIPES][2];

static void *write_all_pipes(void *arg)
{
    (void)arg;
    weft_sleep(10 * WT_MS);
    for (int i = 0; i < NPIPES; i++) {
        char c = (char)('A' + i % 26);
        if (weft_write(pipes[i][1], &c, 1) != 1)
            return (void *)1;
    }
    return NULL;
}

static weft_io_op_t shared_op;
static void *wait_foreign(void *arg)
{
    (void)arg;
    if (weft_io_wait(&shared_op, 1, 1, 0) != -1 || io_errno() != EPERM)
        return (void *)1;
    if (weft_io_cancel(&shared_op) != EPERM)
        return (void *)2;
    return NULL;
}

static void *async_body(void *arg)
{
    (void)arg;
    static weft_io_op_t ops[NPIPES];
    static char bufs[NPIPES];
    memset(ops, 0, sizeof ops);
    for (int i = 0; i < NPIPES; i++) {
        IO_OK(pipe(pipes[i]));
        ops[i].code = WEFT_IO_READ;
        ops[i].fd = pipes[i][0];
        ops[i].buf = &bufs[i];
        ops[i].len = 1;
        ops[i].user_data = &bufs[i];
    }
    weft_stats_t s0, s1;
    WT_OK(weft_stats(WEFT_STATS_ALL, &s0));
    WT_OK(weft_io_submit(ops, NPIPES));
    WT_ERR(weft_io_submit(ops, 1), EINVAL); /* in flight */
    WT_EQ(weft_io_done(&ops[0]), 0);
    WT_EQ(weft_io_wait(ops, NPIPES, 1, 20 * WT_MS), 0); /* none yet: timeout */
    weft_t w;
    WT_OK(weft_create(&w, NULL, write_all_pipes, NULL));
    WT_GE(weft_io_wait(ops, NPIPES, 1, 0), 1);
    WT_EQ(weft_io_wait(ops, NPIPES, NPIPES, 0), NPIPES);
    for (int i = 0; i < NPIPES; i++) {
        WT_EQ(weft_io_done(&ops[i]), 1);
        WT_EQ(ops[i].result, 1);
        WT_EQ(bufs[i], 'A' + i % 26);
        WT_PTR_EQ(ops[i].user_data, &bufs[i]);
    }
    WT_OK(weft_join(w, NULL));
    WT_OK(weft_stats(WEFT_STATS_ALL, &s1));
    WT_GE(s1.io_submits - s0.io_submits, NPIPES);
    WT_GE(s1.io_completions - s0.io_completions, NPIPES);
    /* Cancel one in flight. */
    WT_OK(weft_io_submit(ops, 2));
    WT_OK(weft_io_cancel(&ops[1]));
    IO_OK(write(pipes[0][1], "z", 1));
    WT_EQ(weft_io_wait(ops, 2, 2, 0), 2);
    WT_EQ(ops[0].result, 1);
    WT_EQ(ops[1].result, -ECANCELED);
    WT_ERR(weft_io_cancel(&ops[1]), EINVAL); /* done */
    /* Errors. */
    WT_ERR(weft_io_submit(NULL, 1), EINVAL);
    WT_ERR(weft_io_submit(ops, -1), EINVAL);
    weft_io_op_t bad;
    memset(&bad, 0, sizeof bad);
    bad.code = WEFT_IO_CODES;
    WT_ERR(weft_io_submit(&bad, 1), EINVAL);
    bad.code = WEFT_IO_CALL; /* without fn */
    WT_ERR(weft_io_submit(&bad, 1), EINVAL);
    bad.code = WEFT_IO_NOP;
    IO_ERR(weft_io_wait(&bad, 1, 1, 0), EINVAL); /* never submitted */
    IO_ERR(weft_io_wait(ops, 2, 3, 0), EINVAL);
    IO_ERR(weft_io_wait(NULL, 1, 1, 0), EINVAL);
    WT_ERR(weft_io_cancel(NULL), EINVAL);
    WT_EQ(weft_io_done(NULL), 0);
    /* Only the submitter waits for or cancels an operation. */
    memset(&shared_op, 0, sizeof shared_op);
    shared_op.code = WEFT_IO_READ;
    shared_op.fd = pipes[2][0];
    shared_op.buf = &bufs[2];
    shared_op.len = 1;
    WT_OK(weft_io_submit(&shared_op, 1));
    io_in_weft(wait_foreign, NULL);
    IO_OK(write(pipes[2][1], "y", 1));
    WT_EQ(weft_io_wait(&shared_op, 1, 1, 0), 1);
    WT_EQ(shared_op.result, 1);
    for (int i = 0; i < NPIPES; i++) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    return NULL;
}

WT_TEST(async_many_in_flight) { io_in_weft(async_body, NULL); }

static weft_io_op_t cops[8];
static void *async_waiter(void *arg)
{
    (void)arg;
    WT_OK(weft_io_submit(cops, 8));
    weft_io_wait(cops, 8, 8, 0);
    return (void *)3;
}

/* A thread cancelled in weft_io_wait: its operations are cancelled and
 * complete before it ends. */
WT_TEST(cancel_async_wait)
{
    int p[2];
    IO_OK(pipe(p));
    static char b[8];
    memset(cops, 0, sizeof cops);
    for (int i = 0; i < 8; i++) {
        cops[i].code = WEFT_IO_READ;
        cops[i].fd = p[0];
        cops[i].buf = &b[i];
        cops[i].len = 1;
    }
    weft_t t;
    WT_OK(weft_create(&t, NULL, async_waiter, NULL));
    WT_WAIT_UNTIL(wt_dump_count("io:wait") == 1, 10);
    WT_OK(weft_cancel(t));
    void *r;
    WT_OK(weft_join(t, &r));
    WT_PTR_EQ(r, WEFT_CANCELED);
    for (int i = 0; i < 8; i++) {
        WT_EQ(weft_io_done(&cops[i]), 1);
        WT_EQ(cops[i].result, -ECANCELED);
    }
    close(p[0]);
    close(p[1]);
}

/* From a bound thread the operations run on the offload pool. */
WT_TEST(async_from_bound_thread)
{
    weft_io_op_t ops[2];
    memset(ops, 0, sizeof ops);
    ops[0].code = WEFT_IO_NOP;
    ops[1].code = WEFT_IO_CALL;
    ops[1].fn = slow_call;
    ops[1].aux = (void *)5L;
    WT_OK(weft_io_submit(ops, 2));
    WT_EQ(weft_io_wait(ops, 2, 2, 0), 2);
    WT_EQ(ops[0].result, 0);
    WT_EQ(ops[1].result, 5);
}

/* ---- the deadlock check ---- */

static long quick_call(void *arg)
{
    return (long)arg;
}

static weft_sem_t never;
static void *stuck(void *arg)
{
    (void)arg;
    weft_sem_wait(&never);
    return NULL;
}

static void *offload_then_stuck(void *arg)
{
    (void)arg;
    if (weft_io_offload(quick_call, (void *)1L) != 1)
        _exit(4);
    weft_sem_init(&never, 0);
    weft_t t;
    weft_create(&t, NULL, stuck, NULL);
    weft_join(t, NULL);
    _exit(3);
}

/* With the offload pool's host threads running, a real deadlock is still
 * reported (the pool's threads are counted as weft's own). */
static void child_deadlock_after_offload(void *arg)
{
    (void)arg;
    wt_start(2, WEFT_DEADLOCK_ABORT);
    io_in_weft(offload_then_stuck, NULL);
}

WT_TEST(deadlock_reported_with_pool)
{
    struct wt_child c;
    wt_fork(&c, 30, child_deadlock_after_offload, NULL);
    WT_ASSERTF(!c.timed_out && wt_child_signal(&c) == SIGABRT,
               "child %s, expected SIGABRT; stderr:\n%s", wt_child_describe(&c), c.err);
    WT_CONTAINS(c.err, "deadlock");
    WT_CONTAINS(c.err, "io-offload/0");
    wt_child_free(&c);
}

/* A thread blocked in I/O is not a deadlock: another process may write. */
static void *read_then_exit(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char c;
    return weft_read(fd, &c, 1) == 1 ? NULL : (void *)1;
}

WT_TEST(io_wait_is_not_deadlock)
{
    wt_start(2, WEFT_DEADLOCK_ABORT);
    int p[2];
    IO_OK(pipe(p));
    pid_t pid = fork(); /* the writer: another process, 200 ms later */
    if (pid == 0) {
        struct timespec ts = {0, 200 * 1000000};
        nanosleep(&ts, NULL);
        _exit(write(p[1], "w", 1) == 1 ? 0 : 1);
    }
    weft_t t;
    WT_OK(weft_create(&t, NULL, read_then_exit, (void *)(intptr_t)p[0]));
    void *r;
    WT_OK(weft_join(t, &r)); /* main waits with no timer: all idle but the read */
    WT_PTR_EQ(r, NULL);
    int st;
    WT_EQ(waitpid(pid, &st, 0), pid);
    close(p[0]);
    close(p[1]);
}

WT_MAIN(WT_ENTRY(timeouts, 0, 30),
        WT_ENTRY(timeout_is_per_thread, 0, 30),
        WT_ENTRY(cancel_read, 0, 30),
        WT_ENTRY(cancel_accept, 0, 30),
        WT_ENTRY(suspend_read, 0, 30),
        WT_ENTRY(offload_does_not_stall_vcpu, WT_FRESH, 30),
        WT_ENTRY(async_many_in_flight, 0, 30),
        WT_ENTRY(cancel_async_wait, 0, 30),
        WT_ENTRY(async_from_bound_thread, 0, 30),
        WT_ENTRY(deadlock_reported_with_pool, WT_FRESH, 60),
        WT_ENTRY(io_wait_is_not_deadlock, WT_FRESH, 30))
