/* group.c - thread groups and the registry that finds them by id. */
#include <errno.h>
#include <stdlib.h>

#include "core/group.h"
#include "core/runtime.h"
#include "core/spinlock.h"

static struct {
    wf_spinlock_t lock;          /* guards the list and refs reaching 0 */
    struct wf_group *head;
} reg;

struct wf_group *wf_group_new(weft_gid_t gid, struct wf_group *parent, int permanent)
{
    struct wf_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->gid = gid;
    g->parent = parent;
    atomic_store(&g->limit, ~0ul);
    atomic_store(&g->refs, permanent ? 2 : 1);
    if (parent)
        atomic_fetch_add(&parent->refs, 1);
    wf_spin_lock(&reg.lock);
    g->next = reg.head;
    reg.head = g;
    wf_spin_unlock(&reg.lock);
    return g;
}

void wf_group_put(struct wf_group *g)
{
    while (g && atomic_fetch_sub(&g->refs, 1) == 1) {
        struct wf_group *parent = g->parent;
        wf_spin_lock(&reg.lock);
        for (struct wf_group **p = &reg.head; *p; p = &(*p)->next)
            if (*p == g) {
                *p = g->next;
                break;
            }
        wf_spin_unlock(&reg.lock);
        free(g);
        g = parent;
    }
}

int wf_group_join(struct wf_group *g)
{
    unsigned long n = atomic_load_explicit(&g->nthreads, memory_order_relaxed);
    do {
        if (n >= atomic_load_explicit(&g->limit, memory_order_relaxed))
            return EAGAIN;
    } while (!atomic_compare_exchange_weak(&g->nthreads, &n, n + 1));
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    return 0;
}

void wf_group_leave(struct wf_group *g)
{
    atomic_fetch_sub_explicit(&g->nthreads, 1, memory_order_relaxed);
    wf_group_put(g);
}

/* Precondition: reg.lock held. */
static struct wf_group *find(weft_gid_t gid)
{
    for (struct wf_group *g = reg.head; g; g = g->next)
        if (g->gid == gid)
            return g;
    return NULL;
}

weft_gid_t weft_group_self(void)
{
    return wf_self()->group->gid;
}

int weft_group_of(weft_t thread, weft_gid_t *gid)
{
    wf_runtime_start_fast();
    struct wf_thread *t = wf_thread_lock_handle(thread);
    if (!t)
        return ESRCH;
    *gid = t->group->gid;
    wf_spin_unlock(&t->join_lock);
    return 0;
}

int weft_group_info(weft_gid_t gid, weft_group_info_t *info)
{
    wf_runtime_start_fast();
    if (!info)
        return EINVAL;
    wf_spin_lock(&reg.lock);
    struct wf_group *g = find(gid);
    if (g) {
        info->gid = g->gid;
        info->parent = g->parent ? g->parent->gid : 0;
        info->nthreads = atomic_load(&g->nthreads);
        info->limit = atomic_load(&g->limit);
    }
    wf_spin_unlock(&reg.lock);
    return g ? 0 : ESRCH;
}

int weft_group_setlimit(weft_gid_t gid, unsigned long limit)
{
    wf_runtime_start_fast();
    if (limit == 0 || gid == 0)
        return EINVAL;
    wf_spin_lock(&reg.lock);
    struct wf_group *g = find(gid);
    if (g)
        atomic_store(&g->limit, limit);
    wf_spin_unlock(&reg.lock);
    return g ? 0 : ESRCH;
}

/* fork (core/fork.c) holds this lock across fork, so that the child never
 * inherits it in the middle of another thread's update. */
wf_spinlock_t *wf_group_lock_for_fork(void)
{
    return &reg.lock;
}

/* fork's child (core/fork.c): self is the only thread left. Counting from
 * the records, not by the leaves of the others, also drops the members a
 * creation or an exit in flight at fork had counted for a moment. (Their
 * references stay: at worst such a group is never freed.) */
void wf_group_fork_child(struct wf_group *self_group)
{
    for (struct wf_group *g = reg.head; g; g = g->next)
        atomic_store_explicit(&g->nthreads, 0, memory_order_relaxed);
    if (self_group)
        atomic_store_explicit(&self_group->nthreads, 1, memory_order_relaxed);
}
