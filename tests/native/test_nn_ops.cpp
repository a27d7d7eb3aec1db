// The neural-network ops (ops/nn_ops.h) against direct-loop references: values, shapes,
// gradients through the autograd engine, running statistics, loss formulas and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/error.h"
#include "ops/generator.h"
#include "ops/nn_ops.h"
#include "ops/ops.h"
#include "random_values.h"

namespace {

using ng::test::uniform_values;

using ng::Dims;
using ng::DType;
using ng::Tensor;
namespace ops = ng::ops;

Tensor make(const std::vector<double>& v, const Dims& shape, bool requires_grad = false, DType dtype = DType::Float64) {
    Tensor t = ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(double)), shape, DType::Float64);
    if (dtype != DType::Float64) t = ops::to_dtype(t, dtype);
    if (requires_grad) t->autograd_mut().requires_grad = true;
    return t;
}

Tensor make_random(const Dims& shape, unsigned seed, bool requires_grad = false) {
    return make(uniform_values(shape.product(), seed), shape, requires_grad);
}

Tensor make_long(const std::vector<int64_t>& v, const Dims& shape) {
    return ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(int64_t)), shape, DType::Int64);
}

std::vector<double> values(const Tensor& t) {
    const Tensor d = ops::to_dtype(t, DType::Float64);
    std::vector<double> v(static_cast<size_t>(d.numel()));
    ops::copy_to_buffer(d, v.data(), static_cast<int64_t>(v.size() * sizeof(double)));
    return v;
}

double scalar(const Tensor& t) { return values(t).at(0); }

void expect_near(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol * (1 + std::abs(b[i]))) << what << " at " << i;
}

std::vector<Tensor> grads(const Tensor& out, const Tensor& gy, const std::vector<Tensor>& inputs, bool create_graph = false) {
    ng::BackwardOptions o;
    o.create_graph = create_graph;
    o.retain_graph = true;
    return ng::run_grad({out}, {gy}, inputs, o, true);
}

// Runs f and returns the message of the ng::Error it throws ("" if none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const ng::Error& e) {
        return e.what();
    }
    return "";
}

// ---- conv2d -----------------------------------------------------------------------------------

struct ConvCase {
    int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, g;
    bool bias;
};

