/* intr.h - interruptible blocking (Codezero's design): cancellation and
 * suspension act only at safe points. A wait that finds one pending
 * returns WF_WAKE_INTERRUPTED; its caller undoes its half-done wait (for a
 * condvar: relocks the mutex) and calls wf_safe_point, which parks a
 * suspended thread until it is resumed and ends a cancelled one. */
#ifndef WF_INTR_H
#define WF_INTR_H

enum {
    WF_WAIT_CANCEL = 1,   /* the wait is a cancellation point */
};

/* Act on what is pending for the calling thread: suspend (park until
 * weft_resume), then, with WF_WAIT_CANCEL and cancellation enabled, a
 * cancel (runs cleanup handlers and exits: does not return). Call with no
 * lock held. May switch. */
void wf_safe_point(int flags);

#endif
