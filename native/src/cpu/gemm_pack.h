// Packing of op(A) and op(B) into the contiguous micro-panels the GEMM micro-kernels stream through.
//
// Transposition is absorbed here: the packed layout is the same whatever trans_a/trans_b were, so
// the kernels never see a stride and no transposed copy of an operand is ever made. Panels at the
// matrix edge are zero-padded to full MR/NR width so the kernels have no edge cases.
//
// Everything sits in an unnamed namespace on purpose: this header is compiled once per ISA (the
// *_avx2.cpp file gets -mavx2 -mfma), and identical template instantiations with external linkage
// would let the linker keep the AVX2 copy for the generic path.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/gemm_internal.h"

namespace ng::cpu::detail {
namespace {

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
