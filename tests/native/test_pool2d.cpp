// Pooling kernels against direct-loop references written from PyTorch's documented semantics,
// hand-worked classic examples, and bit-identical results across thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu/parallel.h"
#include "cpu/pool2d.h"
#include "random_values.h"

namespace {

using ng::test::uniform_values;

using ng::cpu::Pool2dShape;

// PyTorch's pooling_output_shape.
int64_t out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
    int64_t out = (in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0)) / stride + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad) --out;
    return out;
}

Pool2dShape make_pool(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw,
                      int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                      bool ceil_mode) {
    return Pool2dShape{n,  c,  h,  w,  kh, kw, sh, sw, ph, pw, dh, dw,
                       out_size(h, kh, ph, sh, dh, ceil_mode), out_size(w, kw, pw, sw, dw, ceil_mode)};
}

size_t in_count(const Pool2dShape& s) { return static_cast<size_t>(s.n * s.c * s.h * s.w); }
size_t out_count(const Pool2dShape& s) { return static_cast<size_t>(s.n * s.c * s.h_out * s.w_out); }

// ---- references -------------------------------------------------------------------------

template <class T>
void ref_max(const Pool2dShape& s, const std::vector<T>& x, std::vector<T>& y,
             std::vector<int64_t>& idx) {
    y.assign(out_count(s), T(0));
    idx.assign(out_count(s), -1);
    for (int64_t p = 0; p < s.n * s.c; ++p)
        for (int64_t oh = 0; oh < s.h_out; ++oh)
            for (int64_t ow = 0; ow < s.w_out; ++ow) {
                T best = -std::numeric_limits<T>::infinity();
                int64_t bi = -1;
                for (int64_t ki = 0; ki < s.kh; ++ki)
                    for (int64_t kj = 0; kj < s.kw; ++kj) {
                        const int64_t ih = oh * s.stride_h - s.pad_h + ki * s.dil_h;
                        const int64_t iw = ow * s.stride_w - s.pad_w + kj * s.dil_w;
                        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                        const T v = x[p * s.h * s.w + ih * s.w + iw];
                        if (bi < 0) bi = ih * s.w + iw;  // all -inf: the first tap
                        if (v > best || std::isnan(v)) {
                            best = v;
                            bi = ih * s.w + iw;
                        }
                    }
                const size_t o = static_cast<size_t>((p * s.h_out + oh) * s.w_out + ow);
                y[o] = best;
                idx[o] = bi;
            }
}

// Average pooling: taps within the padded input count towards the pool size, taps within the
// input towards the sum and the no-padding count.
template <class T>
void ref_avg(const Pool2dShape& s, bool cip, int64_t dov, const std::vector<T>& x,
             const std::vector<T>* gy, std::vector<double>& out) {
    out.assign(gy ? in_count(s) : out_count(s), 0.0);
    for (int64_t p = 0; p < s.n * s.c; ++p)
        for (int64_t oh = 0; oh < s.h_out; ++oh)
            for (int64_t ow = 0; ow < s.w_out; ++ow) {
                int64_t padded = 0, inside = 0;
                double sum = 0;
                for (int64_t ki = 0; ki < s.kh; ++ki)
                    for (int64_t kj = 0; kj < s.kw; ++kj) {
                        const int64_t ih = oh * s.stride_h - s.pad_h + ki;
                        const int64_t iw = ow * s.stride_w - s.pad_w + kj;
                        if (ih >= s.h + s.pad_h || iw >= s.w + s.pad_w) continue;
                        ++padded;
                        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                        ++inside;
                        sum += x.empty() ? 0.0 : double(x[p * s.h * s.w + ih * s.w + iw]);
                    }
                const double div = dov > 0 ? double(dov) : cip ? double(padded) : double(inside);
                const size_t o = static_cast<size_t>((p * s.h_out + oh) * s.w_out + ow);
                if (!gy) {
                    out[o] = inside == 0 ? 0.0 : sum / div;
                    continue;
                }
                if (inside == 0) continue;
                for (int64_t ki = 0; ki < s.kh; ++ki)
                    for (int64_t kj = 0; kj < s.kw; ++kj) {
                        const int64_t ih = oh * s.stride_h - s.pad_h + ki;
                        const int64_t iw = ow * s.stride_w - s.pad_w + kj;
                        if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                        out[static_cast<size_t>(p * s.h * s.w + ih * s.w + iw)] +=
                            double((*gy)[o]) / div;
                    }
            }
}

