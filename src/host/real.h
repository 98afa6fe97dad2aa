/* real.h - libc's own versions of the functions libweft-pthread exports
 * under the same names. The runtime runs its vCPUs and daemons on real
 * host threads, so it must reach glibc's pthread_create and friends even
 * when weft's are the ones the program sees. Looked up once: the
 * definition the program would reach (libc's, or a sanitizer's
 * interceptor in front of it), unless that is weft's own, and then the
 * next one after weft's module (dlsym RTLD_NEXT). */
#ifndef WF_HOST_REAL_H
#define WF_HOST_REAL_H

#include <pthread.h>
#include <signal.h>

struct wf_real {
    int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
    void (*pthread_exit)(void *) __attribute__((noreturn));
    pthread_t (*pthread_self)(void);
    int (*pthread_setname_np)(pthread_t, const char *);
    int (*pthread_getattr_np)(pthread_t, pthread_attr_t *);
    int (*pthread_attr_init)(pthread_attr_t *);
    int (*pthread_attr_destroy)(pthread_attr_t *);
    int (*pthread_attr_setdetachstate)(pthread_attr_t *, int);
    int (*pthread_attr_setstacksize)(pthread_attr_t *, size_t);
    int (*pthread_attr_getstack)(const pthread_attr_t *, void **, size_t *);
    int (*pthread_key_create)(pthread_key_t *, void (*)(void *));
    int (*pthread_setspecific)(pthread_key_t, const void *);
    int (*pthread_sigmask)(int, const sigset_t *, sigset_t *);
    int (*pthread_kill)(pthread_t, int);
    int (*libc_current_sigrtmin)(void);
    int (*libc_current_sigrtmax)(void);
};

/* The table, filled on first use (thread-safe, idempotent). Aborts with a
 * message if libc lacks one of them. */
const struct wf_real *wf_real(void);
/* Any other libc symbol, the same way; NULL if there is none. */
void *wf_real_sym(const char *name);

#endif
