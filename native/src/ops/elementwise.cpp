// The elementwise op tables: one row per ng_unary_op / ng_binary_op value with the op's name,
// its kernel functor and its backward formula. The C ABI, the managed enums and the tests'
// op lists all key off the same enum values.
#include <algorithm>
#include <cmath>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/elementwise_kernels.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {
using kernels::Kind;

// ---- forward kernels --------------------------------------------------------------------------

DType compute_dtype(Kind kind, DType in) {
    switch (kind) {
        case Kind::Floating: return is_floating(in) ? in : DType::Float32;
        case Kind::Same: return in == DType::Bool ? DType::Int64 : in;
        case Kind::Compare: return in;
        case Kind::Logical: return DType::Bool;
    }
    return in;
}
DType result_dtype(Kind kind, DType compute) {
    return kind == Kind::Compare || kind == Kind::Logical ? DType::Bool : compute;
}

// One strided row through an op's float32 vector kernel: directly when both sides are
// contiguous, else gathered into a small buffer (same bits either way: see cpu/vec_math.h).
template <class F>
void vec_f32_row(const float* in, int64_t in_stride, float* out, int64_t out_stride, int64_t n, double a) {
    if (in_stride == 1 && out_stride == 1) {
        kernels::VecF32<F>::run(in, out, n, a);
        return;
    }
    constexpr int64_t kBlock = 256;
    float buf[kBlock];
    for (int64_t s = 0; s < n; s += kBlock) {
        const int64_t m = std::min(kBlock, n - s);
        for (int64_t k = 0; k < m; ++k) buf[k] = in[(s + k) * in_stride];
        kernels::VecF32<F>::run(buf, buf, m, a);
        for (int64_t k = 0; k < m; ++k) out[(s + k) * out_stride] = buf[k];
    }
}

template <class F, class T>
void unary_loop(const Tensor& x, const Tensor& out, double a, double b) {
    using R = decltype(F::template f<T>(T{}, 0.0, 0.0));
    using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
    const T* in = x.data<T>();
    O* o = out.data<O>();
    strided_loop<2>(out.sizes(), {out.strides(), x.strides()},
                    [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                        O* po = o + off[0];
                        const T* pi = in + off[1];
                        if constexpr (std::is_same_v<T, float> && kernels::VecF32<F>::available) {
                            vec_f32_row<F>(pi, st[1], po, st[0], n, a);
                            return;
                        }
                        if (st[0] == 1 && st[1] == 1) {
                            for (int64_t k = 0; k < n; ++k) po[k] = static_cast<O>(F::template f<T>(pi[k], a, b));
                        } else {
                            for (int64_t k = 0; k < n; ++k)
                                po[k * st[0]] = static_cast<O>(F::template f<T>(pi[k * st[1]], a, b));
                        }
                    });
}

// Computes F over x into out (out may be x itself for in-place).
template <class F>
void unary_kernel(const Tensor& x, const Tensor& out, double a, double b) {
    dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) {
            if constexpr (F::kind == Kind::Logical) unary_loop<F, bool>(x, out, a, b);
        } else {
            if constexpr (F::kind != Kind::Logical) unary_loop<F, T>(x, out, a, b);
        }
    });
}

template <class F, class T>
void binary_loop(const Tensor& x, const Dims& xs, const Tensor& y, const Dims& ys, const Tensor& out) {
    using R = decltype(F::template f<T>(T{}, T{}));
    using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    O* po = out.data<O>();
    strided_loop<3>(out.sizes(), {out.strides(), xs, ys},
                    [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& st) {
                        O* o = po + off[0];
                        const T* a = px + off[1];
                        const T* b = py + off[2];
                        if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                            for (int64_t k = 0; k < n; ++k) o[k] = static_cast<O>(F::template f<T>(a[k], b[k]));
                        } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                            const T bv = *b;
                            for (int64_t k = 0; k < n; ++k) o[k] = static_cast<O>(F::template f<T>(a[k], bv));
                        } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                            const T av = *a;
                            for (int64_t k = 0; k < n; ++k) o[k] = static_cast<O>(F::template f<T>(av, b[k]));
                        } else {
                            for (int64_t k = 0; k < n; ++k)
                                o[k * st[0]] = static_cast<O>(F::template f<T>(a[k * st[1]], b[k * st[2]]));
                        }
                    });
}

