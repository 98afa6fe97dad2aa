/* tls.c - thread-local storage per weft thread.
 *
 * A weft thread in WEFT_TLS_OWN mode runs with a thread pointer of its own:
 * a block laid out as glibc lays out a thread's (static TLS of every module
 * below a struct pthread, a DTV for modules loaded by dlopen), installed by
 * the switch (sched.c: one wrfsbase when the pointer changes). So __thread
 * variables, C++ thread_local, errno, the locale, malloc's per-thread cache
 * and the resolver's state belong to the weft thread wherever it runs, and
 * a TLS address a compiler keeps across a switch stays right after a
 * migration. A thread in WEFT_TLS_SHARED mode uses its vCPU's block, as
 * before; the switch saves and restores only errno for it.
 *
 * WHERE THE BLOCK COMES FROM
 * glibc's dynamic loader makes it: _dl_allocate_tls(NULL) allocates the
 * static TLS area and the TCB, fills every module's static block from its
 * template and builds the DTV, exactly as for a pthread (so __tls_get_addr
 * later finds dlopen'd modules' blocks through it). weft then fills the TCB
 * fields that code reads through %fs (tls_glibc.h): self pointers, canary
 * and pointer guard copied from a host thread, a distinct fake tid, the
 * stack bounds, rseq's cpu id marked unregistered (sched_getcpu then asks
 * the kernel), a self-linked list entry so that fork's child can unlink it.
 *
 * A block stays with its thread record (slot) when the thread ends, and
 * the slot's next thread gets it re-initialised: every module's static
 * block but libc's own is copied from its template again, dynamic blocks
 * are freed, and at the thread's start errno, the locale and the resolver
 * pointer (the libc parts that must start fresh) are reset on the thread.
 * libc's block keeps malloc's per-thread cache and arena: glibc frees them
 * in its thread exit path through a call it does not export, so a block
 * that was freed would leak them; kept, the next thread reuses them. The
 * cost: blocks follow the peak number of live TLS threads, as records do.
 *
 * WHAT IS LEFT OUT (docs/tls.md): a module that dlopen places in static
 * TLS (initial-exec TLS in a dlopen'd library) is initialised only in
 * blocks made after it was loaded; glibc's set*id broadcast and dlclose's
 * wait for lookups in flight know only glibc's own threads; anything that
 * asks the kernel for the thread id (gettid) sees the vCPU's.
 *
 * Own TLS is offered only on glibc 2.36 (the offsets' version), after the
 * calling host thread's TCB matched them, and never under ThreadSanitizer
 * (its per-thread state lives in TLS: a fresh block has none). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/spinlock.h"
#include "core/thread.h"
#include "core/tls.h"
#include "core/tls_glibc.h"
#include "host/host.h"
#include "host/sys.h"

#define MAX_MODULES 64
#define RSEQ_SIG 0x53053053
#define RSEQ_AREA_LEN 32 /* glibc registers sizeof (struct rseq_area) */
#define RSEQ_FLAG_UNREGISTER 1

int wf_tls_ok;
int wf_tls_default = WEFT_TLS_SHARED;
static const char *why_not = "not initialised";

/* glibc's, found by name: GLIBC_PRIVATE symbols, so that a glibc without
 * them turns own TLS off instead of failing to load weft. */
static void *(*allocate_tls)(void *mem);
static void (*call_tls_dtors)(void);

/* A module's static TLS block: at tp - off, filesz bytes from image, the
 * rest of memsz zero. libc's own is not listed (see the top). */
static struct module {
    uintptr_t off;
    const void *image;
    size_t filesz, memsz;
} modules[MAX_MODULES];
static int nmodules;
static size_t static_size;       /* static TLS area with the TCB */
static uintptr_t resp_off;       /* tp - &__resp, 0 if unknown */
static long rseq_off = -1;       /* tp - rseq area, -1 if unknown */
static int rseq_registered;      /* glibc registered rseq for its threads */

/* Header words copied from the host thread that ran wf_tls_init. */
static int multiple_threads;
static uintptr_t sysinfo, stack_guard, pointer_guard;
static unsigned feature_1;

/* Every block made, so that leak checkers that scan only the heap and
 * globals (LeakSanitizer) see them reachable: records live in mmap'd
 * memory those checkers do not scan. */
static struct {
    wf_spinlock_t lock; /* guards the rest */
    void **v;
    size_t n, cap;
} made;

#define AT(tp, off, type) (*(type *)((char *)(tp) + (off)))

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t tp = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS || !info->dlpi_tls_data)
            continue;
        uintptr_t data = (uintptr_t)info->dlpi_tls_data;
        if (data >= tp || tp - data > static_size)
            continue; /* a dynamic block: the DTV reset handles those */
        uintptr_t errno_at = (uintptr_t)&errno;
        if (errno_at >= data && errno_at < data + ph->p_memsz)
            continue; /* libc's own */
        if (nmodules == MAX_MODULES)
            return 1;
        modules[nmodules++] = (struct module){tp - data, (const void *)(info->dlpi_addr + ph->p_vaddr),
                                              ph->p_filesz, ph->p_memsz};
    }
    return 0;
}

