// Packing of op(A) and op(B) into the contiguous micro-panels the GEMM micro-kernels stream through.
//
// Transposition is absorbed here: the packed layout is the same whatever trans_a/trans_b were, so
// the kernels never see a stride and no transposed copy of an operand is ever made. Panels at the
// matrix edge are zero-padded to full MR/NR width so the kernels have no edge cases.
//
// Everything sits in an unnamed namespace on purpose: this header is compiled once per ISA (the
// *_avx2.cpp and *_avx512.cpp files get their own flags), and identical template instantiations
// with external linkage would let the linker keep a wider ISA's copy for a narrower path.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "cpu/gemm_internal.h"

namespace ng::cpu::detail {
namespace {

#if defined(__AVX2__)
// The interleaving packers (row-major A, transposed B) gather one value from each of MR or NR
// strided streams per k step; done one float at a time that is a load and a store per element and
// costs as much as the multiply itself when the other dimension is small (conv weight gradients,
// M = 64 row blocks). Eight k steps at a time, 8x8 register transposes do the same with one
// vector load per stream and one vector store per k step.
inline void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// dst[p*6 + r] = src[r*ld + p] for p in [0, kc), r in [0, 6): one full MR = 6 panel of row-major A.
inline void pack_rows6_f32(const float* src, int64_t ld, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 6; ++i) r[i] = _mm256_loadu_ps(src + i * ld + p);
        r[6] = r[7] = _mm256_setzero_ps();
        transpose8(r);
        float* out = dst + p * 6;
        // Overlapping 8-wide stores, each rewritten by the next; the last one is cut to 6 values
        // so nothing past this block is touched.
        for (int i = 0; i < 7; ++i) _mm256_storeu_ps(out + i * 6, r[i]);
        _mm_storeu_ps(out + 42, _mm256_castps256_ps128(r[7]));
        _mm_storel_pi(reinterpret_cast<__m64*>(out + 46), _mm256_extractf128_ps(r[7], 1));
    }
    for (; p < kc; ++p)
        for (int i = 0; i < 6; ++i) dst[p * 6 + i] = src[i * ld + p];
}

// dst[p*8 + r] = src[r*ld + p] for p in [0, kc), r in [0, 8): one full MR = 8 panel of row-major A
// (the AVX-512 kernel's), one 8x8 transpose per eight k steps.
inline void pack_rows8_f32(const float* src, int64_t ld, int64_t kc, float* dst) {
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * ld + p);
        transpose8(r);
        for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + (p + i) * 8, r[i]);
    }
    for (; p < kc; ++p)
        for (int i = 0; i < 8; ++i) dst[p * 8 + i] = src[i * ld + p];
}

// dst[p*NR + c] = src[c*ld + p] for p in [0, kc), c in [0, cols), 0 for c in [cols, NR): one panel
// of transposed B, NR = 16 or 32 (cols < NR at the right edge; columns past it are never read).
template <int NR>
void pack_cols_f32(const float* src, int64_t ld, int64_t kc, int cols, float* dst) {
    static_assert(NR % 8 == 0, "panels are packed eight columns at a time");
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
        float* out = dst + p * NR;
        for (int c0 = 0; c0 < NR; c0 += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; ++i)
                r[i] = c0 + i < cols ? _mm256_loadu_ps(src + (c0 + i) * ld + p) : _mm256_setzero_ps();
            transpose8(r);
            for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out + i * NR + c0, r[i]);
        }
    }
    for (; p < kc; ++p)
        for (int c = 0; c < NR; ++c) dst[p * NR + c] = c < cols ? src[c * ld + p] : 0.0f;
}
#endif

