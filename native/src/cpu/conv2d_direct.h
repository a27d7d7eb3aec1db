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

// Same contract as direct_weight_grad, for few output channels per group (a 16-channel tile of
// direct_weight_grad would be mostly idle): dot products along the pixels instead, see
// conv2d_direct.cpp.
template <class T>
void direct_weight_grad_dot(const Conv2dShape& s, const T* gy, const T* x, int64_t first,
                            int64_t last, T* out);

// Input gradient (stride 1) added kernel row by kernel row on the padded width: gx overwritten,
// bit-identical for any thread count. Requires direct_applies(s).
template <class T>
void direct_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx);

// Output tile: tile[r*16 + l] = sum over k < kc of a[k*6 + r] * xb[off[k] + l], r < 6, l < 16.
// `a` is one packed 6-row panel of the weights, `xb` the padded input at the tile's first pixel.
void direct_tile_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                          float* tile);

// The same sums added into 6 rows, row by row: dst[r][o + l] += (the sum above for r, l).
void direct_tile_add_f32_avx2(int64_t kc, const float* a, const float* xb, const int64_t* off,
                              float* const* dst, int64_t o);

// Channel-lane output tile: tile[r*16 + l] = sum over k < kc of rows[r][off[k]] * b[k*16 + l];
// rows[r] is the padded input at output pixel r's position, b the packed weights of 16 channels.
void direct_tile_t_f32_avx2(int64_t kc, const float* const* rows, const int64_t* off,
                            const float* b, float* tile);

// Weight-gradient tile: tile[r*16 + c] = sum over oh < h_out, ow < w_out (in that order) of
// rows[r][oh*wp + ow] * gyt[(oh*w_out + ow)*16 + c]; rows[r] is the padded input at one tap's
// offset, gyt 16 output channels of gy per output pixel (64-byte aligned).
void direct_wgrad_tile_f32_avx2(int64_t h_out, int64_t w_out, int64_t wp, const float* const* rows,
                                const float* gyt, float* tile);

// Weight-gradient dot products of 6 output-channel rows with 2 tap rows, 8 lanes each:
// acc[(r*2 + t)*8 + l] += sum over j < count, j % 8 == l, of g[r][j] * x_t[j], j in order.
// count is a multiple of 8.
void direct_wgrad_dot_f32_avx2(int64_t count, const float* const* g, const float* x0,
                               const float* x1, float* acc);

}  // namespace ng::cpu::conv_detail
