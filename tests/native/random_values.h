// Seeded test data shared by the native suites: the same seed gives the same values on every
// platform run, so a failure can be reproduced.
#pragma once
#include <cstddef>
#include <random>
#include <vector>

namespace ng::test {

// `count` values drawn uniformly from [lo, hi) by mt19937(seed), converted to T. They are drawn
// in Draw precision (double unless a suite's recorded data were drawn in float).
template <class T = double, class Draw = double>
std::vector<T> uniform_values(std::size_t count, unsigned seed, double lo = -1.0, double hi = 1.0) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<Draw> dist(static_cast<Draw>(lo), static_cast<Draw>(hi));
    std::vector<T> v(count);
    for (auto& e : v) e = static_cast<T>(dist(gen));
    return v;
}

}  // namespace ng::test
