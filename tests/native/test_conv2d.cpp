// conv2d kernels against direct-loop references (double accumulation), finite differences, and
// bit-identical results across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/conv2d.h"
#include "cpu/parallel.h"
#include "random_values.h"

namespace {

using ng::test::uniform_values;

using ng::cpu::Conv2dShape;

Conv2dShape make_shape(int64_t n, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t kh,
                       int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                       int64_t dw, int64_t groups) {
    Conv2dShape s{n, c_in, h, w, c_out, kh, kw, sh, sw, ph, pw, dh, dw, groups, 0, 0};
    s.h_out = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
    s.w_out = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    return s;
}

size_t x_size(const Conv2dShape& s) { return static_cast<size_t>(s.n * s.c_in * s.h * s.w); }
size_t y_size(const Conv2dShape& s) {
    return static_cast<size_t>(s.n * s.c_out * s.h_out * s.w_out);
}
size_t w_size(const Conv2dShape& s) {
    return static_cast<size_t>(s.c_out * (s.c_in / s.groups) * s.kh * s.kw);
}

// Calls f(n, co, oh, ow, ci_global, ci_local, ki, kj, ih, iw) for every in-range tap.
template <class F>
void for_each_tap(const Conv2dShape& s, F&& f) {
    const int64_t cg = s.c_in / s.groups, cog = s.c_out / s.groups;
    for (int64_t n = 0; n < s.n; ++n)
        for (int64_t co = 0; co < s.c_out; ++co)
            for (int64_t oh = 0; oh < s.h_out; ++oh)
                for (int64_t ow = 0; ow < s.w_out; ++ow)
                    for (int64_t cl = 0; cl < cg; ++cl)
                        for (int64_t ki = 0; ki < s.kh; ++ki)
                            for (int64_t kj = 0; kj < s.kw; ++kj) {
                                const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
                                const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dil_w;
                                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                                f(n, co, oh, ow, (co / cog) * cg + cl, cl, ki, kj, ih, iw);
                            }
}

struct Ref {
    std::vector<double> value, magnitude;  // result and sum of |terms| (for the tolerance)
};

template <class T>
Ref ref_forward(const Conv2dShape& s, const std::vector<T>& x, const std::vector<T>& w,
                const T* bias) {
    const int64_t cg = s.c_in / s.groups;
    Ref r{std::vector<double>(y_size(s)), std::vector<double>(y_size(s))};
    const int64_t P = s.h_out * s.w_out;
    for (int64_t n = 0; n < s.n; ++n)
        for (int64_t co = 0; co < s.c_out; ++co)
            for (int64_t p = 0; p < P; ++p) {
                r.value[(n * s.c_out + co) * P + p] = bias ? bias[co] : 0.0;
                r.magnitude[(n * s.c_out + co) * P + p] = bias ? std::fabs(bias[co]) : 0.0;
            }
    for_each_tap(s, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl,
                        int64_t ki, int64_t kj, int64_t ih, int64_t iw) {
        const double t = double(x[((n * s.c_in + ci) * s.h + ih) * s.w + iw]) *
                         double(w[((co * cg + cl) * s.kh + ki) * s.kw + kj]);
        const size_t o = static_cast<size_t>(((n * s.c_out + co) * s.h_out + oh) * s.w_out + ow);
        r.value[o] += t;
        r.magnitude[o] += std::fabs(t);
    });
    return r;
}

template <class T>
Ref ref_backward_input(const Conv2dShape& s, const std::vector<T>& gy, const std::vector<T>& w) {
    const int64_t cg = s.c_in / s.groups;
    Ref r{std::vector<double>(x_size(s)), std::vector<double>(x_size(s))};
    for_each_tap(s, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl,
                        int64_t ki, int64_t kj, int64_t ih, int64_t iw) {
        const double t = double(gy[((n * s.c_out + co) * s.h_out + oh) * s.w_out + ow]) *
                         double(w[((co * cg + cl) * s.kh + ki) * s.kw + kj]);
        const size_t o = static_cast<size_t>(((n * s.c_in + ci) * s.h + ih) * s.w + iw);
        r.value[o] += t;
        r.magnitude[o] += std::fabs(t);
    });
    return r;
}

