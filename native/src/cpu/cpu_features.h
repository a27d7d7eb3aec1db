// Run-time CPU detection and the choice of kernel set.
#pragma once
#include <string>

namespace ng::cpu {

// Kernel sets, each a superset of the one before: Avx512 runs every AVX2 kernel and, where one
// exists (the float GEMM micro-kernel), an AVX-512F one instead.
enum class Isa { Generic, Avx2, Avx512 };

// The widest kernel set the CPU (and OS) support, capped by NATIVEGRAD_ISA=generic|avx2|avx512
// (case-insensitive; other values are ignored). Decided once per process.
Isa active_isa();
const char* isa_name(Isa isa);
// Whether `isa` runs the AVX2+FMA kernels (Avx2 and Avx512 do).
inline bool uses_avx2(Isa isa) { return isa >= Isa::Avx2; }
bool cpu_has_avx2_fma();
// AVX-512F with the OS saving the opmask and all 32 ZMM registers (and AVX2+FMA, which the
// AVX-512 kernel set also runs).
bool cpu_has_avx512f();
// Human-readable summary, e.g. "sse4.2 avx avx2 fma avx512f; kernels=avx512".
const std::string& cpu_features_description();

}  // namespace ng::cpu
