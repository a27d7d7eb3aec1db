// The cache-blocked, multi-threaded GEMM driver (BLIS-style five loops around a micro-kernel).
//
//   for jc in N by NC:            B block kc x nc packed once (lives in L2/L3)
//     for pc in K by KC:          K is never split across threads: every C element sums its
//                                 products in the same order whatever the thread count
//       for ic in M by MC:        each thread packs its own mc x kc block of A (lives in L2)
//         for jr in nc by NR:     one B micro-panel stays in L1 ...
//           for ir in mc by MR:   ... while the A micro-panels stream past it
//             micro-kernel: C[MR x NR] = alpha * A_panel * B_panel + beta * C
//
// Threads split the C tile grid (rows of MR, columns of NR) into a tm x tn grid. When several
// threads share columns (tm > 1) they share each B block: either they pack it together and meet at
// a barrier before using it, or, where the kernel can pack a panel of B while it computes its
// first tile with it (see pack_b_in_kernel), each panel is packed by the first thread to reach it
// and the others wait for that panel only. When they do not share columns (tm == 1, including the
// single-threaded case) each thread packs its own B panels on the fly right before first use and
// never waits for the others. Because each element of C is produced by the same micro-kernel lane
// operations in the same order whichever tile and thread it falls into (and whichever thread
// packed its B panel), results are bit-identical for any team size.
//
// Like gemm_pack.h, this header is compiled once per ISA and therefore keeps everything in an
// unnamed namespace.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/gemm_internal.h"
#include "cpu/gemm_pack.h"
#include "cpu/gemm_panel_claims.h"

