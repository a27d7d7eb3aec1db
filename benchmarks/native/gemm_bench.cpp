// SGEMM timing against the machine's measured FP32 FMA peak.
//
//   gemm_bench [--reps R] [--isa generic|avx2|avx512] [--sizes 128,256,...] [--threads 1,2]
//              [--mc X --kc Y --nc Z] [--no-shapes] [--best]
//
// The peak is measured in the same run by an FMA loop with 12 independent accumulators per thread
// (enough to cover FMA latency x 2 pipes), so "% of peak" reflects the clock the machine runs at
// right now. Every figure is the median of R repetitions because the machine is shared and noisy.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/cpu_features.h"
#include "cpu/gemm_internal.h"
#include "cpu/parallel.h"

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// --best switches every statistic from the median to the best repetition (useful when tuning on
// a noisy machine; the reported figures use the median).
bool g_use_best = false;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (g_use_best) return v.front();
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One thread's share of the peak probe: `iters` rounds of 12 independent 8-wide FMAs.
float fma_loop(int64_t iters) {
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
    }
    __m256 s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];  // returned so the loop cannot be optimised away
}

double fma_peak_gflops(int threads, int reps) {
    const int64_t iters = 20'000'000;
    std::vector<double> rates;
    volatile float sink = 0;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = Clock::now();
        float part = 0;
#pragma omp parallel num_threads(threads) reduction(+ : part)
        part += fma_loop(iters);
        const double s = seconds_since(t0);
        sink = sink + part;
        rates.push_back(s);
    }
    return double(threads) * double(iters) * 12 * 8 * 2 / median(rates) * 1e-9;
}

struct Shape {
    int64_t m, n, k;
    bool ta, tb;
    const char* what;
};

double time_sgemm(ng::cpu::Isa isa, const Shape& s, int reps,
                  const ng::cpu::detail::GemmBlocking* blk) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    std::vector<float> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.k * s.n)),
        c(static_cast<size_t>(s.m * s.n));
    for (auto& v : a) v = dist(rng);
    for (auto& v : b) v = dist(rng);
    const int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
    auto once = [&] {
        ng::cpu::detail::sgemm_with_isa(isa, s.ta, s.tb, s.m, s.n, s.k, 1.f, a.data(), lda,
                                        b.data(), ldb, 0.f, c.data(), s.n, blk);
    };
    // Small problems: repeat inside one timing so the clock's resolution does not dominate.
    const double flop = 2.0 * double(s.m) * double(s.n) * double(s.k);
    const int inner = std::max(1, static_cast<int>(2e8 / std::max(flop, 1.0)));
    once();
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = Clock::now();
        for (int i = 0; i < inner; ++i) once();
        times.push_back(seconds_since(t0) / inner);
    }
    return median(times);
}

std::vector<int64_t> parse_list(const char* s) {
    std::vector<int64_t> out;
    for (const char* p = s; *p;) {
        out.push_back(std::strtoll(p, nullptr, 10));
        const char* comma = std::strchr(p, ',');
        if (!comma) break;
        p = comma + 1;
    }
    return out;
}

ng::cpu::Isa parse_isa(const char* name) {
    if (std::strcmp(name, "generic") == 0) return ng::cpu::Isa::Generic;
    if (std::strcmp(name, "avx512") == 0) return ng::cpu::Isa::Avx512;
    return ng::cpu::Isa::Avx2;
}
}  // namespace

