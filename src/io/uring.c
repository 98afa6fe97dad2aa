/* uring.c - the io_uring backend, through liburing: one ring per vCPU.
 *
 * A weft thread on vCPU v queues its operation's SQE in v's ring
 * (user_data = the operation); the SQEs go to the kernel in one
 * io_uring_submit when a thread parks and v has no other thread to run or
 * PARK_BATCH are queued (park_flush), when v idles, or at the timer
 * daemon's next tick. Writes are tried inline first (write_inline), and
 * preads of cached data never get here (nowait.c). Completions are delivered by whoever
 * looks first: the thread itself before it parks, v's idle context (it
 * sleeps in io_uring_enter with its next timer as the timeout), another
 * idle vCPU helping, or the timer daemon for a busy v. An operation is
 * cancelled in the ring that holds it (IORING_OP_ASYNC_CANCEL, keyed by
 * its user_data), from whichever vCPU its thread now runs on.
 *
 * liburing's helpers are not thread-safe for one ring, and several host
 * threads touch each ring (the owner vCPU, helpers, the daemon, a migrated
 * thread cancelling): every use of the SQ or the CQ is under the ring's
 * lock. The only call made without it is the idle vCPU's wait in
 * io_uring_enter(GETEVENTS), which touches neither. The kernel runs
 * submissions for any thread that enters the ring (no SINGLE_ISSUER).
 * Internal SQEs (kicks, cancels) carry user_data 0 and are ignored. */
#define _GNU_SOURCE
#ifdef WF_HAVE_URING
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "host/sys.h"
#include "io/io.h"

#define RING_ENTRIES 256
#define REAP_BATCH 64
#define PARK_BATCH 32
#define MAX_RW 0x7ffff000u /* what Linux transfers at most in one read/write */

struct ring {
    wf_spinlock_t lock;     /* guards ring and queued; a leaf (lockorder.h) */
    struct io_uring ring;
    unsigned queued;        /* SQEs not yet passed to the kernel */
    atomic_int in_wait;     /* its vCPU sleeps in io_uring_enter: seq_cst
                               against vcpu->parked (port.c) */
} __attribute__((aligned(64)));

static struct ring *rings;

static void reap_ring(struct ring *r);

/* Precondition: r->lock held. */
static struct io_uring_sqe *get_sqe(struct ring *r)
{
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&r->ring))) {
        io_uring_submit(&r->ring); /* the SQ is full: make room */
        r->queued = 0;
    }
    return sqe;
}

static void prep(struct io_uring_sqe *sqe, weft_io_op_t *op)
{
    unsigned len = op->len > MAX_RW ? MAX_RW : (unsigned)op->len;
    int fd = op->fd;
    switch (op->code) {
    case WEFT_IO_READ: io_uring_prep_read(sqe, fd, op->buf, len, (uint64_t)-1); break;
    case WEFT_IO_WRITE: io_uring_prep_write(sqe, fd, op->buf, len, (uint64_t)-1); break;
    case WEFT_IO_PREAD: io_uring_prep_read(sqe, fd, op->buf, len, (uint64_t)op->off); break;
    case WEFT_IO_PWRITE: io_uring_prep_write(sqe, fd, op->buf, len, (uint64_t)op->off); break;
    case WEFT_IO_READV:
        io_uring_prep_readv(sqe, fd, op->buf, (unsigned)op->len, (uint64_t)-1);
        break;
    case WEFT_IO_WRITEV:
        io_uring_prep_writev(sqe, fd, op->buf, (unsigned)op->len, (uint64_t)-1);
        break;
    case WEFT_IO_RECV: io_uring_prep_recv(sqe, fd, op->buf, op->len, op->flags); break;
    case WEFT_IO_SEND: io_uring_prep_send(sqe, fd, op->buf, op->len, op->flags); break;
    case WEFT_IO_RECVMSG: io_uring_prep_recvmsg(sqe, fd, op->buf, (unsigned)op->flags); break;
    case WEFT_IO_SENDMSG: io_uring_prep_sendmsg(sqe, fd, op->buf, (unsigned)op->flags); break;
    case WEFT_IO_ACCEPT: io_uring_prep_accept(sqe, fd, op->buf, op->aux, op->flags); break;
    case WEFT_IO_CONNECT:
        io_uring_prep_connect(sqe, fd, op->buf, (socklen_t)op->len);
        break;
    case WEFT_IO_POLL: io_uring_prep_poll_add(sqe, fd, (unsigned)op->flags); break;
    case WEFT_IO_CLOSE: io_uring_prep_close(sqe, fd); break;
    case WEFT_IO_OPENAT: io_uring_prep_openat(sqe, fd, op->buf, op->flags, op->mode); break;
    case WEFT_IO_FSYNC:
        io_uring_prep_fsync(sqe, fd, (op->flags & WEFT_IO_DATASYNC) ? IORING_FSYNC_DATASYNC : 0);
        break;
    case WEFT_IO_STATX:
        io_uring_prep_statx(sqe, fd, op->buf, op->flags, op->mode, op->aux);
        break;
    case WEFT_IO_SPLICE:
        io_uring_prep_splice(sqe, fd, op->off, op->fd2, op->off2, len, (unsigned)op->flags);
        break;
    default: io_uring_prep_nop(sqe); break;
    }
    io_uring_sqe_set_data(sqe, op);
}

