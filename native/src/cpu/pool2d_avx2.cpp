// AVX2 2x2/stride-2 pooling rows. Eight outputs take 16 input columns from each of the two input
// rows; the even and odd columns are separated with one shuffle plus one lane permute.
#include "cpu/pool2d_avx2.h"

#include <immintrin.h>

namespace ng::cpu::pool_avx2 {
namespace {

// Splits 16 consecutive floats into the 8 even-indexed and the 8 odd-indexed ones, in order.
inline void deinterleave(const float* p, __m256& even, __m256& odd) {
    const __m256 a = _mm256_loadu_ps(p);
    const __m256 b = _mm256_loadu_ps(p + 8);
    // shuffle_ps works per 128-bit lane: [a0 a2 b0 b2 | a4 a6 b4 b6]; the permute restores order.
    even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

// PyTorch's rule: take the candidate when it is greater or NaN.
inline void take_if_greater_or_nan(__m256 v, __m256i idx, __m256& m, __m256i& mi) {
    const __m256 take =
        _mm256_or_ps(_mm256_cmp_ps(v, m, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    m = _mm256_blendv_ps(m, v, take);
    mi = _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(mi), _mm256_castsi256_ps(idx), take));
}

}  // namespace

void max_pool_2x2_row(const float* row0, int64_t w, int64_t count, int64_t base_index, float* y,
                      int64_t* argmax) {
    const float* row1 = row0 + w;
    // Index of the top-left tap of the 8 windows, relative to base_index (fits in int32: the
    // caller only takes this path for planes of fewer than 2^31 elements).
    const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i wv = _mm256_set1_epi32(static_cast<int>(w));
    auto block = [&](int64_t o) {
        __m256 e0, o0, e1, o1;
        deinterleave(row0 + 2 * o, e0, o0);
        deinterleave(row1 + 2 * o, e1, o1);
        const __m256i i00 =
            _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(base_index + 2 * o)), lane2);
        const __m256i i01 = _mm256_add_epi32(i00, one);
        const __m256i i10 = _mm256_add_epi32(i00, wv);
        const __m256i i11 = _mm256_add_epi32(i10, one);
        // The first candidate always wins against the initial -inf (or ties it with the same
        // index), so start from it.
        __m256 m = e0;
        __m256i mi = i00;
        take_if_greater_or_nan(o0, i01, m, mi);
        take_if_greater_or_nan(e1, i10, m, mi);
        take_if_greater_or_nan(o1, i11, m, mi);
        _mm256_storeu_ps(y + o, m);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(argmax + o),
                            _mm256_cvtepi32_epi64(_mm256_castsi256_si128(mi)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(argmax + o + 4),
                            _mm256_cvtepi32_epi64(_mm256_extracti128_si256(mi, 1)));
    };
    int64_t o = 0;
    for (; o + 8 <= count; o += 8) block(o);
    // A ragged end is redone as one block overlapping the previous one: recomputing an output
    // gives the same value, and this is much cheaper than a scalar tail on short rows.
    if (o < count && count >= 8) {
        block(count - 8);
        o = count;
    }
    for (; o < count; ++o) {
        const float* p = row0 + 2 * o;
        const float cand[4] = {p[0], p[1], p[w], p[w + 1]};
        const int64_t off[4] = {0, 1, w, w + 1};
        float m = cand[0];
        int64_t mi = 0;
        for (int k = 1; k < 4; ++k) {
            const bool take = cand[k] > m || cand[k] != cand[k];
            m = take ? cand[k] : m;
            mi = take ? off[k] : mi;
        }
        y[o] = m;
        argmax[o] = base_index + 2 * o + mi;
    }
}

void avg_pool_2x2_row(const float* row0, int64_t w, int64_t count, float divisor, float* y) {
    const float* row1 = row0 + w;
    const __m256 d = _mm256_set1_ps(divisor);
    const __m256 zero = _mm256_setzero_ps();
    auto block = [&](int64_t o) {
        __m256 e0, o0, e1, o1;
        deinterleave(row0 + 2 * o, e0, o0);
        deinterleave(row1 + 2 * o, e1, o1);
        __m256 sum = _mm256_add_ps(zero, e0);
        sum = _mm256_add_ps(sum, o0);
        sum = _mm256_add_ps(sum, e1);
        sum = _mm256_add_ps(sum, o1);
        _mm256_storeu_ps(y + o, _mm256_div_ps(sum, d));
    };
    int64_t o = 0;
    for (; o + 8 <= count; o += 8) block(o);
    if (o < count && count >= 8) {  // overlapping last block, as above
        block(count - 8);
        o = count;
    }
    for (; o < count; ++o) {
        const float* p = row0 + 2 * o;
        float sum = 0.0f;
        sum += p[0];
        sum += p[1];
        sum += p[w];
        sum += p[w + 1];
        y[o] = sum / divisor;
    }
}

