// conv2d as a differentiable op. The backward pass is split into two bilinear ops (input grad:
// gy and weight; weight grad: gy and input), each recorded with its own backward written in terms
// of conv2d and the other half, so gradients of any order come out exact:
//   <ggx, dX(gy, w)> = <gy, conv(ggx, w)>   =>  d/dgy = conv(ggx, w),  d/dw = dW(gy, ggx)
//   <ggw, dW(gy, x)> = <gy, conv(x, ggw)>   =>  d/dgy = conv(x, ggw),  d/dx = dX(gy, ggw)
#include <string>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/conv2d.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

Tensor contig(const Tensor& t) {
    GradModeGuard no_grad(false);
    return contiguous(t);
}

// Floor division, so that a kernel larger than the padded input gives a size <= 0 (an error)
// rather than C++'s truncation towards zero.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int64_t conv_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil) {
    return floor_div(in + 2 * pad - dil * (k - 1) - 1, stride) + 1;
}

std::string params_str(const Conv2dParams& p) {
    return concat("stride=(", p.stride_h, ",", p.stride_w, "), padding=(", p.pad_h, ",", p.pad_w, "), dilation=(",
                  p.dil_h, ",", p.dil_w, ")");
}

void check_params(const Conv2dParams& p, const char* op) {
    NG_CHECK_ARG(p.stride_h > 0 && p.stride_w > 0, op, ": stride must be positive, got (", p.stride_h, ",", p.stride_w, ")");
    NG_CHECK_ARG(p.dil_h > 0 && p.dil_w > 0, op, ": dilation must be positive, got (", p.dil_h, ",", p.dil_w, ")");
    NG_CHECK_ARG(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding must be non-negative, got (", p.pad_h, ",", p.pad_w, ")");
    NG_CHECK_ARG(p.groups > 0, op, ": groups must be positive, got ", p.groups);
}

cpu::Conv2dShape make_shape(const Dims& x, const Dims& w, const Dims& y, const Conv2dParams& p) {
    return cpu::Conv2dShape{x[0], x[1], x[2], x[3], w[0], w[2], w[3], p.stride_h, p.stride_w, p.pad_h, p.pad_w,
                            p.dil_h,  p.dil_w, p.groups, y[2], y[3]};
}

// Validates a batched conv and returns the output shape.
Dims conv_output_shape(const Dims& x, const Dims& w, const Conv2dParams& p, const char* op) {
    check_params(p, op);
    NG_CHECK_SHAPE(w.size() == 4, op, ": expected weight of rank 4 [out_channels, in_channels/groups, kh, kw], got shape ",
                   w.str());
    NG_CHECK_SHAPE(w[0] % p.groups == 0, op, ": out_channels (weight shape ", w.str(), ") must be divisible by groups=",
                   p.groups);
    NG_CHECK_SHAPE(x[1] == w[1] * p.groups, op, ": input of shape ", x.str(), " has ", x[1], " channels, but weight of shape ",
                   w.str(), " with groups=", p.groups, " expects ", w[1] * p.groups, " channels");
    const int64_t ho = conv_out_size(x[2], w[2], p.pad_h, p.stride_h, p.dil_h);
    const int64_t wo = conv_out_size(x[3], w[3], p.pad_w, p.stride_w, p.dil_w);
    NG_CHECK_SHAPE(ho > 0 && wo > 0, op, ": the kernel of weight shape ", w.str(), " with ", params_str(p),
                   " is larger than the padded input of shape ", x.str(), " (output would be ", ho, "x", wo, ")");
    return Dims{x[0], w[0], ho, wo};
}

void check_float_same(const Tensor& a, const Tensor& b, const char* op, const char* na, const char* nb) {
    NG_CHECK_DTYPE(is_floating(a.dtype()), op, ": expected a float32 or float64 ", na, ", got ", dtype_name(a.dtype()));
    NG_CHECK_DTYPE(a.dtype() == b.dtype(), op, ": ", na, " (", dtype_name(a.dtype()), ") and ", nb, " (",
                   dtype_name(b.dtype()), ") must have the same dtype");
}

// Bias gradient: the sum of gy over (n, h, w). The conv kernel reads gy in place; the generic
// sum(gy, {0, 2, 3}) would first copy it into [C, N*H*W] order (the whole activation gradient).
// When a graph of the gradient is being recorded (double backward) the differentiable sum is used.
Tensor conv2d_bias_grad(const Tensor& gy) {
    if (GradMode::is_enabled() && gy.requires_grad()) return sum(gy, {0, 2, 3});
    const Dims& d = gy.sizes();
    Tensor gb = empty_tensor(Dims{d[1]}, gy.dtype());
    if (gb.numel() == 0) return gb;
    if (gy.numel() == 0) {
        fill_(gb, 0.0);
        return gb;
    }
    const Tensor g = contig(gy);
    // Only n, c_out, h_out and w_out are read by the bias kernel.
    const cpu::Conv2dShape s{d[0], 0, 0, 0, d[1], 1, 1, 1, 1, 0, 0, 1, 1, 1, d[2], d[3]};
    if (g.dtype() == DType::Float32)
        cpu::conv2d_backward_bias<float>(s, g.data<float>(), gb.data<float>());
    else
        cpu::conv2d_backward_bias<double>(s, g.data<double>(), gb.data<double>());
    return gb;
}

// Weight and bias gradients from one kernel call: the bias sums ride along in the weight
// gradient's parallel region, one pass over gy fewer and one thread-team start fewer. Returns
// false (nothing computed) when the separate ops are needed: a graph of the gradients is being
// recorded (double backward), or a degenerate shape takes their special paths.
bool conv2d_weight_bias_grad(const Tensor& gy, const Tensor& input, const Dims& weight_sizes, const Conv2dParams& p,
                             Tensor& gw, Tensor& gb) {
    if (any_requires_grad({&gy, &input})) return false;
    if (gy.dim() != 4 || input.dim() != 4 || !is_floating(gy.dtype()) || gy.dtype() != input.dtype()) return false;
    const Dims out_shape = conv_output_shape(input.sizes(), weight_sizes, p, "conv2d backward");
    if (gy.sizes() != out_shape || gy.numel() == 0 || input.numel() == 0 || weight_sizes.product() == 0) return false;
    gw = empty_tensor(weight_sizes, gy.dtype());
    gb = empty_tensor(Dims{out_shape[1]}, gy.dtype());
    const Tensor g = contig(gy), x = contig(input);
    const cpu::Conv2dShape s = make_shape(x.sizes(), weight_sizes, out_shape, p);
    if (g.dtype() == DType::Float32)
        cpu::conv2d_backward_weight<float>(s, g.data<float>(), x.data<float>(), gw.data<float>(), gb.data<float>());
    else
        cpu::conv2d_backward_weight<double>(s, g.data<double>(), x.data<double>(), gw.data<double>(), gb.data<double>());
    return true;
}

Tensor conv2d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
    const Dims out_shape = conv_output_shape(input.sizes(), weight.sizes(), p, "conv2d");
    if (bias.defined()) {
        NG_CHECK_SHAPE(bias.dim() == 1 && bias.sizes()[0] == weight.sizes()[0], "conv2d: expected bias of shape [",
                       weight.sizes()[0], "] for weight of shape ", weight.sizes().str(), ", got ", bias.sizes().str());
        check_float_same(input, bias, "conv2d", "input", "bias");
    }
    Tensor out = empty_tensor(out_shape, input.dtype());
    if (out.numel() > 0) {
        const Tensor x = contig(input), w = contig(weight);
        const Tensor b = bias.defined() ? contig(bias) : Tensor();
        const cpu::Conv2dShape s = make_shape(x.sizes(), w.sizes(), out_shape, p);
        if (w.numel() == 0) {
            GradModeGuard no_grad(false);
            if (b.defined())
                copy_(out, reshape(b, Dims{1, out_shape[1], 1, 1}));
            else
                fill_(out, 0.0);
        } else if (input.dtype() == DType::Float32) {
            cpu::conv2d_forward<float>(s, x.data<float>(), w.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                       out.data<float>());
        } else {
            cpu::conv2d_forward<double>(s, x.data<double>(), w.data<double>(), b.defined() ? b.data<double>() : nullptr,
                                        out.data<double>());
        }
    }
    if (any_requires_grad({&input, &weight, &bias})) {
        auto node = make_node("Conv2dBackward", [p](const FunctionNode& n, const TensorList& g) {
            const Tensor x = n.saved(0), w = n.saved(1);
            Tensor gx = n.needs_grad(0) ? conv2d_input_grad(g[0], w, x.sizes(), p) : Tensor();
            Tensor gw, gb;
            if (!(n.needs_grad(1) && n.needs_grad(2) && conv2d_weight_bias_grad(g[0], x, w.sizes(), p, gw, gb))) {
                gw = n.needs_grad(1) ? conv2d_weight_grad(g[0], x, w.sizes(), p) : Tensor();
                gb = n.needs_grad(2) ? conv2d_bias_grad(g[0]) : Tensor();
            }
            return TensorList{gx, gw, gb};
        });
        record(node, {&input, &weight, &bias}, {&out});
        node->save(input);
        node->save(weight);
    }
    return out;
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p) {
    NG_CHECK_SHAPE(input.dim() == 3 || input.dim() == 4,
                   "conv2d: expected input of rank 4 [N,C,H,W] (or 3 [C,H,W] unbatched), got shape ", input.sizes().str());
    check_float_same(input, weight, "conv2d", "input", "weight");
    if (input.dim() == 3) return squeeze(conv2d_batched(unsqueeze(input, 0), weight, bias, p), 0);
    return conv2d_batched(input, weight, bias, p);
}

