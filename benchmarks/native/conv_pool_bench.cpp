// Timing of the conv2d and pool2d kernels on the project's target shapes (float32, NCHW).
// Prints the median of several runs for 1 and 2 threads; "fwd+bwd" is the forward followed by
// the input, weight and bias gradients (pooling: forward then input gradient).
//   conv_pool_bench [runs] [filter] [threads] [min]
// runs: timed runs after 2 warm-up runs (default 11); filter: only the cases whose name contains
// it ("pool" for pooling, "all" for everything); threads: 1, 2 or 0 for both (default); with
// "min" the best run is printed instead of the median (steadier on a loaded machine). With
// runs = 1 and one case it is a short, deterministic workload for `valgrind --tool=callgrind`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cpu/conv2d.h"
#include "cpu/cpu_features.h"
#include "cpu/parallel.h"
#include "cpu/pool2d.h"

namespace {

using Clock = std::chrono::steady_clock;

bool g_best = false;  // report the fastest run instead of the median (for a loaded machine)

double median_ms(int runs, const std::function<void()>& f) {
    f();
    f();
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = Clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return g_best ? t.front() : t[t.size() / 2];
}

std::vector<float> random_vec(size_t count, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(count);
    for (auto& e : v) e = dist(gen);
    return v;
}

struct ConvCase {
    const char* name;
    ng::cpu::Conv2dShape s;
};

ng::cpu::Conv2dShape conv(int64_t n, int64_t ci, int64_t h, int64_t w, int64_t co, int64_t k,
                          int64_t pad) {
    ng::cpu::Conv2dShape s{n, ci, h, w, co, k, k, 1, 1, pad, pad, 1, 1, 1, 0, 0};
    s.h_out = h + 2 * pad - k + 1;
    s.w_out = w + 2 * pad - k + 1;
    return s;
}

std::vector<int> g_threads = {1, 2};

void bench_conv(const ConvCase& c, int runs) {
    const auto& s = c.s;
    const size_t nx = static_cast<size_t>(s.n * s.c_in * s.h * s.w);
    const size_t ny = static_cast<size_t>(s.n * s.c_out * s.h_out * s.w_out);
    const size_t nw = static_cast<size_t>(s.c_out * s.c_in / s.groups * s.kh * s.kw);
    const auto x = random_vec(nx, 1), w = random_vec(nw, 2), b = random_vec(size_t(s.c_out), 3),
               gy = random_vec(ny, 4);
    std::vector<float> y(ny), gx(nx), gw(nw), gb(size_t(s.c_out));
    const double gflop = 2.0 * double(ny) * double(s.c_in / s.groups * s.kh * s.kw) * 1e-9;
    for (int threads : g_threads) {
        ng::cpu::set_num_threads(threads);
        const double fwd = median_ms(runs, [&] {
            ng::cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
        });
        const double bin = median_ms(runs, [&] {
            ng::cpu::conv2d_backward_input(s, gy.data(), w.data(), gx.data());
        });
        const double bw = median_ms(runs, [&] {
            ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw.data());
        });
        const double bb = median_ms(runs, [&] {
            ng::cpu::conv2d_backward_bias(s, gy.data(), gb.data());
        });
        const double all = median_ms(runs, [&] {
            ng::cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data());
            ng::cpu::conv2d_backward_input(s, gy.data(), w.data(), gx.data());
            ng::cpu::conv2d_backward_weight(s, gy.data(), x.data(), gw.data());
            ng::cpu::conv2d_backward_bias(s, gy.data(), gb.data());
        });
        std::printf("%-34s %dT  fwd %8.3f ms (%5.1f GFLOP/s)  bwd_in %8.3f  bwd_w %8.3f  "
                    "bwd_b %6.3f  fwd+bwd %8.3f ms\n",
                    c.name, threads, fwd, gflop / (fwd * 1e-3), bin, bw, bb, all);
    }
}

void bench_pool(int runs) {
    ng::cpu::Pool2dShape s{64, 16, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, 14, 14};
    const size_t nx = 64 * 16 * 28 * 28, ny = 64 * 16 * 14 * 14;
    const auto x = random_vec(nx, 5), gy = random_vec(ny, 6);
    std::vector<float> y(ny), gx(nx);
    std::vector<int64_t> idx(ny);
    for (int threads : g_threads) {
        ng::cpu::set_num_threads(threads);
        const double mf = median_ms(runs, [&] {
            ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
        });
        const double mfb = median_ms(runs, [&] {
            ng::cpu::max_pool2d_forward(s, x.data(), y.data(), idx.data());
            ng::cpu::max_pool2d_backward(s, gy.data(), idx.data(), gx.data());
        });
        const double af = median_ms(runs, [&] {
            ng::cpu::avg_pool2d_forward(s, true, 0, x.data(), y.data());
        });
        const double afb = median_ms(runs, [&] {
            ng::cpu::avg_pool2d_forward(s, true, 0, x.data(), y.data());
            ng::cpu::avg_pool2d_backward(s, true, 0, gy.data(), gx.data());
        });
        std::printf("pool 2x2/2 64x16x28x28             %dT  max fwd %6.3f  fwd+bwd %6.3f ms   "
                    "avg fwd %6.3f  fwd+bwd %6.3f ms\n",
                    threads, mf, mfb, af, afb);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 11;
    const std::string filter = argc > 2 ? argv[2] : "all";
    const int only_threads = argc > 3 ? std::atoi(argv[3]) : 0;
    if (only_threads > 0) g_threads = {only_threads};
    g_best = argc > 4 && std::string(argv[4]) == "min";
    auto selected = [&](const char* name) {
        return filter == "all" || std::string(name).find(filter) != std::string::npos;
    };
    std::printf("kernels: %s; %s of %d runs\n", ng::cpu::cpu_features_description().c_str(),
                g_best ? "best" : "median", runs);
    const ConvCase cases[] = {
        {"LeNet conv1 N=64 1->6 28x28 k5 p2", conv(64, 1, 28, 28, 6, 5, 2)},
        {"LeNet conv2 N=64 6->16 14x14 k5", conv(64, 6, 14, 14, 16, 5, 0)},
        {"ResNet N=16 64->64 56x56 k3 p1", conv(16, 64, 56, 56, 64, 3, 1)},
    };
    for (const auto& c : cases)
        if (selected(c.name)) bench_conv(c, runs);
    if (selected("pool")) bench_pool(runs);
    return 0;
}
