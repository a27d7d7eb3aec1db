// The float32 activation kernels (cpu/vec_math.h) on both ISAs against double-precision libm:
// a sweep over every 97th float bit pattern, the special values and the overflow/underflow
// thresholds, run lengths around the vector width, and bit-identical results for any thread
// count and any memory layout through the ops front-ends (unary ops, their fused backward,
// softmax, log_softmax, cross_entropy).
//
// Measured maximum error (AVX2 / generic) in ulps of the float nearest the exact value, and the
// largest relative error over normal results: exp 1.05 / 1.02 ulp (8.9e-8), sigmoid 1.46 / 1.44
// (1.2e-7), tanh 1.73 / 1.70 (1.35e-7), elu 1.69 / 1.56 (1.4e-7). The sweep prints them; the
// asserted bound is 2 ulp (denormal results count in units of the smallest denormal).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "cpu/cpu_features.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"

namespace {

using ng::Dims;
using ng::DType;
using ng::Tensor;
using ng::cpu::Isa;
namespace ops = ng::ops;
namespace vd = ng::cpu::vec::detail;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kDenormMin = std::numeric_limits<float>::denorm_min();

std::vector<Isa> isas() {
    std::vector<Isa> out{Isa::Generic};
    if (ng::cpu::cpu_has_avx2_fma()) out.push_back(Isa::Avx2);
    return out;
}

struct ThreadCountGuard {
    int saved = ng::cpu::num_threads();
    ~ThreadCountGuard() { ng::cpu::set_num_threads(saved); }
};

float from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
uint32_t to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// Error of y in ulps of the float nearest to the exact value ref (the ulp of a denormal is the
// smallest denormal). Both NaN, or both the same infinity, is no error; anything else against a
// NaN or an infinity is infinitely wrong.
double ulp_error(float y, double ref) {
    if (std::isnan(ref) || std::isnan(y)) return std::isnan(ref) && std::isnan(y) ? 0.0 : kInf;
    const float rf = static_cast<float>(ref);  // overflows to inf exactly when ref rounds there
    if (std::isinf(rf) || std::isinf(y)) return rf == y ? 0.0 : kInf;
    const float a = std::fabs(rf);
    const double ulp = std::max<double>(std::nextafter(a, kInf) - a, kDenormMin);
    return std::fabs(static_cast<double>(y) - ref) / ulp;
}

using Kernel = std::function<void(Isa, const float*, float*, int64_t)>;

struct Fn {
    const char* name;
    Kernel kernel;
    double (*ref)(double);
};

double ref_exp(double x) { return std::exp(x); }
double ref_sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double ref_tanh(double x) { return std::tanh(x); }
double ref_elu(double x) { return x > 0 ? x : 0.75 * std::expm1(x); }  // alpha = 0.75

std::vector<Fn> functions() {
    return {
        {"exp", [](Isa i, const float* x, float* y, int64_t n) { vd::exp_with_isa(i, x, y, n); }, ref_exp},
        {"sigmoid", [](Isa i, const float* x, float* y, int64_t n) { vd::sigmoid_with_isa(i, x, y, n); }, ref_sigmoid},
        {"tanh", [](Isa i, const float* x, float* y, int64_t n) { vd::tanh_with_isa(i, x, y, n); }, ref_tanh},
        {"elu", [](Isa i, const float* x, float* y, int64_t n) { vd::elu_with_isa(i, x, y, n, 0.75f); }, ref_elu},
    };
}

constexpr double kMaxUlp = 2.0;

// The sweep's stride over the bit patterns: every 97th in normal builds (44M inputs, ~5 s); the
// sanitizer build, about 20x slower, samples every 1553rd so CI stays within its time budget.
#ifdef NG_SANITIZE_BUILD
constexpr uint64_t kSweepStride = 1553;
#else
constexpr uint64_t kSweepStride = 97;
#endif

// Every 97th bit pattern of the finite floats (both signs), in batches, against the reference.
TEST(VecMathTest, SweepEvery97thFloatAgainstDoubleReference) {
    const size_t batch = 1 << 14;
    std::vector<float> x(batch), y(batch);
    std::vector<double> ref(batch);
    for (const Fn& fn : functions()) {
        for (Isa isa : isas()) {
            double worst = 0, worst_rel = 0;  // ulps; relative error over normal results
            float worst_x = 0;
            uint64_t checked = 0;
            size_t m = 0;
            auto flush = [&] {
                fn.kernel(isa, x.data(), y.data(), static_cast<int64_t>(m));
                for (size_t i = 0; i < m; ++i) {
                    const double ref = fn.ref(static_cast<double>(x[i]));
                    const double e = ulp_error(y[i], ref);
                    if (std::fabs(ref) >= std::numeric_limits<float>::min() && std::isfinite(static_cast<float>(ref)))
                        worst_rel = std::max(worst_rel, std::fabs(y[i] - ref) / std::fabs(ref));
                    if (e > worst) {
                        worst = e;
                        worst_x = x[i];
                    }
                }
                checked += m;
                m = 0;
            };
            for (uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += kSweepStride) {
                const float v = from_bits(static_cast<uint32_t>(bits));
                if (!std::isfinite(v)) continue;
                x[m++] = v;
                if (m == batch) flush();
            }
            flush();
            std::printf("[ sweep    ] %-8s isa=%-7s %llu inputs, max error %.3f ulp (at x=%.9g), max relative error %.3g\n",
                        fn.name, ng::cpu::isa_name(isa), static_cast<unsigned long long>(checked), worst,
                        static_cast<double>(worst_x), worst_rel);
            EXPECT_LE(worst, kMaxUlp) << fn.name << " isa=" << ng::cpu::isa_name(isa) << " worst at x=" << worst_x;
        }
    }
}

// Hand-picked inputs: signed zeros, infinities, NaN, denormals and the thresholds where exp
// overflows, leaves the normal range and underflows to zero.
std::vector<float> special_inputs() {
    std::vector<float> v = {0.0f, -0.0f, kInf, -kInf, kNaN, -kNaN, kDenormMin, -kDenormMin,
                            std::numeric_limits<float>::min(), -std::numeric_limits<float>::min(),
                            from_bits(0x007FFFFF), from_bits(0x807FFFFF),  // largest denormal
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                            88.72283f, 88.72284f, 88.7f, 89.0f, 100.0f,  // exp overflow
                            -87.33654f, -87.3366f, -88.0f,                // exp leaves the normal range
                            -103.27893f, -103.97207f, -103.97208f, -104.0f, -150.0f,  // last denormal, zero
                            -17.0f, -17.4f, -18.0f, -20.0f,               // expm1 reaches -1
                            9.0f, 9.01f, 10.0f, -10.0f, 20.0f,            // tanh saturates
                            1e-30f, -1e-30f, 1e-7f, -1e-7f, 3e-4f, -3e-4f, 0.34657f, -0.34657f, 0.5f, -0.5f,
                            1.0f, -1.0f, 16.6f, -16.6f, 30.0f, -30.0f};
    // Around every multiple of ln2/2, where the reduction switches n.
    for (int k = -40; k <= 40; ++k) {
        const float c = static_cast<float>(k * 0.34657359027997264);
        v.push_back(c);
        v.push_back(std::nextafter(c, kInf));
        v.push_back(std::nextafter(c, -kInf));
    }
    return v;
}

TEST(VecMathTest, SpecialValuesBothIsas) {
    const std::vector<float> x = special_inputs();
    std::vector<float> y(x.size());
    for (const Fn& fn : functions()) {
        for (Isa isa : isas()) {
            fn.kernel(isa, x.data(), y.data(), static_cast<int64_t>(x.size()));
            for (size_t i = 0; i < x.size(); ++i)
                EXPECT_LE(ulp_error(y[i], fn.ref(static_cast<double>(x[i]))), kMaxUlp)
                    << fn.name << " isa=" << ng::cpu::isa_name(isa) << " x=" << x[i] << " got " << y[i];
        }
    }
    // Exact values the callers rely on.
    for (Isa isa : isas()) {
        const float in[] = {0.0f, -0.0f, kInf, -kInf, -200.0f, 200.0f};
        float e[6], s[6], t[6], u[6];
        vd::exp_with_isa(isa, in, e, 6);
        vd::sigmoid_with_isa(isa, in, s, 6);
        vd::tanh_with_isa(isa, in, t, 6);
        vd::elu_with_isa(isa, in, u, 6, 1.0f);
        EXPECT_EQ(e[0], 1.0f);
        EXPECT_EQ(e[1], 1.0f);
        EXPECT_EQ(e[2], kInf);
        EXPECT_EQ(e[3], 0.0f);
        EXPECT_EQ(e[4], 0.0f);
        EXPECT_EQ(e[5], kInf);
        EXPECT_EQ(s[0], 0.5f);
        EXPECT_EQ(s[2], 1.0f);
        EXPECT_EQ(s[3], 0.0f);
        EXPECT_EQ(s[5], 1.0f);
        EXPECT_EQ(to_bits(t[0]), to_bits(0.0f));
        EXPECT_EQ(to_bits(t[1]), to_bits(-0.0f));  // tanh is odd, -0 stays -0
        EXPECT_EQ(t[2], 1.0f);
        EXPECT_EQ(t[3], -1.0f);
        EXPECT_EQ(u[2], kInf);
        EXPECT_EQ(u[3], -1.0f);
        EXPECT_EQ(u[4], -1.0f);
        const float nan_in[] = {kNaN, -kNaN};
        float out[2];
        for (const Fn& fn : functions()) {
            fn.kernel(isa, nan_in, out, 2);
            EXPECT_TRUE(std::isnan(out[0]) && std::isnan(out[1])) << fn.name << " must propagate NaN";
        }
    }
}

// Generic and AVX2 run the same algorithm: they agree to within a couple of ulps everywhere.
TEST(VecMathTest, IsasAgree) {
    if (!ng::cpu::cpu_has_avx2_fma()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> dist(-30.0f, 30.0f);
    std::vector<float> x(10007), a(x.size()), b(x.size());
    for (auto& v : x) v = dist(gen);
    for (const Fn& fn : functions()) {
        fn.kernel(Isa::Generic, x.data(), a.data(), static_cast<int64_t>(x.size()));
        fn.kernel(Isa::Avx2, x.data(), b.data(), static_cast<int64_t>(x.size()));
        for (size_t i = 0; i < x.size(); ++i)
            ASSERT_LE(ulp_error(a[i], static_cast<double>(b[i])), 2.0) << fn.name << " x=" << x[i];
    }
}

// A run of any length, starting at any alignment, in place or not, gives each element exactly
// the result it gets alone: the vector tail is computed like the main loop.
TEST(VecMathTest, RunLengthsAndOffsetsDoNotChangeBits) {
    const int64_t sizes[] = {0, 1, 7, 8, 9, 15, 16, 17, 1023};
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> dist(-12.0f, 12.0f);
    std::vector<float> pool(1100), g(1100);
    for (auto& v : pool) v = dist(gen);
    for (auto& v : g) v = dist(gen);
    pool[5] = kNaN;
    pool[9] = -0.0f;
    pool[12] = 100.0f;
    using Binary = std::function<void(Isa, const float*, const float*, float*, int64_t)>;
    const std::vector<std::pair<const char*, Binary>> backward = {
        {"sigmoid_backward", [](Isa i, const float* a, const float* b, float* o, int64_t n) { vd::sigmoid_backward_with_isa(i, a, b, o, n); }},
        {"tanh_backward", [](Isa i, const float* a, const float* b, float* o, int64_t n) { vd::tanh_backward_with_isa(i, a, b, o, n); }},
        {"elu_backward", [](Isa i, const float* a, const float* b, float* o, int64_t n) { vd::elu_backward_with_isa(i, a, b, o, n, 0.75f); }},
    };
    for (Isa isa : isas()) {
        for (int64_t n : sizes) {
            for (int64_t off : {0, 1, 3}) {
                const float* x = pool.data() + off;
                for (const Fn& fn : functions()) {
                    std::vector<float> y(static_cast<size_t>(n) + 1, 42.0f), inplace(x, x + n);
                    fn.kernel(isa, x, y.data(), n);
                    fn.kernel(isa, inplace.data(), inplace.data(), n);
                    EXPECT_EQ(y[static_cast<size_t>(n)], 42.0f) << fn.name << ": wrote past the end";
                    for (int64_t i = 0; i < n; ++i) {
                        float alone;
                        fn.kernel(isa, x + i, &alone, 1);
                        ASSERT_EQ(to_bits(y[i]), to_bits(alone)) << fn.name << " n=" << n << " off=" << off << " i=" << i;
                        ASSERT_EQ(to_bits(inplace[i]), to_bits(alone)) << fn.name << " in place";
                    }
                }
                for (const auto& [name, kernel] : backward) {
                    std::vector<float> y(static_cast<size_t>(n) + 1, 42.0f);
                    kernel(isa, g.data() + off, x, y.data(), n);
                    EXPECT_EQ(y[static_cast<size_t>(n)], 42.0f) << name << ": wrote past the end";
                    for (int64_t i = 0; i < n; ++i) {
                        float alone;
                        kernel(isa, g.data() + off + i, x + i, &alone, 1);
                        ASSERT_EQ(to_bits(y[i]), to_bits(alone)) << name << " n=" << n << " i=" << i;
                    }
                }
            }
        }
    }
}

// The backward kernels against their formulas in double.
TEST(VecMathTest, BackwardKernelsMatchFormulas) {
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> dist(-6.0f, 6.0f);
    const int64_t n = 1001;
    std::vector<float> g(n), x(n), ys(n), yt(n), out(n);
    for (auto& v : g) v = dist(gen);
    for (auto& v : x) v = dist(gen);
    for (int64_t i = 0; i < n; ++i) {
        ys[i] = static_cast<float>(ref_sigmoid(x[i]));
        yt[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
    }
    for (Isa isa : isas()) {
        SCOPED_TRACE(ng::cpu::isa_name(isa));
        vd::sigmoid_backward_with_isa(isa, g.data(), ys.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
            const double y = ys[i], want = g[i] * y * (1 - y);
            ASSERT_NEAR(out[i], want, 4e-7 * std::fabs(want) + 1e-30) << i;
        }
        vd::tanh_backward_with_isa(isa, g.data(), yt.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) {
            const double y = yt[i], want = g[i] * (1 - y * y);
            ASSERT_NEAR(out[i], want, 4e-7 * std::fabs(want) + 1e-30) << i;
        }
        vd::elu_backward_with_isa(isa, g.data(), x.data(), out.data(), n, 0.75f);
        for (int64_t i = 0; i < n; ++i) {
            const double want = g[i] * (x[i] > 0 ? 1.0 : 0.75 * std::exp(static_cast<double>(x[i])));
            ASSERT_NEAR(out[i], want, 4e-7 * std::fabs(want) + 1e-30) << i;
        }
    }
}

// ---- through the ops front-ends ----------------------------------------------------------------

Tensor random_tensor(const Dims& shape, unsigned seed, float lo, float hi) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(static_cast<size_t>(shape.product()));
    for (auto& e : v) e = dist(gen);
    return ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(float)), shape, DType::Float32);
}

