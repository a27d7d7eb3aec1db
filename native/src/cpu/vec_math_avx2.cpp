// AVX2+FMA float32 activation kernels, eight lanes at a time. Only called after the run-time
// check (vec_math.cpp dispatches on active_isa()). Tails shorter than eight lanes go through the
// same vector code on a zero-padded copy, so an element's result never depends on where a run
// starts or ends.
#include <immintrin.h>

#include <cstring>

#include "cpu/vec_math_internal.h"

namespace ng::cpu::vec::detail::avx2 {
namespace {

inline __m256 splat(float v) { return _mm256_set1_ps(v); }

// y[i] = f(x[i]) for a whole run.
template <class F>
inline void map1(const float* x, float* y, int64_t n, F f) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
        alignas(32) float buf[8] = {};
        std::memcpy(buf, x + i, bytes);
        _mm256_store_ps(buf, f(_mm256_load_ps(buf)));
        std::memcpy(y + i, buf, bytes);
    }
}

// out[i] = f(a[i], b[i]) for a whole run.
template <class F>
inline void map2(const float* a, const float* b, float* out, int64_t n, F f) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    if (i < n) {
        const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
        alignas(32) float ba[8] = {};
        alignas(32) float bb[8] = {};
        std::memcpy(ba, a + i, bytes);
        std::memcpy(bb, b + i, bytes);
        _mm256_store_ps(ba, f(_mm256_load_ps(ba), _mm256_load_ps(bb)));
        std::memcpy(out + i, ba, bytes);
    }
}

// max/min return their second operand when either is NaN: with x second, NaN passes the clamp.
inline __m256 clamp(__m256 x, float lo, float hi) {
    return _mm256_min_ps(splat(hi), _mm256_max_ps(splat(lo), x));
}

