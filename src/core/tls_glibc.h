/* tls_glibc.h - what of glibc's thread control block weft fills in for a
 * thread with its own TLS (tls.c).
 *
 * On x86_64 the thread pointer (%fs base) points at glibc's struct pthread,
 * whose first 704 bytes are the ABI's tcbhead_t; each module's static TLS
 * block lies below it (TLS variant II). Code compiled into the program and
 * into glibc reads these fields through %fs directly: the stack-protector
 * canary (%fs:0x28), the pointer guard that mangles setjmp buffers
 * (%fs:0x30), THREAD_SELF (%fs:0x10) as the owner of stdio's recursive
 * locks, the tid as the owner of the dynamic loader's recursive locks.
 *
 * The offsets are glibc 2.36's (read with gdb's `ptype/o struct pthread`
 * from Debian's libc6-dbg). They are not an ABI glibc promises, so tls.c
 * turns own TLS on only for this version, and checks the calling host
 * thread's block against them first. */
#ifndef WF_TLS_GLIBC_H
#define WF_TLS_GLIBC_H

#define GL_VERSION "2.36"

/* tcbhead_t */
#define GL_TCB 0                /* void *tcb: the block itself */
#define GL_DTV 8                /* dtv_t *dtv */
#define GL_SELF 16              /* struct pthread *self */
#define GL_MULTIPLE_THREADS 24  /* int */
#define GL_SYSINFO 32           /* uintptr_t */
#define GL_STACK_GUARD 40       /* uintptr_t: -fstack-protector's canary */
#define GL_POINTER_GUARD 48     /* uintptr_t: PTR_MANGLE's key */
#define GL_FEATURE_1 72         /* unsigned: CET state */

/* struct pthread */
#define GL_LIST 704             /* list_t: fork's child unlinks it */
#define GL_TID 720              /* pid_t */
#define GL_USER_STACK 1554      /* _Bool: glibc never frees or caches it */
#define GL_STACKBLOCK 1680      /* void * */
#define GL_STACKBLOCK_SIZE 1688 /* size_t: bounds libc's alloca use */
#define GL_GUARDSIZE 1696       /* size_t */
#define GL_RES 1720             /* struct __res_state: the resolver's */
#define GL_TCB_SIZE 2368        /* sizeof (struct pthread) */

/* A DTV entry (dtv_t): entry 0 holds the generation, entry -1 the number
 * of module entries; entry i the block of module i. */
typedef union {
    unsigned long counter;
    struct {
        void *val;     /* the block, or GL_DTV_UNALLOCATED */
        void *to_free; /* what malloc returned for a dynamic block */
    } pointer;
} gl_dtv_t;
#define GL_DTV_UNALLOCATED ((void *)-1l)

/* Fake kernel thread ids for TLS blocks: glibc compares the tid with a
 * recursive lock's owner, so each thread needs a distinct one; kernel tids
 * stay below 2^22 (PID_MAX_LIMIT), so these never equal a real one. */
#define GL_FAKE_TID_BASE 0x40000000

#endif
