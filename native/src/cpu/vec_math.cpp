// Portable float32 activation kernels and the ISA dispatch. The portable path runs the same
// algorithm as the AVX2 one (vec_math_avx2.cpp) with separate multiplies and adds, written
// branch-free so the compiler can vectorise it for whatever SIMD the target has.
#include "cpu/vec_math.h"

#include <cmath>
#include <cstring>

#include "cpu/vec_math_internal.h"

namespace ng::cpu::vec {
namespace detail {
namespace {

inline float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
inline int32_t bits_of(float f) {
    int32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// 2^n for n in [-126, 127].
inline float pow2i(int32_t n) { return from_bits(static_cast<uint32_t>(n + 127) << 23); }

// A comparison with NaN is false, so NaN passes through both selects.
inline float clamp(float x, float lo, float hi) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

// n = round(x * log2 e) and r = x - n*ln2 for |x| < 2^21. Adding 1.5 * 2^23 pushes the fraction
// out of the mantissa (rounding to nearest even): the sum's low mantissa bits are n itself, and
// subtracting the constant back gives n as a float. (No float-to-int conversion: that would be
// undefined for a NaN lane.)
inline float reduce(float x, int32_t& n) {
    constexpr float kShift = 12582912.0f;
    const float t = x * kLog2e + kShift;
    n = bits_of(t) - bits_of(kShift);
    const float fn = t - kShift;
    return (x - fn * kLn2Hi) - fn * kLn2Lo;
}

inline float expm1_reduced(float r) {
    const float p = (((kP4 * r + kP3) * r + kP2) * r + kP1) * r + kP0;
    return (r * r) * p + r;
}

// exp and expm1 of an argument already clamped to [kExpLo, kExpHi] resp. [kExpm1Lo, kExpm1Hi].
inline float exp_clamped(float x) {
    int32_t n;
    const float r = reduce(x, n);
    const float p = expm1_reduced(r) + 1.0f;
    const int32_t n1 = n / 2;
    return (p * pow2i(n1)) * pow2i(n - n1);
}
inline float expm1_clamped(float x) {
    int32_t n;
    const float r = reduce(x, n);
    const float s = pow2i(n);
    return s * expm1_reduced(r) + (s - 1.0f);
}

// Runs in blocks of three simple loops over a small buffer: the clamped argument, the exp/expm1
// core, then the final combination. Fused into one loop, the compiler specialises the
// clamped-to-a-constant cases and sinks the core into the branch of a final select, and then no
// longer vectorises; split like this every loop is a straight line.
constexpr int64_t kBlock = 64;

template <class Prepare, class Core, class Finish>
inline void blocked(int64_t n, Prepare prepare, Core core, Finish finish) {
    float buf[kBlock];
    for (int64_t s = 0; s < n; s += kBlock) {
        const int64_t m = n - s < kBlock ? n - s : kBlock;
#pragma omp simd
        for (int64_t i = 0; i < m; ++i) buf[i] = prepare(s + i);
#pragma omp simd
        for (int64_t i = 0; i < m; ++i) buf[i] = core(buf[i]);
#pragma omp simd
        for (int64_t i = 0; i < m; ++i) finish(s + i, buf[i]);
    }
}

void exp_generic(const float* x, float* y, int64_t n) {
    blocked(n, [x](int64_t i) { return clamp(x[i], kExpLo, kExpHi); }, exp_clamped,
            [y](int64_t i, float e) { y[i] = e; });
}

// e = exp(-|x|); 1/(1+e) for x >= 0, e/(1+e) for x < 0. The denominator and quotient in double
// (one rounding, to float, at the end): the AVX2 path gets the same accuracy from an
// FMA-corrected float division.
void sigmoid_generic(const float* x, float* y, int64_t n) {
    blocked(n, [x](int64_t i) { return clamp(-std::fabs(x[i]), kExpLo, kExpHi); }, exp_clamped,
            [x, y](int64_t i, float e) {
                const double num = std::signbit(x[i]) ? static_cast<double>(e) : 1.0;
                y[i] = static_cast<float>(num / (1.0 + static_cast<double>(e)));
            });
}

// tanh|x| = t / (t + 2), t = expm1(2|x|), sign restored last.
void tanh_generic(const float* x, float* y, int64_t n) {
    blocked(n, [x](int64_t i) { return clamp(2.0f * std::fabs(x[i]), kExpm1Lo, kExpm1Hi); }, expm1_clamped,
            [x, y](int64_t i, float t) {
                const double td = t;
                y[i] = std::copysign(static_cast<float>(td / (td + 2.0)), x[i]);
            });
}

void elu_generic(const float* x, float* y, int64_t n, float alpha) {
    // The multiply by alpha sits in the core: a (possibly trapping) multiply under a select
    // would not be if-converted.
    blocked(n, [x](int64_t i) { return clamp(x[i], kExpm1Lo, kExpm1Hi); },
            [alpha](float c) { return alpha * expm1_clamped(c); },
            [x, y](int64_t i, float neg) { y[i] = x[i] > 0.0f ? x[i] : neg; });
}

void sigmoid_backward_generic(const float* g, const float* y, float* out, int64_t n) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = g[i] * (y[i] * (1.0f - y[i]));
}

void tanh_backward_generic(const float* g, const float* y, float* out, int64_t n) {
    // (1 - y)(1 + y) rather than 1 - y*y: without FMA this avoids cancellation for |y| near 1.
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = g[i] * ((1.0f - y[i]) * (1.0f + y[i]));
}

void elu_backward_generic(const float* g, const float* x, float* out, int64_t n, float alpha) {
    blocked(n, [x](int64_t i) { return clamp(x[i], kExpLo, kExpHi); },
            [alpha](float c) { return exp_clamped(c) * alpha; },
            [g, x, out](int64_t i, float d) {
                // 1 or d picked with a bit mask: written as a select, the compiler turns
                // g * (c ? 1 : d) into c ? g : g * d and then will not vectorise the branch.
                const uint32_t keep = x[i] > 0.0f ? 0u : ~0u;
                const uint32_t one = 0x3F800000u;
                const uint32_t db = static_cast<uint32_t>(bits_of(d));
                out[i] = g[i] * from_bits((db & keep) | (one & ~keep));
            });
}

bool use_avx2(Isa isa) { return uses_avx2(isa); }

}  // namespace

void exp_with_isa(Isa isa, const float* x, float* y, int64_t n) {
    if (use_avx2(isa)) avx2::exp(x, y, n);
    else exp_generic(x, y, n);
}
void sigmoid_with_isa(Isa isa, const float* x, float* y, int64_t n) {
    if (use_avx2(isa)) avx2::sigmoid(x, y, n);
    else sigmoid_generic(x, y, n);
}
void tanh_with_isa(Isa isa, const float* x, float* y, int64_t n) {
    if (use_avx2(isa)) avx2::tanh(x, y, n);
    else tanh_generic(x, y, n);
}
void elu_with_isa(Isa isa, const float* x, float* y, int64_t n, float alpha) {
    if (use_avx2(isa)) avx2::elu(x, y, n, alpha);
    else elu_generic(x, y, n, alpha);
}
void sigmoid_backward_with_isa(Isa isa, const float* g, const float* y, float* out, int64_t n) {
    if (use_avx2(isa)) avx2::sigmoid_backward(g, y, out, n);
    else sigmoid_backward_generic(g, y, out, n);
}
void tanh_backward_with_isa(Isa isa, const float* g, const float* y, float* out, int64_t n) {
    if (use_avx2(isa)) avx2::tanh_backward(g, y, out, n);
    else tanh_backward_generic(g, y, out, n);
}
void elu_backward_with_isa(Isa isa, const float* g, const float* x, float* out, int64_t n, float alpha) {
    if (use_avx2(isa)) avx2::elu_backward(g, x, out, n, alpha);
    else elu_backward_generic(g, x, out, n, alpha);
}

}  // namespace detail

void exp(const float* x, float* y, int64_t n) { detail::exp_with_isa(active_isa(), x, y, n); }
void sigmoid(const float* x, float* y, int64_t n) { detail::sigmoid_with_isa(active_isa(), x, y, n); }
void tanh(const float* x, float* y, int64_t n) { detail::tanh_with_isa(active_isa(), x, y, n); }
void elu(const float* x, float* y, int64_t n, float alpha) { detail::elu_with_isa(active_isa(), x, y, n, alpha); }
void sigmoid_backward(const float* g, const float* y, float* out, int64_t n) {
    detail::sigmoid_backward_with_isa(active_isa(), g, y, out, n);
}
void tanh_backward(const float* g, const float* y, float* out, int64_t n) {
    detail::tanh_backward_with_isa(active_isa(), g, y, out, n);
}
void elu_backward(const float* g, const float* x, float* out, int64_t n, float alpha) {
    detail::elu_backward_with_isa(active_isa(), g, x, out, n, alpha);
}

}  // namespace ng::cpu::vec
