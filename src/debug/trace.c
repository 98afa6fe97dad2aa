/* trace.c - WEFT_TRACE=path.json: scheduling events in the Chrome trace
 * event format (chrome://tracing, ui.perfetto.dev, tools/weft-trace-plot).
 *
 * What is recorded, from the start of the runtime to a normal exit:
 * - every switch on a vCPU: the slice of the thread that ran ends, with why
 *   (yield, blocked on a wait channel such as "sem" or "join", exit), and
 *   the next thread's slice begins; written out as "X" (complete) events,
 *   one lane (tid) per vCPU, named by the thread;
 * - every wakeup (a thread made runnable, creation included) as an instant
 *   event on the waker's lane: its vCPU's, or the "host threads" lane for
 *   bound threads and the timer daemon;
 * - every steal as an instant event on the thief's lane.
 *
 * Each vCPU appends to its own buffer without locks; only events from
 * host threads share one buffer under a spinlock. A buffer's count is
 * published with a release store after each event, so the writer at exit
 * reads only complete events even while vCPUs are still running. A full
 * buffer drops further events and says how many in the file
 * ("weft_dropped" in otherData). The file is written by an atexit handler:
 * nothing after exit() is recorded, and _exit, abort or a fatal signal
 * leave no file.
 *
 * Rejected:
 * - Writing events to the file as they happen: a write(2) or a shared
 *   stdio lock on the switch path, which would change what is measured.
 * - A ring buffer keeping the last events: the start of a run is usually
 *   what one looks at; a fixed 2^20 events per vCPU (48 MiB of address
 *   space, committed only as it fills) covers seconds of busy switching.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"
#include "core/sanitizer.h"
#include "core/spinlock.h"
#include "debug/trace.h"
#include "host/host.h"

#define CAP (1u << 20) /* events per buffer */

enum { EV_SWITCH, EV_WAKE, EV_STEAL };

struct ev {
    uint64_t ts;              /* wf_host_now() */
    uint64_t id;              /* SWITCH: next thread (0: idle); WAKE: woken */
    const char *why;          /* SWITCH: how the previous slice ended */
    char name[WEFT_NAME_MAX]; /* SWITCH, WAKE: that thread's name */
    uint32_t kind;
    int32_t arg;              /* WAKE: onto vCPU; STEAL: from vCPU */
    uint64_t n;               /* STEAL: threads taken */
};

struct buf {
    struct ev *ev;
    atomic_uint n;            /* events written; stored (release) by the writer */
    atomic_ulong dropped;
};

atomic_int wf_trace_on;

static struct buf *bufs;      /* nvcpus + 1: the last is the host threads' */
static wf_spinlock_t host_lock; /* guards appends to bufs[nvcpus]; a leaf lock */
static char *path;
static uint64_t t0;

static struct ev *slot(struct buf *b)
{
    unsigned n = atomic_load_explicit(&b->n, memory_order_relaxed);
    if (n >= CAP) {
        atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
        return NULL;
    }
    struct ev *e = &b->ev[n];
    e->ts = wf_host_now();
    return e;
}

static void publish(struct buf *b)
{
    /* Release: the event's fields before the count that shows it. */
    atomic_store_explicit(&b->n, atomic_load_explicit(&b->n, memory_order_relaxed) + 1,
                          memory_order_release);
}

static void copy_name(char *dst, const struct wf_thread *t)
{
    wf_san_racy_reads_begin(); /* setname may write it meanwhile, as for dumps */
    if (t->named) /* else name[] holds a previous owner's name */
        memcpy(dst, t->name, WEFT_NAME_MAX);
    else
        dst[0] = '\0'; /* written out as weft-<id> */
    wf_san_racy_reads_end();
    dst[WEFT_NAME_MAX - 1] = '\0';
}

void wf_trace_switch(struct wf_vcpu *v, struct wf_thread *self, struct wf_thread *next,
                     int dying)
{
    struct buf *b = &bufs[v->index];
    struct ev *e = slot(b);
    if (!e)
        return;
    e->kind = EV_SWITCH;
    if (dying)
        e->why = "exit";
    else if (atomic_load_explicit(&self->state, memory_order_relaxed) == WF_BLOCKED)
        e->why = atomic_load_explicit(&self->wchan_kind, memory_order_relaxed);
    else
        e->why = "yield";
    if (!e->why)
        e->why = "blocked";
    if (next->flags & WF_TF_IDLE) {
        e->id = 0;
        e->name[0] = '\0';
    } else {
        e->id = next->id;
        copy_name(e->name, next);
    }
    publish(b);
}

/* The caller's buffer: its vCPU's, or the shared one (then locked). */
static struct buf *caller_buf(void)
{
    struct wf_thread *self = wf_tls_self;
    if (self && !(self->flags & WF_TF_BOUND) && self->vcpu)
        return &bufs[self->vcpu->index];
    wf_spin_lock(&host_lock);
    return &bufs[wf_rt.nvcpus];
}

static void caller_done(struct buf *b)
{
    if (b == &bufs[wf_rt.nvcpus])
        wf_spin_unlock(&host_lock);
}

void wf_trace_wake(struct wf_vcpu *onto, struct wf_thread *t)
{
    struct buf *b = caller_buf();
    struct ev *e = slot(b);
    if (e) {
        e->kind = EV_WAKE;
        e->id = t->id;
        e->arg = onto->index;
        copy_name(e->name, t);
        publish(b);
    }
    caller_done(b);
}

void wf_trace_steal(struct wf_vcpu *v, struct wf_vcpu *from, unsigned n)
{
    struct buf *b = &bufs[v->index];
    struct ev *e = slot(b);
    if (!e)
        return;
    e->kind = EV_STEAL;
    e->arg = from->index;
    e->n = n;
    publish(b);
}

