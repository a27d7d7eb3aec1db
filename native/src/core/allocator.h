// 64-byte-aligned host memory with a size-class cache, so that hot training loops reuse freed
// blocks instead of calling the system allocator for every intermediate tensor.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ng {

constexpr size_t kAlignment = 64;

// Returns a block of at least `bytes` bytes (never nullptr; throws ng::Error on exhaustion).
void* allocate(size_t bytes);
// Returns a block obtained from allocate(bytes) to the cache (or the system).
void deallocate(void* p, size_t bytes) noexcept;

struct AllocatorStats {
    int64_t bytes_cached;  // kept for reuse in the shared cache (per-thread bins not included)
};
AllocatorStats allocator_stats();
// Gives every cached block back to the system.
void empty_cache() noexcept;

}  // namespace ng
