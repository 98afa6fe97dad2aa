/* key.c - thread-specific data.
 *
 * Keys: a global table of WEFT_KEYS_MAX slots, each with a sequence number
 * (odd while the key exists) and a destructor. Deleting a key bumps its
 * sequence, so values set under the old key become invisible at once in
 * every thread without visiting any of them; a new key in the same slot
 * starts with values that are NULL everywhere.
 *
 * Values: each thread that sets one gets a small table (t->specific): 32
 * pointers to leaves of 32 {sequence, value} entries, allocated as
 * touched, so a thread with one key costs 256 + 512 bytes, one without
 * none. Only the owning thread reads or writes its table, so there is no
 * lock; the table records its owner's id, so a table left on a reused
 * thread record by a path that did not run wf_keys_exit is never taken
 * for the new thread's (it is freed instead).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/spinlock.h"
#include "core/thread.h"
#include "sync/key.h"
#include "weft/sync.h"

#define LEAF 32
#define NLEAVES (WEFT_KEYS_MAX / LEAF)

_Static_assert(WEFT_KEYS_MAX % LEAF == 0, "whole leaves");
_Static_assert(sizeof(weft_key_t) <= 4, "bigger than glibc's pthread_key_t");

struct key_slot {
    _Atomic uint64_t seq;              /* odd: in use */
    void (*_Atomic destructor)(void *);
};

/* keys_lock serialises create and delete; get, set and exit read the
 * slots without it (the sequence decides). */
static wf_spinlock_t keys_lock;
static struct key_slot keys[WEFT_KEYS_MAX];

struct leaf {
    struct {
        uint64_t seq;   /* the key's sequence when value was set */
        void *value;
    } e[LEAF];
};

struct specific {
    uint64_t owner;                 /* id of the thread it belongs to */
    struct leaf *leaf[NLEAVES];
};

static void table_free(struct specific *sp)
{
    for (int i = 0; i < NLEAVES; i++)
        free(sp->leaf[i]);
    free(sp);
}

/* The calling thread's table, or NULL if it has none. */
static struct specific *table(struct wf_thread *self)
{
    struct specific *sp = self->specific;
    if (sp && sp->owner != self->id) { /* a previous user's, left behind */
        table_free(sp);
        self->specific = sp = NULL;
    }
    return sp;
}

int weft_key_create(weft_key_t *key, void (*destructor)(void *))
{
    if (!key)
        return EINVAL;
    int rc = EAGAIN;
    wf_spin_lock(&keys_lock);
    for (uint32_t k = 0; k < WEFT_KEYS_MAX; k++) {
        uint64_t seq = atomic_load_explicit(&keys[k].seq, memory_order_relaxed);
        if (seq & 1)
            continue;
        atomic_store_explicit(&keys[k].destructor, destructor, memory_order_relaxed);
        /* release: a thread that sees the new sequence sees the destructor */
        atomic_store_explicit(&keys[k].seq, seq + 1, memory_order_release);
        *key = k;
        rc = 0;
        break;
    }
    wf_spin_unlock(&keys_lock);
    return rc;
}

int weft_key_delete(weft_key_t key)
{
    if (key >= WEFT_KEYS_MAX)
        return EINVAL;
    int rc = EINVAL;
    wf_spin_lock(&keys_lock);
    uint64_t seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
    if (seq & 1) {
        atomic_store_explicit(&keys[key].seq, seq + 1, memory_order_release);
        rc = 0;
    }
    wf_spin_unlock(&keys_lock);
    return rc;
}

void *weft_key_get(weft_key_t key)
{
    if (key >= WEFT_KEYS_MAX)
        return NULL;
    struct specific *sp = table(wf_self());
    struct leaf *l = sp ? sp->leaf[key / LEAF] : NULL;
    if (!l)
        return NULL;
    uint64_t seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
    return l->e[key % LEAF].seq == seq ? l->e[key % LEAF].value : NULL;
}

int weft_key_set(weft_key_t key, const void *value)
{
    if (key >= WEFT_KEYS_MAX)
        return EINVAL;
    uint64_t seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
    if (!(seq & 1))
        return EINVAL;
    struct wf_thread *self = wf_self();
    struct specific *sp = table(self);
    if (!sp) {
        if (!value)
            return 0; /* NULL already */
        if (!(sp = calloc(1, sizeof *sp)))
            return ENOMEM;
        sp->owner = self->id;
        self->specific = sp;
    }
    struct leaf *l = sp->leaf[key / LEAF];
    if (!l) {
        if (!value)
            return 0;
        if (!(l = sp->leaf[key / LEAF] = calloc(1, sizeof *l)))
            return ENOMEM;
    }
    l->e[key % LEAF].seq = seq;
    l->e[key % LEAF].value = (void *)value;
    return 0;
}

/* One round over t's values: set each live one with a destructor to NULL
 * and call it. Returns how many were called. */
static int destroy_round(struct specific *sp)
{
    int called = 0;
    for (uint32_t i = 0; i < NLEAVES; i++) {
        for (uint32_t j = 0; j < LEAF; j++) {
            /* Reread the leaf: a destructor may have added it. */
            struct leaf *l = sp->leaf[i];
            if (!l || !l->e[j].value)
                continue;
            struct key_slot *k = &keys[i * LEAF + j];
            uint64_t seq = atomic_load_explicit(&k->seq, memory_order_acquire);
            void (*d)(void *) = atomic_load_explicit(&k->destructor, memory_order_relaxed);
            /* acquire above, recheck here: d belongs to this sequence */
            if (l->e[j].seq != seq || !d ||
                atomic_load_explicit(&k->seq, memory_order_acquire) != seq)
                continue;
            void *v = l->e[j].value;
            l->e[j].value = NULL;
            d(v);
            called++;
        }
    }
    return called;
}

void wf_keys_exit(struct wf_thread *t)
{
    struct specific *sp = table(t);
    if (!sp)
        return;
    for (int round = 0; round < WEFT_KEYS_DESTRUCTOR_ITERATIONS; round++)
        if (!destroy_round(sp))
            break;
    /* Values still set after the last round are dropped (POSIX allows it). */
    table_free(sp);
    t->specific = NULL;
}

/* fork (core/fork.c) holds this lock across fork, so that the child never
 * inherits it in the middle of another thread's update. */
wf_spinlock_t *wf_keys_lock_for_fork(void)
{
    return &keys_lock;
}
