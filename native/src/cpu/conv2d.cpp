// 2-D convolution (NCHW), forward and the three gradients: direct kernels for stride 1,
// im2col + GEMM otherwise.
//
// SCHEME, and why (measured on the target shapes, see benchmarks/native/conv_pool_bench.cpp):
// * Stride 1 (every target layer): conv2d_direct.cpp. The image is copied once into a zero-padded
//   layout and a GEMM-style register-blocked tile kernel reads each tap's pixels straight from
//   it, so there is no column matrix and no B packing. im2col + GEMM copies every input value
//   c_in*k^2 times and packs the copy again; with few output channels (LeNet: 6, 16) each copy
//   feeds only that many multiply-adds and the copies cost as much as the arithmetic (forward
//   LeNet conv1 0.46 -> 0.24 ms, conv2 0.78 -> 0.49 ms on one thread).
//     - forward: always (pointwise 1x1 convolutions stay a plain GEMM on the input planes).
//       Tiles are 6 output channels x 16 pixels along the padded width, or, when that leaves
//       most lanes idle (LeNet conv2: 16 channels, 10x10 outputs in rows of 14), 16 channels x
//       6 real pixels (conv2 forward kernel: 40% fewer instructions).
//     - input gradient: for "same"-like padding it is the forward convolution of gy with the
//       kernel rotated by 180 degrees and its channel axes swapped (ResNet). When the output is
//       much smaller than the input (LeNet conv2: 10x10 from 14x14) that form would multiply
//       every tap landing in gy's zero border (2x the useful work). There, with short output
//       rows, each kernel row's contribution is a sum over (c_out, kw) added straight into a
//       padded gradient by 6-channel x 16-position tiles (no column matrix, no col2im of
//       10-pixel runs, which cost LeNet conv2 as much as the GEMM before them). It replaced a
//       GEMM on the padded width whose sums ran over c_out alone (K = 16): LeNet conv2's input
//       gradient 0.63 -> 0.45 ms on one thread.
//     - weight gradient: tiles of 6 taps x 16 output channels over the padded pixels, when there
//       are >= 12 output channels per group; with fewer (LeNet conv1: 6) 6-channel x 2-tap dot
//       products along the pixels (conv1's weight gradient: 3x fewer instructions than the
//       im2col + GEMM it replaces).
// * Winograd F(2x2, 3x3) (conv2d_winograd.cpp), float 3x3 stride-1 ungrouped layers with >= 16
//   input and output channels: each 2x2 output tile from a 4x4 input tile with 16 instead of 36
//   multiply-adds per channel pair, as 16 small GEMMs per block of tiles between an input and an
//   output transform. The direct kernel already runs near the FMA peak, so fewer multiplies is
//   the only way left to go faster. ResNet 16x64x56x56 on 2 threads (best of 9, conv_pool_bench,
//   same machine state): forward 20.0 -> 14.5 ms, input gradient 20.1 -> 14.6 ms, weight gradient
//   19.0 -> 17.0 ms, fwd+bwd 61.4 -> 45.3 ms. The transforms cost per tile and channel, so small
//   images need more channels (use_winograd): 1 thread, N=16, forward direct vs Winograd: 16
//   channels 8x8 0.064 vs 0.136 ms (not used), 16 channels 28x28 0.62 vs 0.56, 64 channels 10x10
//   1.6 vs 1.0, 128 channels 7x7 2.9 vs 2.2. Weight gradient on 7x7 images: 128 channels 3.0 vs
//   3.2 ms (not used), 512 channels 125 vs 87 ms. Rounding: within ~1e-6 of the sum of |products|,
//   like the direct kernel (tests/native/test_conv2d_winograd.cpp).
// * im2col + GEMM (other strides and the cases above): im2col lowers the input to
//   col[K = c_in/g*kh*kw, P = h_out*w_out]; y_g = W_g * col. Input gradient: col = W_g^T * gy_g,
//   then col2im scatters it back. Weight gradient: gw_g = sum over images of gy_g * col^T. Small
//   images (a whole image's columns fit the L2 budget) are put side by side, `batch` per GEMM, so
//   the GEMMs are wide enough to run well (LeNet conv1: 6 x 784 x 25 per image).
// * Weight gradient summation: the images are cut into a fixed number of chunks that depends only
//   on the batch size; each chunk sums its images in order into its own partial, and the partials
//   are added in chunk order. So the summation order never depends on the thread count.
// * Backward bias: per channel, a fixed 8-lane double sum over (n, p), combined in a fixed tree
//   (the autograd op calls it instead of a generic sum over dims {0, 2, 3}, which transposed gy
//   into a copy first).
// * Threads: whole images (or batches of images, or for a single image parts of it) run in
//   parallel with no barriers, each thread on its own buffers. Every output element is produced
//   by one kernel sum of a fixed shape, so the result does not depend on which thread ran it.
// * Column and padded-input buffers are per-thread scratch kept between calls (grown on demand)
//   so that a training loop does not pay page faults for fresh multi-megabyte buffers each call.
#include "cpu/conv2d.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu/conv2d_direct.h"
#include "cpu/conv2d_im2col.h"
#include "cpu/conv2d_winograd.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"
#include "cpu/thread_scratch.h"

