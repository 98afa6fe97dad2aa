/* key.h - thread-specific data, the part the thread code calls. */
#ifndef WF_SYNC_KEY_H
#define WF_SYNC_KEY_H

struct wf_thread;

/* Precondition: t is the calling thread, ending. Runs the destructors of
 * its non-NULL values (up to WEFT_KEYS_DESTRUCTOR_ITERATIONS rounds) and
 * frees its table. May switch (destructors are user code). */
void wf_keys_exit(struct wf_thread *t);

#endif
