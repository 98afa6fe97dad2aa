/* test-group.c - thread groups: membership, new groups, info, limits,
 * errors, and group 0 (the runtime's own threads). */
#include "runner.h"

static weft_sem_t gate;

static void *wait_gate(void *arg)
{
    WT_OK(weft_sem_wait(&gate));
    return arg;
}

static void *report_group(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)weft_group_self();
}

static uint64_t id_of(weft_t t)
{
    uint64_t id = 0;
    WT_OK(weft_getid(t, &id));
    return id;
}

WT_TEST(self_and_inherit)
{
    weft_gid_t mine = weft_group_self(), g = 12345;
    WT_EQ_U64(weft_group_self(), mine);
    /* main is a user thread: not in the runtime's group 0 */
    WT_NE(mine, 0);
    WT_OK(weft_group_of(weft_self(), &g));
    WT_EQ_U64(g, mine);
    weft_group_info_t info;
    WT_OK(weft_group_info(mine, &info));
    WT_EQ_U64(info.gid, mine);
    WT_GE(info.nthreads, 1);
    WT_ASSERT(info.limit > 0); /* unsigned: ULONG_MAX is fine */

    /* a thread created normally joins its creator's group */
    weft_t t;
    void *r;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_create(&t, NULL, wait_gate, NULL));
    WT_OK(weft_group_of(t, &g));
    WT_EQ_U64(g, mine);
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(t, NULL));
    WT_ERR(weft_group_of(t, &g), ESRCH);
    WT_OK(weft_create(&t, NULL, report_group, NULL));
    WT_OK(weft_join(t, &r));
    WT_EQ_U64((uintptr_t)r, mine);
}

/* ---- a new group ---- */
struct leader_report {
    weft_gid_t gid, parent_seen, child_gid;
    uint64_t leader_id;
    weft_group_info_t with_children, after_joins;
};

static void *leader(void *arg)
{
    struct leader_report *rep = arg;
    rep->gid = weft_group_self();
    WT_OK(weft_getid(weft_self(), &rep->leader_id));
    /* children of the leader are in its group */
    weft_t c[3];
    for (int i = 0; i < 3; i++)
        WT_OK(weft_create(&c[i], NULL, wait_gate, NULL));
    WT_OK(weft_group_of(c[0], &rep->child_gid));
    WT_OK(weft_group_info(rep->gid, &rep->with_children));
    for (int i = 0; i < 3; i++)
        WT_OK(weft_sem_post(&gate));
    for (int i = 0; i < 3; i++)
        WT_OK(weft_join(c[i], NULL));
    WT_OK(weft_group_info(rep->gid, &rep->after_joins));
    return NULL;
}

WT_TEST(new_group)
{
    weft_gid_t mine = weft_group_self();
    weft_attr_t a;
    weft_t t;
    struct leader_report rep;
    memset(&rep, 0, sizeof rep);
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setnewgroup(&a, 1));
    WT_OK(weft_create(&t, &a, leader, &rep));
    weft_gid_t g;
    WT_OK(weft_group_of(t, &g));
    WT_EQ_U64(g, id_of(t)); /* the gid is the new thread's id */
    weft_group_info_t info;
    WT_OK(weft_group_info(g, &info));
    WT_EQ_U64(info.gid, g);
    WT_EQ_U64(info.parent, mine);
    WT_OK(weft_join(t, NULL));

    WT_EQ_U64(rep.gid, g);
    WT_EQ_U64(rep.leader_id, g);
    WT_EQ_U64(rep.child_gid, g);
    WT_EQ(rep.with_children.nthreads, 4); /* leader + 3 children */
    WT_EQ_U64(rep.with_children.parent, mine);
    WT_EQ(rep.after_joins.nthreads, 1);
    /* every thread of the group is gone: so is the group */
    WT_ERR(weft_group_info(g, &info), ESRCH);
    WT_ERR(weft_group_setlimit(g, 10), ESRCH);
    WT_OK(weft_attr_destroy(&a));
}

/* nthreads counts live threads: exited-but-not-joined ones too. */
static void *quick(void *arg) { return arg; }

WT_TEST(nthreads_counts)
{
    weft_gid_t mine = weft_group_self();
    weft_group_info_t i0, i1;
    WT_OK(weft_group_info(mine, &i0));
    weft_t t[5];
    for (int i = 0; i < 5; i++)
        WT_OK(weft_create(&t[i], NULL, quick, NULL));
    WT_OK(weft_group_info(mine, &i1));
    WT_EQ(i1.nthreads, i0.nthreads + 5);
    weft_sleep(50 * WT_MS); /* they have all ended, none is joined */
    WT_OK(weft_group_info(mine, &i1));
    WT_EQ(i1.nthreads, i0.nthreads + 5);
    for (int i = 0; i < 5; i++)
        WT_OK(weft_join(t[i], NULL));
    WT_OK(weft_group_info(mine, &i1));
    WT_EQ(i1.nthreads, i0.nthreads);
    /* detached-and-ended threads stop counting */
    for (int i = 0; i < 5; i++) {
        WT_OK(weft_create(&t[i], NULL, quick, NULL));
        WT_OK(weft_detach(t[i]));
    }
    WT_WAIT_UNTIL((weft_group_info(mine, &i1) == 0 &&
                   i1.nthreads == i0.nthreads), 10);
}

