// Portable micro-kernels (plain C++ the compiler vectorises for the baseline ISA, SSE2 on x86-64)
// and their instantiation of the blocked driver. Used when the CPU lacks AVX2+FMA or when
// NATIVEGRAD_ISA=generic.
#include "cpu/gemm_driver.h"
#include "cpu/gemm_internal.h"

namespace ng::cpu::detail {
namespace {

// MR x NR accumulators in a local array: with compile-time bounds the compiler keeps them in
// registers and turns the j loop into vector multiply-adds. The tile is sized so the accumulators
// fill 12 of the 16 SSE registers (6 rows x 2 vectors), like the AVX2 kernel does with ymm.
template <class Real, int kMR, int kNR, int64_t kMC, int64_t kKC, int64_t kNC>
struct KernelGeneric {
    using T = Real;
    static constexpr int MR = kMR, NR = kNR;
    static constexpr int64_t MC = kMC, KC = kKC, NC = kNC;

    static void run(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, T alpha, T beta) {
        T acc[MR][NR] = {};
        for (int64_t p = 0; p < kc; ++p) {
            for (int r = 0; r < MR; ++r) {
                const T av = a[r];
                for (int s = 0; s < NR; ++s) acc[r][s] += av * b[s];
            }
            a += MR;
            b += NR;
        }
        for (int r = 0; r < MR; ++r) {
            T* row = c + r * ldc;
            if (beta == T(0)) {
                for (int s = 0; s < NR; ++s) row[s] = alpha * acc[r][s];
            } else {
                for (int s = 0; s < NR; ++s) row[s] = alpha * acc[r][s] + beta * row[s];
            }
        }
    }
};

// Same block bytes as the AVX2 kernels (see gemm_kernel_avx2.cpp for the reasoning).
using KernelF32Generic = KernelGeneric<float, 6, 8, 72, 512, 2040>;
using KernelF64Generic = KernelGeneric<double, 6, 4, 72, 512, 1020>;

}  // namespace

void sgemm_generic(const GemmArgs<float>& g, const GemmBlocking& blk, int threads) {
    gemm_blocked<KernelF32Generic>(g, blk, threads);
}

void dgemm_generic(const GemmArgs<double>& g, const GemmBlocking& blk, int threads) {
    gemm_blocked<KernelF64Generic>(g, blk, threads);
}

}  // namespace ng::cpu::detail
