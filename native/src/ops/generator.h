// Seedable random number generator (xoshiro256**), shared by the random creation ops.
#pragma once
#include <cstdint>
#include <mutex>

#include "core/ref.h"

namespace ng {

class Generator final : public RefCounted {
public:
    explicit Generator(uint64_t seed) { manual_seed(seed); }
    void manual_seed(uint64_t seed);
    uint64_t next_u64();
    double next_double();  // uniform in [0, 1) with 53 random bits
    float next_float();    // uniform in [0, 1) with 24 random bits
    double next_normal();  // standard normal (Box-Muller, no cached pair: reproducible per call)
    std::mutex& mutex() { return mutex_; }

    static Generator& default_generator();

private:
    uint64_t s_[4];
    std::mutex mutex_;
};

}  // namespace ng