template <class T>
Ref ref_backward_weight(const Conv2dShape& s, const std::vector<T>& gy, const std::vector<T>& x) {
    const int64_t cg = s.c_in / s.groups;
    Ref r{std::vector<double>(w_size(s)), std::vector<double>(w_size(s))};
    for_each_tap(s, [&](int64_t n, int64_t co, int64_t oh, int64_t ow, int64_t ci, int64_t cl,
                        int64_t ki, int64_t kj, int64_t ih, int64_t iw) {
        const double t = double(gy[((n * s.c_out + co) * s.h_out + oh) * s.w_out + ow]) *
                         double(x[((n * s.c_in + ci) * s.h + ih) * s.w + iw]);
        const size_t o = static_cast<size_t>(((co * cg + cl) * s.kh + ki) * s.kw + kj);
        r.value[o] += t;
        r.magnitude[o] += std::fabs(t);
    });
    return r;
}

template <class T>
double rel_eps() {
    return std::is_same_v<T, float> ? 2e-6 : 1e-14;
}

template <class T>
void expect_close(const std::vector<T>& got, const Ref& ref, const char* what) {
    ASSERT_EQ(got.size(), ref.value.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
        const double tol = rel_eps<T>() * (ref.magnitude[i] + 1.0) * 8;
        ASSERT_NEAR(double(got[i]), ref.value[i], tol) << what << " at " << i;
    }
}

template <class T>
void check_all(const Conv2dShape& s, bool with_bias, unsigned seed) {
    const auto x = uniform_values<T>(x_size(s), seed);
    const auto w = uniform_values<T>(w_size(s), seed + 1);
    const auto b = uniform_values<T>(static_cast<size_t>(s.c_out), seed + 2);
    const auto gy = uniform_values<T>(y_size(s), seed + 3);
    const T* bias = with_bias ? b.data() : nullptr;

    // Poison the outputs: every kernel must overwrite, never accumulate or read.
    const T nan = std::numeric_limits<T>::quiet_NaN();
    std::vector<T> y(y_size(s), nan), gx(x_size(s), nan), gw(w_size(s), nan),
        gb(static_cast<size_t>(s.c_out), nan);
    ng::cpu::conv2d_forward(s, x.data(), w.data(), bias, y.data());
    expect_close(y, ref_forward(s, x, w, bias), "forward");
    ng::cpu::conv2d_backward_input(s, gy.data(), w.data(), gx.data());
    expect_close(gx, ref_backward_input(s, gy, w), "backward_input");
    ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw.data());
    expect_close(gw, ref_backward_weight(s, gy, x), "backward_weight");
    ng::cpu::conv2d_backward_bias(s, gy.data(), gb.data());
    const int64_t P = s.h_out * s.w_out;
    for (int64_t co = 0; co < s.c_out; ++co) {
        double sum = 0, mag = 0;
        for (int64_t n = 0; n < s.n; ++n)
            for (int64_t p = 0; p < P; ++p) {
                sum += gy[(n * s.c_out + co) * P + p];
                mag += std::fabs(gy[(n * s.c_out + co) * P + p]);
            }
        ASSERT_NEAR(double(gb[co]), sum, rel_eps<T>() * (mag + 1) * 8) << "bias " << co;
    }
    // Weight and bias gradients from one call: the same weights bit for bit, the bias summed in a
    // different (chunked) order, so close to the separate kernel's.
    std::vector<T> gw2(w_size(s), nan), gb2(static_cast<size_t>(s.c_out), nan);
    ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw2.data(), gb2.data());
    ASSERT_EQ(0, std::memcmp(gw.data(), gw2.data(), gw.size() * sizeof(T))) << "fused weight gradient";
    for (int64_t co = 0; co < s.c_out; ++co) {
        double mag = 0;
        for (int64_t n = 0; n < s.n; ++n)
            for (int64_t p = 0; p < P; ++p) mag += std::fabs(gy[(n * s.c_out + co) * P + p]);
        ASSERT_NEAR(double(gb2[co]), double(gb[co]), rel_eps<T>() * (mag + 1) * 8) << "fused bias " << co;
    }
}

