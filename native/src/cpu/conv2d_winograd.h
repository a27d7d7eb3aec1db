// Winograd F(2x2, 3x3) convolution for 3x3, stride 1, dilation 1, ungrouped float convolutions
// (ResNet-style layers). Internal to the conv2d kernels; see conv2d_winograd.cpp for the scheme.
#pragma once
#include <cstdint>

#include "cpu/conv2d.h"
#include "cpu/cpu_features.h"

namespace ng::cpu::conv_detail {

// True when the Winograd kernels handle the shape: 3x3 kernel, stride 1, dilation 1, one group,
// padding 0..2 on each side (so that the input gradient, padded by 2 - pad, is one as well).
// Whether they pay is the caller's decision (conv2d.cpp, use_winograd).
bool winograd_applies(const Conv2dShape& s);

// Same contracts as conv2d_forward / conv2d_backward_input / conv2d_backward_weight (outputs
// overwritten, bias and gb may be nullptr, bit-identical for any thread count), for
// winograd_applies(s). `isa` picks the kernel set (Isa::Avx2 only if the CPU has it); the
// default is the process-wide choice.
void winograd_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                      float* y, Isa isa = active_isa());
void winograd_backward_input(const Conv2dShape& s, const float* gy, const float* w, float* gx,
                             Isa isa = active_isa());
void winograd_backward_weight(const Conv2dShape& s, const float* gy, const float* x, float* gw,
                              float* gb, Isa isa = active_isa());

// Kernels (conv2d_winograd.cpp holds the portable ones, conv2d_winograd_avx2.cpp the AVX2 ones).
// Positions xi = 4*i + j of the 4x4 transform are planes `xs` floats apart; tiles run along them.

// Input transform of `count` tiles of one tile row: rows[r] (r = 0..3) is padded input row r of
// the tile row from the first tile's left edge, 2*count + 2 values. v[xi*xs + k] = (B^T d_k B)[xi].
void wino_input_avx2(const float* const* rows, int64_t count, float* v, int64_t xs);
// Output transform of `count` tiles: y0/y1 get the two output rows, 2*count values each,
// (A^T m_k A) + bias, with m_k[xi] = m[xi*xs + k].
void wino_output_avx2(const float* m, int64_t xs, int64_t count, float bias, float* y0, float* y1);
// c[r*ldc + l] = sum over k < kc of a[k*6 + r] * b[k*ldb + l], r < 6, l < 16.
void wino_gemm_avx2(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                    int64_t ldc);
// c[r*ldc + l] += sum over k < kc of rows[r][k] * b[k*16 + l], r < 6, l < 16.
void wino_wgrad_gemm_avx2(int64_t kc, const float* const* rows, const float* b, float* c,
                          int64_t ldc);
// Output-gradient transform of `count` tiles, channels in `panels` panels of 16:
// raw[ab*rs + k*ld + c] is pixel ab (row-major 2x2) of tile k, channel c;
// gt[xi*xs + (c/16)*ps + k*16 + c%16] = (A g A^T)[xi].
void wino_gy_avx2(const float* raw, int64_t rs, int64_t ld, int64_t count, int64_t panels,
                  int64_t ps, float* gt, int64_t xs);

}  // namespace ng::cpu::conv_detail