// Packs rows [i0, i0+mc) x columns [p0, p0+kc) of op(A) as ceil(mc/MR) panels; panel r holds, for
// each p, the MR values op(A)(i0+r*MR+0..MR-1, p0+p) contiguously.
template <int MR, class T>
void pack_a(const GemmArgs<T>& g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* dst) {
    const int64_t lda = g.lda;
    if (g.trans_a) {
        // op(A)(i, p) = a[p*lda + i]: row p of the stored matrix holds all mc values for this p.
        // Walking p outermost reads each stored row once, contiguously, instead of revisiting
        // every row (and its page) once per panel.
        const int64_t full = mc / MR;
        const int64_t rest = mc - full * MR;
        for (int64_t p = 0; p < kc; ++p) {
            const T* src = g.a + (p0 + p) * lda + i0;
            T* out = dst + p * MR;
            for (int64_t q = 0; q < full; ++q) std::memcpy(out + q * MR * kc, src + q * MR, sizeof(T) * MR);
            if (rest > 0) {
                for (int r = 0; r < MR; ++r)
                    out[full * MR * kc + r] = r < rest ? src[full * MR + r] : T(0);
            }
        }
        return;
    }
    // op(A)(i, p) = a[i*lda + p]: MR contiguous row streams, interleaved.
    for (int64_t ir = 0; ir < mc; ir += MR) {
        const int64_t rows = std::min<int64_t>(MR, mc - ir);
        const T* src = g.a + (i0 + ir) * lda + p0;
        if (rows == MR) {
#if defined(__AVX2__)
            if constexpr (std::is_same_v<T, float> && (MR == 6 || MR == 8)) {
                if constexpr (MR == 6) pack_rows6_f32(src, lda, kc, dst);
                else pack_rows8_f32(src, lda, kc, dst);
                dst += MR * kc;
                continue;
            }
#endif
            for (int64_t p = 0; p < kc; ++p)
                for (int r = 0; r < MR; ++r) dst[p * MR + r] = src[r * lda + p];
        } else {
            for (int64_t p = 0; p < kc; ++p)
                for (int r = 0; r < MR; ++r) dst[p * MR + r] = r < rows ? src[r * lda + p] : T(0);
        }
        dst += MR * kc;
    }
}

// Packs NR-column panels [jp0, jp1) of the block rows [p0, p0+kc) x columns [j0, j0+nc) of op(B);
// panel q holds, for each p, the NR values op(B)(p0+p, j0+q*NR+0..NR-1) contiguously, and is
// written at dst + (q - jp0)*NR*kc.
template <int NR, class T>
void pack_b(const GemmArgs<T>& g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t jp0,
            int64_t jp1, T* dst) {
    const int64_t ldb = g.ldb;
    if (!g.trans_b) {
        // op(B)(p, j) = b[p*ldb + j]. Packing panel by panel would touch kc rows (kc pages when
        // ldb is large) to copy 64 bytes from each; instead a group of panels is filled together,
        // so every row visit copies kGroup*NR contiguous values and the TLB and prefetchers keep
        // up. The group is small enough that its output streams stay few.
        constexpr int64_t kGroup = 8;
        for (int64_t q0 = jp0; q0 < jp1; q0 += kGroup) {
            const int64_t q1 = std::min(jp1, q0 + kGroup);
            for (int64_t p = 0; p < kc; ++p) {
                const T* src = g.b + (p0 + p) * ldb + j0;
                for (int64_t q = q0; q < q1; ++q) {
                    const int64_t cols = std::min<int64_t>(NR, nc - q * NR);
                    const T* in = src + q * NR;
                    T* out = dst + (q - jp0) * NR * kc + p * NR;
                    if (cols == NR) {
                        std::memcpy(out, in, sizeof(T) * NR);  // fixed size: a few vector moves
                    } else {
                        for (int c = 0; c < NR; ++c) out[c] = c < cols ? in[c] : T(0);
                    }
                }
            }
        }
        return;
    }
    // op(B)(p, j) = b[j*ldb + p]: NR contiguous column streams, interleaved.
    for (int64_t q = jp0; q < jp1; ++q) {
        const int64_t jr = q * NR;
        const int64_t cols = std::min<int64_t>(NR, nc - jr);
        const T* src = g.b + (j0 + jr) * ldb + p0;
        T* out = dst + (q - jp0) * NR * kc;
#if defined(__AVX2__)
        if constexpr (std::is_same_v<T, float> && NR % 8 == 0) {
            pack_cols_f32<NR>(src, ldb, kc, static_cast<int>(cols), out);
            continue;
        }
#endif
        if (cols == NR) {
            for (int64_t p = 0; p < kc; ++p)
                for (int c = 0; c < NR; ++c) out[p * NR + c] = src[c * ldb + p];
        } else {
            for (int64_t p = 0; p < kc; ++p)
                for (int c = 0; c < NR; ++c) out[p * NR + c] = c < cols ? src[c * ldb + p] : T(0);
        }
    }
}

}  // namespace
}  // namespace ng::cpu::detail