int64_t conv_out(int64_t in, int64_t k, int64_t p, int64_t s, int64_t d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

// Direct loops: forward, and the three gradients for an output gradient gy.
void conv_reference(const ConvCase& c, const std::vector<double>& x, const std::vector<double>& w,
                    const std::vector<double>& b, const std::vector<double>& gy, std::vector<double>& y,
                    std::vector<double>& gx, std::vector<double>& gw, std::vector<double>& gb) {
    const int64_t ho = conv_out(c.h, c.kh, c.ph, c.sh, c.dh), wo = conv_out(c.w, c.kw, c.pw, c.sw, c.dw);
    const int64_t cg = c.c / c.g, og = c.o / c.g;
    y.assign(static_cast<size_t>(c.n * c.o * ho * wo), 0.0);
    gx.assign(x.size(), 0.0);
    gw.assign(w.size(), 0.0);
    gb.assign(static_cast<size_t>(c.o), 0.0);
    for (int64_t n = 0; n < c.n; ++n)
        for (int64_t o = 0; o < c.o; ++o)
            for (int64_t i = 0; i < ho; ++i)
                for (int64_t j = 0; j < wo; ++j) {
                    const size_t yi = static_cast<size_t>(((n * c.o + o) * ho + i) * wo + j);
                    double acc = c.bias ? b[static_cast<size_t>(o)] : 0.0;
                    const double g = gy[yi];
                    gb[static_cast<size_t>(o)] += g;
                    const int64_t grp = o / og;
                    for (int64_t ci = 0; ci < cg; ++ci)
                        for (int64_t ki = 0; ki < c.kh; ++ki)
                            for (int64_t kj = 0; kj < c.kw; ++kj) {
                                const int64_t ih = i * c.sh - c.ph + ki * c.dh, iw = j * c.sw - c.pw + kj * c.dw;
                                if (ih < 0 || ih >= c.h || iw < 0 || iw >= c.w) continue;
                                const size_t xi = static_cast<size_t>(((n * c.c + grp * cg + ci) * c.h + ih) * c.w + iw);
                                const size_t wi = static_cast<size_t>(((o * cg + ci) * c.kh + ki) * c.kw + kj);
                                acc += x[xi] * w[wi];
                                gx[xi] += g * w[wi];
                                gw[wi] += g * x[xi];
                            }
                    y[yi] = acc;
                }
}

TEST(NnConv2d, ForwardAndGradientsMatchDirectLoops) {
    const ConvCase cases[] = {
        {2, 3, 7, 5, 4, 3, 2, 1, 2, 1, 0, 1, 1, 1, true},   // rectangular kernel, stride in w only
        {1, 4, 9, 9, 6, 3, 3, 2, 2, 1, 1, 2, 1, 2, false},  // groups=2, dilation in h
        {3, 6, 5, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 3, true},   // 1x1, groups=3
        {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, true},   // all ones
        {2, 2, 11, 7, 5, 5, 3, 3, 2, 2, 1, 1, 2, 1, true},  // primes, stride 3, dilation in w
        {1, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, false},  // depthwise
    };
    unsigned seed = 1;
    for (const ConvCase& c : cases) {
        const int64_t ho = conv_out(c.h, c.kh, c.ph, c.sh, c.dh), wo = conv_out(c.w, c.kw, c.pw, c.sw, c.dw);
        const auto xv = uniform_values(c.n * c.c * c.h * c.w, seed++);
        const auto wv = uniform_values(c.o * (c.c / c.g) * c.kh * c.kw, seed++);
        const auto bv = uniform_values(c.o, seed++);
        const auto gv = uniform_values(c.n * c.o * ho * wo, seed++);
        std::vector<double> y, gx, gw, gb;
        conv_reference(c, xv, wv, bv, gv, y, gx, gw, gb);
        Tensor x = make(xv, Dims{c.n, c.c, c.h, c.w}, true);
        Tensor w = make(wv, Dims{c.o, c.c / c.g, c.kh, c.kw}, true);
        Tensor b = c.bias ? make(bv, Dims{c.o}, true) : Tensor();
        Tensor out = ops::conv2d(x, w, b, ops::Conv2dParams{c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, c.g});
        ASSERT_EQ(out.sizes(), (Dims{c.n, c.o, ho, wo}));
        expect_near(values(out), y, 1e-12, "conv2d forward");
        const auto g = grads(out, make(gv, out.sizes()), c.bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w});
        expect_near(values(g[0]), gx, 1e-12, "conv2d grad input");
        expect_near(values(g[1]), gw, 1e-12, "conv2d grad weight");
        if (c.bias) expect_near(values(g[2]), gb, 1e-12, "conv2d grad bias");
    }
}

TEST(NnConv2d, NonContiguousUnbatchedAndFloat32) {
    // Input stored as NHWC and viewed as NCHW: a non-contiguous tensor.
    const Tensor nhwc = make_random(Dims{2, 6, 5, 3}, 11);
    const Tensor x = ops::permute(nhwc, Dims{0, 3, 1, 2});
    ASSERT_FALSE(x.is_contiguous());
    const Tensor w = make_random(Dims{4, 3, 3, 3}, 12);
    const ops::Conv2dParams p{1, 2, 1, 0, 1, 1, 1};
    const auto a = values(ops::conv2d(x, w, Tensor(), p));
    const auto b = values(ops::conv2d(ops::contiguous(x), w, Tensor(), p));
    expect_near(a, b, 0, "non-contiguous");
    // Unbatched [C,H,W] equals the first sample of the batch.
    const Tensor one = ops::conv2d(ops::narrow(x, 0, 0, 1), w, Tensor(), p);
    const Tensor unb = ops::conv2d(ops::squeeze(ops::narrow(x, 0, 0, 1), 0), w, Tensor(), p);
    EXPECT_EQ(unb.dim(), 3);
    expect_near(values(unb), values(one), 0, "unbatched");
    // float32 agrees with float64 to float precision.
    const auto f = values(ops::conv2d(ops::to_dtype(x, DType::Float32), ops::to_dtype(w, DType::Float32), Tensor(), p));
    expect_near(f, a, 1e-5, "float32");
}

TEST(NnConv2d, ZeroBatchGivesEmptyOutputAndZeroWeightGrad) {
    Tensor x = make({}, Dims{0, 2, 5, 5}, true);
    Tensor w = make_random(Dims{3, 2, 3, 3}, 3, true);
    Tensor out = ops::conv2d(x, w, Tensor(), ops::Conv2dParams{});
    EXPECT_EQ(out.sizes(), (Dims{0, 3, 3, 3}));
    const auto g = grads(out, ops::zeros_like(out), {w});
    for (double v : values(g[0])) EXPECT_EQ(v, 0.0);
}

