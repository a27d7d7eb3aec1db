// Winograd F(2x2, 3x3) convolution: 3x3, stride 1, dilation 1, one group, float.
//
// WHY: the direct kernel (conv2d_direct.cpp) already runs ResNet's 64->64 56x56 layer at ~80% of
// the 2-core FMA peak, so forward + both gradients (11.1 GFLOP) cannot get much faster by better
// scheduling. Winograd F(2x2, 3x3) computes each 2x2 output tile from a 4x4 input tile with 16
// multiplies per channel pair instead of 36: 2.25x fewer multiply-adds, paid for by transforms
// that are O(channels) per tile rather than O(channels^2).
//   forward: y = A^T [ (G g G^T) (.) (B^T d B) ] A, summed over input channels; for each of the
//     16 transform positions xi the sum over channels is a GEMM M[xi] (c_out x tiles) =
//     U[xi] (c_out x c_in) * V[xi] (c_in x tiles).
//   input gradient ("same"-like padding): the forward convolution of gy, padded by 2 - pad, with
//     the kernel rotated by 180 degrees and its channel axes swapped.
//   weight gradient: the roles swapped (F(3x3, 2x2), the 2x2 gy tile is the "filter"):
//     gw = G^T [ sum over tiles (A gy A^T) (.) (B^T d B) ] G, i.e. per position a GEMM
//     W[xi] (c_in x c_out) = V[xi] (c_in x tiles) * Gy[xi]^T (tiles x c_out), where V is the
//     forward's input transform, then one inverse transform of the 3x3 result.
// F(2x2, 3x3) rather than F(4x4, 3x3): F(4x4) needs 4x fewer multiply-adds instead of 2.25x, but
// its transform coefficients (4 and 5 in B, 1/6 and 1/24 in G, 8 in A) amplify rounding. Measured
// in float against a double reference (64 input channels, uniform(-1, 1) data, largest error
// relative to the sum of |products|): direct sum 1.9e-7, F(2x2) 0.8e-7, F(4x4) 1.6e-6. F(2x2) is
// as accurate as the direct kernel and already brings the ResNet layer under its time budget, so
// the 8x larger error of F(4x4) is not taken.
//
// Blocking: the transformed tensors of a whole batch are 4x the activations (50 MB for ResNet's
// layer), so tiles are processed in blocks of T (a multiple of 16, sized so that V and M of one
// block stay in the per-core L2): transform T tiles into V, run the 16 GEMMs into M, inverse
// transform M straight into y. Tiles are numbered across images (n, tile row, tile column), so a
// block of small images still feeds wide GEMMs.
// Transforms: tile k of a tile row reads columns 2k..2k+3 of 4 input rows. Those rows are read in
// place (or, where a tile reaches into the column padding, from a copy with the zeros filled in),
// and the AVX2 kernel splits them into even and odd columns with shuffles, so that the columns of
// 8 consecutive tiles are 4 vectors and the transforms run on 8 tiles per vector. The output
// transform interleaves the 2x2 results back into 16 consecutive pixels per row. While a block's
// GEMMs run, the next block's input rows and this block's output rows are prefetched (the planes
// of the 64 channels are more streams than the hardware prefetchers follow).
//
// Determinism: each output of the forward and input gradient is computed by one fixed sequence of
// operations whichever thread runs its block. The weight gradient sums the tiles in a fixed number
// of chunks of whole blocks (depending on the shape only), each summed in tile order into its own
// partial; the partials are added in chunk order. So every result is bit-identical for any thread
// count.
#include "cpu/conv2d_winograd.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"
#include "cpu/thread_scratch.h"

