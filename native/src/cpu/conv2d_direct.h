// Direct (implicit-GEMM) convolution for stride 1: no column matrix at all. Internal to the conv2d
// kernels; see conv2d_direct.cpp for the scheme.
#pragma once
#include <cstdint>

#include "cpu/conv2d.h"

namespace ng::cpu::conv_detail {

// True when direct_forward handles the shape (stride 1 in both directions).
bool direct_applies(const Conv2dShape& s);

// Same contract as conv2d_forward (y overwritten, bias may be nullptr, bit-identical for any
// thread count); requires direct_applies(s).
template <class T>
void direct_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);

// Weight gradient of images [first, last) (stride 1): out[c_out][c_in/groups*kh*kw] is overwritten
// with the sum over those images, added image by image in order (so the result depends only on
// the range). Requires direct_applies(s).
template <class T>
void direct_weight_grad(const Conv2dShape& s, const T* gy, const T* x, int64_t first, int64_t last,
                        T* out);

// Output tile: tile[r*16 + l] = sum over k < kc of a[k*6 + r] * xb[off[k] + l], r < 6, l < 16.
// `a` is one packed 6-row panel of the weights, `xb` the padded input at the tile's first pixel.
void direct_tile_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                          float* tile);

// Weight-gradient tile: tile[r*16 + c] = sum over j < count of rows[r][j] * gyt[j*16 + c]; rows[r]
// is the padded input at one tap's offset, gyt 16 output channels of gy per pixel.
void direct_wgrad_tile_f32_avx2(int64_t count, const float* const* rows, const float* gyt,
                                float* tile);

}  // namespace ng::cpu::conv_detail
