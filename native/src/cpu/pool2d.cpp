// Max, average and adaptive-average 2-D pooling on NCHW planes, forward and backward.
// Every (n, c) plane is independent, so the work is split over planes; inside a plane the order
// of any sum is fixed, so results are bit-identical for any thread count. Window bounds and
// divisors follow PyTorch's CPU kernels (see pool2d.h). The 2x2/stride-2 case, by far the most
// common, has an AVX2 path for float; the rest is a clipped-window scalar loop.
#include "cpu/pool2d.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu/cpu_features.h"
#include "cpu/parallel.h"
#include "cpu/pool2d_avx2.h"

namespace ng::cpu {
namespace {

// Planes per parallel chunk: about 16K input elements, at least one plane.
int64_t plane_grain(int64_t plane_size) {
    return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_size));
}

bool is_2x2_stride2(const Pool2dShape& s) {
    return s.kh == 2 && s.kw == 2 && s.stride_h == 2 && s.stride_w == 2 && s.pad_h == 0 &&
           s.pad_w == 0 && s.dil_h == 1 && s.dil_w == 1;
}

template <class T>
bool use_avx2_2x2(const Pool2dShape& s) {
    if constexpr (std::is_same_v<T, float>) {
        return is_2x2_stride2(s) && s.h * s.w < (int64_t{1} << 31) && uses_avx2(active_isa());
    } else {
        (void)s;
        return false;
    }
}

// ---- max ----------------------------------------------------------------------------------

template <class T>
void max_window(const Pool2dShape& s, const T* plane, int64_t oh, int64_t ow, T* y,
                int64_t* argmax) {
    int64_t ih0 = oh * s.stride_h - s.pad_h;
    int64_t iw0 = ow * s.stride_w - s.pad_w;
    const int64_t ih1 = std::min(ih0 + (s.kh - 1) * s.dil_h + 1, s.h);
    const int64_t iw1 = std::min(iw0 + (s.kw - 1) * s.dil_w + 1, s.w);
    while (ih0 < 0) ih0 += s.dil_h;
    while (iw0 < 0) iw0 += s.dil_w;
    int64_t best = ih0 * s.w + iw0;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t ih = ih0; ih < ih1; ih += s.dil_h) {
        for (int64_t iw = iw0; iw < iw1; iw += s.dil_w) {
            const int64_t idx = ih * s.w + iw;
            const T v = plane[idx];
            // Branch-free select: greater, or NaN (a NaN in the window wins).
            const bool take = v > m || v != v;
            m = take ? v : m;
            best = take ? idx : best;
        }
    }
    *y = m;
    *argmax = best;
}

template <class T>
void max_plane(const Pool2dShape& s, bool fast, const T* plane, T* y, int64_t* argmax) {
    int64_t oh = 0;
    if (fast) {
        if constexpr (std::is_same_v<T, float>) {
            const int64_t full_cols = std::min(s.w_out, s.w / 2);
            for (; oh < s.h_out && 2 * oh + 1 < s.h; ++oh) {
                pool_avx2::max_pool_2x2_row(plane + 2 * oh * s.w, s.w, full_cols, 2 * oh * s.w,
                                            y + oh * s.w_out, argmax + oh * s.w_out);
                for (int64_t ow = full_cols; ow < s.w_out; ++ow)
                    max_window(s, plane, oh, ow, y + oh * s.w_out + ow, argmax + oh * s.w_out + ow);
            }
        }
    }
    for (; oh < s.h_out; ++oh)
        for (int64_t ow = 0; ow < s.w_out; ++ow)
            max_window(s, plane, oh, ow, y + oh * s.w_out + ow, argmax + oh * s.w_out + ow);
}

// ---- average ------------------------------------------------------------------------------

// Clipped window of output (oh, ow) and its divisor; false when it holds no input pixel.
struct AvgWindow {
    int64_t ih0, ih1, iw0, iw1, divisor;
};

