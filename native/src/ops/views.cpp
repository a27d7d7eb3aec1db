// Views: new layouts over the same storage. Their backward maps the gradient back exactly.
#include <algorithm>
#include <optional>

#include "autograd/function_node.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

Dims infer_shape(const Dims& shape, int64_t numel, const char* op, const Dims& from) {
    Dims out = shape;
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            NG_CHECK_ARG(infer < 0, op, ": only one dimension can be inferred (-1), got shape ", shape.str());
            infer = i;
        } else {
            NG_CHECK_ARG(shape[i] >= 0, op, ": invalid size ", shape[i], " in shape ", shape.str());
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        NG_CHECK_SHAPE(known != 0 && numel % known == 0, op, ": shape ", shape.str(),
                       " is invalid for input of shape ", from.str(), " (", numel, " elements)");
        out[infer] = numel / known;
    } else {
        NG_CHECK_SHAPE(known == numel, op, ": shape ", shape.str(), " is invalid for input of shape ",
                       from.str(), " (", numel, " elements)");
    }
    return out;
}

// Strides that let `new_sizes` view memory laid out as (sizes, strides), if any.
std::optional<Dims> view_strides(const Dims& sizes, const Dims& strides, const Dims& new_sizes) {
    const int64_t numel = sizes.product();
    if (numel == 0) return contiguous_strides(new_sizes);
    if (sizes.empty()) return Dims::filled(new_sizes.size(), 1);
    Dims out = Dims::filled(new_sizes.size(), 1);
    int view_d = new_sizes.size() - 1;
    int64_t chunk_base_stride = strides[sizes.size() - 1];
    int64_t tensor_numel = 1;
    int64_t view_numel = 1;
    for (int d = sizes.size() - 1; d >= 0; --d) {
        tensor_numel *= sizes[d];
        // A chunk of dims that are contiguous with each other ends here.
        if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
                out[view_d] = view_numel * chunk_base_stride;
                view_numel *= new_sizes[view_d];
                --view_d;
            }
            if (view_numel != tensor_numel) return std::nullopt;
            if (d > 0) {
                chunk_base_stride = strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if (view_d != -1) return std::nullopt;
    return out;
}

Tensor reshape_grad(const Tensor& g, const Dims& sizes) { return reshape(g, sizes); }

}  // namespace

Tensor as_strided_alias(const Tensor& t, const Dims& sizes, const Dims& strides, int64_t offset) {
    return make_alias(t, sizes, strides, offset);
}