template <class T>
void sweep() {
    int cases = 0;
    unsigned seed = 1;
    struct K {
        int64_t kh, kw;
    };
    for (const K k : {K{1, 1}, K{3, 3}, K{5, 5}, K{2, 3}})
        for (int64_t stride : {1, 2, 3})
            for (int64_t pad : {0, 1, 2})
                for (int64_t dil : {1, 2})
                    for (int64_t groups : {1, 2, 4})
                        for (int64_t n : {1, 3}) {
                            const int64_t c_in = 4;
                            const int64_t c_out = groups == 4 ? 8 : 6;
                            // Non-square stride/padding on some cases.
                            const int64_t sw = (seed % 3 == 0) ? 1 : stride;
                            const int64_t pw = (seed % 5 == 0) ? 0 : pad;
                            const Conv2dShape s = make_shape(n, c_in, 7, 9, c_out, k.kh, k.kw,
                                                             stride, sw, pad, pw, dil, dil, groups);
                            ++seed;
                            if (s.h_out <= 0 || s.w_out <= 0) continue;
                            SCOPED_TRACE(::testing::Message()
                                         << "k=" << k.kh << "x" << k.kw << " stride=" << stride
                                         << "," << sw << " pad=" << pad << "," << pw
                                         << " dil=" << dil << " groups=" << groups << " n=" << n);
                            check_all<T>(s, seed % 2 == 0, seed * 7);
                            if (::testing::Test::HasFatalFailure()) return;
                            ++cases;
                        }
    EXPECT_GT(cases, 400);
}

TEST(Conv2dKernel, SweepFloat) { sweep<float>(); }
TEST(Conv2dKernel, SweepDouble) { sweep<double>(); }

