/* record.c - the pthread layer's per-thread record and the hooks the core
 * calls at thread exit (posix.h). */
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "posix/posix.h"

/* Precondition: r->lock held. */
static void reset(struct wp_thread *r, struct wf_thread *t)
{
    r->id = t->id;
    r->policy = SCHED_OTHER;
    r->sched_priority = 0;
    r->base_prio = -1;
    r->cancel_buf = NULL;
    r->cleanup_old = NULL;
    free(r->affinity);
    r->affinity = NULL;
    r->affinity_size = 0;
    r->exit_result = NULL;
    r->unwinding = 0;
    r->held = NULL;
    atomic_store_explicit(&r->pi_blocked_on, NULL, memory_order_relaxed);
}

struct wp_thread *wp_record(struct wf_thread *t)
{
    struct wp_thread *r = atomic_load_explicit(&t->posix, memory_order_acquire);
    if (!r) {
        struct wp_thread *n = calloc(1, sizeof *n);
        if (!n)
            return NULL;
        void *expected = NULL;
        if (atomic_compare_exchange_strong(&t->posix, &expected, n)) {
            r = n;
        } else {
            free(n);
            r = expected;
        }
    }
    if (__atomic_load_n(&r->id, __ATOMIC_ACQUIRE) != t->id) {
        wf_spin_lock(&r->lock);
        if (r->id != t->id)
            reset(r, t);
        wf_spin_unlock(&r->lock);
    }
    return r;
}

struct wp_thread *wp_record_peek(struct wf_thread *t)
{
    struct wp_thread *r = atomic_load_explicit(&t->posix, memory_order_acquire);
    if (r && __atomic_load_n(&r->id, __ATOMIC_ACQUIRE) == t->id)
        return r;
    return NULL;
}

struct wp_thread *wp_self(void)
{
    return wp_record(wf_self());
}

/* Defined in cancel.c: runs the glibc cleanup buffers (may not return). */
void wp_cancel_unwind(struct wf_thread *self, struct wp_thread *r, void *result);

static void hook_unwind(struct wf_thread *self, void *result)
{
    struct wp_thread *r = wp_record(self);
    if (r)
        wp_cancel_unwind(self, r, result);
}

static void hook_exit(struct wf_thread *self)
{
    struct wp_thread *r = wp_record_peek(self);
    if (!r)
        return;
    wp_mutex_thread_exit(self, r);
    wp_start_thread_exit(self);
    /* The slot's next thread starts from a clean record. */
    wf_spin_lock(&r->lock);
    __atomic_store_n(&r->id, 0, __ATOMIC_RELEASE);
    wf_spin_unlock(&r->lock);
}

static const struct wf_posix_hooks hooks = {hook_unwind, hook_exit};

__attribute__((constructor)) static void install(void)
{
    atomic_store_explicit(&wf_posix_hooks, &hooks, memory_order_release);
}
