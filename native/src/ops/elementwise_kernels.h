// The functors behind the elementwise operations, one per row of the op tables. Each is a
// plain inline function of scalars so the compiler can vectorise the contiguous loops.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/vec_math.h"

namespace ng::ops::kernels {

// How an op's result dtype follows from its input's.
enum class Kind {
    Floating,  // integer/bool inputs are computed in float32 (as PyTorch's exp(int) -> float)
    Same,      // keeps the input dtype (bool computes in int64)
    Compare,   // computed in the input dtype, result bool
    Logical,   // inputs read as bool, result bool
};

#define NG_UNARY_FUNCTOR(Name, KIND, expr)                                  \
    struct Name {                                                           \
        static constexpr Kind kind = Kind::KIND;                            \
        template <class T>                                                  \
        static inline auto f(T x, [[maybe_unused]] double a, [[maybe_unused]] double b) { return expr; } \
    };

template <class T> inline T sign_of(T x) { return static_cast<T>((T(0) < x) - (x < T(0))); }
// NaN passes through (as in PyTorch); written as one select so the loop vectorises.
template <class T> inline T relu_of(T x) { return (x > T(0) || x != x) ? x : T(0); }
template <class T> inline T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }
template <class T> inline T clamp_of(T x, double lo, double hi) {
    if (std::isnan(static_cast<double>(x))) return x;
    const T l = static_cast<T>(lo), h = static_cast<T>(hi);
    return x < l ? l : (x > h ? h : x);
}
template <class T> inline T pow_of(T x, double a) {
    if constexpr (std::is_integral_v<T>) {
        T r = 1;
        for (int64_t i = 0; i < static_cast<int64_t>(a); ++i) r *= x;
        return r;
    } else {
        if (a == 2.0) return x * x;
        if (a == 1.0) return x;
        if (a == 0.5) return std::sqrt(x);
        return static_cast<T>(std::pow(x, static_cast<T>(a)));
    }
}

NG_UNARY_FUNCTOR(NegF, Same, static_cast<T>(-x))
NG_UNARY_FUNCTOR(ExpF, Floating, std::exp(x))
NG_UNARY_FUNCTOR(LogF, Floating, std::log(x))
NG_UNARY_FUNCTOR(SqrtF, Floating, std::sqrt(x))
NG_UNARY_FUNCTOR(AbsF, Same, static_cast<T>(x < T(0) ? -x : x))
NG_UNARY_FUNCTOR(ReluF, Same, relu_of(x))
NG_UNARY_FUNCTOR(SigmoidF, Floating, sigmoid_of(x))
NG_UNARY_FUNCTOR(TanhF, Floating, std::tanh(x))
NG_UNARY_FUNCTOR(SinF, Floating, std::sin(x))
NG_UNARY_FUNCTOR(CosF, Floating, std::cos(x))
NG_UNARY_FUNCTOR(SignF, Same, sign_of(x))
NG_UNARY_FUNCTOR(ReciprocalF, Floating, T(1) / x)
NG_UNARY_FUNCTOR(LeakyReluF, Floating, x > T(0) ? x : static_cast<T>(x * static_cast<T>(a)))
// expm1, not exp - 1: no cancellation for small negative x (as PyTorch).
NG_UNARY_FUNCTOR(EluF, Floating, x > T(0) ? x : static_cast<T>(static_cast<T>(a) * std::expm1(x)))
NG_UNARY_FUNCTOR(ClampF, Same, clamp_of(x, a, b))
NG_UNARY_FUNCTOR(PowScalarF, Floating, pow_of(x, a))
NG_UNARY_FUNCTOR(RPowScalarF, Floating, static_cast<T>(std::pow(static_cast<T>(a), x)))
NG_UNARY_FUNCTOR(AddScalarF, Same, static_cast<T>(x + static_cast<T>(a)))
NG_UNARY_FUNCTOR(SubScalarF, Same, static_cast<T>(x - static_cast<T>(a)))
NG_UNARY_FUNCTOR(RSubScalarF, Same, static_cast<T>(static_cast<T>(a) - x))
NG_UNARY_FUNCTOR(MulScalarF, Same, static_cast<T>(x * static_cast<T>(a)))
NG_UNARY_FUNCTOR(DivScalarF, Floating, static_cast<T>(x / static_cast<T>(a)))
NG_UNARY_FUNCTOR(RDivScalarF, Floating, static_cast<T>(static_cast<T>(a) / x))
NG_UNARY_FUNCTOR(EqScalarF, Compare, static_cast<double>(x) == a)
NG_UNARY_FUNCTOR(NeScalarF, Compare, static_cast<double>(x) != a)
NG_UNARY_FUNCTOR(LtScalarF, Compare, static_cast<double>(x) < a)
NG_UNARY_FUNCTOR(LeScalarF, Compare, static_cast<double>(x) <= a)
NG_UNARY_FUNCTOR(GtScalarF, Compare, static_cast<double>(x) > a)
NG_UNARY_FUNCTOR(GeScalarF, Compare, static_cast<double>(x) >= a)
NG_UNARY_FUNCTOR(LogicalNotF, Logical, !x)

