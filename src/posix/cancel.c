/* cancel.c - cancellation for the pthread layer (being written). */
#include "posix/posix.h"
#include "weft/thread.h"

void wp_cancel_unwind(struct wf_thread *self, struct wp_thread *r, void *result)
{
    (void)self;
    (void)r;
    (void)result;
}

int wp_nocancel_begin(void)
{
    int old = WEFT_CANCEL_ENABLE;
    weft_setcancelstate(WEFT_CANCEL_DISABLE, &old);
    return old;
}

void wp_nocancel_end(int old)
{
    weft_setcancelstate(old, NULL);
}
