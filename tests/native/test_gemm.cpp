// The packed GEMM against a naive triple loop with double accumulation: many shapes (1, primes,
// k == 0, sizes that are not multiples of the register tile or the cache blocks), all transpose
// combinations, padded leading dimensions, alpha/beta variants, every kernel set the CPU has,
// bit-identical results for 1 to 4 threads, and bit-identical results of the AVX2 and AVX-512
// float kernels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/gemm_internal.h"
#include "cpu/parallel.h"
#include "random_values.h"

namespace {

using ng::test::uniform_values;

using ng::cpu::Isa;
using ng::cpu::detail::GemmBlocking;

// Restores the thread count a test changed, even when an assertion fails.
class ThreadCountGuard {
public:
    ThreadCountGuard() : saved_(ng::cpu::num_threads()) {}
    ~ThreadCountGuard() { ng::cpu::set_num_threads(saved_); }
    ThreadCountGuard(const ThreadCountGuard&) = delete;
    ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

private:
    int saved_;
};

template <class T>
void call_gemm(Isa isa, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc,
               const GemmBlocking* blk = nullptr) {
    if constexpr (std::is_same_v<T, float>)
        ng::cpu::detail::sgemm_with_isa(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, blk);
    else
        ng::cpu::detail::dgemm_with_isa(isa, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, blk);
}

// The reference: C = alpha * op(A) * op(B) + beta * C with double accumulation; beta == 0 means C
// is not read.
template <class T>
void gemm_reference(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const T* a,
                    int64_t lda, const T* b, int64_t ldb, double beta, std::vector<double>& c,
                    int64_t ldc) {
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            double acc = 0;
            for (int64_t p = 0; p < k; ++p) {
                const double av = ta ? a[p * lda + i] : a[i * lda + p];
                const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                acc += av * bv;
            }
            double& out = c[static_cast<size_t>(i * ldc + j)];
            out = beta == 0 ? alpha * acc : alpha * acc + beta * out;
        }
    }
}

// Small integers: every product and partial sum is exact in float for the sizes used here, so the
// kernels must match the reference exactly whatever their summation order.
template <class T>
std::vector<T> integer_values(size_t count, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> dist(-4, 4);
    std::vector<T> v(count);
    for (auto& x : v) x = static_cast<T>(dist(gen));
    return v;
}

struct Case {
    int64_t m, n, k;
    bool ta, tb;
    double alpha, beta;
    int64_t pad_a, pad_b, pad_c;  // extra elements per row beyond the logical width
};

std::string describe(const Case& c) {
    return "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) +
           " ta=" + std::to_string(c.ta) + " tb=" + std::to_string(c.tb) +
           " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
           " pads=" + std::to_string(c.pad_a) + "," + std::to_string(c.pad_b) + "," +
           std::to_string(c.pad_c);
}

