// Thread count and a deterministic parallel loop on top of OpenMP.
#pragma once
#include <cstdint>
#include <exception>
#include <omp.h>

namespace ng::cpu {

// Threads the kernels may use (>= 1). Starts from NATIVEGRAD_NUM_THREADS, else the core count.
int num_threads();
void set_num_threads(int n);

// Calls f(chunk_begin, chunk_end) for consecutive chunks of [begin, end) of at most `grain`
// elements. The chunk boundaries depend only on (begin, end, grain), never on the thread count,
// so a kernel that reduces within a chunk gives bit-identical results for any number of threads.
// An exception thrown by f is caught inside the parallel region and rethrown on the caller.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& f) {
    if (end <= begin) return;
    if (grain < 1) grain = 1;
    if (end - begin <= grain) {  // one chunk: no thread bookkeeping
        f(begin, end);
        return;
    }
    const int64_t chunks = (end - begin + grain - 1) / grain;
    const int threads = num_threads();
    if (chunks == 1 || threads == 1 || omp_in_parallel()) {
        for (int64_t c = 0; c < chunks; ++c) {
            const int64_t b = begin + c * grain;
            f(b, b + grain < end ? b + grain : end);
        }
        return;
    }
    std::exception_ptr error;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
        try {
            const int64_t b = begin + c * grain;
            f(b, b + grain < end ? b + grain : end);
        } catch (...) {
#pragma omp critical(ng_parallel_for_error)
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace ng::cpu
