// Batch normalisation. Training runs a fused kernel (per-channel mean and inverse standard
// deviation in one pass over a channel, saved for backward) and a fused backward. When a backward
// pass itself records history (create_graph), the gradient is composed of ops that recompute the
// statistics from the input, so second derivatives are exact rather than treating the batch
// statistics as constants. Evaluation mode is a per-channel affine map written with ops.
// Dropout (also train/eval dependent) is here too.
#include <cmath>
#include <type_traits>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/parallel.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

struct Layout {
    int64_t n, c, l;  // input viewed as [N, C, L]
};

Layout layout_of(const Tensor& x) {
    int64_t l = 1;
    for (int i = 2; i < x.dim(); ++i) l *= x.sizes()[i];
    return Layout{x.sizes()[0], x.sizes()[1], l};
}

std::vector<int64_t> reduce_dims(int rank) {
    std::vector<int64_t> d{0};
    for (int i = 2; i < rank; ++i) d.push_back(i);
    return d;
}

// [C] viewed as [1, C, 1, ...] to broadcast against the input.
Tensor channel_view(const Tensor& v, int rank) {
    Dims s = Dims::filled(rank, 1);
    s[1] = v.sizes()[0];
    return reshape(v, s);
}

// Row sums with four independent accumulators: the adds pipeline instead of waiting on one
// dependency chain, and the order is fixed, so results never depend on the thread count.
template <class T>
double row_sum(const T* p, int64_t n) {
    double a[4] = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int k = 0; k < 4; ++k) a[k] += p[j + k];
    for (; j < n; ++j) a[0] += p[j];
    return (a[0] + a[1]) + (a[2] + a[3]);
}

template <class T>
double row_sq_dev(const T* p, int64_t n, double mean) {
    double a[4] = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int k = 0; k < 4; ++k) {
            const double d = p[j + k] - mean;
            a[k] += d * d;
        }
    for (; j < n; ++j) a[0] += (p[j] - mean) * (p[j] - mean);
    return (a[0] + a[1]) + (a[2] + a[3]);
}

// Adds sum(g) to *sg and sum(g * (x - mean)) to *sgx.
template <class T>
void row_grad_sums(const T* g, const T* x, int64_t n, double mean, double* sg, double* sgx) {
    double a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4)
        for (int k = 0; k < 4; ++k) {
            a[k] += g[j + k];
            b[k] += g[j + k] * (x[j + k] - mean);
        }
    for (; j < n; ++j) {
        a[0] += g[j];
        b[0] += g[j] * (x[j] - mean);
    }
    *sg += (a[0] + a[1]) + (a[2] + a[3]);
    *sgx += (b[0] + b[1]) + (b[2] + b[3]);
}

template <class T>
void forward_kernel(const Layout& g, const T* x, const T* w, const T* b, double eps, T* y, T* mean_out, T* invstd_out,
                    double* var_out) {
    const double m = static_cast<double>(g.n * g.l);
    cpu::parallel_for(0, g.c, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
            double s = 0;
            for (int64_t i = 0; i < g.n; ++i) s += row_sum(x + (i * g.c + c) * g.l, g.l);
            const double mean = s / m;
            double v = 0;  // two passes: no catastrophic cancellation as in E[x^2] - E[x]^2
            for (int64_t i = 0; i < g.n; ++i) v += row_sq_dev(x + (i * g.c + c) * g.l, g.l, mean);
            const double var = v / m;
            const double invstd = 1.0 / std::sqrt(var + eps);
            const double scale = (w ? static_cast<double>(w[c]) : 1.0) * invstd;
            const double shift = (b ? static_cast<double>(b[c]) : 0.0) - mean * scale;
            for (int64_t i = 0; i < g.n; ++i) {
                const T* p = x + (i * g.c + c) * g.l;
                T* q = y + (i * g.c + c) * g.l;
                for (int64_t j = 0; j < g.l; ++j) q[j] = static_cast<T>(p[j] * scale + shift);
            }
            mean_out[c] = static_cast<T>(mean);
            invstd_out[c] = static_cast<T>(invstd);
            var_out[c] = var;
        }
    });
}

