// Direct convolution for stride 1, as an implicit GEMM over a padded copy of the input.
//
// WHY: im2col makes a copy of the input per kernel tap (K = c_in*kh*kw column rows) and the GEMM
// then packs that copy again. When c_out is small (LeNet: 6 or 16) each copied value feeds only
// c_out multiply-adds, so the copies cost as much as the arithmetic; for ResNet layers they are a
// steady 15-25% on top of it. Here the input of one image is copied once, with its zero padding,
// into planes of hp x wp (hp = h + 2*pad_h, wp = w + 2*pad_w). Output pixels are numbered along
// the padded width, j = oh*wp + ow, and then the input value of tap (ci, ki, kj) for pixel j is
// xpad[off(ci, ki, kj) + j] with off = ci*hp*wp + ki*dil_h*wp + kj*dil_w: for 16 consecutive
// pixels it is 16 consecutive floats, whatever the row boundaries. So the GEMM micro-kernel runs
// unchanged except that its B operand is read at a per-tap offset instead of from a packed panel.
// The price is the (wp - w_out) columns at the end of each row, computed and thrown away (3% for
// ResNet's 56x56, 12% for LeNet conv1's 28x28).
//
// Determinism: every output value is one tile-kernel sum over all taps in tap order, whichever
// thread or work item computes it, so results are bit-identical for any thread count.
#include "cpu/conv2d_direct.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/parallel.h"

namespace ng::cpu::conv_detail {
namespace {

constexpr int64_t kMR = 6, kNR = 16;
// Forward: 16-pixel panels handled per pass over the weight panels. Interleaved 1-thread runs
// on ResNet's 56x56x64 layer showed 1 (weight panels innermost) slower than 4..64, which could
// not be told apart on the shared machine; 16 keeps the group's taps (~150 KB) well inside L2.
constexpr int64_t kPanelGroup = 16;

template <class T>
void tile_generic(int64_t kc, const T* a, const T* xb, const int64_t* off, T* tile) {
    T acc[kMR][kNR] = {};
    for (int64_t k = 0; k < kc; ++k, a += kMR) {
        const T* b = xb + off[k];
        for (int r = 0; r < kMR; ++r)
            for (int l = 0; l < kNR; ++l) acc[r][l] += a[r] * b[l];
    }
    for (int r = 0; r < kMR; ++r)
        for (int l = 0; l < kNR; ++l) tile[r * kNR + l] = acc[r][l];
}

template <class T>
void run_tile(bool avx2, int64_t kc, const T* a, const T* xb, const int64_t* off, T* tile) {
    if constexpr (std::is_same_v<T, float>) {
        if (avx2) {
            direct_tile_f32_avx2(kc, a, xb, off, tile);
            return;
        }
    }
    (void)avx2;
    tile_generic(kc, a, xb, off, tile);
}

template <class T>
void wgrad_tile_generic(int64_t count, const T* const* rows, const T* gyt, T* tile) {
    T acc[kMR][kNR] = {};
    for (int64_t j = 0; j < count; ++j)
        for (int r = 0; r < kMR; ++r)
            for (int c = 0; c < kNR; ++c) acc[r][c] += rows[r][j] * gyt[j * kNR + c];
    for (int r = 0; r < kMR; ++r)
        for (int c = 0; c < kNR; ++c) tile[r * kNR + c] = acc[r][c];
}

template <class T>
void run_wgrad_tile(bool avx2, int64_t count, const T* const* rows, const T* gyt, T* tile) {
    if constexpr (std::is_same_v<T, float>) {
        if (avx2) {
            direct_wgrad_tile_f32_avx2(count, rows, gyt, tile);
            return;
        }
    }
    (void)avx2;
    wgrad_tile_generic(count, rows, gyt, tile);
}

// Geometry shared by the forward and weight-gradient passes.
struct Padded {
    int64_t cg, cog, K, hp, wp, plane, J;
    size_t elems;  // cg planes plus the read slack of the last forward panel
};

Padded padded_of(const Conv2dShape& s) {
    Padded p{};
    p.cg = s.c_in / s.groups;
    p.cog = s.c_out / s.groups;
    p.K = p.cg * s.kh * s.kw;
    p.hp = s.h + 2 * s.pad_h;
    p.wp = s.w + 2 * s.pad_w;
    p.plane = p.hp * p.wp;
    // Pixels along the padded width up to the last real one.
    p.J = (s.h_out - 1) * p.wp + s.w_out;
    // The last forward panel reads at most 15 values past the last plane: the largest index is
    // (cg-1)*plane + (kh-1)*dh*wp + (kw-1)*dw + 16*panels - 1 <= cg*plane + 14, because
    // (kh-1)*dh = hp - h_out and (kw-1)*dw = wp - w_out for stride 1.
    p.elems = static_cast<size_t>(p.cg * p.plane + kNR);
    return p;
}

std::vector<int64_t> tap_offsets(const Conv2dShape& s, const Padded& p) {
    std::vector<int64_t> off(static_cast<size_t>(std::max<int64_t>(p.K, 1)));
    for (int64_t ci = 0; ci < p.cg; ++ci)
        for (int64_t ki = 0; ki < s.kh; ++ki)
            for (int64_t kj = 0; kj < s.kw; ++kj)
                off[static_cast<size_t>((ci * s.kh + ki) * s.kw + kj)] =
                    ci * p.plane + ki * s.dil_h * p.wp + kj * s.dil_w;
    return off;
}

// Copies the planes of group g of image i into the zero-padded layout.
template <class T>
void load_padded(const Conv2dShape& s, const Padded& p, const T* x, int64_t i, int64_t g, T* xpad) {
    const T* xg = x + (i * s.c_in + g * p.cg) * s.h * s.w;
    std::fill(xpad, xpad + p.elems, T(0));
    for (int64_t ci = 0; ci < p.cg; ++ci)
        for (int64_t ih = 0; ih < s.h; ++ih)
            std::copy(xg + (ci * s.h + ih) * s.w, xg + (ci * s.h + ih + 1) * s.w,
                      xpad + ci * p.plane + (ih + s.pad_h) * p.wp + s.pad_w);
}

// Per-thread buffers, grown on demand and kept between calls.
template <class T, int Slot = 0>
T* pad_scratch(size_t count) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < count) {
        buffer.clear();
        buffer.shrink_to_fit();
        buffer.resize(count);
    }
    return buffer.data();
}

}  // namespace

