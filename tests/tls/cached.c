/* cached.c - built with -mno-tls-direct-seg-refs, so that the compiler
 * loads the thread pointer (%fs:0) once per function and addresses TLS
 * variables from that register, across calls (GCC and clang both do; so
 * does code for systems where %fs-relative addressing is slow). That is
 * the pattern reported against M:N libraries: across a call that switches
 * threads and lands on another vCPU, the register still holds the old
 * vCPU's thread pointer. With TLS of its own a thread's pointer never
 * changes, so the cached value stays right. */
static __thread int slots[64];

/* Adds 1 to a slot, calls step, n times; returns the sum of the slots as
 * the same cached pointer sees them. */
int tls_cached_count(void (*step)(void *), void *arg, int n)
{
    for (int i = 0; i < n; i++) {
        slots[i & 63]++;
        step(arg);
    }
    int s = 0;
    for (int i = 0; i < 64; i++)
        s += slots[i];
    return s;
}

/* The sum through a fresh thread pointer (a call of its own). */
__attribute__((noinline)) int tls_cached_sum(void)
{
    int s = 0;
    for (int i = 0; i < 64; i++)
        s += slots[i];
    return s;
}