// gx = w*invstd * (g - mean(g) - xhat * mean(g*xhat)); gw = sum(g*xhat); gb = sum(g).
template <class T>
void backward_kernel(const Layout& g, const T* gy, const T* x, const T* w, const T* mean, const T* invstd, T* gx, T* gw,
                     T* gb) {
    const double m = static_cast<double>(g.n * g.l);
    cpu::parallel_for(0, g.c, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
            const double mu = mean[c], inv = invstd[c];
            double sg = 0, sgx = 0;
            for (int64_t i = 0; i < g.n; ++i)
                row_grad_sums(gy + (i * g.c + c) * g.l, x + (i * g.c + c) * g.l, g.l, mu, &sg, &sgx);
            if (gw) gw[c] = static_cast<T>(sgx * inv);
            if (gb) gb[c] = static_cast<T>(sg);
            if (!gx) continue;
            const double k = (w ? static_cast<double>(w[c]) : 1.0) * inv;
            const double mean_g = sg / m, proj = sgx * inv * inv / m;
            for (int64_t i = 0; i < g.n; ++i) {
                const T* pg = gy + (i * g.c + c) * g.l;
                const T* px = x + (i * g.c + c) * g.l;
                T* q = gx + (i * g.c + c) * g.l;
                for (int64_t j = 0; j < g.l; ++j) q[j] = static_cast<T>(k * (pg[j] - mean_g - (px[j] - mu) * proj));
            }
        }
    });
}

// The training-mode gradient composed of ops, for create_graph.
TensorList backward_composite(const FunctionNode& n, const Tensor& g, const Tensor& x, const Tensor& w, double eps) {
    const auto dims = reduce_dims(x.dim());
    const Tensor mu = mean(x, dims, true);
    const Tensor xc = sub(x, mu);
    const Tensor inv = pow_scalar(add_scalar(mean(mul(xc, xc), dims, true), eps), -0.5);
    const Tensor xhat = mul(xc, inv);
    Tensor gx, gw, gb;
    if (n.needs_grad(0)) {
        const Tensor gxhat = w.defined() ? mul(g, channel_view(w, x.dim())) : g;
        gx = mul(inv, sub(sub(gxhat, mean(gxhat, dims, true)), mul(xhat, mean(mul(gxhat, xhat), dims, true))));
    }
    if (n.needs_grad(1)) gw = sum(mul(g, xhat), dims);
    if (n.needs_grad(2)) gb = sum(g, dims);
    return TensorList{gx, gw, gb};
}

TensorList backward_fused(const FunctionNode& n, const Tensor& g, const Tensor& x, const Tensor& w) {
    const Tensor mean_t = n.saved(2), invstd_t = n.saved(3);
    const Tensor gc = contiguous(g), xc = contiguous(x);
    const Tensor wc = w.defined() ? contiguous(w) : Tensor();
    const Layout lay = layout_of(xc);
    Tensor gx = n.needs_grad(0) ? empty_tensor(x.sizes(), x.dtype()) : Tensor();
    Tensor gw = n.needs_grad(1) ? empty_tensor(Dims{lay.c}, x.dtype()) : Tensor();
    Tensor gb = n.needs_grad(2) ? empty_tensor(Dims{lay.c}, x.dtype()) : Tensor();
    dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            backward_kernel<T>(lay, gc.data<T>(), xc.data<T>(), wc.defined() ? wc.data<T>() : nullptr, mean_t.data<T>(),
                               invstd_t.data<T>(), gx.defined() ? gx.data<T>() : nullptr,
                               gw.defined() ? gw.data<T>() : nullptr, gb.defined() ? gb.data<T>() : nullptr);
        }
    });
    return TensorList{gx, gw, gb};
}

void check_param(const Tensor& t, int64_t c, const Tensor& x, const char* name) {
    if (!t.defined()) return;
    NG_CHECK_SHAPE(t.dim() == 1 && t.sizes()[0] == c, "batch_norm: expected ", name, " of shape [", c, "] for input of shape ",
                   x.sizes().str(), ", got ", t.sizes().str());
    NG_CHECK_DTYPE(is_floating(t.dtype()), "batch_norm: expected a floating-point ", name, ", got ", dtype_name(t.dtype()));
}

Tensor as_dtype(const Tensor& t, DType d) { return t.dtype() == d ? t : to_dtype(t, d); }