std::vector<float> floats(const Tensor& t) {
    const Tensor c = ops::contiguous(t);
    return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(to_bits(a[i]), to_bits(b[i])) << what << " at " << i;
}

struct UnaryCase {
    const char* name;
    ng_unary_op op;
    double alpha;
};
const UnaryCase kOps[] = {{"exp", NG_UNARY_OP_EXP, 0.0},
                          {"sigmoid", NG_UNARY_OP_SIGMOID, 0.0},
                          {"tanh", NG_UNARY_OP_TANH, 0.0},
                          {"elu", NG_UNARY_OP_ELU, 0.5}};

// Forward, fused backward, softmax and cross-entropy on a large odd-sized tensor: the same bits
// for 1, 2 and 3 threads.
TEST(VecMathTest, OpsBitIdenticalForAnyThreadCount) {
    ThreadCountGuard guard;
    const int64_t n = 3 * 32768 * 5 + 4099;  // several parallel chunks plus a ragged end
    const Tensor x = random_tensor(Dims{n}, 21, -12.0f, 12.0f);
    const Tensor g = random_tensor(Dims{n}, 22, -1.0f, 1.0f);
    const Tensor logits = random_tensor(Dims{997, 131}, 23, -8.0f, 8.0f);
    std::vector<int64_t> tv(997);
    for (size_t i = 0; i < tv.size(); ++i) tv[i] = static_cast<int64_t>((i * 37) % 131);
    const Tensor target = ops::from_data(tv.data(), static_cast<int64_t>(tv.size() * sizeof(int64_t)), Dims{997}, DType::Int64);
    std::vector<std::vector<float>> first;
    for (int threads : {1, 2, 3}) {
        ng::cpu::set_num_threads(threads);
        std::vector<std::vector<float>> got;
        for (const UnaryCase& c : kOps) {
            Tensor xr = ops::detach(x);
            xr->autograd_mut().requires_grad = true;
            const Tensor y = ops::unary(c.op, xr, c.alpha);
            got.push_back(floats(y));
            ng::BackwardOptions o;
            o.retain_graph = true;
            got.push_back(floats(ng::run_grad({y}, {g}, {xr}, o, false)[0]));
        }
        got.push_back(floats(ops::softmax(logits, 1)));
        got.push_back(floats(ops::log_softmax(logits, 1)));
        got.push_back(floats(ops::softmax(logits, 0)));
        {
            Tensor lr = ops::detach(logits);
            lr->autograd_mut().requires_grad = true;
            const Tensor loss = ops::cross_entropy(lr, target, Tensor(), -100, 0.0, NG_REDUCTION_MEAN);
            got.push_back(floats(loss));
            ng::BackwardOptions o;
            got.push_back(floats(ng::run_grad({loss}, {Tensor()}, {lr}, o, false)[0]));
        }
        if (first.empty()) {
            first = got;
        } else {
            for (size_t k = 0; k < got.size(); ++k)
                expect_same_bits(first[k], got[k], "result " + std::to_string(k) + " with " + std::to_string(threads) + " threads");
        }
    }
}

