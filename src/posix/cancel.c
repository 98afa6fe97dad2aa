/* cancel.c - cancellation and thread exit the way glibc programs expect.
 *
 * pthread_cleanup_push/pop are macros in <pthread.h>. Compiled as plain C
 * they put a __pthread_unwind_buf_t on the stack, __sigsetjmp into it and
 * register it with __pthread_register_cancel; on cancellation or
 * pthread_exit the library longjmps into it, the macro runs the handler
 * and calls __pthread_unwind_next to go on outwards. Compiled as C++, or
 * as C with -fexceptions, the handler is a destructor or a cleanup
 * attribute, which only a stack unwind runs. So, like glibc, an exit
 * here is a forced unwind (_Unwind_ForcedUnwind, from libgcc_s, which
 * glibc loads the same way): it runs destructors frame by frame, and its
 * stop function longjmps into each registered buffer as the unwind
 * reaches the frame that holds it. At the bottom of the thread's stack
 * (wf_arch_start marks the end of the unwind data) the thread ends with
 * weft_exit. Without libgcc_s the buffers still run, by plain longjmps.
 *
 * The weft thread's own cleanup handlers (weft_cleanup_push) live in the
 * frames too: they run as the unwind leaves their frames, in stack order
 * with the old-style glibc ones (weft_exit would find them overwritten). */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "core/runtime.h"
#include "posix/posix.h"
#include "weft/thread.h"

/* glibc's struct pthread_unwind_buf: what the macros allocate as
 * __pthread_unwind_buf_t, with its private words named. */
struct wp_cancel_buf {
    struct {
        __jmp_buf jmp_buf;
        int mask_was_saved;
    } cancel_jmp_buf[1];
    union {
        void *pad[4];
        struct {
            struct wp_cancel_buf *prev;
            struct _pthread_cleanup_buffer *cleanup;
            int canceltype;
        } data;
    } priv;
};
_Static_assert(sizeof(struct wp_cancel_buf) == sizeof(__pthread_unwind_buf_t),
               "glibc's __pthread_unwind_buf_t layout");

/* ---- the stack pointer saved in a jmp_buf -------------------------------
 * glibc mangles it with the process's pointer guard (%fs:0x30 in the TCB,
 * the same value in every host thread): rol 17 after xor. */
#define JB_RSP 6

static uintptr_t jmpbuf_sp(const __jmp_buf jb)
{
    uintptr_t guard, v = (uintptr_t)jb[JB_RSP];
    __asm__("mov %%fs:0x30, %0" : "=r"(guard));
    v = (v >> 0x11) | (v << (64 - 0x11));
    return v ^ guard;
}

/* The top of the caller's stack: comparisons are made relative to it so
 * that "deeper" means "smaller" wherever the stack lies. */
static uintptr_t stack_top(void)
{
    struct wf_thread *t = wf_self();
    return (uintptr_t)t->stack.lo + t->stack.size;
}

/* The frame at `addr` is unwound before (is deeper than) the one whose
 * stack pointer is `sp`. */
static int deeper(uintptr_t addr, uintptr_t sp, uintptr_t adj)
{
    return addr - adj < sp - adj;
}

/* ---- libgcc's unwinder, found at run time ----------------------------- */
typedef _Unwind_Reason_Code (*forced_unwind_fn)(struct _Unwind_Exception *, _Unwind_Stop_Fn,
                                                void *);
typedef _Unwind_Word (*get_cfa_fn)(struct _Unwind_Context *);
static forced_unwind_fn forced_unwind;
static get_cfa_fn get_cfa;
static int unwinder_state; /* 0 not looked up, 1 found, -1 missing */

static int unwinder(void)
{
    int s = __atomic_load_n(&unwinder_state, __ATOMIC_ACQUIRE);
    if (s)
        return s > 0;
    void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
    void *fu = h ? dlsym(h, "_Unwind_ForcedUnwind") : NULL;
    void *gc = h ? dlsym(h, "_Unwind_GetCFA") : NULL;
    if (fu && gc) {
        *(void **)&forced_unwind = fu;
        *(void **)&get_cfa = gc;
    }
    __atomic_store_n(&unwinder_state, fu && gc ? 1 : -1, __ATOMIC_RELEASE);
    return fu && gc;
}

/* ---- ending the thread ------------------------------------------------ */
static _Noreturn void finish(struct wp_thread *r)
{
    r->cancel_buf = NULL;
    r->cleanup_old = NULL;
    weft_exit(r->exit_result);
}