TEST(NnConv2d, ErrorsNameTheOpAndShapes) {
    const Tensor w = make_random(Dims{6, 1, 5, 5}, 1);
    std::string m = error_of([&] { ops::conv2d(make_random(Dims{28, 28}, 2), w, Tensor(), ops::Conv2dParams{}); });
    EXPECT_NE(m.find("conv2d: expected input of rank 4 [N,C,H,W]"), std::string::npos) << m;
    EXPECT_NE(m.find("[28,28]"), std::string::npos) << m;
    m = error_of([&] { ops::conv2d(make_random(Dims{2, 3, 28, 28}, 2), w, Tensor(), ops::Conv2dParams{}); });
    EXPECT_NE(m.find("has 3 channels"), std::string::npos) << m;
    EXPECT_NE(m.find("[6,1,5,5]"), std::string::npos) << m;
    m = error_of([&] { ops::conv2d(make_random(Dims{1, 1, 3, 3}, 2), w, Tensor(), ops::Conv2dParams{}); });
    EXPECT_NE(m.find("larger than the padded input"), std::string::npos) << m;
    m = error_of([&] { ops::conv2d(make_random(Dims{1, 1, 8, 8}, 2), w, make_random(Dims{5}, 3), ops::Conv2dParams{}); });
    EXPECT_NE(m.find("expected bias of shape [6]"), std::string::npos) << m;
    m = error_of([&] { ops::conv2d(make_random(Dims{1, 4, 8, 8}, 2), make_random(Dims{3, 2, 1, 1}, 1), Tensor(),
                                   ops::Conv2dParams{1, 1, 0, 0, 1, 1, 2}); });
    EXPECT_NE(m.find("divisible by groups=2"), std::string::npos) << m;
}

TEST(NnLinear, MatchesMatmulPlusBias) {
    const Tensor x = make_random(Dims{2, 3, 5}, 1), w = make_random(Dims{4, 5}, 2), b = make_random(Dims{4}, 3);
    const auto y = values(ops::linear(x, w, b));
    const auto xv = values(x), wv = values(w), bv = values(b);
    for (int64_t r = 0; r < 6; ++r)
        for (int64_t o = 0; o < 4; ++o) {
            double acc = bv[static_cast<size_t>(o)];
            for (int64_t k = 0; k < 5; ++k) acc += xv[static_cast<size_t>(r * 5 + k)] * wv[static_cast<size_t>(o * 5 + k)];
            EXPECT_NEAR(y[static_cast<size_t>(r * 4 + o)], acc, 1e-12);
        }
    const std::string m = error_of([&] { ops::linear(make_random(Dims{2, 3}, 1), w, Tensor()); });
    EXPECT_NE(m.find("linear: input of shape [2,3] has 3 features"), std::string::npos) << m;
}

// ---- pooling ----------------------------------------------------------------------------------

TEST(NnPool, OutputSizeFollowsPyTorch) {
    EXPECT_EQ(ops::pool_output_size(5, 2, 0, 2, 1, false), 2);
    EXPECT_EQ(ops::pool_output_size(5, 2, 0, 2, 1, true), 3);
    EXPECT_EQ(ops::pool_output_size(4, 2, 0, 2, 1, true), 2);
    EXPECT_EQ(ops::pool_output_size(6, 3, 1, 2, 1, false), 3);
    EXPECT_EQ(ops::pool_output_size(6, 3, 1, 2, 1, true), 4);
    // The ceil-mode window that would start in the right padding is dropped.
    EXPECT_EQ(ops::pool_output_size(5, 2, 1, 2, 1, true), 3);
    EXPECT_EQ(ops::pool_output_size(7, 3, 0, 1, 2, false), 3);
}

TEST(NnPool, MaxPoolValuesIndicesAndGradient) {
    // 1x1x4x4, 2x2 windows: the gradient of each window lands only on its maximum.
    const std::vector<double> xv{1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 9, 1, 3, 2};
    Tensor x = make(xv, Dims{1, 1, 4, 4}, true);
    ops::Pool2dParams p;
    p.kh = p.kw = p.stride_h = p.stride_w = 2;
    auto [y, idx] = ops::max_pool2d_with_indices(x, p);
    expect_near(values(y), {5, 8, 9, 7}, 0, "max values");
    expect_near(values(idx), {1, 6, 12, 11}, 0, "max indices");
    const auto g = grads(y, make({10, 20, 30, 40}, y.sizes()), {x});
    expect_near(values(g[0]), {0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 40, 30, 0, 0, 0}, 0, "max grad");
}

