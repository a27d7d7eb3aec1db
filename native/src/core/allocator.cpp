#include "core/allocator.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "core/error.h"

namespace ng {
namespace {

// Blocks are rounded up to a power of two (min 64 bytes); each size class keeps a free list.
// Blocks larger than kMaxCachedBlock go straight back to the system, and the cache as a whole
// is capped so a burst of large temporaries does not pin memory for the life of the process.
constexpr int kClasses = 48;
constexpr size_t kMaxCachedBlock = size_t(64) << 20;
constexpr size_t kMaxCachedTotal = size_t(256) << 20;

int size_class(size_t bytes) {
    if (bytes <= 64) return 6;
#if defined(__GNUC__) || defined(__clang__)
    return 64 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));
#else
    int c = 6;
    for (size_t s = 64; s < bytes; s <<= 1) ++c;
    return c;
#endif
}

struct Cache {
    std::mutex mutex;
    std::vector<void*> free_lists[kClasses];
    size_t cached = 0;

    ~Cache() {
        for (auto& list : free_lists)
            for (void* p : list) system_free(p);
    }
    static void* system_alloc(size_t bytes) {
#if defined(_WIN32)
        return _aligned_malloc(bytes, kAlignment);
#else
        void* p = nullptr;
        if (posix_memalign(&p, kAlignment, bytes) != 0) return nullptr;
        return p;
#endif
    }
    static void system_free(void* p) {
#if defined(_WIN32)
        _aligned_free(p);
#else
        std::free(p);
#endif
    }
};

// A small per-thread front cache for blocks up to 64 KiB: the common case of a training loop
// (many small temporaries freed and reallocated by the same thread) then takes no lock at all.
// The bins live on the heap behind a TLS pointer; a guard object returns them to the shared
// cache when the thread exits, after which the thread uses the shared cache directly. (No
// initial-exec TLS: a library loaded into .NET finds the static TLS surplus already used up.)
constexpr int kLocalMaxClass = 16;  // 64 KiB
constexpr int kLocalPerClass = 8;
struct LocalBins {
    void* blocks[kLocalMaxClass + 1][kLocalPerClass];
    int count[kLocalMaxClass + 1];
};

thread_local LocalBins* tl_bins = nullptr;
thread_local bool tl_bins_retired = false;

void flush_local_bins() noexcept;
struct LocalBinsGuard {
    ~LocalBinsGuard() {
        flush_local_bins();
        delete tl_bins;
        tl_bins = nullptr;
        tl_bins_retired = true;
    }
};
thread_local LocalBinsGuard local_guard;

LocalBins* local_bins_for_free() noexcept {
    if (tl_bins || tl_bins_retired) return tl_bins;
    tl_bins = new (std::nothrow) LocalBins{};
    if (tl_bins) (void)&local_guard;  // constructs the guard, so the bins are flushed at thread exit
    return tl_bins;
}

Cache& cache() {
    // Intentionally never destroyed: tensors released by finalizers during process exit may
    // still return blocks after static destructors have run.
    static Cache* c = new Cache();
    return *c;
}

void flush_local_bins() noexcept {
    LocalBins* bins = tl_bins;
    if (!bins) return;
    for (int c = 0; c <= kLocalMaxClass; ++c) {
        while (bins->count[c] > 0) {
            void* p = bins->blocks[c][--bins->count[c]];
            Cache& k = cache();
            std::lock_guard<std::mutex> lock(k.mutex);
            try {
                k.free_lists[c].push_back(p);
                k.cached += size_t(1) << c;
            } catch (...) {
                Cache::system_free(p);
            }
        }
    }
}

}  // namespace

// The fast paths below are the per-thread bins alone, small enough to need no stack frame; every
// other case goes to the out-of-line slow paths.
[[gnu::noinline]] static void* allocate_slow(size_t bytes, int c) {
    NG_CHECK(c < kClasses, NG_STATUS_OUT_OF_MEMORY, "allocation of ", bytes, " bytes is too large");
    const size_t rounded = size_t(1) << c;
    Cache& k = cache();
    {
        std::lock_guard<std::mutex> lock(k.mutex);
        auto& list = k.free_lists[c];
        if (!list.empty()) {
            void* p = list.back();
            list.pop_back();
            k.cached -= rounded;
            return p;
        }
    }
    void* p = Cache::system_alloc(rounded);
    if (!p) {
        empty_cache();
        p = Cache::system_alloc(rounded);
    }
    if (!p) {
        fail(NG_STATUS_OUT_OF_MEMORY, concat("out of memory allocating ", bytes, " bytes"));
    }
    return p;
}

void* allocate(size_t bytes) {
    const int c = size_class(bytes == 0 ? 1 : bytes);
    if (c <= kLocalMaxClass) {
        LocalBins* bins = tl_bins;
        if (bins && bins->count[c] > 0) return bins->blocks[c][--bins->count[c]];
    }
    return allocate_slow(bytes, c);
}

[[gnu::noinline]] static void deallocate_slow(void* p, int c) noexcept {
    const size_t rounded = size_t(1) << c;
    if (c <= kLocalMaxClass) {
        LocalBins* bins = local_bins_for_free();
        if (bins && bins->count[c] < kLocalPerClass) {
            bins->blocks[c][bins->count[c]++] = p;
            return;
        }
    }
    Cache& k = cache();
    {
        std::lock_guard<std::mutex> lock(k.mutex);
        if (rounded <= kMaxCachedBlock && k.cached + rounded <= kMaxCachedTotal) {
            try {
                k.free_lists[c].push_back(p);
                k.cached += rounded;
                return;
            } catch (...) {
                // fall through: free it instead of caching
            }
        }
    }
    Cache::system_free(p);
}

void deallocate(void* p, size_t bytes) noexcept {
    if (!p) return;
    const int c = size_class(bytes == 0 ? 1 : bytes);
    if (c <= kLocalMaxClass) {
        LocalBins* bins = tl_bins;
        if (bins && bins->count[c] < kLocalPerClass) {
            bins->blocks[c][bins->count[c]++] = p;
            return;
        }
    }
    deallocate_slow(p, c);
}

AllocatorStats allocator_stats() {
    Cache& k = cache();
    std::lock_guard<std::mutex> lock(k.mutex);
    return AllocatorStats{static_cast<int64_t>(k.cached)};
}

void empty_cache() noexcept {
    flush_local_bins();
    Cache& k = cache();
    std::vector<void*> blocks;
    {
        std::lock_guard<std::mutex> lock(k.mutex);
        for (auto& list : k.free_lists) {
            for (void* p : list) {
                try {
                    blocks.push_back(p);
                } catch (...) {
                    Cache::system_free(p);
                }
            }
            list.clear();
        }
        k.cached = 0;
    }
    for (void* p : blocks) Cache::system_free(p);
}

}  // namespace ng
