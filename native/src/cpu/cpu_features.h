// Run-time CPU detection and the choice of kernel set.
#pragma once
#include <string>

namespace ng::cpu {

enum class Isa { Generic, Avx2 };

// AVX2+FMA kernels when the CPU (and OS) support them, unless NATIVEGRAD_ISA=generic forces the
// portable kernels. Decided once per process.
Isa active_isa();
const char* isa_name(Isa isa);
bool cpu_has_avx2_fma();
// Human-readable summary, e.g. "sse4.2 avx avx2 fma avx512f; kernels=avx2".
const std::string& cpu_features_description();

}  // namespace ng::cpu