/* Run the handlers kept in lists rather than in jmp_bufs - old-style
 * glibc ones (_pthread_cleanup_push) and weft's (weft_cleanup_push) - that
 * live in frames deeper than `limit` (all of them for limit 0), deepest
 * first. */
static void run_old(struct wp_thread *r, uintptr_t limit, uintptr_t adj)
{
    struct wf_thread *self = wf_self();
    for (;;) {
        struct _pthread_cleanup_buffer *c = r->cleanup_old;
        struct weft_cleanup *w = self->cleanup;
        if (c && limit && !deeper((uintptr_t)c, limit, adj))
            c = NULL;
        if (w && limit && !deeper((uintptr_t)w, limit, adj))
            w = NULL;
        if (c && w && deeper((uintptr_t)w, (uintptr_t)c, adj))
            c = NULL; /* w is the deeper one: first */
        if (c) {
            r->cleanup_old = c->__prev;
            if (c->__routine)
                c->__routine(c->__arg);
        } else if (w) {
            self->cleanup = w->prev;
            if (w->fn)
                w->fn(w->arg);
        } else {
            return;
        }
    }
}

/* The buffer is a jmp_buf without the signal mask (the macros set it up
 * with savemask 0), so longjmp reads only its first 72 bytes. */
static _Noreturn void jump_to(struct wp_cancel_buf *b)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
    longjmp((struct __jmp_buf_tag *)(void *)b->cancel_jmp_buf, 1);
#pragma GCC diagnostic pop
}

static _Unwind_Reason_Code stop(int version, _Unwind_Action actions,
                                _Unwind_Exception_Class cls, struct _Unwind_Exception *exc,
                                struct _Unwind_Context *ctx, void *param)
{
    (void)version;
    (void)cls;
    (void)exc;
    struct wp_thread *r = param;
    struct wp_cancel_buf *b = r->cancel_buf;
    uintptr_t adj = stack_top();
    int end = (actions & _UA_END_OF_STACK) != 0;
    uintptr_t cfa = end ? 0 : (uintptr_t)get_cfa(ctx);
    int at_buf = b && (end || !deeper(cfa, jmpbuf_sp(b->cancel_jmp_buf[0].jmp_buf), adj));
    if (at_buf) {
        run_old(r, jmpbuf_sp(b->cancel_jmp_buf[0].jmp_buf), adj);
        jump_to(b);
    }
    run_old(r, end ? 0 : cfa, adj);
    if (end)
        finish(r);
    return _URC_NO_REASON;
}

static void exc_cleanup(_Unwind_Reason_Code reason, struct _Unwind_Exception *exc)
{
    (void)reason;
    (void)exc;
}

/* Unwind from here to the next cleanup buffer, or to the bottom. */
static _Noreturn void unwind(struct wp_thread *r)
{
    if (unwinder()) {
        if (!r->unwind_exc && !(r->unwind_exc = aligned_alloc(16, 64)))
            goto by_longjmp;
        struct _Unwind_Exception *e = r->unwind_exc;
        memset(e, 0, sizeof *e);
        memcpy(&e->exception_class, "WEFT\0PTH", 8);
        e->exception_cleanup = exc_cleanup;
        forced_unwind(e, stop, r);
        /* It returns only if the unwind data ran out oddly: go on below. */
    }
by_longjmp:
    if (r->cancel_buf) {
        run_old(r, jmpbuf_sp(r->cancel_buf->cancel_jmp_buf[0].jmp_buf), stack_top());
        jump_to(r->cancel_buf);
    }
    run_old(r, 0, 0);
    finish(r);
}

/* The thread ends with result: run its cleanup as glibc would, then
 * weft_exit. Called by pthread_exit and by the core when a cancel acts. */
_Noreturn void wp_exit(struct wp_thread *r, void *result)
{
    /* An exiting thread is no longer cancellable: handlers that reach a
     * cancellation point run to the end. */
    weft_setcancelstate(WEFT_CANCEL_DISABLE, NULL);
    r->exit_result = result;
    r->unwinding = 1;
    unwind(r);
}

void wp_cancel_unwind(struct wf_thread *self, struct wp_thread *r, void *result)
{
    (void)self;
    if (r->unwinding)
        return; /* a cancel acting inside a handler: weft_exit goes on */
    wp_exit(r, result);
}

/* ---- what glibc's macros call ------------------------------------------ */
WP_EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t *buf)
{
    struct wp_thread *r = wp_self();
    struct wp_cancel_buf *b = (struct wp_cancel_buf *)buf;
    if (!r)
        abort(); /* no memory for the record: cannot keep the promise */
    b->priv.data.prev = r->cancel_buf;
    b->priv.data.cleanup = r->cleanup_old;
    r->cancel_buf = b;
}

