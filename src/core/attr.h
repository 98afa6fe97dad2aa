/* attr.h - what weft_attr_t's flags mean (attr.c). */
#ifndef WF_ATTR_H
#define WF_ATTR_H

#include "weft/thread.h"

enum {
    WF_ATTR_DETACHED = 1,
    WF_ATTR_NEWGROUP = 2,
    WF_ATTR_SMALL = 4,
    WF_ATTR_USERSTACK = 8,
};

int wf_attr_valid(const weft_attr_t *a);

#endif
