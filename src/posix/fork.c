/* fork.c - fork, vfork, posix_spawn and the atfork registration under
 * their libc names (core/fork.c has the design, docs/fork.md the
 * guarantees).
 *
 * fork is weft_fork: glibc's fork, which runs every handler on glibc's one
 * list, the runtime's included. The handlers reach that list three ways,
 * all glibc's __register_atfork: pthread_atfork here (a program linked
 * against libpthread's old name), the pthread_atfork that glibc's
 * libc_nonshared.a puts into every executable (it calls
 * __register_atfork, interposed here so that this library sees it too,
 * and passed on), and weft_atfork.
 *
 * vfork is fork: a vfork child borrows its parent's memory and runs on
 * the caller's stack while the parent's host thread is suspended, and the
 * runtime's other vCPUs would keep changing that memory under it. POSIX
 * allows vfork to be fork; the price is the copy of the page tables.
 * posix_spawn (which never duplicates memory) is the cheap way to start a
 * program.
 *
 * posix_spawn and posix_spawnp are weft_spawn and weft_spawnp: on the
 * offload pool, so the caller's vCPU keeps running other threads. glibc's
 * system() and popen() reach its posix_spawn through an internal name,
 * not this one: they block the calling host thread while the child starts
 * (and system() while it runs). */
#include <errno.h>
#include <spawn.h>
#include <stdatomic.h>
#include <unistd.h>

#include "host/real.h"
#include "posix/posix.h"
#include "posix/shared_futex.h"
#include "weft/process.h"

void wp_pshared_fork_child(void); /* pshared.c */

WP_EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void),
                                void (*child)(void), void *dso)
{
    typedef int register_fn(void (*)(void), void (*)(void), void (*)(void), void *);
    static void *_Atomic cache;
    register_fn *real = (register_fn *)atomic_load_explicit(&cache, memory_order_acquire);
    if (!real) {
        real = (register_fn *)wf_real_sym("__register_atfork");
        if (!real)
            return ENOMEM;
        atomic_store_explicit(&cache, (void *)real, memory_order_release);
    }
    return real(prepare, parent, child, dso);
}

WP_EXPORT int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    return __register_atfork(prepare, parent, child, NULL);
}

WP_EXPORT pid_t fork(void)
{
    return weft_fork();
}

WP_EXPORT pid_t vfork(void)
{
    return weft_fork();
}

WP_EXPORT pid_t __vfork(void)
{
    return weft_fork();
}

WP_EXPORT int posix_spawn(pid_t *pid, const char *path,
                          const posix_spawn_file_actions_t *file_actions,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return weft_spawn(pid, path, file_actions, attr, argv, envp);
}

WP_EXPORT int posix_spawnp(pid_t *pid, const char *file,
                           const posix_spawn_file_actions_t *file_actions,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return weft_spawnp(pid, file, file_actions, attr, argv, envp);
}

/* The child is the runtime's process now (the runtime's own handler,
 * registered earlier, has already rebuilt it): process-shared waits and
 * the interposed I/O calls use weft's paths again. */
static void child(void)
{
    struct wp_fork_page *p = wp_fork_page;
    int32_t pid = wp_raw_getpid();
    if (p) {
        p->pid = pid;
        p->here = 1;
    } else {
        wp_load_pid = pid;
    }
    wp_pshared_fork_child();
}

__attribute__((constructor)) static void register_child(void)
{
    __register_atfork(NULL, NULL, child, NULL);
}
