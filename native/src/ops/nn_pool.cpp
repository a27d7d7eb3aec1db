// Pooling as differentiable ops. Every backward here is linear in the incoming gradient, so each
// is recorded as an op of its own whose backward is the adjoint: max-pool's backward scatters
// gy to the argmax positions and its backward gathers gg back from them; average pooling's
// backward spreads gy over the windows and its backward is average pooling again.
#include <string>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/pool2d.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

Tensor contig(const Tensor& t) {
    GradModeGuard no_grad(false);
    return contiguous(t);
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void check_input(const Tensor& x, const char* op) {
    NG_CHECK_SHAPE(x.dim() == 3 || x.dim() == 4, op, ": expected input of rank 4 [N,C,H,W] (or 3 [C,H,W] unbatched), got shape ",
                   x.sizes().str());
    NG_CHECK_DTYPE(is_floating(x.dtype()), op, ": expected a float32 or float64 input, got ", dtype_name(x.dtype()));
    const int d = x.dim();
    NG_CHECK_SHAPE(x.sizes()[d - 1] > 0 && x.sizes()[d - 2] > 0, op, ": expected an input with non-empty H and W, got shape ",
                   x.sizes().str());
}

// Validates the window parameters and builds the kernel geometry of a batched input.
cpu::Pool2dShape pool_shape(const Dims& x, const Pool2dParams& p, const char* op) {
    NG_CHECK_ARG(p.kh > 0 && p.kw > 0, op, ": kernel size must be positive, got (", p.kh, ",", p.kw, ")");
    NG_CHECK_ARG(p.stride_h > 0 && p.stride_w > 0, op, ": stride must be positive, got (", p.stride_h, ",", p.stride_w, ")");
    NG_CHECK_ARG(p.dil_h > 0 && p.dil_w > 0, op, ": dilation must be positive, got (", p.dil_h, ",", p.dil_w, ")");
    NG_CHECK_ARG(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding must be non-negative, got (", p.pad_h, ",", p.pad_w, ")");
    NG_CHECK_ARG(p.pad_h <= p.kh / 2 && p.pad_w <= p.kw / 2, op, ": padding (", p.pad_h, ",", p.pad_w,
                 ") should be at most half of the kernel size (", p.kh, ",", p.kw, ")");
    const int64_t ho = pool_output_size(x[2], p.kh, p.pad_h, p.stride_h, p.dil_h, p.ceil_mode);
    const int64_t wo = pool_output_size(x[3], p.kw, p.pad_w, p.stride_w, p.dil_w, p.ceil_mode);
    NG_CHECK_SHAPE(ho > 0 && wo > 0, op, ": output size is too small: input of shape ", x.str(), " with kernel (", p.kh, ",",
                   p.kw, "), stride (", p.stride_h, ",", p.stride_w, "), padding (", p.pad_h, ",", p.pad_w,
                   ") and dilation (", p.dil_h, ",", p.dil_w, ") gives ", ho, "x", wo);
    return cpu::Pool2dShape{x[0], x[1], x[2], x[3], p.kh, p.kw, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w, ho, wo};
}

Dims in_dims(const cpu::Pool2dShape& s) { return Dims{s.n, s.c, s.h, s.w}; }
Dims out_dims(const cpu::Pool2dShape& s) { return Dims{s.n, s.c, s.h_out, s.w_out}; }

// ---- max pooling ------------------------------------------------------------------------------

Tensor max_pool_grad(const Tensor& gy, const Tensor& indices, const cpu::Pool2dShape& s);

// gg gathered at the argmax positions: the adjoint of max_pool_grad (differentiable via gather).
Tensor gather_at_indices(const Tensor& gg, const Tensor& indices, const cpu::Pool2dShape& s) {
    const Tensor flat = reshape(gg, Dims{s.n, s.c, s.h * s.w});
    return reshape(gather(flat, 2, reshape(indices, Dims{s.n, s.c, s.h_out * s.w_out})), out_dims(s));
}

Tensor max_pool_grad(const Tensor& gy, const Tensor& indices, const cpu::Pool2dShape& s) {
    Tensor gx = empty_tensor(in_dims(s), gy.dtype());
    if (gx.numel() > 0) {
        const Tensor g = contig(gy), idx = contig(indices);
        if (g.dtype() == DType::Float32)
            cpu::max_pool2d_backward<float>(s, g.data<float>(), idx.data<int64_t>(), gx.data<float>());
        else
            cpu::max_pool2d_backward<double>(s, g.data<double>(), idx.data<int64_t>(), gx.data<double>());
    }
    if (any_requires_grad({&gy})) {
        auto node = make_node("MaxPool2dGradBackward", [s](const FunctionNode& n, const TensorList& gg) {
            return TensorList{gather_at_indices(gg[0], n.saved(0), s)};
        });
        record(node, {&gy}, {&gx});
        node->save(indices);
    }
    return gx;
}

std::pair<Tensor, Tensor> max_pool_batched(const Tensor& input, const Pool2dParams& p) {
    const cpu::Pool2dShape s = pool_shape(input.sizes(), p, "max_pool2d");
    Tensor out = empty_tensor(out_dims(s), input.dtype());
    Tensor indices = empty_tensor(out_dims(s), DType::Int64);
    if (out.numel() > 0) {
        const Tensor x = contig(input);
        if (x.dtype() == DType::Float32)
            cpu::max_pool2d_forward<float>(s, x.data<float>(), out.data<float>(), indices.data<int64_t>());
        else
            cpu::max_pool2d_forward<double>(s, x.data<double>(), out.data<double>(), indices.data<int64_t>());
    }
    if (any_requires_grad({&input})) {
        auto node = make_node("MaxPool2dBackward", [s](const FunctionNode& n, const TensorList& g) {
            return TensorList{max_pool_grad(g[0], n.saved(0), s)};
        });
        record(node, {&input}, {&out});
        node->save(indices);
    }
    return {out, indices};
}

// ---- average pooling --------------------------------------------------------------------------

struct AvgSpec {
    cpu::Pool2dShape s;
    bool count_include_pad;
    int64_t divisor_override;
};

Tensor avg_forward(const Tensor& input, const AvgSpec& a);

Tensor avg_backward(const Tensor& gy, const AvgSpec& a) {
    Tensor gx = empty_tensor(in_dims(a.s), gy.dtype());
    if (gx.numel() > 0) {
        const Tensor g = contig(gy);
        if (g.dtype() == DType::Float32)
            cpu::avg_pool2d_backward<float>(a.s, a.count_include_pad, a.divisor_override, g.data<float>(), gx.data<float>());
        else
            cpu::avg_pool2d_backward<double>(a.s, a.count_include_pad, a.divisor_override, g.data<double>(), gx.data<double>());
    }
    if (any_requires_grad({&gy})) {
        auto node = make_node("AvgPool2dGradBackward",
                              [a](const FunctionNode&, const TensorList& gg) { return TensorList{avg_forward(gg[0], a)}; });
        record(node, {&gy}, {&gx});
    }
    return gx;
}

Tensor avg_forward(const Tensor& input, const AvgSpec& a) {
    Tensor out = empty_tensor(out_dims(a.s), input.dtype());
    if (out.numel() > 0) {
        const Tensor x = contig(input);
        if (x.dtype() == DType::Float32)
            cpu::avg_pool2d_forward<float>(a.s, a.count_include_pad, a.divisor_override, x.data<float>(), out.data<float>());
        else
            cpu::avg_pool2d_forward<double>(a.s, a.count_include_pad, a.divisor_override, x.data<double>(), out.data<double>());
    }
    if (any_requires_grad({&input})) {
        auto node = make_node("AvgPool2dBackward",
                              [a](const FunctionNode&, const TensorList& g) { return TensorList{avg_backward(g[0], a)}; });
        record(node, {&input}, {&out});
    }
    return out;
}

// ---- adaptive average pooling -----------------------------------------------------------------

struct AdaptiveSpec {
    int64_t n, c, h, w, h_out, w_out;
};

Tensor adaptive_forward(const Tensor& input, const AdaptiveSpec& a);

Tensor adaptive_backward(const Tensor& gy, const AdaptiveSpec& a) {
    Tensor gx = empty_tensor(Dims{a.n, a.c, a.h, a.w}, gy.dtype());
    if (gx.numel() > 0) {
        const Tensor g = contig(gy);
        if (gy.numel() == 0) {
            fill_(gx, 0.0);
        } else if (g.dtype() == DType::Float32) {
            cpu::adaptive_avg_pool2d_backward<float>(a.n, a.c, a.h, a.w, a.h_out, a.w_out, g.data<float>(), gx.data<float>());
        } else {
            cpu::adaptive_avg_pool2d_backward<double>(a.n, a.c, a.h, a.w, a.h_out, a.w_out, g.data<double>(), gx.data<double>());
        }
    }
    if (any_requires_grad({&gy})) {
        auto node = make_node("AdaptiveAvgPool2dGradBackward", [a](const FunctionNode&, const TensorList& gg) {
            return TensorList{adaptive_forward(gg[0], a)};
        });
        record(node, {&gy}, {&gx});
    }
    return gx;
}

Tensor adaptive_forward(const Tensor& input, const AdaptiveSpec& a) {
    Tensor out = empty_tensor(Dims{a.n, a.c, a.h_out, a.w_out}, input.dtype());
    if (out.numel() > 0) {
        const Tensor x = contig(input);
        if (x.dtype() == DType::Float32)
            cpu::adaptive_avg_pool2d_forward<float>(a.n, a.c, a.h, a.w, a.h_out, a.w_out, x.data<float>(), out.data<float>());
        else
            cpu::adaptive_avg_pool2d_forward<double>(a.n, a.c, a.h, a.w, a.h_out, a.w_out, x.data<double>(), out.data<double>());
    }
    if (any_requires_grad({&input})) {
        auto node = make_node("AdaptiveAvgPool2dBackward",
                              [a](const FunctionNode&, const TensorList& g) { return TensorList{adaptive_backward(g[0], a)}; });
        record(node, {&input}, {&out});
    }
    return out;
}

Tensor batched(const Tensor& x) { return x.dim() == 3 ? unsqueeze(x, 0) : x; }
Tensor unbatched(const Tensor& y, const Tensor& x) { return x.dim() == 3 ? squeeze(y, 0) : y; }

}  // namespace

int64_t pool_output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
    int64_t out = floor_div(in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
    // The last window must start inside the input or the left padding, never in the right padding.
    if (ceil_mode && (out - 1) * stride >= in + pad) --out;
    return out;
}

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const Pool2dParams& p) {
    check_input(input, "max_pool2d");
    auto [out, idx] = max_pool_batched(batched(input), p);
    return {unbatched(out, input), unbatched(idx, input)};
}

Tensor avg_pool2d(const Tensor& input, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override) {
    check_input(input, "avg_pool2d");
    NG_CHECK_ARG(p.dil_h == 1 && p.dil_w == 1, "avg_pool2d: dilation is not supported (got (", p.dil_h, ",", p.dil_w, "))");
    NG_CHECK_ARG(divisor_override >= 0, "avg_pool2d: divisor_override must be positive (or 0 for none), got ", divisor_override);
    const Tensor x = batched(input);
    const AvgSpec a{pool_shape(x.sizes(), p, "avg_pool2d"), count_include_pad, divisor_override};
    return unbatched(avg_forward(x, a), input);
}

Tensor adaptive_avg_pool2d(const Tensor& input, int64_t out_h, int64_t out_w) {
    check_input(input, "adaptive_avg_pool2d");
    NG_CHECK_ARG(out_h >= 0 && out_w >= 0, "adaptive_avg_pool2d: output size must be non-negative, got (", out_h, ",", out_w, ")");
    const Tensor x = batched(input);
    const Dims& d = x.sizes();
    return unbatched(adaptive_forward(x, AdaptiveSpec{d[0], d[1], d[2], d[3], out_h, out_w}), input);
}

}  // namespace ng::ops