AvgWindow avg_window(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                     int64_t oh, int64_t ow) {
    AvgWindow win{};
    win.ih0 = oh * s.stride_h - s.pad_h;
    win.iw0 = ow * s.stride_w - s.pad_w;
    win.ih1 = std::min(win.ih0 + s.kh, s.h + s.pad_h);
    win.iw1 = std::min(win.iw0 + s.kw, s.w + s.pad_w);
    const int64_t pool_size = (win.ih1 - win.ih0) * (win.iw1 - win.iw0);
    win.ih0 = std::max<int64_t>(win.ih0, 0);
    win.iw0 = std::max<int64_t>(win.iw0, 0);
    win.ih1 = std::min(win.ih1, s.h);
    win.iw1 = std::min(win.iw1, s.w);
    if (divisor_override > 0)
        win.divisor = divisor_override;
    else if (count_include_pad)
        win.divisor = pool_size;
    else
        win.divisor = (win.ih1 - win.ih0) * (win.iw1 - win.iw0);
    return win;
}

template <class T>
T avg_one(const Pool2dShape& s, bool cip, int64_t dov, const T* plane, int64_t oh, int64_t ow) {
    const AvgWindow win = avg_window(s, cip, dov, oh, ow);
    if (win.ih0 >= win.ih1 || win.iw0 >= win.iw1) return T(0);
    T sum = 0;
    for (int64_t ih = win.ih0; ih < win.ih1; ++ih)
        for (int64_t iw = win.iw0; iw < win.iw1; ++iw) sum += plane[ih * s.w + iw];
    return sum / static_cast<T>(win.divisor);
}

template <class T>
void avg_add_one(const Pool2dShape& s, bool cip, int64_t dov, T g, T* plane, int64_t oh,
                 int64_t ow) {
    const AvgWindow win = avg_window(s, cip, dov, oh, ow);
    if (win.ih0 >= win.ih1 || win.iw0 >= win.iw1) return;
    const T delta = g / static_cast<T>(win.divisor);
    for (int64_t ih = win.ih0; ih < win.ih1; ++ih)
        for (int64_t iw = win.iw0; iw < win.iw1; ++iw) plane[ih * s.w + iw] += delta;
}

// ---- adaptive -----------------------------------------------------------------------------

inline int64_t adaptive_start(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
inline int64_t adaptive_end(int64_t i, int64_t out, int64_t in) {
    return ((i + 1) * in + out - 1) / out;
}

}  // namespace

template <class T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* argmax) {
    const int64_t planes = s.n * s.c, in_size = s.h * s.w, out_size = s.h_out * s.w_out;
    if (planes == 0 || out_size == 0) return;
    const bool fast = use_avx2_2x2<T>(s);
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p)
            max_plane(s, fast, x + p * in_size, y + p * out_size, argmax + p * out_size);
    });
}

// 2x2 windows with stride 2 do not overlap, so each input pixel receives the gradient of at most
// one window: the plane is written once, value or zero, instead of being zero-filled and then
// scattered into. Pixels of a last odd row or column belong to no window.
template <class T>
void max_backward_2x2_plane(const Pool2dShape& s, bool fast, const T* g, const int64_t* a,
                            T* plane) {
    const int64_t w = s.w, full_rows = std::min(s.h_out, s.h / 2);
    const int64_t full_cols = std::min(s.w_out, w / 2);
    for (int64_t oh = 0; oh < full_rows; ++oh) {
        T* r0 = plane + 2 * oh * w;
        T* r1 = r0 + w;
        const T* go = g + oh * s.w_out;
        const int64_t* ao = a + oh * s.w_out;
        const int64_t base = 2 * oh * w;
        int64_t ow = 0;
        if constexpr (std::is_same_v<T, float>) {
            if (fast) {
                pool_avx2::max_pool_2x2_row_backward(go, ao, full_cols, base, r0, w);
                ow = full_cols;
            }
        }
        for (; ow < full_cols; ++ow) {
            // Offset of the winner inside its window: 0, 1, w or w + 1.
            const int64_t local = ao[ow] - (base + 2 * ow);
            const T v = go[ow];
            r0[2 * ow] = local == 0 ? v : T(0);
            r0[2 * ow + 1] = local == 1 ? v : T(0);
            r1[2 * ow] = local == w ? v : T(0);
            r1[2 * ow + 1] = local == w + 1 ? v : T(0);
        }
        for (int64_t iw = 2 * full_cols; iw < w; ++iw) r0[iw] = r1[iw] = T(0);
        // Windows past the full columns (ceil mode) hold one column of pixels.
        for (ow = full_cols; ow < s.w_out; ++ow) {
            const int64_t idx = ao[ow];
            if (idx >= 0 && idx < s.h * w) plane[idx] += go[ow];
        }
    }
    for (int64_t ih = 2 * full_rows; ih < s.h; ++ih)
        std::fill(plane + ih * w, plane + (ih + 1) * w, T(0));
    // Windows of a last partial row (ceil mode) hold one row of pixels, zeroed just above.
    for (int64_t oh = full_rows; oh < s.h_out; ++oh)
        for (int64_t ow = 0; ow < s.w_out; ++ow) {
            const int64_t idx = a[oh * s.w_out + ow];
            if (idx >= 0 && idx < s.h * w) plane[idx] += g[oh * s.w_out + ow];
        }
}