// n = round(x * log2 e) and r = x - n*ln2 (two-constant Cody-Waite, each step one FMA).
inline __m256 reduce(__m256 x, __m256& fn) {
    fn = _mm256_round_ps(_mm256_mul_ps(x, splat(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 r = _mm256_fnmadd_ps(fn, splat(kLn2Hi), x);
    return _mm256_fnmadd_ps(fn, splat(kLn2Lo), r);
}

// expm1(r) for |r| <= ln2/2: r + r^2 * P(r). Returning expm1 rather than exp keeps full relative
// precision for tiny r (ELU, tanh near 0).
inline __m256 expm1_reduced(__m256 r) {
    __m256 p = _mm256_fmadd_ps(splat(kP4), r, splat(kP3));
    p = _mm256_fmadd_ps(p, r, splat(kP2));
    p = _mm256_fmadd_ps(p, r, splat(kP1));
    p = _mm256_fmadd_ps(p, r, splat(kP0));
    return _mm256_fmadd_ps(_mm256_mul_ps(r, r), p, r);
}

// 2^n for n in [-126, 127], built in the exponent field. (A NaN lane's garbage n gives some
// finite scale; the NaN mantissa carries through the product.)
inline __m256 pow2i(__m256i n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

inline __m256 exp_ps(__m256 x) {
    x = clamp(x, kExpLo, kExpHi);
    __m256 fn;
    const __m256 r = reduce(x, fn);
    const __m256 p = _mm256_add_ps(expm1_reduced(r), splat(1.0f));
    // 2^n as two normal factors: the first product is exact, the second rounds once, to +inf
    // above FLT_MAX or to a correctly scaled denormal/zero below FLT_MIN.
    const __m256i n = _mm256_cvtps_epi32(fn);
    const __m256i n1 = _mm256_srai_epi32(n, 1);
    const __m256i n2 = _mm256_sub_epi32(n, n1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2i(n1)), pow2i(n2));
}

// expm1(x) = 2^n * expm1(r) + (2^n - 1); for n == 0 this is expm1(r) itself, with no
// cancellation near 0.
inline __m256 expm1_ps(__m256 x) {
    x = clamp(x, kExpm1Lo, kExpm1Hi);
    __m256 fn;
    const __m256 r = reduce(x, fn);
    const __m256 q = expm1_reduced(r);
    const __m256 s = pow2i(_mm256_cvtps_epi32(fn));
    return _mm256_fmadd_ps(s, q, _mm256_sub_ps(s, splat(1.0f)));
}

inline __m256 sign_bits(__m256 x) { return _mm256_and_ps(x, splat(-0.0f)); }

// num / (hi + lo) with hi + lo the exact value of a rounded denominator: the quotient q0 of the
// rounded division, then one correction step. The residual num - q0*hi is exact with an FMA,
// and the correction is tiny, so a 12-bit reciprocal estimate is enough for it. Saves about one
// ulp over the plain quotient (the denominator's and the quotient's roundings mostly cancel).
inline __m256 div_corrected(__m256 num, __m256 hi, __m256 lo) {
    const __m256 q0 = _mm256_div_ps(num, hi);
    const __m256 res = _mm256_fnmadd_ps(q0, lo, _mm256_fnmadd_ps(q0, hi, num));
    return _mm256_fmadd_ps(res, _mm256_rcp_ps(hi), q0);
}

// 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0, with e = exp(-|x|) in (0, 1]: never
// overflows, and for very negative x the result is e itself (down into the denormals).
inline __m256 sigmoid_ps(__m256 x) {
    const __m256 one = splat(1.0f);
    const __m256 e = exp_ps(_mm256_or_ps(x, splat(-0.0f)));  // -|x|
    const __m256 num = _mm256_blendv_ps(one, e, x);         // sign bit of x selects e
    const __m256 den = _mm256_add_ps(one, e);
    const __m256 den_lo = _mm256_sub_ps(e, _mm256_sub_ps(den, one));  // exact: e <= 1 <= den
    return div_corrected(num, den, den_lo);
}

// tanh|x| = t / (t + 2), t = expm1(2|x|): no cancellation near 0, and 2|x| is clamped at 20 where
// the quotient already rounds to 1. The sign is put back last (tanh is odd; -0 stays -0).
inline __m256 tanh_ps(__m256 x) {
    const __m256 sign = sign_bits(x);
    const __m256 ax = _mm256_xor_ps(x, sign);
    const __m256 t = expm1_ps(_mm256_add_ps(ax, ax));
    // t + 2 as an exact sum hi + lo (Knuth's two-sum: t may be larger or smaller than 2).
    const __m256 two = splat(2.0f);
    const __m256 hi = _mm256_add_ps(t, two);
    const __m256 bv = _mm256_sub_ps(hi, t);
    const __m256 lo = _mm256_add_ps(_mm256_sub_ps(t, _mm256_sub_ps(hi, bv)), _mm256_sub_ps(two, bv));
    return _mm256_or_ps(div_corrected(t, hi, lo), sign);
}

}  // namespace

void exp(const float* x, float* y, int64_t n) { map1(x, y, n, exp_ps); }
void sigmoid(const float* x, float* y, int64_t n) { map1(x, y, n, sigmoid_ps); }
void tanh(const float* x, float* y, int64_t n) { map1(x, y, n, tanh_ps); }

void elu(const float* x, float* y, int64_t n, float alpha) {
    const __m256 va = splat(alpha);
    map1(x, y, n, [va](__m256 v) {
        const __m256 neg = _mm256_mul_ps(va, expm1_ps(v));
        return _mm256_blendv_ps(neg, v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
    });
}

void sigmoid_backward(const float* g, const float* y, float* out, int64_t n) {
    map2(g, y, out, n, [](__m256 vg, __m256 vy) {
        return _mm256_mul_ps(vg, _mm256_mul_ps(vy, _mm256_sub_ps(splat(1.0f), vy)));
    });
}

void tanh_backward(const float* g, const float* y, float* out, int64_t n) {
    // 1 - y^2 with one rounding (FMA): exact enough even where |y| is close to 1.
    map2(g, y, out, n, [](__m256 vg, __m256 vy) {
        return _mm256_mul_ps(vg, _mm256_fnmadd_ps(vy, vy, splat(1.0f)));
    });
}

void elu_backward(const float* g, const float* x, float* out, int64_t n, float alpha) {
    const __m256 va = splat(alpha);
    map2(g, x, out, n, [va](__m256 vg, __m256 vx) {
        const __m256 d = _mm256_blendv_ps(_mm256_mul_ps(exp_ps(vx), va), splat(1.0f),
                                          _mm256_cmp_ps(vx, _mm256_setzero_ps(), _CMP_GT_OQ));
        return _mm256_mul_ps(vg, d);
    });
}

}  // namespace ng::cpu::vec::detail::avx2
