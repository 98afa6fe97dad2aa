// cxx_cancel.cpp - cancellation and pthread_exit in an unmodified C++
// program (plain `g++ -pthread`): in C++, pthread_cleanup_push is a
// destructor, and glibc runs destructors on cancellation by a forced
// unwind; so must weft. Checks that RAII destructors and cleanup handlers
// run innermost first, that catch (...) sees the unwind and rethrows it,
// and that pthread_exit unwinds the same way.
#include <pthread.h>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

static std::string order;

struct Note {
    const char *s;
    ~Note() { order += s; }
};

static void handler(void *s) { order += static_cast<const char *>(s); }

static void *cancelled(void *)
{
    Note outer{"o"};
    pthread_cleanup_push(handler, (void *)"h");
    try {
        Note inner{"i"};
        for (;;)
            sleep(1); // a cancellation point
    } catch (...) {
        order += "c";
        throw; // the forced unwind must go on
    }
    pthread_cleanup_pop(0);
    return nullptr;
}

static void deep(int n)
{
    Note n1{"d"};
    if (n == 0)
        pthread_exit((void *)42);
    deep(n - 1);
}

static void *exiting(void *)
{
    Note outer{"x"};
    deep(2);
    return nullptr;
}

int main()
{
    pthread_t t;
    void *r;
    pthread_create(&t, nullptr, cancelled, nullptr);
    usleep(20000);
    pthread_cancel(t);
    if (pthread_join(t, &r) || r != PTHREAD_CANCELED || order != "icho") {
        std::printf("cancel: result %p, order \"%s\" (expected \"icho\")\n", r, order.c_str());
        return 1;
    }
    order.clear();
    pthread_create(&t, nullptr, exiting, nullptr);
    if (pthread_join(t, &r) || r != (void *)42 || order != "dddx") {
        std::printf("pthread_exit: result %p, order \"%s\" (expected \"dddx\")\n", r, order.c_str());
        return 1;
    }
    std::printf("ok: destructors, catch (...) and cleanup handlers ran on cancel and pthread_exit\n");
    return 0;
}
