// AVX2+FMA micro-kernels and their instantiation of the blocked driver. Compiled with -mavx2 -mfma;
// only reached through detail::sgemm_avx2/dgemm_avx2 after run-time detection.
#include <immintrin.h>

#include "cpu/gemm_driver.h"
#include "cpu/gemm_internal.h"
#include "cpu/gemm_prefetch.h"
#include "cpu/fma_tile_avx2.h"

namespace ng::cpu::detail {
namespace {

// 6x16 float tile: 12 accumulators + 2 B vectors + 1 broadcast A value = 15 of the 16 ymm
// registers. Per k step: 2 loads of B, 6 broadcasts of A, 12 FMAs, which keeps both FMA pipes of
// Zen 4 busy (latency 4 x 2 pipes = 8 accumulators needed, 12 available).
struct KernelF32Avx2 {
    using T = float;
    static constexpr int MR = 6, NR = 16;
    // Measured on Zen 4 (gemm_bench --kc/--mc/--nc). A long KC amortises the C tile's load and
    // store over more FMAs (KC = 512 runs the kernel at ~98% of the FMA peak from L1/L2, 256 at
    // ~90%); the 32 KB B micro-panel and the streamed 12 KB A micro-panels are both fed from L2
    // fast enough. MC x KC = 144 KB of packed A stays well inside the 1 MB L2 next to the B
    // micro-panels; the shared KC x NC block of B (4 MB) lives in L3.
    static constexpr int64_t MC = 72, KC = 512, NC = 2040;

    static void run(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                    float beta) {
        Tile6x16 t;
        prefetch_c_tile<MR, NR>(c, ldc);
#pragma GCC unroll 4
        for (int64_t p = 0; p < kc; ++p) {
            t.step(a, _mm256_load_ps(b), _mm256_load_ps(b + 8));
            a += MR;
            b += NR;
        }
        finish(t, c, ldc, alpha, beta);
    }

    // The same tile, reading B straight from kc rows of 16 values ldb apart and copying each row
    // to the packed panel as it goes (the driver's pack_b_in_kernel says when).
    static void run_packing(int64_t kc, const float* a, const float* b, int64_t ldb, float* b_panel,
                            float* c, int64_t ldc, float alpha, float beta) {
        Tile6x16 t;
        prefetch_c_tile<MR, NR>(c, ldc);
#pragma GCC unroll 4
        for (int64_t p = 0; p < kc; ++p) {
            const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            _mm256_store_ps(b_panel, b0);
            _mm256_store_ps(b_panel + 8, b1);
            t.step(a, b0, b1);
            a += MR;
            b += ldb;
            b_panel += NR;
        }
        finish(t, c, ldc, alpha, beta);
    }

private:
    // c = alpha * tile + beta * c (c is not read when beta == 0).
    static void finish(const Tile6x16& t, float* c, int64_t ldc, float alpha, float beta) {
        const __m256 va = _mm256_set1_ps(alpha);
        auto store = [&](float* row, __m256 lo, __m256 hi) {
            if (beta == 0.0f) {
                _mm256_storeu_ps(row, _mm256_mul_ps(lo, va));
                _mm256_storeu_ps(row + 8, _mm256_mul_ps(hi, va));
            } else {
                const __m256 vb = _mm256_set1_ps(beta);
                _mm256_storeu_ps(row, _mm256_fmadd_ps(lo, va, _mm256_mul_ps(vb, _mm256_loadu_ps(row))));
                _mm256_storeu_ps(row + 8,
                                 _mm256_fmadd_ps(hi, va, _mm256_mul_ps(vb, _mm256_loadu_ps(row + 8))));
            }
        };
        store(c, t.c00, t.c01);
        store(c + ldc, t.c10, t.c11);
        store(c + 2 * ldc, t.c20, t.c21);
        store(c + 3 * ldc, t.c30, t.c31);
        store(c + 4 * ldc, t.c40, t.c41);
        store(c + 5 * ldc, t.c50, t.c51);
    }
};

// 6x8 double tile: the same register budget as the float kernel with 4 lanes per vector.
struct KernelF64Avx2 {
    using T = double;
    static constexpr int MR = 6, NR = 8;
    static constexpr int64_t MC = 72, KC = 512, NC = 1020;  // same bytes per block as float

    static void run(int64_t kc, const double* a, const double* b, double* c, int64_t ldc,
                    double alpha, double beta) {
        __m256d acc[MR][2];
        for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_pd();
#pragma GCC unroll 4
        for (int64_t p = 0; p < kc; ++p) {
            const __m256d b0 = _mm256_load_pd(b);
            const __m256d b1 = _mm256_load_pd(b + 4);
#pragma GCC unroll 6
            for (int r = 0; r < MR; ++r) {
                const __m256d av = _mm256_broadcast_sd(a + r);
                acc[r][0] = _mm256_fmadd_pd(av, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_pd(av, b1, acc[r][1]);
            }
            a += MR;
            b += NR;
        }
        const __m256d va = _mm256_set1_pd(alpha);
        const __m256d vb = _mm256_set1_pd(beta);
        for (int r = 0; r < MR; ++r) {
            double* row = c + r * ldc;
            for (int h = 0; h < 2; ++h) {
                const __m256d prev =
                    beta == 0.0 ? _mm256_setzero_pd() : _mm256_mul_pd(vb, _mm256_loadu_pd(row + 4 * h));
                _mm256_storeu_pd(row + 4 * h, _mm256_fmadd_pd(acc[r][h], va, prev));
            }
        }
    }
};

}  // namespace

void sgemm_avx2(const GemmArgs<float>& g, const GemmBlocking& blk, int threads) {
    gemm_blocked<KernelF32Avx2>(g, blk, threads);
}

void dgemm_avx2(const GemmArgs<double>& g, const GemmBlocking& blk, int threads) {
    gemm_blocked<KernelF64Avx2>(g, blk, threads);
}

}  // namespace ng::cpu::detail
