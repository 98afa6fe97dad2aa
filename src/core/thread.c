/* thread.c - thread lifecycle: create, join, detach, exit, names,
 * priorities. Handles are checked against the slot's generation under the
 * thread's join_lock, so a stale handle is ESRCH, never a crash. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fork.h"
#include "core/attr.h"
#include "core/rq.h"
#include "core/group.h"
#include "core/intr.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/sched.h"
#include "core/tls.h"
#include "core/waitq.h"
#include "sync/key.h"
#include "host/host.h"
#include "host/real.h"
#include "host/sys.h"

const char *wf_state_name(int s)
{
    static const char *names[] = {"free", "runnable", "running", "blocked", "exited"};
    return s >= 0 && s <= WF_EXITED ? names[s] : "?";
}

void wf_thread_name(const struct wf_thread *t, char buf[WEFT_NAME_MAX])
{
    if (t->named) {
        memcpy(buf, t->name, WEFT_NAME_MAX - 1);
        buf[WEFT_NAME_MAX - 1] = 0;
    } else {
        snprintf(buf, WEFT_NAME_MAX, "weft-%llu", (unsigned long long)t->id);
    }
}

_Noreturn void wf_panic(const struct wf_thread *t, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char name[WEFT_NAME_MAX];
    if (t) {
        wf_thread_name(t, name);
        fprintf(stderr, "weft: fatal: thread %llu \"%s\": %s\n",
                (unsigned long long)t->id, name, msg);
    }
    else
        fprintf(stderr, "weft: fatal: %s\n", msg);
    abort();
}

_Noreturn void wf_stack_overflow(const struct wf_thread *t, const char *how)
{
    /* May run in a signal handler on the alternate stack: write(2) only. */
    char msg[256], name[WEFT_NAME_MAX];
    wf_thread_name(t, name);
    int n = snprintf(msg, sizeof msg,
                     "weft: stack overflow in thread %llu \"%s\" (stack size %zu bytes%s): %s\n",
                     (unsigned long long)t->id, name, t->stack.size,
                     t->stack.guarded ? ", guard page" : ", no guard page", how);
    wf_sys3(SYS_write, 2, (long)msg, n); /* raw: libweft-pthread exports write */
    abort();
}

struct wf_thread *wf_thread_lock_handle(weft_t h)
{
    struct wf_thread *t = wf_slot_get(h);
    if (!t)
        return NULL;
    wf_spin_lock(&t->join_lock);
    if (atomic_load_explicit(&t->gen, memory_order_relaxed) != (uint32_t)(h >> 32) ||
        atomic_load_explicit(&t->state, memory_order_relaxed) == WF_FREE) {
        wf_spin_unlock(&t->join_lock);
        return NULL;
    }
    return t;
}

/* Precondition: t->join_lock held, t ended and is not needed any more.
 * Kills the handle, then returns the record. */
static void release(struct wf_thread *t)
{
    atomic_fetch_add_explicit(&t->gen, 1, memory_order_relaxed);
    atomic_store_explicit(&t->state, WF_FREE, memory_order_relaxed);
    t->joiner = NULL;
    wf_spin_unlock(&t->join_lock);
    wf_group_leave(t->group);
    wf_slot_free(t);
}

static int stack_kind(const weft_attr_t *a, size_t *size)
{
    *size = a ? a->stacksize : WEFT_STACK_DEFAULT;
    if (!a)
        return WF_STACK_POOL;
    if (a->flags & WF_ATTR_USERSTACK)
        return WF_STACK_USER;
    if (a->flags & WF_ATTR_SMALL)
        return WF_STACK_SMALL;
    return a->stacksize == WEFT_STACK_DEFAULT ? WF_STACK_POOL : WF_STACK_MAP;
}