TEST(NnPool, AvgPoolSpreadsGradientOverWindow) {
    Tensor x = make_random(Dims{1, 1, 4, 6}, 5, true);
    ops::Pool2dParams p;
    p.kh = 2;
    p.kw = 3;
    p.stride_h = 2;
    p.stride_w = 3;
    Tensor y = ops::avg_pool2d(x, p, true, 0);
    ASSERT_EQ(y.sizes(), (Dims{1, 1, 2, 2}));
    const auto xv = values(x);
    EXPECT_NEAR(values(y)[0], (xv[0] + xv[1] + xv[2] + xv[6] + xv[7] + xv[8]) / 6, 1e-12);
    const auto g = grads(y, make({6, 12, 18, 24}, y.sizes()), {x});
    expect_near(values(g[0]), {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, 1e-12, "avg grad");
}

TEST(NnPool, UnbatchedAdaptiveAndErrors) {
    const Tensor x = make_random(Dims{3, 7, 5}, 9);
    const Tensor y = ops::adaptive_avg_pool2d(x, 3, 2);
    ASSERT_EQ(y.sizes(), (Dims{3, 3, 2}));
    // Cell (1, 0): rows [floor(7/3), ceil(14/3)) = [2, 5), cols [0, ceil(5/2)) = [0, 3).
    const auto xv = values(x);
    double s = 0;
    for (int r = 2; r < 5; ++r)
        for (int c = 0; c < 3; ++c) s += xv[static_cast<size_t>(r * 5 + c)];
    EXPECT_NEAR(values(y)[2], s / 9, 1e-12);
    ops::Pool2dParams p;
    p.kh = p.kw = 2;
    p.pad_h = 2;
    std::string m = error_of([&] { ops::max_pool2d_with_indices(x, p); });
    EXPECT_NE(m.find("should be at most half of the kernel size"), std::string::npos) << m;
    p.pad_h = 0;
    m = error_of([&] { ops::max_pool2d_with_indices(make_random(Dims{4, 4}, 1), p); });
    EXPECT_NE(m.find("max_pool2d: expected input of rank 4"), std::string::npos) << m;
    p.kh = p.kw = 9;
    p.stride_h = p.stride_w = 1;
    m = error_of([&] { ops::avg_pool2d(x, p, true, 0); });
    EXPECT_NE(m.find("output size is too small"), std::string::npos) << m;
}

// ---- batch norm -------------------------------------------------------------------------------

TEST(NnBatchNorm, TrainingNormalisesAndUpdatesRunningStats) {
    const int64_t n = 3, c = 2, l = 5;
    Tensor x = make_random(Dims{n, c, l}, 21, true);
    Tensor w = make({1.5, -0.5}, Dims{c}, true), b = make({0.25, 2.0}, Dims{c}, true);
    Tensor rm = make({0.1, -0.2}, Dims{c}), rv = make({1.0, 2.0}, Dims{c});
    const double momentum = 0.1, eps = 1e-5;
    Tensor y = ops::batch_norm(x, rm, rv, w, b, true, momentum, eps);
    const auto xv = values(x), yv = values(y), wv = values(w), bv = values(b);
    const double rm0[] = {0.1, -0.2}, rv0[] = {1.0, 2.0};
    for (int64_t ch = 0; ch < c; ++ch) {
        double s = 0, ss = 0;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < l; ++j) s += xv[static_cast<size_t>((i * c + ch) * l + j)];
        const double mu = s / (n * l);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < l; ++j) ss += std::pow(xv[static_cast<size_t>((i * c + ch) * l + j)] - mu, 2);
        const double var = ss / (n * l);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < l; ++j) {
                const size_t k = static_cast<size_t>((i * c + ch) * l + j);
                EXPECT_NEAR(yv[k], (xv[k] - mu) / std::sqrt(var + eps) * wv[ch] + bv[ch], 1e-12);
            }
        EXPECT_NEAR(values(rm)[ch], 0.9 * rm0[ch] + 0.1 * mu, 1e-14);
        EXPECT_NEAR(values(rv)[ch], 0.9 * rv0[ch] + 0.1 * ss / (n * l - 1), 1e-14);  // unbiased
    }
    // The fused backward and the composed one (used under create_graph) agree.
    const Tensor gy = make_random(y.sizes(), 22);
    const auto fused = grads(y, gy, {x, w, b}, false);
    const auto composed = grads(y, gy, {x, w, b}, true);
    for (size_t i = 0; i < 3; ++i) expect_near(values(fused[i]), values(composed[i]), 1e-10, "bn fused vs composed");
    // The input gradient of a normalisation sums to zero per channel when w = 1 and gy is constant.
    Tensor x2 = make_random(Dims{4, 3}, 23, true);
    Tensor y2 = ops::batch_norm(x2, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, eps);
    for (double v : values(grads(y2, ops::ones_like(y2), {x2})[0])) EXPECT_NEAR(v, 0.0, 1e-12);
}

