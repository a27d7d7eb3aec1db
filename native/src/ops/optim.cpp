// Fused SGD and Adam/AdamW updates. Each element is independent, so the loops are split across
// threads with parallel_for and the results do not depend on the thread count. Arithmetic is done
// in the parameter's dtype with the scalar hyper-parameters converted to it, the way PyTorch's
// CPU kernels apply Python scalars to float32 tensors.
#include "ops/optim.h"

#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/error.h"
#include "cpu/parallel.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

constexpr int64_t kGrain = 1 << 15;

// Parameters and optimizer state are written in place through raw pointers, so they must be
// dense; gradients are only read and may be copied to a dense layout first.
void check_state(const Tensor& param, const Tensor& t, const char* op, const char* name) {
    NG_CHECK_ARG(t.defined(), op, ": ", name, " is required");
    NG_CHECK_SHAPE(t.sizes() == param.sizes(), op, ": ", name, " has shape ", t.sizes().str(),
                   " but the parameter has shape ", param.sizes().str());
    NG_CHECK_DTYPE(t.dtype() == param.dtype(), op, ": ", name, " has dtype ", dtype_name(t.dtype()),
                   " but the parameter has dtype ", dtype_name(param.dtype()));
    NG_CHECK_ARG(t.is_contiguous(), op, ": ", name, " of shape ", t.sizes().str(), " must be contiguous");
}

Tensor dense_grad(const Tensor& param, const Tensor& grad, const char* op) {
    NG_CHECK_ARG(grad.defined(), op, ": grad is required");
    NG_CHECK_SHAPE(grad.sizes() == param.sizes(), op, ": grad has shape ", grad.sizes().str(),
                   " but the parameter has shape ", param.sizes().str());
    NG_CHECK_DTYPE(grad.dtype() == param.dtype(), op, ": grad has dtype ", dtype_name(grad.dtype()),
                   " but the parameter has dtype ", dtype_name(param.dtype()));
    // detach: the copy must not be recorded even if the gradient itself carries history.
    return grad.is_contiguous() ? grad : contiguous(detach(grad));
}

void check_param(const Tensor& param, const char* op) {
    NG_CHECK_ARG(param.defined(), op, ": param is required");
    NG_CHECK_DTYPE(is_floating(param.dtype()), op, ": parameter dtype must be float32 or float64, got ",
                   dtype_name(param.dtype()));
    NG_CHECK_ARG(param.is_contiguous(), op, ": parameter of shape ", param.sizes().str(),
                 " must be contiguous");
}

// The hot loops are instantiated per combination of options, with restrict-qualified pointers,
// so they are branch-free and the compiler vectorizes them (param, grad and state never alias:
// they are distinct, dense tensors).
template <class T, bool kWd, bool kMom, bool kNesterov, bool kFirst>
void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t b, int64_t e, T lr, T mom, T wd,
              T damp1) {
#pragma omp simd
    for (int64_t i = b; i < e; ++i) {
        T d = g[i];
        if (kWd) d = d + wd * p[i];                                 // grad.add(param, alpha=wd)
        if (kMom) {
            const T v = kFirst ? d : buf[i] * mom + d * damp1;      // buf.mul_(m).add_(grad, 1-damp)
            buf[i] = v;
            d = kNesterov ? d + v * mom : v;                        // grad.add(buf, alpha=m) or buf
        }
        p[i] = p[i] + d * (-lr);                                    // param.add_(grad, alpha=-lr)
    }
}

template <class T>
void sgd_kernel(T* p, const T* g, T* buf, int64_t n, const SgdOptions& o) {
    const T lr = static_cast<T>(o.lr), mom = static_cast<T>(o.momentum);
    const T wd = static_cast<T>(o.weight_decay), damp1 = static_cast<T>(1.0 - o.dampening);
    using Loop = void (*)(T*, const T*, T*, int64_t, int64_t, T, T, T, T);
    Loop loop;
    const bool w = o.weight_decay != 0.0;
    if (o.momentum == 0.0) {
        loop = w ? &sgd_loop<T, true, false, false, false> : &sgd_loop<T, false, false, false, false>;
    } else if (o.first_step) {
        loop = o.nesterov ? (w ? &sgd_loop<T, true, true, true, true> : &sgd_loop<T, false, true, true, true>)
                          : (w ? &sgd_loop<T, true, true, false, true> : &sgd_loop<T, false, true, false, true>);
    } else {
        loop = o.nesterov ? (w ? &sgd_loop<T, true, true, true, false> : &sgd_loop<T, false, true, true, false>)
                          : (w ? &sgd_loop<T, true, true, false, false> : &sgd_loop<T, false, true, false, false>);
    }
    cpu::parallel_for(0, n, kGrain, [=](int64_t b, int64_t e) { loop(p, g, buf, b, e, lr, mom, wd, damp1); });
}

template <class T>
struct AdamScalars {
    T step_size, bc2_sqrt, w1, b2, one_b2, eps, wd, decay;
};