namespace ng::cpu::detail {
namespace {

constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
constexpr int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
// Start of part `i` when `count` items are split into `parts` near-equal contiguous parts.
constexpr int64_t split_point(int64_t count, int64_t parts, int64_t i) { return count * i / parts; }
// Bytes rounded up to a 64-byte multiple so every sub-buffer of the workspace stays aligned.
constexpr std::size_t aligned_bytes(int64_t elems, std::size_t elem_size) {
    return (static_cast<std::size_t>(elems) * elem_size + 63) & ~std::size_t(63);
}

// Splits `threads` into tm x tn to minimise the largest per-thread share of micro-tiles; ties go to
// splitting M, which keeps each thread's packed A private and the shared B untouched.
inline void choose_grid(int64_t m_panels, int64_t n_panels, int threads, int& tm, int& tn) {
    tm = threads;
    tn = 1;
    int64_t best = -1;
    for (int cand = threads; cand >= 1; --cand) {
        if (threads % cand != 0) continue;
        const int other = threads / cand;
        const int64_t work = ceil_div(m_panels, cand) * ceil_div(n_panels, other);
        if (best < 0 || work < best) {
            best = work;
            tm = cand;
            tn = other;
        }
    }
}

// Kernels may also offer run_packing (see the requirements below).
template <class K, class = void>
struct has_run_packing : std::false_type {};
template <class K>
struct has_run_packing<K, std::void_t<decltype(&K::run_packing)>> : std::true_type {};

// Whether shared B panels are packed by the kernel, inside the first tile that uses them, instead
// of in a packing pass that every thread finishes before any computes. Inside the kernel the copy's
// cache misses overlap multiply-adds, and no thread waits for a whole pass. Square SGEMM on two
// threads, call by call against the packing pass in one process: N = 512 +3% on a quiet machine
// and +3 to +8% while other processes loaded memory (a 1.3 ms call whose packing pass took 0.1 ms
// quiet and up to 0.3 ms loaded), 128 +12%, 384 +4%, 768 +3%, 640 and 1000 within ±1%; LeNet's
// fully-connected weight gradients (120 x 400 x 64, 84 x 120 x 64, A transposed) 6-12% faster and
// their input gradients unchanged.
// It needs rows of B less than a 4 KB page apart, so that a panel's 64-byte row pieces come from
// one page per two or more rows, which the prefetchers follow. With rows a page or more apart
// (N >= 1024) the interleaved copy stream evicted the packed A block and measured 6-9% slower than
// the packing pass, which also weighs less there (the same bytes feed 2x K times the arithmetic).
template <class K>
bool pack_b_in_kernel(const GemmArgs<typename K::T>& g, int threads) {
    if constexpr (has_run_packing<K>::value) {
        return threads > 1 && !g.trans_b &&
               g.ldb * static_cast<int64_t>(sizeof(typename K::T)) < 4096;
    }
    return false;
}

// Kernel requirements (K is a small struct):
//   using T; static constexpr int MR, NR; static constexpr int64_t MC, KC, NC (defaults);
//   static void run(int64_t kc, const T* a_panel, const T* b_panel, T* c, int64_t ldc, T alpha,
//                   T beta);   // full MR x NR tile; beta == 0 must not read c
// and optionally
//   static void run_packing(int64_t kc, const T* a_panel, const T* b, int64_t ldb, T* b_panel,
//                           T* c, int64_t ldc, T alpha, T beta);
//                   // the same, reading B as kc full rows of NR values ldb apart and writing
//                   // them to b_panel as it goes, exactly as pack_b would
template <class K>
void gemm_blocked(const GemmArgs<typename K::T>& g, const GemmBlocking& blocking, int threads) {
    using T = typename K::T;
    constexpr int64_t MR = K::MR, NR = K::NR;
    const int64_t MC = round_up(blocking.mc > 0 ? blocking.mc : K::MC, MR);
    // K blocks of equal depth (e.g. k = 576 runs as 2 x 288, not 512 + 64): a shallow last block
    // would pay a full C read/write for few FMAs.
    const int64_t kc_limit = blocking.kc > 0 ? blocking.kc : K::KC;
    const int64_t KC = ceil_div(g.k, ceil_div(g.k, kc_limit));
    const int64_t NC = round_up(blocking.nc > 0 ? blocking.nc : K::NC, NR);

    const int64_t m = g.m, n = g.n, k = g.k;
    const int64_t kc_max = std::min(KC, k);
    const int64_t nc_max = std::min(NC, round_up(n, NR));
    const int64_t mc_max = std::min(MC, round_up(m, MR));
    if (threads < 1) threads = 1;

    // One workspace from the calling thread: the B block, then one A block per thread. Allocating
    // it here, before any parallel region, means nothing inside the region can throw. The B part
    // has room for the whole block shared, or for one private slice per thread (see below).
    const int64_t np_max = ceil_div(nc_max, NR);
    const std::size_t b_bytes = aligned_bytes(kc_max * NR * (np_max + threads), sizeof(T));
    const std::size_t a_bytes = aligned_bytes(kc_max * mc_max, sizeof(T));
    const bool claim_panels = pack_b_in_kernel<K>(g, threads);
    const std::size_t claims_bytes = claim_panels ? PanelClaims::bytes(np_max) : 0;
    unsigned char* ws = static_cast<unsigned char*>(
        gemm_workspace(b_bytes + a_bytes * static_cast<std::size_t>(threads) + claims_bytes));
    T* const b_pack = reinterpret_cast<T*>(ws);
    PanelClaims claims(ws + b_bytes + a_bytes * static_cast<std::size_t>(threads),
                       claim_panels ? np_max : 0);

    const int64_t m_panels = ceil_div(m, MR);

    auto body = [&](int tid, int team) {
        int tm = 1, tn = 1;
        choose_grid(m_panels, ceil_div(nc_max, NR), team, tm, tn);
        const int ti = tid / tn, tj = tid % tn;
        const int64_t m_begin = std::min(m, split_point(m_panels, tm, ti) * MR);
        const int64_t m_end = std::min(m, split_point(m_panels, tm, ti + 1) * MR);
        T* const a_pack = reinterpret_cast<T*>(ws + b_bytes + a_bytes * static_cast<std::size_t>(tid));
        T tile[MR * NR] = {};  // edge tiles go through here so they use the full-tile kernel too

        // With a single row of threads (tm == 1: one thread, or C split by columns only) every
        // thread packs exactly the B panels it multiplies, so no barrier is needed, and it packs
        // them just before their first use, while they are hot in L1/L2. Otherwise all threads
        // share every B panel: they pack it together and meet at a barrier, or they claim panels.
        const bool shared_b = tm > 1;
        const bool claimed_b = shared_b && claim_panels;
        int64_t block = 0;  // number of the current (jc, pc) block, the same in every thread
        // A private slice never overlaps another thread's, whatever block each thread is at.
        T* const b_private = b_pack + tid * ceil_div(np_max, team) * NR * kc_max;
        constexpr int64_t kFusedGroup = 8;  // B panels packed at a time when packing on the fly

        for (int64_t jc = 0; jc < n; jc += NC) {
            const int64_t nc = std::min(NC, n - jc);
            const int64_t n_panels = ceil_div(nc, NR);
            const int64_t jp_begin = split_point(n_panels, tn, tj);
            const int64_t jp_end = split_point(n_panels, tn, tj + 1);
            for (int64_t pc = 0; pc < k; pc += KC) {
                const int64_t kc = std::min(KC, k - pc);
                // Later K blocks accumulate onto what the first one wrote.
                const T beta = pc == 0 ? g.beta : T(1);
                ++block;
                if (shared_b && !claimed_b) {
                    const int64_t p_begin = split_point(n_panels, team, tid);
                    pack_b<NR>(g, pc, kc, jc, nc, p_begin, split_point(n_panels, team, tid + 1),
                               b_pack + p_begin * NR * kc);
#pragma omp barrier
                }
                for (int64_t ic = m_begin; ic < m_end && jp_begin < jp_end; ic += MC) {
                    const int64_t mc = std::min(MC, m_end - ic);
                    pack_a<MR>(g, ic, mc, pc, kc, a_pack);
                    // When claiming, the threads of a column start their first row block at
                    // different panels, so that they mostly pack different ones.
                    const int64_t span = jp_end - jp_begin;
                    const int64_t rot = claimed_b && ic == m_begin ? span * ti / tm : 0;
                    for (int64_t step = 0; step < span; ++step) {
                        const int64_t q = jp_begin + (step + rot) % span;
                        T* const bp = shared_b ? b_pack + q * NR * kc
                                               : b_private + (q - jp_begin) * NR * kc;
                        if (!shared_b && ic == m_begin && (q - jp_begin) % kFusedGroup == 0)
                            pack_b<NR>(g, pc, kc, jc, nc, q, std::min(jp_end, q + kFusedGroup), bp);
                        const int64_t j = jc + q * NR;
                        const int64_t nr = std::min(NR, n - j);
                        int64_t ir = 0;
                        if (claimed_b && claims.acquire(q, block)) {
                            if constexpr (has_run_packing<K>::value) {
                                if (nr == NR && mc >= MR) {
                                    K::run_packing(kc, a_pack, g.b + pc * g.ldb + j, g.ldb, bp,
                                                   g.c + ic * g.ldc + j, g.ldc, g.alpha, beta);
                                    ir = MR;
                                }
                            }
                            if (ir == 0) pack_b<NR>(g, pc, kc, jc, nc, q, q + 1, bp);
                            claims.publish(q, block);
                        }
                        for (; ir < mc; ir += MR) {
                            const T* ap = a_pack + ir * kc;
                            const int64_t i = ic + ir;
                            const int64_t mr = std::min(MR, m - i);
                            T* c = g.c + i * g.ldc + j;
                            if (mr == MR && nr == NR) {
                                K::run(kc, ap, bp, c, g.ldc, g.alpha, beta);
                                continue;
                            }
                            // Edge tile: run the same kernel on a copy of the valid part of C.
                            // With beta == 0 the kernel reads nothing, so C is never read.
                            if (beta != T(0)) {
                                for (int64_t r = 0; r < mr; ++r)
                                    for (int64_t s = 0; s < nr; ++s) tile[r * NR + s] = c[r * g.ldc + s];
                            }
                            K::run(kc, ap, bp, tile, NR, g.alpha, beta);
                            for (int64_t r = 0; r < mr; ++r)
                                for (int64_t s = 0; s < nr; ++s) c[r * g.ldc + s] = tile[r * NR + s];
                        }
                    }
                }
                if (shared_b) {
                    // No thread may overwrite a panel of this block while another still reads it.
#pragma omp barrier
                }
            }
        }
    };

    if (threads == 1) {
        body(0, 1);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        // OpenMP may grant fewer threads than asked for: partition by the real team size (the
        // workspace holds enough A blocks for the requested size, which is an upper bound).
        body(omp_get_thread_num(), omp_get_num_threads());
    }
}

}  // namespace
}  // namespace ng::cpu::detail