template <class F>
void binary_kernel(const Tensor& x, const Dims& xs, const Tensor& y, const Dims& ys, const Tensor& out) {
    dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, bool>) {
            if constexpr (F::kind == Kind::Logical || F::kind == Kind::Compare) binary_loop<F, bool>(x, xs, y, ys, out);
        } else {
            if constexpr (F::kind != Kind::Logical) binary_loop<F, T>(x, xs, y, ys, out);
        }
    });
}

// Contiguous fast paths: no layout analysis, one flat loop (split in fixed chunks when long).
// These carry the small-tensor case, where per-call overhead dominates.
template <class F>
void unary_flat(const Tensor& x, const Tensor& out, double a, double b) {
    dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        constexpr bool ok = std::is_same_v<T, bool> ? F::kind == Kind::Logical : F::kind != Kind::Logical;
        if constexpr (ok) {
            using R = decltype(F::template f<T>(T{}, 0.0, 0.0));
            using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
            const T* in = x.data<T>();
            O* o = out.data<O>();
            cpu::parallel_for(0, x.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
                if constexpr (std::is_same_v<T, float> && kernels::VecF32<F>::available) {
                    kernels::VecF32<F>::run(in + begin, o + begin, end - begin, a);
                } else {
                    #pragma omp simd
                    for (int64_t k = begin; k < end; ++k) o[k] = static_cast<O>(F::template f<T>(in[k], a, b));
                }
            });
        }
    });
}

// mode 0: both full; 1: y is one element; 2: x is one element.
template <class F>
void binary_flat(const Tensor& x, const Tensor& y, const Tensor& out, int mode) {
    dispatch_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        constexpr bool ok = std::is_same_v<T, bool> ? (F::kind == Kind::Logical || F::kind == Kind::Compare)
                                                    : F::kind != Kind::Logical;
        if constexpr (ok) {
            using R = decltype(F::template f<T>(T{}, T{}));
            using O = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
            const T* px = x.data<T>();
            const T* py = y.data<T>();
            O* o = out.data<O>();
            cpu::parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
                if (mode == 0) {
                    #pragma omp simd
                    for (int64_t k = begin; k < end; ++k) o[k] = static_cast<O>(F::template f<T>(px[k], py[k]));
                } else if (mode == 1) {
                    const T yv = *py;
                    #pragma omp simd
                    for (int64_t k = begin; k < end; ++k) o[k] = static_cast<O>(F::template f<T>(px[k], yv));
                } else {
                    const T xv = *px;
                    #pragma omp simd
                    for (int64_t k = begin; k < end; ++k) o[k] = static_cast<O>(F::template f<T>(xv, py[k]));
                }
            });
        }
    });
}

// ---- backward formulas ------------------------------------------------------------------------

using UnaryBackward = Tensor (*)(const Tensor& g, const Tensor& x, const Tensor& y, double a, double b);
enum Saves : int { kNone = 0, kInput = 1, kOutput = 2 };

Tensor as_float(const Tensor& mask, DType like) { return to_dtype(mask, like); }
Tensor cmp(ng_unary_op op, const Tensor& x, double a) { return unary(op, x, a); }

// g where y > 0, else 0: ReLU's backward in one pass (no mask tensor). Differentiable in g only,
// like PyTorch's threshold_backward, so double backward through ReLU works.
Tensor relu_backward(const Tensor& g, const Tensor& y) {
    NG_CHECK_SHAPE(g.sizes() == y.sizes() && g.dtype() == y.dtype(), "relu backward: gradient ", g.sizes().str(),
                   " does not match the output ", y.sizes().str());
    Tensor gc, yc;
    {
        GradModeGuard no_grad(false);
        gc = contiguous(g);
        yc = contiguous(y);
    }
    Tensor out = empty_tensor(g.sizes(), g.dtype());
    dispatch_dtype(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            const T* pg = gc.data<T>();
            const T* py = yc.data<T>();
            T* po = out.data<T>();
            cpu::parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
                #pragma omp simd
                for (int64_t k = b; k < e; ++k) {
                    const T gk = pg[k];  // loaded unconditionally so the select vectorises
                    po[k] = py[k] > T(0) ? gk : T(0);
                }
            });
        }
    });
    if (any_requires_grad({&g})) {
        auto node = make_node("ReluBackwardBackward", [](const FunctionNode& n, const TensorList& gg) {
            return TensorList{relu_backward(gg[0], n.saved(0))};
        });
        record(node, {&g}, {&out});
        node->save(y);
    }
    return out;
}

