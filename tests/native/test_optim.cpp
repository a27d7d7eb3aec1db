// Fused optimizer updates against scalar references written from torch/optim/sgd.py and adam.py,
// in float64 (tight tolerance) and float32, with odd sizes and several steps so the state buffers
// carry history; plus argument checks and version bumps.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "ops/ops.h"
#include "ops/optim.h"
#include "random_values.h"

namespace {

using ng::test::uniform_values;

using ng::DType;
using ng::Tensor;

template <class T>
Tensor make(const std::vector<T>& v, DType dt) {
    return ng::ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(T)),
                              ng::Dims{static_cast<int64_t>(v.size())}, dt);
}

template <class T>
std::vector<T> read(const Tensor& t) {
    std::vector<T> v(static_cast<size_t>(t.numel()));
    ng::ops::copy_to_buffer(t, v.data(), static_cast<int64_t>(v.size() * sizeof(T)));
    return v;
}

struct SgdCase {
    double momentum, dampening, wd;
    bool nesterov;
};

class SgdTest : public ::testing::TestWithParam<SgdCase> {};

TEST_P(SgdTest, MatchesReferenceOverSteps) {
    const SgdCase c = GetParam();
    for (size_t n : {size_t(1), size_t(7), size_t(33), size_t(40009)}) {
        std::vector<double> p = uniform_values(n, 1), buf(n, 0.0);
        Tensor tp = make(p, DType::Float64);
        Tensor tb = ng::ops::full(ng::Dims{static_cast<int64_t>(n)}, DType::Float64, 0.0);
        const double lr = 0.05;
        for (int step = 0; step < 4; ++step) {
            std::vector<double> g = uniform_values(n, 100 + step);
            ng::ops::SgdOptions o;
            o.lr = lr;
            o.momentum = c.momentum;
            o.dampening = c.dampening;
            o.weight_decay = c.wd;
            o.nesterov = c.nesterov;
            o.first_step = step == 0;
            ng::ops::sgd_step(tp, make(g, DType::Float64), c.momentum != 0 ? tb : Tensor(), o);
            for (size_t i = 0; i < n; ++i) {
                double d = g[i] + c.wd * p[i];
                if (c.momentum != 0) {
                    buf[i] = step == 0 ? d : c.momentum * buf[i] + (1 - c.dampening) * d;
                    d = c.nesterov ? d + c.momentum * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        }
        std::vector<double> got = read<double>(tp);
        for (size_t i = 0; i < n; ++i) ASSERT_NEAR(got[i], p[i], 1e-14) << "n=" << n << " i=" << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, SgdTest,
                         ::testing::Values(SgdCase{0, 0, 0, false}, SgdCase{0, 0, 0.01, false},
                                           SgdCase{0.9, 0, 0, false}, SgdCase{0.9, 0.3, 0.1, false},
                                           SgdCase{0.8, 0, 0.05, true}));

struct AdamCase {
    double wd;
    bool decoupled, amsgrad;
};

class AdamTest : public ::testing::TestWithParam<AdamCase> {};

TEST_P(AdamTest, MatchesReferenceOverSteps) {
    const AdamCase c = GetParam();
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (size_t n : {size_t(1), size_t(5), size_t(65), size_t(33337)}) {
        std::vector<double> p = uniform_values(n, 2), m(n, 0.0), v(n, 0.0), vmax(n, 0.0);
        const ng::Dims shape{static_cast<int64_t>(n)};
        Tensor tp = make(p, DType::Float64);
        Tensor tm = ng::ops::full(shape, DType::Float64, 0.0), tv = ng::ops::full(shape, DType::Float64, 0.0);
        Tensor tmax = ng::ops::full(shape, DType::Float64, 0.0);
        for (int step = 1; step <= 5; ++step) {
            std::vector<double> g = uniform_values(n, 200 + step);
            if (step == 3) for (auto& e : g) e *= 0.01;  // smaller moments: amsgrad keeps the max
            ng::ops::AdamOptions o;
            o.step = step;
            o.lr = lr;
            o.weight_decay = c.wd;
            o.decoupled = c.decoupled;
            o.amsgrad = c.amsgrad;
            ng::ops::adam_step(tp, make(g, DType::Float64), tm, tv, c.amsgrad ? tmax : Tensor(), o);
            const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
            for (size_t i = 0; i < n; ++i) {
                double gi = g[i];
                if (c.wd != 0) {
                    if (c.decoupled) p[i] *= 1 - lr * c.wd;
                    else gi += c.wd * p[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double s = v[i];
                if (c.amsgrad) s = vmax[i] = std::max(vmax[i], v[i]);
                p[i] -= lr / bc1 * m[i] / (std::sqrt(s) / std::sqrt(bc2) + eps);
            }
        }
        std::vector<double> got = read<double>(tp), gm = read<double>(tm), gv = read<double>(tv);
        for (size_t i = 0; i < n; ++i) {
            ASSERT_NEAR(got[i], p[i], 1e-12) << "n=" << n << " i=" << i;
            ASSERT_NEAR(gm[i], m[i], 1e-14);
            ASSERT_NEAR(gv[i], v[i], 1e-14);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, AdamTest,
                         ::testing::Values(AdamCase{0, false, false}, AdamCase{0.1, false, false},
                                           AdamCase{0.1, true, false}, AdamCase{0, false, true},
                                           AdamCase{0.05, true, true}));

TEST(Optim, Float32FirstAdamStepMovesEachElementByLr) {
    // With bias correction, the first Adam step is lr * g / (|g| + eps') ~= lr * sign(g).
    std::vector<float> p{1.f, -2.f, 0.5f}, g{0.3f, -4.f, 1e-3f};
    Tensor tp = make(p, DType::Float32);
    const ng::Dims s{3};
    Tensor tm = ng::ops::full(s, DType::Float32, 0), tv = ng::ops::full(s, DType::Float32, 0);
    ng::ops::AdamOptions o;
    o.lr = 0.1;
    ng::ops::adam_step(tp, make(g, DType::Float32), tm, tv, Tensor(), o);
    std::vector<float> got = read<float>(tp);
    EXPECT_NEAR(got[0], 0.9f, 1e-6f);
    EXPECT_NEAR(got[1], -1.9f, 1e-6f);
    EXPECT_NEAR(got[2], 0.4f, 1e-5f);
}

// float32 with PyTorch's CPU order of operations (lerp_, mul_/addcmul_, sqrt/div/add_, addcdiv_
// as self + (value * t1) / t2), so the fused loop, SIMD lanes and scalar tail alike, must agree
// bit for bit.
TEST(Optim, Float32AdamWMatchesPyTorchOperationOrderBitwise) {
    const size_t n = 37;  // lanes plus a tail
    std::vector<double> pd = uniform_values(n, 3);
    std::vector<float> p(pd.begin(), pd.end()), m(n, 0.f), v(n, 0.f), vmax(n, 0.f);
    const ng::Dims shape{static_cast<int64_t>(n)};
    Tensor tp = make(p, DType::Float32);
    Tensor tm = ng::ops::full(shape, DType::Float32, 0), tv = ng::ops::full(shape, DType::Float32, 0);
    Tensor tmax = ng::ops::full(shape, DType::Float32, 0);
    const double lr = 3e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.02;
    for (int step = 1; step <= 4; ++step) {
        std::vector<double> gd = uniform_values(n, 300 + step);
        std::vector<float> g(gd.begin(), gd.end());
        ng::ops::AdamOptions o;
        o.step = step;
        o.lr = lr;
        o.weight_decay = wd;
        o.decoupled = true;
        o.amsgrad = true;
        ng::ops::adam_step(tp, make(g, DType::Float32), tm, tv, tmax, o);
        const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
        const float step_size = static_cast<float>(lr / bc1), bc2_sqrt = static_cast<float>(std::sqrt(bc2));
        const float w = static_cast<float>(1 - b1), decay = static_cast<float>(1 - lr * wd);
        for (size_t i = 0; i < n; ++i) {
            p[i] = p[i] * decay;
            m[i] = m[i] + w * (g[i] - m[i]);
            v[i] = v[i] * static_cast<float>(b2) + static_cast<float>(1 - b2) * g[i] * g[i];
            vmax[i] = std::max(vmax[i], v[i]);
            const float denom = std::sqrt(vmax[i]) / bc2_sqrt + static_cast<float>(eps);
            p[i] = p[i] + (-step_size) * m[i] / denom;
        }
    }
    std::vector<float> got = read<float>(tp);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], p[i]) << "i=" << i;
}

TEST(Optim, BumpsVersionsAndValidates) {
    Tensor p = ng::ops::full(ng::Dims{4}, DType::Float32, 1.0);
    Tensor g = ng::ops::full(ng::Dims{4}, DType::Float32, 2.0);
    const uint32_t before = p->storage()->version();
    ng::ops::SgdOptions o;
    o.lr = 0.5;
    ng::ops::sgd_step(p, g, Tensor(), o);
    EXPECT_GT(p->storage()->version(), before);
    for (float x : read<float>(p)) EXPECT_FLOAT_EQ(x, 0.f);

    Tensor wrong = ng::ops::full(ng::Dims{5}, DType::Float32, 1.0);
    EXPECT_THROW(ng::ops::sgd_step(p, wrong, Tensor(), o), ng::Error);
    o.momentum = 0.9;
    EXPECT_THROW(ng::ops::sgd_step(p, g, Tensor(), o), ng::Error);  // buffer required
    Tensor gd = ng::ops::full(ng::Dims{4}, DType::Float64, 1.0);
    o.momentum = 0;
    EXPECT_THROW(ng::ops::sgd_step(p, gd, Tensor(), o), ng::Error);  // dtype mismatch
    ng::ops::AdamOptions a;
    a.amsgrad = true;
    EXPECT_THROW(ng::ops::adam_step(p, g, g, g, Tensor(), a), ng::Error);  // max buffer missing
}

TEST(Optim, NonContiguousGradientIsRead) {
    // grad = transpose of a 3x2 matrix (strided); the parameter is a dense 2x3.
    std::vector<double> gv{1, 2, 3, 4, 5, 6};
    Tensor g = ng::ops::transpose(ng::ops::view(make(gv, DType::Float64), ng::Dims{3, 2}), 0, 1);
    Tensor p = ng::ops::full(ng::Dims{2, 3}, DType::Float64, 0.0);
    ng::ops::SgdOptions o;
    o.lr = 1.0;
    ng::ops::sgd_step(p, g, Tensor(), o);
    std::vector<double> got = read<double>(p);
    const std::vector<double> want{-1, -3, -5, -2, -4, -6};
    for (size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(got[i], want[i]);
}

}  // namespace
