// Winograd F(2x2, 3x3) convolution kernels (cpu/conv2d_winograd.h) against direct double-precision
// loops, on both kernel sets, odd sizes (tiles cut by the image edge and by the tile blocks), and
// bit-identical results across thread counts; plus the conv2d entry points on shapes that reach
// them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu/conv2d.h"
#include "cpu/conv2d_winograd.h"
#include "cpu/cpu_features.h"
#include "cpu/parallel.h"
#include "random_values.h"

namespace {

using ng::cpu::Conv2dShape;
using ng::cpu::Isa;
namespace cd = ng::cpu::conv_detail;

Conv2dShape shape3x3(int64_t n, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t ph,
                     int64_t pw) {
    return Conv2dShape{n, c_in, h, w, c_out, 3, 3, 1, 1, ph, pw, 1, 1, 1, h + 2 * ph - 2,
                       w + 2 * pw - 2};
}

// This suite's data were recorded with float draws.
std::vector<float> random_vec(size_t count, unsigned seed) {
    return ng::test::uniform_values<float, float>(count, seed);
}

size_t x_size(const Conv2dShape& s) { return static_cast<size_t>(s.n * s.c_in * s.h * s.w); }
size_t y_size(const Conv2dShape& s) {
    return static_cast<size_t>(s.n * s.c_out * s.h_out * s.w_out);
}
size_t w_size(const Conv2dShape& s) { return static_cast<size_t>(s.c_out * s.c_in * 9); }

// Result and sum of |terms| of each element, in double.
struct Ref {
    std::vector<double> value, magnitude;
};

// One product of the convolution: image n, channels co/ci, output pixel (oh, ow), kernel tap
// (ki, kj), input pixel (ih, iw).
struct Tap {
    int64_t n, co, ci, oh, ow, ki, kj, ih, iw;
};

int64_t xi_(const Conv2dShape& s, int64_t n, int64_t c, int64_t ih, int64_t iw) {
    return ((n * s.c_in + c) * s.h + ih) * s.w + iw;
}
int64_t yi_(const Conv2dShape& s, int64_t n, int64_t c, int64_t oh, int64_t ow) {
    return ((n * s.c_out + c) * s.h_out + oh) * s.w_out + ow;
}
int64_t wi_(const Conv2dShape& s, int64_t co, int64_t ci, int64_t ki, int64_t kj) {
    return ((co * s.c_in + ci) * 3 + ki) * 3 + kj;
}

// Operand and result positions of one tap's product.
struct Idx {
    int64_t a, b, out;
};

// For every in-range tap: r[out] += a[ia] * b[ib] (and |that| into the magnitude), where
// index(tap) = {ia, ib, out} says which pass of the convolution the reference computes.
template <class Index>
void add_products(const Conv2dShape& s, const std::vector<float>& a, const std::vector<float>& b,
                  Index&& index, Ref& r) {
    for (int64_t n = 0; n < s.n; ++n)
        for (int64_t co = 0; co < s.c_out; ++co)
            for (int64_t ci = 0; ci < s.c_in; ++ci)
                for (int64_t oh = 0; oh < s.h_out; ++oh)
                    for (int64_t ow = 0; ow < s.w_out; ++ow)
                        for (int64_t ki = 0; ki < 3; ++ki)
                            for (int64_t kj = 0; kj < 3; ++kj) {
                                const int64_t ih = oh - s.pad_h + ki, iw = ow - s.pad_w + kj;
                                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                                const Idx i = index(Tap{n, co, ci, oh, ow, ki, kj, ih, iw});
                                const double t = double(a[static_cast<size_t>(i.a)]) *
                                                 double(b[static_cast<size_t>(i.b)]);
                                r.value[static_cast<size_t>(i.out)] += t;
                                r.magnitude[static_cast<size_t>(i.out)] += std::fabs(t);
                            }
}

Ref ref_forward(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                const float* bias) {
    Ref r{std::vector<double>(y_size(s), 0.0), std::vector<double>(y_size(s), 0.0)};
    if (bias)
        for (int64_t n = 0; n < s.n; ++n)
            for (int64_t co = 0; co < s.c_out; ++co)
                for (int64_t p = 0; p < s.h_out * s.w_out; ++p) {
                    const auto i = static_cast<size_t>((n * s.c_out + co) * s.h_out * s.w_out + p);
                    r.value[i] = bias[co];
                    r.magnitude[i] = std::fabs(bias[co]);
                }
    add_products(s, x, w, [&](const Tap& t) {
        return Idx{xi_(s, t.n, t.ci, t.ih, t.iw), wi_(s, t.co, t.ci, t.ki, t.kj), yi_(s, t.n, t.co, t.oh, t.ow)};
    }, r);
    return r;
}

Ref ref_backward_input(const Conv2dShape& s, const std::vector<float>& gy,
                       const std::vector<float>& w) {
    Ref r{std::vector<double>(x_size(s), 0.0), std::vector<double>(x_size(s), 0.0)};
    add_products(s, gy, w, [&](const Tap& t) {
        return Idx{yi_(s, t.n, t.co, t.oh, t.ow), wi_(s, t.co, t.ci, t.ki, t.kj), xi_(s, t.n, t.ci, t.ih, t.iw)};
    }, r);
    return r;
}

Ref ref_backward_weight(const Conv2dShape& s, const std::vector<float>& gy,
                        const std::vector<float>& x) {
    Ref r{std::vector<double>(w_size(s), 0.0), std::vector<double>(w_size(s), 0.0)};
    add_products(s, gy, x, [&](const Tap& t) {
        return Idx{yi_(s, t.n, t.co, t.oh, t.ow), xi_(s, t.n, t.ci, t.ih, t.iw), wi_(s, t.co, t.ci, t.ki, t.kj)};
    }, r);
    return r;
}

// Largest |got - ref| / (sum of |terms| + 1e-30) over the elements, where the sum of |terms| is
// the largest of each run of `group` consecutive elements. The weight gradient's transform mixes
// the 9 taps of a filter (G^T W G adds the sums of all of them with cancelling signs), so its
// rounding scales with the largest tap's terms, not with each tap's own: with one output pixel
// (3x3 input, no padding) each tap is a single product, and a tap whose input value is small
// carries the rounding of its neighbours' larger products (measured: 2e-5 of its own term).
double max_relative_error(const std::vector<float>& got, const Ref& ref, size_t group = 1) {
    double worst = 0.0;
    for (size_t g0 = 0; g0 < got.size(); g0 += group) {
        double mag = 0.0;
        for (size_t i = g0; i < g0 + group; ++i) mag = std::max(mag, ref.magnitude[i]);
        for (size_t i = g0; i < g0 + group; ++i)
            worst = std::max(worst, std::fabs(double(got[i]) - ref.value[i]) / (mag + 1e-30));
    }
    return worst;
}

// F(2x2, 3x3) rounding: the transforms add at most 4 input values (B), halve and add 3 weights
// (G) and add 9 products (A); each step is a few float roundings of values bounded by a small
// multiple of the terms' magnitudes. Measured worst cases over these tests: 1.1e-6 (forward,
// input gradient) and 1.3e-6 (weight gradient) of the sum of |terms|; 1e-5 (~80 float ulps of
// it) leaves room for other data, and is far below the ~1e-2 an indexing or transform
// coefficient error produces.
constexpr double kTolerance = 1e-5;

std::vector<Isa> isas() {
    std::vector<Isa> v{Isa::Generic};
    if (ng::cpu::cpu_has_avx2_fma()) v.push_back(Isa::Avx2);
    return v;
}

void check_kernels(const Conv2dShape& s, bool with_bias, unsigned seed) {
    SCOPED_TRACE(::testing::Message() << "n=" << s.n << " c_in=" << s.c_in << " h=" << s.h
                                      << " w=" << s.w << " c_out=" << s.c_out << " pad="
                                      << s.pad_h << "," << s.pad_w << " bias=" << with_bias);
    ASSERT_TRUE(cd::winograd_applies(s));
    const auto x = random_vec(x_size(s), seed), w = random_vec(w_size(s), seed + 1),
               b = random_vec(static_cast<size_t>(s.c_out), seed + 2),
               gy = random_vec(y_size(s), seed + 3);
    const float* bias = with_bias ? b.data() : nullptr;
    const Ref rf = ref_forward(s, x, w, bias), rx = ref_backward_input(s, gy, w),
              rw = ref_backward_weight(s, gy, x);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (Isa isa : isas()) {
        SCOPED_TRACE(ng::cpu::isa_name(isa));
        std::vector<float> y(y_size(s), nan), gx(x_size(s), nan), gw(w_size(s), nan),
            gb(static_cast<size_t>(s.c_out), nan);
        cd::winograd_forward(s, x.data(), w.data(), bias, y.data(), isa);
        EXPECT_LE(max_relative_error(y, rf), kTolerance) << "forward";
        cd::winograd_backward_input(s, gy.data(), w.data(), gx.data(), isa);
        EXPECT_LE(max_relative_error(gx, rx), kTolerance) << "input gradient";
        cd::winograd_backward_weight(s, gy.data(), x.data(), gw.data(),
                                     with_bias ? gb.data() : nullptr, isa);
        EXPECT_LE(max_relative_error(gw, rw, 9), kTolerance) << "weight gradient";
        if (with_bias) {
            for (int64_t co = 0; co < s.c_out; ++co) {
                double sum = 0.0, mag = 0.0;
                const int64_t P = s.h_out * s.w_out;
                for (int64_t n = 0; n < s.n; ++n)
                    for (int64_t p = 0; p < P; ++p) {
                        const double v = gy[static_cast<size_t>((n * s.c_out + co) * P + p)];
                        sum += v;
                        mag += std::fabs(v);
                    }
                EXPECT_NEAR(double(gb[co]), sum, kTolerance * mag + 1e-30) << "bias " << co;
            }
        }
    }
}

// Image sizes 1..57 (odd ones cut the last 2x2 tile), every padding, few and many channels.
TEST(Conv2dWinograd, OddSizesAndChannelCountsMatchReference) {
    unsigned seed = 1;
    for (int64_t hw : {1, 2, 3, 5, 7, 13})
        for (int64_t pad : {0, 1, 2}) {
            if (hw + 2 * pad < 3) continue;  // no output
            for (int64_t c : {1, 3, 16, 17}) {
                check_kernels(shape3x3(1, c, hw, hw, c == 17 ? 16 : c, pad, pad), true, seed++);
                check_kernels(shape3x3(3, c == 3 ? 17 : c, hw, hw + 2, c, pad, pad), false, seed++);
            }
        }
}

TEST(Conv2dWinograd, WideChannelsAndLargeImages) {
    // 64 channels (several output panels of 6 and input panels of 16); 57x57 (odd; rows of 29
    // tiles: 8-tile vectors plus an overlapping last one, tile blocks ending mid row);
    // rectangular paddings.
    check_kernels(shape3x3(1, 64, 13, 7, 64, 1, 1), true, 201);
    check_kernels(shape3x3(3, 17, 57, 57, 3, 1, 1), true, 202);
    check_kernels(shape3x3(1, 3, 57, 57, 17, 0, 2), false, 203);
    check_kernels(shape3x3(3, 16, 5, 57, 64, 2, 0), true, 204);
    // Batch of small images: a tile block spans many images (1 tile each), several weight chunks.
    check_kernels(shape3x3(37, 16, 2, 2, 17, 1, 1), true, 205);
    check_kernels(shape3x3(3, 64, 1, 57, 16, 1, 1), true, 206);
}

// The measured error of F(2x2, 3x3) on a ResNet layer (64 channels, 56x56) stays at the level
// of the direct kernel's (both relative to the sum of |products|; the direct kernel sums 576
// products in float): the reason F(2x2) is used rather than the less accurate F(4x4).
TEST(Conv2dWinograd, TransformErrorStaysAtDirectKernelLevel) {
    const Conv2dShape s = shape3x3(1, 64, 56, 56, 64, 1, 1);
    const auto x = random_vec(x_size(s), 301), w = random_vec(w_size(s), 302),
               b = random_vec(64, 303);
    std::vector<float> yw(y_size(s)), yd(y_size(s));
    cd::winograd_forward(s, x.data(), w.data(), b.data(), yw.data());
    // The plain convolution path without Winograd: the same shape with 15 output channels (the
    // first 15 of the weights) is below use_winograd's channel threshold.
    Conv2dShape s15 = s;
    s15.c_out = 15;
    ng::cpu::conv2d_forward(s15, x.data(), w.data(), b.data(), yd.data());
    double err_w = 0.0, err_d = 0.0;
    const int64_t P = s.h_out * s.w_out;
    for (int64_t co = 0; co < 15; co += 7)
        for (int64_t p = 0; p < P; ++p) {
            const int64_t oh = p / s.w_out, ow = p % s.w_out;
            double v = b[static_cast<size_t>(co)], mag = std::fabs(v);
            for (int64_t ci = 0; ci < s.c_in; ++ci)
                for (int64_t ki = 0; ki < 3; ++ki)
                    for (int64_t kj = 0; kj < 3; ++kj) {
                        const int64_t ih = oh - 1 + ki, iw = ow - 1 + kj;
                        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                        const double t =
                            double(x[xi_(s, 0, ci, ih, iw)]) * double(w[wi_(s, co, ci, ki, kj)]);
                        v += t;
                        mag += std::fabs(t);
                    }
            err_w = std::max(err_w, std::fabs(yw[static_cast<size_t>(co * P + p)] - v) / mag);
            err_d = std::max(err_d, std::fabs(yd[static_cast<size_t>(co * P + p)] - v) / mag);
        }
    char text[96];
    std::snprintf(text, sizeof text, "winograd %.3g, direct %.3g", err_w, err_d);
    RecordProperty("max_error_over_sum_of_abs_products", text);
    EXPECT_LE(err_w, kTolerance);
    EXPECT_LE(err_w, 4 * err_d + 1e-7);
}

// The conv2d entry points route float 3x3 stride-1 layers with enough channels and pixels to
// Winograd (bit-identical to calling it directly), with correct results.
TEST(Conv2dWinograd, Conv2dEntryPointsOnWinogradShapes) {
    struct C {
        Conv2dShape s;
        bool weight_grad;  // the weight gradient too (outputs >= 14x14)
    };
    for (const C& c : {C{shape3x3(1, 24, 29, 31, 32, 1, 1), true},
                       C{shape3x3(2, 32, 26, 30, 24, 0, 0), true},
                       C{shape3x3(3, 64, 7, 9, 64, 1, 0), false}}) {
        const Conv2dShape& s = c.s;
        const auto x = random_vec(x_size(s), 401), w = random_vec(w_size(s), 402),
                   b = random_vec(static_cast<size_t>(s.c_out), 403),
                   gy = random_vec(y_size(s), 404);
        const auto c_out = static_cast<size_t>(s.c_out);
        std::vector<float> y(y_size(s)), gx(x_size(s)), gw(w_size(s)), gb(c_out);
        std::vector<float> y2(y_size(s)), gx2(x_size(s)), gw2(w_size(s)), gb2(c_out);
        ng::cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
        EXPECT_LE(max_relative_error(y, ref_forward(s, x, w, b.data())), kTolerance);
        cd::winograd_forward(s, x.data(), w.data(), b.data(), y2.data());
        EXPECT_EQ(0, std::memcmp(y.data(), y2.data(), y.size() * sizeof(float)));
        ng::cpu::conv2d_backward_input(s, gy.data(), w.data(), gx.data());
        EXPECT_LE(max_relative_error(gx, ref_backward_input(s, gy, w)), kTolerance);
        cd::winograd_backward_input(s, gy.data(), w.data(), gx2.data());
        EXPECT_EQ(0, std::memcmp(gx.data(), gx2.data(), gx.size() * sizeof(float)));
        ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw.data(), gb.data());
        EXPECT_LE(max_relative_error(gw, ref_backward_weight(s, gy, x), 9), kTolerance);
        if (c.weight_grad) {
            cd::winograd_backward_weight(s, gy.data(), x.data(), gw2.data(), gb2.data());
            EXPECT_EQ(0, std::memcmp(gw.data(), gw2.data(), gw.size() * sizeof(float)));
            EXPECT_EQ(0, std::memcmp(gb.data(), gb2.data(), gb.size() * sizeof(float)));
        }
    }
}

