// Reductions over all elements or a set of dimensions: sum, mean, max, min (+ indices), argmax.
// Reduced dimensions are moved innermost so every output element reduces one contiguous row;
// rows are split across threads, and a long single row is summed in fixed-size blocks whose
// partial sums are added in order, so results never depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/parallel.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

constexpr int64_t kSumBlock = 16384;

struct Plan {
    std::vector<bool> reduced;  // per input dim
    Dims out_keep;              // output shape with keepdim
    Dims out;                   // output shape as requested
    int64_t rows = 1, cols = 1;
    Tensor data;                // input arranged as [rows, cols] contiguous
};

Plan make_plan(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
    Plan p;
    const int nd = t.dim();
    p.reduced.assign(static_cast<size_t>(nd), dims.empty());
    for (int64_t d : dims) {
        const int w = wrap_dim(d, nd, op);
        if (nd == 0) continue;
        NG_CHECK_ARG(!p.reduced[static_cast<size_t>(w)] || dims.empty(), op, ": dimension ", d,
                     " appears more than once in the list of dimensions");
        p.reduced[static_cast<size_t>(w)] = true;
    }
    Dims perm;
    for (int i = 0; i < nd; ++i) {
        if (p.reduced[static_cast<size_t>(i)]) {
            p.out_keep.push_back(1);
            if (keepdim) p.out.push_back(1);
            p.cols *= t.sizes()[i];
        } else {
            p.out_keep.push_back(t.sizes()[i]);
            p.out.push_back(t.sizes()[i]);
            perm.push_back(i);
            p.rows *= t.sizes()[i];
        }
    }
    for (int i = 0; i < nd; ++i)
        if (p.reduced[static_cast<size_t>(i)]) perm.push_back(i);
    GradModeGuard no_grad(false);
    p.data = contiguous(nd == 0 ? t : permute(t, perm));
    return p;
}

template <class T, class Acc>
Acc sum_row(const T* p, int64_t n) {
    Acc acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += static_cast<Acc>(p[i]);
    return acc;
}

// Sum of each row into out (dtype O), deterministic for any thread count.
template <class T, class O>
void sum_rows(const Plan& p, O* out, bool mean) {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const T* in = p.data.data<T>();
    const int64_t cols = p.cols;
    if (p.rows == 1 && cols > kSumBlock) {
        const int64_t blocks = (cols + kSumBlock - 1) / kSumBlock;
        std::vector<Acc> partial(static_cast<size_t>(blocks));
        cpu::parallel_for(0, blocks, 1, [&](int64_t b, int64_t e) {
            for (int64_t k = b; k < e; ++k) {
                const int64_t start = k * kSumBlock;
                partial[static_cast<size_t>(k)] = sum_row<T, Acc>(in + start, std::min(kSumBlock, cols - start));
            }
        });
        Acc total = 0;
        for (Acc v : partial) total += v;
        out[0] = mean ? static_cast<O>(static_cast<double>(total) / static_cast<double>(cols)) : static_cast<O>(total);
        return;
    }
    const int64_t grain = std::max<int64_t>(1, kSumBlock / std::max<int64_t>(cols, 1));
    cpu::parallel_for(0, p.rows, grain, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const Acc s = sum_row<T, Acc>(in + r * cols, cols);
            out[r] = mean ? static_cast<O>(static_cast<double>(s) / static_cast<double>(cols)) : static_cast<O>(s);
        }
    });
}

// Max or min of each row with the index of its first occurrence; NaN wins, as in PyTorch.
template <class T>
void extreme_rows(const Plan& p, bool is_max, T* values, int64_t* indices) {
    const T* in = p.data.data<T>();
    const int64_t cols = p.cols;
    const int64_t grain = std::max<int64_t>(1, kSumBlock / std::max<int64_t>(cols, 1));
    cpu::parallel_for(0, p.rows, grain, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const T* row = in + r * cols;
            T best = row[0];
            int64_t at = 0;
            for (int64_t i = 1; i < cols; ++i) {
                const T v = row[i];
                if constexpr (std::is_floating_point_v<T>) {
                    if (std::isnan(best)) break;
                    if (std::isnan(v)) {
                        best = v;
                        at = i;
                        break;
                    }
                }
                if (is_max ? v > best : v < best) {
                    best = v;
                    at = i;
                }
            }
            if (values) values[r] = best;
            if (indices) indices[r] = at;
        }
    });
}