TEST(NnBatchNorm, EvalUsesRunningStatsAndErrors) {
    Tensor x = make_random(Dims{2, 3, 2, 2}, 31);
    Tensor rm = make({0.5, -1, 0}, Dims{3}), rv = make({4, 1, 0.25}, Dims{3});
    const auto y = values(ops::batch_norm(x, rm, rv, Tensor(), make({1, 2, 3}, Dims{3}), false, 0.1, 0.0));
    const auto xv = values(x);
    const double mu[] = {0.5, -1, 0}, sd[] = {2, 1, 0.5}, bias[] = {1, 2, 3};
    for (size_t k = 0; k < xv.size(); ++k) {
        const size_t ch = (k / 4) % 3;
        EXPECT_NEAR(y[k], (xv[k] - mu[ch]) / sd[ch] + bias[ch], 1e-12);
    }
    expect_near(values(rm), {0.5, -1, 0}, 0, "eval leaves running mean");
    std::string m = error_of([&] { ops::batch_norm(make_random(Dims{1, 3}, 1), Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5); });
    EXPECT_NE(m.find("more than 1 value per channel"), std::string::npos) << m;
    m = error_of([&] { ops::batch_norm(x, make({0, 0}, Dims{2}), make({1, 1}, Dims{2}), Tensor(), Tensor(), false, 0.1, 1e-5); });
    EXPECT_NE(m.find("expected running_mean of shape [3]"), std::string::npos) << m;
}

// ---- losses -----------------------------------------------------------------------------------

// Hand-written cross entropy from its definition (PyTorch's formula with label smoothing).
double ce_reference(const std::vector<double>& x, const std::vector<int64_t>& t, int64_t n, int64_t c,
                    const std::vector<double>& w, int64_t ignore, double eps, ng_reduction red, std::vector<double>* per) {
    double total = 0, wsum = 0;
    for (int64_t i = 0; i < n; ++i) {
        double mx = -1e300, s = 0;
        for (int64_t k = 0; k < c; ++k) mx = std::max(mx, x[static_cast<size_t>(i * c + k)]);
        for (int64_t k = 0; k < c; ++k) s += std::exp(x[static_cast<size_t>(i * c + k)] - mx);
        const double lse = mx + std::log(s);
        double loss = 0;
        if (t[static_cast<size_t>(i)] != ignore) {
            const int64_t ti = t[static_cast<size_t>(i)];
            const double wt = w.empty() ? 1 : w[static_cast<size_t>(ti)];
            double smooth = 0;
            for (int64_t k = 0; k < c; ++k) smooth += (w.empty() ? 1 : w[static_cast<size_t>(k)]) * (lse - x[static_cast<size_t>(i * c + k)]);
            loss = (1 - eps) * wt * (lse - x[static_cast<size_t>(i * c + ti)]) + eps / c * smooth;
            wsum += wt;
        }
        if (per) per->push_back(loss);
        total += loss;
    }
    return red == NG_REDUCTION_MEAN ? total / wsum : total;
}