#undef NG_UNARY_FUNCTOR

// Float32 kernels over contiguous runs (cpu/vec_math.h, AVX2 or portable) for the unary ops whose
// scalar form calls libm per element. The elementwise loops use run() for float32 whenever an op
// has one, for contiguous and strided tensors alike, so a result never depends on the layout.
template <class F>
struct VecF32 {
    static constexpr bool available = false;
};
#define NG_VEC_F32(F, call)                                                                        \
    template <>                                                                                   \
    struct VecF32<F> {                                                                            \
        static constexpr bool available = true;                                                   \
        static void run(const float* x, float* y, int64_t n, [[maybe_unused]] double a) { call; } \
    };
NG_VEC_F32(ExpF, cpu::vec::exp(x, y, n))
NG_VEC_F32(SigmoidF, cpu::vec::sigmoid(x, y, n))
NG_VEC_F32(TanhF, cpu::vec::tanh(x, y, n))
NG_VEC_F32(EluF, cpu::vec::elu(x, y, n, static_cast<float>(a)))
#undef NG_VEC_F32

#define NG_BINARY_FUNCTOR(Name, KIND, expr)                     \
    struct Name {                                               \
        static constexpr Kind kind = Kind::KIND;                \
        template <class T>                                      \
        static inline auto f(T x, T y) { return expr; }         \
    };

template <class T> inline T maximum_of(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    }
    return x > y ? x : y;
}
template <class T> inline T minimum_of(T x, T y) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
    }
    return x < y ? x : y;
}
template <class T> inline T pow2_of(T x, T y) {
    if constexpr (std::is_integral_v<T>) {
        return pow_of(x, static_cast<double>(y));
    } else {
        return std::pow(x, y);
    }
}

NG_BINARY_FUNCTOR(AddF, Same, static_cast<T>(x + y))
NG_BINARY_FUNCTOR(SubF, Same, static_cast<T>(x - y))
NG_BINARY_FUNCTOR(MulF, Same, static_cast<T>(x * y))
NG_BINARY_FUNCTOR(DivF, Floating, static_cast<T>(x / y))
NG_BINARY_FUNCTOR(PowF, Same, pow2_of(x, y))
NG_BINARY_FUNCTOR(MaximumF, Same, maximum_of(x, y))
NG_BINARY_FUNCTOR(MinimumF, Same, minimum_of(x, y))
NG_BINARY_FUNCTOR(EqF, Compare, x == y)
NG_BINARY_FUNCTOR(NeF, Compare, x != y)
NG_BINARY_FUNCTOR(LtF, Compare, x < y)
NG_BINARY_FUNCTOR(LeF, Compare, x <= y)
NG_BINARY_FUNCTOR(GtF, Compare, x > y)
NG_BINARY_FUNCTOR(GeF, Compare, x >= y)
NG_BINARY_FUNCTOR(LogicalAndF, Logical, x && y)
NG_BINARY_FUNCTOR(LogicalOrF, Logical, x || y)

#undef NG_BINARY_FUNCTOR

}  // namespace ng::ops::kernels
