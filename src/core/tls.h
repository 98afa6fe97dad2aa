/* tls.h - thread-local storage per weft thread (tls.c). */
#ifndef WF_TLS_H
#define WF_TLS_H

struct wf_thread;
struct wf_vcpu;

/* Defined (as anything) by libweft-pthread: WEFT_TLS_DEFAULT means own TLS
 * there unless WEFT_TLS says otherwise. A weak reference, so plain libweft
 * needs no definition. */
extern const char wf_tls_builtin_own __attribute__((weak));

/* Own TLS works in this process (wf_tls_init decided). */
extern int wf_tls_ok;
/* What WEFT_TLS_DEFAULT means: WEFT_TLS_OWN or WEFT_TLS_SHARED. */
extern int wf_tls_default;

/* At runtime start, on a host thread. cfg_mode: weft_config_t.tls.
 * ENOTSUP when the config asks for WEFT_TLS_OWN and it cannot be had. */
int wf_tls_init(int cfg_mode);

/* In weft_create, after t's stack exists: give t the TLS that mode asks
 * for (t->tls NULL for shared). adopt: an existing TCB to run with
 * instead of one of t's own (libweft-pthread's main), else NULL.
 * ENOTSUP: own TLS asked for but unavailable; EAGAIN: no memory. */
int wf_tls_prepare(struct wf_thread *t, int mode, void *adopt);

/* On the thread itself, with its TLS installed: before its function, and
 * when it ends (before the key destructors, as glibc orders them). */
void wf_tls_thread_start(struct wf_thread *self);
void wf_tls_thread_exit(struct wf_thread *self);

#ifdef WF_ASAN
/* AddressSanitizer does not know weft threads with their own TLS (it keeps
 * its thread in a glibc key of the TCB) and asks glibc for the bounds of
 * their stacks, which takes a kernel tid that sched_getaffinity accepts:
 * in ASan builds the TCB carries its vCPU's (tls.c). */
void wf_tls_asan_switch(struct wf_thread *next, struct wf_vcpu *v);
#endif

/* libweft-pthread's main: move the calling host thread onto a new TCB and
 * return the one it had, for main's weft thread to adopt. NULL if own TLS
 * is unavailable (nothing changed then). */
void *wf_tls_host_detach(void);

/* After the vCPUs started (glibc installs its set*id signal handler with
 * the first host thread it creates): wrap that handler so that it runs
 * with the thread pointer glibc knows for the host thread it lands on. */
void wf_tls_after_start(void);

/* Run a stretch of code with the vCPU's own thread pointer (for glibc
 * calls that must see the host thread as the caller; posix/setxid.c).
 * The caller must not switch in between. enter returns what leave needs
 * (NULL: nothing changed); errno set in between carries over. */
void *wf_tls_enter_host(void);
void wf_tls_leave_host(void *tp);

/* libweft-pthread's first host thread and the block it gave main
 * (wf_tls_host_detach), for the set*id handler (tls_setxid.c). */
extern void *wf_tls_host_main_tp;
extern struct wf_thread *wf_tls_host_main;


#endif
