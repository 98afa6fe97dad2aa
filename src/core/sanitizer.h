/* sanitizer.h - tell AddressSanitizer and ThreadSanitizer about stack
 * switches through their fiber APIs; nothing in a normal build. */
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

#endif