namespace ng::cpu::conv_detail {
namespace {

constexpr int64_t kPos = 16;          // positions of the 4x4 transform
constexpr int64_t kMR = 6, kNR = 16;  // register tile of the products
// Budget of one block's transformed input and product (or output-gradient) planes, for the L2.
constexpr int64_t kBlockBytes = 512 * 1024;
constexpr int64_t kMaxBlockTiles = 256;
// The weight gradient is summed over at most this many fixed chunks of blocks.
constexpr int64_t kMaxWeightChunks = 8;

// Per-thread buffers (cpu/thread_scratch.h): this file owns slots 20-29.
// Starts are 64-byte aligned, so that a 16-float row of a tile panel is one cache line.
template <int Slot>
float* scratch(size_t count) {
    static_assert(Slot >= 0 && Slot < 10, "conv2d_winograd.cpp owns thread_scratch slots 20-29");
    float* p = thread_scratch<float, 20 + Slot>(count + 16);
    const auto misalign = reinterpret_cast<uintptr_t>(p) % 64;
    return misalign == 0 ? p : p + (64 - misalign) / sizeof(float);
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

struct Geom {
    int64_t n, cin, cout, h, w, ph, pw, ho, wo;
    int64_t th, tw, tpi, total;  // tile rows / columns per image, tiles per image, all tiles
    int64_t T;                   // tiles per block (multiple of 16)
    int64_t cpan, coutp;         // output-channel panels of 6 and their rows (forward)
    int64_t cinp, cop16;         // weight gradient: c_in rounded up to 6, c_out to 16
};

Geom geom_of(const Conv2dShape& s) {
    Geom g{};
    g.n = s.n;
    g.cin = s.c_in;
    g.cout = s.c_out;
    g.h = s.h;
    g.w = s.w;
    g.ph = s.pad_h;
    g.pw = s.pad_w;
    g.ho = s.h_out;
    g.wo = s.w_out;
    g.th = (g.ho + 1) / 2;
    g.tw = (g.wo + 1) / 2;
    g.tpi = g.th * g.tw;
    g.total = g.n * g.tpi;
    g.cpan = (g.cout + kMR - 1) / kMR;
    g.coutp = g.cpan * kMR;
    g.cinp = round_up(g.cin, kMR);
    g.cop16 = round_up(g.cout, kNR);
    const int64_t tile_bytes = kPos * static_cast<int64_t>(sizeof(float)) *
                               (g.cin + std::max(g.coutp, g.cop16));
    g.T = std::clamp<int64_t>(kBlockBytes / tile_bytes / kNR * kNR, kNR, kMaxBlockTiles);
    return g;
}

// Calls f(image, tile row, first tile column, count, offset in the block) for the runs of tiles
// of [t0, t1) that lie in one tile row.
template <class F>
void for_segments(const Geom& g, int64_t t0, int64_t t1, F&& f) {
    for (int64_t t = t0; t < t1;) {
        const int64_t img = t / g.tpi, r = t % g.tpi, ty = r / g.tw, tx = r % g.tw;
        const int64_t count = std::min(t1 - t, g.tw - tx);
        f(img, ty, tx, count, t - t0);
        t += count;
    }
}

// Rows of every channel plane that a block of tiles touches, per image: the block's tiles cover
// tile rows [ty0, ty1] of image img, and with them rows [ty0*2 + lo, ty1*2 + hi) of each plane,
// clipped to [0, rows). Only the first kMaxRuns images are kept (this feeds prefetches, hints).
struct PlaneRuns {
    static constexpr int kMaxRuns = 4;
    int64_t img[kMaxRuns], r0[kMaxRuns], r1[kMaxRuns];
    int count = 0;
};

PlaneRuns block_runs(const Geom& g, int64_t t0, int64_t t1, int64_t lo, int64_t hi, int64_t rows) {
    PlaneRuns pr;
    if (t0 >= t1) return pr;
    for (int64_t t = t0; t < t1 && pr.count < PlaneRuns::kMaxRuns;) {
        const int64_t img = t / g.tpi, last = std::min(t1, (img + 1) * g.tpi) - 1;
        const int64_t ty0 = (t % g.tpi) / g.tw, ty1 = (last % g.tpi) / g.tw;
        pr.img[pr.count] = img;
        pr.r0[pr.count] = std::max<int64_t>(0, 2 * ty0 + lo);
        pr.r1[pr.count] = std::min(rows, 2 * ty1 + hi);
        ++pr.count;
        t = last + 1;
    }
    return pr;
}

// The input rows a block of tiles [t0, t1) reads (4-row windows from row 2*ty - pad) and the
// output rows it writes (2 per tile row).
PlaneRuns input_runs(const Geom& g, int64_t t0, int64_t t1) {
    return block_runs(g, t0, t1, -g.ph, 4 - g.ph, g.h);
}
PlaneRuns output_runs(const Geom& g, int64_t t0, int64_t t1) { return block_runs(g, t0, t1, 0, 2, g.ho); }

// Prefetches the xi-th sixteenth of the channels (one share per transform position, so the
// prefetches spread over a block's 16 product passes) of the runs of a tensor
// [n][channels][rows][width] into the cache (for writing when `write`), so that the memory-bound
// transforms find them there: the block's products are computed meanwhile.
void prefetch_runs(const PlaneRuns& pr, const float* base, int64_t channels, int64_t rows,
                   int64_t width, int64_t xi, bool write) {
    const int64_t c0 = xi * channels / kPos, c1 = (xi + 1) * channels / kPos;
    for (int i = 0; i < pr.count; ++i) {
        const int64_t n = (pr.r1[i] - pr.r0[i]) * width;
        for (int64_t c = c0; c < c1; ++c) {
            const float* p = base + ((pr.img[i] * channels + c) * rows + pr.r0[i]) * width;
            for (int64_t j = 0; j < n; j += 16) {
                if (write)
                    __builtin_prefetch(p + j, 1, 3);
                else
                    __builtin_prefetch(p + j, 0, 3);
            }
        }
    }
}

// ---- portable kernels (same contracts as the *_avx2 ones in conv2d_winograd.h) ----

void input_generic(const float* const* rows, int64_t count, float* v, int64_t xs) {
    for (int64_t k = 0; k < count; ++k) {
        float d[4][4];
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) d[r][c] = rows[r][2 * k + c];
        for (int c = 0; c < 4; ++c) {
            const float t0 = d[0][c] - d[2][c], t1 = d[1][c] + d[2][c], t2 = d[2][c] - d[1][c],
                        t3 = d[1][c] - d[3][c];
            d[0][c] = t0;
            d[1][c] = t1;
            d[2][c] = t2;
            d[3][c] = t3;
        }
        for (int i = 0; i < 4; ++i) {
            v[(4 * i + 0) * xs + k] = d[i][0] - d[i][2];
            v[(4 * i + 1) * xs + k] = d[i][1] + d[i][2];
            v[(4 * i + 2) * xs + k] = d[i][2] - d[i][1];
            v[(4 * i + 3) * xs + k] = d[i][1] - d[i][3];
        }
    }
}

void output_generic(const float* m, int64_t xs, int64_t count, float bias, float* y0, float* y1) {
    for (int64_t k = 0; k < count; ++k) {
        float a[4], b[4];
        for (int j = 0; j < 4; ++j) {
            const float m0 = m[j * xs + k], m1 = m[(4 + j) * xs + k], m2 = m[(8 + j) * xs + k],
                        m3 = m[(12 + j) * xs + k];
            a[j] = (m0 + m1) + m2;
            b[j] = (m1 - m2) - m3;
        }
        y0[2 * k] = ((a[0] + a[1]) + a[2]) + bias;
        y0[2 * k + 1] = ((a[1] - a[2]) - a[3]) + bias;
        y1[2 * k] = ((b[0] + b[1]) + b[2]) + bias;
        y1[2 * k + 1] = ((b[1] - b[2]) - b[3]) + bias;
    }
}

void gemm_generic(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc) {
    float acc[kMR][kNR] = {};
    for (int64_t k = 0; k < kc; ++k, a += kMR, b += ldb)
        for (int r = 0; r < kMR; ++r)
            for (int l = 0; l < kNR; ++l) acc[r][l] += a[r] * b[l];
    for (int r = 0; r < kMR; ++r)
        for (int l = 0; l < kNR; ++l) c[r * ldc + l] = acc[r][l];
}

void wgrad_gemm_generic(int64_t kc, const float* const* rows, const float* b, float* c,
                        int64_t ldc) {
    float acc[kMR][kNR] = {};
    for (int64_t k = 0; k < kc; ++k, b += kNR)
        for (int r = 0; r < kMR; ++r)
            for (int l = 0; l < kNR; ++l) acc[r][l] += rows[r][k] * b[l];
    for (int r = 0; r < kMR; ++r)
        for (int l = 0; l < kNR; ++l) c[r * ldc + l] += acc[r][l];
}

void gy_generic(const float* raw, int64_t rs, int64_t ld, int64_t count, int64_t panels,
                int64_t ps, float* gt, int64_t xs) {
    for (int64_t k = 0; k < count; ++k)
        for (int64_t cp = 0; cp < panels; ++cp)
            for (int64_t l = 0; l < kNR; ++l) {
                const int64_t c = k * ld + cp * kNR + l;
                const float g00 = raw[c], g01 = raw[rs + c], g10 = raw[2 * rs + c],
                            g11 = raw[3 * rs + c];
                // A g: rows (g0, g0 + g1, g0 - g1, -g1); then the same along each row.
                const float u[4][2] = {{g00, g01}, {g00 + g10, g01 + g11}, {g00 - g10, g01 - g11},
                                       {-g10, -g11}};
                float* d = gt + cp * ps + k * kNR + l;
                for (int i = 0; i < 4; ++i) {
                    const float a = u[i][0], b = u[i][1];
                    d[(4 * i) * xs] = a;
                    d[(4 * i + 1) * xs] = a + b;
                    d[(4 * i + 2) * xs] = a - b;
                    d[(4 * i + 3) * xs] = -b;
                }
            }
}

struct Kernels {
    void (*input)(const float* const*, int64_t, float*, int64_t);
    void (*output)(const float*, int64_t, int64_t, float, float*, float*);
    void (*gemm)(int64_t, const float*, const float*, int64_t, float*, int64_t);
    void (*wgrad)(int64_t, const float* const*, const float*, float*, int64_t);
    void (*gy)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*, int64_t);
};

Kernels kernels_for(Isa isa) {
    if (uses_avx2(isa) && cpu_has_avx2_fma())
        return {wino_input_avx2, wino_output_avx2, wino_gemm_avx2, wino_wgrad_gemm_avx2,
                wino_gy_avx2};
    return {input_generic, output_generic, gemm_generic, wgrad_gemm_generic, gy_generic};
}

// ---- transforms shared by both kernel sets ----

// Row buffer of a thread: 4 padded input rows and a zero row (2*tw + 2 floats each), then 2
// output rows (2*tw each).
size_t row_buffer_elems(const Geom& g) { return static_cast<size_t>(10 * (g.tw + 1) + 4 * g.tw); }

// buf[0, len) = row[c0, c0 + len), zero outside the row's [0, w).
const float* padded_row(const float* row, int64_t w, int64_t c0, int64_t len, float* buf) {
    const int64_t lo = std::min(len, std::max<int64_t>(0, -c0));
    const int64_t hi = std::max(lo, std::min(len, w - c0));
    std::fill(buf, buf + lo, 0.0f);
    std::copy(row + c0 + lo, row + c0 + hi, buf + lo);
    std::fill(buf + hi, buf + len, 0.0f);
    return buf;
}

// v[xi*xs + ci*T + t - t0] = (B^T d B)[xi] of tile t of input channel ci, t in [t0, t1).
void transform_input(const Geom& g, const Kernels& kern, const float* x, int64_t t0, int64_t t1,
                     float* v, int64_t xs, float* rowbuf) {
    const int64_t rl = 2 * g.tw + 2;
    float* zeros = rowbuf + 4 * rl;
    std::fill(zeros, zeros + rl, 0.0f);
    const float* rows[4];
    for_segments(g, t0, t1, [&](int64_t img, int64_t ty, int64_t tx, int64_t count, int64_t col) {
        // When no tile of the run reads column padding its rows are read in place; otherwise the
        // four rows are assembled with their zeros once, and the whole run is one kernel call
        // (transforming the 1-2 edge tiles on their own cost more than the copy).
        const int64_t c0 = 2 * tx - g.pw, len = 2 * count + 2;
        const bool inside = c0 >= 0 && c0 + len <= g.w;
        for (int64_t ci = 0; ci < g.cin; ++ci) {
            const float* plane = x + (img * g.cin + ci) * g.h * g.w;
            for (int r = 0; r < 4; ++r) {
                const int64_t ih = 2 * ty + r - g.ph;
                if (ih < 0 || ih >= g.h)
                    rows[r] = zeros;
                else if (inside)
                    rows[r] = plane + ih * g.w + c0;
                else
                    rows[r] = padded_row(plane + ih * g.w, g.w, c0, len, rowbuf + r * rl);
            }
            kern.input(rows, count, v + ci * g.T + col, xs);
        }
    });
}

// Winograd-domain weights for the forward GEMMs, packed as A panels of 6 output channels:
// u[((xi*cpan + co/6)*c_in + ci)*6 + co%6] = (G g G^T)[xi], zero rows past c_out.
void transform_weights(const Geom& g, const float* w, float* u) {
    // Rows past c_out are zero (their products are dropped, but must stay finite).
    for (int64_t xi = 0; xi < kPos; ++xi)
        for (int64_t co = g.cout; co < g.coutp; ++co)
            for (int64_t ci = 0; ci < g.cin; ++ci)
                u[((xi * g.cpan + co / kMR) * g.cin + ci) * kMR + co % kMR] = 0.0f;
    // Each element depends on its own weights only: any split over the threads gives the same.
    parallel_for(0, g.cout, 8, [&](int64_t co0, int64_t co1) {
        for (int64_t co = co0; co < co1; ++co)
            for (int64_t ci = 0; ci < g.cin; ++ci) {
                const float* k = w + (co * g.cin + ci) * 9;
                double t[4][3];  // G g
                for (int c = 0; c < 3; ++c) {
                    const double k0 = k[c], k1 = k[3 + c], k2 = k[6 + c];
                    t[0][c] = k0;
                    t[1][c] = 0.5 * (k0 + k1 + k2);
                    t[2][c] = 0.5 * (k0 - k1 + k2);
                    t[3][c] = k2;
                }
                for (int i = 0; i < 4; ++i) {
                    const double r[4] = {t[i][0], 0.5 * (t[i][0] + t[i][1] + t[i][2]),
                                         0.5 * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
                    for (int j = 0; j < 4; ++j)
                        u[(((4 * i + j) * g.cpan + co / kMR) * g.cin + ci) * kMR + co % kMR] =
                            static_cast<float>(r[j]);
                }
            }
    });
}

// gt[xi*xs + (co/16)*T*16 + (t - t0)*16 + co%16] = (A g A^T)[xi] of gy's 2x2 tile t of channel co
// (values past the output are zero). gy is first gathered channel-minor, raw[ab][t - t0][co] (ab:
// the tile's pixel), a copy of 4 values per tile and channel, so that the transform, 16 values,
// runs on channel vectors and stores whole lines. With bsum, bsum[co] += the tile's gy values
// (bias gradient); position 5 of the transform is exactly that sum.
void transform_gy(const Geom& g, const Kernels& kern, const float* gy, int64_t t0, int64_t t1,
                  float* raw, float* gt, int64_t xs, double* bsum) {
    const int64_t P = g.ho * g.wo, rs = g.T * g.cop16;
    for_segments(g, t0, t1, [&](int64_t img, int64_t ty, int64_t tx, int64_t count, int64_t col) {
        const int64_t oh = 2 * ty;
        const bool row1 = oh + 1 < g.ho;
        // Tiles [0, full) have both columns. Channels innermost: the 2 x 64-byte runs of gy read
        // per channel serve 8 tiles from L1, and the stores are contiguous.
        const int64_t full = 2 * (tx + count) <= g.wo ? count : count - 1;
        const float* base = gy + img * g.cout * P + oh * g.wo + 2 * tx;
        for (int64_t k = 0; k < count; ++k) {
            const float* p = base + 2 * k;
            float* d = raw + (col + k) * g.cop16;
            if (row1 && k < full) {
                for (int64_t co = 0; co < g.cout; ++co) {
                    const float* q = p + co * P;
                    d[co] = q[0];
                    d[rs + co] = q[1];
                    d[2 * rs + co] = q[g.wo];
                    d[3 * rs + co] = q[g.wo + 1];
                }
                continue;
            }
            for (int64_t co = 0; co < g.cout; ++co) {
                const float* q = p + co * P;
                d[co] = q[0];
                d[rs + co] = k < full ? q[1] : 0.0f;
                d[2 * rs + co] = row1 ? q[g.wo] : 0.0f;
                d[3 * rs + co] = row1 && k < full ? q[g.wo + 1] : 0.0f;
            }
        }
    });
    const int64_t count = t1 - t0, panels = g.cop16 / kNR;
    kern.gy(raw, rs, g.cop16, count, panels, g.T * kNR, gt, xs);
    if (bsum) {
        for (int64_t cp = 0; cp < panels; ++cp) {
            const float* s5 = gt + 5 * xs + cp * g.T * kNR;
            const int64_t lanes = std::min(kNR, g.cout - cp * kNR);
            for (int64_t k = 0; k < count; ++k)
                for (int64_t l = 0; l < lanes; ++l) bsum[cp * kNR + l] += s5[k * kNR + l];
        }
    }
}

}  // namespace

bool winograd_applies(const Conv2dShape& s) {
    return s.kh == 3 && s.kw == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dil_h == 1 &&
           s.dil_w == 1 && s.groups == 1 && s.pad_h >= 0 && s.pad_h <= 2 && s.pad_w >= 0 &&
           s.pad_w <= 2 && s.c_in >= 1 && s.c_out >= 1 && s.h_out == s.h + 2 * s.pad_h - 2 &&
           s.w_out == s.w + 2 * s.pad_w - 2;
}

void winograd_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                      float* y, Isa isa) {
    if (s.n == 0 || s.h_out <= 0 || s.w_out <= 0) return;
    const Geom g = geom_of(s);
    const Kernels kern = kernels_for(isa);
    // Buffers of the calling thread (slots 5-9; the workers use 0-4): a training loop then does
    // not page-fault fresh multi-hundred-KB allocations on every call.
    float* u = scratch<5>(static_cast<size_t>(kPos * g.cpan * g.cin * kMR));
    transform_weights(g, w, u);
    const int64_t blocks = (g.total + g.T - 1) / g.T;
    const int64_t vx = g.cin * g.T, mx = g.coutp * g.T;
    const int64_t P = g.ho * g.wo;
    parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        float* v = scratch<0>(static_cast<size_t>(kPos * vx));
        float* m = scratch<1>(static_cast<size_t>(kPos * mx));
        float* rowbuf = scratch<2>(row_buffer_elems(g));
        float* y0 = rowbuf + 10 * (g.tw + 1);
        float* y1 = y0 + 2 * g.tw;
        for (int64_t b = b0; b < b1; ++b) {
            const int64_t t0 = b * g.T, t1 = std::min(g.total, t0 + g.T);
            const int64_t strips = (t1 - t0 + kNR - 1) / kNR;
            transform_input(g, kern, x, t0, t1, v, vx, rowbuf);
            // Columns past the block's last tile hold stale values; their products are dropped.
            // While the products run: the next block's input and this block's output are
            // brought into the cache, one 16th of the channels per position.
            const PlaneRuns next_in = input_runs(g, t1, std::min(g.total, t1 + g.T));
            const PlaneRuns out = output_runs(g, t0, t1);
            for (int64_t xi = 0; xi < kPos; ++xi) {
                prefetch_runs(next_in, x, g.cin, g.h, g.w, xi, false);
                prefetch_runs(out, y, g.cout, g.ho, g.wo, xi, true);
                const float* uxi = u + xi * g.cpan * g.cin * kMR;
                for (int64_t st = 0; st < strips; ++st)
                    for (int64_t cp = 0; cp < g.cpan; ++cp)
                        kern.gemm(g.cin, uxi + cp * g.cin * kMR, v + xi * vx + st * kNR, g.T,
                                  m + xi * mx + cp * kMR * g.T + st * kNR, g.T);
            }
            for_segments(g, t0, t1, [&](int64_t img, int64_t ty, int64_t tx, int64_t count,
                                        int64_t col) {
                // Tiles whose 2x2 outputs all exist are written in place; a last row or column
                // past the output goes through the row buffers.
                const int64_t oh = 2 * ty, ow = 2 * tx;
                const bool row1 = oh + 1 < g.ho;
                const int64_t full = 2 * (tx + count) <= g.wo ? count : count - 1;
                for (int64_t co = 0; co < g.cout; ++co) {
                    const float bv = bias ? bias[co] : 0.0f;
                    const float* mc = m + co * g.T + col;
                    float* dst = y + (img * g.cout + co) * P + oh * g.wo + ow;
                    if (full > 0) kern.output(mc, mx, full, bv, dst, row1 ? dst + g.wo : y1);
                    if (full < count) {
                        kern.output(mc + full, mx, 1, bv, y0, y1);
                        dst[2 * full] = y0[0];
                        if (row1) dst[g.wo + 2 * full] = y1[0];
                    }
                }
            });
        }
    });
}

