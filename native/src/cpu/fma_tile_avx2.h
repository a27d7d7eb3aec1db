// The 6x16 float register tile shared by the GEMM micro-kernel and the direct convolution:
// 12 ymm accumulators; one k step broadcasts 6 values of A against 2 vectors (16 floats) of B.
// Include only from *_avx2.cpp files (compiled with -mavx2 -mfma).
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace ng::cpu {

struct Tile6x16 {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();

    // c[r] += a[r] * (b0, b1) for the 6 rows r.
    inline void step(const float* a, __m256 b0, __m256 b1) {
        __m256 av = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
    }

    // c[i] += r[i][o] * (b0, b1) for the 6 rows i: A comes from 6 separate rows, at offset o.
    inline void step_rows(const float* const (&r)[6], int64_t o, __m256 b0, __m256 b1) {
        __m256 av = _mm256_broadcast_ss(r[0] + o);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(r[1] + o);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(r[2] + o);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(r[3] + o);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(r[4] + o);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(r[5] + o);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
    }

    // d[r][0, 16) += row r, for the 6 rows in order.
    inline void add_to(float* const (&d)[6]) const {
        add_row(d[0], c00, c01);
        add_row(d[1], c10, c11);
        add_row(d[2], c20, c21);
        add_row(d[3], c30, c31);
        add_row(d[4], c40, c41);
        add_row(d[5], c50, c51);
    }

    static inline void add_row(float* d, __m256 v0, __m256 v1) {
        _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), v0));
        _mm256_storeu_ps(d + 8, _mm256_add_ps(_mm256_loadu_ps(d + 8), v1));
    }

    // Writes the tile row-major, row r at c + r * ldc (ldc = 16: a packed 96-float tile).
    inline void store(float* c, int64_t ldc = 16) const {
        store_row(c, c00, c01);
        store_row(c + ldc, c10, c11);
        store_row(c + 2 * ldc, c20, c21);
        store_row(c + 3 * ldc, c30, c31);
        store_row(c + 4 * ldc, c40, c41);
        store_row(c + 5 * ldc, c50, c51);
    }

    static inline void store_row(float* d, __m256 v0, __m256 v1) {
        _mm256_storeu_ps(d, v0);
        _mm256_storeu_ps(d + 8, v1);
    }
};

}  // namespace ng::cpu
