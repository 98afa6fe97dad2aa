/* fdtab.h - what the I/O port knows of each descriptor (fdtab.c): the
 * epoll backend's state, and nowait.c's. */
#ifndef WF_IO_FDTAB_H
#define WF_IO_FDTAB_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/spinlock.h"
#include "weft/io.h"

struct wf_fdent {
    wf_spinlock_t lock;      /* guards the fields below; taken above a
                                bucket lock (port.c) only after release */
    atomic_uchar weft_nb;    /* weft made the descriptor O_NONBLOCK; written
                                under lock, read without it too (the
                                interposed calls, wf_io_fd_nonblocking) */
    uint8_t armed;           /* registered in the epoll set (ONESHOT: may
                                have fired since) */
    weft_io_op_t *waiters;   /* operations waiting for readiness, linked
                                through wf_io_priv.next */
    atomic_uchar nowait;     /* pread tried inline first (nowait.c):
                                0 unknown, 1 yes, 2 no; any backend */
};

/* The entry of fd, made on first use; NULL for fd < 0, fd beyond the
 * table (WF_FDTAB_MAX) or no memory. Entries are never freed. */
struct wf_fdent *wf_fdent(int fd);
#define WF_FDTAB_MAX (1 << 20)
/* fork's child: every entry unlocked, unarmed, without waiters. */
void wf_fdtab_fork_child(void);
/* The same, but NULL where no entry was ever made; never allocates (so a
 * signal handler may call it). */
struct wf_fdent *wf_fdent_peek(int fd);

#endif
