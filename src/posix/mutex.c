/* mutex.c - pthread_mutex_* (being written). */
#include "posix/posix.h"

void wp_mutex_thread_exit(struct wf_thread *t, struct wp_thread *r)
{
    (void)t;
    (void)r;
}
