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

/* fork's child: the waiters were other threads' and the registrations the
 * parent's epoll set's. weft_nb stays: O_NONBLOCK belongs to the open file
 * description, which the child shares with the parent. */
void wf_fdtab_fork_child(void)
{
    for (int c = 0; c < NCHUNKS; c++) {
        struct wf_fdent *e = atomic_load_explicit(&chunks[c], memory_order_relaxed);
        for (int i = 0; e && i < CHUNK; i++) {
            atomic_store_explicit(&e[i].lock.v, 0, memory_order_relaxed);
            e[i].armed = 0;
            e[i].waiters = NULL;
        }
    }
}
