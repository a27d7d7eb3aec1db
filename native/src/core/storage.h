// A reference-counted, 64-byte-aligned buffer shared by a tensor and all of its views.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/ref.h"

namespace ng {

class Storage final : public RefCounted {
public:
    // One allocation holds the header and the (64-byte-aligned) data that follows it.
    static Ref<Storage> create(size_t nbytes);
    // Places a storage inside a block obtained from allocate(block_bytes) that also holds other
    // data in front of it (a tensor's own object, see empty_tensor): the header goes at `header`,
    // 64-byte aligned, the data right after it, and the whole block is freed with the storage.
    static Ref<Storage> create_in_block(void* block, size_t block_bytes, void* header, size_t nbytes);
    // Bytes taken by the header in front of the data (a multiple of 64, so the data stays aligned).
    static size_t header_bytes() noexcept;

    void* data() const noexcept { return data_; }
    size_t nbytes() const noexcept { return nbytes_; }

    // Bumped by every in-place write. Shared by all views of this storage, so autograd can tell
    // that a tensor it saved for backward was modified through any alias.
    uint32_t version() const noexcept { return version_.load(std::memory_order_relaxed); }
    void bump_version() noexcept { version_.fetch_add(1, std::memory_order_relaxed); }

private:
    Storage(void* data, size_t nbytes, void* block, size_t block_bytes)
        : data_(data), nbytes_(nbytes), block_(block), block_bytes_(block_bytes) {}
    void destroy() noexcept override;

    void* data_;
    size_t nbytes_;
    void* block_;  // start of the allocation holding this header (itself, or a tensor in front)
    size_t block_bytes_;
    std::atomic<uint32_t> version_{0};
};

}  // namespace ng
