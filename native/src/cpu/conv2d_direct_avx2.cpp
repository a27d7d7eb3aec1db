// AVX2+FMA tile kernel of the direct convolution (float). The register blocking is the GEMM
// micro-kernel's (6 output channels x 16 pixels, 12 accumulators); only the B operand differs:
// instead of a packed panel, each k step reads 16 consecutive pixels of the padded input at that
// tap's offset, so the input is never lowered to columns.
#include <immintrin.h>

#include "cpu/conv2d_direct.h"
#include "cpu/fma_tile_avx2.h"

namespace ng::cpu::conv_detail {

void direct_tile_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                          float* tile) {
    Tile6x16 t;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const float* b = xb + off[k];
        t.step(a, _mm256_loadu_ps(b), _mm256_loadu_ps(b + 8));
        a += 6;
    }
    _mm256_storeu_ps(tile + 0, t.c00);
    _mm256_storeu_ps(tile + 8, t.c01);
    _mm256_storeu_ps(tile + 16, t.c10);
    _mm256_storeu_ps(tile + 24, t.c11);
    _mm256_storeu_ps(tile + 32, t.c20);
    _mm256_storeu_ps(tile + 40, t.c21);
    _mm256_storeu_ps(tile + 48, t.c30);
    _mm256_storeu_ps(tile + 56, t.c31);
    _mm256_storeu_ps(tile + 64, t.c40);
    _mm256_storeu_ps(tile + 72, t.c41);
    _mm256_storeu_ps(tile + 80, t.c50);
    _mm256_storeu_ps(tile + 88, t.c51);
}

void add_rows_f32_avx2(const float* src, int64_t n, float* dst) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(dst + j, _mm256_add_ps(_mm256_loadu_ps(dst + j), _mm256_loadu_ps(src + j)));
    for (; j < n; ++j) dst[j] += src[j];
}

void direct_tile_t_f32_avx2(int64_t kc, const float* const* rows, const int64_t* off,
                            const float* b, float* tile) {
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4],
                *r5 = rows[5];
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const int64_t o = off[k];
        const __m256 b0 = _mm256_loadu_ps(b + k * 16);
        const __m256 b1 = _mm256_loadu_ps(b + k * 16 + 8);
        __m256 av = _mm256_broadcast_ss(r0 + o);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(r1 + o);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(r2 + o);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(r3 + o);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(r4 + o);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(r5 + o);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
    }
    _mm256_storeu_ps(tile + 0, c00);
    _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10);
    _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20);
    _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30);
    _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40);
    _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50);
    _mm256_storeu_ps(tile + 88, c51);
}

void direct_wgrad_tile_f32_avx2(int64_t count, const float* const* rows, const float* gyt,
                                float* tile) {
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3], *r4 = rows[4],
                *r5 = rows[5];
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int64_t j = 0; j < count; ++j) {
        const __m256 b0 = _mm256_load_ps(gyt + j * 16);
        const __m256 b1 = _mm256_load_ps(gyt + j * 16 + 8);
        __m256 av = _mm256_broadcast_ss(r0 + j);
        c00 = _mm256_fmadd_ps(av, b0, c00);
        c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(r1 + j);
        c10 = _mm256_fmadd_ps(av, b0, c10);
        c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(r2 + j);
        c20 = _mm256_fmadd_ps(av, b0, c20);
        c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(r3 + j);
        c30 = _mm256_fmadd_ps(av, b0, c30);
        c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(r4 + j);
        c40 = _mm256_fmadd_ps(av, b0, c40);
        c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(r5 + j);
        c50 = _mm256_fmadd_ps(av, b0, c50);
        c51 = _mm256_fmadd_ps(av, b1, c51);
    }
    _mm256_storeu_ps(tile + 0, c00);
    _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10);
    _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20);
    _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30);
    _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40);
    _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50);
    _mm256_storeu_ps(tile + 88, c51);
}

void direct_wgrad_dot_f32_avx2(int64_t count, const float* const* g, const float* x0,
                               const float* x1, float* acc) {
    const float *g0 = g[0], *g1 = g[1], *g2 = g[2], *g3 = g[3], *g4 = g[4], *g5 = g[5];
    __m256 a00 = _mm256_loadu_ps(acc + 0), a01 = _mm256_loadu_ps(acc + 8);
    __m256 a10 = _mm256_loadu_ps(acc + 16), a11 = _mm256_loadu_ps(acc + 24);
    __m256 a20 = _mm256_loadu_ps(acc + 32), a21 = _mm256_loadu_ps(acc + 40);
    __m256 a30 = _mm256_loadu_ps(acc + 48), a31 = _mm256_loadu_ps(acc + 56);
    __m256 a40 = _mm256_loadu_ps(acc + 64), a41 = _mm256_loadu_ps(acc + 72);
    __m256 a50 = _mm256_loadu_ps(acc + 80), a51 = _mm256_loadu_ps(acc + 88);
#pragma GCC unroll 2
    for (int64_t j = 0; j < count; j += 8) {
        const __m256 v0 = _mm256_loadu_ps(x0 + j), v1 = _mm256_loadu_ps(x1 + j);
        __m256 gv = _mm256_loadu_ps(g0 + j);
        a00 = _mm256_fmadd_ps(gv, v0, a00);
        a01 = _mm256_fmadd_ps(gv, v1, a01);
        gv = _mm256_loadu_ps(g1 + j);
        a10 = _mm256_fmadd_ps(gv, v0, a10);
        a11 = _mm256_fmadd_ps(gv, v1, a11);
        gv = _mm256_loadu_ps(g2 + j);
        a20 = _mm256_fmadd_ps(gv, v0, a20);
        a21 = _mm256_fmadd_ps(gv, v1, a21);
        gv = _mm256_loadu_ps(g3 + j);
        a30 = _mm256_fmadd_ps(gv, v0, a30);
        a31 = _mm256_fmadd_ps(gv, v1, a31);
        gv = _mm256_loadu_ps(g4 + j);
        a40 = _mm256_fmadd_ps(gv, v0, a40);
        a41 = _mm256_fmadd_ps(gv, v1, a41);
        gv = _mm256_loadu_ps(g5 + j);
        a50 = _mm256_fmadd_ps(gv, v0, a50);
        a51 = _mm256_fmadd_ps(gv, v1, a51);
    }
    _mm256_storeu_ps(acc + 0, a00);
    _mm256_storeu_ps(acc + 8, a01);
    _mm256_storeu_ps(acc + 16, a10);
    _mm256_storeu_ps(acc + 24, a11);
    _mm256_storeu_ps(acc + 32, a20);
    _mm256_storeu_ps(acc + 40, a21);
    _mm256_storeu_ps(acc + 48, a30);
    _mm256_storeu_ps(acc + 56, a31);
    _mm256_storeu_ps(acc + 64, a40);
    _mm256_storeu_ps(acc + 72, a41);
    _mm256_storeu_ps(acc + 80, a50);
    _mm256_storeu_ps(acc + 88, a51);
}

}  // namespace ng::cpu::conv_detail
