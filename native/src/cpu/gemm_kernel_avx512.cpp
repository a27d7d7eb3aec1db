// AVX-512F float GEMM micro-kernel and its instantiation of the blocked driver. Compiled with
// -mavx512f -mavx2 -mfma; only reached through detail::sgemm_avx512 after run-time detection.
//
// Why a second float kernel: on Zen 4 a 512-bit FMA runs on the same two 256-bit pipes as two
// AVX2 FMAs, so the peak is unchanged, but each k step of an 8x32 tile loads one 32-float row of B
// and 8 values of A for 16 FMAs, against 16 floats of B and 6 of A for 12 FMAs in the AVX2 6x16
// tile: a third less L1/L2 traffic per multiply-add. With two threads sharing the L3 and memory
// of a busy host that traffic is what held the AVX2 kernel back. Square SGEMM against the AVX2
// kernel, alternated call by call in one process on 2 threads while other guests loaded the host:
// N = 512 +14 to +32%, 1024 +2 to +10%, 2048 +8 to +13%; on a quiet host both run at 93-96% of the
// FMA peak and this one is 1-3% ahead. A 12x32 tile (24 accumulators, less traffic still) measured
// 3-20% below this one at N = 512 on 2 threads: 512 rows make 43 panels of 12, split 22/21.
//
// Results are bit-identical to the AVX2 kernel's: every C element sums its products in the same
// order (one FMA per k, K blocked by the same KC) and the tile is finished with the same formula.
// So the dispatcher may pick either kernel per call by speed alone.
#include <immintrin.h>

#include "cpu/gemm_driver.h"
#include "cpu/gemm_internal.h"
#include "cpu/gemm_prefetch.h"

namespace ng::cpu::detail {
namespace {

// 8x32 float tile: 16 zmm accumulators + 2 B vectors + 1 broadcast A value. Per k step: 2 loads of
// B, 8 broadcasts of A, 16 FMAs.
struct KernelF32Avx512 {
    using T = float;
    static constexpr int MR = 8, NR = 32;
    // KC must stay the AVX2 kernel's: the same K blocks give the same sums. MC x KC = 128 KB of
    // packed A in L2; MC = 128 or 256 measured no better.
    static constexpr int64_t MC = 64, KC = 512, NC = 2048;

    static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                    float beta) {
        __m512 acc[MR][2];
        zero(acc);
        prefetch_c_tile<MR, NR>(c, ldc);
#pragma GCC unroll 2
        for (int64_t p = 0; p < kc; ++p) {
            step(acc, a, _mm512_load_ps(b), _mm512_load_ps(b + 16));
            a += MR;
            b += NR;
        }
        finish(acc, c, ldc, alpha, beta);
    }

    // The same tile, reading B straight from kc rows of 32 values ldb apart and copying each row
    // to the packed panel as it goes (the driver's pack_b_in_kernel says when).
    static void run_packing(int64_t kc, const float* a, const float* b, int64_t ldb, float* b_panel,
                            float* c, int64_t ldc, float alpha, float beta) {
        __m512 acc[MR][2];
        zero(acc);
        prefetch_c_tile<MR, NR>(c, ldc);
#pragma GCC unroll 2
        for (int64_t p = 0; p < kc; ++p) {
            const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
            _mm512_store_ps(b_panel, b0);
            _mm512_store_ps(b_panel + 16, b1);
            step(acc, a, b0, b1);
            a += MR;
            b += ldb;
            b_panel += NR;
        }
        finish(acc, c, ldc, alpha, beta);
    }

private:
    static inline void zero(__m512 (&acc)[MR][2]) {
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    }

    // acc[r] += a[r] * (b0, b1) for the 8 rows r.
    static inline void step(__m512 (&acc)[MR][2], const float* a, __m512 b0, __m512 b1) {
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            const __m512 av = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }

    // c = alpha * tile + beta * c (c is not read when beta == 0), rounded exactly as the AVX2
    // kernel rounds it.
    static void finish(const __m512 (&acc)[MR][2], float* c, int64_t ldc, float alpha, float beta) {
        const __m512 va = _mm512_set1_ps(alpha);
        const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
        for (int r = 0; r < MR; ++r) {
            float* row = c + r * ldc;
            for (int h = 0; h < 2; ++h) {
                const __m512 v = beta == 0.0f
                                     ? _mm512_mul_ps(acc[r][h], va)
                                     : _mm512_fmadd_ps(acc[r][h], va,
                                                       _mm512_mul_ps(vb, _mm512_loadu_ps(row + 16 * h)));
                _mm512_storeu_ps(row + 16 * h, v);
            }
        }
    }
};

}  // namespace

void sgemm_avx512(const GemmArgs<float>& g, const GemmBlocking& blk, int threads) {
    gemm_blocked<KernelF32Avx512>(g, blk, threads);
}

}  // namespace ng::cpu::detail