// Runs one case and checks every element of C, including that the padding between rows of C is
// left untouched. `exact` uses integer inputs and demands equality; otherwise a tolerance scaled by
// k and the magnitudes involved.
template <class T>
void check_case(Isa isa, const Case& cs, bool exact, const GemmBlocking* blk = nullptr,
                unsigned seed = 1) {
    SCOPED_TRACE(describe(cs) + " isa=" + ng::cpu::isa_name(isa) + (blk ? " small-blocks" : ""));
    const int64_t a_rows = cs.ta ? cs.k : cs.m, a_cols = cs.ta ? cs.m : cs.k;
    const int64_t b_rows = cs.tb ? cs.n : cs.k, b_cols = cs.tb ? cs.k : cs.n;
    const int64_t lda = a_cols + cs.pad_a, ldb = b_cols + cs.pad_b, ldc = cs.n + cs.pad_c;
    const size_t a_size = static_cast<size_t>(std::max<int64_t>(a_rows * lda, 1));
    const size_t b_size = static_cast<size_t>(std::max<int64_t>(b_rows * ldb, 1));
    const size_t c_size = static_cast<size_t>(std::max<int64_t>(cs.m * ldc, 1));
    const std::vector<T> a = exact ? integer_values<T>(a_size, seed) : uniform_values<T>(a_size, seed);
    const std::vector<T> b =
        exact ? integer_values<T>(b_size, seed + 1) : uniform_values<T>(b_size, seed + 1);
    std::vector<T> c(c_size);
    const T sentinel = T(-12345.0);
    if (cs.beta == 0) {
        // C is garbage that must never be read.
        std::fill(c.begin(), c.end(), std::numeric_limits<T>::quiet_NaN());
    } else {
        c = exact ? integer_values<T>(c_size, seed + 2) : uniform_values<T>(c_size, seed + 2);
    }
    for (int64_t i = 0; i < cs.m; ++i)
        for (int64_t j = cs.n; j < ldc; ++j) c[static_cast<size_t>(i * ldc + j)] = sentinel;

    std::vector<double> expected(c.begin(), c.end());
    gemm_reference(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, a.data(), lda, b.data(), ldb, cs.beta,
                   expected, ldc);
    call_gemm<T>(isa, cs.ta, cs.tb, cs.m, cs.n, cs.k, static_cast<T>(cs.alpha), a.data(), lda,
                 b.data(), ldb, static_cast<T>(cs.beta), c.data(), ldc, blk);

    const double eps = std::numeric_limits<T>::epsilon();
    int reported = 0;
    for (int64_t i = 0; i < cs.m; ++i) {
        for (int64_t j = 0; j < ldc; ++j) {
            const size_t at = static_cast<size_t>(i * ldc + j);
            if (j >= cs.n) {
                ASSERT_EQ(c[at], sentinel) << "padding of C written at row " << i << " col " << j;
                continue;
            }
            const double want = expected[at];
            // Inputs are in [-1, 1]: |sum| <= k, so k * eps * (|alpha| k + |beta|) bounds rounding.
            const double tol = exact ? 0.0
                                     : 4.0 * eps * (std::abs(cs.alpha) * double(cs.k) * double(cs.k) +
                                                    std::abs(cs.beta) + 1.0);
            const double got = c[at];
            if (!(std::abs(got - want) <= tol) && reported++ < 5)
                ADD_FAILURE() << "C(" << i << "," << j << ") = " << got << ", want " << want;
        }
    }
    EXPECT_EQ(reported, 0) << "mismatching elements";
}

std::vector<Isa> isas_to_test() {
    std::vector<Isa> out{Isa::Generic};
    if (ng::cpu::cpu_has_avx2_fma()) out.push_back(Isa::Avx2);
    if (ng::cpu::cpu_has_avx512f()) out.push_back(Isa::Avx512);
    return out;
}

const bool kTrans[2] = {false, true};

// Shapes around the register tiles (6x16 / 6x8 / 6x4, AVX-512 8x32), primes, and sizes that leave partial tiles
// and span several M blocks at the default blocking (300 x 517 x 263; 100 x 33 x 600 takes two K
// blocks). ForcedSmallBlocksCrossEveryBlockBoundary covers many MC/KC/NC boundaries at once.
const int64_t kShapes[][3] = {
    {1, 1, 1},    {1, 1, 7},    {1, 17, 1},   {5, 1, 3},    {6, 16, 8},    {7, 13, 31},
    {13, 7, 2},   {12, 32, 64}, {31, 127, 5}, {127, 31, 13}, {1, 127, 64}, {127, 1, 64},
    {37, 45, 97}, {64, 784, 25}, {100, 33, 600}, {300, 517, 263}, {8, 32, 9}, {9, 33, 17},
    {16, 64, 3},
};

template <class T>
void run_shape_sweep(Isa isa, bool exact) {
    for (const auto& s : kShapes)
        for (bool ta : kTrans)
            for (bool tb : kTrans) {
                check_case<T>(isa, {s[0], s[1], s[2], ta, tb, 1.0, 0.0, 0, 0, 0}, exact);
                if (::testing::Test::HasFatalFailure()) return;
            }
}

TEST(GemmTest, SgemmExactShapesAllTransposesEveryIsa) {
    for (Isa isa : isas_to_test()) run_shape_sweep<float>(isa, true);
}

