/* test-iomany.c - 10,000 concurrent TCP connections on loopback, one weft
 * thread per connection on each side, on both backends. The clients run
 * in a forked child (each side then holds 10,000 descriptors, under the
 * hard limit of 20,000 here); every client keeps its connection open
 * until all have had their echo, so all are open at once. Scaled down by
 * WEFT_TEST_SCALE (sanitizers, valgrind). */
#define _GNU_SOURCE
#include "io_util.h"

static int nconns;
static int port;
static int listen_fd;

/* ---- the clients (child process) ---- */

static atomic_int echoed, failed;
static weft_sem_t all_echoed;

static void *client(void *arg)
{
    int i = (int)(intptr_t)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = io_loopback(port);
    unsigned char out = (unsigned char)i, in = 0;
    if (s < 0 || weft_connect(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        weft_send(s, &out, 1, 0) != 1 || weft_recv(s, &in, 1, 0) != 1 || in != out) {
        atomic_fetch_add(&failed, 1);
        weft_sem_post(&all_echoed);
    } else if (atomic_fetch_add(&echoed, 1) + 1 == nconns) {
        weft_sem_post(&all_echoed);
    }
    /* Hold the connection until every client has its echo. */
    weft_sem_wait(&all_echoed);
    weft_sem_post(&all_echoed);
    if (s >= 0)
        weft_close(s);
    return NULL;
}

static void *clients_main(void *arg)
{
    (void)arg;
    weft_t *t = calloc((size_t)nconns, sizeof *t);
    for (int i = 0; i < nconns; i++)
        if (weft_create(&t[i], NULL, client, (void *)(intptr_t)i) != 0)
            _exit(3);
    for (int i = 0; i < nconns; i++)
        weft_join(t[i], NULL);
    free(t);
    return NULL;
}

static void run_clients(void)
{
    weft_sem_init(&all_echoed, 0);
    io_in_weft(clients_main, NULL);
    if (atomic_load(&failed) || atomic_load(&echoed) != nconns) {
        fprintf(stderr, "clients: %d echoed, %d failed of %d\n", atomic_load(&echoed),
                atomic_load(&failed), nconns);
        _exit(1);
    }
    _exit(0);
}

/* ---- the server (this process) ---- */

static atomic_int open_now, open_peak, served, server_errors;

static void *serve(void *arg)
{
    int c = (int)(intptr_t)arg;
    int n = atomic_fetch_add(&open_now, 1) + 1;
    int peak = atomic_load(&open_peak);
    while (n > peak && !atomic_compare_exchange_weak(&open_peak, &peak, n))
        ;
    unsigned char b;
    if (weft_recv(c, &b, 1, 0) != 1 || weft_send(c, &b, 1, 0) != 1 ||
        weft_recv(c, &b, 1, 0) != 0) /* then EOF, once all have been echoed */
        atomic_fetch_add(&server_errors, 1);
    atomic_fetch_sub(&open_now, 1);
    weft_close(c);
    atomic_fetch_add(&served, 1);
    return NULL;
}

static void *server_main(void *arg)
{
    pid_t child = (pid_t)(intptr_t)arg;
    weft_attr_t at;
    WT_OK(weft_attr_init(&at));
    WT_OK(weft_attr_setdetached(&at, 1));
    for (int i = 0; i < nconns; i++) {
        int c = IO_OK(weft_accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC));
        weft_t t;
        WT_OK(weft_create(&t, &at, serve, (void *)(intptr_t)c));
    }
    int st = -1;
    WT_EQ(IO_OK(weft_waitpid(child, &st, 0)), child);
    WT_ASSERTF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the clients' process: status 0x%x", st);
    WT_WAIT_UNTIL(atomic_load(&served) == nconns, 60);
    WT_EQ(atomic_load(&server_errors), 0);
    WT_EQ(atomic_load(&open_peak), nconns); /* all open at once */
    return NULL;
}

WT_TEST(ten_thousand_connections)
{
    struct rlimit rl;
    WT_OK(getrlimit(RLIMIT_NOFILE, &rl));
    nconns = (int)wt_scaled(10000);
    if (rl.rlim_max < (rlim_t)nconns + 100)
        WT_SKIP("RLIMIT_NOFILE hard limit %lu < %d", (unsigned long)rl.rlim_max, nconns + 100);
    rl.rlim_cur = rl.rlim_max;
    WT_OK(setrlimit(RLIMIT_NOFILE, &rl));
    listen_fd = io_listener(&port, 4096);
    fflush(NULL);
    pid_t pid = fork(); /* before either side starts weft */
    WT_ASSERT(pid >= 0);
    if (pid == 0) {
        close(listen_fd);
        run_clients();
    }
    io_in_weft(server_main, (void *)(intptr_t)pid);
    printf("  %d connections, each side %d weft threads, backend %s\n", nconns, nconns,
           weft_io_backend());
    close(listen_fd);
}

WT_MAIN(WT_ENTRY(ten_thousand_connections, WT_FRESH, 300))
