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

    void* data() const noexcept { return data_; }
    size_t nbytes() const noexcept { return nbytes_; }

    // Bumped by every in-place write. Shared by all views of this storage, so autograd can tell
    // that a tensor it saved for backward was modified through any alias.
    uint32_t version() const noexcept { return version_.load(std::memory_order_relaxed); }
    void bump_version() noexcept { version_.fetch_add(1, std::memory_order_relaxed); }

private:
    Storage(void* data, size_t nbytes, size_t block_bytes) : data_(data), nbytes_(nbytes), block_bytes_(block_bytes) {}
    void destroy() noexcept override;

    void* data_;
    size_t nbytes_;
    size_t block_bytes_;
    std::atomic<uint32_t> version_{0};
};

}  // namespace ng
