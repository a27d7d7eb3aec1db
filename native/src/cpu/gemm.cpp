// GEMM entry points: argument edge cases, the choice of kernel set and of the thread count.
// The packed, cache-blocked work happens in gemm_driver.h, instantiated per ISA in
// gemm_kernel_avx512.cpp, gemm_kernel_avx2.cpp and gemm_kernel_generic.cpp.
#include "cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <new>

#include "cpu/gemm_internal.h"
#include "cpu/parallel.h"

namespace ng::cpu {
namespace detail {
namespace {

// Below this many multiply-adds (about an 80^3 product, ~10 us on one core) waking a second
// thread and joining it (a few us, far more when the machine is shared) eats most of the gain.
constexpr int64_t kParallelMinMacs = int64_t(1) << 19;

struct AlignedDelete {
    void operator()(unsigned char* p) const { ::operator delete(p, std::align_val_t{64}); }
};

// C = beta * C, the whole answer when the product term vanishes (k == 0 or alpha == 0).
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
    if (beta == T(1)) return;
    for (int64_t i = 0; i < m; ++i) {
        T* row = c + i * ldc;
        if (beta == T(0)) {
            std::fill(row, row + n, T(0));  // never read: C may hold NaNs
        } else {
            for (int64_t j = 0; j < n; ++j) row[j] *= beta;
        }
    }
}

int threads_for(int64_t m, int64_t n, int64_t k) {
    if (omp_in_parallel()) return 1;  // nested inside a parallel kernel: the caller owns the cores
    if (m * n * k < kParallelMinMacs) return 1;
    // No more threads than there are micro-tiles (6 rows x 8 columns is the smallest tile).
    const int64_t tiles = ((m + 5) / 6) * ((n + 7) / 8);
    return static_cast<int>(std::min<int64_t>(num_threads(), tiles));
}

template <class T, class Fn>
void run(Fn driver, const GemmArgs<T>& g, const GemmBlocking* blocking) {
    if (g.m <= 0 || g.n <= 0) return;
    if (g.k <= 0 || g.alpha == T(0)) {
        scale_c(g.m, g.n, g.beta, g.c, g.ldc);
        return;
    }
    driver(g, blocking ? *blocking : GemmBlocking{}, threads_for(g.m, g.n, g.k));
}

bool use_avx2(Isa isa) { return uses_avx2(isa) && cpu_has_avx2_fma(); }
bool use_avx512(Isa isa) { return isa == Isa::Avx512 && cpu_has_avx512f(); }

// Rows/columns of C a kernel computes for `count` real ones: edge tiles are padded to full tiles.
constexpr int64_t padded(int64_t count, int64_t tile) { return (count + tile - 1) / tile * tile; }
}  // namespace

// The 8x32 tile is faster per multiply-add, but on a small or odd-sized C it may pad far more
// (10 columns run as 32, against 16 with the 6x16 tile): take it unless it computes more padded
// C elements than the 6x16 tile would.
bool sgemm_prefers_avx512(int64_t m, int64_t n) {
    return padded(m, 8) * padded(n, 32) <= padded(m, 6) * padded(n, 16);
}

void* gemm_workspace(std::size_t bytes) {
    thread_local std::unique_ptr<unsigned char, AlignedDelete> buffer;
    thread_local std::size_t capacity = 0;
    if (bytes > capacity) {
        // Grow geometrically so a sequence of slightly larger calls does not reallocate each time.
        const std::size_t size = std::max(bytes, capacity + capacity / 2);
        buffer.reset();
        capacity = 0;
        buffer.reset(static_cast<unsigned char*>(::operator new(size, std::align_val_t{64})));
        capacity = size;
    }
    return buffer.get();
}

void sgemm_with_isa(Isa isa, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc, const GemmBlocking* blocking) {
    const GemmArgs<float> g{ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
    run(use_avx512(isa) ? sgemm_avx512 : use_avx2(isa) ? sgemm_avx2 : sgemm_generic, g, blocking);
}

void dgemm_with_isa(Isa isa, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                    const double* a, int64_t lda, const double* b, int64_t ldb, double beta,
                    double* c, int64_t ldc, const GemmBlocking* blocking) {
    const GemmArgs<double> g{ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
    run(use_avx2(isa) ? dgemm_avx2 : dgemm_generic, g, blocking);
}
}  // namespace detail

void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    Isa isa = active_isa();
    if (isa == Isa::Avx512 && !detail::sgemm_prefers_avx512(m, n)) isa = Isa::Avx2;
    detail::sgemm_with_isa(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
    detail::dgemm_with_isa(active_isa(), ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
}  // namespace ng::cpu