// A strided (transposed) input gives the same bits as its contiguous copy, forward and in place.
TEST(VecMathTest, NonContiguousInputMatchesContiguous) {
    const Tensor base = random_tensor(Dims{37, 53}, 31, -10.0f, 10.0f);
    const Tensor xt = ops::transpose(base, 0, 1);  // [53, 37], not contiguous
    ASSERT_FALSE(xt.is_contiguous());
    const Tensor xc = ops::contiguous(xt);
    for (const UnaryCase& c : kOps) {
        expect_same_bits(floats(ops::unary(c.op, xt, c.alpha)), floats(ops::unary(c.op, xc, c.alpha)), c.name);
        const Tensor target = ops::clone(base);
        const Tensor view = ops::transpose(target, 0, 1);
        ops::unary_(c.op, view, c.alpha);
        expect_same_bits(floats(view), floats(ops::unary(c.op, xc, c.alpha)), std::string(c.name) + " in place");
    }
}

// The ops agree with double-precision references, on the active ISA (the suite also runs with
// NATIVEGRAD_ISA=generic), including the backward through the autograd engine.
TEST(VecMathTest, OpsMatchDoubleReference) {
    const int64_t n = 4099;
    const Tensor x = random_tensor(Dims{n}, 41, -9.0f, 9.0f);
    const Tensor g = random_tensor(Dims{n}, 42, -1.0f, 1.0f);
    const std::vector<float> xv = floats(x), gv = floats(g);
    for (const UnaryCase& c : kOps) {
        SCOPED_TRACE(c.name);
        Tensor xr = ops::detach(x);
        xr->autograd_mut().requires_grad = true;
        const Tensor y = ops::unary(c.op, xr, c.alpha);
        ng::BackwardOptions o;
        const std::vector<float> yv = floats(y), gx = floats(ng::run_grad({y}, {g}, {xr}, o, false)[0]);
        for (int64_t i = 0; i < n; ++i) {
            const double v = xv[i];
            double want = 0, dwant = 0;
            switch (c.op) {
                case NG_UNARY_OP_EXP: want = std::exp(v), dwant = want; break;
                case NG_UNARY_OP_SIGMOID: want = ref_sigmoid(v), dwant = want * (1 - want); break;
                case NG_UNARY_OP_TANH: want = std::tanh(v), dwant = 1 - want * want; break;
                default: want = v > 0 ? v : c.alpha * std::expm1(v), dwant = v > 0 ? 1 : c.alpha * std::exp(v); break;
            }
            ASSERT_LE(ulp_error(yv[i], want), kMaxUlp) << "x=" << v;
            // The gradient uses the rounded forward result: a few ulps, relative to the derivative's
            // scale (1 - y^2 loses relative precision where y is close to +-1).
            ASSERT_NEAR(gx[i], gv[i] * dwant, 1e-6 * std::fabs(gv[i]) * std::max(std::fabs(dwant), 1e-1) + 1e-7)
                << "x=" << v;
        }
    }
}

