/* call.h - building one operation for a synchronous call (calls_*.c). */
#ifndef WF_IO_CALL_H
#define WF_IO_CALL_H

#include <string.h>
#include <sys/types.h>

#include "io/io.h"

/* A zeroed operation of the given code on fd. */
static inline void wf_io_op_init(weft_io_op_t *op, int code, int fd)
{
    memset(op, 0, sizeof *op);
    op->code = code;
    op->fd = fd;
}

/* Run op for the caller with the thread's timeout; >= 0 or -errno. */
static inline long wf_io_call(weft_io_op_t *op)
{
    return wf_io_sync(op, wf_io_deadline());
}

/* write/send with a short transfer continued (calls_rw.c); the libc
 * return convention. */
ssize_t wf_io_write_all(int code, int fd, const void *buf, size_t len, int flags);

#endif