WP_EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf)
{
    struct wp_thread *r = wp_self();
    r->cancel_buf = ((struct wp_cancel_buf *)buf)->priv.data.prev;
}

/* pthread_cleanup_push_defer_np: deferred cancellation while it is
 * pushed; the old type comes back at the pop. */
WP_EXPORT void __pthread_register_cancel_defer(__pthread_unwind_buf_t *buf)
{
    int old = WEFT_CANCEL_DEFERRED;
    __pthread_register_cancel(buf);
    weft_setcanceltype(WEFT_CANCEL_DEFERRED, &old);
    ((struct wp_cancel_buf *)buf)->priv.data.canceltype = old;
}

WP_EXPORT void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t *buf)
{
    __pthread_unregister_cancel(buf);
    int type = ((struct wp_cancel_buf *)buf)->priv.data.canceltype;
    if (type == WEFT_CANCEL_ASYNCHRONOUS)
        weft_setcanceltype(type, NULL);
}

/* After a buffer's handler ran: on to the next one outwards. */
WP_EXPORT _Noreturn void __pthread_unwind_next(__pthread_unwind_buf_t *buf)
{
    struct wp_thread *r = wp_self();
    r->cancel_buf = ((struct wp_cancel_buf *)buf)->priv.data.prev;
    unwind(r);
}

/* The pre-2.3.3 ABI, still in old binaries (and glibc's own headers under
 * some configurations). */
WP_EXPORT void _pthread_cleanup_push(struct _pthread_cleanup_buffer *buf, void (*fn)(void *),
                                     void *arg)
{
    struct wp_thread *r = wp_self();
    if (!r)
        abort();
    buf->__routine = fn;
    buf->__arg = arg;
    buf->__prev = r->cleanup_old;
    r->cleanup_old = buf;
}

WP_EXPORT void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *buf, int execute)
{
    struct wp_thread *r = wp_self();
    r->cleanup_old = buf->__prev;
    if (execute && buf->__routine)
        buf->__routine(buf->__arg);
}

WP_EXPORT void _pthread_cleanup_push_defer(struct _pthread_cleanup_buffer *buf,
                                           void (*fn)(void *), void *arg)
{
    int old = WEFT_CANCEL_DEFERRED;
    _pthread_cleanup_push(buf, fn, arg);
    weft_setcanceltype(WEFT_CANCEL_DEFERRED, &old);
    buf->__canceltype = old;
}

WP_EXPORT void _pthread_cleanup_pop_restore(struct _pthread_cleanup_buffer *buf, int execute)
{
    int type = buf->__canceltype;
    _pthread_cleanup_pop(buf, execute);
    if (type == WEFT_CANCEL_ASYNCHRONOUS)
        weft_setcanceltype(type, NULL);
}

/* ---- the calls ---------------------------------------------------------- */
WP_EXPORT int pthread_cancel(pthread_t t)
{
    return weft_cancel((weft_t)t);
}

WP_EXPORT int pthread_setcancelstate(int state, int *old)
{
    if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
        return EINVAL;
    _Static_assert((int)PTHREAD_CANCEL_ENABLE == (int)WEFT_CANCEL_ENABLE &&
                       (int)PTHREAD_CANCEL_DISABLE == (int)WEFT_CANCEL_DISABLE,
                   "cancel states");
    return weft_setcancelstate(state, old);
}

WP_EXPORT int pthread_setcanceltype(int type, int *old)
{
    if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
        return EINVAL;
    _Static_assert((int)PTHREAD_CANCEL_DEFERRED == (int)WEFT_CANCEL_DEFERRED &&
                       (int)PTHREAD_CANCEL_ASYNCHRONOUS == (int)WEFT_CANCEL_ASYNCHRONOUS,
                   "cancel types");
    return weft_setcanceltype(type, old);
}

WP_EXPORT void pthread_testcancel(void)
{
    weft_testcancel();
}

_Static_assert(PTHREAD_CANCELED == WEFT_CANCELED, "PTHREAD_CANCELED");

int wp_nocancel_begin(void)
{
    int old = WEFT_CANCEL_ENABLE;
    weft_setcancelstate(WEFT_CANCEL_DISABLE, &old);
    return old;
}

void wp_nocancel_end(int old)
{
    weft_setcancelstate(old, NULL);
}
