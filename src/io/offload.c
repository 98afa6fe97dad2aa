/* offload.c - the offload pool: host threads of group 0 ("io-offload/N",
 * shown in every dump) that run the operations nothing can wait for
 * without blocking a host thread (regular files on the epoll backend,
 * open, statx, fsync, splice there, weft_getaddrinfo, weft_io_offload)
 * and every operation a bound thread submits asynchronously.
 *
 * Sized on demand: a submission that finds no idle worker starts one,
 * up to WEFT_IO_OFFLOAD_MAX (default 16); beyond that, operations queue.
 * Idle workers stay (a later burst finds them ready); they sleep on a
 * futex word bumped for each submission. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "host/host.h"
#include "io/io.h"

#define OFFLOAD_MAX_DEFAULT 16

static struct {
    wf_spinlock_t lock;      /* guards the queue, nthreads, nidle, starting */
    weft_io_op_t *head, *tail;
    int nthreads;            /* started (or starting) */
    int nidle;               /* asleep in wait_work */
    atomic_int seq;          /* futex word: bumped under lock per submission */
    int max;
} pool;

static weft_io_op_t *take(void)
{
    weft_io_op_t *op = pool.head;
    if (op) {
        pool.head = wf_io_priv(op)->next;
        if (!pool.head)
            pool.tail = NULL;
    }
    return op;
}

static void *worker(void *arg)
{
    char name[WEFT_NAME_MAX];
    snprintf(name, sizeof name, "io-offload/%d", (int)(intptr_t)arg);
    struct wf_thread *self = wf_daemon_record(name);
    wf_tls_self = self;
    for (;;) {
        wf_spin_lock(&pool.lock);
        weft_io_op_t *op = take();
        if (!op) {
            int seq = atomic_load(&pool.seq);
            pool.nidle++;
            wf_spin_unlock(&pool.lock);
            atomic_store_explicit(&self->wchan_kind, "offload-idle", memory_order_relaxed);
            wf_host_futex_wait((int *)&pool.seq, seq, 0);
            atomic_store_explicit(&self->wchan_kind, NULL, memory_order_relaxed);
            wf_spin_lock(&pool.lock);
            pool.nidle--;
            wf_spin_unlock(&pool.lock);
            continue;
        }
        wf_spin_unlock(&pool.lock);
        wf_io_complete(op, wf_io_exec(op));
    }
    return NULL;
}

void wf_io_offload_submit(weft_io_op_t *op)
{
    if (!__atomic_load_n(&pool.max, __ATOMIC_RELAXED)) {
        long m = 0;
        const char *s = getenv("WEFT_IO_OFFLOAD_MAX");
        if (s)
            m = strtol(s, NULL, 10);
        __atomic_store_n(&pool.max, m > 0 ? (int)m : OFFLOAD_MAX_DEFAULT, __ATOMIC_RELAXED);
    }
    wf_io_priv(op)->next = NULL;
    wf_spin_lock(&pool.lock);
    if (pool.tail)
        wf_io_priv(pool.tail)->next = op;
    else
        pool.head = op;
    pool.tail = op;
    atomic_fetch_add(&pool.seq, 1);
    int wake = pool.nidle > 0;
    int spawn = !wake && pool.nthreads < __atomic_load_n(&pool.max, __ATOMIC_RELAXED);
    int id = pool.nthreads;
    if (spawn)
        pool.nthreads++;
    wf_spin_unlock(&pool.lock);
    if (wake)
        wf_host_futex_wake((int *)&pool.seq, 1);
    if (spawn && wf_host_thread_start(worker, (void *)(intptr_t)id, "weft-offload")) {
        wf_spin_lock(&pool.lock);
        pool.nthreads--;
        int none = pool.nthreads == 0;
        wf_spin_unlock(&pool.lock);
        if (none)
            wf_panic(NULL, "cannot start an I/O offload thread");
    }
}

int wf_io_offload_threads(void)
{
    wf_spin_lock(&pool.lock);
    int n = pool.nthreads;
    wf_spin_unlock(&pool.lock);
    return n;
}

/* fork's child (port.c): the workers are not there, and the queued
 * operations were other threads'. The next submission starts a worker. */
void wf_io_offload_fork_child(void)
{
    atomic_store_explicit(&pool.lock.v, 0, memory_order_relaxed);
    pool.head = pool.tail = NULL;
    pool.nthreads = 0;
    pool.nidle = 0;
}