TEST(GemmTest, SgemmRandomShapesAllTransposesEveryIsa) {
    for (Isa isa : isas_to_test()) run_shape_sweep<float>(isa, false);
}

TEST(GemmTest, DgemmExactShapesAllTransposesEveryIsa) {
    for (Isa isa : isas_to_test()) run_shape_sweep<double>(isa, true);
}

TEST(GemmTest, DgemmRandomShapesAllTransposesEveryIsa) {
    for (Isa isa : isas_to_test()) run_shape_sweep<double>(isa, false);
}

TEST(GemmTest, AlphaBetaVariantsAndPaddedLeadingDimensions) {
    const double alphas[] = {1.0, -1.0, 2.0, 0.5};
    const double betas[] = {0.0, 1.0, -1.0, 0.5, 3.0};
    for (Isa isa : isas_to_test())
        for (double alpha : alphas)
            for (double beta : betas)
                for (bool ta : kTrans)
                    for (bool tb : kTrans) {
                        check_case<float>(isa, {23, 41, 19, ta, tb, alpha, beta, 3, 5, 7}, true);
                        check_case<double>(isa, {23, 41, 19, ta, tb, alpha, beta, 1, 2, 9}, true);
                        check_case<float>(isa, {29, 53, 71, ta, tb, alpha, beta, 11, 1, 4}, false);
                        if (::testing::Test::HasFatalFailure()) return;
                    }
}

// The vectorised packers move 8 k steps at a time with register transposes (full 6- and 8-row
// panels of row-major A, 16- and 32-column panels of transposed B): depths around multiples of 8,
// full and partial panels, padded leading dimensions and K blocks that start mid-row.
TEST(GemmTest, VectorisedPackersAroundEightStepGroups) {
    const GemmBlocking kc5{0, 5, 0}, kc9{0, 9, 0};
    for (Isa isa : isas_to_test())
        for (int64_t k : {1, 7, 8, 9, 15, 16, 17, 33})
            for (int64_t m : {6, 8, 12, 13, 17})
                for (int64_t n : {16, 32, 35, 64}) {
                    check_case<float>(isa, {m, n, k, false, true, 1.0, 0.0, 0, 0, 0}, true);
                    check_case<float>(isa, {m, n, k, false, true, -1.0, 1.0, 3, 2, 1}, true);
                    check_case<float>(isa, {m, n, k, false, false, 1.0, 0.0, 1, 0, 0}, true, &kc5);
                    check_case<float>(isa, {m, n, k, true, true, 1.0, 0.0, 0, 5, 0}, true, &kc9);
                }
}

TEST(GemmTest, ForcedSmallBlocksCrossEveryBlockBoundary) {
    // Blocks far smaller than the defaults so modest sizes cross many MC/KC/NC boundaries,
    // including K blocks after the first (which accumulate with beta = 1).
    const GemmBlocking blocks[] = {{12, 16, 32}, {6, 5, 16}, {18, 7, 48}};
    for (Isa isa : isas_to_test())
        for (const GemmBlocking& blk : blocks)
            for (bool ta : kTrans)
                for (bool tb : kTrans) {
                    check_case<float>(isa, {50, 70, 45, ta, tb, 1.0, 0.0, 0, 0, 0}, true, &blk);
                    check_case<float>(isa, {61, 37, 83, ta, tb, -2.0, 0.5, 2, 3, 1}, true, &blk);
                    check_case<double>(isa, {43, 29, 57, ta, tb, 0.5, -1.0, 0, 1, 2}, true, &blk);
                    check_case<float>(isa, {300, 517, 263, ta, tb, 1.0, 1.0, 0, 0, 0}, false, &blk);
                    if (::testing::Test::HasFatalFailure()) return;
                }
}