std::vector<int64_t> reduced_dims(const Plan& p) {
    std::vector<int64_t> dims;
    for (size_t i = 0; i < p.reduced.size(); ++i)
        if (p.reduced[i]) dims.push_back(static_cast<int64_t>(i));
    return dims;
}

// Brings a reduced gradient back to the input's shape (the inverse of the reduction's squeeze).
Tensor unreduce(const Tensor& g, const Dims& keep_shape, const Dims& in_shape) {
    return expand(reshape(g, keep_shape), in_shape);
}

// Number of leading dimensions reduced when the reduced set is exactly a prefix (0 otherwise).
int reduced_prefix(const Tensor& t, const std::vector<int64_t>& dims) {
    if (dims.empty() || !t.is_contiguous()) return 0;
    std::vector<bool> r(static_cast<size_t>(t.dim()), false);
    for (int64_t d : dims) r[static_cast<size_t>(wrap_dim(d, t.dim(), "sum"))] = true;
    int k = 0;
    while (k < t.dim() && r[static_cast<size_t>(k)]) ++k;
    for (int i = k; i < t.dim(); ++i)
        if (r[static_cast<size_t>(i)]) return 0;
    return k < t.dim() ? k : 0;
}

// Column sums of a contiguous [rows, cols] block (a sum over leading dims, e.g. a bias gradient
// summed over the batch): rows are added in order into per-column accumulators, so no transposed
// copy is needed and the result does not depend on the thread count (threads split columns).
template <class T, class O>
void sum_columns(const T* in, int64_t rows, int64_t cols, O* out, bool mean) {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    cpu::parallel_for(0, cols, std::max<int64_t>(64, kSumBlock / std::max<int64_t>(rows, 1)), [&](int64_t b, int64_t e) {
        std::vector<Acc> acc(static_cast<size_t>(e - b), Acc(0));
        for (int64_t i = 0; i < rows; ++i) {
            const T* row = in + i * cols;
            for (int64_t j = b; j < e; ++j) acc[static_cast<size_t>(j - b)] += static_cast<Acc>(row[j]);
        }
        for (int64_t j = b; j < e; ++j) {
            const Acc v = acc[static_cast<size_t>(j - b)];
            out[j] = mean ? static_cast<O>(static_cast<double>(v) / static_cast<double>(rows)) : static_cast<O>(v);
        }
    });
}

Tensor sum_impl(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, bool mean) {
    const char* op = mean ? "mean" : "sum";
    if (mean)
        NG_CHECK_DTYPE(is_floating(t.dtype()), "mean: input dtype must be floating point, got ",
                       dtype_name(t.dtype()), " (convert it with ToType first)");
    const DType out_dtype = is_floating(t.dtype()) ? t.dtype() : DType::Int64;
    const int prefix = reduced_prefix(t, dims);
    Plan p = prefix > 0 ? Plan{} : make_plan(t, dims, keepdim, op);
    if (prefix > 0) {
        // Same shapes as make_plan computes, without arranging the data.
        p.reduced.assign(static_cast<size_t>(t.dim()), false);
        for (int i = 0; i < t.dim(); ++i) {
            const bool red = i < prefix;
            p.reduced[static_cast<size_t>(i)] = red;
            p.out_keep.push_back(red ? 1 : t.sizes()[i]);
            if (!red || keepdim) p.out.push_back(red ? 1 : t.sizes()[i]);
            (red ? p.cols : p.rows) *= t.sizes()[i];
        }
    }
    Tensor out = empty_tensor(p.out, out_dtype);
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        using O = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
        if (prefix > 0)
            sum_columns<T, O>(t.data<T>(), p.cols, p.rows, out.data<O>(), mean);  // cols here = reduced count
        else
            sum_rows<T, O>(p, out.data<O>(), mean && std::is_floating_point_v<T>);
    });
    if (is_floating(out_dtype) && any_requires_grad({&t})) {
        const Dims keep = p.out_keep, in = t.sizes();
        const double count = static_cast<double>(p.cols);
        auto node = make_node(mean ? "MeanBackward" : "SumBackward", [keep, in, mean, count](const FunctionNode&, const TensorList& g) {
            Tensor gx = unreduce(g[0], keep, in);
            return TensorList{mean ? unary(NG_UNARY_OP_DIV_SCALAR, gx, count) : gx};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor extreme_impl(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    NG_CHECK_ARG(t.numel() > 0, op, ": cannot reduce a tensor with no elements (shape ", t.sizes().str(), ")");
    Plan p = make_plan(t, dims, keepdim, op);
    NG_CHECK_ARG(p.cols > 0, op, ": cannot reduce over a zero-size dimension (shape ", t.sizes().str(), ")");
    Tensor out = empty_tensor(p.out, t.dtype());
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        extreme_rows<T>(p, is_max, out.data<T>(), nullptr);
    });
    if (is_floating(t.dtype()) && any_requires_grad({&t})) {
        const Dims keep = p.out_keep, in = t.sizes();
        const std::vector<int64_t> rdims = reduced_dims(p);
        auto node = make_node(is_max ? "MaxBackward" : "MinBackward", [keep, in, rdims](const FunctionNode& n, const TensorList& g) {
            // Ties share the gradient evenly (PyTorch's amax/amin semantics).
            const Tensor x = n.saved(0), y = n.saved(1);
            Tensor mask = to_dtype(binary(NG_BINARY_OP_EQ, x, reshape(y, keep)), g[0].dtype());
            Tensor count = sum(mask, rdims, true);
            return TensorList{div(mul(unreduce(g[0], keep, in), mask), count)};
        });
        record(node, {&t}, {&out});
        node->save(t);
        node->save(out, true);
    }
    return out;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& t, int64_t dim, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    const int d = wrap_dim(dim, t.dim(), op);
    Plan p = make_plan(t, {dim}, keepdim, op);
    NG_CHECK_ARG(p.cols > 0, op, ": cannot reduce over zero-size dimension ", d, " (shape ", t.sizes().str(), ")");
    Tensor values = empty_tensor(p.out, t.dtype());
    Tensor indices = empty_tensor(p.out, DType::Int64);
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        extreme_rows<T>(p, is_max, values.data<T>(), indices.data<int64_t>());
    });
    if (is_floating(t.dtype()) && any_requires_grad({&t})) {
        const Dims keep = p.out_keep, in = t.sizes();
        auto node = make_node(is_max ? "MaxBackward" : "MinBackward", [keep, in, d](const FunctionNode& n, const TensorList& g) {
            const Tensor idx = reshape(n.saved(0), keep);
            Tensor zeros = full(in, g[0].dtype(), 0.0);
            return TensorList{scatter(zeros, d, idx, reshape(g[0], keep))};
        });
        record(node, {&t}, {&values});
        node->save(indices);
    }
    return {values, indices};
}

}  // namespace

