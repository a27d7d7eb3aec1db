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
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "cpu/thread_scratch.h"

namespace ng::cpu::conv_detail {
namespace {

constexpr int64_t kMR = 6, kNR = 16;
constexpr int64_t kDotLanes = 8;  // lanes of the weight-gradient dot products
// Forward: 16-pixel panels handled per pass over the weight panels. Interleaved 1-thread runs
// on ResNet's 56x56x64 layer showed 1 (weight panels innermost) slower than 4..64, which could
// not be told apart on the shared machine; 16 keeps the group's taps (~150 KB) well inside L2.
constexpr int64_t kPanelGroup = 16;

// dst[0, n) = src[0, n) for the short rows these kernels move (LeNet: 10-28 values, ~30K rows a
// training step). std::copy becomes a libc memmove call whose dispatch costs more than moving so
// few bytes; fixed-size memcpy blocks compile to inline vector moves. Long rows go to std::copy.
template <class T>
inline void copy_row(const T* src, int64_t n, T* dst) {
    constexpr int64_t kBlock = 32 / sizeof(T);
    if (n > 8 * kBlock) {
        std::copy(src, src + n, dst);
        return;
    }
    if (n < kBlock) {
        for (int64_t j = 0; j < n; ++j) dst[j] = src[j];
        return;
    }
    int64_t j = 0;
    for (; j + kBlock <= n; j += kBlock) std::memcpy(dst + j, src + j, kBlock * sizeof(T));
    // The ragged end as one more block ending at n, overlapping values already copied (the
    // source and destination rows never overlap each other).
    if (j < n) std::memcpy(dst + n - kBlock, src + n - kBlock, kBlock * sizeof(T));
}

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
void wgrad_tile_generic(int64_t h_out, int64_t w_out, int64_t wp, const T* const* rows,
                        const T* gyt, T* tile) {
    T acc[kMR][kNR] = {};
    for (int64_t oh = 0; oh < h_out; ++oh)
        for (int64_t ow = 0; ow < w_out; ++ow) {
            const T* g = gyt + (oh * w_out + ow) * kNR;
            for (int r = 0; r < kMR; ++r)
                for (int c = 0; c < kNR; ++c) acc[r][c] += rows[r][oh * wp + ow] * g[c];
        }
    for (int r = 0; r < kMR; ++r)
        for (int c = 0; c < kNR; ++c) tile[r * kNR + c] = acc[r][c];
}

template <class T>
void run_wgrad_tile(bool avx2, int64_t h_out, int64_t w_out, int64_t wp, const T* const* rows,
                    const T* gyt, T* tile) {
    if constexpr (std::is_same_v<T, float>) {
        if (avx2) {
            direct_wgrad_tile_f32_avx2(h_out, w_out, wp, rows, gyt, tile);
            return;
        }
    }
    (void)avx2;
    wgrad_tile_generic(h_out, w_out, wp, rows, gyt, tile);
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

// Copies the planes of group g of image i into the padded layout. Only the interior is written:
// the caller zero-fills the buffer once (prepared_padded), and since every image of a call has
// the same geometry the borders and the slack stay zero.
template <class T>
void load_padded(const Conv2dShape& s, const Padded& p, const T* x, int64_t i, int64_t g, T* xpad) {
    const T* xg = x + (i * s.c_in + g * p.cg) * s.h * s.w;
    for (int64_t ci = 0; ci < p.cg; ++ci)
        for (int64_t ih = 0; ih < s.h; ++ih)
            copy_row(xg + (ci * s.h + ih) * s.w, s.w, xpad + ci * p.plane + (ih + s.pad_h) * p.wp + s.pad_w);
}

// Per-thread buffers (cpu/thread_scratch.h, this file's slots are 10-19).
template <class T, int Slot = 0>
T* pad_scratch(size_t count) {
    static_assert(Slot >= 0 && Slot < 10, "conv2d_direct.cpp owns thread_scratch slots 10-19");
    return thread_scratch<T, 10 + Slot>(count);
}

// Ids of direct_forward calls, so that each thread zero-fills its padded buffer once per call
// rather than once per image (a memset of the whole buffer per image cost as much as the copy).
uint64_t next_call_id() {
    static std::atomic<uint64_t> id{0};
    return id.fetch_add(1, std::memory_order_relaxed) + 1;
}

// The thread's padded-input buffer, zero-filled on its first use in call `call`.
template <class T>
T* prepared_padded(size_t elems, uint64_t call) {
    thread_local uint64_t prepared = 0;
    T* buf = pad_scratch<T>(elems);
    if (prepared != call) {
        std::fill(buf, buf + elems, T(0));
        prepared = call;
    }
    return buf;
}

template <class T>
void tile_t_generic(int64_t kc, const T* const* rows, const int64_t* off, const T* b, T* tile) {
    T acc[kMR][kNR] = {};
    for (int64_t k = 0; k < kc; ++k, b += kNR)
        for (int r = 0; r < kMR; ++r) {
            const T a = rows[r][off[k]];
            for (int l = 0; l < kNR; ++l) acc[r][l] += a * b[l];
        }
    for (int r = 0; r < kMR; ++r)
        for (int l = 0; l < kNR; ++l) tile[r * kNR + l] = acc[r][l];
}

// Forward tiles the other way round: 16 output channels (lanes) x 6 real output pixels. The
// pixel-lane tiles run along the padded width, so for small images with few channels most of a
// tile can be thrown-away columns and padding rows (LeNet conv2, 10x10 outputs in rows of 14,
// 16 channels in 3 panels of 6: 100 of 162 useful lanes x 16); here only the last tile of an
// image has idle pixels. The weights of a 16-channel panel (K x 16) must stay in L1 for it to
// pay, so it is used only for short K (see channel_tiles_pay).
bool channel_tiles_pay(const Conv2dShape& s, const Padded& pd, size_t elem_size) {
    const int64_t P = s.h_out * s.w_out;
    const int64_t pixel_lane = ((pd.cog + kMR - 1) / kMR) * kMR * ((pd.J + kNR - 1) / kNR) * kNR;
    const int64_t channel_lane = ((pd.cog + kNR - 1) / kNR) * kNR * ((P + kMR - 1) / kMR) * kMR;
    // The 6 x 16 result is scattered transposed, hence the 10% margin.
    return pd.K * kNR * static_cast<int64_t>(elem_size) <= 16 * 1024 &&
           channel_lane * 11 < pixel_lane * 10;
}

template <class T>
void direct_forward_channel_tiles(const Conv2dShape& s, const Padded& pd, const T* x, const T* w,
                                  const T* bias, T* y) {
    const int64_t P = s.h_out * s.w_out;
    const int64_t cog = pd.cog, K = pd.K;
    const int64_t c_panels = (cog + kNR - 1) / kNR, tiles = (P + kMR - 1) / kMR;
    const std::vector<int64_t> off = tap_offsets(s, pd);
    // Weights packed once per call as [group][channel panel][k][16] (zero past c_out/groups).
    std::vector<T> bpack(static_cast<size_t>(s.groups * c_panels * K * kNR), T(0));
    for (int64_t g = 0; g < s.groups; ++g)
        for (int64_t co = 0; co < cog; ++co) {
            const T* src = w + (g * cog + co) * K;
            T* dst = bpack.data() + ((g * c_panels + co / kNR) * K) * kNR + co % kNR;
            for (int64_t k = 0; k < K; ++k) dst[k * kNR] = src[k];
        }
    // Padded-input position of each real output pixel.
    std::vector<int64_t> pix(static_cast<size_t>(P));
    for (int64_t p = 0; p < P; ++p) pix[static_cast<size_t>(p)] = (p / s.w_out) * pd.wp + p % s.w_out;
    const int64_t images = s.n * s.groups;
    const int64_t parts = std::min<int64_t>(tiles, images >= 8 ? 1 : (8 + images - 1) / images);
    const bool avx2 = std::is_same_v<T, float> && uses_avx2(active_isa());
    const uint64_t call = next_call_id();
    parallel_for(0, images * parts, 1, [&](int64_t t0, int64_t t1) {
        T* xpad = prepared_padded<T>(pd.elems, call);
        int64_t loaded = -1;
        T tile[kMR * kNR];
        const T* rows[kMR];
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t ig = t / parts, part = t % parts;
            const int64_t i = ig / s.groups, g = ig % s.groups;
            if (ig != loaded) {
                load_padded(s, pd, x, i, g, xpad);
                loaded = ig;
            }
            const int64_t q0 = tiles * part / parts, q1 = tiles * (part + 1) / parts;
            T* yg = y + (i * s.c_out + g * cog) * P;
            for (int64_t cp = 0; cp < c_panels; ++cp) {
                const T* bp = bpack.data() + (g * c_panels + cp) * K * kNR;
                const int64_t cols = std::min(kNR, cog - cp * kNR);
                for (int64_t q = q0; q < q1; ++q) {
                    const int64_t p0 = q * kMR, count = std::min(kMR, P - p0);
                    // Pixels past the last one repeat it; their results are dropped.
                    for (int64_t r = 0; r < kMR; ++r)
                        rows[r] = xpad + pix[static_cast<size_t>(p0 + std::min(r, count - 1))];
                    bool done = false;
                    if constexpr (std::is_same_v<T, float>) {
                        if (avx2) {
                            direct_tile_t_f32_avx2(K, rows, off.data(), bp, tile);
                            done = true;
                        }
                    }
                    if (!done) tile_t_generic(K, rows, off.data(), bp, tile);
                    for (int64_t c = 0; c < cols; ++c) {
                        const int64_t co = cp * kNR + c;
                        const T bv = bias ? bias[g * cog + co] : T(0);
                        T* dst = yg + co * P + p0;
                        for (int64_t r = 0; r < count; ++r) dst[r] = tile[r * kNR + c] + bv;
                    }
                }
            }
        }
    });
}

}  // namespace

bool direct_applies(const Conv2dShape& s) { return s.stride_h == 1 && s.stride_w == 1; }

template <class T>
void direct_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
    const int64_t P = s.h_out * s.w_out;
    if (s.n == 0 || s.c_out == 0 || P == 0) return;
    const Padded pd = padded_of(s);
    if (channel_tiles_pay(s, pd, sizeof(T))) {
        direct_forward_channel_tiles(s, pd, x, w, bias, y);
        return;
    }
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
    const bool avx2 = std::is_same_v<T, float> && uses_avx2(active_isa());
    const uint64_t call = next_call_id();
    parallel_for(0, images * parts, 1, [&](int64_t t0, int64_t t1) {
        T* xpad = prepared_padded<T>(pd.elems, call);
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

// Weight gradient, same padded layout: gw[co][tap] = sum over output pixels (oh, ow) of
// gy[co][oh][ow] * xpad[off(tap) + oh*wp + ow]. Tiles are 6 taps x 16 output channels: the 6 tap
// rows are read straight from the padded input (broadcasts need no packing) and gy is transposed
// to 16 channels per pixel once per image, a copy of 1/K of the work. The tile walks the output
// row by row, so the padded width's thrown-away columns cost nothing (LeNet conv2: 100 pixels
// per image instead of 136 along the padded width).
template <class T>
void direct_weight_grad(const Conv2dShape& s, const T* gy, const T* x, int64_t first, int64_t last,
                        T* out) {
    const Padded pd = padded_of(s);
    const int64_t cog = pd.cog, K = pd.K, P = s.h_out * s.w_out;
    const int64_t t_panels = (K + kMR - 1) / kMR, c_panels = (cog + kNR - 1) / kNR;
    const std::vector<int64_t> off = tap_offsets(s, pd);
    const bool avx2 = std::is_same_v<T, float> && uses_avx2(active_isa());
    T* xpad = prepared_padded<T>(pd.elems, next_call_id());
    // 64-byte aligned start for the aligned loads of the AVX2 kernel.
    const size_t gyt_elems = static_cast<size_t>(c_panels * P * kNR);
    T* gyt_raw = pad_scratch<T, 1>(gyt_elems + 64 / sizeof(T));
    T* gyt = gyt_raw;
    while (reinterpret_cast<uintptr_t>(gyt) % 64 != 0) ++gyt;
    // Zero once: each image rewrites the same (pixel, real channel) slots, so the channels past
    // c_out/groups stay zero.
    std::fill(gyt, gyt + gyt_elems, T(0));
    std::vector<T> acc(static_cast<size_t>(K * cog));  // [tap][co]
    T tile[kMR * kNR];
    const T* rows[kMR];
    for (int64_t g = 0; g < s.groups; ++g) {
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t i = first; i < last; ++i) {
            load_padded(s, pd, x, i, g, xpad);
            const T* gyg = gy + (i * s.c_out + g * cog) * P;
            for (int64_t co = 0; co < cog; ++co) {
                T* dst = gyt + (co / kNR) * P * kNR + co % kNR;
                for (int64_t p = 0; p < P; ++p) dst[p * kNR] = gyg[co * P + p];
            }
            for (int64_t cp = 0; cp < c_panels; ++cp) {
                const int64_t cols = std::min(kNR, cog - cp * kNR);
                for (int64_t tp = 0; tp < t_panels; ++tp) {
                    const int64_t taps = std::min(kMR, K - tp * kMR);
                    // Rows past the last tap repeat it; their results are dropped.
                    for (int64_t r = 0; r < kMR; ++r)
                        rows[r] = xpad + off[static_cast<size_t>(tp * kMR + std::min(r, taps - 1))];
                    run_wgrad_tile(avx2, s.h_out, s.w_out, pd.wp, rows, gyt + cp * P * kNR, tile);
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

// Weight gradient for few output channels per group (LeNet conv1: 6). gw[co][tap] is the dot
// product over pixels j of gy[co][j] and xpad[off(tap) + j], with gy laid out along the padded
// width as above (zero in the thrown-away columns). Tiles are 6 channels x 2 taps of 8-lane
// partial sums, so both operands are plain vector loads and each loaded vector feeds 2 (gy) or 6
// (input) FMAs. The lanes run over all images of [first, last) before they are added in a fixed
// tree, so the result depends only on the range. This replaces im2col + GEMM there, which copied
// the input kh*kw times to feed only c_out multiply-adds per copied value.
template <class T>
void wgrad_dot_generic(int64_t count, const T* const* g, const T* x0, const T* x1, T* acc) {
    for (int64_t j = 0; j < count; j += kDotLanes)
        for (int r = 0; r < kMR; ++r)
            for (int l = 0; l < kDotLanes; ++l) {
                acc[(r * 2) * kDotLanes + l] += g[r][j + l] * x0[j + l];
                acc[(r * 2 + 1) * kDotLanes + l] += g[r][j + l] * x1[j + l];
            }
}

template <class T>
void direct_weight_grad_dot(const Conv2dShape& s, const T* gy, const T* x, int64_t first,
                            int64_t last, T* out) {
    const Padded pd = padded_of(s);
    const int64_t cog = pd.cog, K = pd.K, P = s.h_out * s.w_out;
    // Pixels rounded up to whole lanes; the extra ones read gy zeros (and at most 7 values of
    // the buffer's slack past the last real pixel, see padded_of).
    const int64_t J8 = (pd.J + kDotLanes - 1) / kDotLanes * kDotLanes;
    const int64_t r_panels = (cog + kMR - 1) / kMR, t_pairs = (K + 1) / 2;
    constexpr int64_t kTile = kMR * 2 * kDotLanes;
    const std::vector<int64_t> off = tap_offsets(s, pd);
    const bool avx2 = std::is_same_v<T, float> && uses_avx2(active_isa());
    T* xpad = prepared_padded<T>(pd.elems, next_call_id());
    // Zeroed once: every image rewrites the same real-pixel slots.
    T* gyw = pad_scratch<T, 1>(static_cast<size_t>(cog * J8));
    std::fill(gyw, gyw + cog * J8, T(0));
    std::vector<T> acc(static_cast<size_t>(r_panels * t_pairs * kTile));
    const T* rows[kMR];
    for (int64_t g = 0; g < s.groups; ++g) {
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t i = first; i < last; ++i) {
            load_padded(s, pd, x, i, g, xpad);
            const T* gyg = gy + (i * s.c_out + g * cog) * P;
            for (int64_t co = 0; co < cog; ++co)
                for (int64_t oh = 0; oh < s.h_out; ++oh)
                    copy_row(gyg + co * P + oh * s.w_out, s.w_out, gyw + co * J8 + oh * pd.wp);
            for (int64_t rp = 0; rp < r_panels; ++rp) {
                // Rows past the last channel repeat it; their sums are dropped.
                for (int64_t r = 0; r < kMR; ++r)
                    rows[r] = gyw + std::min(rp * kMR + r, cog - 1) * J8;
                for (int64_t tp = 0; tp < t_pairs; ++tp) {
                    const T* x0 = xpad + off[static_cast<size_t>(2 * tp)];
                    const T* x1 = xpad + off[static_cast<size_t>(std::min(2 * tp + 1, K - 1))];
                    T* a = acc.data() + (rp * t_pairs + tp) * kTile;
                    if constexpr (std::is_same_v<T, float>) {
                        if (avx2) {
                            direct_wgrad_dot_f32_avx2(J8, rows, x0, x1, a);
                            continue;
                        }
                    }
                    wgrad_dot_generic(J8, rows, x0, x1, a);
                }
            }
        }
        for (int64_t co = 0; co < cog; ++co)
            for (int64_t k = 0; k < K; ++k) {
                const int64_t rp = co / kMR, tp = k / 2;
                const T* l = acc.data() + (rp * t_pairs + tp) * kTile +
                             ((co % kMR) * 2 + k % 2) * kDotLanes;
                out[(g * cog + co) * K + k] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
            }
    }
}

// Input gradient for stride 1, one kernel row at a time. With gy laid out along the padded width
// (j = oh*wp + ow, zero in the thrown-away columns), kernel row kh adds to the padded gradient
//   gxpad[ci][kh*dil_h*wp + x] += sum over (co, kw) of w[co][ci][kh][kw] * gy[co][x - kw*dil_w]
// for x < J + (kw-1)*dil_w = h_out*wp. Where x - kw*dil_w falls before a row's start it reads the
// previous row's thrown-away columns, which are zero, so the wrap-around adds nothing. Each
// 6 x 16 register tile (6 input channels x 16 positions x) sums over co*kw products and adds its
// rows, which lie in 6 different channel planes, straight into the padded gradient: no column
// matrix, no packing of gy, no col2im pass, and gy (16 x 148 floats for LeNet conv2), the padded
// gradient and the weights of one image all stay in L1. The GEMM on the padded width that this
// replaced summed over co alone (K = 16, the tile's start and end a large share of its time) and
// went through a 650 KB column block (see SCHEME in conv2d.cpp for the figures).
// The thrown-away columns hold exact zeros (a finite weight times 0); a non-finite weight would
// spread its NaN a little further than the real products, which already carry it. Each gx element
// receives its kernel rows in order, each a sum over (co, kw) in order, whatever thread computes
// the image: bit-identical for any thread count.
template <class T>
void direct_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
    const Padded pd = padded_of(s);
    const int64_t cg = pd.cg, cog = pd.cog, P = s.h_out * s.w_out;
    const int64_t taps = s.kh * s.kw, kc = cog * s.kw;
    const int64_t lead = (s.kw - 1) * s.dil_w;  // zeros before row 0 for the reads at x - kw*dil_w
    const int64_t X = s.h_out * pd.wp;           // positions x per kernel row
    const int64_t panels = (X + kNR - 1) / kNR;
    const int64_t ldg = lead + panels * kNR;     // gy row stride: every read of a panel in its row
    const int64_t c_panels = (cg + kMR - 1) / kMR;
    // Weights apack[g][kh][cp][co*kw + kw][r] = w[g*cog + co][cp*6 + r][kh][kw], zero past cg.
    std::vector<T> apack(static_cast<size_t>(s.groups * s.kh * c_panels * kc * kMR), T(0));
    for (int64_t g = 0; g < s.groups; ++g)
        for (int64_t ki = 0; ki < s.kh; ++ki)
            for (int64_t ci = 0; ci < cg; ++ci)
                for (int64_t co = 0; co < cog; ++co)
                    for (int64_t kj = 0; kj < s.kw; ++kj)
                        apack[static_cast<size_t>((((g * s.kh + ki) * c_panels + ci / kMR) * kc + co * s.kw + kj) * kMR + ci % kMR)] =
                            w[((g * cog + co) * cg + ci) * taps + ki * s.kw + kj];
    std::vector<int64_t> off(static_cast<size_t>(std::max<int64_t>(kc, 1)));
    for (int64_t co = 0; co < cog; ++co)
        for (int64_t kj = 0; kj < s.kw; ++kj)
            off[static_cast<size_t>(co * s.kw + kj)] = lead + co * ldg - kj * s.dil_w;
    const bool avx2 = std::is_same_v<T, float> && uses_avx2(active_isa());
    parallel_for(0, s.n * s.groups, 1, [&](int64_t t0, int64_t t1) {
        T* gyw = pad_scratch<T, 3>(static_cast<size_t>(cog * ldg + kNR));
        T* gxpad = pad_scratch<T, 4>(pd.elems);
        // Rows of a channel panel past cg add their (zero) products here.
        T* sink = pad_scratch<T, 5>(static_cast<size_t>(panels * kNR));
        // The lead, the thrown-away columns and the tail of every row are zeroed here and never
        // written again.
        std::fill(gyw, gyw + cog * ldg + kNR, T(0));
        T* dst[kMR];
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / s.groups, g = t % s.groups;
            const T* gyg = gy + (i * s.c_out + g * cog) * P;
            for (int64_t co = 0; co < cog; ++co)
                for (int64_t oh = 0; oh < s.h_out; ++oh)
                    copy_row(gyg + co * P + oh * s.w_out, s.w_out, gyw + lead + co * ldg + oh * pd.wp);
            std::fill(gxpad, gxpad + pd.elems, T(0));
            for (int64_t ki = 0; ki < s.kh; ++ki)
                for (int64_t cp = 0; cp < c_panels; ++cp) {
                    const T* a = apack.data() + ((g * s.kh + ki) * c_panels + cp) * kc * kMR;
                    // The last panel ends at most 15 values past h_out*wp, which for the last
                    // kernel row and channel is the end of the planes: inside the buffer's slack.
                    for (int64_t r = 0; r < kMR; ++r) {
                        const int64_t ci = cp * kMR + r;
                        dst[r] = ci < cg ? gxpad + ci * pd.plane + ki * s.dil_h * pd.wp : sink;
                    }
                    for (int64_t q = 0; q < panels; ++q) {
                        if constexpr (std::is_same_v<T, float>) {
                            if (avx2) {
                                direct_tile_add_f32_avx2(kc, a, gyw + q * kNR, off.data(), dst, q * kNR);
                                continue;
                            }
                        }
                        T tile[kMR * kNR];
                        tile_generic(kc, a, gyw + q * kNR, off.data(), tile);
                        for (int64_t r = 0; r < kMR; ++r)
                            for (int64_t l = 0; l < kNR; ++l) dst[r][q * kNR + l] += tile[r * kNR + l];
                    }
                }
            T* gxg = gx + (i * s.c_in + g * cg) * s.h * s.w;
            for (int64_t ci = 0; ci < cg; ++ci)
                for (int64_t ih = 0; ih < s.h; ++ih) {
                    const T* src = gxpad + ci * pd.plane + (ih + s.pad_h) * pd.wp + s.pad_w;
                    copy_row(src, s.w, gxg + (ci * s.h + ih) * s.w);
                }
        }
    });
}

template void direct_forward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                    float*);
template void direct_forward<double>(const Conv2dShape&, const double*, const double*,
                                     const double*, double*);
template void direct_weight_grad<float>(const Conv2dShape&, const float*, const float*, int64_t,
                                        int64_t, float*);
template void direct_weight_grad<double>(const Conv2dShape&, const double*, const double*, int64_t,
                                         int64_t, double*);
template void direct_backward_input<float>(const Conv2dShape&, const float*, const float*, float*);
template void direct_backward_input<double>(const Conv2dShape&, const double*, const double*,
                                            double*);
template void direct_weight_grad_dot<float>(const Conv2dShape&, const float*, const float*, int64_t,
                                            int64_t, float*);
template void direct_weight_grad_dot<double>(const Conv2dShape&, const double*, const double*,
                                             int64_t, int64_t, double*);

}  // namespace ng::cpu::conv_detail