// Backward of sigmoid, tanh and ELU. With no graph being recorded (the usual backward pass) one
// fused pass: g*(y*(1-y)), g*(1-y^2), g*(x > 0 ? 1 : alpha*exp(x)); float32 through the vector
// kernels of cpu/vec_math.h. Under create_graph (g or the saved tensor requires grad) the same
// formula composed of ops, so it can be differentiated again.
enum class ActGrad { Sigmoid, Tanh, Elu };

Tensor activation_backward_composed(ActGrad kind, const Tensor& g, const Tensor& s, double alpha) {
    switch (kind) {
        case ActGrad::Sigmoid: return mul(g, mul(s, rsub_scalar(s, 1.0)));
        case ActGrad::Tanh: return mul(g, rsub_scalar(mul(s, s), 1.0));
        case ActGrad::Elu:  // dy/dx = 1 for x > 0, alpha * exp(x) otherwise
            return mul(g, where(cmp(NG_UNARY_OP_GT_SCALAR, s, 0.0), ones_like(s), mul_scalar(exp(s), alpha)));
    }
    return Tensor();
}

// s is the saved output y (sigmoid, tanh) or input x (ELU).
Tensor activation_backward(ActGrad kind, const Tensor& g, const Tensor& s, double alpha) {
    if (any_requires_grad({&g, &s}) || g.sizes() != s.sizes() || g.dtype() != s.dtype() || !is_floating(g.dtype()))
        return activation_backward_composed(kind, g, s, alpha);
    Tensor gc, sc;
    {
        GradModeGuard no_grad(false);
        gc = contiguous(g);
        sc = contiguous(s);
    }
    Tensor out = empty_tensor(g.sizes(), g.dtype());
    if (g.dtype() == DType::Float32) {
        const float* pg = gc.data<float>();
        const float* ps = sc.data<float>();
        float* po = out.data<float>();
        const float fa = static_cast<float>(alpha);
        cpu::parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
            const int64_t n = end - begin;
            if (kind == ActGrad::Sigmoid) cpu::vec::sigmoid_backward(pg + begin, ps + begin, po + begin, n);
            else if (kind == ActGrad::Tanh) cpu::vec::tanh_backward(pg + begin, ps + begin, po + begin, n);
            else cpu::vec::elu_backward(pg + begin, ps + begin, po + begin, n, fa);
        });
    } else {  // float64: libm exp, same formulas
        const double* pg = gc.data<double>();
        const double* ps = sc.data<double>();
        double* po = out.data<double>();
        cpu::parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t begin, int64_t end) {
            for (int64_t k = begin; k < end; ++k) {
                const double v = ps[k];
                const double d = kind == ActGrad::Sigmoid ? v * (1.0 - v)
                                 : kind == ActGrad::Tanh  ? 1.0 - v * v
                                 : v > 0.0                ? 1.0
                                                          : std::exp(v) * alpha;
                po[k] = pg[k] * d;
            }
        });
    }
    return out;
}

struct UnaryRow {
    ng_unary_op op;
    const char* name;
    const char* backward_name;
    Kind kind;
    void (*kernel)(const Tensor& x, const Tensor& out, double a, double b);
    void (*flat)(const Tensor& x, const Tensor& out, double a, double b);
    UnaryBackward backward;  // null: not differentiable
    int saves;
};

#define ROW(OP, NAME, BWNAME, F, SAVES, ...)                                                      \
    UnaryRow{OP, NAME, BWNAME, kernels::F::kind, &unary_kernel<kernels::F>, &unary_flat<kernels::F>, \
             [](const Tensor& g, [[maybe_unused]] const Tensor& x, [[maybe_unused]] const Tensor& y, \
                [[maybe_unused]] double a, [[maybe_unused]] double b) -> Tensor { __VA_ARGS__ }, SAVES}
#define ROW_ND(OP, NAME, F) \
    UnaryRow{OP, NAME, nullptr, kernels::F::kind, &unary_kernel<kernels::F>, &unary_flat<kernels::F>, nullptr, kNone}