int weft_create(weft_t *out, const weft_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!out || !fn || (attr && !wf_attr_valid(attr)))
        return EINVAL;
    struct wf_thread *self = wf_self();
    if (__builtin_expect(atomic_load_explicit(&wf_rt.fork_restart, memory_order_relaxed), 0))
        wf_fork_restart(); /* a forked child's first thread (core/fork.c) */
    struct wf_group *g = self->group;
    uint64_t id = wf_id_next();
    int newgroup = attr && (attr->flags & WF_ATTR_NEWGROUP);
    if (newgroup && !(g = wf_group_new(id, g, 0)))
        return EAGAIN;
    int rc = wf_group_join(g);
    if (newgroup)
        wf_group_put(g); /* the member's reference keeps it now */
    if (rc)
        return rc;
    struct wf_thread *t = wf_slot_alloc();
    if (!t) {
        wf_group_leave(g);
        return EAGAIN;
    }
    size_t size;
    int kind = stack_kind(attr, &size);
    if ((rc = wf_stack_alloc(&t->stack, kind, size, attr ? attr->stackaddr : NULL))) {
        wf_slot_free(t);
        wf_group_leave(g);
        return rc;
    }
    t->id = id;
    t->group = g;
    t->prio = (uint8_t)(attr ? attr->priority : WEFT_PRIO_DEFAULT);
    atomic_store_explicit(&t->prio_want, t->prio, memory_order_relaxed);
    t->flags = 0;
    t->in_expired = 0;
    t->detached = attr && (attr->flags & WF_ATTR_DETACHED);
    t->preempt_off = 0;
    t->preempt_never = attr && (attr->flags & WF_ATTR_NOPREEMPT);
    t->slice_start = atomic_load_explicit(&wf_rt.jiffies, memory_order_relaxed);
    t->saved_errno = 0;
    atomic_store_explicit(&t->wait_lock, NULL, memory_order_relaxed);
    atomic_store_explicit(&t->wchan_kind, NULL, memory_order_relaxed);
    t->wchan = NULL;
    t->wq = NULL;
    t->timer.deadline = 0;
    t->timer.heap = NULL;
    t->joiner = NULL;
    t->result = NULL;
    t->fn = fn;
    t->arg = arg;
    t->host_tid = 0;
    t->asan_fake_stack = NULL;
    wf_intr_init(t);
    t->specific = NULL;
    t->io_timeout = 0;
    /* t->posix stays: the pthread layer keeps one record per slot and
     * knows a stale one by its thread id (src/posix/posix.h). */
    /* No name: dumps and getname show "weft-<id>" (formatting it here would
     * cost more than the rest of weft_create). */
    t->named = attr && attr->name[0];
    if (t->named)
        memcpy(t->name, attr->name, WEFT_NAME_MAX);
    void *adopt = attr && (attr->flags & WF_ATTR_TLS_ADOPT) ? (void *)(uintptr_t)attr->reserved[0] : NULL;
    if ((rc = wf_tls_prepare(t, wf_attr_tls(attr), adopt))) {
        wf_stack_free(&t->stack);
        wf_slot_free(t);
        wf_group_leave(g);
        return rc;
    }
    t->sp = wf_arch_frame_init(t->stack.lo + t->stack.size);
    wf_san_thread_new(t);
    *out = wf_handle(t);
    wf_sched_start(t);
    return 0;
}

static const char join_kind[] = "join";

/* t waits to join self. Read without self's join_lock (taking it here,
 * under t's, would break the lock order): a join that t starts at this
 * very moment is missed, and both wait, as with glibc's same check. */
static int joining_me(struct wf_thread *self, struct wf_thread *t)
{
    wf_san_racy_reads_begin();
    int yes = self->joiner == t;
    wf_san_racy_reads_end();
    return yes;
}

int weft_join(weft_t h, void **result)
{
    return wf_join(h, result, 0);
}

