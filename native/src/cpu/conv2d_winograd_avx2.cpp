// AVX2+FMA kernels of the Winograd F(2x2, 3x3) convolution (float): the transforms run on 8 tiles
// per vector (tiles are contiguous along each transform plane), the products on the 6x16 register
// tile of the GEMM micro-kernel. Same arithmetic order as the portable kernels in
// conv2d_winograd.cpp, except that the products use fused multiply-adds.
#include <immintrin.h>

#include <algorithm>

#include "cpu/conv2d_winograd.h"
#include "cpu/fma_tile_avx2.h"

namespace ng::cpu::conv_detail {
namespace {

// Even and odd elements of (a, b) = x[0 .. 16): (x0, x2, ..., x14) and (x1, x3, ..., x15).
inline void split_even_odd(__m256 a, __m256 b, __m256& even, __m256& odd) {
    // Within 128-bit lanes: (a0 a2 b0 b2 | a4 a6 b4 b6); 64-bit reorder restores the sequence.
    const __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88));
    const __m256d o = _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD));
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(e, 0xD8));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(o, 0xD8));
}

// Lanes [0, n) set (n may be <= 0 or >= 8).
inline __m256i first_lanes(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// p[0, n) = lanes [0, n) of v, n < 8, in 4-, 2- and 1-lane pieces: masked stores are slow on
// some cores, and a copy loop through memory becomes a memcpy call.
inline void store_first(float* p, __m256 v, int64_t n) {
    __m128 part = _mm256_castps256_ps128(v);
    if (n >= 4) {
        _mm_storeu_ps(p, part);
        part = _mm256_extractf128_ps(v, 1);
        p += 4;
        n -= 4;
    }
    if (n >= 2) {
        _mm_storel_pi(reinterpret_cast<__m64*>(p), part);
        part = _mm_movehl_ps(part, part);
        p += 2;
        n -= 2;
    }
    if (n >= 1) _mm_store_ss(p, part);
}

// Input transform of 8 tiles from rows[r] + 2k; stores the first n (n = 8: all, plain stores).
// The vertical combination (B^T d) runs on the rows as loaded, one output row i at a time, and is
// split into even and odd columns afterwards: the same additions as splitting first, with few
// enough live vectors to stay in registers.
inline void input_group(const float* const* rows, int64_t k, float* v, int64_t xs, int64_t n) {
    // B^T rows: (d0 - d2, d1 + d2, d2 - d1, d1 - d3), i.e. row p -/+ row q.
    constexpr int kP[4] = {0, 1, 2, 1}, kQ[4] = {2, 2, 1, 3};
    for (int i = 0; i < 4; ++i) {
        const float* p = rows[kP[i]] + 2 * k;
        const float* q = rows[kQ[i]] + 2 * k;
        const auto comb = [i, p, q](int off) {
            const __m256 a = _mm256_loadu_ps(p + off), b = _mm256_loadu_ps(q + off);
            return i == 1 ? _mm256_add_ps(a, b) : _mm256_sub_ps(a, b);
        };
        // Columns 2k+c of the 8 tiles: c = 0, 1 from columns 2k .. 2k+15, c = 2, 3 from
        // 2k+2 .. 2k+17.
        __m256 c0, c1, c2, c3;
        split_even_odd(comb(0), comb(8), c0, c1);
        split_even_odd(comb(2), comb(10), c2, c3);
        // (B^T d) B: the same combination along the row.
        const __m256 out[4] = {_mm256_sub_ps(c0, c2), _mm256_add_ps(c1, c2),
                               _mm256_sub_ps(c2, c1), _mm256_sub_ps(c1, c3)};
        for (int j = 0; j < 4; ++j) {
            float* dst = v + (4 * i + j) * xs + k;
            if (n == 8)
                _mm256_storeu_ps(dst, out[j]);
            else
                store_first(dst, out[j], n);
        }
    }
}

}  // namespace

void wino_input_avx2(const float* const* rows, int64_t count, float* v, int64_t xs) {
    int64_t k = 0;
    // The last full group reads up to column 2*count + 1, the last one given.
    for (; k + 8 <= count; k += 8) input_group(rows, k, v, xs, 8);
    if (k == count) return;
    if (count >= 8) {
        // The last 8 tiles once more: the overlap is rewritten with the same values.
        input_group(rows, count - 8, v, xs, 8);
        return;
    }
    // Fewer than 8 tiles (2*count + 2 <= 16 values a row): the rows are copied into zero-padded
    // buffers with masked loads (they read nothing past the row), so the vector loads of the
    // group stay inside. (A plain copy loop became a memcpy call per row.)
    alignas(32) float buf[4][24];
    const float* brows[4] = {buf[0], buf[1], buf[2], buf[3]};
    const __m256i m0 = first_lanes(2 * count + 2), m1 = first_lanes(2 * count + 2 - 8);
    for (int r = 0; r < 4; ++r) {
        _mm256_store_ps(buf[r], _mm256_maskload_ps(rows[r], m0));
        _mm256_store_ps(buf[r] + 8, _mm256_maskload_ps(rows[r] + 8, m1));
        _mm256_store_ps(buf[r] + 16, _mm256_setzero_ps());
    }
    input_group(brows, 0, v, xs, count);
}

