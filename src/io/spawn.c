/* spawn.c - weft_spawn / weft_spawnp: glibc's posix_spawn on the offload
 * pool.
 *
 * glibc's posix_spawn clones with CLONE_VM|CLONE_VFORK: nothing of the
 * caller's memory is copied, but the calling host thread is suspended until
 * the child has exec'd (or failed to). Called on a vCPU that would stop
 * every weft thread queued there for that long, so a weft thread hands the
 * call to the offload pool (offload.c) and parks; bound threads call it
 * directly (they block only themselves). The child inherits the signal
 * mask of the host thread that clones it, which on the pool is a worker's:
 * unless the caller's attributes set one, the caller's mask is set
 * explicitly. weft's own descriptors (io_uring rings, epoll sets,
 * eventfds, pidfds) are all close-on-exec, so the child has only the
 * program's. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>

#include "host/real.h"
#include "io/call.h"
#include "weft/process.h"

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
                     const posix_spawnattr_t *, char *const[], char *const[]);

struct spawn_args {
    spawn_fn *fn;
    pid_t *pid;
    const char *path;
    const posix_spawn_file_actions_t *fa;
    const posix_spawnattr_t *attr;
    char *const *argv, *const *envp;
};

static long spawn_call(void *arg)
{
    struct spawn_args *a = arg;
    return a->fn(a->pid, a->path, a->fa, a->attr, a->argv, a->envp);
}

static int spawn(const char *name, pid_t *pid, const char *path,
                 const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[])
{
    if (!path || !argv)
        return EINVAL;
    spawn_fn *fn;
    *(void **)&fn = wf_real_sym(name); /* glibc's, past libweft-pthread's export */
    if (!fn)
        return ENOSYS;
    pid_t dummy;
    struct spawn_args a = {fn, pid ? pid : &dummy, path, fa, attr, argv, envp};
    if (!wf_io_on_vcpu())
        return fn(a.pid, path, fa, attr, argv, envp);
    /* The caller's signal mask, unless attr sets the child's. */
    posix_spawnattr_t own;
    short flags = 0;
    if (attr && posix_spawnattr_getflags(attr, &flags))
        return EINVAL;
    if (!(flags & POSIX_SPAWN_SETSIGMASK)) {
        sigset_t mask;
        wf_real()->pthread_sigmask(SIG_BLOCK, NULL, &mask);
        if (attr)
            own = *attr; /* a plain structure in glibc: no pointers */
        else
            posix_spawnattr_init(&own);
        posix_spawnattr_setsigmask(&own, &mask);
        posix_spawnattr_setflags(&own, (short)(flags | POSIX_SPAWN_SETSIGMASK));
        a.attr = &own;
    }
    return (int)weft_io_offload(spawn_call, &a);
}

int weft_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,
               const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn("posix_spawn", pid, path, file_actions, attr, argv, envp);
}

int weft_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *file_actions,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn("posix_spawnp", pid, file, file_actions, attr, argv, envp);
}