// The AVX-512 kernel sums every element's products in the AVX2 kernel's order and finishes the
// tile with the same formula, so sgemm may pick either per call: their bytes must agree for any
// shape, transposes, alpha/beta (including the beta == 0 path), blocking and thread count.
TEST(GemmTest, Avx512AndAvx2FloatKernelsGiveIdenticalBytes) {
    if (!ng::cpu::cpu_has_avx512f()) GTEST_SKIP() << "CPU without AVX-512F";
    ThreadCountGuard guard;
    const GemmBlocking small{16, 24, 64};
    const int64_t shapes[][3] = {{1, 1, 1},     {7, 13, 31},   {8, 32, 512}, {33, 65, 1000},
                                 {300, 517, 263}, {129, 200, 1537}, {64, 10, 400}};
    for (const auto& s : shapes)
        for (bool ta : kTrans)
            for (bool tb : kTrans)
                for (float beta : {0.0f, 1.0f, -0.5f})
                    for (int threads : {1, 2}) {
                        const int64_t m = s[0], n = s[1], k = s[2];
                        SCOPED_TRACE("m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                     " k=" + std::to_string(k) + " ta=" + std::to_string(ta) +
                                     " tb=" + std::to_string(tb) + " beta=" + std::to_string(beta) +
                                     " threads=" + std::to_string(threads));
                        ng::cpu::set_num_threads(threads);
                        const auto a = uniform_values<float>(static_cast<size_t>(m * k), 21);
                        const auto b = uniform_values<float>(static_cast<size_t>(k * n), 22);
                        const auto c0 = uniform_values<float>(static_cast<size_t>(m * n), 23);
                        const int64_t lda = ta ? m : k, ldb = tb ? k : n;
                        for (const GemmBlocking* blk : {static_cast<const GemmBlocking*>(nullptr), &small}) {
                            std::vector<float> c2 = c0, c512 = c0;
                            call_gemm<float>(Isa::Avx2, ta, tb, m, n, k, 1.25f, a.data(), lda, b.data(),
                                             ldb, beta, c2.data(), n, blk);
                            call_gemm<float>(Isa::Avx512, ta, tb, m, n, k, 1.25f, a.data(), lda,
                                             b.data(), ldb, beta, c512.data(), n, blk);
                            ASSERT_EQ(0, std::memcmp(c2.data(), c512.data(), c2.size() * sizeof(float)))
                                << (blk ? "small blocks" : "default blocks");
                        }
                    }
}

// sgemm takes the 8x32 AVX-512 tile unless it would compute more padded elements of C than the
// 6x16 AVX2 tile: LeNet's 10-class output layer (n = 10 runs as 32 columns, not 16) stays on AVX2.
TEST(GemmTest, Avx512TileChosenUnlessItPadsMore) {
    using ng::cpu::detail::sgemm_prefers_avx512;
    EXPECT_TRUE(sgemm_prefers_avx512(512, 512));
    EXPECT_TRUE(sgemm_prefers_avx512(64, 120));
    EXPECT_TRUE(sgemm_prefers_avx512(16, 784));
    EXPECT_FALSE(sgemm_prefers_avx512(64, 10));
    EXPECT_FALSE(sgemm_prefers_avx512(6, 784));  // 6 rows would run as 8
    EXPECT_FALSE(sgemm_prefers_avx512(1, 1));
}

TEST(GemmTest, ZeroKScalesCByBeta) {
    for (Isa isa : isas_to_test()) {
        check_case<float>(isa, {5, 7, 0, false, false, 1.0, 0.0, 0, 0, 2}, true);  // NaN C -> zeros
        check_case<float>(isa, {5, 7, 0, true, true, 1.0, 2.0, 0, 0, 2}, true);
        check_case<double>(isa, {9, 3, 0, false, true, 1.0, 1.0, 0, 0, 0}, true);
        check_case<double>(isa, {9, 3, 0, true, false, 1.0, 0.0, 0, 0, 1}, true);
    }
}

TEST(GemmTest, EmptyOutputTouchesNothing) {
    for (Isa isa : isas_to_test()) {
        float c = 42.0f;
        const float a = 1.0f, b = 1.0f;
        call_gemm<float>(isa, false, false, 0, 1, 5, 1.0f, &a, 5, &b, 1, 0.0f, &c, 1);
        call_gemm<float>(isa, false, false, 1, 0, 5, 1.0f, &a, 5, &b, 1, 0.0f, &c, 1);
        EXPECT_EQ(c, 42.0f);
    }
}