namespace {

// Output transform of 8 tiles m[xi*xs + 0..8): the two output rows, 16 pixels each. With n < 8
// only tiles [0, n) are read (masked loads) and 2n pixels a row written.
inline void output_group(const float* m, int64_t xs, __m256 bv, float* y0, float* y1,
                         int64_t n = 8) {
    const __m256i mask = first_lanes(n);
    const auto load = [n, mask](const float* p) {
        return n == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
    };
    __m256 a[4], b[4];
    for (int j = 0; j < 4; ++j) {
        const __m256 m0 = load(m + j * xs);
        const __m256 m1 = load(m + (4 + j) * xs);
        const __m256 m2 = load(m + (8 + j) * xs);
        const __m256 m3 = load(m + (12 + j) * xs);
        a[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        b[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 y00 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), a[2]), bv);
    const __m256 y01 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(a[1], a[2]), a[3]), bv);
    const __m256 y10 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(b[0], b[1]), b[2]), bv);
    const __m256 y11 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(b[1], b[2]), b[3]), bv);
    // Interleave the left and right columns of the 8 tiles into 16 consecutive pixels.
    const __m256 lo0 = _mm256_unpacklo_ps(y00, y01), hi0 = _mm256_unpackhi_ps(y00, y01);
    const __m256 lo1 = _mm256_unpacklo_ps(y10, y11), hi1 = _mm256_unpackhi_ps(y10, y11);
    const __m256 row[2][2] = {
        {_mm256_permute2f128_ps(lo0, hi0, 0x20), _mm256_permute2f128_ps(lo0, hi0, 0x31)},
        {_mm256_permute2f128_ps(lo1, hi1, 0x20), _mm256_permute2f128_ps(lo1, hi1, 0x31)}};
    float* const dst[2] = {y0, y1};
    for (int r = 0; r < 2; ++r) {
        if (n == 8) {
            _mm256_storeu_ps(dst[r], row[r][0]);
            _mm256_storeu_ps(dst[r] + 8, row[r][1]);
        } else if (2 * n >= 8) {
            _mm256_storeu_ps(dst[r], row[r][0]);
            store_first(dst[r] + 8, row[r][1], 2 * n - 8);
        } else {
            store_first(dst[r], row[r][0], 2 * n);
        }
    }
}

}  // namespace

void wino_output_avx2(const float* m, int64_t xs, int64_t count, float bias, float* y0, float* y1) {
    const __m256 bv = _mm256_set1_ps(bias);
    int64_t k = 0;
    for (; k + 8 <= count; k += 8) output_group(m + k, xs, bv, y0 + 2 * k, y1 + 2 * k);
    if (k == count) return;
    if (count >= 8) {
        // The last 8 tiles once more: the overlap is rewritten with the same values.
        output_group(m + count - 8, xs, bv, y0 + 2 * (count - 8), y1 + 2 * (count - 8));
        return;
    }
    output_group(m, xs, bv, y0, y1, count);
}

void wino_gemm_avx2(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                    int64_t ldc) {
    Tile6x16 t;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        t.step(a, _mm256_loadu_ps(b), _mm256_loadu_ps(b + 8));
        a += 6;
        b += ldb;
    }
    t.store(c, ldc);
}

void wino_wgrad_gemm_avx2(int64_t kc, const float* const* rows, const float* b, float* c,
                          int64_t ldc) {
    const float* const r[6] = {rows[0], rows[1], rows[2], rows[3], rows[4], rows[5]};
    Tile6x16 t;
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        t.step_rows(r, k, _mm256_loadu_ps(b), _mm256_loadu_ps(b + 8));
        b += 16;
    }
    const __m256 acc[12] = {t.c00, t.c01, t.c10, t.c11, t.c20, t.c21,
                            t.c30, t.c31, t.c40, t.c41, t.c50, t.c51};
    for (int i = 0; i < 12; ++i) {
        float* p = c + (i / 2) * ldc + (i % 2) * 8;
        _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[i]));
    }
}

void wino_gy_avx2(const float* raw, int64_t rs, int64_t ld, int64_t count, int64_t panels,
                  int64_t ps, float* gt, int64_t xs) {
    for (int64_t k = 0; k < count; ++k)
        for (int64_t c = 0; c < panels * 16; c += 8) {
            const float* r = raw + k * ld + c;
            const __m256 g00 = _mm256_loadu_ps(r), g01 = _mm256_loadu_ps(r + rs),
                         g10 = _mm256_loadu_ps(r + 2 * rs), g11 = _mm256_loadu_ps(r + 3 * rs);
            // A g: rows (g0, g0 + g1, g0 - g1, -g1); then the same along each row.
            const __m256 zero = _mm256_setzero_ps();
            const __m256 u[4][2] = {{g00, g01},
                                    {_mm256_add_ps(g00, g10), _mm256_add_ps(g01, g11)},
                                    {_mm256_sub_ps(g00, g10), _mm256_sub_ps(g01, g11)},
                                    {_mm256_sub_ps(zero, g10), _mm256_sub_ps(zero, g11)}};
            float* d = gt + (c / 16) * ps + k * 16 + c % 16;
            for (int i = 0; i < 4; ++i) {
                const __m256 a = u[i][0], b = u[i][1];
                _mm256_storeu_ps(d + (4 * i) * xs, a);
                _mm256_storeu_ps(d + (4 * i + 1) * xs, _mm256_add_ps(a, b));
                _mm256_storeu_ps(d + (4 * i + 2) * xs, _mm256_sub_ps(a, b));
                _mm256_storeu_ps(d + (4 * i + 3) * xs, _mm256_sub_ps(zero, b));
            }
        }
}

}  // namespace ng::cpu::conv_detail