static const char *check(void)
{
#ifdef WF_TSAN
    return "ThreadSanitizer keeps its thread state in TLS";
#endif
    if (strcmp(gnu_get_libc_version(), GL_VERSION))
        return "the C library is not glibc " GL_VERSION;
    void (*static_info)(size_t *, size_t *);
    *(void **)&static_info = dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
    *(void **)&allocate_tls = dlsym(RTLD_DEFAULT, "_dl_allocate_tls");
    *(void **)&call_tls_dtors = dlsym(RTLD_DEFAULT, "__call_tls_dtors");
    if (!static_info || !allocate_tls || !call_tls_dtors)
        return "glibc's TLS allocator is not reachable (a static program?)";
    size_t align;
    static_info(&static_size, &align);
    char *tp = wf_arch_tp();
    if (static_size < GL_TCB_SIZE || AT(tp, GL_SELF, char *) != tp ||
        AT(tp, GL_TID, int) != wf_host_tid())
        return "the thread control block does not match glibc " GL_VERSION "'s layout";
    wf_arch_tp_probe();
    multiple_threads = AT(tp, GL_MULTIPLE_THREADS, int);
    sysinfo = AT(tp, GL_SYSINFO, uintptr_t);
    stack_guard = AT(tp, GL_STACK_GUARD, uintptr_t);
    pointer_guard = AT(tp, GL_POINTER_GUARD, uintptr_t);
    feature_1 = AT(tp, GL_FEATURE_1, unsigned);
    void *resp = dlsym(RTLD_DEFAULT, "__resp"); /* a TLS symbol: this thread's */
    if (resp && (uintptr_t)resp < (uintptr_t)tp)
        resp_off = (uintptr_t)tp - (uintptr_t)resp;
    const long *rseq_offset = dlsym(RTLD_DEFAULT, "__rseq_offset");
    const unsigned *rseq_size = dlsym(RTLD_DEFAULT, "__rseq_size");
    /* The area's place is known even where registration failed (valgrind,
     * seccomp): glibc reads its cpu id there in every case. */
    if (rseq_offset)
        rseq_off = *rseq_offset;
    rseq_registered = rseq_size && *rseq_size;
    nmodules = 0;
    if (dl_iterate_phdr(add_module, tp))
        return "more modules with TLS than weft can track";
    return NULL;
}

int wf_tls_init(int cfg_mode)
{
    why_not = check();
    wf_tls_ok = !why_not;
    const char *env = getenv("WEFT_TLS");
    int mode = cfg_mode;
    int asked = mode == WEFT_TLS_OWN;
    if (!mode && env && *env) {
        mode = !strcmp(env, "own") || !strcmp(env, "1") ? WEFT_TLS_OWN : WEFT_TLS_SHARED;
        if (mode == WEFT_TLS_OWN && !wf_tls_ok)
            fprintf(stderr, "weft: WEFT_TLS=%s: threads share their vCPU's TLS: %s\n", env, why_not);
    }
    if (!mode)
        mode = &wf_tls_builtin_own ? WEFT_TLS_OWN : WEFT_TLS_SHARED;
    wf_tls_default = mode == WEFT_TLS_OWN && wf_tls_ok ? WEFT_TLS_OWN : WEFT_TLS_SHARED;
    return asked && !wf_tls_ok ? ENOTSUP : 0;
}

int weft_tls_supported(void)
{
    wf_runtime_start_fast();
    return wf_tls_ok;
}

static void remember(void *tp)
{
    wf_spin_lock(&made.lock);
    if (made.n == made.cap) {
        size_t cap = made.cap ? made.cap * 2 : 256;
        void **v = realloc(made.v, cap * sizeof *v);
        if (v) {
            made.v = v;
            made.cap = cap;
        }
    }
    if (made.n < made.cap)
        made.v[made.n++] = tp;
    wf_spin_unlock(&made.lock);
}

/* A new block, initialised by glibc, with the TCB header filled in. */
static char *block_new(void)
{
    char *tp = allocate_tls(NULL);
    if (!tp)
        return NULL;
    AT(tp, GL_TCB, void *) = tp;
    AT(tp, GL_SELF, void *) = tp;
    AT(tp, GL_MULTIPLE_THREADS, int) = multiple_threads;
    AT(tp, GL_SYSINFO, uintptr_t) = sysinfo;
    AT(tp, GL_STACK_GUARD, uintptr_t) = stack_guard;
    AT(tp, GL_POINTER_GUARD, uintptr_t) = pointer_guard;
    AT(tp, GL_FEATURE_1, unsigned) = feature_1;
    void **list = &AT(tp, GL_LIST, void *);
    list[0] = list[1] = list;
    AT(tp, GL_USER_STACK, _Bool) = 1;
    /* rseq cpu_id: unregistered. glibc's sched_getcpu then asks the
     * kernel, and its pthread_create, called from this thread, does not
     * make the new host thread register (it copies the creator's state:
     * a zero here would make it register, and fail fatally where the
     * kernel or valgrind refuses rseq). */
    if (rseq_off >= 0)
        AT(tp, rseq_off + 4, int32_t) = -1;
    remember(tp);
    return tp;
}