/* ---- limits ---- */
struct limit_report {
    int rc_over, rc_after_join;
    unsigned long limit_seen;
};

static void *limited_leader(void *arg)
{
    struct limit_report *rep = arg;
    weft_gid_t g = weft_group_self();
    weft_group_info_t info;
    WT_OK(weft_group_setlimit(g, 3)); /* leader + 2 */
    WT_OK(weft_group_info(g, &info));
    rep->limit_seen = info.limit;
    weft_t c[3];
    WT_OK(weft_create(&c[0], NULL, wait_gate, NULL));
    WT_OK(weft_create(&c[1], NULL, quick, NULL));
    rep->rc_over = weft_create(&c[2], NULL, quick, NULL);
    /* an ended but unjoined thread still counts */
    weft_sleep(20 * WT_MS);
    WT_ERR(weft_create(&c[2], NULL, quick, NULL), EAGAIN);
    WT_OK(weft_join(c[1], NULL));
    rep->rc_after_join = weft_create(&c[2], NULL, quick, NULL);
    if (rep->rc_after_join == 0)
        WT_OK(weft_join(c[2], NULL));
    /* full again after one more create */
    WT_OK(weft_create(&c[1], NULL, quick, NULL));
    WT_ERR(weft_create(&c[2], NULL, quick, NULL), EAGAIN);
    WT_OK(weft_join(c[1], NULL));
    /* raise the limit: room again */
    WT_OK(weft_group_setlimit(g, 10));
    WT_OK(weft_create(&c[1], NULL, quick, NULL));
    WT_OK(weft_create(&c[2], NULL, quick, NULL));
    WT_OK(weft_join(c[1], NULL));
    WT_OK(weft_join(c[2], NULL));
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(c[0], NULL));
    return NULL;
}

WT_TEST(limit)
{
    weft_attr_t a;
    weft_t t;
    struct limit_report rep = {-1, -1, 0};
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setnewgroup(&a, 1));
    WT_OK(weft_create(&t, &a, limited_leader, &rep));
    WT_OK(weft_join(t, NULL));
    WT_EQ(rep.limit_seen, 3);
    WT_ERR(rep.rc_over, EAGAIN);
    WT_OK(rep.rc_after_join);
    WT_OK(weft_attr_destroy(&a));
}

/* A limit set from outside the group, on a group that has its leader
 * blocked. */
WT_TEST(limit_from_outside)
{
    weft_attr_t a;
    weft_t leader_t;
    WT_OK(weft_sem_init(&gate, 0));
    WT_OK(weft_attr_init(&a));
    WT_OK(weft_attr_setnewgroup(&a, 1));
    WT_OK(weft_create(&leader_t, &a, wait_gate, NULL));
    weft_gid_t g;
    WT_OK(weft_group_of(leader_t, &g));
    WT_OK(weft_group_setlimit(g, 1));
    weft_group_info_t info;
    WT_OK(weft_group_info(g, &info));
    WT_EQ(info.limit, 1);
    WT_EQ(info.nthreads, 1);
    /* our own group is unaffected */
    weft_t t;
    WT_OK(weft_create(&t, NULL, quick, NULL));
    WT_OK(weft_join(t, NULL));
    WT_OK(weft_sem_post(&gate));
    WT_OK(weft_join(leader_t, NULL));
    WT_OK(weft_attr_destroy(&a));
}

WT_TEST(errors)
{
    weft_group_info_t info;
    weft_gid_t g;
    WT_ERR(weft_group_info(0xfffffffffffull, &info), ESRCH);
    WT_ERR(weft_group_info(~0ull, &info), ESRCH);
    WT_ERR(weft_group_setlimit(0xfffffffffffull, 5), ESRCH);
    WT_ERR(weft_group_setlimit(weft_group_self(), 0), EINVAL);
    WT_ERR(weft_group_setlimit(0, 5), EINVAL);
    WT_ERR(weft_group_setlimit(0, 0), EINVAL);
    WT_ERR(weft_group_of(0, &g), ESRCH);
    WT_ERR(weft_group_of(0xdeadbeefdeadbeefull, &g), ESRCH);
    /* refused calls change nothing */
    WT_OK(weft_group_info(weft_group_self(), &info));
    WT_ASSERT(info.limit > 0); /* unsigned: ULONG_MAX is fine */
}

WT_TEST(group_zero)
{
    weft_group_info_t info;
    memset(&info, 0xff, sizeof info);
    (void)weft_self(); /* starts the runtime */
    WT_OK(weft_group_info(0, &info));
    WT_EQ_U64(info.gid, 0);
    WT_EQ_U64(info.parent, 0);
    WT_GE(info.nthreads, 1); /* the runtime's own daemons */
    /* and the first user group has parent 0 */
    WT_OK(weft_group_info(weft_group_self(), &info));
    WT_EQ_U64(info.parent, 0);
}

WT_MAIN(WT_ENTRY(self_and_inherit, 0, 60),
        WT_ENTRY(new_group, 0, 60),
        WT_ENTRY(nthreads_counts, 0, 60),
        WT_ENTRY(limit, 0, 60),
        WT_ENTRY(limit_from_outside, 0, 60),
        WT_ENTRY(errors, 0, 60),
        WT_ENTRY(group_zero, 0, 60))