Tensor batch_norm_eval(const Tensor& x, const Tensor& rm, const Tensor& rv, const Tensor& w, const Tensor& b, double eps) {
    const int r = x.dim();
    Tensor scale = pow_scalar(add_scalar(as_dtype(rv, x.dtype()), eps), -0.5);
    if (w.defined()) scale = mul(scale, w);
    Tensor shift = neg(mul(as_dtype(rm, x.dtype()), scale));
    if (b.defined()) shift = add(shift, b);
    return add(mul(x, channel_view(scale, r)), channel_view(shift, r));
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
    NG_CHECK_SHAPE(input.dim() >= 2, "batch_norm: expected input of rank >= 2 [N,C] or [N,C,*], got shape ",
                   input.sizes().str());
    NG_CHECK_DTYPE(is_floating(input.dtype()), "batch_norm: expected a float32 or float64 input, got ",
                   dtype_name(input.dtype()));
    NG_CHECK_ARG(eps >= 0, "batch_norm: eps must be non-negative, got ", eps);
    const int64_t c = input.sizes()[1];
    check_param(running_mean, c, input, "running_mean");
    check_param(running_var, c, input, "running_var");
    check_param(weight, c, input, "weight");
    check_param(bias, c, input, "bias");
    NG_CHECK_ARG(running_mean.defined() == running_var.defined(),
                 "batch_norm: running_mean and running_var must both be given or both be null");
    for (const Tensor* t : {&weight, &bias})
        NG_CHECK_DTYPE(!t->defined() || t->dtype() == input.dtype(), "batch_norm: weight and bias must have the input's dtype (",
                       dtype_name(input.dtype()), "), got ", dtype_name(t->dtype()));
    if (!training) {
        NG_CHECK_ARG(running_mean.defined(), "batch_norm: running_mean and running_var are required in evaluation mode");
        return batch_norm_eval(input, running_mean, running_var, weight, bias, eps);
    }

    const Layout lay = layout_of(input);
    const int64_t count = lay.n * lay.l;
    NG_CHECK_ARG(count > 1, "batch_norm: expected more than 1 value per channel when training, got input of shape ",
                 input.sizes().str());
    Tensor out = empty_tensor(input.sizes(), input.dtype());
    Tensor mean_t = empty_tensor(Dims{c}, input.dtype());
    Tensor invstd_t = empty_tensor(Dims{c}, input.dtype());
    std::vector<double> var(static_cast<size_t>(c));
    {
        GradModeGuard no_grad(false);
        const Tensor x = contiguous(input);
        const Tensor w = weight.defined() ? contiguous(weight) : Tensor();
        const Tensor b = bias.defined() ? contiguous(bias) : Tensor();
        dispatch_dtype(input.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_floating_point_v<T>) {
                forward_kernel<T>(lay, x.data<T>(), w.defined() ? w.data<T>() : nullptr, b.defined() ? b.data<T>() : nullptr,
                                  eps, out.data<T>(), mean_t.data<T>(), invstd_t.data<T>(), var.data());
            }
        });
        if (running_mean.defined()) {
            // running = (1 - momentum) * running + momentum * batch statistic (variance unbiased).
            const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
            std::vector<double> uv(var);
            for (double& v : uv) v *= unbias;
            const Tensor bm = to_dtype(mean_t, DType::Float64);
            const Tensor bv = from_data(uv.data(), static_cast<int64_t>(uv.size() * sizeof(double)), Dims{c}, DType::Float64);
            copy_(running_mean, add(mul_scalar(to_dtype(running_mean, DType::Float64), 1.0 - momentum), mul_scalar(bm, momentum)));
            copy_(running_var, add(mul_scalar(to_dtype(running_var, DType::Float64), 1.0 - momentum), mul_scalar(bv, momentum)));
        }
    }
    if (any_requires_grad({&input, &weight, &bias})) {
        auto node = make_node("BatchNormBackward", [eps](const FunctionNode& n, const TensorList& g) {
            const Tensor x = n.saved(0), w = n.saved(1);
            if (GradMode::is_enabled()) return backward_composite(n, g[0], x, w, eps);
            return backward_fused(n, g[0], x, w);
        });
        record(node, {&input, &weight, &bias}, {&out});
        node->save(input);
        node->save(weight);
        node->save(mean_t);
        node->save(invstd_t);
    }
    return out;
}

// dropout lives with batch_norm: both behave differently in training and evaluation.
Tensor dropout(const Tensor& input, double p, bool training, Generator* gen) {
    NG_CHECK_ARG(p >= 0 && p <= 1, "dropout: probability must be in [0, 1], got ", p);
    NG_CHECK_DTYPE(is_floating(input.dtype()), "dropout: expected a float32 or float64 input, got ", dtype_name(input.dtype()));
    if (!training || p == 0) return input;
    if (p == 1) return mul_scalar(input, 0.0);
    Tensor mask;
    {
        GradModeGuard no_grad(false);
        mask = rand(input.sizes(), input.dtype(), gen);  // fresh and contiguous
    }
    const double keep = 1.0 - p, scale = 1.0 / keep;
    dispatch_dtype(input.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            T* m = mask.data<T>();
            const int64_t count = mask.numel();
            // u < 1 - p keeps the element: P(keep) = 1 - p for u uniform in [0, 1).
            for (int64_t i = 0; i < count; ++i) m[i] = static_cast<double>(m[i]) < keep ? static_cast<T>(scale) : T(0);
        }
    });
    return mul(input, mask);
}

}  // namespace ng::ops