// Forward, both gradients and the fused bias gradient: the same bytes for 1, 2 and 3 threads,
// on both kernel sets (the weight gradient's chunk partition depends on the shape only).
TEST(Conv2dWinograd, BitIdenticalAcrossThreadCounts) {
    const int saved = ng::cpu::num_threads();
    for (const Conv2dShape& s : {shape3x3(5, 16, 23, 19, 24, 1, 1),
                                 shape3x3(1, 17, 57, 33, 16, 1, 1),
                                 shape3x3(40, 16, 3, 4, 16, 1, 0)})
        for (Isa isa : isas()) {
            const auto x = random_vec(x_size(s), 501), w = random_vec(w_size(s), 502),
                       b = random_vec(static_cast<size_t>(s.c_out), 503),
                       gy = random_vec(y_size(s), 504);
            std::vector<std::vector<float>> runs;
            for (int threads : {1, 2, 3}) {
                ng::cpu::set_num_threads(threads);
                std::vector<float> y(y_size(s)), gx(x_size(s)), gw(w_size(s)),
                    gb(static_cast<size_t>(s.c_out));
                cd::winograd_forward(s, x.data(), w.data(), b.data(), y.data(), isa);
                cd::winograd_backward_input(s, gy.data(), w.data(), gx.data(), isa);
                cd::winograd_backward_weight(s, gy.data(), x.data(), gw.data(), gb.data(), isa);
                std::vector<float> all;
                for (const auto* v : {&y, &gx, &gw, &gb})
                    all.insert(all.end(), v->begin(), v->end());
                runs.push_back(std::move(all));
            }
            for (size_t r = 1; r < runs.size(); ++r)
                EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[r].data(),
                                         runs[0].size() * sizeof(float)))
                    << ng::cpu::isa_name(isa) << " thread count run " << r;
        }
    ng::cpu::set_num_threads(saved);
}

// Zero batch: nothing written by the forward, zero gradients.
TEST(Conv2dWinograd, EmptyBatch) {
    const Conv2dShape s = shape3x3(0, 16, 8, 8, 16, 1, 1);
    std::vector<float> w(w_size(s), 1.0f), gw(w_size(s), 5.0f), gb(16, 5.0f);
    cd::winograd_forward(s, nullptr, w.data(), nullptr, nullptr);
    cd::winograd_backward_input(s, nullptr, w.data(), nullptr);
    cd::winograd_backward_weight(s, nullptr, nullptr, gw.data(), gb.data());
    for (float v : gw) EXPECT_EQ(v, 0.0f);
    for (float v : gb) EXPECT_EQ(v, 0.0f);
}

}  // namespace