int wf_join(weft_t h, void **result, uint64_t deadline)
{
    struct wf_thread *self = wf_self();
    for (;;) {
        struct wf_thread *t = wf_thread_lock_handle(h);
        if (!t)
            return ESRCH;
        int rc = 0;
        if (t == self)
            rc = EDEADLK;
        else if ((t->flags & (WF_TF_BOUND | WF_TF_DAEMON)) || t->detached || t->joiner)
            rc = EINVAL;
        else if (joining_me(self, t))
            rc = EDEADLK; /* t is joining us: neither would ever return */
        if (rc) {
            wf_spin_unlock(&t->join_lock);
            return rc;
        }
        if (atomic_load_explicit(&t->state, memory_order_relaxed) != WF_EXITED) {
            if (deadline == WF_JOIN_TRY) {
                wf_spin_unlock(&t->join_lock);
                return EBUSY;
            }
            if (deadline && wf_host_now() >= deadline) {
                wf_spin_unlock(&t->join_lock);
                return ETIMEDOUT;
            }
            atomic_store_explicit(&self->wait_lock, &t->join_lock, memory_order_relaxed);
            if (wf_wait_begin(self, deadline, WF_WAIT_CANCEL)) {
                wf_spin_unlock(&t->join_lock);
                wf_wait_done(self, 0);
                wf_safe_point(WF_WAIT_CANCEL);
                continue;
            }
            t->joiner = self;
            self->wq = NULL;
            self->wchan = t;
            atomic_store_explicit(&self->wchan_kind, join_kind, memory_order_relaxed);
            self->wake_reason = WF_WAKE_NONE;
            atomic_store_explicit(&self->state, WF_BLOCKED, memory_order_relaxed);
            wf_park(self, &t->join_lock);
            wf_wait_done(self, deadline);
            wf_spin_lock(&t->join_lock);
            if (self->wake_reason == WF_WAKE_TIMEDOUT) {
                if (t->joiner == self)
                    t->joiner = NULL;
                if (atomic_load_explicit(&t->state, memory_order_relaxed) != WF_EXITED) {
                    wf_spin_unlock(&t->join_lock);
                    return ETIMEDOUT;
                }
                /* it ended just as the time ran out: the join completes */
            }
            if (self->wake_reason == WF_WAKE_INTERRUPTED) {
                /* Undo: t cannot have been released while we were its
                 * joiner, so the record is still t. */
                if (t->joiner == self)
                    t->joiner = NULL;
                if (atomic_load_explicit(&t->state, memory_order_relaxed) != WF_EXITED) {
                    wf_spin_unlock(&t->join_lock);
                    wf_safe_point(WF_WAIT_CANCEL);
                    continue;
                }
                /* it ended meanwhile: the join completes */
            }
        }
        if (result)
            *result = t->result;
        release(t);
        return 0;
    }
}

int weft_detach(weft_t h)
{
    wf_runtime_start_fast();
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    if ((t->flags & (WF_TF_BOUND | WF_TF_DAEMON)) || t->detached || t->joiner) {
        wf_spin_unlock(&t->join_lock);
        return EINVAL;
    }
    if (atomic_load_explicit(&t->state, memory_order_relaxed) == WF_EXITED) {
        release(t);
        return 0;
    }
    t->detached = 1;
    wf_spin_unlock(&t->join_lock);
    return 0;
}

const struct wf_posix_hooks *_Atomic wf_posix_hooks;

/* The pthread layer's end of a thread: after the key destructors. */
void wf_posix_exit(struct wf_thread *self)
{
    const struct wf_posix_hooks *h = atomic_load_explicit(&wf_posix_hooks, memory_order_acquire);
    if (h && self->posix)
        h->exit(self);
}

