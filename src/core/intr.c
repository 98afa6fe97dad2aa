/* intr.c - suspend, resume and cancellation at safe points (intr.h). */
#include "core/intr.h"

void wf_safe_point(int flags)
{
    (void)flags; /* nothing can be pending before weft_cancel/weft_suspend exist */
}
