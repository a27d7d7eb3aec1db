// Loss functions. cross_entropy is a fused log-softmax + NLL: one pass per (sample, position)
// row computes the log-sum-exp and the loss, and the backward writes softmax - one_hot directly
// without materialising log-probabilities. When a backward pass records history (create_graph)
// its gradient is composed of ops instead, so second derivatives stay exact. The other losses are
// compositions of differentiable ops.
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

Tensor contig(const Tensor& t) {
    GradModeGuard no_grad(false);
    return contiguous(t);
}

void check_reduction(ng_reduction r, const char* op) {
    NG_CHECK_ARG(r == NG_REDUCTION_NONE || r == NG_REDUCTION_MEAN || r == NG_REDUCTION_SUM, op,
                 ": reduction must be none (0), mean (1) or sum (2), got ", static_cast<int>(r));
}

Tensor reduce_loss(const Tensor& loss, ng_reduction r) {
    if (r == NG_REDUCTION_SUM) return sum(loss);
    if (r == NG_REDUCTION_MEAN) return mean(loss);
    return loss;
}

// Class-index targets resolved once for the NLL-style losses.
struct Targets {
    Tensor input;     // [N, C, d...] (an unbatched [C] input gets a batch of one)
    Tensor safe;      // int64 [N, d...]: the target, with ignored entries replaced by class 0
    Tensor weight;    // input dtype [N, d...]: weight[target] (1 without class weights), 0 if ignored
    Tensor mask;      // input dtype [N, d...]: 1, or 0 where the target is ignored
    double weight_sum = 0;  // sum of `weight`: the divisor of the mean reduction
    bool unbatched = false;
    int64_t n = 0, c = 0, l = 0;
};

Targets resolve_targets(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index, const char* op) {
    NG_CHECK_DTYPE(is_floating(input.dtype()), op, ": expected a float32 or float64 input, got ", dtype_name(input.dtype()));
    NG_CHECK_DTYPE(target.dtype() == DType::Int64, op, ": expected target of dtype int64 (class indices), got ",
                   dtype_name(target.dtype()));
    NG_CHECK_SHAPE(input.dim() >= 1, op, ": expected input of shape [N,C], [N,C,d1,...] or [C], got shape ", input.sizes().str());
    Targets t;
    t.unbatched = input.dim() == 1;
    if (t.unbatched) {
        NG_CHECK_SHAPE(target.dim() == 0, op, ": for an unbatched input of shape ", input.sizes().str(),
                       " the target must be a scalar (shape []), got shape ", target.sizes().str());
    } else {
        Dims expected = input.sizes();
        expected.erase(1);
        NG_CHECK_SHAPE(target.sizes() == expected, op, ": expected target of shape ", expected.str(), " for input of shape ",
                       input.sizes().str(), ", got target of shape ", target.sizes().str());
    }
    t.input = t.unbatched ? unsqueeze(input, 0) : input;
    const Tensor tgt = contig(t.unbatched ? reshape(target, Dims{1}) : target);
    t.n = t.input.sizes()[0];
    t.c = t.input.sizes()[1];
    t.l = t.n == 0 ? 0 : tgt.numel() / t.n;
    if (weight.defined()) {
        NG_CHECK_SHAPE(weight.dim() == 1 && weight.sizes()[0] == t.c, op, ": expected class weights of shape [", t.c,
                       "] for input of shape ", input.sizes().str(), ", got ", weight.sizes().str());
        NG_CHECK_DTYPE(is_floating(weight.dtype()), op, ": expected floating-point class weights, got ", dtype_name(weight.dtype()));
    }
    std::vector<double> wv(static_cast<size_t>(t.c), 1.0);
    if (weight.defined()) {
        GradModeGuard no_grad(false);
        const Tensor w64 = contiguous(to_dtype(weight, DType::Float64));
        for (int64_t k = 0; k < t.c; ++k) wv[static_cast<size_t>(k)] = w64.data<double>()[k];
    }
    const int64_t count = tgt.numel();
    t.safe = empty_tensor(tgt.sizes(), DType::Int64);
    Tensor w64 = empty_tensor(tgt.sizes(), DType::Float64), m64 = empty_tensor(tgt.sizes(), DType::Float64);
    const int64_t* pt = tgt.data<int64_t>();
    int64_t* ps = t.safe.data<int64_t>();
    double* pw = w64.data<double>();
    double* pm = m64.data<double>();
    for (int64_t i = 0; i < count; ++i) {
        const int64_t v = pt[i];
        if (v == ignore_index) {
            ps[i] = 0;
            pw[i] = 0;
            pm[i] = 0;
            continue;
        }
        NG_CHECK_INDEX(v >= 0 && v < t.c, op, ": target value ", v, " is out of range for ", t.c,
                       " classes (expected a value in [0, ", t.c - 1, "] or ignore_index=", ignore_index, ")");
        ps[i] = v;
        pw[i] = wv[static_cast<size_t>(v)];
        pm[i] = 1;
        t.weight_sum += pw[i];
    }
    GradModeGuard no_grad(false);
    t.weight = to_dtype(w64, input.dtype());
    t.mask = to_dtype(m64, input.dtype());
    return t;
}