int main(int argc, char** argv) {
    int reps = 7;
    ng::cpu::Isa isa = ng::cpu::active_isa();
    std::vector<int64_t> sizes{128, 256, 512, 1024, 2048};
    std::vector<int64_t> thread_counts{1, 2};
    ng::cpu::detail::GemmBlocking blocking;
    bool custom_blocking = false, shapes = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char* val = i + 1 < argc ? argv[i + 1] : "";
        if (arg == "--reps") reps = std::max(1, std::atoi(val)), ++i;
        else if (arg == "--isa") isa = parse_isa(val), ++i;
        else if (arg == "--sizes") sizes = parse_list(val), ++i;
        else if (arg == "--threads") thread_counts = parse_list(val), ++i;
        else if (arg == "--mc") blocking.mc = std::atoll(val), custom_blocking = true, ++i;
        else if (arg == "--kc") blocking.kc = std::atoll(val), custom_blocking = true, ++i;
        else if (arg == "--nc") blocking.nc = std::atoll(val), custom_blocking = true, ++i;
        else if (arg == "--no-shapes") shapes = false;
        else if (arg == "--best") g_use_best = true;
        else {
            std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
            return 2;
        }
    }
    if (!ng::cpu::cpu_has_avx2_fma()) {
        std::fprintf(stderr, "this benchmark needs AVX2+FMA for its peak probe\n");
        return 1;
    }
    if (isa == ng::cpu::Isa::Avx512 && !ng::cpu::cpu_has_avx512f()) isa = ng::cpu::Isa::Avx2;
    const auto* blk = custom_blocking ? &blocking : nullptr;
    std::printf("cpu: %s; sgemm kernels: %s; median of %d reps\n",
                ng::cpu::cpu_features_description().c_str(), ng::cpu::isa_name(isa), reps);

    std::vector<double> peak;
    for (int64_t t : thread_counts) {
        peak.push_back(fma_peak_gflops(static_cast<int>(t), reps));
        std::printf("FMA peak %lldT: %.1f GFLOP/s\n", static_cast<long long>(t), peak.back());
    }

    std::printf("\nsquare sgemm C = A*B (2*N^3 flop)\n%6s", "N");
    for (int64_t t : thread_counts) std::printf(" | %2lldT GFLOP/s  %%peak", static_cast<long long>(t));
    std::printf("\n");
    for (int64_t n : sizes) {
        std::printf("%6lld", static_cast<long long>(n));
        for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
            ng::cpu::set_num_threads(static_cast<int>(thread_counts[ti]));
            const Shape s{n, n, n, false, false, ""};
            const double sec = time_sgemm(isa, s, reps, blk);
            const double gf = 2.0 * n * n * n / sec * 1e-9;
            std::printf(" | %13.1f  %4.0f%%", gf, 100.0 * gf / peak[ti]);
        }
        std::printf("\n");
        std::fflush(stdout);
    }

    if (shapes) {
        // Shapes from CNN/MLP training (im2col convolutions and linear layers, batch 64).
        const Shape odd[] = {
            {6, 784, 25, false, false, "LeNet conv1 fwd, per image"},
            {64, 784, 25, false, false, "64 x 784 x 25"},
            {16, 100, 150, false, false, "LeNet conv2 fwd, per image"},
            {16, 150, 100, false, true, "LeNet conv2 dW (A*B^T)"},
            {150, 100, 16, true, false, "LeNet conv2 dX (A^T*B)"},
            {64, 120, 400, false, true, "linear 400->120 fwd"},
            {120, 400, 64, true, false, "linear 400->120 dW"},
            {64, 10, 84, false, true, "linear 84->10 fwd"},
            {64, 3136, 576, false, false, "ResNet 3x3 conv, per image"},
            {576, 3136, 64, true, false, "ResNet 3x3 conv dX"},
            {1, 1024, 1024, false, false, "row vector x matrix"},
            {1024, 1, 1024, false, false, "matrix x vector"},
            {127, 131, 137, false, false, "primes"},
            {1000, 1000, 1000, true, true, "A^T * B^T"},
        };
        std::printf("\nother shapes (M x N x K)\n%-28s %18s", "shape", "M,N,K,ta,tb");
        for (int64_t t : thread_counts) std::printf(" | %2lldT us   GFLOP/s", static_cast<long long>(t));
        std::printf("\n");
        for (const Shape& s : odd) {
            std::printf("%-28s %5lld,%5lld,%4lld,%d,%d", s.what, static_cast<long long>(s.m),
                        static_cast<long long>(s.n), static_cast<long long>(s.k), s.ta, s.tb);
            for (int64_t t : thread_counts) {
                ng::cpu::set_num_threads(static_cast<int>(t));
                const double sec = time_sgemm(isa, s, reps, blk);
                std::printf(" | %8.2f %8.1f", sec * 1e6, 2.0 * s.m * s.n * s.k / sec * 1e-9);
            }
            std::printf("\n");
            std::fflush(stdout);
        }
    }
    return 0;
}