template <class T>
void expect_near_vec(const std::vector<T>& got, const std::vector<double>& ref, double tol,
                     const char* what) {
    ASSERT_EQ(got.size(), ref.size()) << what;
    for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(double(got[i]), ref[i], tol) << what << " at " << i;
}

template <class T>
double tol() {
    return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// ---- classic examples -------------------------------------------------------------------

TEST(Pool2dKernel, MaxClassic2x2) {
    const std::vector<float> x = {1, 2,  5, 3,    //
                                  4, 0,  1, 9,    //
                                  7, 8,  2, 2,    //
                                  6, -1, 3, 2.5f};
    const Pool2dShape s = make_pool(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false);
    ASSERT_EQ(s.h_out, 2);
    std::vector<float> y(4);
    std::vector<int64_t> idx(4);
    ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
    EXPECT_EQ(y, (std::vector<float>{4, 9, 8, 3}));
    EXPECT_EQ(idx, (std::vector<int64_t>{4, 7, 9, 14}));
    const std::vector<float> gy = {10, 20, 30, 40};
    std::vector<float> gx(16, -1.0f);
    ng::cpu::max_pool2d_backward(s, gy.data(), idx.data(), gx.data());
    std::vector<float> expect(16, 0.0f);
    expect[4] = 10;
    expect[7] = 20;
    expect[9] = 30;
    expect[14] = 40;
    EXPECT_EQ(gx, expect);
}

TEST(Pool2dKernel, MaxOverlappingWindowsAddUp) {
    // 3x3 window, stride 1 on 4x4: the centre-ish maximum is in all four windows.
    std::vector<float> x(16, 0.0f);
    x[5] = 7.0f;
    const Pool2dShape s = make_pool(1, 1, 4, 4, 3, 3, 1, 1, 0, 0, 1, 1, false);
    std::vector<float> y(4), gx(16);
    std::vector<int64_t> idx(4);
    ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
    EXPECT_EQ(idx, (std::vector<int64_t>{5, 5, 5, 5}));
    const std::vector<float> gy = {1, 2, 3, 4};
    ng::cpu::max_pool2d_backward(s, gy.data(), idx.data(), gx.data());
    EXPECT_EQ(gx[5], 10.0f);
    for (int i = 0; i < 16; ++i)
        if (i != 5) {
            EXPECT_EQ(gx[i], 0.0f);
        }
}

TEST(Pool2dKernel, MaxNaNWinsAndTiesTakeFirst) {
    for (int64_t w : {4, 20}) {  // 20 also runs the vector path
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::vector<float> x(static_cast<size_t>(2 * w), 1.0f);  // all equal: first tap wins
        x[3] = nan;  // window 1: (r0, c3)
        x[static_cast<size_t>(w + 2)] = nan;  // window 1 also has (r1, c2): the last NaN wins
        const Pool2dShape s = make_pool(1, 1, 2, w, 2, 2, 2, 2, 0, 0, 1, 1, false);
        std::vector<float> y(static_cast<size_t>(s.w_out));
        std::vector<int64_t> idx(y.size());
        ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
        EXPECT_EQ(y[0], 1.0f);
        EXPECT_EQ(idx[0], 0);
        EXPECT_TRUE(std::isnan(y[1]));
        EXPECT_EQ(idx[1], w + 2);
        for (int64_t o = 2; o < s.w_out; ++o) EXPECT_EQ(idx[static_cast<size_t>(o)], 2 * o);
    }
}

TEST(Pool2dKernel, AvgClassic2x2) {
    const std::vector<float> x = {1, 2, 5, 3, 4, 0, 1, 9, 7, 8, 2, 2, 6, -1, 3, 2.5f};
    const Pool2dShape s = make_pool(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, false);
    std::vector<float> y(4);
    ng::cpu::avg_pool2d_forward(s, true, 0, x.data(), y.data());
    EXPECT_EQ(y, (std::vector<float>{7.0f / 4, 18.0f / 4, 20.0f / 4, 9.5f / 4}));
    const std::vector<float> gy = {4, 8, 12, 16};
    std::vector<float> gx(16, -1.0f);
    ng::cpu::avg_pool2d_backward(s, true, 0, gy.data(), gx.data());
    EXPECT_EQ(gx, (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(Pool2dKernel, AvgPaddingDivisors) {
    // 3x3 input of ones, 3x3 window, stride 1, padding 1: the corner window holds 4 pixels of
    // a 9-tap window.
    const std::vector<double> x(9, 1.0);
    const Pool2dShape s = make_pool(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, false);
    std::vector<double> y(9);
    ng::cpu::avg_pool2d_forward(s, true, 0, x.data(), y.data());
    EXPECT_DOUBLE_EQ(y[0], 4.0 / 9);
    EXPECT_DOUBLE_EQ(y[1], 6.0 / 9);
    EXPECT_DOUBLE_EQ(y[4], 1.0);
    ng::cpu::avg_pool2d_forward(s, false, 0, x.data(), y.data());
    for (double v : y) EXPECT_DOUBLE_EQ(v, 1.0);
    ng::cpu::avg_pool2d_forward(s, false, 2, x.data(), y.data());
    EXPECT_DOUBLE_EQ(y[0], 2.0);
    EXPECT_DOUBLE_EQ(y[4], 4.5);
}

TEST(Pool2dKernel, AvgCeilModeWindowHangingOverPadding) {
    // h = 5, k = 2, s = 2, pad 1, ceil_mode: 4 outputs; the last window starts at row 5 (inside
    // the right padding), clipped to input+padding = 1 row for count_include_pad.
    const Pool2dShape s = make_pool(1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, true);
    ASSERT_EQ(s.h_out, 3);
    const Pool2dShape s2 = make_pool(1, 1, 6, 6, 3, 3, 2, 2, 1, 1, 1, 1, true);
    ASSERT_EQ(s2.h_out, 4);  // last window: rows 5..7 of which row 7 is past input+padding
    const std::vector<float> x(36, 1.0f);
    std::vector<float> y(16);
    ng::cpu::avg_pool2d_forward(s2, true, 0, x.data(), y.data());
    // Window (3,3): rows 5..6 (6 = padding), cols 5..6: pool size 4, one real pixel.
    EXPECT_FLOAT_EQ(y[15], 1.0f / 4);
    ng::cpu::avg_pool2d_forward(s2, false, 0, x.data(), y.data());
    EXPECT_FLOAT_EQ(y[15], 1.0f);
}

// ---- sweeps against the references --------------------------------------------------------

template <class T>
void sweep_max() {
    unsigned seed = 100;
    int cases = 0;
    for (int64_t k : {1, 2, 3})
        for (int64_t kw_extra : {0, 1})
            for (int64_t stride : {1, 2, 3})
                for (int64_t pad : {0, 1})
                    for (int64_t dil : {1, 2})
                        for (bool ceil_mode : {false, true})
                            for (int64_t h : {7, 8, 29}) {
                                const int64_t kw = k + kw_extra;
                                if (pad * 2 > k || pad * 2 > kw) continue;  // PyTorch's rule
                                const int64_t w = h == 29 ? 36 : 9;
                                const Pool2dShape s = make_pool(2, 3, h, w, k, kw, stride, stride,
                                                                pad, pad, dil, dil, ceil_mode);
                                if (s.h_out <= 0 || s.w_out <= 0) continue;
                                SCOPED_TRACE(::testing::Message()
                                             << "k=" << k << "x" << kw << " s=" << stride
                                             << " p=" << pad << " d=" << dil << " ceil="
                                             << ceil_mode << " h=" << h);
                                auto x = uniform_values<T>(in_count(s), ++seed);
                                // Duplicates exercise the tie rule.
                                for (size_t i = 0; i < x.size(); i += 5) x[i] = T(0.5);
                                std::vector<T> y(out_count(s), T(-7)), ry;
                                std::vector<int64_t> idx(out_count(s), -7), ridx;
                                ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
                                ref_max(s, x, ry, ridx);
                                ASSERT_EQ(y, ry);
                                ASSERT_EQ(idx, ridx);
                                const auto gy = uniform_values<T>(out_count(s), ++seed);
                                std::vector<T> gx(in_count(s), T(-7));
                                ng::cpu::max_pool2d_backward(s, gy.data(), idx.data(), gx.data());
                                std::vector<double> rgx(in_count(s), 0.0);
                                for (int64_t p = 0; p < s.n * s.c; ++p)
                                    for (int64_t o = 0; o < s.h_out * s.w_out; ++o)
                                        rgx[static_cast<size_t>(p * s.h * s.w +
                                                                ridx[p * s.h_out * s.w_out + o])] +=
                                            gy[p * s.h_out * s.w_out + o];
                                expect_near_vec(gx, rgx, tol<T>(), "max backward");
                                ++cases;
                            }
    EXPECT_GT(cases, 200);
}

template <class T>
void sweep_avg() {
    unsigned seed = 500;
    int cases = 0;
    for (int64_t k : {1, 2, 3})
        for (int64_t kw_extra : {0, 1})
            for (int64_t stride : {1, 2, 3})
                for (int64_t pad : {0, 1})
                    for (bool ceil_mode : {false, true})
                        for (bool cip : {false, true})
                            for (int64_t dov : {0, 3})
                                for (int64_t h : {7, 8, 29}) {
                                    const int64_t kw = k + kw_extra;
                                    if (pad * 2 > k || pad * 2 > kw) continue;
                                    const int64_t w = h == 29 ? 37 : 9;
                                    const Pool2dShape s = make_pool(2, 3, h, w, k, kw, stride,
                                                                    stride, pad, pad, 1, 1, ceil_mode);
                                    if (s.h_out <= 0 || s.w_out <= 0) continue;
                                    SCOPED_TRACE(::testing::Message()
                                                 << "k=" << k << "x" << kw << " s=" << stride
                                                 << " p=" << pad << " ceil=" << ceil_mode
                                                 << " cip=" << cip << " dov=" << dov << " h=" << h);
                                    const auto x = uniform_values<T>(in_count(s), ++seed);
                                    const auto gy = uniform_values<T>(out_count(s), ++seed);
                                    std::vector<T> y(out_count(s), T(-7)), gx(in_count(s), T(-7));
                                    std::vector<double> ry, rgx;
                                    ng::cpu::avg_pool2d_forward(s, cip, dov, x.data(), y.data());
                                    ref_avg<T>(s, cip, dov, x, nullptr, ry);
                                    expect_near_vec(y, ry, tol<T>(), "avg forward");
                                    ng::cpu::avg_pool2d_backward(s, cip, dov, gy.data(), gx.data());
                                    ref_avg<T>(s, cip, dov, std::vector<T>{}, &gy, rgx);
                                    expect_near_vec(gx, rgx, tol<T>(), "avg backward");
                                    ++cases;
                                }
    EXPECT_GT(cases, 400);
}

TEST(Pool2dKernel, MaxSweepFloat) { sweep_max<float>(); }
TEST(Pool2dKernel, MaxSweepDouble) { sweep_max<double>(); }
TEST(Pool2dKernel, AvgSweepFloat) { sweep_avg<float>(); }
TEST(Pool2dKernel, AvgSweepDouble) { sweep_avg<double>(); }

template <class T>
void check_adaptive(int64_t h, int64_t w, int64_t ho, int64_t wo) {
    SCOPED_TRACE(::testing::Message() << h << "x" << w << " -> " << ho << "x" << wo);
    const int64_t n = 2, c = 3;
    const auto x = uniform_values<T>(static_cast<size_t>(n * c * h * w), 7);
    const auto gy = uniform_values<T>(static_cast<size_t>(n * c * ho * wo), 8);
    std::vector<T> y(static_cast<size_t>(n * c * ho * wo), T(-7)),
        gx(static_cast<size_t>(n * c * h * w), T(-7));
    ng::cpu::adaptive_avg_pool2d_forward(n, c, h, w, ho, wo, x.data(), y.data());
    ng::cpu::adaptive_avg_pool2d_backward(n, c, h, w, ho, wo, gy.data(), gx.data());
    std::vector<double> ry(y.size(), 0.0), rgx(gx.size(), 0.0);
    for (int64_t p = 0; p < n * c; ++p)
        for (int64_t i = 0; i < ho; ++i)
            for (int64_t j = 0; j < wo; ++j) {
                const int64_t h0 = static_cast<int64_t>(std::floor(double(i * h) / double(ho)));
                const int64_t h1 = static_cast<int64_t>(std::ceil(double((i + 1) * h) / double(ho)));
                const int64_t w0 = static_cast<int64_t>(std::floor(double(j * w) / double(wo)));
                const int64_t w1 = static_cast<int64_t>(std::ceil(double((j + 1) * w) / double(wo)));
                const double cnt = double((h1 - h0) * (w1 - w0));
                const size_t o = static_cast<size_t>((p * ho + i) * wo + j);
                double sum = 0;
                for (int64_t a = h0; a < h1; ++a)
                    for (int64_t b = w0; b < w1; ++b) sum += x[(p * h + a) * w + b];
                ry[o] = sum / cnt;
                for (int64_t a = h0; a < h1; ++a)
                    for (int64_t b = w0; b < w1; ++b)
                        rgx[static_cast<size_t>((p * h + a) * w + b)] += gy[o] / cnt;
            }
    expect_near_vec(y, ry, tol<T>(), "adaptive forward");
    expect_near_vec(gx, rgx, tol<T>(), "adaptive backward");
}

TEST(Pool2dKernel, AdaptiveAvg) {
    check_adaptive<float>(7, 7, 3, 3);
    check_adaptive<float>(7, 9, 3, 4);
    check_adaptive<double>(5, 5, 5, 5);
    check_adaptive<double>(6, 13, 4, 5);
    check_adaptive<float>(3, 4, 7, 6);  // upsampling: windows repeat
    check_adaptive<float>(9, 11, 1, 1);  // global average
}

TEST(Pool2dKernel, AdaptiveClassic7to3) {
    // Rows 0..6 -> windows [0,3) [2,5) [4,7): overlapping, 3 rows each.
    std::vector<double> x(49);
    for (int i = 0; i < 49; ++i) x[i] = i;
    std::vector<double> y(9);
    ng::cpu::adaptive_avg_pool2d_forward<double>(1, 1, 7, 7, 3, 3, x.data(), y.data());
    EXPECT_DOUBLE_EQ(y[0], 8.0);   // mean of rows 0..2, cols 0..2: 7*1 + 1
    EXPECT_DOUBLE_EQ(y[4], 24.0);  // centre
    EXPECT_DOUBLE_EQ(y[8], 40.0);
}

// ---- determinism --------------------------------------------------------------------------

TEST(Pool2dKernel, BitIdenticalAcrossThreadCounts) {
    const Pool2dShape mp = make_pool(5, 7, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, false);
    const Pool2dShape ov = make_pool(4, 5, 17, 19, 3, 3, 2, 2, 1, 1, 1, 1, true);
    const auto x = uniform_values<float>(in_count(ov) > in_count(mp) ? in_count(ov) : in_count(mp), 9);
    const int saved = ng::cpu::num_threads();
    std::vector<std::vector<float>> runs;
    for (int threads : {1, 2, 3}) {
        ng::cpu::set_num_threads(threads);
        std::vector<float> all;
        for (const Pool2dShape& s : {mp, ov}) {
            std::vector<float> y(out_count(s)), gx(in_count(s)), ay(out_count(s)),
                agx(in_count(s)), ady(12 * s.n * s.c), adx(in_count(s));
            std::vector<int64_t> idx(out_count(s));
            ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
            ng::cpu::max_pool2d_backward(s, x.data(), idx.data(), gx.data());
            ng::cpu::avg_pool2d_forward(s, false, 0, x.data(), ay.data());
            ng::cpu::avg_pool2d_backward(s, true, 0, x.data(), agx.data());
            ng::cpu::adaptive_avg_pool2d_forward(s.n, s.c, s.h, s.w, 3, 4, x.data(), ady.data());
            ng::cpu::adaptive_avg_pool2d_backward(s.n, s.c, s.h, s.w, 3, 4, x.data(), adx.data());
            for (const auto* v : {&y, &gx, &ay, &agx, &ady, &adx})
                all.insert(all.end(), v->begin(), v->end());
            for (int64_t i : idx) all.push_back(static_cast<float>(i));
        }
        runs.push_back(std::move(all));
    }
    ng::cpu::set_num_threads(saved);
    for (size_t r = 1; r < runs.size(); ++r)
        EXPECT_EQ(0, std::memcmp(runs[0].data(), runs[r].data(), runs[0].size() * sizeof(float)));
}

}  // namespace