// Lane types for the Adam loop. GCC does not vectorize std::sqrt unless errno is disabled, so
// the x86-64 baseline (SSE2) path is written with intrinsics; sqrt and division are IEEE
// correctly rounded in both, so the vector lanes and the scalar tail give identical results.
template <class T>
struct ScalarLanes {
    using V = T;
    static constexpr int64_t kWidth = 1;
    static V load(const T* x) { return *x; }
    static void store(T* x, V a) { *x = a; }
    static V set1(T a) { return a; }
    static V add(V a, V b) { return a + b; }
    static V sub(V a, V b) { return a - b; }
    static V mul(V a, V b) { return a * b; }
    static V div(V a, V b) { return a / b; }
    static V sqrt(V a) { return std::sqrt(a); }
    static V max_nan(V old, V a) { return (old > a || old != old) ? old : a; }  // torch.maximum: NaN wins
};

#if defined(__SSE2__)
struct Sse2Float {
    using V = __m128;
    static constexpr int64_t kWidth = 4;
    static V load(const float* x) { return _mm_loadu_ps(x); }
    static void store(float* x, V a) { _mm_storeu_ps(x, a); }
    static V set1(float a) { return _mm_set1_ps(a); }
    static V add(V a, V b) { return _mm_add_ps(a, b); }
    static V sub(V a, V b) { return _mm_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm_mul_ps(a, b); }
    static V div(V a, V b) { return _mm_div_ps(a, b); }
    static V sqrt(V a) { return _mm_sqrt_ps(a); }
    static V max_nan(V old, V a) {
        const V keep = _mm_or_ps(_mm_cmpgt_ps(old, a), _mm_cmpunord_ps(old, old));
        return _mm_or_ps(_mm_and_ps(keep, old), _mm_andnot_ps(keep, a));
    }
};
struct Sse2Double {
    using V = __m128d;
    static constexpr int64_t kWidth = 2;
    static V load(const double* x) { return _mm_loadu_pd(x); }
    static void store(double* x, V a) { _mm_storeu_pd(x, a); }
    static V set1(double a) { return _mm_set1_pd(a); }
    static V add(V a, V b) { return _mm_add_pd(a, b); }
    static V sub(V a, V b) { return _mm_sub_pd(a, b); }
    static V mul(V a, V b) { return _mm_mul_pd(a, b); }
    static V div(V a, V b) { return _mm_div_pd(a, b); }
    static V sqrt(V a) { return _mm_sqrt_pd(a); }
    static V max_nan(V old, V a) {
        const V keep = _mm_or_pd(_mm_cmpgt_pd(old, a), _mm_cmpunord_pd(old, old));
        return _mm_or_pd(_mm_and_pd(keep, old), _mm_andnot_pd(keep, a));
    }
};
template <class T> struct VectorLanes { using type = ScalarLanes<T>; };
template <> struct VectorLanes<float> { using type = Sse2Float; };
template <> struct VectorLanes<double> { using type = Sse2Double; };
#else
template <class T> struct VectorLanes { using type = ScalarLanes<T>; };
#endif

// One Adam update of L::kWidth consecutive elements at index i.
// kWd: 0 none, 1 L2 (added to the gradient), 2 decoupled (AdamW).
template <class L, class T, int kWd, bool kLerpLow, bool kAms>
inline void adam_at(T* p, const T* g, T* m, T* v, T* vmax, int64_t i, const AdamScalars<T>& s) {
    using V = typename L::V;
    V gi = L::load(g + i);
    V pi = L::load(p + i);
    if (kWd == 2) pi = L::mul(pi, L::set1(s.decay));                  // param.mul_(1 - lr * wd)
    if (kWd == 1) gi = L::add(gi, L::mul(L::set1(s.wd), pi));         // grad.add(param, alpha=wd)
    // exp_avg.lerp_(grad, 1 - beta1), with lerp's two-sided formula.
    const V mo = L::load(m + i);
    const V diff = L::sub(gi, mo);
    const V mi = kLerpLow ? L::add(mo, L::mul(L::set1(s.w1), diff))
                          : L::sub(gi, L::mul(diff, L::set1(T(1) - s.w1)));
    L::store(m + i, mi);
    // exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2)
    const V vi = L::add(L::mul(L::load(v + i), L::set1(s.b2)), L::mul(L::mul(L::set1(s.one_b2), gi), gi));
    L::store(v + i, vi);
    V sq = vi;
    if (kAms) {
        sq = L::max_nan(L::load(vmax + i), vi);
        L::store(vmax + i, sq);
    }
    const V denom = L::add(L::div(L::sqrt(sq), L::set1(s.bc2_sqrt)), L::set1(s.eps));
    // param.addcdiv_(exp_avg, denom, value=-step_size); PyTorch's CPU kernel computes
    // self + (value * t1) / t2, in that order.
    L::store(p + i, L::add(pi, L::div(L::mul(L::set1(-s.step_size), mi), denom)));
}