/* What io_uring would not answer as libc does: a descriptor the program
 * made O_NONBLOCK (io_uring waits for readiness on it instead of failing
 * with EAGAIN) gets the plain non-blocking call; pread/pwrite on a pipe or
 * socket (io_uring ignores the offset there) fail with ESPIPE. One fcntl
 * or lseek per call. Returns 1 if op was completed here. */
static int answered_plainly(weft_io_op_t *op)
{
    switch (op->code) {
    case WEFT_IO_READ: case WEFT_IO_WRITE: case WEFT_IO_READV: case WEFT_IO_WRITEV:
    case WEFT_IO_RECV: case WEFT_IO_SEND: case WEFT_IO_RECVMSG: case WEFT_IO_SENDMSG:
    case WEFT_IO_ACCEPT: case WEFT_IO_CONNECT: {
        if (wf_io_priv(op)->fd_checked == WF_IO_BLOCKING)
            return 0; /* the drop-in just saw O_NONBLOCK clear */
        int fl = fcntl(op->fd, F_GETFL);
        if (fl < 0 || !(fl & O_NONBLOCK))
            return 0; /* a bad descriptor: io_uring says EBADF */
        wf_io_complete(op, wf_io_exec(op));
        return 1;
    }
    case WEFT_IO_PREAD: case WEFT_IO_PWRITE:
        if (wf_io_priv(op)->fd_checked == WF_IO_SEEKABLE)
            return 0; /* a pread that nowait.c tried: a file, not a pipe */
        if (lseek(op->fd, 0, SEEK_CUR) >= 0 || errno != ESPIPE)
            return 0;
        wf_io_complete(op, -ESPIPE);
        return 1;
    default:
        return 0;
    }
}

/* A write is tried inline first, without waiting (RWF_NOWAIT,
 * MSG_DONTWAIT): there is usually room in the socket or pipe, and the
 * plain call costs less than the ring's round trip (an io_uring_enter, a
 * completion to reap). The result (>= 0 or -errno, libc's: EPIPE with
 * SIGPIPE as from write), or -EAGAIN to go to the ring (no room, or a file
 * without RWF_NOWAIT: EOPNOTSUPP). */
static long write_inline(weft_io_op_t *op)
{
    struct iovec one = {.iov_base = op->buf, .iov_len = (size_t)op->len};
    long r;
    switch (op->code) {
    case WEFT_IO_WRITE:
        r = wf_sys6(SYS_pwritev2, op->fd, (long)&one, 1, -1, 0, RWF_NOWAIT);
        break;
    case WEFT_IO_WRITEV:
        r = wf_sys6(SYS_pwritev2, op->fd, (long)op->buf, (long)op->len, -1, 0, RWF_NOWAIT);
        break;
    case WEFT_IO_SEND:
        r = wf_sys6(SYS_sendto, op->fd, (long)op->buf, (long)op->len,
                    op->flags | MSG_DONTWAIT, 0, 0);
        break;
    case WEFT_IO_SENDMSG:
        r = wf_sys3(SYS_sendmsg, op->fd, (long)op->buf, op->flags | MSG_DONTWAIT);
        break;
    default:
        return -EAGAIN;
    }
    return r == -EOPNOTSUPP ? -EAGAIN : r;
}

