#include "core/storage.h"

#include "core/allocator.h"

namespace ng {

Storage::Storage(size_t nbytes) : data_(allocate(nbytes)), nbytes_(nbytes) {}

Storage::~Storage() { deallocate(data_, nbytes_); }

}  // namespace ng
