/* gdb_scripts.c - tools/gdb/weft-gdb.py, inline, in the .debug_gdb_scripts
 * section, so gdb loads it by itself with libweft.so or with any program
 * linked with libweft.a (once the file is trusted: see docs/debugging.md).
 *
 * Inline text (kind 4, SECTION_SCRIPT_ID_PYTHON_TEXT: first line the
 * script's name, then the script, NUL-terminated) rather than a file name
 * (kind 1): a file name only works where gdb can find that file, and an
 * installed or copied library must not depend on the source tree. The
 * build passes the script's path as WF_GDB_SCRIPT and rebuilds this object
 * when the script changes (CMakeLists.txt). "MS": the linker merges
 * identical entries, so a program that gets the library twice still loads
 * the script once.
 *
 * The section is not allocated: it costs nothing at run time. A static
 * link only takes an archive member that something refers to, hence the
 * anchor, referred to from debug.c, which the runtime's start calls. */
#include "debug/debug.h"

#ifndef WF_GDB_SCRIPT
#error "WF_GDB_SCRIPT (path of tools/gdb/weft-gdb.py) comes from CMakeLists.txt"
#endif

__asm__(".pushsection .debug_gdb_scripts, \"MS\", @progbits, 1\n"
        ".byte 4\n" /* SECTION_SCRIPT_ID_PYTHON_TEXT */
        ".ascii \"weft-gdb.py\\n\"\n"
        ".incbin \"" WF_GDB_SCRIPT "\"\n"
        ".byte 0\n"
        ".popsection\n");

const char wf_debug_gdb_scripts_anchor = 0;
