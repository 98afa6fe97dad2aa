// tls.cpp - an unmodified C++ program whose threads keep state in
// thread_local objects and errno: run under libweft-pthread (check.sh),
// every std::thread must see its own objects, constructed once and
// destroyed once, and its own errno, across yields and sleeps on any vCPU.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

static std::atomic<long> made{0}, destroyed{0}, wrong{0};

struct Session {
    std::string owner = "nobody";
    long hits = 0;
    Session() { made++; }
    ~Session()
    {
        if (hits != 100)
            wrong++;
        destroyed++;
    }
};

thread_local Session session;
thread_local int depth = 3;

static void worker(int id)
{
    if (session.owner != "nobody" || depth != 3)
        wrong++;
    session.owner = "thread " + std::to_string(id);
    errno = id;
    for (int i = 0; i < 100; i++) {
        session.hits++;
        depth++;
        if (i % 10 == 9)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        else
            std::this_thread::yield();
        if (session.owner != "thread " + std::to_string(id) || errno != id || depth != 4 + i)
            wrong++;
    }
}

int main()
{
    const int n = 2000;
    std::vector<std::thread> ts;
    for (int i = 0; i < n; i++)
        ts.emplace_back(worker, i + 1);
    for (auto &t : ts)
        t.join();
    if (made != n || destroyed != n || wrong) {
        std::printf("FAIL: %ld constructed, %ld destroyed of %d, %ld wrong\n", made.load(),
                    destroyed.load(), n, wrong.load());
        return 1;
    }
    std::printf("ok: %d threads, each with its own thread_local objects and errno\n", n);
    return 0;
}