Tensor conv2d_input_grad(const Tensor& gy, const Tensor& weight, const Dims& input_sizes, const Conv2dParams& p) {
    check_float_same(gy, weight, "conv2d backward", "grad_output", "weight");
    NG_CHECK_SHAPE(input_sizes.size() == 4 && gy.dim() == 4, "conv2d backward: expected 4-D shapes, got input ",
                   input_sizes.str(), " and grad_output ", gy.sizes().str());
    const Dims out_shape = conv_output_shape(input_sizes, weight.sizes(), p, "conv2d backward");
    NG_CHECK_SHAPE(gy.sizes() == out_shape, "conv2d backward: expected grad_output of shape ", out_shape.str(), ", got ",
                   gy.sizes().str());
    Tensor gx = empty_tensor(input_sizes, gy.dtype());
    if (gx.numel() > 0) {
        if (gy.numel() == 0 || weight.numel() == 0) {
            fill_(gx, 0.0);
        } else {
            const Tensor g = contig(gy), w = contig(weight);
            const cpu::Conv2dShape s = make_shape(input_sizes, w.sizes(), out_shape, p);
            if (g.dtype() == DType::Float32)
                cpu::conv2d_backward_input<float>(s, g.data<float>(), w.data<float>(), gx.data<float>());
            else
                cpu::conv2d_backward_input<double>(s, g.data<double>(), w.data<double>(), gx.data<double>());
        }
    }
    if (any_requires_grad({&gy, &weight})) {
        auto node = make_node("Conv2dInputGradBackward", [p](const FunctionNode& n, const TensorList& gg) {
            const Tensor g = n.saved(0), w = n.saved(1);
            Tensor d_gy = n.needs_grad(0) ? conv2d(gg[0], w, Tensor(), p) : Tensor();
            Tensor d_w = n.needs_grad(1) ? conv2d_weight_grad(g, gg[0], w.sizes(), p) : Tensor();
            return TensorList{d_gy, d_w};
        });
        record(node, {&gy, &weight}, {&gx});
        node->save(gy);
        node->save(weight);
    }
    return gx;
}