TEST(NnCrossEntropy, MatchesFormulaWithWeightsIgnoreIndexAndSmoothing) {
    const int64_t n = 5, c = 4;
    const auto xv = uniform_values(n * c, 41, -3, 3);
    const std::vector<int64_t> tv{2, 0, -100, 3, 2};
    const std::vector<double> wv{0.5, 1.0, 2.0, 1.5};
    for (bool weighted : {false, true})
        for (double eps : {0.0, 0.2})
            for (ng_reduction red : {NG_REDUCTION_NONE, NG_REDUCTION_MEAN, NG_REDUCTION_SUM}) {
                Tensor x = make(xv, Dims{n, c}, true);
                const Tensor w = weighted ? make(wv, Dims{c}) : Tensor();
                Tensor loss = ops::cross_entropy(x, make_long(tv, Dims{n}), w, -100, eps, red);
                std::vector<double> per;
                const double ref = ce_reference(xv, tv, n, c, weighted ? wv : std::vector<double>{}, -100, eps, red, &per);
                const std::string what = "weighted=" + std::to_string(weighted) + " eps=" + std::to_string(eps) +
                                         " red=" + std::to_string(static_cast<int>(red));
                if (red == NG_REDUCTION_NONE)
                    expect_near(values(loss), per, 1e-12, what);
                else
                    EXPECT_NEAR(scalar(loss), ref, 1e-12) << what;
                // Fused backward == composed backward; the ignored row gets no gradient.
                const Tensor gy = red == NG_REDUCTION_NONE ? make_random(loss.sizes(), 42) : make({1.7}, Dims{});
                const auto fused = grads(loss, gy, {x}, false);
                const auto composed = grads(loss, gy, {x}, true);
                expect_near(values(fused[0]), values(composed[0]), 1e-12, what + " grad");
                for (int64_t k = 0; k < c; ++k) EXPECT_EQ(values(fused[0])[static_cast<size_t>(2 * c + k)], 0.0);
            }
}

TEST(NnCrossEntropy, SpatialTargetsFloat32AndGradientByFiniteDifferences) {
    // [N,C,d] against the same data laid out as [N*d, C].
    const int64_t n = 2, c = 3, d = 4;
    Tensor x = make_random(Dims{n, c, d}, 51, true);
    const std::vector<int64_t> tv{0, 2, 1, 1, 2, 2, 0, 1};
    const Tensor t = make_long(tv, Dims{n, d});
    const Tensor loss = ops::cross_entropy(x, t, Tensor(), -100, 0.1, NG_REDUCTION_MEAN);
    const Tensor flat = ops::reshape(ops::permute(x, Dims{0, 2, 1}), Dims{n * d, c});
    const Tensor loss2 = ops::cross_entropy(flat, make_long(tv, Dims{n * d}), Tensor(), -100, 0.1, NG_REDUCTION_MEAN);
    EXPECT_NEAR(scalar(loss), scalar(loss2), 1e-12);
    const Tensor lf = ops::cross_entropy(ops::to_dtype(x, DType::Float32), t, Tensor(), -100, 0.1, NG_REDUCTION_MEAN);
    EXPECT_EQ(lf.dtype(), DType::Float32);
    EXPECT_NEAR(scalar(lf), scalar(loss), 1e-5);
    const auto g = values(grads(loss, Tensor(), {x})[0]);
    auto xv = values(x);
    for (size_t k = 0; k < xv.size(); ++k) {
        auto xp = xv, xm = xv;
        xp[k] += 1e-6;
        xm[k] -= 1e-6;
        const double fp = scalar(ops::cross_entropy(make(xp, x.sizes()), t, Tensor(), -100, 0.1, NG_REDUCTION_MEAN));
        const double fm = scalar(ops::cross_entropy(make(xm, x.sizes()), t, Tensor(), -100, 0.1, NG_REDUCTION_MEAN));
        EXPECT_NEAR(g[k], (fp - fm) / 2e-6, 1e-7);
    }
}

TEST(NnCrossEntropy, Errors) {
    const Tensor x = make_random(Dims{3, 5}, 1);
    std::string m = error_of([&] { ops::cross_entropy(x, make_long({0, 7, 1}, Dims{3}), Tensor(), -100, 0, NG_REDUCTION_MEAN); });
    EXPECT_NE(m.find("target value 7 is out of range for 5 classes"), std::string::npos) << m;
    m = error_of([&] { ops::cross_entropy(x, make_long({0, 1}, Dims{2}), Tensor(), -100, 0, NG_REDUCTION_MEAN); });
    EXPECT_NE(m.find("expected target of shape [3] for input of shape [3,5], got target of shape [2]"), std::string::npos) << m;
    m = error_of([&] { ops::cross_entropy(x, make({0, 1, 2}, Dims{3}), Tensor(), -100, 0, NG_REDUCTION_MEAN); });
    EXPECT_NE(m.find("int64"), std::string::npos) << m;
    m = error_of([&] { ops::cross_entropy(x, make_long({0, 1, 2}, Dims{3}), make({1, 1}, Dims{2}), -100, 0, NG_REDUCTION_MEAN); });
    EXPECT_NE(m.find("expected class weights of shape [5]"), std::string::npos) << m;
}