// ---- fused cross-entropy kernels --------------------------------------------------------------
// x: [N, C, L] contiguous; rows (n, l) are strided by L along C.

struct CeSpec {
    int64_t n, c, l;
    double smoothing;
};

// log-sum-exp of one row, the sum in double. Float32 rows evaluate exp(x - max) with the vector
// kernel (cpu/vec_math.h, ~1 ulp) on a copy in `scratch`; float64 rows stay on libm.
template <class T>
double row_lse(const T* x, int64_t c, int64_t stride, std::vector<float>& scratch) {
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < c; ++k) mx = std::max(mx, static_cast<double>(x[k * stride]));
    if (std::isinf(mx)) return mx;
    double s = 0;
    if constexpr (std::is_same_v<T, float>) {
        scratch.resize(static_cast<size_t>(c));
        const float m = static_cast<float>(mx);  // mx is one of the floats of the row
        for (int64_t k = 0; k < c; ++k) scratch[static_cast<size_t>(k)] = x[k * stride] - m;
        cpu::vec::exp(scratch.data(), scratch.data(), c);
        for (float v : scratch) s += v;
    } else {
        for (int64_t k = 0; k < c; ++k) s += std::exp(static_cast<double>(x[k * stride]) - mx);
    }
    return mx + std::log(s);
}

// loss_row = (1-e)*w_t*(lse - x_t) + (e/C) * sum_c w_c*(lse - x_c), zero where ignored.
template <class T>
void ce_forward(const CeSpec& s, const T* x, const int64_t* tgt, const double* wt, const double* mask, const double* cw,
                double* loss) {
    cpu::parallel_for(0, s.n * s.l, 64, [&](int64_t b, int64_t e) {
        std::vector<float> scratch;
        for (int64_t r = b; r < e; ++r) {
            if (mask[r] == 0) {
                loss[r] = 0;
                continue;
            }
            const int64_t n = r / s.l, j = r % s.l;
            const T* px = x + n * s.c * s.l + j;
            const double lse = row_lse(px, s.c, s.l, scratch);
            double v = (1 - s.smoothing) * wt[r] * (lse - static_cast<double>(px[tgt[r] * s.l]));
            if (s.smoothing > 0) {
                double sm = 0;
                for (int64_t k = 0; k < s.c; ++k) sm += (cw ? cw[k] : 1.0) * (lse - static_cast<double>(px[k * s.l]));
                v += s.smoothing / static_cast<double>(s.c) * sm;
            }
            loss[r] = v;
        }
    });
}

// gx_c = scale_r * ((1-e)*w_t*(p_c - [c==t]) + (e/C)*(W*p_c - w_c)), W = sum_c w_c.
template <class T>
void ce_backward(const CeSpec& s, const T* x, const int64_t* tgt, const double* wt, const double* mask, const double* cw,
                 const double* scale, bool scale_per_row, T* gx) {
    double wsum = 0;
    for (int64_t k = 0; k < s.c; ++k) wsum += cw ? cw[k] : 1.0;
    const double e_c = s.smoothing / static_cast<double>(s.c);
    cpu::parallel_for(0, s.n * s.l, 64, [&](int64_t b, int64_t e) {
        std::vector<float> scratch;
        for (int64_t r = b; r < e; ++r) {
            const int64_t n = r / s.l, j = r % s.l;
            const T* px = x + n * s.c * s.l + j;
            T* pg = gx + n * s.c * s.l + j;
            if (mask[r] == 0) {
                for (int64_t k = 0; k < s.c; ++k) pg[k * s.l] = T(0);
                continue;
            }
            const double sc = scale_per_row ? scale[r] : scale[0];
            const double lse = row_lse(px, s.c, s.l, scratch);
            const double a = (1 - s.smoothing) * wt[r];
            for (int64_t k = 0; k < s.c; ++k) {
                const double p = std::exp(static_cast<double>(px[k * s.l]) - lse);
                double gk = a * (p - (k == tgt[r] ? 1.0 : 0.0));
                if (s.smoothing > 0) gk += e_c * (wsum * p - (cw ? cw[k] : 1.0));
                pg[k * s.l] = static_cast<T>(sc * gk);
            }
        }
    });
}