Tensor view(const Tensor& t, const Dims& shape) {
    const Dims sizes = infer_shape(shape, t.numel(), "view", t.sizes());
    std::optional<Dims> st = view_strides(t.sizes(), t.strides(), sizes);
    NG_CHECK_SHAPE(st.has_value(), "view: shape ", shape.str(), " is not compatible with the input's size ",
                   t.sizes().str(), " and stride ", t.strides().str(),
                   " (at least one dimension spans across two contiguous subspaces); use Reshape instead");
    Tensor out = make_alias(t, sizes, *st, t->offset());
    if (any_requires_grad({&t})) {
        const Dims in = t.sizes();
        auto node = make_node("ViewBackward", [in](const FunctionNode&, const TensorList& g) {
            return TensorList{reshape_grad(g[0], in)};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor reshape(const Tensor& t, const Dims& shape) {
    const Dims sizes = infer_shape(shape, t.numel(), "reshape", t.sizes());
    if (view_strides(t.sizes(), t.strides(), sizes)) return view(t, sizes);
    return view(clone(t), sizes);
}

Tensor expand(const Tensor& t, const Dims& shape) {
    const int nd = shape.size();
    const int td = t.dim();
    NG_CHECK_SHAPE(nd >= td, "expand: the number of sizes provided (", nd,
                   ") must be greater or equal to the number of dimensions in the tensor (", td, ")");
    Dims sizes = Dims::filled(nd, 0), strides = Dims::filled(nd, 0);
    for (int d = nd - 1; d >= 0; --d) {
        const int i = d - (nd - td);
        const int64_t want = shape[d];
        if (i < 0) {
            NG_CHECK_SHAPE(want >= 0, "expand: -1 is not allowed for a new leading dimension (shape ", shape.str(), ")");
            sizes[d] = want;
            strides[d] = 0;
            continue;
        }
        const int64_t have = t.sizes()[i];
        if (want == -1 || want == have) {
            sizes[d] = have;
            strides[d] = t.strides()[i];
        } else {
            NG_CHECK_SHAPE(have == 1, "expand: the expanded size of the tensor (", want,
                           ") must match the existing size (", have, ") at non-singleton dimension ", d,
                           ". Target sizes: ", shape.str(), ". Tensor sizes: ", t.sizes().str(),
                           ". Expand only enlarges dimensions of size 1 (use Repeat to copy data)");
            NG_CHECK_SHAPE(want >= 0, "expand: invalid size ", want, " in shape ", shape.str());
            sizes[d] = want;
            strides[d] = 0;
        }
    }
    Tensor out = make_alias(t, sizes, strides, t->offset());
    if (any_requires_grad({&t})) {
        const Dims in = t.sizes();
        auto node = make_node("ExpandBackward", [in](const FunctionNode&, const TensorList& g) {
            return TensorList{sum_to(g[0], in)};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor permute(const Tensor& t, const Dims& dims) {
    const int nd = t.dim();
    NG_CHECK_ARG(dims.size() == nd, "permute: number of dims ", dims.str(), " does not match the rank ", nd,
                 " of a tensor of shape ", t.sizes().str());
    Dims sizes = Dims::filled(nd, 0), strides = Dims::filled(nd, 0), perm = Dims::filled(nd, 0);
    std::vector<bool> seen(static_cast<size_t>(nd), false);
    for (int i = 0; i < nd; ++i) {
        const int d = wrap_dim(dims[i], nd, "permute");
        NG_CHECK_ARG(!seen[static_cast<size_t>(d)], "permute: dimension ", d, " repeats in ", dims.str());
        seen[static_cast<size_t>(d)] = true;
        perm[i] = d;
        sizes[i] = t.sizes()[d];
        strides[i] = t.strides()[d];
    }
    Tensor out = make_alias(t, sizes, strides, t->offset());
    if (any_requires_grad({&t})) {
        Dims inverse = Dims::filled(nd, 0);
        for (int i = 0; i < nd; ++i) inverse[static_cast<int>(perm[i])] = i;
        auto node = make_node("PermuteBackward", [inverse](const FunctionNode&, const TensorList& g) {
            return TensorList{permute(g[0], inverse)};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
    const int nd = t.dim();
    if (nd == 0) {
        wrap_dim(dim0, nd, "transpose");
        wrap_dim(dim1, nd, "transpose");
        return view(t, t.sizes());
    }
    const int a = wrap_dim(dim0, nd, "transpose"), b = wrap_dim(dim1, nd, "transpose");
    Dims perm = Dims::filled(nd, 0);
    for (int i = 0; i < nd; ++i) perm[i] = i;
    std::swap(perm[a], perm[b]);
    return permute(t, perm);
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
    const int nd = t.dim();
    const int64_t r = nd + 1;
    NG_CHECK_INDEX(dim >= -r && dim < r, "unsqueeze: dimension ", dim, " is out of range for a tensor of rank ",
                   nd, " (expected a value in [", -r, ", ", r - 1, "])");
    const int d = static_cast<int>(dim < 0 ? dim + r : dim);
    Dims sizes = t.sizes();
    sizes.insert(d, 1);
    return view(t, sizes);
}

Tensor squeeze(const Tensor& t, int64_t dim) {
    const int d = wrap_dim(dim, t.dim(), "squeeze");
    if (t.dim() == 0 || t.sizes()[d] != 1) return view(t, t.sizes());
    Dims sizes = t.sizes();
    sizes.erase(d);
    return view(t, sizes);
}

Tensor squeeze_all(const Tensor& t) {
    Dims sizes;
    for (int i = 0; i < t.dim(); ++i)
        if (t.sizes()[i] != 1) sizes.push_back(t.sizes()[i]);
    return view(t, sizes);
}

namespace {
// Gradient of narrow: g placed into zeros of the input's shape. Differentiable in g.
Tensor narrow_backward(const Tensor& g, const Dims& in_sizes, int dim, int64_t start) {
    Tensor out = full(in_sizes, g.dtype(), 0.0);
    Dims strides = out.strides();
    Tensor window = make_alias(out, g.sizes(), strides, start * strides[dim]);
    {
        Tensor src = detach(g);
        copy_(window, src);
    }
    if (any_requires_grad({&g})) {
        const int64_t length = g.sizes()[dim];
        auto node = make_node("NarrowBackwardBackward", [dim, start, length](const FunctionNode&, const TensorList& gg) {
            return TensorList{narrow(gg[0], dim, start, length)};
        });
        record(node, {&g}, {&out});
    }
    return out;
}
}  // namespace

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
    NG_CHECK_INDEX(t.dim() > 0, "narrow: cannot narrow a 0-dim tensor");
    const int d = wrap_dim(dim, t.dim(), "narrow");
    const int64_t size = t.sizes()[d];
    if (start < 0) start += size;
    NG_CHECK_INDEX(start >= 0 && length >= 0 && start + length <= size, "narrow: start ", start,
                   " and length ", length, " are out of range for dimension ", d, " of size ", size,
                   " (shape ", t.sizes().str(), ")");
    Dims sizes = t.sizes();
    sizes[d] = length;
    Tensor out = make_alias(t, sizes, t.strides(), t->offset() + start * t.strides()[d]);
    if (any_requires_grad({&t})) {
        const Dims in = t.sizes();
        auto node = make_node("NarrowBackward", [in, d, start](const FunctionNode&, const TensorList& g) {
            return TensorList{narrow_backward(g[0], in, d, start)};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
    if (t.dim() == 0) return reshape(t, Dims{1});
    const int s = wrap_dim(start_dim, t.dim(), "flatten"), e = wrap_dim(end_dim, t.dim(), "flatten");
    NG_CHECK_ARG(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
    Dims sizes;
    for (int i = 0; i < s; ++i) sizes.push_back(t.sizes()[i]);
    int64_t p = 1;
    for (int i = s; i <= e; ++i) p *= t.sizes()[i];
    sizes.push_back(p);
    for (int i = e + 1; i < t.dim(); ++i) sizes.push_back(t.sizes()[i]);
    return reshape(t, sizes);
}

}  // namespace ng::ops
