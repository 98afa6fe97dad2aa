/* stack.h - thread stacks: pooled default stacks (lazily committed, guard
 * page while the map budget lasts), stacks of other sizes, small stacks
 * that share pages, user stacks. Every stack has a canary at its low end,
 * checked each time its thread switches away. */
#ifndef WF_STACK_H
#define WF_STACK_H

#include <stddef.h>
#include <stdint.h>

enum wf_stack_kind {
    WF_STACK_POOL,  /* default size, from a chunk, cached for reuse */
    WF_STACK_MAP,   /* other size: its own mapping, unmapped when done */
    WF_STACK_SMALL, /* < WEFT_STACK_MIN: carved from a slab, cached by class */
    WF_STACK_USER,  /* supplied by the user; never freed by weft */
    WF_STACK_HOST,  /* a host thread's own stack (bound threads, vCPU idle) */
};

struct wf_stack {
    char *lo;          /* lowest usable byte; the canary lives here */
    size_t size;       /* usable bytes from lo */
    uint64_t canary;   /* expected value of *(uint64_t *)lo */
    uint8_t kind;
    uint8_t guarded;   /* a PROT_NONE page sits just below lo */
    unsigned vg_id;    /* valgrind's stack id + 1 while registered (sanitizer.h) */
};

struct wf_vcpu;

/* Allocate a stack of kind/size for a new thread. 0 or EAGAIN. */
int wf_stack_alloc(struct wf_stack *s, int kind, size_t size, void *user);
void wf_stack_free(struct wf_stack *s);
/* Nonzero when the canary is intact. */
static inline int wf_stack_intact(const struct wf_stack *s)
{
    return s->kind == WF_STACK_HOST || *(const volatile uint64_t *)s->lo == s->canary;
}
/* The thread whose guard page holds addr, if any (fault handler). */
int wf_stack_in_guard(const struct wf_stack *s, const void *addr);
/* Setup: the guard budget (-1: none, 0: default). */
void wf_stack_init(long guard_pages);
/* Give back the pages of cached stacks that stayed unused since the last
 * call, beyond a reserve (the timer daemon calls it periodically). */
void wf_stack_trim(void);

/* For weft_dump and tests. */
struct wf_stack_stats {
    uint64_t mapped_bytes, cached, guards_used;
    long guard_budget;
};
void wf_stack_stats(struct wf_stack_stats *st);

#endif