const UnaryRow kUnaryTable[] = {
    ROW(NG_UNARY_OP_NEG, "neg", "NegBackward", NegF, kNone, return neg(g);),
    ROW(NG_UNARY_OP_EXP, "exp", "ExpBackward", ExpF, kOutput, return mul(g, y);),
    ROW(NG_UNARY_OP_LOG, "log", "LogBackward", LogF, kInput, return div(g, x);),
    ROW(NG_UNARY_OP_SQRT, "sqrt", "SqrtBackward", SqrtF, kOutput, return div(g, mul_scalar(y, 2.0));),
    ROW(NG_UNARY_OP_ABS, "abs", "AbsBackward", AbsF, kInput, return mul(g, unary(NG_UNARY_OP_SIGN, x));),
    ROW(NG_UNARY_OP_RELU, "relu", "ReluBackward", ReluF, kOutput, return relu_backward(g, y);),
    ROW(NG_UNARY_OP_SIGMOID, "sigmoid", "SigmoidBackward", SigmoidF, kOutput,
        return activation_backward(ActGrad::Sigmoid, g, y, 0.0);),
    ROW(NG_UNARY_OP_TANH, "tanh", "TanhBackward", TanhF, kOutput,
        return activation_backward(ActGrad::Tanh, g, y, 0.0);),
    ROW(NG_UNARY_OP_SIN, "sin", "SinBackward", SinF, kInput, return mul(g, unary(NG_UNARY_OP_COS, x));),
    ROW(NG_UNARY_OP_COS, "cos", "CosBackward", CosF, kInput, return neg(mul(g, unary(NG_UNARY_OP_SIN, x)));),
    ROW(NG_UNARY_OP_SIGN, "sign", "SignBackward", SignF, kNone, return mul_scalar(g, 0.0);),
    ROW(NG_UNARY_OP_RECIPROCAL, "reciprocal", "ReciprocalBackward", ReciprocalF, kOutput,
        return neg(mul(g, mul(y, y)));),
    ROW(NG_UNARY_OP_LEAKY_RELU, "leaky_relu", "LeakyReluBackward", LeakyReluF, kInput,
        return mul(g, add_scalar(mul_scalar(as_float(cmp(NG_UNARY_OP_GT_SCALAR, x, 0.0), g.dtype()), 1.0 - a), a));),
    ROW(NG_UNARY_OP_ELU, "elu", "EluBackward", EluF, kInput, return activation_backward(ActGrad::Elu, g, x, a);),
    ROW(NG_UNARY_OP_CLAMP, "clamp", "ClampBackward", ClampF, kInput,
        return mul(g, as_float(binary(NG_BINARY_OP_LOGICAL_AND, cmp(NG_UNARY_OP_GE_SCALAR, x, a),
                                      cmp(NG_UNARY_OP_LE_SCALAR, x, b)), g.dtype()));),
    ROW(NG_UNARY_OP_POW_SCALAR, "pow", "PowBackward", PowScalarF, kInput,
        if (a == 0.0) return mul_scalar(g, 0.0);
        return mul(g, mul_scalar(pow_scalar(x, a - 1.0), a));),
    ROW(NG_UNARY_OP_RPOW_SCALAR, "pow", "PowBackward", RPowScalarF, kOutput,
        return mul(g, mul_scalar(y, std::log(a)));),
    ROW(NG_UNARY_OP_ADD_SCALAR, "add", "AddBackward", AddScalarF, kNone, return g;),
    ROW(NG_UNARY_OP_SUB_SCALAR, "sub", "SubBackward", SubScalarF, kNone, return g;),
    ROW(NG_UNARY_OP_RSUB_SCALAR, "rsub", "RsubBackward", RSubScalarF, kNone, return neg(g);),
    ROW(NG_UNARY_OP_MUL_SCALAR, "mul", "MulBackward", MulScalarF, kNone, return mul_scalar(g, a);),
    ROW(NG_UNARY_OP_DIV_SCALAR, "div", "DivBackward", DivScalarF, kNone,
        return unary(NG_UNARY_OP_DIV_SCALAR, g, a);),
    ROW(NG_UNARY_OP_RDIV_SCALAR, "div", "DivBackward", RDivScalarF, kInput,
        // d(a/x)/dx = -a / x^2
        return neg(div(mul_scalar(g, a), mul(x, x)));),
    ROW_ND(NG_UNARY_OP_EQ_SCALAR, "eq", EqScalarF),
    ROW_ND(NG_UNARY_OP_NE_SCALAR, "ne", NeScalarF),
    ROW_ND(NG_UNARY_OP_LT_SCALAR, "lt", LtScalarF),
    ROW_ND(NG_UNARY_OP_LE_SCALAR, "le", LeScalarF),
    ROW_ND(NG_UNARY_OP_GT_SCALAR, "gt", GtScalarF),
    ROW_ND(NG_UNARY_OP_GE_SCALAR, "ge", GeScalarF),
    ROW_ND(NG_UNARY_OP_LOGICAL_NOT, "logical_not", LogicalNotF),
};
#undef ROW
#undef ROW_ND
static_assert(sizeof(kUnaryTable) / sizeof(kUnaryTable[0]) == NG_UNARY_OP_COUNT,
              "every ng_unary_op needs exactly one row in kUnaryTable");

