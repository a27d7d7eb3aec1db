#include "core/storage.h"

#include <new>

#include "core/allocator.h"

namespace ng {

namespace {
constexpr size_t kHeaderBytes = (sizeof(Storage) + kAlignment - 1) / kAlignment * kAlignment;
}

Ref<Storage> Storage::create(size_t nbytes) {
    const size_t block = kHeaderBytes + nbytes;
    void* mem = allocate(block);
    auto* s = new (mem) Storage(static_cast<char*>(mem) + kHeaderBytes, nbytes, block);
    return Ref<Storage>::adopt(s);
}

void Storage::destroy() noexcept {
    const size_t block = block_bytes_;
    void* mem = this;
    this->~Storage();
    deallocate(mem, block);
}

}  // namespace ng
