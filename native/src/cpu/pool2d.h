// 2-D pooling kernels on contiguous NCHW buffers (no autograd, no validation: the op front-end
// checks the arguments and computes h_out/w_out, including ceil_mode, before calling in).
// Semantics follow PyTorch exactly, including windows that hang over the padded border.
#pragma once
#include <cstdint>

namespace ng::cpu {

struct Pool2dShape {
    int64_t n, c, h, w, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, h_out, w_out;
};

// y[n, c, h_out, w_out] = window maximum; argmax[same shape] = flat index ih*w+iw of the maximum
// inside its (n, c) input plane. Padding acts as -inf; a NaN in the window wins (the last one
// scanned, row-major); among equal maxima the first one scanned wins.
template <class T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* argmax);

// gx is zeroed, then each gy element is added at its argmax (overlapping windows add up).
template <class T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* argmax, T* gx);

// Average over each window. The divisor is divisor_override when it is > 0, otherwise the window
// size clipped to input+padding (count_include_pad) or to the input (!count_include_pad).
// dil_h/dil_w must be 1. A window entirely in the padding yields 0.
template <class T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                        const T* x, T* y);

// gx is zeroed, then gy/divisor is added over every window.
template <class T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* gy, T* gx);

// Output cell (i, j) averages rows [floor(i*h/h_out), ceil((i+1)*h/h_out)) and likewise columns.
template <class T>
void adaptive_avg_pool2d_forward(int64_t n, int64_t c, int64_t h, int64_t w, int64_t h_out,
                                 int64_t w_out, const T* x, T* y);

// gx is zeroed, then gy/window size is added over every window.
template <class T>
void adaptive_avg_pool2d_backward(int64_t n, int64_t c, int64_t h, int64_t w, int64_t h_out,
                                  int64_t w_out, const T* gy, T* gx);

}  // namespace ng::cpu
