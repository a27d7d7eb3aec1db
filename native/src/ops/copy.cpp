// Copies between layouts and dtypes: contiguous, clone, to_dtype, copy_, fill_.
#include <cstring>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "ops/loops.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

// dst[i] = convert(src[i]) over dst's shape; src is already broadcast to it (stride 0 dims).
void copy_kernel(const Tensor& dst, const Tensor& src, const Dims& src_strides) {
    dispatch_dtype(dst.dtype(), [&](auto dtag) {
        using D = decltype(dtag);
        dispatch_dtype(src.dtype(), [&](auto stag) {
            using S = decltype(stag);
            D* out = dst.data<D>();
            const S* in = src.data<S>();
            strided_loop<2>(dst.sizes(), {dst.strides(), src_strides},
                            [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
                                D* o = out + off[0];
                                const S* i = in + off[1];
                                if (st[0] == 1 && st[1] == 1) {
                                    if constexpr (std::is_same_v<D, S>) {
                                        std::memcpy(o, i, static_cast<size_t>(n) * sizeof(D));
                                    } else {
                                        for (int64_t k = 0; k < n; ++k) o[k] = static_cast<D>(i[k]);
                                    }
                                } else {
                                    for (int64_t k = 0; k < n; ++k) o[k * st[0]] = static_cast<D>(i[k * st[1]]);
                                }
                            });
        });
    });
}

// Strides of src when broadcast to `shape` (0 for expanded dims).
Dims broadcast_strides(const Tensor& src, const Dims& shape, const char* op) {
    const int nd = shape.size();
    const int sd = src.dim();
    NG_CHECK_SHAPE(sd <= nd, op, ": cannot broadcast shape ", src.sizes().str(), " to ", shape.str());
    Dims st = Dims::filled(nd, 0);
    for (int i = 0; i < sd; ++i) {
        const int d = nd - sd + i;
        if (src.sizes()[i] == shape[d]) {
            st[d] = src.strides()[i];
        } else {
            NG_CHECK_SHAPE(src.sizes()[i] == 1, op, ": cannot broadcast shape ", src.sizes().str(), " to ",
                           shape.str());
        }
    }
    return st;
}

Tensor copy_as(const Tensor& t, DType dtype) {
    Tensor out = empty_tensor(t.sizes(), dtype);
    copy_kernel(out, t, t.strides());
    return out;
}

}  // namespace

Tensor detach(const Tensor& t) { return make_alias(t, t.sizes(), t.strides(), t->offset()); }

Tensor clone(const Tensor& t) {
    Tensor out = copy_as(t, t.dtype());
    if (any_requires_grad({&t})) {
        auto node = make_node("CloneBackward", [](const FunctionNode&, const TensorList& g) {
            return TensorList{g[0]};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor to_dtype(const Tensor& t, DType dtype) {
    if (t.dtype() == dtype) return t;
    Tensor out = copy_as(t, dtype);
    if (is_floating(t.dtype()) && is_floating(dtype) && any_requires_grad({&t})) {
        const DType from = t.dtype();
        auto node = make_node("ToCopyBackward", [from](const FunctionNode&, const TensorList& g) {
            return TensorList{to_dtype(g[0], from)};
        });
        record(node, {&t}, {&out});
    }
    return out;
}

static void check_writable(const Tensor& dst, const char* op) {
    NG_CHECK_STATE(!(GradMode::is_enabled() && dst.requires_grad()), op,
                   ": in-place operation on a tensor that requires grad (shape ", dst.sizes().str(),
                   ") is not supported while grad mode is on; use Autograd.NoGrad() or an "
                   "out-of-place operation");
}

void copy_(const Tensor& dst, const Tensor& src) {
    check_writable(dst, "copy_");
    const Dims st = broadcast_strides(src, dst.sizes(), "copy_");
    // Source and destination may overlap (e.g. a view of itself): copy through a temporary.
    if (src->storage() == dst->storage()) {
        Tensor tmp = copy_as(src, src.dtype());
        copy_kernel(dst, tmp, broadcast_strides(tmp, dst.sizes(), "copy_"));
    } else {
        copy_kernel(dst, src, st);
    }
    dst->storage()->bump_version();
}

void fill_(const Tensor& dst, double value) {
    check_writable(dst, "fill_");
    Tensor v = full(Dims{}, dst.dtype(), value);
    copy_kernel(dst, v, Dims::filled(dst.dim(), 0));
    dst->storage()->bump_version();
}

void copy_to_buffer(const Tensor& t, void* dst, int64_t nbytes) {
    const int64_t expected = t.numel() * static_cast<int64_t>(element_size(t.dtype()));
    NG_CHECK_ARG(nbytes == expected, "copy_to: tensor of shape ", t.sizes().str(), " and dtype ",
                 dtype_name(t.dtype()), " has ", expected, " bytes, but the destination has ", nbytes);
    NG_CHECK_ARG(dst != nullptr || nbytes == 0, "copy_to: destination is null");
    if (nbytes == 0) return;
    if (t.is_contiguous()) {
        std::memcpy(dst, t.raw_data(), static_cast<size_t>(nbytes));
        return;
    }
    Tensor c = copy_as(t, t.dtype());
    std::memcpy(dst, c.raw_data(), static_cast<size_t>(nbytes));
}

}  // namespace ng::ops