namespace ng::cpu {
namespace {

using conv_detail::col2im;
using conv_detail::im2col;

// Per-thread scratch (cpu/thread_scratch.h): slot 0 holds columns, slot 1 a gathered
// output-gradient or output block.
constexpr int kColumns = 0, kBlock = 1;

struct Dims {
    int64_t cg, cog, K, P, HW;
    int64_t rows;    // output rows per column block (h_out when a whole image fits)
    int64_t batch;   // images side by side in one column matrix (1 unless rows == h_out)
    bool pointwise;  // 1x1, stride 1, no padding: the input planes are the column matrix
    size_t col_elems;  // column buffer: K x (batch * rows * w_out)
    size_t out_elems;  // gathered gy / output block: cog x (batch * P)
};

// Column blocks are sized to stay in the per-core L2 cache, so that the GEMM packs them from L2
// instead of from memory (a whole-image column matrix is several MB for ResNet-size layers).
constexpr int64_t kColumnBlockBytes = 384 * 1024;

// The weight gradient is summed over at most this many fixed image chunks.
constexpr int64_t kMaxWeightChunks = 8;

// Bias gradient sums: eight independent lanes (vectorisable, order fixed by the shape alone), in
// double because a LeNet conv1 channel sums 50K values.
constexpr int kBiasLanes = 8;

template <class T>
void add_lanes(const T* p, int64_t count, double* lane) {
    int64_t j = 0;
    for (; j + kBiasLanes <= count; j += kBiasLanes)
        for (int l = 0; l < kBiasLanes; ++l) lane[l] += static_cast<double>(p[j + l]);
    for (int l = 0; j + l < count; ++l) lane[l] += static_cast<double>(p[j + l]);
}

template <class T>
T combine_lanes(const double* lane) {
    return static_cast<T>(((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])));
}

// lanes[co * kBiasLanes + l] = lane l of gy summed over images [first, last) of channel co.
template <class T>
void bias_sum_lanes(const Conv2dShape& s, const T* gy, int64_t first, int64_t last, double* lanes) {
    const int64_t P = s.h_out * s.w_out;
    for (int64_t i = first; i < last; ++i)
        for (int64_t co = 0; co < s.c_out; ++co) add_lanes(gy + (i * s.c_out + co) * P, P, lanes + co * kBiasLanes);
}

template <class T>
Dims dims_of(const Conv2dShape& s) {
    Dims d{};
    d.cg = s.c_in / s.groups;
    d.cog = s.c_out / s.groups;
    d.K = d.cg * s.kh * s.kw;
    d.P = s.h_out * s.w_out;
    d.HW = s.h * s.w;
    d.pointwise = s.kh == 1 && s.kw == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 &&
                  s.pad_w == 0 && s.h_out == s.h && s.w_out == s.w;
    const int64_t row_bytes = std::max<int64_t>(1, d.K * s.w_out * static_cast<int64_t>(sizeof(T)));
    d.rows = std::min(s.h_out, std::max<int64_t>(1, kColumnBlockBytes / row_bytes));
    // Small images (LeNet: 100-784 pixels) make GEMMs too narrow to run well one image at a time
    // (the packed A block is rebuilt per call, and the last 16-column panel is mostly padding).
    // Several images side by side form one wide GEMM instead. The count depends on the shape
    // only, and no more than one weight-gradient chunk's worth, so every chunk gets whole batches.
    d.batch = 1;
    if (!d.pointwise && d.rows == s.h_out && d.P > 0) {
        const int64_t image_bytes = row_bytes * s.h_out;
        const int64_t chunk = (s.n + kMaxWeightChunks - 1) / kMaxWeightChunks;
        d.batch = std::max<int64_t>(1, std::min(chunk, kColumnBlockBytes / image_bytes));
    }
    d.col_elems = static_cast<size_t>(d.K * d.batch * d.rows * s.w_out);
    d.out_elems = static_cast<size_t>(d.cog * d.batch * d.P);
    return d;
}

// dst[co][b*P + p] = src image (first + b), channel rows [0, cog) of a group: packs the output
// gradient of `count` images into one row-major [cog x count*P] matrix.
template <class T>
void gather_rows(const T* src, int64_t image_stride, int64_t count, int64_t cog, int64_t P, T* dst) {
    for (int64_t co = 0; co < cog; ++co)
        for (int64_t b = 0; b < count; ++b)
            std::copy(src + b * image_stride + co * P, src + b * image_stride + (co + 1) * P,
                      dst + (co * count + b) * P);
}

// Stride-1 convolutions run the direct kernel (conv2d_direct.cpp) rather than im2col + GEMM.
// Pointwise ones stay a plain GEMM (no copy at all).
bool use_direct(const Conv2dShape& s, const Dims& d) {
    return conv_detail::direct_applies(s) && !d.pointwise;
}

// The input gradient of a stride-1 convolution is itself a stride-1 convolution (of gy) when the
// padding does not exceed the dilated kernel extent. It computes c_in/groups output channels in
// tiles of 6, so it is used only when few of those rows are padding; and it multiplies every tap
// that lands in gy's zero border, h*w*k^2 products per channel pair instead of the useful
// h_out*w_out*k^2, so it is used only when the two are close ("same" padding, as in ResNet).
// Otherwise (LeNet: 14x14 inputs, 10x10 outputs) input_grad_by_kernel_rows or GEMM + col2im
// multiply far fewer zeros.
bool transposed_as_direct(const Conv2dShape& s, const Dims& d) {
    return use_direct(s, d) && d.cg >= 4 && s.pad_h <= s.dil_h * (s.kh - 1) &&
           s.pad_w <= s.dil_w * (s.kw - 1) && 4 * d.HW <= 5 * d.P;
}

// The input gradient kernel row by kernel row (conv2d_direct.cpp) where col2im's runs would be
// short (LeNet conv2: 10 pixels; 1500 runs per image cost as much as the GEMM before them). Its
// tiles are 6 input channels tall, so it needs at least 4 of them per group; with long rows
// (LeNet conv1: 28) im2col + GEMM + col2im is kept.
bool input_grad_by_kernel_rows(const Conv2dShape& s, const Dims& d) {
    return use_direct(s, d) && s.w_out < 16 && d.cg >= 4;
}

// Weight gradient through the direct kernel: its tiles are 16 output channels wide, so it needs
// enough of them to fill a tile (LeNet conv1's 6 channels stay on the GEMM path).
bool weight_grad_direct(const Conv2dShape& s, const Dims& d) {
    return use_direct(s, d) && d.cog >= 12;
}

// Winograd F(2x2, 3x3) (conv2d_winograd.cpp) for float 3x3 stride-1 layers, where it measured
// faster than the direct kernel (see SCHEME): the transforms cost per tile and channel, the
// products per tile and channel pair, so the fewer channels, the longer the tile rows it needs to
// pay (rows shorter than 8 tiles run partial vectors).
template <class T>
bool use_winograd(const Conv2dShape& s) {
    const int64_t side = std::min(s.h_out, s.w_out), c = std::min(s.c_in, s.c_out);
    return std::is_same_v<T, float> && conv_detail::winograd_applies(s) && c >= 16 &&
           (side >= 24 || (c >= 32 && side >= 12) || (c >= 64 && side >= 4));
}

// The weight gradient's products are summed over the tiles, in 16 c_in x c_out planes per chunk;
// on small images it only breaks even, except with very wide layers.
bool winograd_weight_grad_pays(const Conv2dShape& s) {
    return std::min(s.h_out, s.w_out) >= 14 || std::min(s.c_in, s.c_out) >= 256;
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
    const Dims d = dims_of<T>(s);
    if (s.n == 0 || s.c_out == 0 || d.P == 0) return;
    if constexpr (std::is_same_v<T, float>) {
        if (use_winograd<T>(s)) {
            conv_detail::winograd_forward(s, x, w, bias, y);
            return;
        }
    }
    if (use_direct(s, d)) {
        conv_detail::direct_forward(s, x, w, bias, y);
        return;
    }
    if (d.batch > 1) {
        // Several images per GEMM; the product lands in a scratch block and is copied into the
        // images' output planes with the bias added.
        const int64_t items = (s.n + d.batch - 1) / d.batch;
        parallel_for(0, items * s.groups, 1, [&](int64_t t0, int64_t t1) {
            T* col = thread_scratch<T, kColumns>(d.col_elems);
            T* out = thread_scratch<T, kBlock>(d.out_elems);
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t g = t % s.groups, first = (t / s.groups) * d.batch;
                const int64_t count = std::min(d.batch, s.n - first);
                const int64_t ld = count * d.P;
                for (int64_t b = 0; b < count; ++b)
                    im2col(s, d.cg, x + ((first + b) * s.c_in + g * d.cg) * d.HW, 0, s.h_out,
                           col + b * d.P, ld);
                gemm(false, false, d.cog, ld, d.K, T(1), w + g * d.cog * d.K, d.K, col, ld, T(0),
                     out, ld);
                for (int64_t b = 0; b < count; ++b)
                    for (int64_t co = 0; co < d.cog; ++co) {
                        const T* src = out + co * ld + b * d.P;
                        T* dst = y + ((first + b) * s.c_out + g * d.cog + co) * d.P;
                        if (bias) {
                            const T bv = bias[g * d.cog + co];
                            for (int64_t p = 0; p < d.P; ++p) dst[p] = src[p] + bv;
                        } else {
                            std::copy(src, src + d.P, dst);
                        }
                    }
            }
        });
        return;
    }
    parallel_for(0, s.n, 1, [&](int64_t i0, int64_t i1) {
        T* col = d.pointwise ? nullptr : thread_scratch<T, kColumns>(d.col_elems);
        for (int64_t i = i0; i < i1; ++i) {
            for (int64_t g = 0; g < s.groups; ++g) {
                const T* xg = x + (i * s.c_in + g * d.cg) * d.HW;
                T* yg = y + (i * s.c_out + g * d.cog) * d.P;
                if (bias) {
                    for (int64_t co = 0; co < d.cog; ++co)
                        std::fill(yg + co * d.P, yg + (co + 1) * d.P, bias[g * d.cog + co]);
                }
                const T* wg = w + g * d.cog * d.K;
                const T beta = bias ? T(1) : T(0);
                if (d.pointwise) {
                    gemm(false, false, d.cog, d.P, d.K, T(1), wg, d.K, xg, d.P, beta, yg, d.P);
                    continue;
                }
                for (int64_t oh0 = 0; oh0 < s.h_out; oh0 += d.rows) {
                    const int64_t oh1 = std::min(s.h_out, oh0 + d.rows);
                    const int64_t pb = (oh1 - oh0) * s.w_out;
                    im2col(s, d.cg, xg, oh0, oh1, col, pb);
                    gemm(false, false, d.cog, pb, d.K, T(1), wg, d.K, col, pb, beta,
                         yg + oh0 * s.w_out, d.P);
                }
            }
        }
    });
}

