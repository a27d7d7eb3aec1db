// AVX2 fast paths of the pooling kernels for the common 2x2 window, stride 2, no padding, no
// dilation (float). Internal to pool2d.cpp; only called when uses_avx2(active_isa()).
#pragma once
#include <cstdint>

namespace ng::cpu::pool_avx2 {

// One output row oh of a 2x2/2 max pool over input rows 2oh and 2oh+1 of a plane of width w.
// Handles output columns [0, count) where 2*count <= w; returns nothing. Ties/NaN as the generic
// kernel: candidates are scanned (r0,c0), (r0,c1), (r1,c0), (r1,c1).
void max_pool_2x2_row(const float* row0, int64_t w, int64_t count, int64_t base_index, float* y,
                      int64_t* argmax);

// Same geometry for average pooling: y = (((0 + a) + b) + c) + d) / divisor.
void avg_pool_2x2_row(const float* row0, int64_t w, int64_t count, float divisor, float* y);

// Backward of the above for one output row: gx rows 2oh and 2oh+1, columns [0, 2*count), get
// 0 + gy/divisor (the windows do not overlap, so plain stores are exact).
void avg_pool_2x2_row_backward(const float* gy, int64_t count, float divisor, float* gx_row0,
                               int64_t w);

// Max-pool backward of one output row: the 2 x 2*count block of gx rows 2oh and 2oh+1 starting
// at gx_row0 (row width w) is overwritten with gy at each window's argmax and 0 elsewhere.
// base_index is the plane index of gx_row0[0]; argmax holds plane indices inside the windows.
void max_pool_2x2_row_backward(const float* gy, const int64_t* argmax, int64_t count,
                               int64_t base_index, float* gx_row0, int64_t w);

}  // namespace ng::cpu::pool_avx2