template <class T>
void max_pool2d_backward(const Pool2dShape& s, const T* gy, const int64_t* argmax, T* gx) {
    const int64_t planes = s.n * s.c, in_size = s.h * s.w, out_size = s.h_out * s.w_out;
    if (planes == 0 || in_size == 0) return;
    if (is_2x2_stride2(s)) {
        const bool fast = use_avx2_2x2<T>(s);
        parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
            for (int64_t p = p0; p < p1; ++p)
                max_backward_2x2_plane(s, fast, gy + p * out_size, argmax + p * out_size,
                                       gx + p * in_size);
        });
        return;
    }
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            T* plane = gx + p * in_size;
            std::fill(plane, plane + in_size, T(0));
            const T* g = gy + p * out_size;
            const int64_t* a = argmax + p * out_size;
            for (int64_t o = 0; o < out_size; ++o) {
                // An all-padding window (impossible with PyTorch's shape rules) has no target.
                if (a[o] >= 0 && a[o] < in_size) plane[a[o]] += g[o];
            }
        }
    });
}

template <class T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                        const T* x, T* y) {
    const int64_t planes = s.n * s.c, in_size = s.h * s.w, out_size = s.h_out * s.w_out;
    if (planes == 0 || out_size == 0) return;
    const bool fast = use_avx2_2x2<T>(s);
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            const T* plane = x + p * in_size;
            T* out = y + p * out_size;
            int64_t oh = 0;
            if constexpr (std::is_same_v<T, float>) {
                if (fast) {
                    // No padding: every full window holds 4 pixels.
                    const float div = static_cast<float>(divisor_override > 0 ? divisor_override : 4);
                    const int64_t full_cols = std::min(s.w_out, s.w / 2);
                    for (; oh < s.h_out && 2 * oh + 1 < s.h; ++oh) {
                        pool_avx2::avg_pool_2x2_row(plane + 2 * oh * s.w, s.w, full_cols, div,
                                                    out + oh * s.w_out);
                        for (int64_t ow = full_cols; ow < s.w_out; ++ow)
                            out[oh * s.w_out + ow] =
                                avg_one(s, count_include_pad, divisor_override, plane, oh, ow);
                    }
                }
            }
            for (; oh < s.h_out; ++oh)
                for (int64_t ow = 0; ow < s.w_out; ++ow)
                    out[oh * s.w_out + ow] =
                        avg_one(s, count_include_pad, divisor_override, plane, oh, ow);
        }
    });
}

