// cxx.cpp - an unmodified C++ program (plain `g++ -pthread`): std::thread,
// std::mutex, std::condition_variable (with a timeout), std::async and
// std::future, std::call_once, a function-local static, thread_local
// is left out (per vCPU until weft switches the thread pointer).
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

static std::mutex mu;
static std::condition_variable cv;
static int ready_count = 0;
static bool go = false;
static std::once_flag once;
static int once_runs = 0;

static int &counter()
{
    static int c = 0; // guarded initialisation (__cxa_guard_acquire)
    return c;
}

static long fib(int n)
{
    if (n < 2)
        return n;
    auto left = std::async(std::launch::async, fib, n - 1);
    long right = fib(n - 2);
    return left.get() + right;
}

int main()
{
    const int N = 200;
    std::vector<std::thread> ts;
    for (int i = 0; i < N; i++)
        ts.emplace_back([] {
            std::call_once(once, [] { once_runs++; });
            std::unique_lock<std::mutex> lk(mu);
            ready_count++;
            cv.notify_all();
            cv.wait(lk, [] { return go; });
            counter()++;
        });
    {
        std::unique_lock<std::mutex> lk(mu);
        if (!cv.wait_for(lk, std::chrono::seconds(30), [&] { return ready_count == N; })) {
            std::printf("threads did not all arrive\n");
            return 1;
        }
        go = true;
    }
    cv.notify_all();
    for (auto &t : ts)
        t.join();
    if (counter() != N || once_runs != 1) {
        std::printf("counter %d, once ran %d times\n", counter(), once_runs);
        return 1;
    }
    // std::async + future::get (libstdc++ waits on a futex through syscall())
    long f = fib(15);
    if (f != 610) {
        std::printf("fib(15) = %ld\n", f);
        return 1;
    }
    std::vector<std::future<int>> fs;
    for (int i = 0; i < 100; i++)
        fs.push_back(std::async(std::launch::async, [i] {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return i;
        }));
    int sum = 0;
    for (auto &x : fs)
        sum += x.get();
    if (sum != 4950) {
        std::printf("async sum %d\n", sum);
        return 1;
    }
    std::printf("ok: std::thread, mutex, condition_variable, call_once, async\n");
    return 0;
}
