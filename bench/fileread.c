/* fileread.c - 4 KiB random reads from one file by many threads, in plain
 * pthread code with plain pread(2), so that the same binary measures glibc
 * threads and, preloaded with libweft-pthread.so, weft threads (whose
 * drop-in will turn pread into a message on weft's I/O port).
 *
 * Usage: fileread IMPL FILE [threads [ops_per_thread [cached|direct [MiB]]]]
 *   defaults: 1000 threads, 1000 reads each, cached, a 256 MiB file
 *   IMPL   only names the result line (the caller knows what runs it)
 *   FILE   made (or remade, if its size differs) with a known pattern:
 *          every 4 KiB block starts and ends with its own block number,
 *          and every read checks that (a wrong block exits 1)
 *   cached the file is read once first, so every read hits the page cache:
 *          what the threading costs around a short system call
 *   direct O_DIRECT: every read goes to the device, so what counts is how
 *          many reads are in flight at once
 *
 * Prints: bench=fileread impl=IMPL threads=T ops=<reads per second>
 *         mode=cached|direct n=<reads>
 * Each thread draws its offsets from its own seeded generator (the same
 * offsets in every run); the time is from the first thread's first read to
 * the last thread's last read, so thread creation is not counted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { BLOCK = 4096 };

static int fd;
static uint64_t nblocks;
static long ops_per_thread;
static char *buffers; /* BLOCK per thread, aligned for O_DIRECT */
static pthread_barrier_t go;

struct span {
    uint64_t start, end; /* ns, CLOCK_MONOTONIC */
    long index;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "fileread: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Make FILE nblocks blocks long with the pattern, unless it already is. */
static void make_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size == nblocks * BLOCK)
        return;
    int w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w < 0)
        die(path);
    static uint64_t chunk[256 * BLOCK / 8]; /* 1 MiB at a time */
    const uint64_t per_block = BLOCK / 8, per_chunk = sizeof chunk / BLOCK;
    for (uint64_t b = 0; b < nblocks; b += per_chunk) {
        uint64_t n = nblocks - b < per_chunk ? nblocks - b : per_chunk;
        for (uint64_t i = 0; i < n; i++) {
            chunk[i * per_block] = b + i;
            chunk[i * per_block + per_block - 1] = b + i;
        }
        if (write(w, chunk, n * BLOCK) != (ssize_t)(n * BLOCK))
            die("write");
    }
    if (fsync(w) || close(w))
        die("fsync");
}

static void *reader(void *arg)
{
    struct span *s = arg;
    uint64_t x = 0x9e3779b97f4a7c15u * (uint64_t)(s->index + 1); /* xorshift64 seed */
    uint64_t *buf = (uint64_t *)(buffers + (size_t)s->index * BLOCK);

    pthread_barrier_wait(&go);
    s->start = now_ns();
    for (long i = 0; i < ops_per_thread; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t block = x % nblocks;
        ssize_t n = pread(fd, buf, BLOCK, (off_t)(block * BLOCK));
        if (n != BLOCK) {
            if (n >= 0)
                errno = EIO; /* a short read of a block inside the file */
            die("pread");
        }
        if (buf[0] != block || buf[BLOCK / 8 - 1] != block) {
            fprintf(stderr, "fileread: block %" PRIu64 " read as %" PRIu64 "\n", block, buf[0]);
            exit(1);
        }
    }
    s->end = now_ns();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: fileread IMPL FILE [threads [ops_per_thread [cached|direct [MiB]]]]\n");
        return 2;
    }
    const char *impl = argv[1], *path = argv[2];
    long threads = argc > 3 ? atol(argv[3]) : 1000;
    ops_per_thread = argc > 4 ? atol(argv[4]) : 1000;
    const char *mode = argc > 5 ? argv[5] : "cached";
    long mib = argc > 6 ? atol(argv[6]) : 256;
    int direct = strcmp(mode, "direct") == 0;
    if (threads < 1 || ops_per_thread < 1 || mib < 1 || (!direct && strcmp(mode, "cached"))) {
        fprintf(stderr, "fileread: bad arguments\n");
        return 2;
    }
    nblocks = (uint64_t)mib * (1024 * 1024 / BLOCK);
    make_file(path);

    fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0 && direct && errno == EINVAL) { /* e.g. tmpfs */
        printf("bench=fileread impl=%s threads=%ld mode=direct n=0 error=no_O_DIRECT_here\n",
               impl, threads);
        return 0;
    }
    if (fd < 0)
        die(path);
    if (!direct) { /* warm the page cache: every impl then reads the same cached file */
        static char chunk[1 << 20];
        for (off_t off = 0; pread(fd, chunk, sizeof chunk, off) > 0; off += sizeof chunk)
            ;
    }

    if (posix_memalign((void **)&buffers, BLOCK, (size_t)threads * BLOCK))
        die("posix_memalign");
    struct span *spans = calloc((size_t)threads, sizeof *spans);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024); /* the same small stacks on glibc and weft */
    pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
    for (long i = 0; i < threads; i++) {
        spans[i].index = i;
        errno = pthread_create(&tids[i], &attr, reader, &spans[i]);
        if (errno)
            die("pthread_create");
    }
    pthread_barrier_wait(&go);
    uint64_t first = UINT64_MAX, last = 0;
    for (long i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        if (spans[i].start < first)
            first = spans[i].start;
        if (spans[i].end > last)
            last = spans[i].end;
    }
    long n = threads * ops_per_thread;
    printf("bench=fileread impl=%s threads=%ld ops=%.1f mode=%s n=%ld\n", impl, threads,
           (double)n * 1e9 / (double)(last - first), mode, n);
    pthread_barrier_destroy(&go);
    pthread_attr_destroy(&attr);
    free(tids);
    free(spans);
    free(buffers);
    close(fd);
    return 0;
}
