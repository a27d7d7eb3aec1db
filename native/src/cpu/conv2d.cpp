// GEMM-based 2-D convolution (NCHW), forward and the three gradients.
//
// SCHEME, and why:
// * Forward: per image and group, im2col lowers the input to col[K = c_in/g*kh*kw, P = h_out*w_out]
//   and one GEMM y_g[c_out/g, P] = W_g[c_out/g, K] * col computes the output. The GEMM does the
//   O(K*P*c_out) work at near-peak speed; im2col is O(K*P) copies, small next to it for every
//   shape in the targets (its cost is 1/c_out of the GEMM's FLOPs, and it is a stream of
//   contiguous copies for stride 1). A 1x1/stride-1/pad-0 convolution is already a GEMM on the
//   raw input, so it skips im2col. The bias is written into y first and the GEMM accumulates on
//   top (beta = 1), which saves a pass over y.
// * Backward input: col = W_g^T * gy_g (GEMM with the transpose read through packing), then
//   col2im scatters col back onto the input pixels. This is the same FLOP count as the forward
//   and avoids building an im2col of the dilated/padded gy.
// * Backward weight: gw_g = sum over images of gy_g * col^T. The images are cut into a fixed
//   number of chunks that depends only on the batch size; each chunk accumulates its images in
//   order into its own partial (GEMM with beta = 1), and the partials are added in chunk order.
//   So the summation order never depends on the thread count (bit-identical results).
// * Backward bias: per channel, a fixed 8-lane sum over (n, p), combined in a fixed tree.
// * Threads: forward and backward-input run whole images in parallel, each thread on its own
//   column buffer; when there is a single image the loop is serial and the GEMM itself may use
//   the threads. Every output element is produced by one GEMM call of a fixed shape, so the
//   result does not depend on which thread ran it.
// * Column buffers are per-thread scratch kept between calls (grown on demand) so that a training
//   loop does not pay page faults for a fresh multi-megabyte buffer on every call.
#include "cpu/conv2d.h"

#include <algorithm>
#include <vector>

#include "cpu/conv2d_im2col.h"
#include "cpu/gemm.h"
#include "cpu/parallel.h"

namespace ng::cpu {
namespace {

using conv_detail::col2im;
using conv_detail::im2col;

// Per-thread scratch, slot 0 for columns. Grows, never shrinks (see the scheme note above).
template <class T>
T* thread_scratch(size_t count) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < count) {
        buffer.clear();
        buffer.shrink_to_fit();
        buffer.resize(count);
    }
    return buffer.data();
}

struct Dims {
    int64_t cg, cog, K, P, HW;
    int64_t rows;    // output rows per column block
    bool pointwise;  // 1x1, stride 1, no padding: the input planes are the column matrix
    size_t col_elems;  // column buffer: K x (rows * w_out)
};

// Column blocks are sized to stay in the per-core L2 cache, so that the GEMM packs them from L2
// instead of from memory (a whole-image column matrix is several MB for ResNet-size layers).
constexpr int64_t kColumnBlockBytes = 384 * 1024;

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
    d.col_elems = static_cast<size_t>(d.K * d.rows * s.w_out);
    return d;
}

// The weight gradient is summed over at most this many fixed image chunks.
constexpr int64_t kMaxWeightChunks = 8;

}  // namespace

template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
    const Dims d = dims_of<T>(s);
    if (s.n == 0 || s.c_out == 0 || d.P == 0) return;
    parallel_for(0, s.n, 1, [&](int64_t i0, int64_t i1) {
        T* col = d.pointwise ? nullptr : thread_scratch<T>(d.col_elems);
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
                    im2col(s, d.cg, xg, oh0, oh1, col);
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
    parallel_for(0, s.n, 1, [&](int64_t i0, int64_t i1) {
        T* col = d.pointwise ? nullptr : thread_scratch<T>(d.col_elems);
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
                    col2im(s, d.cg, col, oh0, oh1, gxg);
                }
            }
        }
    });
}

template <class T>
void conv2d_backward_weight(const Conv2dShape& s, const T* gy, const T* x, T* gw) {
    const Dims d = dims_of<T>(s);
    const int64_t wsize = s.c_out * d.K;
    if (wsize == 0) return;
    if (s.n == 0 || d.P == 0) {
        std::fill(gw, gw + wsize, T(0));
        return;
    }
    // Chunk layout depends on n only, never on the thread count.
    const int64_t grain = (s.n + kMaxWeightChunks - 1) / kMaxWeightChunks;
    const int64_t chunks = (s.n + grain - 1) / grain;
    std::vector<T> partials(static_cast<size_t>((chunks - 1) * wsize));
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
            T* out = c == 0 ? gw : partials.data() + (c - 1) * wsize;
            T* col = d.pointwise ? nullptr : thread_scratch<T>(d.col_elems);
            const int64_t first = c * grain, last = std::min(s.n, first + grain);
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
                        im2col(s, d.cg, xg, oh0, oh1, col);
                        gemm(false, true, d.cog, d.K, pb, T(1), gyg + oh0 * s.w_out, d.P, col, pb,
                             i == first && oh0 == 0 ? T(0) : T(1), outg, d.K);
                    }
                }
            }
        }
    });
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
            // Eight independent lanes: vectorisable, and the order is fixed by the shape alone.
            T lane[8] = {};
            for (int64_t i = 0; i < s.n; ++i) {
                const T* p = gy + (i * s.c_out + co) * P;
                int64_t j = 0;
                for (; j + 8 <= P; j += 8)
                    for (int l = 0; l < 8; ++l) lane[l] += p[j + l];
                for (int l = 0; j + l < P; ++l) lane[l] += p[j + l];
            }
            gb[co] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                     ((lane[4] + lane[5]) + (lane[6] + lane[7]));
        }
    });
}

#define NG_CONV2D_INSTANTIATE(T)                                                               \
    template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);     \
    template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*);        \
    template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*);       \
    template void conv2d_backward_bias<T>(const Conv2dShape&, const T*, T*);
NG_CONV2D_INSTANTIATE(float)
NG_CONV2D_INSTANTIATE(double)
#undef NG_CONV2D_INSTANTIATE

}  // namespace ng::cpu
