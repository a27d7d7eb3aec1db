// The kernel-set choice: the widest set the CPU supports, capped by NATIVEGRAD_ISA (ctest runs
// the suite with it unset, "generic" and "avx2", so each run checks its own case).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <string>

#include "cpu/cpu_features.h"

namespace {

using ng::cpu::Isa;

Isa widest_supported() {
    if (ng::cpu::cpu_has_avx512f()) return Isa::Avx512;
    if (ng::cpu::cpu_has_avx2_fma()) return Isa::Avx2;
    return Isa::Generic;
}

std::string lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

TEST(CpuFeaturesTest, ActiveKernelSetIsWidestSupportedCappedByEnvironment) {
    const char* env = std::getenv("NATIVEGRAD_ISA");
    const std::string cap = env ? lower(env) : "";
    Isa want = widest_supported();
    if (cap == "generic") want = Isa::Generic;
    if (cap == "avx2" && want == Isa::Avx512) want = Isa::Avx2;
    EXPECT_EQ(ng::cpu::active_isa(), want) << "NATIVEGRAD_ISA=" << cap;
    const std::string description = ng::cpu::cpu_features_description();
    EXPECT_NE(description.find(std::string("kernels=") + ng::cpu::isa_name(want)), std::string::npos)
        << description;
}

TEST(CpuFeaturesTest, WiderKernelSetsIncludeTheAvx2Kernels) {
    EXPECT_FALSE(ng::cpu::uses_avx2(Isa::Generic));
    EXPECT_TRUE(ng::cpu::uses_avx2(Isa::Avx2));
    EXPECT_TRUE(ng::cpu::uses_avx2(Isa::Avx512));
    // AVX-512 is only reported with the AVX2+FMA the same kernel set also runs.
    if (ng::cpu::cpu_has_avx512f()) EXPECT_TRUE(ng::cpu::cpu_has_avx2_fma());
    EXPECT_STREQ(ng::cpu::isa_name(Isa::Avx512), "avx512");
    EXPECT_STREQ(ng::cpu::isa_name(Isa::Avx2), "avx2");
    EXPECT_STREQ(ng::cpu::isa_name(Isa::Generic), "generic");
}

}  // namespace
