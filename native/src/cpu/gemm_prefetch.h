// Prefetch of a micro-kernel's C tile, shared by the SIMD GEMM kernels. Include only from
// *_avx2.cpp / *_avx512.cpp files; like gemm_pack.h it is compiled once per ISA, hence the
// unnamed namespace.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace ng::cpu::detail {
namespace {

// Brings the rows x cols float tile at c (rows ldc apart) towards L1 while the k loop runs: the
// first and last value of each row, so a row that straddles two cache lines gets both.
template <int Rows, int Cols>
inline void prefetch_c_tile(const float* c, int64_t ldc) {
    for (int r = 0; r < Rows; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + Cols - 1), _MM_HINT_T0);
    }
}

}  // namespace
}  // namespace ng::cpu::detail