Tensor reduce(ng_reduce_op op, const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) {
    switch (op) {
        case NG_REDUCE_OP_SUM: return sum_impl(t, dims, keepdim, false);
        case NG_REDUCE_OP_MEAN: return sum_impl(t, dims, keepdim, true);
        case NG_REDUCE_OP_MAX: return extreme_impl(t, dims, keepdim, true);
        case NG_REDUCE_OP_MIN: return extreme_impl(t, dims, keepdim, false);
        default: break;
    }
    fail(NG_STATUS_INVALID_ARGUMENT, concat("reduce: unknown operation ", static_cast<int>(op)));
}

Tensor sum(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) { return sum_impl(t, dims, keepdim, false); }
Tensor mean(const Tensor& t, const std::vector<int64_t>& dims, bool keepdim) { return sum_impl(t, dims, keepdim, true); }

Tensor sum_to(const Tensor& t, const Dims& shape) {
    if (t.sizes() == shape) return t;
    const int nd = t.dim(), sd = shape.size();
    NG_CHECK_SHAPE(sd <= nd, "sum_to: cannot reduce shape ", t.sizes().str(), " to ", shape.str());
    std::vector<int64_t> dims;
    for (int i = 0; i < nd; ++i) {
        const int j = i - (nd - sd);
        if (j < 0) {
            dims.push_back(i);
        } else if (shape[j] == 1 && t.sizes()[i] != 1) {
            dims.push_back(i);
        } else {
            NG_CHECK_SHAPE(shape[j] == t.sizes()[i], "sum_to: cannot reduce shape ", t.sizes().str(), " to ", shape.str());
        }
    }
    Tensor r = dims.empty() ? t : sum(t, dims, true);
    return reshape(r, shape);
}

std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim) { return extreme_dim(t, dim, keepdim, true); }
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim) { return extreme_dim(t, dim, keepdim, false); }

Tensor argmax(const Tensor& t, int64_t dim, bool keepdim) {
    GradModeGuard no_grad(false);
    return extreme_dim(t, dim, keepdim, true).second;
}
Tensor argmin(const Tensor& t, int64_t dim, bool keepdim) {
    GradModeGuard no_grad(false);
    return extreme_dim(t, dim, keepdim, false).second;
}

}  // namespace ng::ops
