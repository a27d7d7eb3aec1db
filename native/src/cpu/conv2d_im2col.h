// Lowering of one image (one group) to the column matrix used by the GEMM convolution, and back.
// Internal to the conv2d kernels.
#pragma once
#include <cstdint>

#include "cpu/conv2d.h"

namespace ng::cpu::conv_detail {

// Output rows [oh0, oh1) of the column matrix, P = (oh1 - oh0) * w_out columns:
// col[(ci*kh + ki)*kw + kj][(oh - oh0)*w_out + ow] = x[ci][oh*sh - ph + ki*dh][ow*sw - pw + kj*dw],
// 0 where the tap falls in the padding. x holds `channels` planes of h*w. Rows of col are `ld`
// elements apart (ld >= P), so several images can sit side by side in one column matrix.
template <class T>
void im2col(const Conv2dShape& s, int64_t channels, const T* x, int64_t oh0, int64_t oh1, T* col,
            int64_t ld);

// The adjoint of im2col for the same rows: every col entry is added to the input pixel it was
// read from (gx is not cleared). The order of the additions is fixed (channel, tap row, tap
// column, output pixel).
template <class T>
void col2im(const Conv2dShape& s, int64_t channels, const T* col, int64_t oh0, int64_t oh1, T* gx,
            int64_t ld);

// Output columns ow whose tap iw = ow*stride + offset lies in [0, in): [lo, hi), hi >= lo.
struct ValidRange {
    int64_t lo, hi;
};
inline ValidRange valid_range(int64_t out, int64_t in, int64_t stride, int64_t offset) {
    // ow >= ceil(-offset / stride) and ow <= floor((in - 1 - offset) / stride).
    int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    const int64_t last = in - 1 - offset;
    int64_t hi = last < 0 ? 0 : last / stride + 1;
    if (hi > out) hi = out;
    if (lo > hi) lo = hi;
    return {lo, hi};
}

}  // namespace ng::cpu::conv_detail
