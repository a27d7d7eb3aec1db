// Constants shared by the portable and the AVX2 float32 activation kernels, and the AVX2 entry
// points (internal to vec_math.cpp). Both paths use the same algorithm, so they agree to ~1 ulp.
#pragma once
#include <cstdint>

namespace ng::cpu::vec::detail {

// exp(x) = 2^n * exp(r), n = round(x * log2(e)), r = x - n*ln2 in [-ln2/2, ln2/2]. ln2 is split
// in two (Cody-Waite): kLn2Hi has 8 significant bits, so n * kLn2Hi is exact for |n| <= 2^16
// and the reduction loses nothing before the small kLn2Lo correction.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;

// expm1(r) ~= r + r^2 * P(r), P of degree 4 (a degree-6 polynomial in all): Chebyshev fit of
// (expm1(r) - r) / r^2 on [-ln2/2, ln2/2], coefficients rounded to float. The truncation error
// is below 0.2 ulp of exp(r); evaluation rounding dominates the total.
constexpr float kP0 = 0.5f;
constexpr float kP1 = 0.16666576266288757f;
constexpr float kP2 = 0.041666556149721146f;
constexpr float kP3 = 0.008363178931176662f;
constexpr float kP4 = 0.0013926184037700295f;

// exp clamps its argument to [kExpLo, kExpHi] (NaN passes): beyond them the result is 0 resp.
// +inf anyway (exp(-103.98) < 2^-150 rounds to 0; exp(88.73) > FLT_MAX), and inside them
// |n| <= 150 so 2^n splits into two normal scale factors.
constexpr float kExpLo = -104.0f;
constexpr float kExpHi = 89.0f;
// expm1 (ELU's negative branch, tanh) clamps to [kExpm1Lo, kExpm1Hi]: expm1(x) rounds to -1 for
// x < -17.33, and tanh only needs 2|x| <= 20 (tanh(10) rounds to 1); 2^n stays normal.
constexpr float kExpm1Lo = -18.0f;
constexpr float kExpm1Hi = 20.0f;

namespace avx2 {
void exp(const float* x, float* y, int64_t n);
void sigmoid(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
void elu(const float* x, float* y, int64_t n, float alpha);
void sigmoid_backward(const float* g, const float* y, float* out, int64_t n);
void tanh_backward(const float* g, const float* y, float* out, int64_t n);
void elu_backward(const float* g, const float* x, float* out, int64_t n, float alpha);
}  // namespace avx2

}  // namespace ng::cpu::vec::detail
