/* sem_named.c - named semaphores: sem_open, sem_close, sem_unlink.
 *
 * As in glibc: the semaphore of "/name" is the file /dev/shm/sem.name,
 * sizeof(sem_t) bytes holding a process-shared semaphore (sem.h), mapped
 * MAP_SHARED. Leading slashes are skipped; an empty name or one with
 * another '/' is EINVAL (ENOENT for sem_unlink), one longer than
 * NAME_MAX - 4 ENAMETOOLONG. A new semaphore is written in full under a
 * temporary name and then link()ed to its name, so nobody ever maps a
 * half-made one and two creators race safely: the loser of O_CREAT
 * without O_EXCL opens the winner's.
 *
 * One process maps each semaphore once: opening it again returns the same
 * address and counts a reference (the table below, keyed by the file's
 * device and inode); sem_close unmaps at the last close, and says EINVAL
 * for an address sem_open did not return. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/sem.h"
#include "posix/shared_futex.h"

#define SEM_DIR "/dev/shm/sem."

struct named {
    struct named *next;
    dev_t dev;
    ino_t ino;
    sem_t *addr;
    unsigned long refs;
};

static struct named *table;
static _Atomic uint32_t table_lock;

/* path gets /dev/shm/sem.<name>. 0, EINVAL or ENAMETOOLONG. */
static int path_of(const char *name, char path[sizeof SEM_DIR + NAME_MAX])
{
    if (!name)
        return EINVAL;
    while (*name == '/')
        name++;
    size_t n = strlen(name);
    if (n == 0 || strchr(name, '/'))
        return EINVAL;
    if (n > NAME_MAX - 4)
        return ENAMETOOLONG;
    memcpy(path, SEM_DIR, sizeof SEM_DIR - 1);
    memcpy(path + sizeof SEM_DIR - 1, name, n + 1);
    return 0;
}

static sem_t *fail(int e)
{
    errno = e;
    return SEM_FAILED;
}

/* Precondition: table_lock held. */
static struct named *find(dev_t dev, ino_t ino)
{
    for (struct named *n = table; n; n = n->next)
        if (n->dev == dev && n->ino == ino)
            return n;
    return NULL;
}

/* A new semaphore file of value, linked as path. Returns an open fd, or
 * -1 with errno (EEXIST: path exists). */
static int create(const char *path, mode_t mode, unsigned value)
{
    char tmp[sizeof SEM_DIR + 16];
    int fd = -1;
    uint64_t r = wf_host_now() ^ ((uint64_t)(uint32_t)wp_raw_getpid() << 20) ^ (uintptr_t)&r;
    for (int tries = 0; tries < 100 && fd < 0; tries++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(tmp, sizeof tmp, SEM_DIR "%08x", (unsigned)(r >> 32));
        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0 && errno != EEXIST)
            return -1;
    }
    if (fd < 0)
        return -1;
    struct wp_psem s;
    wp_psem_init(&s, value);
    sem_t sem;
    memcpy(&sem, &s, sizeof sem);
    ssize_t w;
    do
        w = pwrite(fd, &sem, sizeof sem, 0);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof sem) {
        int e = w < 0 ? errno : ENOSPC;
        unlink(tmp);
        close(fd);
        errno = e;
        return -1;
    }
    int rc = link(tmp, path);
    int e = errno;
    unlink(tmp);
    if (rc != 0) {
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

WP_EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
    char path[sizeof SEM_DIR + NAME_MAX];
    int rc = path_of(name, path);
    if (rc)
        return fail(rc);
    mode_t mode = 0;
    unsigned value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, unsigned);
        value = va_arg(ap, unsigned);
        va_end(ap);
        if (value > SEM_VALUE_MAX)
            return fail(EINVAL);
    }
    int excl = (oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        if (!excl) {
            fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0)
                break;
            if (errno != ENOENT || !(oflag & O_CREAT))
                return SEM_FAILED;
        }
        fd = create(path, mode, value);
        if (fd >= 0)
            break;
        if (errno != EEXIST || excl || tries > 100)
            return SEM_FAILED;
        /* Someone else created it meanwhile: open theirs. */
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fail(e);
    }
    if (st.st_size < (off_t)sizeof(sem_t)) {
        close(fd);
        return fail(EINVAL);
    }
    wp_ll_lock(&table_lock);
    struct named *n = find(st.st_dev, st.st_ino);
    if (n) {
        n->refs++;
        wp_ll_unlock(&table_lock);
        close(fd);
        return n->addr;
    }
    wp_ll_unlock(&table_lock);
    void *p = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return fail(e);
    struct named *fresh = malloc(sizeof *fresh);
    if (!fresh) {
        munmap(p, sizeof(sem_t));
        return fail(ENOMEM);
    }
    wp_ll_lock(&table_lock);
    n = find(st.st_dev, st.st_ino);
    if (n) { /* another thread mapped it meanwhile */
        n->refs++;
        wp_ll_unlock(&table_lock);
        munmap(p, sizeof(sem_t));
        free(fresh);
        return n->addr;
    }
    fresh->dev = st.st_dev;
    fresh->ino = st.st_ino;
    fresh->addr = p;
    fresh->refs = 1;
    fresh->next = table;
    table = fresh;
    wp_ll_unlock(&table_lock);
    return p;
}

WP_EXPORT int sem_close(sem_t *sem)
{
    wp_ll_lock(&table_lock);
    struct named **pp = &table, *n;
    while ((n = *pp) && n->addr != sem)
        pp = &n->next;
    if (!n) {
        wp_ll_unlock(&table_lock);
        errno = EINVAL;
        return -1;
    }
    if (--n->refs) {
        wp_ll_unlock(&table_lock);
        return 0;
    }
    *pp = n->next;
    wp_ll_unlock(&table_lock);
    munmap(n->addr, sizeof(sem_t));
    free(n);
    return 0;
}

WP_EXPORT int sem_unlink(const char *name)
{
    char path[sizeof SEM_DIR + NAME_MAX];
    int rc = path_of(name, path);
    if (rc) {
        errno = rc == ENAMETOOLONG ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    if (unlink(path) != 0) {
        if (errno == EPERM)
            errno = EACCES;
        return -1;
    }
    return 0;
}