std::vector<double> class_weights(const Tensor& weight) {
    if (!weight.defined()) return {};
    GradModeGuard no_grad(false);
    const Tensor w = contiguous(to_dtype(weight, DType::Float64));
    return std::vector<double>(w.data<double>(), w.data<double>() + w.numel());
}

Tensor to_f64(const Tensor& t) {
    GradModeGuard no_grad(false);
    return contiguous(to_dtype(t, DType::Float64));
}

// The cross-entropy gradient composed of ops (for create_graph): differentiable in x and g.
Tensor ce_grad_composite(const Tensor& g, const Tensor& x, const Tensor& safe, const Tensor& wt, const Tensor& mask,
                         const Tensor& weight, double smoothing, ng_reduction reduction, double weight_sum) {
    const Tensor p = softmax(x, 1);
    const Tensor onehot = scatter_value(zeros_like(x), 1, unsqueeze(safe, 1), 1.0);
    Tensor grad = mul(mul_scalar(unsqueeze(wt, 1), 1.0 - smoothing), sub(p, onehot));
    if (smoothing > 0) {
        const int64_t c = x.sizes()[1];
        Tensor term;
        if (weight.defined()) {
            Dims s = Dims::filled(x.dim(), 1);
            s[1] = c;
            const Tensor wb = reshape(to_dtype(weight, x.dtype()), s);
            term = sub(mul(p, sum(wb)), wb);
        } else {
            term = add_scalar(mul_scalar(p, static_cast<double>(c)), -1.0);
        }
        grad = add(grad, mul(mul_scalar(unsqueeze(mask, 1), smoothing / static_cast<double>(c)), term));
    }
    if (reduction == NG_REDUCTION_NONE) return mul(grad, unsqueeze(g, 1));
    if (reduction == NG_REDUCTION_MEAN) return mul(grad, mul_scalar(g, 1.0 / weight_sum));
    return mul(grad, g);
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     double label_smoothing, ng_reduction reduction) {
    check_reduction(reduction, "cross_entropy");
    NG_CHECK_ARG(label_smoothing >= 0 && label_smoothing <= 1, "cross_entropy: label_smoothing must be in [0, 1], got ",
                 label_smoothing);
    Targets t = resolve_targets(input, target, weight, ignore_index, "cross_entropy");
    const CeSpec spec{t.n, t.c, t.l, label_smoothing};
    const Tensor x = contig(t.input);
    const Tensor wt64 = to_f64(t.weight), m64 = to_f64(t.mask);
    const std::vector<double> cw = class_weights(weight);
    std::vector<double> rows(static_cast<size_t>(t.n * t.l));
    if (!rows.empty() && t.c > 0) {
        dispatch_dtype(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if constexpr (std::is_floating_point_v<T>)
                ce_forward<T>(spec, x.data<T>(), t.safe.data<int64_t>(), wt64.data<double>(), m64.data<double>(),
                              cw.empty() ? nullptr : cw.data(), rows.data());
        });
    }
    Tensor out;
    if (reduction == NG_REDUCTION_NONE) {
        const Tensor r64 = from_data(rows.data(), static_cast<int64_t>(rows.size() * sizeof(double)), t.safe.sizes(), DType::Float64);
        out = to_dtype(r64, input.dtype());
        if (t.unbatched) out = reshape(out, Dims{});
    } else {
        double total = 0;  // in row order: independent of the thread count
        for (double v : rows) total += v;
        if (reduction == NG_REDUCTION_MEAN) total /= t.weight_sum;
        out = full(Dims{}, input.dtype(), total);
    }
    if (any_requires_grad({&input})) {
        const double wsum = t.weight_sum;
        const bool unbatched = t.unbatched;
        auto node = make_node("CrossEntropyBackward", [spec, reduction, wsum, unbatched, cw](const FunctionNode& n, const TensorList& g) {
            const Tensor in = n.saved(0), safe = n.saved(1), wt = n.saved(2), mask = n.saved(3), cls_w = n.saved(4);
            const Tensor x4 = unbatched ? unsqueeze(in, 0) : in;
            const Tensor g4 = unbatched && reduction == NG_REDUCTION_NONE ? reshape(g[0], Dims{1}) : g[0];
            Tensor gx;
            if (GradMode::is_enabled()) {
                gx = ce_grad_composite(g4, x4, safe, wt, mask, cls_w, spec.smoothing, reduction, wsum);
            } else {
                const Tensor xc = contiguous(x4);
                const Tensor row_w = to_f64(wt), row_m = to_f64(mask);
                Tensor sc = to_f64(g4);
                if (reduction == NG_REDUCTION_MEAN) sc = mul_scalar(sc, 1.0 / wsum);
                gx = empty_tensor(xc.sizes(), xc.dtype());
                if (gx.numel() > 0) {
                    dispatch_dtype(xc.dtype(), [&](auto tag) {
                        using T = decltype(tag);
                        if constexpr (std::is_floating_point_v<T>)
                            ce_backward<T>(spec, xc.data<T>(), safe.data<int64_t>(), row_w.data<double>(), row_m.data<double>(),
                                           cw.empty() ? nullptr : cw.data(), sc.data<double>(),
                                           reduction == NG_REDUCTION_NONE, gx.data<T>());
                    });
                }
            }
            return TensorList{unbatched ? squeeze(gx, 0) : gx};
        });
        record(node, {&input}, {&out});
        node->save(input);
        node->save(t.safe);
        node->save(t.weight);
        node->save(t.mask);
        node->save(weight.defined() ? detach(weight) : Tensor());
    }
    return out;
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index, ng_reduction reduction) {
    check_reduction(reduction, "nll_loss");
    Targets t = resolve_targets(input, target, weight, ignore_index, "nll_loss");
    const Tensor picked = squeeze(gather(t.input, 1, unsqueeze(t.safe, 1)), 1);
    Tensor loss = neg(mul(picked, t.weight));
    if (t.unbatched) loss = reshape(loss, Dims{});
    if (reduction == NG_REDUCTION_NONE) return loss;
    const Tensor total = sum(loss);
    if (reduction == NG_REDUCTION_SUM) return total;
    return mul_scalar(total, 1.0 / t.weight_sum);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, ng_reduction reduction) {
    check_reduction(reduction, "mse_loss");
    NG_CHECK_SHAPE(input.sizes() == target.sizes(), "mse_loss: input of shape ", input.sizes().str(),
                   " and target of shape ", target.sizes().str(), " must have the same shape");
    NG_CHECK_DTYPE(is_floating(input.dtype()) && is_floating(target.dtype()), "mse_loss: expected floating-point tensors, got ",
                   dtype_name(input.dtype()), " and ", dtype_name(target.dtype()));
    const Tensor d = sub(input, target);
    return reduce_loss(mul(d, d), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, ng_reduction reduction) {
    const char* op = "binary_cross_entropy_with_logits";
    check_reduction(reduction, op);
    NG_CHECK_SHAPE(input.sizes() == target.sizes(), op, ": target of shape ", target.sizes().str(),
                   " must have the same shape as the input of shape ", input.sizes().str());
    NG_CHECK_DTYPE(is_floating(input.dtype()) && is_floating(target.dtype()), op, ": expected floating-point tensors, got ",
                   dtype_name(input.dtype()), " and ", dtype_name(target.dtype()));
    if (weight.defined()) broadcast_shapes(weight.sizes(), input.sizes(), op);
    if (pos_weight.defined()) broadcast_shapes(pos_weight.sizes(), input.sizes(), op);
    // softplus(-x) = log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m)) with m = max(-x, 0): no
    // overflow for either sign of x.
    const Tensor m = unary(NG_UNARY_OP_CLAMP, neg(input), 0.0, std::numeric_limits<double>::infinity());
    const Tensor softplus_neg = add(m, log(add(exp(neg(m)), exp(sub(neg(input), m)))));
    const Tensor one_minus_t = rsub_scalar(target, 1.0);
    // loss = (1 - t) * x + (1 + (pw - 1) * t) * softplus(-x)
    const Tensor coef = pos_weight.defined() ? add_scalar(mul(add_scalar(pos_weight, -1.0), target), 1.0) : Tensor();
    Tensor loss = add(mul(one_minus_t, input), coef.defined() ? mul(coef, softplus_neg) : softplus_neg);
    if (weight.defined()) loss = mul(loss, weight);
    return reduce_loss(loss, reduction);
}

}  // namespace ng::ops