TEST(GemmTest, AlphaZeroDoesNotReadAOrB) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (Isa isa : isas_to_test()) {
        std::vector<float> a(12, nan), b(20, nan), c(15, 2.0f);
        call_gemm<float>(isa, false, false, 3, 5, 4, 0.0f, a.data(), 4, b.data(), 5, 0.5f, c.data(), 5);
        for (float v : c) EXPECT_EQ(v, 1.0f);
    }
}

TEST(GemmTest, PublicEntryPointsMatchReference) {
    // sgemm/dgemm go through the run-time kernel choice (NATIVEGRAD_ISA may force generic).
    const int64_t m = 33, n = 65, k = 129;
    const auto a = integer_values<float>(m * k, 3), b = integer_values<float>(k * n, 4);
    std::vector<float> c(m * n, std::numeric_limits<float>::quiet_NaN());
    ng::cpu::sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    std::vector<double> want(m * n);
    gemm_reference(false, false, m, n, k, 1.0, a.data(), k, b.data(), n, 0.0, want, n);
    for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(c[i], want[i]) << "at " << i;

    const auto ad = integer_values<double>(m * k, 5), bd = integer_values<double>(n * k, 6);
    std::vector<double> cd(m * n, 1.0), wantd(m * n, 1.0);
    ng::cpu::gemm(false, true, m, n, k, 2.0, ad.data(), k, bd.data(), k, -1.0, cd.data(), n);
    gemm_reference(false, true, m, n, k, 2.0, ad.data(), k, bd.data(), k, -1.0, wantd, n);
    for (size_t i = 0; i < cd.size(); ++i) ASSERT_EQ(cd[i], wantd[i]) << "at " << i;
}

// Same inputs with 1, 2, 3 and 4 threads must give the same bytes: K is never split, so every
// element is summed in the same order whichever thread computes it and whichever thread packed
// the B panel it used (4 threads also split C as a 2 x 2 grid: two threads share each panel).
template <class T>
void check_thread_invariance(Isa isa, int64_t m, int64_t n, int64_t k, bool ta, bool tb,
                             const GemmBlocking* blk) {
    SCOPED_TRACE("m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                 " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                 " isa=" + ng::cpu::isa_name(isa));
    ThreadCountGuard guard;
    const auto a = uniform_values<T>(static_cast<size_t>(m * k), 11);
    const auto b = uniform_values<T>(static_cast<size_t>(k * n), 12);
    const auto c0 = uniform_values<T>(static_cast<size_t>(m * n), 13);
    const int64_t lda = ta ? m : k, ldb = tb ? k : n;
    std::vector<std::vector<T>> results;
    for (int threads : {1, 2, 3, 4}) {
        ng::cpu::set_num_threads(threads);
        std::vector<T> c = c0;
        call_gemm<T>(isa, ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, T(-0.5), c.data(),
                     n, blk);
        results.push_back(std::move(c));
    }
    for (size_t r = 1; r < results.size(); ++r)
        EXPECT_EQ(0, std::memcmp(results[0].data(), results[r].data(), results[0].size() * sizeof(T)))
            << "threads=" << r + 1 << " differs from threads=1";
}

TEST(GemmTest, BitIdenticalForOneToFourThreads) {
    const GemmBlocking small{12, 32, 48};
    for (Isa isa : isas_to_test())
        for (bool ta : kTrans)
            for (bool tb : kTrans) {
                check_thread_invariance<float>(isa, 300, 517, 263, ta, tb, nullptr);
                check_thread_invariance<float>(isa, 7, 1001, 700, ta, tb, nullptr);  // splits N
                check_thread_invariance<float>(isa, 131, 97, 89, ta, tb, &small);
                // Threads sharing B panels claim them: a second thread with one partial row
                // panel, a partial last column panel, and several K and N blocks.
                check_thread_invariance<float>(isa, 13, 40, 70, ta, tb, &small);
                check_thread_invariance<double>(isa, 257, 129, 300, ta, tb, nullptr);
            }
}

}  // namespace
