/* setxid.c - setuid and its kin while threads run on TLS of their own.
 *
 * glibc changes the credentials of every host thread it created: it
 * signals each one but the caller (tls_setxid.c wraps the handler), then
 * makes the call itself. It tells "the caller" by THREAD_SELF, the thread
 * pointer's block. A weft thread's own block is none of glibc's threads,
 * and main's is the block glibc still lists for the first host thread
 * (start.c), so from main glibc would skip that host thread. So the call
 * runs with the vCPU's own thread pointer installed: glibc then sees the
 * vCPU it runs on as the caller and signals every other host thread,
 * the first one included. The thread does not switch meanwhile (glibc
 * waits for the handlers in the kernel). */
#include <grp.h>
#include <unistd.h>

#include "core/tls.h"
#include "host/real.h"
#include "posix/posix.h"

#define SETXID(name, params, args)                                             \
    WP_EXPORT int name params                                                  \
    {                                                                          \
        static int(*real) params;                                              \
        if (!real)                                                             \
            *(void **)&real = wf_real_sym(#name);                              \
        void *tp = wf_tls_enter_host();                                        \
        int rc = real args;                                                    \
        wf_tls_leave_host(tp);                                                 \
        return rc;                                                             \
    }

SETXID(setuid, (uid_t u), (u))
SETXID(setgid, (gid_t g), (g))
SETXID(seteuid, (uid_t u), (u))
SETXID(setegid, (gid_t g), (g))
SETXID(setreuid, (uid_t r, uid_t e), (r, e))
SETXID(setregid, (gid_t r, gid_t e), (r, e))
SETXID(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
SETXID(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
SETXID(setgroups, (size_t n, const gid_t *list), (n, list))
