// cxx.cpp - C++ thread_local objects on weft threads with TLS of their own:
// each thread's object is constructed on first use, keeps its value across
// yields, sleeps and migrations, and is destroyed when its thread ends
// (weft_exit runs glibc's __call_tls_dtors), once per thread; an exception
// being handled stays the thread's across a switch. Prints
// "ok" and exits 0, or says what went wrong and exits 1; exits 77 (skip)
// where own TLS is unavailable.
#include <weft.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

static std::atomic<long> constructed{0}, destroyed{0}, wrong{0};
static std::atomic<int> migrations{0};

struct Tracked {
    long id = -1;
    std::string name; // heap memory that the destructor must free
    Tracked() : name("fresh") { constructed++; }
    ~Tracked()
    {
        if (name != "thread " + std::to_string(id))
            wrong++;
        destroyed++;
    }
};

thread_local Tracked tracked;
thread_local int counter = 5;

static void *body(void *arg)
{
    long id = (long)(intptr_t)arg;
    if (tracked.id != -1 || tracked.name != "fresh" || counter != 5)
        wrong++;
    tracked.id = id;
    tracked.name = "thread " + std::to_string(id);
    Tracked *mine = &tracked;
    int vcpu = weft_vcpu_self();
    for (int i = 0; i < 20; i++) {
        counter++;
        if (i % 4 == 3)
            weft_sleep(1000);
        else
            weft_yield();
        if (weft_vcpu_self() != vcpu) {
            migrations++;
            vcpu = weft_vcpu_self();
        }
        if (&tracked != mine || tracked.id != id || counter != 6 + i)
            wrong++;
    }
    // libstdc++ keeps the exceptions being handled per thread (in TLS):
    // switch inside a handler, then rethrow and catch again.
    try {
        throw std::runtime_error(tracked.name);
    } catch (const std::exception &) {
        weft_yield();
        weft_sleep(1000);
        try {
            throw; // the current exception: this thread's, on any vCPU
        } catch (const std::runtime_error &e) {
            if (e.what() != tracked.name || std::uncaught_exceptions() != 0)
                wrong++;
        }
    }
    return nullptr;
}

int main(int argc, char **argv)
{
    if (!weft_tls_supported()) {
        std::puts("skipped: own TLS is not available here");
        return 77;
    }
    long n = argc > 1 ? std::atol(argv[1]) : 10000;
    const char *scale = std::getenv("WEFT_TEST_SCALE");
    if (scale && std::atol(scale) > 1)
        n /= std::atol(scale);
    weft_attr_t a;
    weft_attr_init(&a);
    weft_attr_settls(&a, WEFT_TLS_OWN);
    for (int round = 0; round < 2; round++) { // the second reuses the blocks
        constructed = destroyed = 0;
        std::vector<weft_t> t(n);
        for (long i = 0; i < n; i++)
            if (weft_create(&t[i], &a, body, (void *)(intptr_t)i)) {
                std::printf("FAIL: weft_create %ld\n", i);
                return 1;
            }
        for (long i = 0; i < n; i++)
            weft_join(t[i], nullptr);
        if (constructed != n || destroyed != n || wrong) {
            std::printf("FAIL: round %d: %ld constructed, %ld destroyed of %ld, %ld wrong\n", round,
                        constructed.load(), destroyed.load(), n, wrong.load());
            return 1;
        }
    }
    std::printf("ok: %ld threads twice, %d changes of vCPU\n", n, migrations.load());
    return 0;
}