template <class T>
void conv2d_backward_input(const Conv2dShape& s, const T* gy, const T* w, T* gx) {
    const Dims d = dims_of<T>(s);
    if (s.n == 0 || s.c_in == 0 || d.HW == 0) return;
    if (d.P == 0 || s.c_out == 0) {
        std::fill(gx, gx + s.n * s.c_in * d.HW, T(0));
        return;
    }
    if constexpr (std::is_same_v<T, float>) {
        if (use_winograd<T>(s)) {
            conv_detail::winograd_backward_input(s, gy, w, gx);
            return;
        }
    }
    if (transposed_as_direct(s, d)) {
        // Stride 1: the input gradient is the forward convolution of gy, padded by
        // dil*(k-1) - pad, with the kernel rotated by 180 degrees and its channel axes swapped.
        const Conv2dShape t{s.n, s.c_out, s.h_out, s.w_out, s.c_in, s.kh, s.kw, 1, 1,
                            s.dil_h * (s.kh - 1) - s.pad_h, s.dil_w * (s.kw - 1) - s.pad_w,
                            s.dil_h, s.dil_w, s.groups, s.h, s.w};
        const int64_t taps = s.kh * s.kw;
        std::vector<T> wt(static_cast<size_t>(s.c_out * d.K));
        for (int64_t g = 0; g < s.groups; ++g)
            for (int64_t co = 0; co < d.cog; ++co)
                for (int64_t ci = 0; ci < d.cg; ++ci) {
                    const T* src = w + ((g * d.cog + co) * d.cg + ci) * taps;
                    T* dst = wt.data() + ((g * d.cg + ci) * d.cog + co) * taps;
                    for (int64_t k = 0; k < taps; ++k) dst[k] = src[taps - 1 - k];
                }
        conv_detail::direct_forward(t, gy, wt.data(), static_cast<const T*>(nullptr), gx);
        return;
    }
    if (input_grad_by_kernel_rows(s, d)) {
        conv_detail::direct_backward_input(s, gy, w, gx);
        return;
    }
    if (d.batch > 1) {
        // One GEMM for several images' columns, then col2im image by image.
        const int64_t items = (s.n + d.batch - 1) / d.batch;
        parallel_for(0, items * s.groups, 1, [&](int64_t t0, int64_t t1) {
            T* col = thread_scratch<T, kColumns>(d.col_elems);
            T* gyc = thread_scratch<T, kBlock>(d.out_elems);
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t g = t % s.groups, first = (t / s.groups) * d.batch;
                const int64_t count = std::min(d.batch, s.n - first);
                const int64_t ld = count * d.P;
                gather_rows(gy + (first * s.c_out + g * d.cog) * d.P, s.c_out * d.P, count, d.cog,
                            d.P, gyc);
                gemm(true, false, d.K, ld, d.cog, T(1), w + g * d.cog * d.K, d.K, gyc, ld, T(0),
                     col, ld);
                for (int64_t b = 0; b < count; ++b) {
                    T* gxg = gx + ((first + b) * s.c_in + g * d.cg) * d.HW;
                    std::fill(gxg, gxg + d.cg * d.HW, T(0));
                    col2im(s, d.cg, col + b * d.P, 0, s.h_out, gxg, ld);
                }
            }
        });
        return;
    }
    parallel_for(0, s.n, 1, [&](int64_t i0, int64_t i1) {
        T* col = d.pointwise ? nullptr : thread_scratch<T, kColumns>(d.col_elems);
        for (int64_t i = i0; i < i1; ++i) {
            for (int64_t g = 0; g < s.groups; ++g) {
                const T* gyg = gy + (i * s.c_out + g * d.cog) * d.P;
                T* gxg = gx + (i * s.c_in + g * d.cg) * d.HW;
                const T* wg = w + g * d.cog * d.K;
                if (d.pointwise) {
                    gemm(true, false, d.K, d.P, d.cog, T(1), wg, d.K, gyg, d.P, T(0), gxg, d.P);
                    continue;
                }
                std::fill(gxg, gxg + d.cg * d.HW, T(0));
                for (int64_t oh0 = 0; oh0 < s.h_out; oh0 += d.rows) {
                    const int64_t oh1 = std::min(s.h_out, oh0 + d.rows);
                    const int64_t pb = (oh1 - oh0) * s.w_out;
                    gemm(true, false, d.K, pb, d.cog, T(1), wg, d.K, gyg + oh0 * s.w_out, d.P,
                         T(0), col, pb);
                    col2im(s, d.cg, col, oh0, oh1, gxg, pb);
                }
            }
        }
    });
}

