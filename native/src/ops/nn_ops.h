// Neural-network operations as differentiable tensor ops: convolution, pooling, batch
// normalisation, losses, dropout and linear. Each validates its arguments (errors name the op and
// the shapes), runs the CPU kernels on contiguous buffers, and records an autograd node. Backward
// passes are themselves recorded ops, so gradients of gradients work wherever the note on the
// function says so; where they do not, the second backward fails with NG_STATUS_NOT_SUPPORTED.
#pragma once
#include <cstdint>
#include <utility>

#include "core/tensor.h"
#include "nativegrad/nativegrad.h"

namespace ng {
class Generator;
}

namespace ng::ops {

struct Conv2dParams {
    int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
};

// input [N,C,H,W] or unbatched [C,H,W]; weight [O, C/groups, kh, kw]; bias [O] or undefined.
// Differentiable to any order (the backward ops are bilinear and recorded in turn).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p);

// The two halves of conv2d's backward, exposed as ops of their own (also used by tests).
// gy [N,O,Ho,Wo]; the result has `input_sizes` / `weight_sizes` (4-D).
Tensor conv2d_input_grad(const Tensor& gy, const Tensor& weight, const Dims& input_sizes, const Conv2dParams& p);
Tensor conv2d_weight_grad(const Tensor& gy, const Tensor& input, const Dims& weight_sizes, const Conv2dParams& p);

struct Pool2dParams {
    int64_t kh = 1, kw = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
    bool ceil_mode = false;
};

// PyTorch's pooling output size (floor or ceil mode; in ceil mode the last window must start
// inside the input or the left padding).
int64_t pool_output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode);

// Returns (values, indices); indices are int64 flat positions ih*W+iw inside each input plane.
// input [N,C,H,W] or [C,H,W]. Differentiable to any order (backward is a scatter of the gradient,
// its backward a gather).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Pool2dParams& p);
// dil must be 1. divisor_override <= 0 means none. Linear, so differentiable to any order.
Tensor avg_pool2d(const Tensor& input, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override);
Tensor adaptive_avg_pool2d(const Tensor& input, int64_t out_h, int64_t out_w);

// input [N,C] or [N,C,*]. running_mean/var, weight and bias may be undefined. In training the
// batch statistics are used and the running statistics (when given) are updated in place with
// the unbiased variance. Differentiable to any order (the second backward is composed of ops).
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps);

// Fused log-softmax + NLL. input [N,C], [N,C,d1..] or [C]; target int64 [N], [N,d1..] or [].
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     double label_smoothing, ng_reduction reduction);
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                ng_reduction reduction);
Tensor mse_loss(const Tensor& input, const Tensor& target, ng_reduction reduction);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, ng_reduction reduction);

// Zeroes each element with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0. gen may be null (the default generator).
Tensor dropout(const Tensor& input, double p, bool training, Generator* gen);

// input [..., in] x weight [out, in]^T + bias [out].
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias);

}  // namespace ng::ops
