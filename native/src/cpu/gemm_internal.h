// Internals of the packed GEMM shared by the dispatcher (gemm.cpp), the per-ISA kernel files and
// the tests. Nothing here is part of the library's public surface.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/cpu_features.h"

namespace ng::cpu::detail {

// One GEMM call, bundled so the layers below do not pass thirteen arguments around.
template <class T>
struct GemmArgs {
    bool trans_a, trans_b;
    int64_t m, n, k;
    T alpha;
    const T* a;
    int64_t lda;
    const T* b;
    int64_t ldb;
    T beta;
    T* c;
    int64_t ldc;
};

// Cache blocking: an mc x kc block of A is packed per thread (sized for L2), a kc x nc block of B
// is packed once and shared by all threads (sized for L3). Zero means "the kernel's default".
struct GemmBlocking {
    int64_t mc = 0, kc = 0, nc = 0;
};

// The blocked drivers, one per kernel set. `threads` is the team size to ask OpenMP for (1 runs
// inline on the caller, with no parallel region). Require m, n, k >= 1 and alpha != 0.
void sgemm_generic(const GemmArgs<float>& g, const GemmBlocking& blk, int threads);
void dgemm_generic(const GemmArgs<double>& g, const GemmBlocking& blk, int threads);
void sgemm_avx2(const GemmArgs<float>& g, const GemmBlocking& blk, int threads);
void dgemm_avx2(const GemmArgs<double>& g, const GemmBlocking& blk, int threads);
void sgemm_avx512(const GemmArgs<float>& g, const GemmBlocking& blk, int threads);

// Whether sgemm, when the Avx512 kernel set is active, runs the AVX-512 micro-kernel (8x32 tiles)
// rather than the AVX2 one (6x16) for an m x n product; the two give identical results.
bool sgemm_prefers_avx512(int64_t m, int64_t n);

// sgemm/dgemm with an explicit kernel set (one the CPU lacks falls back to the widest it has), so
// one process can exercise every path; unlike sgemm, Avx512 always runs the AVX-512 kernel here.
// dgemm has no AVX-512 kernel: Avx512 runs the AVX2 one. A non-null `blocking` overrides the
// cache blocking (for tuning and for tests that force many small blocks).
void sgemm_with_isa(Isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                    float beta, float* c, int64_t ldc, const GemmBlocking* blocking = nullptr);
void dgemm_with_isa(Isa isa, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    double alpha, const double* a, int64_t lda, const double* b, int64_t ldb,
                    double beta, double* c, int64_t ldc, const GemmBlocking* blocking = nullptr);

// A 64-byte-aligned scratch buffer of at least `bytes`, owned by the calling thread and reused by
// its later calls, so repeated small GEMMs do not allocate. Valid until the next call on the same
// thread.
void* gemm_workspace(std::size_t bytes);

}  // namespace ng::cpu::detail
