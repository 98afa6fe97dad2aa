/* weft/process.h - fork and process spawning from weft threads
 * (docs/fork.md says what is guaranteed). weft_waitpid is in weft/io.h. */
#ifndef WEFT_PROCESS_H
#define WEFT_PROCESS_H

#include <spawn.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/* fork(2) from any thread (weft or not): the atfork handlers run (prepare
 * in reverse order of registration, parent and child in order; weft_atfork,
 * pthread_atfork and glibc's __register_atfork share one list), and the
 * child holds only the calling thread, which continues there as a bound
 * thread (as main is) with a runtime whose vCPUs and timer daemon restart
 * when it first creates a thread. The parent continues unchanged. Returns
 * the child's pid in the parent, 0 in the child, -1 with errno on error. */
pid_t weft_fork(void);

/* Register fork handlers (pthread_atfork's contract; any may be NULL).
 * 0 or ENOMEM. */
int weft_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* posix_spawn / posix_spawnp without blocking the caller's vCPU: glibc's
 * posix_spawn runs on the I/O offload pool (the caller parks until the
 * child has exec'd or failed), the child shares no memory copy with the
 * caller (clone(CLONE_VM|CLONE_VFORK) then exec). Unless attr sets
 * POSIX_SPAWN_SETSIGMASK, the child starts with the caller's signal mask.
 * Returns 0 and *pid, or an error number (ENOENT, EACCES, ... from the
 * exec; EINVAL for a NULL path or argv), never through errno. Wait for
 * the child with weft_waitpid. */
int weft_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,
               const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
int weft_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *file_actions,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
