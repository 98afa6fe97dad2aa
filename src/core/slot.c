/* slot.c - the thread table: records are allocated in chunks and never
 * freed, so a stale handle always points at valid memory and its
 * generation tells it apart from the slot's new owner. Free records are
 * cached per vCPU, then on a global list. Thread ids come from one global
 * counter. */
#include <stdlib.h>

#include "core/runtime.h"
#include "core/thread.h"
#include "host/host.h"

#define CHUNK 4096
#define MAX_SLOTS (1u << 24)

/* tools/gdb/weft-gdb.py finds every thread through chunks and nslots, and
 * reads table.nfree, by these names (and CHUNK's value): rename them
 * there too. */
static struct wf_thread *_Atomic chunks[MAX_SLOTS / CHUNK];
static _Atomic uint32_t nslots;     /* slots handed out so far */
static struct {
    wf_spinlock_t lock;             /* guards free and nfree, and growing */
    struct wf_thread *free;
    unsigned nfree;
} table;
static _Atomic uint64_t id_counter = 1;

struct wf_thread *wf_slot_get(weft_t h)
{
    uint32_t slot = (uint32_t)h;
    if (slot >= atomic_load_explicit(&nslots, memory_order_acquire))
        return NULL;
    struct wf_thread *c = atomic_load_explicit(&chunks[slot / CHUNK], memory_order_acquire);
    return c ? &c[slot % CHUNK] : NULL;
}

static struct wf_thread *grow(void)
{
    uint32_t n = atomic_load_explicit(&nslots, memory_order_relaxed);
    if (n >= MAX_SLOTS)
        return NULL;
    struct wf_thread *c = chunks[n / CHUNK];
    if (!c) {
        c = wf_host_map(CHUNK * sizeof *c);
        if (!c)
            return NULL;
        atomic_store_explicit(&chunks[n / CHUNK], c, memory_order_release);
    }
    struct wf_thread *t = &c[n % CHUNK];
    t->slot = n;
    atomic_store_explicit(&t->gen, 1, memory_order_relaxed);
    atomic_store_explicit(&nslots, n + 1, memory_order_release);
    return t;
}

struct wf_thread *wf_slot_alloc(void)
{
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v = self && !(self->flags & WF_TF_BOUND) ? self->vcpu : NULL;
    struct wf_thread *t;
    if (v && v->slot_cache) {
        t = v->slot_cache;
        v->slot_cache = t->free_next;
        v->nslot_cache--;
        return t;
    }
    wf_spin_lock(&table.lock);
    t = table.free;
    if (t) {
        table.free = t->free_next;
        table.nfree--;
    } else {
        t = grow();
    }
    wf_spin_unlock(&table.lock);
    return t;
}

/* Precondition: t->state is WF_FREE and its generation already bumped. */
void wf_slot_free(struct wf_thread *t)
{
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v = self && !(self->flags & WF_TF_BOUND) ? self->vcpu : NULL;
    if (v && v->nslot_cache < WF_VCPU_CACHE) {
        t->free_next = v->slot_cache;
        v->slot_cache = t;
        v->nslot_cache++;
        return;
    }
    wf_spin_lock(&table.lock);
    t->free_next = table.free;
    table.free = t;
    table.nfree++;
    wf_spin_unlock(&table.lock);
}

void wf_slot_foreach(void (*fn)(struct wf_thread *, void *), void *arg)
{
    uint32_t n = atomic_load_explicit(&nslots, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        struct wf_thread *c = atomic_load_explicit(&chunks[i / CHUNK], memory_order_acquire);
        fn(&c[i % CHUNK], arg);
    }
}

uint64_t wf_id_next(void)
{
    /* One counter for the process: ids grow in creation order (DESIGN.md:
     * monotonic tids). Per-vCPU batches were cheaper but let a thread that
     * migrated see a smaller id after a larger one. */
    return atomic_fetch_add_explicit(&id_counter, 1, memory_order_relaxed);
}

/* fork (core/fork.c) holds this lock across fork, so that the child never
 * inherits it in the middle of another thread's update. */
wf_spinlock_t *wf_slot_lock_for_fork(void)
{
    return &table.lock;
}

/* fork's child (core/fork.c): the vCPUs' caches were dropped and the other
 * threads' records marked FREE; make the free list every FREE record, so
 * none is lost or listed twice whatever was in flight at fork. */
void wf_slot_fork_child(void)
{
    table.free = NULL;
    table.nfree = 0;
    uint32_t n = atomic_load_explicit(&nslots, memory_order_relaxed);
    for (uint32_t i = n; i-- > 0;) {
        struct wf_thread *t = &chunks[i / CHUNK][i % CHUNK];
        if (atomic_load_explicit(&t->state, memory_order_relaxed) != WF_FREE)
            continue;
        t->free_next = table.free;
        table.free = t;
        table.nfree++;
    }
}
