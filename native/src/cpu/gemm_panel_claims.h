// Which thread packs each shared B micro-panel, when the GEMM driver lets the first thread to need a
// panel pack it (see gemm_driver.h) instead of having all threads pack the block up front and meet
// at a barrier.
//
// Two counters per panel hold the number of the last (jc, pc) block for which the panel was claimed
// and for which its packing finished. Block numbers only grow within a call, so the counters never
// need resetting between blocks. A thread never waits while it holds an unfinished claim, so the
// waits cannot deadlock, and a thread delayed by the operating system only means that the other
// threads claim more of the panels themselves.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace ng::cpu::detail {
namespace {

class PanelClaims {
public:
    // Bytes of workspace that `panels` claims need (a multiple of 64, so what follows stays aligned).
    static std::size_t bytes(int64_t panels) {
        return (2 * static_cast<std::size_t>(panels) * sizeof(Counter) + 63) & ~std::size_t(63);
    }

    // Lays the counters out in `memory` (at least bytes(panels), suitably aligned), all at block 0.
    // Called before the parallel region that uses them.
    PanelClaims(void* memory, int64_t panels)
        : claimed_(static_cast<Counter*>(memory)), ready_(claimed_ + panels) {
        for (int64_t q = 0; q < 2 * panels; ++q) new (claimed_ + q) Counter(0);
    }

    // True when the calling thread must pack panel q of `block` and then call publish(q, block);
    // false when the panel is ready to read, after waiting for the thread that packs it if need be.
    bool acquire(int64_t q, int64_t block) {
        if (ready_[q].load(std::memory_order_acquire) >= block) return false;
        int64_t seen = claimed_[q].load(std::memory_order_relaxed);
        while (seen < block &&
               !claimed_[q].compare_exchange_weak(seen, block, std::memory_order_acq_rel,
                                                  std::memory_order_relaxed)) {
        }
        if (seen < block) return true;  // this thread's exchange made the claim
        while (ready_[q].load(std::memory_order_acquire) < block) relax();
        return false;
    }

    void publish(int64_t q, int64_t block) { ready_[q].store(block, std::memory_order_release); }

private:
    using Counter = std::atomic<int64_t>;
    static_assert(std::is_trivially_destructible_v<Counter>, "counters live in raw workspace");

    static void relax() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }

    Counter* claimed_;
    Counter* ready_;
};

}  // namespace
}  // namespace ng::cpu::detail
