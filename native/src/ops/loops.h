// Strided iteration shared by the elementwise, copy and indexing kernels: walks N operands that
// share one shape (each with its own strides, 0 for broadcast dims), in parallel over rows.
#pragma once
#include <array>
#include <cstdint>

#include "core/dims.h"
#include "cpu/parallel.h"

namespace ng::ops {

// Elements per parallel chunk: below this a loop stays on one thread.
constexpr int64_t kElementwiseGrain = 32768;

template <size_t N>
struct Layout {
    Dims sizes;
    std::array<Dims, N> strides;
};

// Merges adjacent dimensions that are contiguous with each other in every operand, and drops
// size-1 dimensions, so most loops collapse into one long inner row.
template <size_t N>
Layout<N> coalesce(const Dims& sizes, const std::array<Dims, N>& strides) {
    Layout<N> out;
    for (int d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 1) continue;
        const int last = out.sizes.size() - 1;
        bool merge = last >= 0;
        for (size_t k = 0; k < N && merge; ++k)
            merge = out.strides[k][last] == strides[k][d] * sizes[d];
        if (merge) {
            out.sizes[last] *= sizes[d];
            for (size_t k = 0; k < N; ++k) out.strides[k][last] = strides[k][d];
        } else {
            out.sizes.push_back(sizes[d]);
            for (size_t k = 0; k < N; ++k) out.strides[k].push_back(strides[k][d]);
        }
    }
    if (out.sizes.empty()) {  // a single element
        out.sizes.push_back(1);
        for (size_t k = 0; k < N; ++k) out.strides[k].push_back(0);
    }
    return out;
}

// Calls row(offsets, n, inner_strides) for every innermost row; offsets are element offsets of
// the row's first element in each operand. Rows are distributed over threads in fixed chunks.
template <size_t N, class Row>
void strided_loop(const Dims& sizes, const std::array<Dims, N>& strides, Row&& row) {
    if (sizes.product() == 0) return;
    const Layout<N> l = coalesce<N>(sizes, strides);
    const int nd = l.sizes.size();
    const int64_t inner = l.sizes[nd - 1];
    std::array<int64_t, N> inner_strides;
    for (size_t k = 0; k < N; ++k) inner_strides[k] = l.strides[k][nd - 1];
    int64_t rows = 1;
    for (int d = 0; d < nd - 1; ++d) rows *= l.sizes[d];
    const int64_t grain = inner >= kElementwiseGrain ? 1 : kElementwiseGrain / inner;
    cpu::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            std::array<int64_t, N> off{};
            int64_t rem = r;
            for (int d = nd - 2; d >= 0; --d) {
                const int64_t i = rem % l.sizes[d];
                rem /= l.sizes[d];
                for (size_t k = 0; k < N; ++k) off[k] += i * l.strides[k][d];
            }
            row(off, inner, inner_strides);
        }
    });
}

}  // namespace ng::ops