template <class T, int kWd, bool kLerpLow, bool kAms>
void adam_loop(T* p, const T* g, T* m, T* v, T* vmax, int64_t b, int64_t e, const AdamScalars<T> s) {
    using L = typename VectorLanes<T>::type;
    int64_t i = b;
    for (; i + L::kWidth <= e; i += L::kWidth) adam_at<L, T, kWd, kLerpLow, kAms>(p, g, m, v, vmax, i, s);
    for (; i < e; ++i) adam_at<ScalarLanes<T>, T, kWd, kLerpLow, kAms>(p, g, m, v, vmax, i, s);
}

template <class T, int kWd>
auto adam_pick(bool lerp_low, bool ams) {
    using Loop = void (*)(T*, const T*, T*, T*, T*, int64_t, int64_t, AdamScalars<T>);
    Loop loop = lerp_low ? (ams ? &adam_loop<T, kWd, true, true> : &adam_loop<T, kWd, true, false>)
                         : (ams ? &adam_loop<T, kWd, false, true> : &adam_loop<T, kWd, false, false>);
    return loop;
}

template <class T>
void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamOptions& o) {
    // Scalars computed in double, as Python computes them, then applied in T.
    const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(o.step));
    const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(o.step));
    AdamScalars<T> s{};
    s.step_size = static_cast<T>(o.lr / bc1);
    s.bc2_sqrt = static_cast<T>(std::sqrt(bc2));
    s.w1 = static_cast<T>(1.0 - o.beta1);
    s.b2 = static_cast<T>(o.beta2);
    s.one_b2 = static_cast<T>(1.0 - o.beta2);
    s.eps = static_cast<T>(o.eps);
    s.wd = static_cast<T>(o.weight_decay);
    s.decay = static_cast<T>(1.0 - o.lr * o.weight_decay);
    const bool lerp_low = std::abs(static_cast<double>(s.w1)) < 0.5;
    const int wd_mode = o.weight_decay == 0.0 ? 0 : (o.decoupled ? 2 : 1);
    auto loop = wd_mode == 0 ? adam_pick<T, 0>(lerp_low, o.amsgrad)
              : wd_mode == 1 ? adam_pick<T, 1>(lerp_low, o.amsgrad)
                             : adam_pick<T, 2>(lerp_low, o.amsgrad);
    cpu::parallel_for(0, n, kGrain, [=](int64_t b, int64_t e) { loop(p, g, m, v, vmax, b, e, s); });
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, const SgdOptions& o) {
    const char* op = "optim_sgd_step";
    check_param(param, op);
    NG_CHECK_ARG(o.lr >= 0.0, op, ": learning rate must be >= 0, got ", o.lr);
    NG_CHECK_ARG(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0), op,
                 ": nesterov momentum requires momentum > 0 and dampening = 0");
    const Tensor g = dense_grad(param, grad, op);
    if (o.momentum != 0.0) check_state(param, momentum_buffer, op, "momentum_buffer");
    const int64_t n = param.numel();
    if (param.dtype() == DType::Float32) {
        sgd_kernel<float>(param.data<float>(), g.data<float>(),
                          o.momentum != 0.0 ? momentum_buffer.data<float>() : nullptr, n, o);
    } else {
        sgd_kernel<double>(param.data<double>(), g.data<double>(),
                           o.momentum != 0.0 ? momentum_buffer.data<double>() : nullptr, n, o);
    }
    param->storage()->bump_version();
    if (o.momentum != 0.0) momentum_buffer->storage()->bump_version();
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamOptions& o) {
    const char* op = "optim_adam_step";
    check_param(param, op);
    NG_CHECK_ARG(o.step >= 1, op, ": step must be >= 1, got ", o.step);
    NG_CHECK_ARG(o.lr >= 0.0, op, ": learning rate must be >= 0, got ", o.lr);
    NG_CHECK_ARG(o.eps >= 0.0, op, ": eps must be >= 0, got ", o.eps);
    NG_CHECK_ARG(o.beta1 >= 0.0 && o.beta1 < 1.0 && o.beta2 >= 0.0 && o.beta2 < 1.0, op,
                 ": betas must be in [0, 1), got (", o.beta1, ", ", o.beta2, ")");
    const Tensor g = dense_grad(param, grad, op);
    check_state(param, exp_avg, op, "exp_avg");
    check_state(param, exp_avg_sq, op, "exp_avg_sq");
    if (o.amsgrad) check_state(param, max_exp_avg_sq, op, "max_exp_avg_sq");
    const int64_t n = param.numel();
    if (param.dtype() == DType::Float32) {
        adam_kernel<float>(param.data<float>(), g.data<float>(), exp_avg.data<float>(), exp_avg_sq.data<float>(),
                           o.amsgrad ? max_exp_avg_sq.data<float>() : nullptr, n, o);
    } else {
        adam_kernel<double>(param.data<double>(), g.data<double>(), exp_avg.data<double>(),
                            exp_avg_sq.data<double>(), o.amsgrad ? max_exp_avg_sq.data<double>() : nullptr, n, o);
    }
    param->storage()->bump_version();
    exp_avg->storage()->bump_version();
    exp_avg_sq->storage()->bump_version();
    if (o.amsgrad) max_exp_avg_sq->storage()->bump_version();
}

}  // namespace ng::ops
