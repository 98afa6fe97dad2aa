/* debug.h - seeing inside on demand (src/debug/): weft_dump on SIGQUIT and
 * at exit, and the gdb script carried in the library's .debug_gdb_scripts
 * section. Internal prefix: wf_debug_. */
#ifndef WF_DEBUG_H
#define WF_DEBUG_H

/* Called once by the runtime's start (runtime.c), once the vCPUs and the
 * timer daemon are up. Reads WEFT_SIGQUIT_DUMP and WEFT_DUMP_AT_EXIT; also
 * links the gdb script into programs built with libweft.a. */
void wf_debug_start(void);

/* Defined next to the embedded script (gdb_scripts.c): a reference to it
 * pulls that object out of libweft.a. */
extern const char wf_debug_gdb_scripts_anchor;

#endif