// Under create_graph the backward is composed of ops (so it is differentiable again); it agrees
// with the fused one.
TEST(VecMathTest, FusedBackwardMatchesComposedBackward) {
    const Tensor x = random_tensor(Dims{257}, 51, -5.0f, 5.0f);
    const Tensor g = random_tensor(Dims{257}, 52, -1.0f, 1.0f);
    for (const UnaryCase& c : kOps) {
        Tensor xr = ops::detach(x);
        xr->autograd_mut().requires_grad = true;
        const Tensor y = ops::unary(c.op, xr, c.alpha);
        ng::BackwardOptions fused, composed;
        fused.retain_graph = true;
        composed.create_graph = true;
        const std::vector<float> a = floats(ng::run_grad({y}, {g}, {xr}, fused, false)[0]);
        const std::vector<float> b = floats(ops::detach(ng::run_grad({y}, {g}, {xr}, composed, false)[0]));
        // tanh: the composed 1 - y*y rounds y*y first (up to half an ulp of 1, times g) where the
        // fused kernel rounds once.
        const std::vector<float> gv = floats(g);
        for (size_t i = 0; i < a.size(); ++i)
            ASSERT_NEAR(a[i], b[i], 2.5e-7 * std::fabs(b[i]) + 6e-8 * std::fabs(gv[i]) + 1e-30) << c.name << " at " << i;
    }
}