const UnaryRow& unary_row(ng_unary_op op) {
    NG_CHECK_ARG(op >= 0 && op < NG_UNARY_OP_COUNT, "unary: unknown operation ", static_cast<int>(op));
    const UnaryRow& row = kUnaryTable[op];
    NG_CHECK(row.op == op, NG_STATUS_INTERNAL, "unary op table is out of order at ", static_cast<int>(op));
    return row;
}

bool is_integral_value(double v) { return std::isfinite(v) && std::floor(v) == v; }

bool uses_scalar(ng_unary_op op) {
    return op == NG_UNARY_OP_ADD_SCALAR || op == NG_UNARY_OP_SUB_SCALAR || op == NG_UNARY_OP_RSUB_SCALAR ||
           op == NG_UNARY_OP_MUL_SCALAR || op == NG_UNARY_OP_CLAMP || op == NG_UNARY_OP_POW_SCALAR;
}

// The dtype a unary op computes in for input dtype `in` and parameters a, b.
DType unary_compute_dtype(const UnaryRow& row, DType in, double a, double b) {
    DType c = compute_dtype(row.kind, in);
    // An integer tensor with a fractional scalar computes in float, as in PyTorch.
    if (!is_floating(c) && uses_scalar(row.op)) {
        const bool b_used = row.op == NG_UNARY_OP_CLAMP;
        if (!is_integral_value(a) || (b_used && !is_integral_value(b)) ||
            (row.op == NG_UNARY_OP_POW_SCALAR && a < 0))
            c = DType::Float32;
    }
    return c;
}

// ---- binary table -----------------------------------------------------------------------------

using BinaryBackward = TensorList (*)(const Tensor& g, const Tensor& x, const Tensor& y, const Tensor& out);

struct BinaryRow {
    ng_binary_op op;
    const char* name;
    const char* backward_name;
    Kind kind;
    void (*kernel)(const Tensor&, const Dims&, const Tensor&, const Dims&, const Tensor&);
    void (*flat)(const Tensor&, const Tensor&, const Tensor&, int mode);
    BinaryBackward backward;
    int saves;  // kInput: both inputs; kOutput: the result
};

#define BROW(OP, NAME, BWNAME, F, SAVES, ...)                                                      \
    BinaryRow{OP, NAME, BWNAME, kernels::F::kind, &binary_kernel<kernels::F>, &binary_flat<kernels::F>, \
              [](const Tensor& g, [[maybe_unused]] const Tensor& x, [[maybe_unused]] const Tensor& y, \
                 [[maybe_unused]] const Tensor& out) -> TensorList { __VA_ARGS__ }, SAVES}
#define BROW_ND(OP, NAME, F) \
    BinaryRow{OP, NAME, nullptr, kernels::F::kind, &binary_kernel<kernels::F>, &binary_flat<kernels::F>, nullptr, kNone}

Tensor mask_of(ng_binary_op op, const Tensor& x, const Tensor& y, DType like) {
    return to_dtype(binary(op, x, y), like);
}