template <class T>
void conv2d_backward_weight(const Conv2dShape& s, const T* gy, const T* x, T* gw, T* gb) {
    const Dims d = dims_of<T>(s);
    const int64_t wsize = s.c_out * d.K;
    if (gb && (s.n == 0 || d.P == 0)) std::fill(gb, gb + s.c_out, T(0));
    if (wsize == 0) {
        if (gb && s.n > 0 && d.P > 0) conv2d_backward_bias(s, gy, gb);
        return;
    }
    if (s.n == 0 || d.P == 0) {
        std::fill(gw, gw + wsize, T(0));
        return;
    }
    if constexpr (std::is_same_v<T, float>) {
        if (use_winograd<T>(s) && winograd_weight_grad_pays(s)) {
            conv_detail::winograd_backward_weight(s, gy, x, gw, gb);
            return;
        }
    }
    // Chunk layout depends on n only, never on the thread count; so does d.batch, which divides
    // each chunk into the same sub-batches whatever thread runs it.
    const int64_t grain = (s.n + kMaxWeightChunks - 1) / kMaxWeightChunks;
    const int64_t chunks = (s.n + grain - 1) / grain;
    std::vector<T> partials(static_cast<size_t>((chunks - 1) * wsize));
    const bool direct_wgrad = weight_grad_direct(s, d);
    const bool dot_wgrad = !direct_wgrad && use_direct(s, d);
    // Bias: kBiasLanes double lanes per channel and chunk, summed over the chunks in chunk order.
    std::vector<double> bias_lanes(gb ? static_cast<size_t>(chunks * s.c_out * kBiasLanes) : 0);
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            T* out = c == 0 ? gw : partials.data() + (c - 1) * wsize;
            const int64_t first = c * grain, last = std::min(s.n, first + grain);
            if (gb) bias_sum_lanes(s, gy, first, last, bias_lanes.data() + c * s.c_out * kBiasLanes);
            if (direct_wgrad) {
                conv_detail::direct_weight_grad(s, gy, x, first, last, out);
                continue;
            }
            if (dot_wgrad) {
                conv_detail::direct_weight_grad_dot(s, gy, x, first, last, out);
                continue;
            }
            T* col = d.pointwise ? nullptr : thread_scratch<T, kColumns>(d.col_elems);
            if (d.batch > 1) {
                T* gyc = thread_scratch<T, kBlock>(d.out_elems);
                for (int64_t i = first; i < last; i += d.batch) {
                    const int64_t count = std::min(d.batch, last - i);
                    const int64_t ld = count * d.P;
                    for (int64_t g = 0; g < s.groups; ++g) {
                        for (int64_t b = 0; b < count; ++b)
                            im2col(s, d.cg, x + ((i + b) * s.c_in + g * d.cg) * d.HW, 0, s.h_out,
                                   col + b * d.P, ld);
                        gather_rows(gy + (i * s.c_out + g * d.cog) * d.P, s.c_out * d.P, count,
                                    d.cog, d.P, gyc);
                        gemm(false, true, d.cog, d.K, ld, T(1), gyc, ld, col, ld,
                             i == first ? T(0) : T(1), out + g * d.cog * d.K, d.K);
                    }
                }
                continue;
            }
            for (int64_t i = first; i < last; ++i) {
                for (int64_t g = 0; g < s.groups; ++g) {
                    const T* xg = x + (i * s.c_in + g * d.cg) * d.HW;
                    const T* gyg = gy + (i * s.c_out + g * d.cog) * d.P;
                    T* outg = out + g * d.cog * d.K;
                    if (d.pointwise) {
                        gemm(false, true, d.cog, d.K, d.P, T(1), gyg, d.P, xg, d.P,
                             i == first ? T(0) : T(1), outg, d.K);
                        continue;
                    }
                    for (int64_t oh0 = 0; oh0 < s.h_out; oh0 += d.rows) {
                        const int64_t oh1 = std::min(s.h_out, oh0 + d.rows);
                        const int64_t pb = (oh1 - oh0) * s.w_out;
                        im2col(s, d.cg, xg, oh0, oh1, col, pb);
                        gemm(false, true, d.cog, d.K, pb, T(1), gyg + oh0 * s.w_out, d.P, col, pb,
                             i == first && oh0 == 0 ? T(0) : T(1), outg, d.K);
                    }
                }
            }
        }
    });
    if (gb) {
        for (int64_t co = 0; co < s.c_out; ++co) {
            double lane[kBiasLanes] = {};
            for (int64_t c = 0; c < chunks; ++c)
                for (int l = 0; l < kBiasLanes; ++l) lane[l] += bias_lanes[static_cast<size_t>((c * s.c_out + co) * kBiasLanes + l)];
            gb[co] = combine_lanes<T>(lane);
        }
    }
    // Fixed-order reduction of the chunk partials; elements are independent, so any split works.
    if (chunks > 1) {
        parallel_for(0, wsize, 4096, [&](int64_t j0, int64_t j1) {
            for (int64_t c = 1; c < chunks; ++c) {
                const T* p = partials.data() + (c - 1) * wsize;
                for (int64_t j = j0; j < j1; ++j) gw[j] += p[j];
            }
        });
    }
}

template <class T>
void conv2d_backward_bias(const Conv2dShape& s, const T* gy, T* gb) {
    const int64_t P = s.h_out * s.w_out;
    parallel_for(0, s.c_out, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t co = c0; co < c1; ++co) {
            double lane[kBiasLanes] = {};
            for (int64_t i = 0; i < s.n; ++i) add_lanes(gy + (i * s.c_out + co) * P, P, lane);
            gb[co] = combine_lanes<T>(lane);
        }
    });
}

#define NG_CONV2D_INSTANTIATE(T)                                                               \
    template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);     \
    template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*);        \
    template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*);   \
    template void conv2d_backward_bias<T>(const Conv2dShape&, const T*, T*);
NG_CONV2D_INSTANTIATE(float)
NG_CONV2D_INSTANTIATE(double)
#undef NG_CONV2D_INSTANTIATE

}  // namespace ng::cpu