void avg_pool_2x2_row_backward(const float* gy, int64_t count, float divisor, float* gx_row0,
                               int64_t w) {
    float* gx_row1 = gx_row0 + w;
    const __m256 d = _mm256_set1_ps(divisor);
    const __m256 zero = _mm256_setzero_ps();
    auto block = [&](int64_t o) {
        const __m256 g = _mm256_add_ps(zero, _mm256_div_ps(_mm256_loadu_ps(gy + o), d));
        // Duplicate every value: [g0 g0 g1 g1 g2 g2 g3 g3], [g4 g4 ... g7 g7].
        const __m256 lo = _mm256_unpacklo_ps(g, g);  // g0 g0 g1 g1 | g4 g4 g5 g5
        const __m256 hi = _mm256_unpackhi_ps(g, g);  // g2 g2 g3 g3 | g6 g6 g7 g7
        const __m256 first = _mm256_permute2f128_ps(lo, hi, 0x20);
        const __m256 second = _mm256_permute2f128_ps(lo, hi, 0x31);
        _mm256_storeu_ps(gx_row0 + 2 * o, first);
        _mm256_storeu_ps(gx_row0 + 2 * o + 8, second);
        _mm256_storeu_ps(gx_row1 + 2 * o, first);
        _mm256_storeu_ps(gx_row1 + 2 * o + 8, second);
    };
    int64_t o = 0;
    for (; o + 8 <= count; o += 8) block(o);
    if (o < count && count >= 8) {  // overlapping last block: stores of the same values
        block(count - 8);
        o = count;
    }
    for (; o < count; ++o) {
        const float g = 0.0f + gy[o] / divisor;
        gx_row0[2 * o] = g;
        gx_row0[2 * o + 1] = g;
        gx_row1[2 * o] = g;
        gx_row1[2 * o + 1] = g;
    }
}

void max_pool_2x2_row_backward(const float* gy, const int64_t* argmax, int64_t count,
                               int64_t base_index, float* gx_row0, int64_t w) {
    float* gx_row1 = gx_row0 + w;
    // Four windows per step in 64-bit lanes: the winner's offset inside its window (0, 1, w or
    // w + 1) selects, for each of the window's 4 pixels, gy or 0. The pair (left, right) of one
    // window is one 64-bit lane of the output rows, so lane masks are joined with a 32-bit blend.
    const __m256i step = _mm256_set1_epi64x(8);
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi64x(1);
    const __m256i wv = _mm256_set1_epi64x(w), w1 = _mm256_set1_epi64x(w + 1);
    const __m256i pairs = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    __m256i first = _mm256_add_epi64(_mm256_set1_epi64x(base_index), _mm256_setr_epi64x(0, 2, 4, 6));
    int64_t o = 0;
    for (; o + 4 <= count; o += 4) {
        const __m256i local = _mm256_sub_epi64(
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(argmax + o)), first);
        first = _mm256_add_epi64(first, step);
        const __m256 g = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(gy + o)), pairs);
        const __m256i top = _mm256_blend_epi32(_mm256_cmpeq_epi64(local, zero),
                                               _mm256_cmpeq_epi64(local, one), 0xAA);
        const __m256i bottom = _mm256_blend_epi32(_mm256_cmpeq_epi64(local, wv),
                                                  _mm256_cmpeq_epi64(local, w1), 0xAA);
        _mm256_storeu_ps(gx_row0 + 2 * o, _mm256_and_ps(g, _mm256_castsi256_ps(top)));
        _mm256_storeu_ps(gx_row1 + 2 * o, _mm256_and_ps(g, _mm256_castsi256_ps(bottom)));
    }
    for (; o < count; ++o) {
        const int64_t local = argmax[o] - (base_index + 2 * o);
        const float v = gy[o];
        gx_row0[2 * o] = local == 0 ? v : 0.0f;
        gx_row0[2 * o + 1] = local == 1 ? v : 0.0f;
        gx_row1[2 * o] = local == w ? v : 0.0f;
        gx_row1[2 * o + 1] = local == w + 1 ? v : 0.0f;
    }
}

}  // namespace ng::cpu::pool_avx2