_Noreturn void weft_exit(void *result)
{
    struct wf_thread *self = wf_self();
    wf_intr_exit(self); /* cleanup handlers first, then key destructors */
    if (self->tls)
        wf_tls_thread_exit(self); /* thread_local destructors, as glibc: before keys */
    wf_keys_exit(self);
    wf_posix_exit(self);
    if (self->flags & WF_TF_BOUND)
        wf_real()->pthread_exit(result);
    wf_spin_lock(&self->join_lock);
    self->result = result;
    atomic_store_explicit(&self->state, WF_EXITED, memory_order_relaxed);
    /* A joiner that was interrupted (cancel, suspend) is no longer parked
     * but still named here until it relocks join_lock to undo its wait. */
    struct wf_thread *j = self->joiner;
    if (j && atomic_load_explicit(&j->state, memory_order_relaxed) == WF_BLOCKED)
        wf_unpark(j, WF_WAKE_SIGNALED);
    wf_sched_exit(self);
}

weft_t weft_self(void)
{
    return wf_handle(wf_self());
}

int weft_equal(weft_t a, weft_t b)
{
    return a == b;
}

int weft_getid(weft_t h, uint64_t *id)
{
    wf_runtime_start_fast();
    if (!id)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    *id = t->id;
    wf_spin_unlock(&t->join_lock);
    return 0;
}

int weft_setname(weft_t h, const char *name)
{
    wf_runtime_start_fast();
    if (!name)
        return EINVAL;
    size_t n = strlen(name);
    if (n >= WEFT_NAME_MAX)
        return ERANGE;
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    memcpy(t->name, name, n + 1);
    t->named = 1;
    wf_spin_unlock(&t->join_lock);
    return 0;
}

int weft_getname(weft_t h, char *buf, size_t len)
{
    wf_runtime_start_fast();
    if (!buf)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    char name[WEFT_NAME_MAX];
    wf_thread_name(t, name);
    size_t n = strlen(name);
    int rc = 0;
    if (n >= len)
        rc = ERANGE;
    else
        memcpy(buf, name, n + 1);
    wf_spin_unlock(&t->join_lock);
    return rc;
}

int weft_setpriority(weft_t h, int prio)
{
    wf_runtime_start_fast();
    if (prio < WEFT_PRIO_MIN || prio > WEFT_PRIO_MAX)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    /* prio is written only under the lock of the queue holding the thread,
     * or when it is next queued (wf_rq_push takes prio_want): a thief or
     * waker may be queueing it right now under another lock. Bound threads
     * are never queued. */
    atomic_store_explicit(&t->prio_want, prio, memory_order_relaxed);
    if (t->flags & WF_TF_BOUND)
        t->prio = (uint8_t)prio;
    struct wf_rq *rq = atomic_load_explicit(&t->rq_on, memory_order_relaxed);
    if (rq) {
        wf_spin_lock(&rq->lock);
        if (atomic_load_explicit(&t->rq_on, memory_order_relaxed) == rq && t->prio != prio &&
            !t->rq_arr) {
            t->prio = (uint8_t)prio; /* in the next slot: no FIFO to move between */
        } else if (atomic_load_explicit(&t->rq_on, memory_order_relaxed) == rq &&
                   t->prio != prio) {
            struct wf_prio_array *arr = t->rq_arr;
            struct wf_fifo *f = &arr->fifo[t->prio];
            struct wf_thread **pp = &f->head, *prev = NULL;
            while (*pp != t) {
                prev = *pp;
                pp = &prev->rq_next;
            }
            *pp = t->rq_next;
            if (f->tail == t)
                f->tail = prev;
            if (!f->head)
                arr->bitmap &= ~(1u << t->prio);
            t->prio = (uint8_t)prio;
            wf_fifo_push(arr, t);
        }
        wf_spin_unlock(&rq->lock);
    }
    wf_spin_unlock(&t->join_lock);
    return 0;
}

int weft_getpriority(weft_t h, int *prio)
{
    wf_runtime_start_fast();
    if (!prio)
        return EINVAL;
    struct wf_thread *t = wf_thread_lock_handle(h);
    if (!t)
        return ESRCH;
    *prio = atomic_load_explicit(&t->prio_want, memory_order_relaxed);
    wf_spin_unlock(&t->join_lock);
    return 0;
}
