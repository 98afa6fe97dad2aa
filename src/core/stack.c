/* stack.c - thread stacks (see stack.h).
 *
 * Default stacks are carved from chunks of CHUNK_STACKS slots, each slot a
 * page for the guard followed by the stack. The guard page is made
 * PROT_NONE while the guard budget lasts: every guard splits the chunk's
 * mapping, costing about two of the process's vm.max_map_count maps, so
 * the default budget is a quarter of that limit (16,382 guards at the
 * usual 65,530). Past the budget a stack has only its canary. Freed
 * stacks go to the freeing vCPU's cache, then to a global hot list, with
 * their pages still committed: a burst of threads that ends and starts
 * again reuses them without a page fault. The timer daemon trims the hot
 * list every TRIM_TICKS jiffies (wf_stack_trim): stacks that stayed unused
 * for a whole period beyond HOT_MAX give their pages back to the kernel
 * and move to the cold list (the low-water mark of the hot list over the
 * period says how many were unused), so no syscall sits on the free path.
 *
 * The canary of a pooled stack is zero: reading an untouched page maps the
 * shared zero page, so checking it costs no memory, and a stack that was
 * never used down to its last word still reads zero. Small and user stacks
 * are committed anyway and get a random canary.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/stack.h"
#include "host/host.h"

#define CHUNK_STACKS 64
#define HOT_MAX 1024
#define SLAB_BYTES (256 * 1024)
#define SMALL_CLASSES (WEFT_STACK_MIN / 1024)

/* A cached stack, stored in the stack's own top bytes. */
struct cached {
    struct cached *next;
    char *lo;
    uint8_t guarded;
    uint8_t cold; /* pages already given back */
};

static struct {
    wf_spinlock_t lock;            /* guards everything below */
    struct cached *hot, *cold;
    unsigned nhot, ncold;
    unsigned nhot_low;             /* lowest nhot since the last trim */
    char *chunk;                   /* carving cursor */
    unsigned chunk_left;
    long guard_budget, guards_used;
    uint64_t mapped;
    struct cached *small[SMALL_CLASSES + 1];
    char *slab[SMALL_CLASSES + 1];
    size_t slab_left[SMALL_CLASSES + 1];
} pool;

static size_t page;
static uint64_t canary_seed;

void wf_stack_init(long guard_pages)
{
    page = wf_host_pagesize();
    if (guard_pages == 0)
        guard_pages = wf_host_max_map_count() / 4;
    pool.guard_budget = guard_pages < 0 ? 0 : guard_pages;
    canary_seed = wf_host_now() * 0x9e3779b97f4a7c15ull | 1;
}

static uint64_t canary_for(const void *lo)
{
    uint64_t c = ((uintptr_t)lo ^ canary_seed) * 0xff51afd7ed558ccdull;
    return c ? c : 1;
}

static struct cached *node_of(char *lo, size_t size)
{
    return (struct cached *)(lo + size - sizeof(struct cached));
}

/* Precondition: pool.lock held. A fresh default-size stack. */
static int carve(struct wf_stack *s)
{
    size_t slot = WEFT_STACK_DEFAULT + page;
    if (!pool.chunk_left) {
        char *c = wf_host_map(slot * CHUNK_STACKS);
        if (!c)
            return EAGAIN;
        pool.chunk = c;
        pool.chunk_left = CHUNK_STACKS;
        pool.mapped += slot * CHUNK_STACKS;
    }
    char *base = pool.chunk;
    pool.chunk += slot;
    pool.chunk_left--;
    s->lo = base + page;
    s->guarded = 0;
    if (pool.guards_used < pool.guard_budget && wf_host_guard(base, page) == 0) {
        pool.guards_used++;
        s->guarded = 1;
    }
    return 0;
}

static int pool_alloc(struct wf_stack *s)
{
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v = self && !(self->flags & WF_TF_BOUND) ? self->vcpu : NULL;
    struct cached *c = NULL;
    s->size = WEFT_STACK_DEFAULT;
    s->canary = 0;
    if (v && v->stack_cache) {
        c = v->stack_cache;
        v->stack_cache = c->next;
        v->nstack_cache--;
    } else {
        wf_spin_lock(&pool.lock);
        if (pool.hot) {
            c = pool.hot;
            pool.hot = c->next;
            if (--pool.nhot < pool.nhot_low)
                pool.nhot_low = pool.nhot;
        } else if (pool.cold) {
            c = pool.cold;
            pool.cold = c->next;
            pool.ncold--;
        } else {
            int rc = carve(s);
            wf_spin_unlock(&pool.lock);
            return rc;
        }
        wf_spin_unlock(&pool.lock);
    }
    s->lo = c->lo;
    s->guarded = c->guarded;
    return 0;
}

static void pool_free(struct wf_stack *s)
{
    struct wf_thread *self = wf_tls_self;
    struct wf_vcpu *v = self && !(self->flags & WF_TF_BOUND) ? self->vcpu : NULL;
    struct cached *c = node_of(s->lo, s->size);
    c->lo = s->lo;
    c->guarded = s->guarded;
    c->cold = 0;
    if (v && v->nstack_cache < WF_VCPU_CACHE) {
        c->next = v->stack_cache;
        v->stack_cache = c;
        v->nstack_cache++;
        return;
    }
    wf_spin_lock(&pool.lock);
    c->next = pool.hot;
    pool.hot = c;
    pool.nhot++;
    wf_spin_unlock(&pool.lock);
}