bool direct_applies(const Conv2dShape& s) { return s.stride_h == 1 && s.stride_w == 1; }

template <class T>
void direct_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
    const int64_t P = s.h_out * s.w_out;
    if (s.n == 0 || s.c_out == 0 || P == 0) return;
    const Padded pd = padded_of(s);
    const int64_t cog = pd.cog, K = pd.K, wp = pd.wp, J = pd.J;
    const int64_t panels = (J + kNR - 1) / kNR;
    const int64_t m_panels = (cog + kMR - 1) / kMR;
    const std::vector<int64_t> off = tap_offsets(s, pd);
    // Weights packed once per call as 6-row panels (zero rows past c_out/groups), shared read-only.
    std::vector<T> apack(static_cast<size_t>(s.groups * m_panels * K * kMR), T(0));
    for (int64_t g = 0; g < s.groups; ++g)
        for (int64_t co = 0; co < cog; ++co) {
            const T* src = w + (g * cog + co) * K;
            T* dst = apack.data() + ((g * m_panels + co / kMR) * K) * kMR + co % kMR;
            for (int64_t k = 0; k < K; ++k) dst[k * kMR] = src[k];
        }

    // Work items are (image, group, part of the panels). With few images the panels are split so
    // that every thread has work; the split does not change any value (see the note above).
    const int64_t images = s.n * s.groups;
    const int64_t parts = std::min<int64_t>(panels, images >= 8 ? 1 : (8 + images - 1) / images);
    const bool avx2 = std::is_same_v<T, float> && active_isa() == Isa::Avx2;
    parallel_for(0, images * parts, 1, [&](int64_t t0, int64_t t1) {
        T* xpad = pad_scratch<T>(pd.elems);
        int64_t loaded = -1;
        T tile[kMR * kNR];
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t ig = t / parts, part = t % parts;
            const int64_t i = ig / s.groups, g = ig % s.groups;
            if (ig != loaded) {
                load_padded(s, pd, x, i, g, xpad);
                loaded = ig;
            }
            const int64_t q0 = panels * part / parts, q1 = panels * (part + 1) / parts;
            T* yg = y + (i * s.c_out + g * cog) * P;
            const T* ag = apack.data() + g * m_panels * K * kMR;
            // A group of panels per weight panel: the weight panel (6 x K) stays in L1 while
            // the group's input taps (a few rows of every channel) are reused from L2 by all
            // weight panels.
            for (int64_t qb = q0; qb < q1; qb += kPanelGroup)
                for (int64_t pm = 0; pm < m_panels; ++pm)
                    for (int64_t q = qb; q < std::min(q1, qb + kPanelGroup); ++q) {
                        const int64_t j0 = q * kNR, j1 = std::min(J, j0 + kNR);
                        run_tile(avx2, K, ag + pm * K * kMR, xpad + j0, off.data(), tile);
                        const int64_t rows = std::min(kMR, cog - pm * kMR);
                        // Scatter the lanes that are real output pixels (ow < w_out) row-run by
                        // row-run, adding the bias.
                        for (int64_t j = j0; j < j1;) {
                            const int64_t oh = j / wp, ow = j % wp;
                            const int64_t run = std::min(j1 - j, wp - ow);
                            const int64_t valid = ow < s.w_out ? std::min(run, s.w_out - ow) : 0;
                            for (int64_t r = 0; r < rows; ++r) {
                                const int64_t co = pm * kMR + r;
                                const T bv = bias ? bias[g * cog + co] : T(0);
                                const T* src = tile + r * kNR + (j - j0);
                                T* dst = yg + co * P + oh * s.w_out + ow;
                                for (int64_t l = 0; l < valid; ++l) dst[l] = src[l] + bv;
                            }
                            j += run;
                        }
                    }
        }
    });
}

