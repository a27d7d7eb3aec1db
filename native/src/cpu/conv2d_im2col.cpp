// im2col / col2im for the GEMM convolution. Rows of the column matrix are built pixel row by
// pixel row: the in-range part of each row is found once per (tap, output row) so the inner loop
// is a plain copy (stride 1) or a strided gather, with no per-pixel bounds test.
#include "cpu/conv2d_im2col.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cpu/cpu_features.h"

namespace ng::cpu::conv_detail {

// conv2d_im2col_avx2.cpp; only called when uses_avx2(active_isa()).
void im2col_tap_avx2(const float* src, int64_t src_stride, int64_t rows, int64_t lo, int64_t hi,
                     int64_t w_out, float* dst);
void col2im_tap_avx2(const float* col, int64_t rows, int64_t lo, int64_t hi, int64_t w_out,
                     float* gx, int64_t gx_stride);

namespace {
template <class T>
bool use_avx2_rows() {
    if constexpr (std::is_same_v<T, float>) {
        static const bool avx2 = uses_avx2(active_isa());
        return avx2;
    } else {
        return false;
    }
}

// Stride-1 taps in one AVX2 call; returns false when the portable loop must do it.
template <class T>
bool im2col_tap_fast(bool avx2, const T* src, int64_t src_stride, int64_t rows, int64_t lo,
                     int64_t hi, int64_t w_out, T* dst) {
    if constexpr (std::is_same_v<T, float>) {
        if (avx2) {
            im2col_tap_avx2(src, src_stride, rows, lo, hi, w_out, dst);
            return true;
        }
    }
    (void)avx2, (void)src, (void)src_stride, (void)rows, (void)lo, (void)hi, (void)w_out,
        (void)dst;
    return false;
}

template <class T>
bool col2im_tap_fast(bool avx2, const T* col, int64_t rows, int64_t lo, int64_t hi, int64_t w_out,
                     T* gx, int64_t gx_stride) {
    if constexpr (std::is_same_v<T, float>) {
        if (avx2) {
            col2im_tap_avx2(col, rows, lo, hi, w_out, gx, gx_stride);
            return true;
        }
    }
    (void)avx2, (void)col, (void)rows, (void)lo, (void)hi, (void)w_out, (void)gx, (void)gx_stride;
    return false;
}

ValidRange clip(ValidRange r, int64_t lo, int64_t hi) {
    r.lo = std::min(std::max(r.lo, lo), hi);
    r.hi = std::max(std::min(r.hi, hi), r.lo);
    return r;
}
}  // namespace

template <class T>
void im2col(const Conv2dShape& s, int64_t channels, const T* x, int64_t oh0, int64_t oh1, T* col,
            int64_t ld) {
    const int64_t P = (oh1 - oh0) * s.w_out;
    const bool avx2 = use_avx2_rows<T>();
    for (int64_t ci = 0; ci < channels; ++ci) {
        const T* plane = x + ci * s.h * s.w;
        for (int64_t ki = 0; ki < s.kh; ++ki) {
            const ValidRange rows = clip(
                valid_range(s.h_out, s.h, s.stride_h, ki * s.dil_h - s.pad_h), oh0, oh1);
            for (int64_t kj = 0; kj < s.kw; ++kj) {
                const int64_t off_w = kj * s.dil_w - s.pad_w;
                const ValidRange cols = valid_range(s.w_out, s.w, s.stride_w, off_w);
                T* out = col + ((ci * s.kh + ki) * s.kw + kj) * ld;  // row oh0
                std::fill(out, out + (rows.lo - oh0) * s.w_out, T(0));
                const bool fast =
                    s.stride_w == 1 && rows.hi > rows.lo && cols.hi > cols.lo &&
                    im2col_tap_fast(
                        avx2,
                        plane + (rows.lo * s.stride_h + ki * s.dil_h - s.pad_h) * s.w +
                            (cols.lo + off_w),
                        s.stride_h * s.w, rows.hi - rows.lo, cols.lo, cols.hi, s.w_out,
                        out + (rows.lo - oh0) * s.w_out);
                for (int64_t oh = fast ? rows.hi : rows.lo; oh < rows.hi; ++oh) {
                    const int64_t ih = oh * s.stride_h + ki * s.dil_h - s.pad_h;
                    // The tap of output column ow is src[ow * stride]; src itself may lie before
                    // the row, so it is only ever offset by in-range columns.
                    const T* row = plane + ih * s.w;
                    T* dst = out + (oh - oh0) * s.w_out;
                    for (int64_t ow = 0; ow < cols.lo; ++ow) dst[ow] = T(0);
                    if (s.stride_w == 1) {
                        std::memcpy(dst + cols.lo, row + (cols.lo + off_w),
                                    static_cast<size_t>(cols.hi - cols.lo) * sizeof(T));
                    } else {
                        const int64_t sw = s.stride_w;
                        for (int64_t ow = cols.lo; ow < cols.hi; ++ow) dst[ow] = row[ow * sw + off_w];
                    }
                    for (int64_t ow = cols.hi; ow < s.w_out; ++ow) dst[ow] = T(0);
                }
                std::fill(out + (rows.hi - oh0) * s.w_out, out + P, T(0));
            }
        }
    }
}

template <class T>
void col2im(const Conv2dShape& s, int64_t channels, const T* col, int64_t oh0, int64_t oh1, T* gx,
            int64_t ld) {
    const bool avx2 = use_avx2_rows<T>();
    for (int64_t ci = 0; ci < channels; ++ci) {
        T* plane = gx + ci * s.h * s.w;
        for (int64_t ki = 0; ki < s.kh; ++ki) {
            const ValidRange rows = clip(
                valid_range(s.h_out, s.h, s.stride_h, ki * s.dil_h - s.pad_h), oh0, oh1);
            for (int64_t kj = 0; kj < s.kw; ++kj) {
                const int64_t off_w = kj * s.dil_w - s.pad_w;
                const ValidRange cols = valid_range(s.w_out, s.w, s.stride_w, off_w);
                const T* in = col + ((ci * s.kh + ki) * s.kw + kj) * ld;  // row oh0
                const bool fast =
                    s.stride_w == 1 && rows.hi > rows.lo && cols.hi > cols.lo &&
                    col2im_tap_fast(
                        avx2, in + (rows.lo - oh0) * s.w_out, rows.hi - rows.lo, cols.lo, cols.hi,
                        s.w_out,
                        plane + (rows.lo * s.stride_h + ki * s.dil_h - s.pad_h) * s.w +
                            (cols.lo + off_w),
                        s.stride_h * s.w);
                for (int64_t oh = fast ? rows.hi : rows.lo; oh < rows.hi; ++oh) {
                    const int64_t ih = oh * s.stride_h + ki * s.dil_h - s.pad_h;
                    T* row = plane + ih * s.w;
                    const T* src = in + (oh - oh0) * s.w_out;
                    if (s.stride_w == 1) {
                        T* d = row + (cols.lo + off_w);
                        for (int64_t ow = cols.lo; ow < cols.hi; ++ow) d[ow - cols.lo] += src[ow];
                    } else {
                        const int64_t sw = s.stride_w;
                        for (int64_t ow = cols.lo; ow < cols.hi; ++ow) row[ow * sw + off_w] += src[ow];
                    }
                }
            }
        }
    }
}

template void im2col<float>(const Conv2dShape&, int64_t, const float*, int64_t, int64_t, float*,
                            int64_t);
template void im2col<double>(const Conv2dShape&, int64_t, const double*, int64_t, int64_t, double*,
                             int64_t);
template void col2im<float>(const Conv2dShape&, int64_t, const float*, int64_t, int64_t, float*,
                            int64_t);
template void col2im<double>(const Conv2dShape&, int64_t, const double*, int64_t, int64_t,
                             double*, int64_t);

}  // namespace ng::cpu::conv_detail