const BinaryRow kBinaryTable[] = {
    BROW(NG_BINARY_OP_ADD, "add", "AddBackward", AddF, kNone, return {g, g};),
    BROW(NG_BINARY_OP_SUB, "sub", "SubBackward", SubF, kNone, return {g, neg(g)};),
    BROW(NG_BINARY_OP_MUL, "mul", "MulBackward", MulF, kInput, return {mul(g, y), mul(g, x)};),
    BROW(NG_BINARY_OP_DIV, "div", "DivBackward", DivF, kInput,
         return {div(g, y), neg(div(mul(g, x), mul(y, y)))};),
    BROW(NG_BINARY_OP_POW, "pow", "PowBackward", PowF, kInput | kOutput,
         {
             Tensor gx = mul(g, mul(y, binary(NG_BINARY_OP_POW, x, add_scalar(y, -1.0))));
             // d/dy x^y = x^y * log(x); taken as 0 where x == 0 and y >= 0, as PyTorch does.
             Tensor zero_base = binary(NG_BINARY_OP_LOGICAL_AND, unary(NG_UNARY_OP_EQ_SCALAR, x, 0.0),
                                       unary(NG_UNARY_OP_GE_SCALAR, y, 0.0));
             Tensor gy = where(zero_base, zeros_like(g), mul(g, mul(out, log(x))));
             return {gx, gy};
         }),
    BROW(NG_BINARY_OP_MAXIMUM, "maximum", "MaximumBackward", MaximumF, kInput,
         {
             // Ties split the gradient evenly, as in PyTorch.
             Tensor half = mul_scalar(mask_of(NG_BINARY_OP_EQ, x, y, g.dtype()), 0.5);
             return {mul(g, add(mask_of(NG_BINARY_OP_GT, x, y, g.dtype()), half)),
                     mul(g, add(mask_of(NG_BINARY_OP_LT, x, y, g.dtype()), half))};
         }),
    BROW(NG_BINARY_OP_MINIMUM, "minimum", "MinimumBackward", MinimumF, kInput,
         {
             Tensor half = mul_scalar(mask_of(NG_BINARY_OP_EQ, x, y, g.dtype()), 0.5);
             return {mul(g, add(mask_of(NG_BINARY_OP_LT, x, y, g.dtype()), half)),
                     mul(g, add(mask_of(NG_BINARY_OP_GT, x, y, g.dtype()), half))};
         }),
    BROW_ND(NG_BINARY_OP_EQ, "eq", EqF),
    BROW_ND(NG_BINARY_OP_NE, "ne", NeF),
    BROW_ND(NG_BINARY_OP_LT, "lt", LtF),
    BROW_ND(NG_BINARY_OP_LE, "le", LeF),
    BROW_ND(NG_BINARY_OP_GT, "gt", GtF),
    BROW_ND(NG_BINARY_OP_GE, "ge", GeF),
    BROW_ND(NG_BINARY_OP_LOGICAL_AND, "logical_and", LogicalAndF),
    BROW_ND(NG_BINARY_OP_LOGICAL_OR, "logical_or", LogicalOrF),
};
#undef BROW
#undef BROW_ND
static_assert(sizeof(kBinaryTable) / sizeof(kBinaryTable[0]) == NG_BINARY_OP_COUNT,
              "every ng_binary_op needs exactly one row in kBinaryTable");

const BinaryRow& binary_row(ng_binary_op op) {
    NG_CHECK_ARG(op >= 0 && op < NG_BINARY_OP_COUNT, "binary: unknown operation ", static_cast<int>(op));
    const BinaryRow& row = kBinaryTable[op];
    NG_CHECK(row.op == op, NG_STATUS_INTERNAL, "binary op table is out of order at ", static_cast<int>(op));
    return row;
}

Dims strides_for(const Tensor& t, const Dims& shape) {
    const int nd = shape.size(), td = t.dim();
    Dims st = Dims::filled(nd, 0);
    for (int i = 0; i < td; ++i)
        if (t.sizes()[i] != 1) st[nd - td + i] = t.strides()[i];
    return st;
}

// t itself when it already has `dtype` (no reference-count traffic), else a converted copy kept
// alive by `holder`.
[[gnu::noinline]] const Tensor& convert_into(const Tensor& t, DType dtype, Tensor& holder) {
    GradModeGuard no_grad(false);
    holder = to_dtype(t, dtype);
    return holder;
}
inline const Tensor& converted(const Tensor& t, DType dtype, Tensor& holder) {
    return t.dtype() == dtype ? t : convert_into(t, dtype, holder);
}

// Casts a gradient back to its input's dtype and shape (undoing promotion and broadcasting).
Tensor fit_grad(const Tensor& g, const Dims& sizes, DType dtype) {
    if (!g.defined()) return g;
    Tensor r = sum_to(g, sizes);
    return r.dtype() == dtype ? r : to_dtype(r, dtype);
}

}  // namespace

