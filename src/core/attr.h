/* attr.h - what weft_attr_t's flags mean (attr.c). */
#ifndef WF_ATTR_H
#define WF_ATTR_H

#include <stdint.h>

#include "weft/thread.h"

enum {
    WF_ATTR_DETACHED = 1,
    WF_ATTR_NEWGROUP = 2,
    WF_ATTR_SMALL = 4,
    WF_ATTR_USERSTACK = 8,
    WF_ATTR_TLS_SHARED = 16,
    WF_ATTR_TLS_OWN = 32,
    WF_ATTR_TLS_ADOPT = 64,  /* internal: reserved[0] is a TCB to take over */
    WF_ATTR_NOPREEMPT = 128, /* weft_attr_setpreempt(attr, 0) */
};

/* The TLS mode an attribute asks for (WEFT_TLS_*). */
static inline int wf_attr_tls(const weft_attr_t *a)
{
    if (!a)
        return WEFT_TLS_DEFAULT;
    if (a->flags & (WF_ATTR_TLS_OWN | WF_ATTR_TLS_ADOPT))
        return WEFT_TLS_OWN;
    return a->flags & WF_ATTR_TLS_SHARED ? WEFT_TLS_SHARED : WEFT_TLS_DEFAULT;
}

/* libweft-pthread's main: run the thread with the TCB tp (tls.c). */
static inline void wf_attr_adopt_tls(weft_attr_t *a, void *tp)
{
    a->flags |= WF_ATTR_TLS_ADOPT;
    a->reserved[0] = (uint64_t)(uintptr_t)tp;
}

int wf_attr_valid(const weft_attr_t *a);

#endif