void wf_stack_trim(void)
{
    wf_spin_lock(&pool.lock);
    unsigned excess = pool.nhot_low > HOT_MAX ? pool.nhot_low - HOT_MAX : 0;
    struct cached *list = NULL;
    for (unsigned i = 0; i < excess; i++) {
        struct cached *c = pool.hot;
        pool.hot = c->next;
        c->next = list;
        list = c;
    }
    pool.nhot -= excess;
    pool.nhot_low = pool.nhot;
    wf_spin_unlock(&pool.lock);
    while (list) {
        struct cached *c = list;
        list = c->next;
        /* Give the pages back, except the top one that holds the node. */
        wf_host_release(c->lo, WEFT_STACK_DEFAULT - page);
        c->cold = 1;
        wf_spin_lock(&pool.lock);
        c->next = pool.cold;
        pool.cold = c;
        pool.ncold++;
        wf_spin_unlock(&pool.lock);
    }
}

static __attribute__((unused)) int small_alloc(struct wf_stack *s, size_t size)
{
    unsigned cls = (unsigned)(size / 1024);
    wf_spin_lock(&pool.lock);
    struct cached *c = pool.small[cls];
    if (c) {
        pool.small[cls] = c->next;
        s->lo = c->lo;
    } else {
        if (pool.slab_left[cls] < size) {
            char *slab = wf_host_map(SLAB_BYTES);
            if (!slab) {
                wf_spin_unlock(&pool.lock);
                return EAGAIN;
            }
            pool.mapped += SLAB_BYTES;
            pool.slab[cls] = slab;
            pool.slab_left[cls] = SLAB_BYTES;
        }
        s->lo = pool.slab[cls];
        pool.slab[cls] += size;
        pool.slab_left[cls] -= size;
    }
    wf_spin_unlock(&pool.lock);
    s->size = size;
    s->guarded = 0;
    return 0;
}

static void small_free(struct wf_stack *s)
{
    unsigned cls = (unsigned)(s->size / 1024);
    struct cached *c = node_of(s->lo, s->size);
    c->lo = s->lo;
    wf_spin_lock(&pool.lock);
    c->next = pool.small[cls];
    pool.small[cls] = c;
    wf_spin_unlock(&pool.lock);
}

static int map_alloc(struct wf_stack *s, size_t size)
{
    size = (size + page - 1) & ~(page - 1);
    char *base = wf_host_map(size + page);
    if (!base)
        return EAGAIN;
    s->lo = base + page;
    s->size = size;
    s->guarded = 0;
    wf_spin_lock(&pool.lock);
    pool.mapped += size + page;
    if (pool.guards_used < pool.guard_budget && wf_host_guard(base, page) == 0) {
        pool.guards_used++;
        s->guarded = 1;
    }
    wf_spin_unlock(&pool.lock);
    return 0;
}

int wf_stack_alloc(struct wf_stack *s, int kind, size_t size, void *user)
{
    int rc = 0;
    s->kind = (uint8_t)kind;
    switch (kind) {
    case WF_STACK_POOL:
        rc = pool_alloc(s);
        break;
    case WF_STACK_MAP:
        rc = map_alloc(s, size);
        break;
    case WF_STACK_SMALL:
#if defined(WF_ASAN) || defined(WF_TSAN)
        /* Sanitizers pad every frame; a 2 KiB stack would overflow at once. */
        s->kind = WF_STACK_MAP;
        rc = map_alloc(s, WEFT_STACK_MIN);
#else
        rc = small_alloc(s, size);
#endif
        break;
    case WF_STACK_USER:
        s->lo = user;
        s->size = size;
        s->guarded = 0;
        break;
    default:
        return EINVAL;
    }
    if (rc)
        return rc;
    if (kind != WF_STACK_POOL) {
        s->canary = canary_for(s->lo);
        *(uint64_t *)s->lo = s->canary;
    }
    wf_san_stack_reuse(s->lo, s->size);
    wf_san_stack_register(s);
    return 0;
}

void wf_stack_free(struct wf_stack *s)
{
    if (s->kind != WF_STACK_HOST)
        wf_san_stack_deregister(s);
    switch (s->kind) {
    case WF_STACK_POOL:
        pool_free(s);
        break;
    case WF_STACK_SMALL:
        small_free(s);
        break;
    case WF_STACK_MAP:
        wf_host_unmap(s->lo - page, s->size + page);
        wf_spin_lock(&pool.lock);
        pool.mapped -= s->size + page;
        if (s->guarded)
            pool.guards_used--;
        wf_spin_unlock(&pool.lock);
        break;
    default:
        break;
    }
}

int wf_stack_in_guard(const struct wf_stack *s, const void *addr)
{
    const char *a = addr;
    if (s->kind == WF_STACK_HOST || !s->lo)
        return 0;
    /* The guard page, or (no guard) anything just below the stack. */
    return a < s->lo && a >= s->lo - page;
}

void wf_stack_stats(struct wf_stack_stats *st)
{
    wf_spin_lock(&pool.lock);
    st->mapped_bytes = pool.mapped;
    st->cached = pool.nhot + pool.ncold;
    st->guards_used = (uint64_t)pool.guards_used;
    st->guard_budget = pool.guard_budget;
    wf_spin_unlock(&pool.lock);
}

/* fork (core/fork.c) holds this lock across fork, so that the child never
 * inherits it in the middle of another thread's update. */
wf_spinlock_t *wf_stack_lock_for_fork(void)
{
    return &pool.lock;
}