static void submit(struct wf_vcpu *v, weft_io_op_t *op)
{
    if (op->code == WEFT_IO_CLOSE)
        wf_io_nowait_forget(op->fd);
    int saved = errno;
    int done = answered_plainly(op);
    errno = saved;
    if (done)
        return;
    long w = write_inline(op);
    if (w != -EAGAIN) {
        wf_io_complete(op, w);
        return;
    }
    struct ring *r = &rings[v->index];
    wf_io_priv(op)->vcpu = v->index;
    wf_spin_lock(&r->lock);
    prep(get_sqe(r), op);
    r->queued++;
    wf_spin_unlock(&r->lock);
}

static void flush_ring(struct ring *r)
{
    wf_spin_lock(&r->lock);
    if (r->queued && io_uring_submit(&r->ring) >= 0)
        r->queued = 0; /* else they stay in the SQ for the next enter */
    wf_spin_unlock(&r->lock);
}

static void flush(struct wf_vcpu *v)
{
    flush_ring(&rings[v->index]);
}

/* Batching: while other threads wait to run on v, the SQEs of those that
 * park wait for one another, and go to the kernel in one io_uring_enter
 * when v runs out of threads (its idle loop flushes), when PARK_BATCH are
 * queued, or at the timer daemon's next tick (a v kept busy by threads
 * that never park). One enter per request made the ring cost more than
 * epoll's plain calls. */
static void before_park(struct wf_vcpu *v)
{
    struct ring *r = &rings[v->index];
    int now = wf_rq_nr(&v->rq) == 0;
    wf_spin_lock(&r->lock);
    if (r->queued && (now || r->queued >= PARK_BATCH) && io_uring_submit(&r->ring) >= 0)
        r->queued = 0;
    wf_spin_unlock(&r->lock);
    reap_ring(r); /* what the kernel finished inline: no switch for it */
}

static void cancel(weft_io_op_t *op)
{
    struct ring *r = &rings[wf_io_priv(op)->vcpu];
    wf_spin_lock(&r->lock);
    struct io_uring_sqe *sqe = get_sqe(r);
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op, 0);
    io_uring_sqe_set_data(sqe, NULL);
    io_uring_submit(&r->ring);
    r->queued = 0;
    wf_spin_unlock(&r->lock);
}

/* Deliver what r's CQ holds; completions are run with no lock held (they
 * wake threads, which may kick a vCPU: another ring's lock). */
static void reap_ring(struct ring *r)
{
    for (;;) {
        struct io_uring_cqe *cqes[REAP_BATCH];
        struct { uint64_t ud; int res; } got[REAP_BATCH];
        if (!wf_io_trylock(&r->lock))
            return; /* someone else is at the ring; it reaps or will be reaped */
        unsigned n = io_uring_peek_batch_cqe(&r->ring, cqes, REAP_BATCH);
        for (unsigned i = 0; i < n; i++) {
            got[i].ud = cqes[i]->user_data;
            got[i].res = cqes[i]->res;
        }
        io_uring_cq_advance(&r->ring, n);
        wf_spin_unlock(&r->lock);
        for (unsigned i = 0; i < n; i++)
            if (got[i].ud)
                wf_io_complete((weft_io_op_t *)(uintptr_t)got[i].ud, got[i].res);
        if (n < REAP_BATCH)
            return;
    }
}

static void reap(struct wf_vcpu *v)
{
    reap_ring(&rings[v->index]);
}

