/* nowait.c - a pread the page cache can answer is answered at once.
 *
 * A pread of cached file data does not sleep: sending it to io_uring (one
 * io_uring_enter, the ring, a reap) or, on epoll, to the offload pool (two
 * host-thread hand-offs) costs several times the copy itself. So a pread
 * is first tried inline, on the vCPU, as preadv2(..., RWF_NOWAIT): the
 * kernel answers from the page cache or says EAGAIN (data not cached, a
 * lock taken) without waiting; only then does the operation go to the
 * backend as before. The kernel's answer is libc's: ESPIPE on a pipe or
 * socket, EBADF, EINVAL, end of file.
 *
 * Not for O_DIRECT: there RWF_NOWAIT does not stop a synchronous read
 * from waiting for the device, which would block the vCPU. Whether fd was
 * opened O_DIRECT, or does not take RWF_NOWAIT at all (EOPNOTSUPP), is
 * remembered in its fdtab entry (nowait: 0 unknown, 1 try, 2 never),
 * learnt with one fcntl at its first pread, forgotten at weft_close and
 * the drop-in's close (wf_io_fd_forget). A descriptor closed otherwise
 * and its number reused keeps the old answer: results stay the kernel's
 * either way, only a reused O_DIRECT number would then wait on its vCPU. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>

#include "host/sys.h"
#include "io/fdtab.h"
#include "io/io.h"

enum { NW_UNKNOWN, NW_TRY, NW_NEVER };

long wf_io_nowait_pread(weft_io_op_t *op)
{
    struct wf_fdent *e = wf_fdent(op->fd);
    if (!e)
        return WF_IO_NOWAIT_SKIP;
    int mode = atomic_load_explicit(&e->nowait, memory_order_relaxed);
    if (mode == NW_NEVER)
        return WF_IO_NOWAIT_SKIP;
    if (mode == NW_UNKNOWN) {
        long fl = wf_sys3(SYS_fcntl, op->fd, F_GETFL, 0);
        if (fl < 0)
            return fl; /* EBADF: libc's answer too */
        /* (A pipe may be O_DIRECT too: the backend says ESPIPE then.) */
        mode = (fl & O_DIRECT) ? NW_NEVER : NW_TRY;
        atomic_store_explicit(&e->nowait, (unsigned char)mode, memory_order_relaxed);
        if (mode == NW_NEVER)
            return WF_IO_NOWAIT_SKIP;
    }
    struct iovec iov = {.iov_base = op->buf, .iov_len = (size_t)op->len};
    long r = wf_sys6(SYS_preadv2, op->fd, (long)&iov, 1, (long)op->off, 0, RWF_NOWAIT);
    if (r == -EOPNOTSUPP) { /* after the kernel's ESPIPE check: a file */
        atomic_store_explicit(&e->nowait, NW_NEVER, memory_order_relaxed);
        return -EAGAIN;
    }
    return r; /* -EAGAIN: a file, not cached: the backend's way */
}

void wf_io_nowait_forget(int fd)
{
    struct wf_fdent *e = wf_fdent_peek(fd);
    if (e)
        atomic_store_explicit(&e->nowait, NW_UNKNOWN, memory_order_relaxed);
}