const char* unary_name(ng_unary_op op) { return unary_row(op).name; }
const char* binary_name(ng_binary_op op) { return binary_row(op).name; }

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
    const int nd = std::max(a.size(), b.size());
    Dims out = Dims::filled(nd, 1);
    for (int i = 0; i < nd; ++i) {
        const int ia = a.size() - nd + i, ib = b.size() - nd + i;
        const int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        NG_CHECK_SHAPE(sa == sb || sa == 1 || sb == 1, op, ": shapes ", a.str(), " and ", b.str(),
                       " cannot be broadcast together (dimension ", i, ": ", sa, " vs ", sb, ")");
        out[i] = sa == 1 ? sb : sa;
    }
    return out;
}

Tensor unary(ng_unary_op op, const Tensor& x, double a, double b) {
    const UnaryRow& row = unary_row(op);
    const DType cdt = unary_compute_dtype(row, x.dtype(), a, b);
    Tensor xh;
    const Tensor& xin = converted(x, cdt, xh);
    Tensor out = empty_tensor(x.sizes(), result_dtype(row.kind, cdt));
    if (xin.is_contiguous())
        row.flat(xin, out, a, b);
    else
        row.kernel(xin, out, a, b);
    if (row.backward && is_floating(out.dtype()) && any_requires_grad({&x})) {
        const UnaryBackward bw = row.backward;
        const int saves = row.saves;
        const DType in_dtype = x.dtype();
        auto node = make_node(row.backward_name, [bw, saves, a, b, in_dtype](const FunctionNode& n, const TensorList& g) {
            size_t i = 0;
            const Tensor xs = (saves & kInput) ? n.saved(i++) : Tensor();
            const Tensor ys = (saves & kOutput) ? n.saved(i++) : Tensor();
            Tensor gx = bw(g[0], xs, ys, a, b);
            return TensorList{gx.dtype() == in_dtype ? gx : to_dtype(gx, in_dtype)};
        });
        record(node, {&x}, {&out});
        if (saves & kInput) node->save(xin);
        if (saves & kOutput) node->save(out, true);
    }
    return out;
}

void unary_(ng_unary_op op, const Tensor& x, double a, double b) {
    const UnaryRow& row = unary_row(op);
    NG_CHECK_STATE(!(GradMode::is_enabled() && x.requires_grad()), row.name,
                   "_: in-place operation on a tensor that requires grad is not supported while grad "
                   "mode is on; use Autograd.NoGrad() or the out-of-place operation");
    const DType cdt = unary_compute_dtype(row, x.dtype(), a, b);
    NG_CHECK_DTYPE(result_dtype(row.kind, cdt) == x.dtype() && cdt == x.dtype(), row.name,
                   "_: the result type ", dtype_name(result_dtype(row.kind, cdt)),
                   " cannot be stored in place into a tensor of dtype ", dtype_name(x.dtype()));
    row.kernel(x, x, a, b);
    x->storage()->bump_version();
}

Tensor binary(ng_binary_op op, const Tensor& x, const Tensor& y) {
    const BinaryRow& row = binary_row(op);
    const DType promoted = promote(x.dtype(), y.dtype());
    const DType cdt = row.kind == Kind::Compare ? promoted : compute_dtype(row.kind, promoted);
    Tensor xh, yh;
    const Tensor& xin = converted(x, cdt, xh);
    const Tensor& yin = converted(y, cdt, yh);
    // Fast path: contiguous operands of one shape, or one of them a single element of no higher rank.
    int mode = -1;
    if (xin.is_contiguous() && yin.is_contiguous()) {
        if (x.sizes() == y.sizes()) mode = 0;
        else if (y.numel() == 1 && y.dim() <= x.dim()) mode = 1;
        else if (x.numel() == 1 && x.dim() <= y.dim()) mode = 2;
    }
    Tensor out;
    if (mode >= 0) {
        out = empty_tensor(mode == 2 ? y.sizes() : x.sizes(), result_dtype(row.kind, cdt));
        row.flat(xin, yin, out, mode);
    } else {
        const Dims shape = broadcast_shapes(x.sizes(), y.sizes(), row.name);
        out = empty_tensor(shape, result_dtype(row.kind, cdt));
        row.kernel(xin, strides_for(xin, shape), yin, strides_for(yin, shape), out);
    }
    if (row.backward && is_floating(out.dtype()) && any_requires_grad({&x, &y})) {
        const BinaryBackward bw = row.backward;
        const int saves = row.saves;
        const Dims xs = x.sizes(), ys = y.sizes();
        const DType xd = x.dtype(), yd = y.dtype();
        auto node = make_node(row.backward_name, [bw, saves, xs, ys, xd, yd](const FunctionNode& n, const TensorList& g) {
            size_t i = 0;
            const Tensor xv = (saves & kInput) ? n.saved(i++) : Tensor();
            const Tensor yv = (saves & kInput) ? n.saved(i++) : Tensor();
            const Tensor ov = (saves & kOutput) ? n.saved(i++) : Tensor();
            TensorList grads = bw(g[0], xv, yv, ov);
            // Undo broadcasting and type promotion so each gradient matches its input.
            grads[0] = n.needs_grad(0) ? fit_grad(grads[0], xs, xd) : Tensor();
            grads[1] = n.needs_grad(1) ? fit_grad(grads[1], ys, yd) : Tensor();
            return grads;
        });
        record(node, {&x, &y}, {&out});
        if (saves & kInput) {
            node->save(xin);
            node->save(yin);
        }
        if (saves & kOutput) node->save(out, true);
    }
    return out;
}

