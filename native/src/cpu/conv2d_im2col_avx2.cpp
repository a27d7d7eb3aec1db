// AVX2 stride-1 im2col/col2im for one kernel tap (float). Convolution rows are short (10-56
// pixels in the target networks), where a memcpy call per row costs more than the copy itself;
// here all output rows of a tap are done in one call, each row being a few 8-wide moves, one
// 4-wide move and at most three scalar ones. (Masked stores would cover the ragged end in one
// instruction, but they are microcoded and slow on AMD cores.)
#include <immintrin.h>

#include <cstdint>

namespace ng::cpu::conv_detail {
namespace {
inline void copy_row(const float* src, int64_t count, float* dst) {
    int64_t j = 0;
    for (; j + 8 <= count; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
    if (j + 4 <= count) {
        _mm_storeu_ps(dst + j, _mm_loadu_ps(src + j));
        j += 4;
    }
    for (; j < count; ++j) dst[j] = src[j];
}

inline void add_row(const float* src, int64_t count, float* dst) {
    int64_t j = 0;
    for (; j + 8 <= count; j += 8)
        _mm256_storeu_ps(dst + j, _mm256_add_ps(_mm256_loadu_ps(dst + j), _mm256_loadu_ps(src + j)));
    if (j + 4 <= count) {
        _mm_storeu_ps(dst + j, _mm_add_ps(_mm_loadu_ps(dst + j), _mm_loadu_ps(src + j)));
        j += 4;
    }
    for (; j < count; ++j) dst[j] += src[j];
}
}  // namespace

// For r in [0, rows): dst row r (w_out wide) = 0 outside [lo, hi), src[r*src_stride + j] at
// column lo + j. src points at the first in-range input pixel of the first row.
void im2col_tap_avx2(const float* src, int64_t src_stride, int64_t rows, int64_t lo, int64_t hi,
                     int64_t w_out, float* dst) {
    for (int64_t r = 0; r < rows; ++r, dst += w_out) {
        for (int64_t j = 0; j < lo; ++j) dst[j] = 0.0f;
        copy_row(src + r * src_stride, hi - lo, dst + lo);
        for (int64_t j = hi; j < w_out; ++j) dst[j] = 0.0f;
    }
}

// The adjoint: gx[r*gx_stride + j] += col row r at column lo + j.
void col2im_tap_avx2(const float* col, int64_t rows, int64_t lo, int64_t hi, int64_t w_out,
                     float* gx, int64_t gx_stride) {
    for (int64_t r = 0; r < rows; ++r, col += w_out) add_row(col + lo, hi - lo, gx + r * gx_stride);
}

}  // namespace ng::cpu::conv_detail
