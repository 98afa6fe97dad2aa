/* debug.h - seeing inside on demand (src/debug/): weft_dump on SIGQUIT and
 * at exit, the stall detector, and the gdb script carried in the library's .debug_gdb_scripts
 * section. Internal prefix: wf_debug_. */
#ifndef WF_DEBUG_H
#define WF_DEBUG_H

/* Called once by the runtime's start (runtime.c), once the vCPUs and the
 * timer daemon are up. Reads WEFT_SIGQUIT_DUMP, WEFT_DUMP_AT_EXIT,
 * WEFT_STALL_MS and WEFT_TRACE (trace.h); also
 * links the gdb script into programs built with libweft.a. */
void wf_debug_start(void);

/* ---- the stall detector (stall.c) ---- */
#include <stdatomic.h>
#include <stdint.h>

struct wf_vcpu;
/* Stall threshold in ns, 0 while the detector is off (the default). */
extern _Atomic uint64_t wf_debug_stall_ns;
/* Start it with a threshold of ms (<= 0: stays off). Called by
 * wf_debug_start, after the vCPUs are up. */
void wf_debug_stall_start(long ms);
/* Timer daemon only, each tick, for each vCPU that is not idle, while
 * wf_debug_stall_ns is nonzero: reports a stall of v once. */
void wf_debug_stall_check(struct wf_vcpu *v, uint64_t now);

/* Defined next to the embedded script (gdb_scripts.c): a reference to it
 * pulls that object out of libweft.a. */
extern const char wf_debug_gdb_scripts_anchor;

#endif
