/* sanitizer.h - tell AddressSanitizer and ThreadSanitizer about stack
 * switches through their fiber APIs; nothing in a normal build. Valgrind
 * learns of every thread stack when it is handed out and given back
 * (client requests: a few instructions outside valgrind, none of them on
 * the switch path), when <valgrind/valgrind.h> was there at build time. */
#ifndef WF_SANITIZER_H
#define WF_SANITIZER_H

#include "core/thread.h"

#if defined(__SANITIZE_ADDRESS__)
#define WF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WF_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WF_TSAN 1
#endif
#endif

#ifdef WF_ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef WF_HAVE_VALGRIND
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif
#ifdef WF_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* Before switching from self to next; self_dying: self never runs again. */
static inline void wf_san_before(struct wf_thread *self, struct wf_thread *next, int self_dying)
{
#ifdef WF_ASAN
    __sanitizer_start_switch_fiber(self_dying ? NULL : &self->asan_fake_stack,
                                   next->stack.lo, next->stack.size);
#endif
#ifdef WF_TSAN
    __tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
    (void)self; (void)next; (void)self_dying;
}

/* First thing after a switch lands in self. */
static inline void wf_san_after(struct wf_thread *self)
{
#ifdef WF_ASAN
    __sanitizer_finish_switch_fiber(self->asan_fake_stack, NULL, NULL);
#endif
    (void)self;
}

static inline void wf_san_thread_new(struct wf_thread *t)
{
#ifdef WF_TSAN
    t->tsan_fiber = __tsan_create_fiber(0);
#endif
    (void)t;
}

static inline void wf_san_thread_host(struct wf_thread *t)
{
#ifdef WF_TSAN
    t->tsan_fiber = __tsan_get_current_fiber();
#endif
    (void)t;
}

static inline void wf_san_thread_gone(struct wf_thread *t)
{
#ifdef WF_TSAN
    if (t->tsan_fiber)
        __tsan_destroy_fiber(t->tsan_fiber);
    t->tsan_fiber = NULL;
#endif
    (void)t;
}

#ifdef WF_TSAN
/* Exported by the TSan runtime (its dynamic annotations). */
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#endif

/* Reads that race with their writers on purpose: dumps and debuggers take
 * a snapshot of thread records without stopping anyone. */
static inline void wf_san_racy_reads_begin(void)
{
#ifdef WF_TSAN
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
#endif
}

static inline void wf_san_racy_reads_end(void)
{
#ifdef WF_TSAN
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
}

/* A stack is handed to a new thread: forget poisoning left by the last. */
static inline void wf_san_stack_reuse(void *lo, size_t size)
{
#ifdef WF_ASAN
    __asan_unpoison_memory_region(lo, size);
#endif
    (void)lo; (void)size;
}

/* A stack is handed to a thread: memcheck would take the first switch onto
 * it for a huge stack change (and report accesses below the old SP).
 * vg_id is valgrind's id + 1 (its ids start at 0), 0 when not registered;
 * outside valgrind the request returns 0, so 1 is stored, harmlessly. */
static inline void wf_san_stack_register(struct wf_stack *s)
{
#ifdef WF_HAVE_VALGRIND
    s->vg_id = (unsigned)VALGRIND_STACK_REGISTER(s->lo, s->lo + s->size) + 1;
#else
    s->vg_id = 0;
#endif
}

/* A stack is given back (cached or unmapped). A user stack goes back to
 * its owner, who may read or free it: memcheck marked what the thread's
 * returns popped as no-access, so its bytes are made ordinary memory again. */
static inline void wf_san_stack_deregister(struct wf_stack *s)
{
#ifdef WF_HAVE_VALGRIND
    if (s->vg_id) {
        VALGRIND_STACK_DEREGISTER(s->vg_id - 1);
        if (s->kind == WF_STACK_USER)
            VALGRIND_MAKE_MEM_DEFINED(s->lo, s->size);
    }
#endif
    s->vg_id = 0;
}

#endif
