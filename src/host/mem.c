/* mem.c - memory for stacks: reserved lazily, guard pages, release. */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/host.h"

size_t wf_host_pagesize(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

void *wf_host_map(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void wf_host_unmap(void *p, size_t size)
{
    munmap(p, size);
}

int wf_host_guard(void *p, size_t size)
{
    return mprotect(p, size, PROT_NONE) == 0 ? 0 : -errno;
}

void wf_host_release(void *p, size_t size)
{
    madvise(p, size, MADV_DONTNEED);
}

long wf_host_max_map_count(void)
{
    long n = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 65530;
        fclose(f);
    }
    return n;
}
