#include "core/storage.h"

#include <new>

#include "core/allocator.h"

namespace ng {

namespace {
constexpr size_t kHeaderBytes = (sizeof(Storage) + kAlignment - 1) / kAlignment * kAlignment;
}

size_t Storage::header_bytes() noexcept { return kHeaderBytes; }

Ref<Storage> Storage::create(size_t nbytes) {
    const size_t block = kHeaderBytes + nbytes;
    void* mem = allocate(block);
    return create_in_block(mem, block, mem, nbytes);
}

Ref<Storage> Storage::create_in_block(void* block, size_t block_bytes, void* header, size_t nbytes) {
    auto* s = new (header) Storage(static_cast<char*>(header) + kHeaderBytes, nbytes, block, block_bytes);
    return Ref<Storage>::adopt(s);
}

void Storage::destroy() noexcept {
    const size_t block = block_bytes_;
    void* mem = block_;
    this->~Storage();
    deallocate(mem, block);
}

}  // namespace ng
