/* arch.h - picks the architecture layer: the context switch and the
 * initial frame of a new thread. */
#ifndef WF_ARCH_H
#define WF_ARCH_H

#if defined(__x86_64__)
#include "arch/x86_64/arch.h"
#else
#error "weft: this architecture has no context switch yet (src/arch/<arch>/)"
#endif

#endif