TEST(Conv2dKernel, LeNetAndResNetShapes) {
    check_all<float>(make_shape(3, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1), true, 11);
    check_all<float>(make_shape(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), true, 12);
    check_all<float>(make_shape(2, 16, 11, 13, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1), false, 13);
    // Pointwise (im2col skipped), with groups, and a 1x1 stride-2 projection.
    check_all<float>(make_shape(3, 8, 5, 7, 12, 1, 1, 1, 1, 0, 0, 1, 1, 2), true, 14);
    check_all<float>(make_shape(3, 8, 9, 7, 12, 1, 1, 2, 2, 0, 0, 1, 1, 1), true, 15);
    // Kernel covering the whole (padded) input, single output pixel; one-pixel inputs.
    check_all<double>(make_shape(2, 3, 4, 5, 2, 4, 5, 1, 1, 0, 0, 1, 1, 1), true, 16);
    check_all<double>(make_shape(2, 3, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, 17);
    // Batch larger than the weight-gradient chunk count (uneven chunks).
    check_all<float>(make_shape(19, 2, 6, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, 18);
}

// Stride-1 shapes reach the direct (padded-input) kernels: forward always, the input gradient
// when the padding keeps the size ("same"-like) and c_in/groups >= 4, the weight gradient when
// c_out/groups >= 12; larger batches reach the several-images-per-GEMM path and several
// weight-gradient chunks. Sizes are odd so the 16-pixel panels straddle rows and the 6-channel
// tiles are partly padding.
TEST(Conv2dKernel, DirectAndBatchedPaths) {
    unsigned seed = 100;
    struct C {
        int64_t n, c_in, h, w, c_out, kh, kw, ph, pw, dil, groups;
    };
    const C cases[] = {
        {5, 16, 12, 11, 32, 3, 3, 1, 1, 1, 1},   // ResNet-like: all three direct
        {20, 6, 14, 14, 16, 5, 5, 0, 0, 1, 1},   // LeNet conv2: all three direct
        {20, 1, 28, 28, 6, 5, 5, 2, 2, 1, 1},    // LeNet conv1: direct fwd, batched GEMMs
        {11, 8, 9, 13, 26, 3, 2, 1, 1, 1, 2},    // groups, 13 channels per group, kh != kw
        {9, 5, 10, 7, 13, 3, 3, 2, 2, 2, 1},     // dilation 2 with "same" padding
        {3, 4, 6, 5, 12, 3, 3, 3, 3, 1, 1},      // padding wider than the kernel
        {2, 7, 1, 17, 17, 1, 3, 0, 1, 1, 1},     // single-row images
        {1, 12, 23, 29, 19, 5, 3, 2, 1, 1, 1},   // one image: forward split into panel parts
        // Channel-lane forward tiles (16 channels x 6 pixels): 13 and 16 channels per group,
        // pixel counts that leave a partial last tile, one image split into tile parts.
        {3, 5, 9, 11, 13, 3, 3, 0, 0, 1, 1},
        {2, 4, 7, 7, 32, 3, 3, 1, 1, 1, 2},
        {1, 3, 5, 8, 16, 3, 2, 0, 1, 1, 1},
        // Dot-product weight gradient (< 12 channels): 7 channels (two 6-row panels), an odd
        // tap count (3x3, one input channel), dilation, groups; 13 images = uneven chunks.
        {13, 3, 7, 9, 7, 3, 2, 1, 1, 1, 1},
        {9, 1, 11, 6, 5, 3, 3, 1, 0, 2, 1},
        {6, 4, 8, 5, 4, 2, 3, 0, 1, 1, 2},
        // Input gradient kernel row by kernel row (short rows, >= 4 input channels): padding
        // and dilation that are not "same"-like, 13 channels (a partial second 6-channel
        // panel), one output channel, kh != kw; with 3 input channels the batched GEMMs.
        {10, 3, 8, 9, 5, 3, 3, 1, 1, 2, 1},
        {17, 6, 14, 14, 16, 5, 5, 0, 0, 1, 1},
        {4, 13, 11, 9, 7, 5, 3, 0, 1, 1, 1},
        {3, 8, 6, 7, 1, 2, 4, 1, 0, 2, 1},
        {5, 10, 9, 8, 6, 3, 3, 0, 2, 2, 2},
    };
    for (const C& c : cases) {
        const Conv2dShape s = make_shape(c.n, c.c_in, c.h, c.w, c.c_out, c.kh, c.kw, 1, 1, c.ph,
                                         c.pw, c.dil, c.dil, c.groups);
        SCOPED_TRACE(::testing::Message() << "n=" << c.n << " c_in=" << c.c_in << " c_out="
                                          << c.c_out << " " << c.h << "x" << c.w);
        check_all<float>(s, seed % 2 == 0, seed);
        check_all<double>(s, seed % 2 == 1, seed + 50);
        ++seed;
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(Conv2dKernel, FiniteDifferencesDouble) {
    const Conv2dShape s = make_shape(2, 2, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 1);
    auto x = uniform_values<double>(x_size(s), 21);
    auto w = uniform_values<double>(w_size(s), 22);
    auto b = uniform_values<double>(static_cast<size_t>(s.c_out), 23);
    const auto r = uniform_values<double>(y_size(s), 24);  // loss = sum(y * r), so dL/dy = r
    auto loss = [&]() {
        std::vector<double> y(y_size(s));
        ng::cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
        double l = 0;
        for (size_t i = 0; i < y.size(); ++i) l += y[i] * r[i];
        return l;
    };
    std::vector<double> gx(x.size()), gw(w.size()), gb(b.size());
    ng::cpu::conv2d_backward_input(s, r.data(), w.data(), gx.data());
    ng::cpu::conv2d_backward_weight(s, r.data(), x.data(), gw.data());
    ng::cpu::conv2d_backward_bias(s, r.data(), gb.data());
    const double h = 1e-6;
    auto check = [&](std::vector<double>& param, const std::vector<double>& grad, const char* what) {
        for (size_t i = 0; i < param.size(); ++i) {
            const double saved = param[i];
            param[i] = saved + h;
            const double lp = loss();
            param[i] = saved - h;
            const double lm = loss();
            param[i] = saved;
            EXPECT_NEAR(grad[i], (lp - lm) / (2 * h), 1e-7) << what << " " << i;
        }
    };
    check(x, gx, "x");
    check(w, gw, "w");
    check(b, gb, "b");
}

// Every output must be bit-identical whatever the thread count.
template <class T>
void check_thread_invariance(const Conv2dShape& s) {
    const auto x = uniform_values<T>(x_size(s), 31);
    const auto w = uniform_values<T>(w_size(s), 32);
    const auto b = uniform_values<T>(static_cast<size_t>(s.c_out), 33);
    const auto gy = uniform_values<T>(y_size(s), 34);
    const int saved = ng::cpu::num_threads();
    std::vector<std::vector<T>> runs;
    for (int threads : {1, 2, 3}) {
        ng::cpu::set_num_threads(threads);
        std::vector<T> y(y_size(s)), gx(x_size(s)), gw(w_size(s)), gb(static_cast<size_t>(s.c_out));
        std::vector<T> gw2(w_size(s)), gb2(static_cast<size_t>(s.c_out));
        ng::cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
        ng::cpu::conv2d_backward_input(s, gy.data(), w.data(), gx.data());
        ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw.data());
        ng::cpu::conv2d_backward_bias(s, gy.data(), gb.data());
        ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw2.data(), gb2.data());
        std::vector<T> all;
        for (const auto* v : {&y, &gx, &gw, &gb, &gw2, &gb2}) all.insert(all.end(), v->begin(), v->end());
        runs.push_back(std::move(all));
    }
    ng::cpu::set_num_threads(saved);
    for (size_t r = 1; r < runs.size(); ++r)
        EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[r].data(), runs[0].size() * sizeof(T)))
            << "thread count run " << r;
}