void winograd_backward_input(const Conv2dShape& s, const float* gy, const float* w, float* gx,
                             Isa isa) {
    // The forward convolution of gy padded by 2 - pad, with the kernel rotated by 180 degrees and
    // its channel axes swapped.
    const Conv2dShape t{s.n, s.c_out, s.h_out, s.w_out, s.c_in, 3, 3, 1, 1, 2 - s.pad_h,
                        2 - s.pad_w, 1, 1, 1, s.h, s.w};
    float* wt = scratch<6>(static_cast<size_t>(s.c_in * s.c_out * 9));
    for (int64_t co = 0; co < s.c_out; ++co)
        for (int64_t ci = 0; ci < s.c_in; ++ci)
            for (int64_t k = 0; k < 9; ++k)
                wt[(ci * s.c_out + co) * 9 + k] = w[(co * s.c_in + ci) * 9 + 8 - k];
    winograd_forward(t, gy, wt, nullptr, gx, isa);
}

void winograd_backward_weight(const Conv2dShape& s, const float* gy, const float* x, float* gw,
                              float* gb, Isa isa) {
    const int64_t wsize = s.c_out * s.c_in * 9;
    if (s.n == 0 || s.h_out <= 0 || s.w_out <= 0) {
        std::fill(gw, gw + wsize, 0.0f);
        if (gb) std::fill(gb, gb + s.c_out, 0.0f);
        return;
    }
    const Geom g = geom_of(s);
    const Kernels kern = kernels_for(isa);
    const int64_t blocks = (g.total + g.T - 1) / g.T;
    // Chunks of whole blocks, fixed by the shape.
    const int64_t chunks = std::min(kMaxWeightChunks, blocks);
    const int64_t vx = g.cin * g.T;
    const int64_t gxs = g.cop16 * g.T;     // one position of the transformed gy: [co/16][t][16]
    const int64_t accx = g.cinp * g.cop16;  // one position of the sums: [ci][co]
    // Chunk partials, in a buffer of the calling thread (see winograd_forward).
    float* partial = scratch<5>(static_cast<size_t>(chunks * kPos * accx));
    std::vector<double> bsum(gb ? static_cast<size_t>(chunks * g.cout) : 0, 0.0);
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
        float* v = scratch<0>(static_cast<size_t>(kPos * vx));
        float* gt = scratch<3>(static_cast<size_t>(kPos * gxs));
        float* raw = scratch<4>(static_cast<size_t>(4 * g.T * g.cop16));
        float* rowbuf = scratch<2>(row_buffer_elems(g));
        const float* rows[kMR];
        for (int64_t c = c0; c < c1; ++c) {
            float* acc = partial + c * kPos * accx;
            std::fill(acc, acc + kPos * accx, 0.0f);
            double* bs = gb ? bsum.data() + c * g.cout : nullptr;
            for (int64_t b = c * blocks / chunks; b < (c + 1) * blocks / chunks; ++b) {
                const int64_t t0 = b * g.T, t1 = std::min(g.total, t0 + g.T);
                transform_input(g, kern, x, t0, t1, v, vx, rowbuf);
                transform_gy(g, kern, gy, t0, t1, raw, gt, gxs, bs);
                // While the products run, the next block's input and output gradient are
                // brought into the cache, one 16th of the channels per position.
                const int64_t t2 = std::min(g.total, t1 + g.T);
                const PlaneRuns next_x = input_runs(g, t1, t2);
                const PlaneRuns next_gy = output_runs(g, t1, t2);
                // Channel lanes past c_out and rows past c_in land in padding of acc.
                for (int64_t xi = 0; xi < kPos; ++xi) {
                    prefetch_runs(next_x, x, g.cin, g.h, g.w, xi, false);
                    prefetch_runs(next_gy, gy, g.cout, g.ho, g.wo, xi, false);
                    for (int64_t ci0 = 0; ci0 < g.cinp; ci0 += kMR) {
                        for (int64_t r = 0; r < kMR; ++r)
                            rows[r] = v + xi * vx + std::min(ci0 + r, g.cin - 1) * g.T;
                        for (int64_t cp = 0; cp < g.cop16 / kNR; ++cp)
                            kern.wgrad(t1 - t0, rows, gt + xi * gxs + cp * g.T * kNR,
                                       acc + xi * accx + ci0 * g.cop16 + cp * kNR, g.cop16);
                    }
                }
            }
        }
    });
    // Chunk partials added in chunk order; elements are independent, so any split works.
    const int64_t total = kPos * accx;
    if (chunks > 1) {
        parallel_for(0, total, 4096, [&](int64_t j0, int64_t j1) {
            for (int64_t c = 1; c < chunks; ++c) {
                const float* p = partial + c * total;
                for (int64_t j = j0; j < j1; ++j) partial[j] += p[j];
            }
        });
    }
    // gw = G^T W G with G^T = [[1, .5, .5, 0], [0, .5, -.5, 0], [0, .5, .5, 1]]; each filter on
    // its own, so any split over the threads gives the same.
    parallel_for(0, g.cout, 8, [&](int64_t co0, int64_t co1) {
        for (int64_t co = co0; co < co1; ++co)
            for (int64_t ci = 0; ci < g.cin; ++ci) {
                double wv[4][4];
                for (int xi = 0; xi < kPos; ++xi)
                    wv[xi / 4][xi % 4] = partial[xi * accx + ci * g.cop16 + co];
                double t[3][4];  // G^T W
                for (int j = 0; j < 4; ++j) {
                    t[0][j] = wv[0][j] + 0.5 * (wv[1][j] + wv[2][j]);
                    t[1][j] = 0.5 * (wv[1][j] - wv[2][j]);
                    t[2][j] = 0.5 * (wv[1][j] + wv[2][j]) + wv[3][j];
                }
                float* out = gw + (co * g.cin + ci) * 9;
                for (int i = 0; i < 3; ++i) {
                    out[3 * i + 0] = static_cast<float>(t[i][0] + 0.5 * (t[i][1] + t[i][2]));
                    out[3 * i + 1] = static_cast<float>(0.5 * (t[i][1] - t[i][2]));
                    out[3 * i + 2] = static_cast<float>(0.5 * (t[i][1] + t[i][2]) + t[i][3]);
                }
            }
    });
    if (gb) {
        for (int64_t co = 0; co < g.cout; ++co) {
            double sum = 0.0;
            for (int64_t c = 0; c < chunks; ++c) sum += bsum[static_cast<size_t>(c * g.cout + co)];
            gb[co] = static_cast<float>(sum);
        }
    }
}

}  // namespace ng::cpu::conv_detail
