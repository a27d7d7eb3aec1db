// Per-thread scratch buffers of the convolution kernels: grown on demand, never shrunk, kept
// between calls, so a training loop does not pay page faults for fresh multi-megabyte buffers
// on every call.
#pragma once
#include <cstddef>
#include <vector>

namespace ng::cpu {

// Each (T, Slot) is one buffer per thread. Slots are owned by one file each, because a buffer's
// contents may have to survive other kernels' calls (the direct convolution's padded input keeps
// its zero border across images): conv2d.cpp uses slots 0-9, conv2d_direct.cpp 10-19.
template <class T, int Slot>
T* thread_scratch(size_t count) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < count) {
        buffer.clear();
        buffer.shrink_to_fit();
        buffer.resize(count);
    }
    return buffer.data();
}

}  // namespace ng::cpu