void binary_(ng_binary_op op, const Tensor& x, const Tensor& y) {
    const BinaryRow& row = binary_row(op);
    NG_CHECK_STATE(!(GradMode::is_enabled() && x.requires_grad()), row.name,
                   "_: in-place operation on a tensor that requires grad is not supported while grad "
                   "mode is on; use Autograd.NoGrad() or the out-of-place operation");
    const Dims shape = broadcast_shapes(x.sizes(), y.sizes(), row.name);
    NG_CHECK_SHAPE(shape == x.sizes(), row.name, "_: the result of shape ", shape.str(),
                   " does not fit the in-place target of shape ", x.sizes().str());
    const DType cdt = row.kind == Kind::Compare ? promote(x.dtype(), y.dtype())
                                                : compute_dtype(row.kind, promote(x.dtype(), y.dtype()));
    NG_CHECK_DTYPE(cdt == x.dtype() && result_dtype(row.kind, cdt) == x.dtype(), row.name,
                   "_: the result type ", dtype_name(result_dtype(row.kind, cdt)),
                   " cannot be stored in place into a tensor of dtype ", dtype_name(x.dtype()));
    Tensor yh;
    Tensor yin = converted(y, cdt, yh);
    if (yin->storage() == x->storage()) yin = clone(detach(yin));  // y aliases x: read a snapshot
    row.kernel(x, x.strides(), yin, strides_for(yin, shape), x);
    x->storage()->bump_version();
}

Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y) {
    NG_CHECK_DTYPE(cond.dtype() == DType::Bool, "where: condition must be a bool tensor, got ",
                   dtype_name(cond.dtype()));
    const Dims shape = broadcast_shapes(broadcast_shapes(cond.sizes(), x.sizes(), "where"), y.sizes(), "where");
    const DType dt = promote(x.dtype(), y.dtype());
    Tensor xh, yh;
    const Tensor& xin = converted(x, dt, xh);
    const Tensor& yin = converted(y, dt, yh);
    Tensor out = empty_tensor(shape, dt);
    dispatch_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const bool* pc = cond.data<bool>();
        const T* px = xin.data<T>();
        const T* py = yin.data<T>();
        T* po = out.data<T>();
        strided_loop<4>(shape, {out.strides(), strides_for(cond, shape), strides_for(xin, shape), strides_for(yin, shape)},
                        [&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& st) {
                            for (int64_t k = 0; k < n; ++k)
                                po[off[0] + k * st[0]] = pc[off[1] + k * st[1]] ? px[off[2] + k * st[2]]
                                                                                  : py[off[3] + k * st[3]];
                        });
    });
    if (is_floating(dt) && any_requires_grad({&x, &y})) {
        const Dims xs = x.sizes(), ys = y.sizes();
        const DType xd = x.dtype(), yd = y.dtype();
        auto node = make_node("WhereBackward", [xs, ys, xd, yd](const FunctionNode& n, const TensorList& g) {
            const Tensor c = n.saved(0);
            const Tensor zero = zeros_like(g[0]);
            Tensor gx = n.needs_grad(0) ? fit_grad(where(c, g[0], zero), xs, xd) : Tensor();
            Tensor gy = n.needs_grad(1) ? fit_grad(where(c, zero, g[0]), ys, yd) : Tensor();
            return TensorList{gx, gy};
        });
        record(node, {&x, &y}, {&out});
        node->save(cond);
    }
    return out;
}

}  // namespace ng::ops
