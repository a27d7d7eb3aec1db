// Indexing along one dimension: gather, scatter (value / src / add), index_select, index_add.
#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

Tensor plain_contiguous(const Tensor& t) {
    GradModeGuard no_grad(false);
    return contiguous(t);
}

void check_index_tensor(const Tensor& index, const char* op) {
    NG_CHECK_DTYPE(index.dtype() == DType::Int64, op, ": index must be an int64 tensor, got ",
                   dtype_name(index.dtype()));
}

// Checks the shape rules shared by gather/scatter: same rank, and index no larger than `other`
// (except along dim when allow_dim).
void check_gather_shapes(const Tensor& t, int dim, const Tensor& index, const char* op) {
    NG_CHECK_SHAPE(index.dim() == t.dim() || (t.dim() == 0 && index.dim() <= 1), op, ": index has rank ", index.dim(),
                   " (shape ", index.sizes().str(), ") but the tensor has rank ", t.dim(), " (shape ", t.sizes().str(), ")");
    for (int d = 0; d < t.dim(); ++d) {
        if (d == dim) continue;
        NG_CHECK_SHAPE(index.sizes()[d] <= t.sizes()[d], op, ": index shape ", index.sizes().str(),
                       " is larger than the tensor's shape ", t.sizes().str(), " in dimension ", d);
    }
}

// Visits every element of `shape` in row-major order, giving its coordinates.
template <class F>
void for_each_coord(const Dims& shape, F&& f) {
    const int64_t n = shape.product();
    if (n == 0) return;
    Dims coord = Dims::filled(shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
        f(i, coord);
        for (int d = shape.size() - 1; d >= 0; --d) {
            if (++coord[d] < shape[d]) break;
            coord[d] = 0;
        }
    }
}

int64_t offset_of(const Dims& coord, const Dims& strides) {
    int64_t off = 0;
    for (int d = 0; d < coord.size(); ++d) off += coord[d] * strides[d];
    return off;
}

int64_t checked_index(int64_t v, int64_t size, int dim, const char* op) {
    NG_CHECK_INDEX(v >= 0 && v < size, op, ": index ", v, " is out of bounds for dimension ", dim, " with size ", size);
    return v;
}

enum class ScatterMode { Assign, Add };

// out (a fresh contiguous copy of t) receives src (or value) at index positions.
Tensor scatter_impl(const Tensor& t, int dim, const Tensor& index, const Tensor* src, double value,
                    ScatterMode mode, const char* op) {
    check_index_tensor(index, op);
    check_gather_shapes(t, dim, index, op);
    if (src) {
        NG_CHECK_SHAPE(src->dim() == index.dim(), op, ": src has rank ", src->dim(), " but index has rank ", index.dim());
        for (int d = 0; d < index.dim(); ++d)
            NG_CHECK_SHAPE(index.sizes()[d] <= src->sizes()[d], op, ": index shape ", index.sizes().str(),
                           " is larger than src shape ", src->sizes().str(), " in dimension ", d);
    }
    Tensor out;
    {
        GradModeGuard no_grad(false);
        out = clone(t);
    }
    const Tensor idx = plain_contiguous(index);
    const int64_t* pi = idx.data<int64_t>();
    const int64_t dim_size = t.dim() == 0 ? 1 : t.sizes()[dim];
    const int64_t dim_stride = t.dim() == 0 ? 0 : out.strides()[dim];
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        Tensor s;
        if (src) {
            GradModeGuard no_grad(false);
            s = to_dtype(*src, t.dtype());
        }
        const T* ps = src ? s.data<T>() : nullptr;
        const T v = static_cast<T>(value);
        for_each_coord(idx.sizes(), [&](int64_t i, const Dims& c) {
            const int64_t k = checked_index(pi[i], dim_size, dim, op);
            int64_t o = offset_of(c, out.strides());
            if (t.dim() > 0) o += (k - c[dim]) * dim_stride;
            const T x = ps ? ps[offset_of(c, s.strides())] : v;
            if (mode == ScatterMode::Add) {
                if constexpr (std::is_same_v<T, bool>) po[o] = po[o] || x;
                else po[o] = static_cast<T>(po[o] + x);
            } else {
                po[o] = x;
            }
        });
    });
    return out;
}

}  // namespace

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
    const int d = wrap_dim(dim, t.dim(), "gather");
    check_index_tensor(index, "gather");
    check_gather_shapes(t, d, index, "gather");
    Tensor out = empty_tensor(index.sizes(), t.dtype());
    const Tensor idx = plain_contiguous(index);
    const int64_t* pi = idx.data<int64_t>();
    const int64_t dim_size = t.dim() == 0 ? 1 : t.sizes()[d];
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = t.data<T>();
        T* po = out.data<T>();
        for_each_coord(idx.sizes(), [&](int64_t i, const Dims& c) {
            const int64_t k = checked_index(pi[i], dim_size, d, "gather");
            int64_t off = offset_of(c, t.strides());
            if (t.dim() > 0) off += (k - c[d]) * t.strides()[d];
            po[i] = px[off];
        });
    });
    if (is_floating(t.dtype()) && any_requires_grad({&t})) {
        const Dims in = t.sizes();
        auto node = make_node("GatherBackward", [in, d](const FunctionNode& n, const TensorList& g) {
            return TensorList{scatter_add(full(in, g[0].dtype(), 0.0), d, n.saved(0), g[0])};
        });
        record(node, {&t}, {&out});
        node->save(index);
    }
    return out;
}

Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    const int d = wrap_dim(dim, t.dim(), "scatter");
    Tensor out = scatter_impl(t, d, index, &src, 0.0, ScatterMode::Assign, "scatter");
    if (is_floating(t.dtype()) && any_requires_grad({&t, &src})) {
        auto node = make_node("ScatterBackward", [d](const FunctionNode& n, const TensorList& g) {
            const Tensor idx = n.saved(0);
            Tensor gt = n.needs_grad(0) ? scatter_value(g[0], d, idx, 0.0) : Tensor();
            Tensor gs = n.needs_grad(1) ? gather(g[0], d, idx) : Tensor();
            return TensorList{gt, gs};
        });
        record(node, {&t, &src}, {&out});
        node->save(index);
    }
    return out;
}

