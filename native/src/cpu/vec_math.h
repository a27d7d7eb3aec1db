// Float32 transcendental activations over contiguous runs: exp, sigmoid, tanh, ELU and the
// fused backward formulas of the last three. AVX2+FMA kernels when active_isa() allows, else a
// portable implementation of the same algorithm (same reduction and polynomial, no FMA).
//
// Every element's result depends only on that element (the AVX2 kernels run a short tail through
// the same vector code on a padded copy), so splitting a run into chunks at any boundary, or at
// any alignment, gives bit-identical results. Output may alias an input (in place).
//
// Accuracy against a double-precision reference, over every 97th finite float bit pattern (see
// tests/native/test_vec_math.cpp), AVX2 / portable: exp 1.05 / 1.02 ulp, sigmoid 1.46 / 1.44,
// tanh 1.73 / 1.70, ELU (expm1 form) 1.69 / 1.56; max relative error 1.4e-7. Denormal results
// count in units of the smallest denormal.
// NaN propagates; exp(+inf) = +inf, exp(-inf) = 0, tanh(+-inf) = +-1, sigmoid(+-inf) = 1 / 0.
#pragma once
#include <cstdint>

#include "cpu/cpu_features.h"

namespace ng::cpu::vec {

void exp(const float* x, float* y, int64_t n);
void sigmoid(const float* x, float* y, int64_t n);
void tanh(const float* x, float* y, int64_t n);
// y = x > 0 ? x : alpha * expm1(x)  (NaN propagates).
void elu(const float* x, float* y, int64_t n, float alpha);

// out = g * (y * (1 - y)), with y = sigmoid(x).
void sigmoid_backward(const float* g, const float* y, float* out, int64_t n);
// out = g * (1 - y * y), with y = tanh(x).
void tanh_backward(const float* g, const float* y, float* out, int64_t n);
// out = g * (x > 0 ? 1 : alpha * exp(x)).
void elu_backward(const float* g, const float* x, float* out, int64_t n, float alpha);

namespace detail {
// The same kernels with the ISA chosen by the caller (tests compare both paths).
void exp_with_isa(Isa isa, const float* x, float* y, int64_t n);
void sigmoid_with_isa(Isa isa, const float* x, float* y, int64_t n);
void tanh_with_isa(Isa isa, const float* x, float* y, int64_t n);
void elu_with_isa(Isa isa, const float* x, float* y, int64_t n, float alpha);
void sigmoid_backward_with_isa(Isa isa, const float* g, const float* y, float* out, int64_t n);
void tanh_backward_with_isa(Isa isa, const float* g, const float* y, float* out, int64_t n);
void elu_backward_with_isa(Isa isa, const float* g, const float* x, float* out, int64_t n, float alpha);
}  // namespace detail

}  // namespace ng::cpu::vec
