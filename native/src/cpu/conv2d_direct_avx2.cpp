// AVX2+FMA tile kernel of the direct convolution (float). The register blocking is the GEMM
// micro-kernel's (6 output channels x 16 pixels, 12 accumulators); only the B operand differs:
// instead of a packed panel, each k step reads 16 consecutive pixels of the padded input at that
// tap's offset, so the input is never lowered to columns.
#include <immintrin.h>

#include "cpu/conv2d_direct.h"
#include "cpu/fma_tile_avx2.h"

namespace ng::cpu::conv_detail {

namespace {

// The sums of direct_tile_f32_avx2, in registers.
inline Tile6x16 tile_sums(int64_t kc, const float* a, const float* xb, const int64_t* off) {
    Tile6x16 t;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const float* b = xb + off[k];
        t.step(a, _mm256_loadu_ps(b), _mm256_loadu_ps(b + 8));
        a += 6;
    }
    return t;
}

}  // namespace

void direct_tile_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                          float* tile) {
    tile_sums(kc, a, xb, off).store(tile);
}

void direct_tile_add_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                              float* const* dst, int64_t o) {
    const Tile6x16 t = tile_sums(kc, a, xb, off);
    float* const d[6] = {dst[0] + o, dst[1] + o, dst[2] + o, dst[3] + o, dst[4] + o, dst[5] + o};
    t.add_to(d);
}

void direct_tile_t_f32_avx2(int64_t kc, const float* const* rows, const int64_t* off,
                            const float* b, float* tile) {
    const float* const r[6] = {rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]};
    Tile6x16 t;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        const int64_t o = off[k];
        const __m256 b0 = _mm256_loadu_ps(b + k * 16);
        const __m256 b1 = _mm256_loadu_ps(b + k * 16 + 8);
        t.step_rows(r, o, b0, b1);
    }
    t.store(tile);
}

void direct_wgrad_tile_f32_avx2(int64_t h_out, int64_t w_out, int64_t wp, const float* const* rows,
                                const float* gyt, float* tile) {
    const float* const r[6] = {rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]};
    Tile6x16 t;
    for (int64_t oh = 0; oh < h_out; ++oh) {
        const float* g = gyt + oh * w_out * 16;
        const int64_t o = oh * wp;
#pragma GCC unroll 4
        for (int64_t ow = 0; ow < w_out; ++ow) {
            const __m256 b0 = _mm256_load_ps(g + ow * 16);
            const __m256 b1 = _mm256_load_ps(g + ow * 16 + 8);
            t.step_rows(r, o + ow, b0, b1);
        }
    }
    t.store(tile);
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