TEST(Conv2dKernel, BitIdenticalAcrossThreadCounts) {
    check_thread_invariance<float>(make_shape(7, 8, 13, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1));
    check_thread_invariance<float>(make_shape(17, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1));
    check_thread_invariance<float>(make_shape(1, 16, 20, 20, 32, 3, 3, 2, 2, 1, 1, 1, 1, 2));
    check_thread_invariance<double>(make_shape(5, 4, 9, 7, 4, 3, 3, 1, 1, 1, 1, 2, 2, 4));
    // Direct kernels (all three passes), batched GEMMs, and a single image split into parts.
    check_thread_invariance<float>(make_shape(5, 16, 12, 11, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1));
    check_thread_invariance<float>(make_shape(20, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1));
    check_thread_invariance<float>(make_shape(1, 12, 23, 29, 19, 5, 3, 1, 1, 2, 1, 1, 1, 1));
    check_thread_invariance<double>(make_shape(11, 8, 9, 13, 26, 3, 2, 1, 1, 1, 1, 1, 1, 2));
    // Channel-lane forward tiles, dot-product weight gradient, kernel-row input gradient.
    check_thread_invariance<float>(make_shape(3, 5, 9, 11, 13, 3, 3, 1, 1, 0, 0, 1, 1, 1));
    check_thread_invariance<float>(make_shape(13, 3, 7, 9, 7, 3, 2, 1, 1, 1, 1, 1, 1, 1));
    check_thread_invariance<double>(make_shape(10, 3, 8, 9, 5, 3, 3, 1, 1, 1, 1, 2, 2, 1));
}

}  // namespace
