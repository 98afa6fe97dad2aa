/* lockorder.h - every runtime lock, outermost first. A thread holding a
 * lock may take only locks below it in this list.
 *
 *   1. wait locks: a waitqueue's lock, a thread's join_lock, a thread's
 *      sleep_lock, a thread's intr_lock (whichever a blocking thread parks
 *      under). Two at once only in these orders: a condvar's queue lock,
 *      then its mutex's (wf_waitq_requeue); a thread's join_lock, then its
 *      own intr_lock (weft_suspend, weft_resume); two futex buckets, the
 *      lower address first (wf_futex_requeue).
 *   The pthread layer (src/posix/mutex.c) adds, above these: a condvar's
 *   queue lock, then a thread record's lock (struct wp_thread.lock), then a
 *   robust/PI/ceiling mutex's entry queue lock; and a record's lock, then a
 *   thread's join_lock and a run queue lock (through weft_setpriority).
 *   2. timer heap lock (wf_timer_heap.lock)       - arming under a wait lock
 *   3. run queue lock (wf_rq.lock)                - enqueue under a wait lock
 *   4. allocator locks (slot, stack, group registry), deadlock lock, dump lock
 *   5. the trace's host-events lock (src/debug/trace.c) - a leaf, taken
 *      by a wakeup from a host thread, possibly under a wait lock
 *   6. the I/O port (src/io), all leaves: an io_uring ring's lock (a kick
 *      from vcpu_unpark takes it under a wait lock); the offload pool's
 *      lock; the epoll dispatch lock. An epoll descriptor entry's lock
 *      (io/fdtab.h) is taken with no other lock held, and completions
 *      (an I/O bucket, level 1) run only after it is released.
 *
 * Held across a switch and released by the next context (sched.c): a wait
 * lock and the vCPU's run queue lock. The timer firing path drops the heap
 * lock before taking a wait lock, so 1 -> 2 never meets 2 -> 1. Stealing
 * takes one run queue lock at a time, never two.
 */