static int idle_wait(struct wf_vcpu *v, uint64_t deadline)
{
    struct ring *r = &rings[v->index];
    int rc = 0;
    atomic_store(&r->in_wait, 1);
    if (atomic_load(&v->parked)) { /* else a waker came first (it saw in_wait 0) */
        flush_ring(r);
        struct __kernel_timespec ts;
        struct io_uring_getevents_arg arg;
        memset(&arg, 0, sizeof arg);
        if (deadline) {
            uint64_t now = wf_host_now(), rel = deadline > now ? deadline - now : 0;
            ts.tv_sec = (long long)(rel / 1000000000u);
            ts.tv_nsec = (long long)(rel % 1000000000u);
            arg.ts = (uint64_t)(uintptr_t)&ts;
        }
        int ret = io_uring_enter2((unsigned)r->ring.ring_fd, 0, 1,
                                  IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                                  (sigset_t *)&arg, sizeof arg);
        if (ret == -ETIME || (ret == -1 && errno == ETIME))
            rc = -ETIMEDOUT;
    }
    atomic_store(&r->in_wait, 0);
    reap_ring(r);
    return rc;
}

static void kick(struct wf_vcpu *v)
{
    struct ring *r = &rings[v->index];
    if (!atomic_load(&r->in_wait))
        return;
    wf_spin_lock(&r->lock);
    struct io_uring_sqe *sqe = get_sqe(r);
    io_uring_prep_nop(sqe); /* its CQE ends the wait */
    io_uring_sqe_set_data(sqe, NULL);
    io_uring_submit(&r->ring);
    r->queued = 0;
    wf_spin_unlock(&r->lock);
}

static const int needed_ops[] = {
    IORING_OP_NOP, IORING_OP_READ, IORING_OP_WRITE, IORING_OP_READV, IORING_OP_WRITEV,
    IORING_OP_RECV, IORING_OP_SEND, IORING_OP_RECVMSG, IORING_OP_SENDMSG, IORING_OP_ACCEPT,
    IORING_OP_CONNECT, IORING_OP_POLL_ADD, IORING_OP_CLOSE, IORING_OP_OPENAT, IORING_OP_FSYNC,
    IORING_OP_STATX, IORING_OP_SPLICE, IORING_OP_ASYNC_CANCEL,
};

/* Every operation weft maps, and waits with a timeout (EXT_ARG): else the
 * port takes epoll. */
static int usable(struct io_uring *ring)
{
    unsigned need = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_RW_CUR_POS;
    if ((ring->features & need) != need)
        return 0;
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    if (!p)
        return 0;
    int ok = 1;
    for (size_t i = 0; i < sizeof needed_ops / sizeof needed_ops[0]; i++)
        ok &= io_uring_opcode_supported(p, needed_ops[i]) != 0;
    io_uring_free_probe(p);
    return ok;
}

static int init(int nvcpus)
{
    rings = aligned_alloc(64, sizeof *rings * (size_t)nvcpus);
    if (!rings)
        return -ENOMEM;
    memset(rings, 0, sizeof *rings * (size_t)nvcpus);
    for (int i = 0; i < nvcpus; i++) {
        int rc = io_uring_queue_init(RING_ENTRIES, &rings[i].ring, 0);
        if (rc == 0 && i == 0 && !usable(&rings[0].ring)) {
            io_uring_queue_exit(&rings[0].ring);
            rc = -ENOSYS;
        }
        if (rc < 0) {
            while (i-- > 0)
                io_uring_queue_exit(&rings[i].ring);
            free(rings);
            rings = NULL;
            return rc;
        }
    }
    return 0;
}

const struct wf_io_backend wf_io_uring = {
    .name = "uring", .init = init, .submit = submit, .flush = flush,
    .before_park = before_park, .cancel = cancel,
    .reap = reap, .idle_wait = idle_wait, .kick = kick,
};

/* fork's child (port.c): the rings are the parent's (their memory is
 * shared with it): unmap and close this process's copies without touching
 * them; the child's vCPUs make new ones when they restart. */
void wf_io_uring_fork_child(void)
{
    if (!rings)
        return;
    for (int i = 0; i < wf_rt.nvcpus; i++)
        io_uring_queue_exit(&rings[i].ring);
    free(rings);
    rings = NULL;
}

#else /* built without liburing (CMakeLists.txt: WEFT_WITH_URING) */
#include "io/io.h"

/* The probe (port.c) finds no io_uring and takes epoll. */
static int init(int nvcpus)
{
    (void)nvcpus;
    return -1;
}

const struct wf_io_backend wf_io_uring = {.name = "uring", .init = init};

void wf_io_uring_fork_child(void)
{
}
#endif
