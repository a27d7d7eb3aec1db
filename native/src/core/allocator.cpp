#include "core/allocator.h"

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
    size_t s = 64;
    int c = 6;
    while (s < bytes) {
        s <<= 1;
        ++c;
    }
    return c;
}

struct Cache {
    std::mutex mutex;
    std::vector<void*> free_lists[kClasses];
    size_t cached = 0;
    int64_t in_use = 0;
    int64_t peak = 0;

    ~Cache() {
        for (auto& list : free_lists)
            for (void* p : list) system_free(p);
    }
    static void* system_alloc(size_t bytes) {
#if defined(_MSC_VER)
        return _aligned_malloc(bytes, kAlignment);
#else
        void* p = nullptr;
        if (posix_memalign(&p, kAlignment, bytes) != 0) return nullptr;
        return p;
#endif
    }
    static void system_free(void* p) {
#if defined(_MSC_VER)
        _aligned_free(p);
#else
        std::free(p);
#endif
    }
};

Cache& cache() {
    // Intentionally never destroyed: tensors released by finalizers during process exit may
    // still return blocks after static destructors have run.
    static Cache* c = new Cache();
    return *c;
}

}  // namespace

void* allocate(size_t bytes) {
    if (bytes == 0) bytes = 1;
    const int c = size_class(bytes);
    NG_CHECK(c < kClasses, NG_STATUS_OUT_OF_MEMORY, "allocation of ", bytes, " bytes is too large");
    const size_t rounded = size_t(1) << c;
    Cache& k = cache();
    {
        std::lock_guard<std::mutex> lock(k.mutex);
        k.in_use += static_cast<int64_t>(rounded);
        if (k.in_use > k.peak) k.peak = k.in_use;
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
        std::lock_guard<std::mutex> lock(k.mutex);
        k.in_use -= static_cast<int64_t>(rounded);
        fail(NG_STATUS_OUT_OF_MEMORY, concat("out of memory allocating ", bytes, " bytes"));
    }
    return p;
}

void deallocate(void* p, size_t bytes) noexcept {
    if (!p) return;
    if (bytes == 0) bytes = 1;
    const int c = size_class(bytes);
    const size_t rounded = size_t(1) << c;
    Cache& k = cache();
    {
        std::lock_guard<std::mutex> lock(k.mutex);
        k.in_use -= static_cast<int64_t>(rounded);
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

AllocatorStats allocator_stats() {
    Cache& k = cache();
    std::lock_guard<std::mutex> lock(k.mutex);
    return AllocatorStats{k.in_use, static_cast<int64_t>(k.cached), k.peak};
}

void empty_cache() noexcept {
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