template <class T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* gy, T* gx) {
    const int64_t planes = s.n * s.c, in_size = s.h * s.w, out_size = s.h_out * s.w_out;
    if (planes == 0 || in_size == 0) return;
    const bool fast = use_avx2_2x2<T>(s);
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            T* plane = gx + p * in_size;
            const T* g = gy + p * out_size;
            std::fill(plane, plane + in_size, T(0));
            int64_t oh = 0;
            if constexpr (std::is_same_v<T, float>) {
                if (fast) {
                    // Windows do not overlap, so the full ones are stored, not accumulated.
                    const float div = static_cast<float>(divisor_override > 0 ? divisor_override : 4);
                    const int64_t full_cols = std::min(s.w_out, s.w / 2);
                    for (; oh < s.h_out && 2 * oh + 1 < s.h; ++oh) {
                        pool_avx2::avg_pool_2x2_row_backward(g + oh * s.w_out, full_cols, div,
                                                             plane + 2 * oh * s.w, s.w);
                        for (int64_t ow = full_cols; ow < s.w_out; ++ow)
                            avg_add_one(s, count_include_pad, divisor_override,
                                        g[oh * s.w_out + ow], plane, oh, ow);
                    }
                }
            }
            for (; oh < s.h_out; ++oh)
                for (int64_t ow = 0; ow < s.w_out; ++ow)
                    avg_add_one(s, count_include_pad, divisor_override, g[oh * s.w_out + ow],
                                plane, oh, ow);
        }
    });
}

template <class T>
void adaptive_avg_pool2d_forward(int64_t n, int64_t c, int64_t h, int64_t w, int64_t h_out,
                                 int64_t w_out, const T* x, T* y) {
    const int64_t planes = n * c, in_size = h * w, out_size = h_out * w_out;
    if (planes == 0 || out_size == 0) return;
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            const T* plane = x + p * in_size;
            T* out = y + p * out_size;
            for (int64_t oh = 0; oh < h_out; ++oh) {
                const int64_t ih0 = adaptive_start(oh, h_out, h), ih1 = adaptive_end(oh, h_out, h);
                for (int64_t ow = 0; ow < w_out; ++ow) {
                    const int64_t iw0 = adaptive_start(ow, w_out, w),
                                  iw1 = adaptive_end(ow, w_out, w);
                    T sum = 0;
                    for (int64_t ih = ih0; ih < ih1; ++ih)
                        for (int64_t iw = iw0; iw < iw1; ++iw) sum += plane[ih * w + iw];
                    out[oh * w_out + ow] =
                        sum / static_cast<T>(ih1 - ih0) / static_cast<T>(iw1 - iw0);
                }
            }
        }
    });
}

template <class T>
void adaptive_avg_pool2d_backward(int64_t n, int64_t c, int64_t h, int64_t w, int64_t h_out,
                                  int64_t w_out, const T* gy, T* gx) {
    const int64_t planes = n * c, in_size = h * w, out_size = h_out * w_out;
    if (planes == 0 || in_size == 0) return;
    parallel_for(0, planes, plane_grain(in_size), [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
            T* plane = gx + p * in_size;
            const T* g = gy + p * out_size;
            std::fill(plane, plane + in_size, T(0));
            for (int64_t oh = 0; oh < h_out; ++oh) {
                const int64_t ih0 = adaptive_start(oh, h_out, h), ih1 = adaptive_end(oh, h_out, h);
                for (int64_t ow = 0; ow < w_out; ++ow) {
                    const int64_t iw0 = adaptive_start(ow, w_out, w),
                                  iw1 = adaptive_end(ow, w_out, w);
                    const T delta =
                        g[oh * w_out + ow] / static_cast<T>(ih1 - ih0) / static_cast<T>(iw1 - iw0);
                    for (int64_t ih = ih0; ih < ih1; ++ih)
                        for (int64_t iw = iw0; iw < iw1; ++iw) plane[ih * w + iw] += delta;
                }
            }
        }
    });
}

#define NG_POOL2D_INSTANTIATE(T)                                                                \
    template void max_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t*);            \
    template void max_pool2d_backward<T>(const Pool2dShape&, const T*, const int64_t*, T*);     \
    template void avg_pool2d_forward<T>(const Pool2dShape&, bool, int64_t, const T*, T*);       \
    template void avg_pool2d_backward<T>(const Pool2dShape&, bool, int64_t, const T*, T*);      \
    template void adaptive_avg_pool2d_forward<T>(int64_t, int64_t, int64_t, int64_t, int64_t,   \
                                                 int64_t, const T*, T*);                        \
    template void adaptive_avg_pool2d_backward<T>(int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                                  int64_t, const T*, T*);
NG_POOL2D_INSTANTIATE(float)
NG_POOL2D_INSTANTIATE(double)
#undef NG_POOL2D_INSTANTIATE

}  // namespace ng::cpu