TEST(NnLosses, NllMseAndBceWithLogits) {
    // nll with weights and ignore_index, mean = sum(-w_t x_t) / sum(w_t).
    const Tensor lp = make({-1, -2, -3, -0.5, -1.5, -2.5, -0.1, -0.2, -0.3}, Dims{3, 3});
    const Tensor t = make_long({2, 0, 1}, Dims{3});
    const Tensor w = make({1, 2, 3}, Dims{3});
    EXPECT_NEAR(scalar(ops::nll_loss(lp, t, w, 1, NG_REDUCTION_MEAN)), (3 * 3 + 1 * 0.5) / (3 + 1.0), 1e-12);
    EXPECT_NEAR(scalar(ops::nll_loss(lp, t, Tensor(), -100, NG_REDUCTION_SUM)), 3 + 0.5 + 0.2, 1e-12);
    // cross_entropy == nll_loss(log_softmax).
    const Tensor x = make_random(Dims{3, 3}, 61);
    EXPECT_NEAR(scalar(ops::cross_entropy(x, t, w, -100, 0, NG_REDUCTION_MEAN)),
                scalar(ops::nll_loss(ops::log_softmax(x, 1), t, w, -100, NG_REDUCTION_MEAN)), 1e-12);

    const Tensor a = make({1, 2, 3, 4}, Dims{2, 2}), b = make({0, 2, 5, 1}, Dims{2, 2});
    EXPECT_NEAR(scalar(ops::mse_loss(a, b, NG_REDUCTION_MEAN)), (1 + 0 + 4 + 9) / 4.0, 1e-12);
    expect_near(values(ops::mse_loss(a, b, NG_REDUCTION_NONE)), {1, 0, 4, 9}, 0, "mse none");
    std::string m = error_of([&] { ops::mse_loss(a, make({1, 2}, Dims{2}), NG_REDUCTION_MEAN); });
    EXPECT_NE(m.find("mse_loss: input of shape [2,2] and target of shape [2]"), std::string::npos) << m;

    // BCE with logits, including extreme logits (no overflow) and pos_weight.
    const std::vector<double> zv{-800, -2, 0, 0.5, 3, 800}, yv{0, 1, 0.5, 1, 0, 1};
    const Tensor z = make(zv, Dims{6}), y = make(yv, Dims{6}), pw = make({2.0}, Dims{1});
    const auto l = values(ops::binary_cross_entropy_with_logits(z, y, Tensor(), pw, NG_REDUCTION_NONE));
    for (size_t i = 0; i < zv.size(); ++i) {
        const double sp_neg = std::max(-zv[i], 0.0) + std::log1p(std::exp(-std::abs(zv[i])));  // softplus(-z)
        const double ref = (1 - yv[i]) * zv[i] + (1 + (2.0 - 1) * yv[i]) * sp_neg;
        EXPECT_NEAR(l[i], ref, 1e-12 * (1 + std::abs(ref))) << i;
    }
}

TEST(NnDropout, ScalesKeepsAboutOneMinusPAndIsIdentityInEval) {
    const Tensor x = ops::full(Dims{200, 100}, DType::Float64, 2.0);
    auto gen = ng::make_ref<ng::Generator>(7);
    const auto y = values(ops::dropout(x, 0.3, true, gen.get()));
    int64_t kept = 0;
    for (double v : y) {
        if (v != 0) {
            EXPECT_NEAR(v, 2.0 / 0.7, 1e-12);
            ++kept;
        }
    }
    EXPECT_NEAR(static_cast<double>(kept) / 20000.0, 0.7, 0.02);
    gen->manual_seed(7);
    expect_near(values(ops::dropout(x, 0.3, true, gen.get())), y, 0, "same seed, same mask");
    EXPECT_TRUE(ops::dropout(x, 0.3, false, nullptr).same(x));
    for (double v : values(ops::dropout(x, 1.0, true, nullptr))) EXPECT_EQ(v, 0.0);
    const std::string m = error_of([&] { ops::dropout(x, 1.5, true, nullptr); });
    EXPECT_NE(m.find("dropout: probability must be in [0, 1], got 1.5"), std::string::npos) << m;
}

}  // namespace