/* A block a thread used before: back to what a new one holds, but for
 * libc's module block (see the top). */
static void block_reset(char *tp)
{
    for (int i = 0; i < nmodules; i++) {
        char *b = tp - modules[i].off;
        memcpy(b, modules[i].image, modules[i].filesz);
        memset(b + modules[i].filesz, 0, modules[i].memsz - modules[i].filesz);
    }
    gl_dtv_t *dtv = AT(tp, GL_DTV, gl_dtv_t *);
    for (unsigned long i = 1; i <= dtv[-1].counter; i++) {
        char *val = dtv[i].pointer.val;
        if (val == GL_DTV_UNALLOCATED || (val < tp && val >= tp - static_size))
            continue; /* not allocated, or static */
        free(dtv[i].pointer.to_free);
        dtv[i].pointer.val = GL_DTV_UNALLOCATED;
        dtv[i].pointer.to_free = NULL;
    }
}

int wf_tls_prepare(struct wf_thread *t, int mode, void *adopt)
{
    t->tls = NULL;
    t->tls_adopted = 0;
    if (mode == WEFT_TLS_DEFAULT)
        mode = wf_tls_default;
    if (mode != WEFT_TLS_OWN)
        return 0;
    if (!wf_tls_ok)
        return ENOTSUP;
    if (adopt) {
        t->tls = adopt;
        t->tls_adopted = 1;
        return 0;
    }
    char *tp = t->tls_block;
    if (tp) {
        block_reset(tp);
    } else {
        if (!(tp = block_new()))
            return EAGAIN;
        t->tls_block = tp;
    }
    AT(tp, GL_TID, int) = GL_FAKE_TID_BASE + (int)t->slot;
    AT(tp, GL_STACKBLOCK, void *) = t->stack.lo;
    AT(tp, GL_STACKBLOCK_SIZE, size_t) = t->stack.size;
    AT(tp, GL_GUARDSIZE, size_t) = 0;
    t->tls = tp;
    return 0;
}

/* libc state that glibc sets up in a new thread and that block_reset
 * leaves alone, for the thread itself to reset. */
static void libc_thread_init(char *tp)
{
    errno = 0;
    uselocale(LC_GLOBAL_LOCALE); /* also the ctype tables' per-thread cache */
    if (resp_off)
        *(void **)(tp - resp_off) = tp + GL_RES;
}

void wf_tls_thread_start(struct wf_thread *self)
{
    if (!self->tls_adopted)
        libc_thread_init(self->tls);
}

void wf_tls_thread_exit(struct wf_thread *self)
{
    (void)self;
    call_tls_dtors(); /* C++ thread_local destructors, in reverse order */
}

void *wf_tls_host_detach(void)
{
    if (!wf_tls_ok)
        return NULL;
    char *old = wf_arch_tp();
    char *tp = block_new();
    if (!tp)
        return NULL;
    /* The old block keeps the kernel tid: glibc lists it as this host
     * thread's and signals that tid (tls_setxid.c). */
    AT(tp, GL_TID, int) = GL_FAKE_TID_BASE - 1;
    /* The kernel writes this host thread's cpu id into its rseq area; the
     * old block is someone else's now. */
    if (rseq_off >= 0 && rseq_registered &&
        !wf_sys6(SYS_rseq, (long)(old + rseq_off), RSEQ_AREA_LEN, RSEQ_FLAG_UNREGISTER, RSEQ_SIG, 0, 0))
        AT(old, rseq_off + 4, int32_t) = -1;
    struct wf_thread *me = wf_tls_self;
    wf_tls_host_main_tp = old;
    wf_tls_host_main = me;
    wf_arch_set_tp(tp);
    wf_tls_self = me;
    libc_thread_init(tp);
    return old;
}

/* Not inlined or analysed: glibc declares __errno_location const, so the
 * compiler could reuse one thread's errno address for another's. */
static __attribute__((noipa)) int *errno_here(void)
{
    return &errno;
}

void *wf_tls_enter_host(void)
{
    struct wf_thread *self = wf_tls_self;
    if (!self || !self->tls || !self->vcpu || (self->flags & WF_TF_BOUND))
        return NULL;
    struct wf_vcpu *v = self->vcpu;
    v->cur_tp = v->host_tp;
    wf_arch_set_tp(v->host_tp);
    wf_tls_self = self;
    return self->tls;
}

void wf_tls_leave_host(void *tp)
{
    if (!tp)
        return;
    int e = *errno_here();
    struct wf_thread *self = wf_tls_self;
    self->vcpu->cur_tp = tp;
    wf_arch_set_tp(tp);
    *errno_here() = e;
}

#ifdef WF_ASAN
void wf_tls_asan_switch(struct wf_thread *next, struct wf_vcpu *v)
{
    if (!next->tls_adopted)
        AT(next->tls, GL_TID, int) = v->host_tid;
}
#endif

/* fork (core/fork.c) holds this lock across fork, so that the child never
 * inherits it in the middle of another thread's update. */
wf_spinlock_t *wf_tls_lock_for_fork(void)
{
    return &made.lock;
}
