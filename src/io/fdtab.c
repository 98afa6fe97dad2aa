/* fdtab.c - the descriptor table of the epoll backend: two levels, chunks
 * of 1024 entries made on first use, so a process with a few descriptors
 * pays for a few chunks. Lookups take no lock: a chunk pointer, once
 * published (release), never changes. */
#include <stdatomic.h>
#include <stdlib.h>

#include "io/fdtab.h"

#define CHUNK 1024
#define NCHUNKS (WF_FDTAB_MAX / CHUNK)

static struct wf_fdent *_Atomic chunks[NCHUNKS];

struct wf_fdent *wf_fdent(int fd)
{
    if (fd < 0 || fd >= WF_FDTAB_MAX)
        return NULL;
    struct wf_fdent *_Atomic *slot = &chunks[fd / CHUNK];
    struct wf_fdent *c = atomic_load_explicit(slot, memory_order_acquire);
    if (!c) {
        struct wf_fdent *fresh = calloc(CHUNK, sizeof *fresh);
        if (!fresh)
            return NULL;
        /* Two makers: one chunk wins, the other is given back. */
        if (atomic_compare_exchange_strong_explicit(slot, &c, fresh, memory_order_acq_rel,
                                                    memory_order_acquire))
            c = fresh;
        else
            free(fresh);
    }
    return &c[fd % CHUNK];
}

struct wf_fdent *wf_fdent_peek(int fd)
{
    if (fd < 0 || fd >= WF_FDTAB_MAX)
        return NULL;
    struct wf_fdent *c = atomic_load_explicit(&chunks[fd / CHUNK], memory_order_acquire);
    return c ? &c[fd % CHUNK] : NULL;
}
