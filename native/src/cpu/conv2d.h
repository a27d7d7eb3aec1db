// 2-D convolution kernels on contiguous NCHW buffers (no autograd, no validation: the op
// front-end checks the arguments and computes h_out/w_out before calling in).
#pragma once
#include <cstdint>

namespace ng::cpu {

// Geometry of one convolution. h_out/w_out are filled by the caller:
// h_out = (h + 2*pad_h - dil_h*(kh-1) - 1) / stride_h + 1 (likewise for w).
struct Conv2dShape {
    int64_t n, c_in, h, w, c_out, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups,
        h_out, w_out;
};

// y[n, c_out, h_out, w_out] = x[n, c_in, h, w] (*) weight[c_out, c_in/groups, kh, kw] + bias.
// bias may be nullptr. All outputs below are overwritten, never accumulated into.
// Every result is bit-identical for any thread count.
template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);

// gx[n, c_in, h, w]: gradient wrt the input (transposed convolution of gy with the kernel).
template <class T>
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx);

// gw[c_out, c_in/groups, kh, kw]: correlation of the padded input with gy, summed over the batch.
// With a non-null gb it also writes the bias gradient gb[c_out] (gy summed over N, H_out, W_out)
// in the same parallel region, while each batch chunk of gy is still in cache: one pass over the
// activation gradient and one thread team start fewer than conv2d_backward_bias afterwards.
template <class T>
void conv2d_backward_weight(const Conv2dShape& s, const T* gy, const T* x, T* gw, T* gb = nullptr);

// gb[c_out]: gy summed over N, H_out, W_out.
template <class T>
void conv2d_backward_bias(const Conv2dShape& s, const T* gy, T* gb);

}  // namespace ng::cpu
