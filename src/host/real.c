/* real.c - finding libc's versions of the functions weft may interpose
 * (real.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/real.h"

static struct wf_real table;
static atomic_int ready;

/* The definition the program itself would call, unless that is weft's own
 * (libweft-pthread exports the name): then the next one after weft's
 * module. Not RTLD_NEXT alone: a sanitizer's interceptor loaded before
 * libweft.so must stay in the path (it has to see every host thread). */
void *wf_real_sym(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    Dl_info mine, theirs;
    if (p && dladdr((void *)wf_real_sym, &mine) && dladdr(p, &theirs) &&
        mine.dli_fbase != theirs.dli_fbase)
        return p;
    void *next = dlsym(RTLD_NEXT, name);
    return next ? next : p;
}

/* In a fully static program dlsym finds nothing: there the program is
 * not using libweft-pthread (it needs the dynamic linker), so the
 * function the linker bound (`direct`) is libc's own. */
static void *need(const char *name, void *direct)
{
    void *p = wf_real_sym(name);
    return p ? p : direct;
}

#define GET(field, sym) (*(void **)&t.field = need(#sym, (void *)&sym))

const struct wf_real *wf_real(void)
{
    if (atomic_load_explicit(&ready, memory_order_acquire))
        return &table;
    struct wf_real t;
    GET(pthread_create, pthread_create);
    GET(pthread_exit, pthread_exit);
    GET(pthread_self, pthread_self);
    GET(pthread_setname_np, pthread_setname_np);
    GET(pthread_getattr_np, pthread_getattr_np);
    GET(pthread_attr_init, pthread_attr_init);
    GET(pthread_attr_destroy, pthread_attr_destroy);
    GET(pthread_attr_setdetachstate, pthread_attr_setdetachstate);
    GET(pthread_attr_setstacksize, pthread_attr_setstacksize);
    GET(pthread_attr_getstack, pthread_attr_getstack);
    GET(pthread_key_create, pthread_key_create);
    GET(pthread_setspecific, pthread_setspecific);
    GET(pthread_sigmask, pthread_sigmask);
    GET(pthread_kill, pthread_kill);
    GET(libc_current_sigrtmin, __libc_current_sigrtmin);
    GET(libc_current_sigrtmax, __libc_current_sigrtmax);
    /* Racing fillers store the same values, word by word; readers look
     * only after `ready`, which the first complete copy publishes. */
    void **dst = (void **)&table, **src = (void **)&t;
    for (size_t i = 0; i < sizeof t / sizeof(void *); i++)
        __atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
    atomic_store_explicit(&ready, 1, memory_order_release);
    return &table;
}