Tensor conv2d_weight_grad(const Tensor& gy, const Tensor& input, const Dims& weight_sizes, const Conv2dParams& p) {
    check_float_same(gy, input, "conv2d backward", "grad_output", "input");
    NG_CHECK_SHAPE(input.dim() == 4 && gy.dim() == 4, "conv2d backward: expected 4-D shapes, got input ",
                   input.sizes().str(), " and grad_output ", gy.sizes().str());
    const Dims out_shape = conv_output_shape(input.sizes(), weight_sizes, p, "conv2d backward");
    NG_CHECK_SHAPE(gy.sizes() == out_shape, "conv2d backward: expected grad_output of shape ", out_shape.str(), ", got ",
                   gy.sizes().str());
    Tensor gw = empty_tensor(weight_sizes, gy.dtype());
    if (gw.numel() > 0) {
        if (gy.numel() == 0 || input.numel() == 0) {
            fill_(gw, 0.0);
        } else {
            const Tensor g = contig(gy), x = contig(input);
            const cpu::Conv2dShape s = make_shape(x.sizes(), weight_sizes, out_shape, p);
            if (g.dtype() == DType::Float32)
                cpu::conv2d_backward_weight<float>(s, g.data<float>(), x.data<float>(), gw.data<float>());
            else
                cpu::conv2d_backward_weight<double>(s, g.data<double>(), x.data<double>(), gw.data<double>());
        }
    }
    if (any_requires_grad({&gy, &input})) {
        auto node = make_node("Conv2dWeightGradBackward", [p](const FunctionNode& n, const TensorList& gg) {
            const Tensor g = n.saved(0), x = n.saved(1);
            Tensor d_gy = n.needs_grad(0) ? conv2d(x, gg[0], Tensor(), p) : Tensor();
            Tensor d_x = n.needs_grad(1) ? conv2d_input_grad(g, gg[0], x.sizes(), p) : Tensor();
            return TensorList{d_gy, d_x};
        });
        record(node, {&gy, &input}, {&gw});
        node->save(gy);
        node->save(input);
    }
    return gw;
}

// linear lives with conv2d: both apply a weight (and an optional bias) to their input.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
    NG_CHECK_SHAPE(weight.dim() == 2, "linear: expected weight of rank 2 [out_features, in_features], got shape ",
                   weight.sizes().str());
    NG_CHECK_SHAPE(input.dim() >= 1 && input.sizes()[input.dim() - 1] == weight.sizes()[1], "linear: input of shape ",
                   input.sizes().str(), " has ", input.dim() >= 1 ? input.sizes()[input.dim() - 1] : 0,
                   " features in its last dimension, but weight of shape ", weight.sizes().str(), " expects ",
                   weight.sizes()[1]);
    check_float_same(input, weight, "linear", "input", "weight");
    if (bias.defined()) {
        NG_CHECK_SHAPE(bias.dim() == 1 && bias.sizes()[0] == weight.sizes()[0], "linear: expected bias of shape [",
                       weight.sizes()[0], "] for weight of shape ", weight.sizes().str(), ", got ", bias.sizes().str());
        check_float_same(input, bias, "linear", "input", "bias");
    }
    const Tensor out = matmul(input, transpose(weight, 0, 1));
    return bias.defined() ? add(out, bias) : out;
}

}  // namespace ng::ops
