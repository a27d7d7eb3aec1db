#include "cpu/parallel.h"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace ng::cpu {
namespace {
int initial_threads() {
    if (const char* env = std::getenv("NATIVEGRAD_NUM_THREADS")) {
        const int n = std::atoi(env);
        if (n >= 1) return n;
    }
    const unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
}
std::atomic<int>& thread_setting() {
    static std::atomic<int> value{initial_threads()};
    return value;
}
}  // namespace

int num_threads() { return thread_setting().load(std::memory_order_relaxed); }
void set_num_threads(int n) { thread_setting().store(n < 1 ? 1 : n, std::memory_order_relaxed); }
}  // namespace ng::cpu