// softmax / log_softmax / cross_entropy (float32, vector exp) against double references, along
// the contiguous last dimension and along a strided one.
TEST(VecMathTest, SoftmaxAndCrossEntropyMatchDoubleReference) {
    const int64_t rows = 13, cols = 67;
    const Tensor x = random_tensor(Dims{rows, cols}, 61, -20.0f, 20.0f);
    const std::vector<float> xv = floats(x);
    for (int dim : {0, 1}) {
        const std::vector<float> sm = floats(ops::softmax(x, dim)), lsm = floats(ops::log_softmax(x, dim));
        const int64_t lines = dim == 1 ? rows : cols, len = dim == 1 ? cols : rows;
        for (int64_t l = 0; l < lines; ++l) {
            auto at = [&](int64_t k) { return dim == 1 ? l * cols + k : k * cols + l; };
            double mx = -1e300, s = 0;
            for (int64_t k = 0; k < len; ++k) mx = std::max(mx, static_cast<double>(xv[at(k)]));
            // x - max is taken in float, as the kernel does (and did before the vector exp).
            auto shifted = [&](int64_t k) { return static_cast<double>(xv[at(k)] - static_cast<float>(mx)); };
            for (int64_t k = 0; k < len; ++k) s += std::exp(shifted(k));
            for (int64_t k = 0; k < len; ++k) {
                const double p = std::exp(shifted(k)) / s, lp = xv[at(k)] - mx - std::log(s);
                ASSERT_NEAR(sm[at(k)], p, 3e-7 * p + 1e-38) << "dim " << dim;
                ASSERT_NEAR(lsm[at(k)], lp, 4e-6 * (1 + std::fabs(lp))) << "dim " << dim;
            }
        }
    }
    // cross_entropy with per-position rows ([N, C, L]: classes strided by L) and plain [N, C].
    for (const Dims& shape : {Dims{rows, cols}, Dims{3, cols, 5}}) {
        const Tensor in = random_tensor(shape, 62, -20.0f, 20.0f);
        const std::vector<float> iv = floats(in);
        const int64_t n = shape[0], c = shape[1], L = shape.size() == 3 ? shape[2] : 1;
        std::vector<int64_t> tv(static_cast<size_t>(n * L));
        for (size_t i = 0; i < tv.size(); ++i) tv[i] = static_cast<int64_t>((i * 7) % c);
        const Dims tshape = shape.size() == 3 ? Dims{n, L} : Dims{n};
        const Tensor target = ops::from_data(tv.data(), static_cast<int64_t>(tv.size() * sizeof(int64_t)), tshape, DType::Int64);
        const std::vector<float> loss = floats(ops::cross_entropy(in, target, Tensor(), -100, 0.0, NG_REDUCTION_NONE));
        for (int64_t a = 0; a < n; ++a)
            for (int64_t j = 0; j < L; ++j) {
                auto at = [&](int64_t k) { return (a * c + k) * L + j; };
                double mx = -1e300, s = 0;
                for (int64_t k = 0; k < c; ++k) mx = std::max(mx, static_cast<double>(iv[at(k)]));
                for (int64_t k = 0; k < c; ++k) s += std::exp(iv[at(k)] - mx);
                const double want = mx + std::log(s) - iv[at(tv[a * L + j])];
                ASSERT_NEAR(loss[a * L + j], want, 1e-6 * (1 + want)) << "shape " << shape.str();
            }
    }
}

}  // namespace
