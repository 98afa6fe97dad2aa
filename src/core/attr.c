/* attr.c - thread attributes. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/attr.h"
#include "weft/preempt.h"

#define ATTR_MAGIC 0x77656674u /* "weft" */

int wf_attr_valid(const weft_attr_t *a)
{
    return a && a->magic == ATTR_MAGIC;
}

int weft_attr_init(weft_attr_t *a)
{
    if (!a)
        return EINVAL;
    memset(a, 0, sizeof *a);
    a->magic = ATTR_MAGIC;
    a->stacksize = WEFT_STACK_DEFAULT;
    a->priority = WEFT_PRIO_DEFAULT;
    return 0;
}

int weft_attr_destroy(weft_attr_t *a)
{
    if (!wf_attr_valid(a))
        return EINVAL;
    a->magic = 0;
    return 0;
}

int weft_attr_setstacksize(weft_attr_t *a, size_t size)
{
    if (!wf_attr_valid(a) || size < WEFT_STACK_MIN || size > ((size_t)1 << 40))
        return EINVAL;
    a->stacksize = size;
    a->stackaddr = NULL;
    a->flags &= ~(WF_ATTR_SMALL | WF_ATTR_USERSTACK);
    return 0;
}

int weft_attr_getstacksize(const weft_attr_t *a, size_t *size)
{
    if (!wf_attr_valid(a) || !size)
        return EINVAL;
    *size = a->stacksize;
    return 0;
}

int weft_attr_setsmallstack(weft_attr_t *a, size_t size)
{
    if (!wf_attr_valid(a) || size < WEFT_SMALL_STACK_MIN || size >= WEFT_STACK_MIN ||
        size % 1024)
        return EINVAL;
    a->stacksize = size;
    a->stackaddr = NULL;
    a->flags = (a->flags & ~WF_ATTR_USERSTACK) | WF_ATTR_SMALL;
    return 0;
}

int weft_attr_setstack(weft_attr_t *a, void *addr, size_t size)
{
    if (!wf_attr_valid(a) || !addr || ((uintptr_t)addr & 15) || size < WEFT_SMALL_STACK_MIN)
        return EINVAL;
    a->stackaddr = addr;
    a->stacksize = size;
    a->flags = (a->flags & ~WF_ATTR_SMALL) | WF_ATTR_USERSTACK;
    return 0;
}

int weft_attr_getstack(const weft_attr_t *a, void **addr, size_t *size)
{
    if (!wf_attr_valid(a) || !addr || !size)
        return EINVAL;
    *addr = a->stackaddr;
    *size = a->stacksize;
    return 0;
}

int weft_attr_setdetached(weft_attr_t *a, int detached)
{
    if (!wf_attr_valid(a) || (detached != 0 && detached != 1))
        return EINVAL;
    a->flags = detached ? a->flags | WF_ATTR_DETACHED : a->flags & ~WF_ATTR_DETACHED;
    return 0;
}

int weft_attr_getdetached(const weft_attr_t *a, int *detached)
{
    if (!wf_attr_valid(a) || !detached)
        return EINVAL;
    *detached = !!(a->flags & WF_ATTR_DETACHED);
    return 0;
}

int weft_attr_setpriority(weft_attr_t *a, int prio)
{
    if (!wf_attr_valid(a) || prio < WEFT_PRIO_MIN || prio > WEFT_PRIO_MAX)
        return EINVAL;
    a->priority = prio;
    return 0;
}

int weft_attr_getpriority(const weft_attr_t *a, int *prio)
{
    if (!wf_attr_valid(a) || !prio)
        return EINVAL;
    *prio = a->priority;
    return 0;
}

int weft_attr_setname(weft_attr_t *a, const char *name)
{
    if (!wf_attr_valid(a) || !name)
        return EINVAL;
    strncpy(a->name, name, WEFT_NAME_MAX - 1);
    a->name[WEFT_NAME_MAX - 1] = 0;
    return 0;
}

int weft_attr_setnewgroup(weft_attr_t *a, int newgroup)
{
    if (!wf_attr_valid(a) || (newgroup != 0 && newgroup != 1))
        return EINVAL;
    a->flags = newgroup ? a->flags | WF_ATTR_NEWGROUP : a->flags & ~WF_ATTR_NEWGROUP;
    return 0;
}

int weft_attr_getnewgroup(const weft_attr_t *a, int *newgroup)
{
    if (!wf_attr_valid(a) || !newgroup)
        return EINVAL;
    *newgroup = !!(a->flags & WF_ATTR_NEWGROUP);
    return 0;
}

int weft_attr_settls(weft_attr_t *a, int mode)
{
    if (!wf_attr_valid(a) || mode < WEFT_TLS_DEFAULT || mode > WEFT_TLS_OWN)
        return EINVAL;
    a->flags &= ~(WF_ATTR_TLS_SHARED | WF_ATTR_TLS_OWN | WF_ATTR_TLS_ADOPT);
    if (mode == WEFT_TLS_SHARED)
        a->flags |= WF_ATTR_TLS_SHARED;
    else if (mode == WEFT_TLS_OWN)
        a->flags |= WF_ATTR_TLS_OWN;
    return 0;
}

int weft_attr_gettls(const weft_attr_t *a, int *mode)
{
    if (!wf_attr_valid(a) || !mode)
        return EINVAL;
    *mode = wf_attr_tls(a);
    return 0;
}

/* Preemption (weft/preempt.h): on by default, off with 0. */
int weft_attr_setpreempt(struct weft_attr *a, int on)
{
    if (!wf_attr_valid(a) || (on != 0 && on != 1))
        return EINVAL;
    if (on)
        a->flags &= ~(uint32_t)WF_ATTR_NOPREEMPT;
    else
        a->flags |= WF_ATTR_NOPREEMPT;
    return 0;
}

int weft_attr_getpreempt(const struct weft_attr *a, int *on)
{
    if (!wf_attr_valid(a) || !on)
        return EINVAL;
    *on = !(a->flags & WF_ATTR_NOPREEMPT);
    return 0;
}
