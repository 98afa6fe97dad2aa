/* io.c - an unmodified thread-per-connection echo server and its clients,
 * plain pthreads and libc calls (accept, read, write, connect, poll): run
 * preloaded with libweft-pthread, each blocking call parks only its
 * thread. Registered also with one vCPU, where a call that blocked the
 * vCPU would stop every thread: the program would hang (alarm: 60 s). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENTS 50

static int listen_fd;

static void *serve(void *arg)
{
    int c = (int)(long)arg;
    char buf[64];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0)
        if (write(c, buf, (size_t)n) != n)
            break;
    close(c);
    return NULL;
}

static void *acceptor(void *arg)
{
    (void)arg;
    for (int i = 0; i < CLIENTS; i++) {
        int c = accept(listen_fd, NULL, NULL);
        pthread_t t;
        if (c < 0 || pthread_create(&t, NULL, serve, (void *)(long)c))
            return (void *)1;
        pthread_detach(t);
    }
    return NULL;
}

static struct sockaddr_in addr;

static void *client(void *arg)
{
    long i = (long)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr))
        return (void *)1;
    char out[32], in[32];
    int len = snprintf(out, sizeof out, "hello %ld", i);
    struct pollfd pf = {.fd = s, .events = POLLIN};
    if (write(s, out, (size_t)len) != len || poll(&pf, 1, 10000) != 1 ||
        read(s, in, sizeof in) != len || memcmp(in, out, (size_t)len))
        return (void *)2;
    close(s);
    return NULL;
}

int main(void)
{
    alarm(60);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof addr;
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) ||
        listen(listen_fd, 128) || getsockname(listen_fd, (struct sockaddr *)&addr, &l)) {
        printf("setup failed\n");
        return 1;
    }
    pthread_t a, c[CLIENTS];
    pthread_create(&a, NULL, acceptor, NULL);
    for (long i = 0; i < CLIENTS; i++)
        pthread_create(&c[i], NULL, client, (void *)i);
    for (int i = 0; i < CLIENTS; i++) {
        void *r;
        pthread_join(c[i], &r);
        if (r) {
            printf("client %d failed (%ld)\n", i, (long)r);
            return 1;
        }
    }
    void *r;
    pthread_join(a, &r);
    if (r) {
        printf("acceptor failed\n");
        return 1;
    }
    printf("ok: %d connections echoed\n", CLIENTS);
    return 0;
}