// Weight gradient, same padded layout: gw[co][tap] = sum over pixels j of gy[co][j] *
// xpad[off(tap) + j], with gy laid out along the padded width and zero in the thrown-away
// columns (so they add exact zeros; an infinite input value there would add a NaN, but such a
// value reaches real pixels' products too). Tiles are 6 taps x 16 output channels: the 6 tap rows
// are read straight from the padded input (broadcasts need no packing) and gy is transposed to
// 16 channels per pixel once per image, a copy of 1/K of the work.
template <class T>
void direct_weight_grad(const Conv2dShape& s, const T* gy, const T* x, int64_t first, int64_t last,
                        T* out) {
    const Padded pd = padded_of(s);
    const int64_t cog = pd.cog, K = pd.K, J = pd.J, P = s.h_out * s.w_out;
    const int64_t t_panels = (K + kMR - 1) / kMR, c_panels = (cog + kNR - 1) / kNR;
    const std::vector<int64_t> off = tap_offsets(s, pd);
    const bool avx2 = std::is_same_v<T, float> && active_isa() == Isa::Avx2;
    T* xpad = pad_scratch<T>(pd.elems);
    // 64-byte aligned start for the aligned loads of the AVX2 kernel.
    const size_t gyt_elems = static_cast<size_t>(c_panels * J * kNR);
    T* gyt_raw = pad_scratch<T, 1>(gyt_elems + 64 / sizeof(T));
    T* gyt = gyt_raw;
    while (reinterpret_cast<uintptr_t>(gyt) % 64 != 0) ++gyt;
    std::vector<T> acc(static_cast<size_t>(K * cog));  // [tap][co]
    T tile[kMR * kNR];
    const T* rows[kMR];
    for (int64_t g = 0; g < s.groups; ++g) {
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t i = first; i < last; ++i) {
            load_padded(s, pd, x, i, g, xpad);
            std::fill(gyt, gyt + gyt_elems, T(0));
            const T* gyg = gy + (i * s.c_out + g * cog) * P;
            for (int64_t co = 0; co < cog; ++co) {
                T* dst = gyt + (co / kNR) * J * kNR + co % kNR;
                for (int64_t oh = 0; oh < s.h_out; ++oh)
                    for (int64_t ow = 0; ow < s.w_out; ++ow)
                        dst[(oh * pd.wp + ow) * kNR] = gyg[co * P + oh * s.w_out + ow];
            }
            for (int64_t cp = 0; cp < c_panels; ++cp) {
                const int64_t cols = std::min(kNR, cog - cp * kNR);
                for (int64_t tp = 0; tp < t_panels; ++tp) {
                    const int64_t taps = std::min(kMR, K - tp * kMR);
                    // Rows past the last tap repeat it; their results are dropped.
                    for (int64_t r = 0; r < kMR; ++r)
                        rows[r] = xpad + off[static_cast<size_t>(tp * kMR + std::min(r, taps - 1))];
                    run_wgrad_tile(avx2, J, rows, gyt + cp * J * kNR, tile);
                    for (int64_t r = 0; r < taps; ++r) {
                        T* a = acc.data() + (tp * kMR + r) * cog + cp * kNR;
                        for (int64_t c = 0; c < cols; ++c) a[c] += tile[r * kNR + c];
                    }
                }
            }
        }
        for (int64_t co = 0; co < cog; ++co)
            for (int64_t k = 0; k < K; ++k)
                out[(g * cog + co) * K + k] = acc[static_cast<size_t>(k * cog + co)];
    }
}

template void direct_forward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                    float*);
template void direct_forward<double>(const Conv2dShape&, const double*, const double*,
                                     const double*, double*);
template void direct_weight_grad<float>(const Conv2dShape&, const float*, const float*, int64_t,
                                        int64_t, float*);
template void direct_weight_grad<double>(const Conv2dShape&, const double*, const double*, int64_t,
                                         int64_t, double*);

}  // namespace ng::cpu::conv_detail
