/* group.h - thread groups (Codezero's tgid): members share a limit and a
 * parent. A group lives while it has members or child groups. */
#ifndef WF_GROUP_H
#define WF_GROUP_H

#include <stdatomic.h>

#include "weft/thread.h"

struct wf_group {
    weft_gid_t gid;
    struct wf_group *parent;       /* holds a reference on the parent */
    atomic_ulong nthreads;         /* live members */
    _Atomic unsigned long limit;   /* cap on nthreads */
    atomic_long refs;              /* members + child groups + permanent */
    struct wf_group *next;         /* registry list, under the registry lock */
};

/* A new group with parent (may be NULL), one reference for its creator. */
struct wf_group *wf_group_new(weft_gid_t gid, struct wf_group *parent, int permanent);
/* Count a new member; EAGAIN at the limit. Takes a reference. */
int wf_group_join(struct wf_group *g);
/* A member is gone; drops its reference. */
void wf_group_leave(struct wf_group *g);
/* Drop a reference taken by wf_group_new. */
void wf_group_put(struct wf_group *g);

#endif