/* ---- writing the file ---- */

static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c); /* names are bytes; keep the file ASCII */
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static double us(uint64_t ts)
{
    return ts > t0 ? (double)(ts - t0) / 1000.0 : 0.0;
}

static void slice_name(FILE *f, uint64_t id, const char *name)
{
    char buf[WEFT_NAME_MAX + 24];
    if (name[0])
        snprintf(buf, sizeof buf, "%s", name);
    else
        snprintf(buf, sizeof buf, "weft-%llu", (unsigned long long)id);
    put_json_str(f, buf);
}

/* One vCPU's (or the host threads') events; *first: no comma yet. */
static void write_lane(FILE *f, int lane, struct buf *b, uint64_t end, int *first)
{
    unsigned n = atomic_load_explicit(&b->n, memory_order_acquire);
    const struct ev *open = NULL; /* the switch that began the current slice */
    for (unsigned i = 0; i < n; i++) {
        const struct ev *e = &b->ev[i];
        const char *sep = *first ? "\n" : ",\n";
        switch (e->kind) {
        case EV_SWITCH:
            if (open) {
                fprintf(f, "%s{\"ph\":\"X\",\"cat\":\"run\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,"
                        "\"dur\":%.3f,\"name\":", sep, lane, us(open->ts),
                        (double)(e->ts - open->ts) / 1000.0);
                slice_name(f, open->id, open->name);
                fprintf(f, ",\"args\":{\"thread\":%llu,\"end\":",
                        (unsigned long long)open->id);
                put_json_str(f, e->why);
                fputs("}}", f);
                *first = 0;
            }
            open = e->id ? e : NULL;
            break;
        case EV_WAKE:
            fprintf(f, "%s{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"wake\",\"pid\":1,\"tid\":%d,"
                    "\"ts\":%.3f,\"name\":\"wake\",\"args\":{\"thread\":%llu,\"name\":",
                    sep, lane, us(e->ts), (unsigned long long)e->id);
            slice_name(f, e->id, e->name);
            fprintf(f, ",\"onto_vcpu\":%d}}", e->arg);
            *first = 0;
            break;
        case EV_STEAL:
            fprintf(f, "%s{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"steal\",\"pid\":1,\"tid\":%d,"
                    "\"ts\":%.3f,\"name\":\"steal\",\"args\":{\"from_vcpu\":%d,\"threads\":%llu}}",
                    sep, lane, us(e->ts), e->arg, (unsigned long long)e->n);
            *first = 0;
            break;
        }
    }
    if (open) { /* still running at exit */
        fprintf(f, "%s{\"ph\":\"X\",\"cat\":\"run\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,"
                "\"dur\":%.3f,\"name\":", *first ? "\n" : ",\n", lane, us(open->ts),
                end > open->ts ? (double)(end - open->ts) / 1000.0 : 0.0);
        slice_name(f, open->id, open->name);
        fprintf(f, ",\"args\":{\"thread\":%llu,\"end\":\"running at exit\"}}",
                (unsigned long long)open->id);
        *first = 0;
    }
}

static void trace_write(void)
{
    atomic_store(&wf_trace_on, 0); /* later events are not recorded */
    uint64_t end = wf_host_now();
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "weft: WEFT_TRACE: cannot write %s\n", path);
        return;
    }
    int first = 1;
    unsigned long dropped = 0;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    for (int lane = 0; lane <= wf_rt.nvcpus; lane++) {
        fprintf(f, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%d,"
                "\"args\":{\"name\":", first ? "\n" : ",\n", lane);
        char name[32];
        if (lane < wf_rt.nvcpus)
            snprintf(name, sizeof name, "vCPU %d", lane);
        else
            snprintf(name, sizeof name, "host threads");
        put_json_str(f, name);
        fputs("}}", f);
        first = 0;
    }
    fputs(",\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"weft\"}}", f);
    for (int lane = 0; lane <= wf_rt.nvcpus; lane++) {
        struct buf *b = &bufs[lane];
        if (lane == wf_rt.nvcpus)
            wf_spin_lock(&host_lock);
        write_lane(f, lane, b, end, &first);
        if (lane == wf_rt.nvcpus)
            wf_spin_unlock(&host_lock);
        dropped += atomic_load(&b->dropped);
    }
    fprintf(f, "\n],\"otherData\":{\"weft_vcpus\":%d,\"weft_dropped\":%lu}}\n",
            wf_rt.nvcpus, dropped);
    if (fclose(f) != 0)
        fprintf(stderr, "weft: WEFT_TRACE: error writing %s\n", path);
    if (dropped)
        fprintf(stderr, "weft: WEFT_TRACE: %lu events dropped (buffers full)\n", dropped);
}

void wf_trace_start(void)
{
    const char *p = getenv("WEFT_TRACE");
    if (!p || !*p)
        return;
    path = strdup(p);
    bufs = calloc((size_t)wf_rt.nvcpus + 1, sizeof *bufs);
    int ok = path && bufs;
    for (int i = 0; ok && i <= wf_rt.nvcpus; i++) {
        /* calloc of this size maps fresh pages: committed as they fill. */
        bufs[i].ev = calloc(CAP, sizeof(struct ev));
        ok = bufs[i].ev != NULL;
    }
    if (!ok) {
        fprintf(stderr, "weft: WEFT_TRACE: no memory for the buffers; not tracing\n");
        return;
    }
    t0 = wf_host_now();
    atexit(trace_write);
    atomic_store_explicit(&wf_trace_on, 1, memory_order_release);
}