Tensor scatter_value(const Tensor& t, int64_t dim, const Tensor& index, double value) {
    const int d = wrap_dim(dim, t.dim(), "scatter");
    Tensor out = scatter_impl(t, d, index, nullptr, value, ScatterMode::Assign, "scatter");
    if (is_floating(t.dtype()) && any_requires_grad({&t})) {
        auto node = make_node("ScatterBackward", [d](const FunctionNode& n, const TensorList& g) {
            return TensorList{scatter_value(g[0], d, n.saved(0), 0.0)};
        });
        record(node, {&t}, {&out});
        node->save(index);
    }
    return out;
}

Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    const int d = wrap_dim(dim, t.dim(), "scatter_add");
    Tensor out = scatter_impl(t, d, index, &src, 0.0, ScatterMode::Add, "scatter_add");
    if (is_floating(t.dtype()) && any_requires_grad({&t, &src})) {
        auto node = make_node("ScatterAddBackward", [d](const FunctionNode& n, const TensorList& g) {
            Tensor gs = n.needs_grad(1) ? gather(g[0], d, n.saved(0)) : Tensor();
            return TensorList{n.needs_grad(0) ? g[0] : Tensor(), gs};
        });
        record(node, {&t, &src}, {&out});
        node->save(index);
    }
    return out;
}

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
    const int d = wrap_dim(dim, t.dim(), "index_select");
    check_index_tensor(index, "index_select");
    NG_CHECK_SHAPE(index.dim() <= 1, "index_select: index must be 1-D, got shape ", index.sizes().str());
    const Tensor idx = plain_contiguous(index);
    const int64_t count = idx.numel();
    Dims shape = t.sizes();
    if (t.dim() > 0) shape[d] = count;
    Tensor out = empty_tensor(shape, t.dtype());
    const int64_t dim_size = t.dim() == 0 ? 1 : t.sizes()[d];
    const int64_t* pi = idx.data<int64_t>();
    for (int64_t i = 0; i < count; ++i) checked_index(pi[i], dim_size, d, "index_select");
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = t.data<T>();
        T* po = out.data<T>();
        for_each_coord(shape, [&](int64_t i, const Dims& c) {
            int64_t off = offset_of(c, t.strides());
            if (t.dim() > 0) off += (pi[c[d]] - c[d]) * t.strides()[d];
            po[i] = px[off];
        });
    });
    if (is_floating(t.dtype()) && any_requires_grad({&t})) {
        const Dims in = t.sizes();
        auto node = make_node("IndexSelectBackward", [in, d](const FunctionNode& n, const TensorList& g) {
            return TensorList{index_add(full(in, g[0].dtype(), 0.0), d, n.saved(0), g[0])};
        });
        record(node, {&t}, {&out});
        node->save(index);
    }
    return out;
}

Tensor index_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
    const int d = wrap_dim(dim, t.dim(), "index_add");
    check_index_tensor(index, "index_add");
    NG_CHECK_SHAPE(index.dim() <= 1, "index_add: index must be 1-D, got shape ", index.sizes().str());
    const Tensor idx = plain_contiguous(index);
    Dims expect = t.sizes();
    if (t.dim() > 0) expect[d] = idx.numel();
    NG_CHECK_SHAPE(src.sizes() == expect, "index_add: src has shape ", src.sizes().str(), " but shape ", expect.str(),
                   " was expected for a tensor of shape ", t.sizes().str(), " and ", idx.numel(), " indices");
    const int64_t dim_size = t.dim() == 0 ? 1 : t.sizes()[d];
    const int64_t* pi = idx.data<int64_t>();
    for (int64_t i = 0; i < idx.numel(); ++i) checked_index(pi[i], dim_size, d, "index_add");
    Tensor out;
    Tensor s;
    {
        GradModeGuard no_grad(false);
        out = clone(t);
        s = to_dtype(src, t.dtype());
    }
    dispatch_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        const T* ps = s.data<T>();
        for_each_coord(expect, [&](int64_t, const Dims& c) {
            int64_t o = offset_of(c, out.strides());
            if (t.dim() > 0) o += (pi[c[d]] - c[d]) * out.strides()[d];
            const T x = ps[offset_of(c, s.strides())];
            if constexpr (std::is_same_v<T, bool>) po[o] = po[o] || x;
            else po[o] = static_cast<T>(po[o] + x);
        });
    });
    if (is_floating(t.dtype()) && any_requires_grad({&t, &src})) {
        auto node = make_node("IndexAddBackward", [d](const FunctionNode& n, const TensorList& g) {
            Tensor gs = n.needs_grad(1) ? index_select(g[0], d, n.saved(0)) : Tensor();
            return TensorList{n.needs_grad(0) ? g[0] : Tensor(), gs};
        });
        record(node, {&t, &src}, {&out});
        node->save(index);
    }
    return out;
}

}  // namespace ng::ops
