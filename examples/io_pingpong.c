/* io_pingpong.c - two weft threads bounce one byte over a socketpair with
 * weft_write / weft_read, so every read parks its thread until the other
 * side writes. Prints the backend, the vCPUs and the time per round trip
 * (four I/O calls, two thread switches).
 *
 * Usage: io_pingpong [round_trips]   (default 20000)
 *   WEFT_IO=uring|epoll to choose the backend, WEFT_VCPUS=n the vCPUs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <weft.h>

static int sv[2];
static long rounds = 20000;

static void *echo(void *arg)
{
    (void)arg;
    char c;
    for (long i = 0; i < rounds; i++)
        if (weft_read(sv[1], &c, 1) != 1 || weft_write(sv[1], &c, 1) != 1)
            return (void *)1;
    return NULL;
}

static void *pinger(void *arg)
{
    (void)arg;
    weft_t t;
    if (weft_create(&t, NULL, echo, NULL))
        return (void *)1;
    char c = 'x';
    uint64_t t0 = weft_now();
    for (long i = 0; i < rounds; i++)
        if (weft_write(sv[0], &c, 1) != 1 || weft_read(sv[0], &c, 1) != 1)
            return (void *)1;
    uint64_t dt = weft_now() - t0;
    void *r;
    weft_join(t, &r);
    printf("backend=%s vcpus=%d round_trips=%ld ns_per_round_trip=%.0f\n", weft_io_backend(),
           weft_vcpu_count(), rounds, (double)dt / (double)rounds);
    return r;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = atol(argv[1]);
    if (rounds < 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
        fprintf(stderr, "usage: io_pingpong [round_trips]\n");
        return 2;
    }
    weft_t t;
    void *r = (void *)1;
    if (weft_create(&t, NULL, pinger, NULL) || weft_join(t, &r) || r) {
        fprintf(stderr, "io_pingpong: an I/O call failed\n");
        return 1;
    }
    return 0;
}
