// C shims for tensor creation, metadata, views and operations. Each validates its handles and
// pointers, calls the op front-end, and returns new references through out-parameters.
#include <vector>

#include "api/guard.h"
#include "ops/generator.h"
#include "ops/ops.h"

using namespace ng;
using api::tensor_arg;

namespace {
// Borrowed: no reference-count traffic for the operands of a call (see api::BorrowedTensor).
api::BorrowedTensor arg(const ng_tensor* h, const char* fn, const char* name = "t") { return {h, fn, name}; }

Generator* generator_arg(ng_generator* g) { return reinterpret_cast<Generator*>(g); }

std::vector<int64_t> dims_arg(const int64_t* dims, int32_t n, const char* fn) {
    NG_CHECK_ARG(n >= 0 && n <= kMaxRank, fn, ": ", n, " dimensions is out of range");
    NG_CHECK_ARG(n == 0 || dims != nullptr, fn, ": dims pointer is null");
    return std::vector<int64_t>(dims, dims + n);
}
}  // namespace

// Body of a shim that computes one tensor and returns it through `out`.
#define NG_RETURN_TENSOR(fn, expr)              \
    NG_API_BEGIN                                \
    api::check_out(out, fn);                    \
    Tensor result_ = (expr);                    \
    *out = api::to_handle(std::move(result_));  \
    NG_API_END

extern "C" {

// ---- generators ----------------------------------------------------------------------------
NG_API ng_status ng_generator_create(uint64_t seed, ng_generator** out) {
    NG_API_BEGIN
    api::check_out(out, "generator_create");
    *out = reinterpret_cast<ng_generator*>(make_ref<Generator>(seed).detach());
    NG_API_END
}
NG_API void ng_generator_release(ng_generator* gen) {
    if (gen) generator_arg(gen)->release();
}
NG_API ng_status ng_generator_manual_seed(ng_generator* gen, uint64_t seed) {
    NG_API_BEGIN
    NG_CHECK_ARG(gen != nullptr, "generator_manual_seed: generator is null");
    std::lock_guard<std::mutex> lock(generator_arg(gen)->mutex());
    generator_arg(gen)->manual_seed(seed);
    NG_API_END
}
NG_API ng_status ng_manual_seed(uint64_t seed) {
    NG_API_BEGIN
    Generator& g = Generator::default_generator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.manual_seed(seed);
    NG_API_END
}

// ---- creation ------------------------------------------------------------------------------
NG_API ng_status ng_tensor_empty(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_tensor** out) {
    NG_RETURN_TENSOR("empty", ops::empty(api::shape_arg(shape, ndim, "empty"), api::dtype_arg(dtype, "empty")))
}
NG_API ng_status ng_tensor_full(const int64_t* shape, int32_t ndim, ng_dtype dtype, double value, ng_tensor** out) {
    NG_RETURN_TENSOR("full", ops::full(api::shape_arg(shape, ndim, "full"), api::dtype_arg(dtype, "full"), value))
}
NG_API ng_status ng_tensor_arange(double start, double end, double step, ng_dtype dtype, ng_tensor** out) {
    NG_RETURN_TENSOR("arange", ops::arange(start, end, step, api::dtype_arg(dtype, "arange")))
}
NG_API ng_status ng_tensor_rand(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_generator* gen, ng_tensor** out) {
    NG_RETURN_TENSOR("rand", ops::rand(api::shape_arg(shape, ndim, "rand"), api::dtype_arg(dtype, "rand"), generator_arg(gen)))
}
NG_API ng_status ng_tensor_randn(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_generator* gen, ng_tensor** out) {
    NG_RETURN_TENSOR("randn", ops::randn(api::shape_arg(shape, ndim, "randn"), api::dtype_arg(dtype, "randn"), generator_arg(gen)))
}
NG_API ng_status ng_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, ng_dtype dtype,
                                   ng_generator* gen, ng_tensor** out) {
    NG_RETURN_TENSOR("randint", ops::randint(low, high, api::shape_arg(shape, ndim, "randint"),
                                             api::dtype_arg(dtype, "randint"), generator_arg(gen)))
}
NG_API ng_status ng_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim, ng_dtype dtype,
                                     ng_tensor** out) {
    NG_RETURN_TENSOR("from_data", ops::from_data(data, nbytes, api::shape_arg(shape, ndim, "from_data"),
                                                 api::dtype_arg(dtype, "from_data")))
}

// ---- metadata and data ---------------------------------------------------------------------
NG_API ng_status ng_tensor_dtype(const ng_tensor* t, ng_dtype* out) {
    NG_API_BEGIN
    api::check_out(out, "dtype");
    *out = static_cast<ng_dtype>(arg(t, "dtype").get().dtype());
    NG_API_END
}
NG_API ng_status ng_tensor_ndim(const ng_tensor* t, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "ndim");
    *out = arg(t, "ndim").get().dim();
    NG_API_END
}
NG_API ng_status ng_tensor_numel(const ng_tensor* t, int64_t* out) {
    NG_API_BEGIN
    api::check_out(out, "numel");
    *out = arg(t, "numel").get().numel();
    NG_API_END
}
NG_API ng_status ng_tensor_layout(const ng_tensor* t, int32_t* ndim, int64_t* sizes, int64_t* strides, int64_t* offset) {
    NG_API_BEGIN
    Tensor x = arg(t, "layout");
    api::check_out(ndim, "layout");
    *ndim = x.dim();
    for (int i = 0; i < x.dim(); ++i) {
        if (sizes) sizes[i] = x.sizes()[i];
        if (strides) strides[i] = x.strides()[i];
    }
    if (offset) *offset = x->offset();
    NG_API_END
}
NG_API ng_status ng_tensor_is_contiguous(const ng_tensor* t, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "is_contiguous");
    *out = arg(t, "is_contiguous").get().is_contiguous() ? 1 : 0;
    NG_API_END
}
NG_API ng_status ng_tensor_copy_to(const ng_tensor* t, void* dst, int64_t nbytes) {
    NG_API_BEGIN
    ops::copy_to_buffer(arg(t, "copy_to"), dst, nbytes);
    NG_API_END
}
NG_API ng_status ng_tensor_data_ptr(const ng_tensor* t, void** out) {
    NG_API_BEGIN
    api::check_out(out, "data_ptr");
    Tensor x = arg(t, "data_ptr");
    NG_CHECK_ARG(x.is_contiguous(), "data_ptr: the tensor of shape ", x.sizes().str(), " and strides ",
                 x.strides().str(), " is not contiguous; call Contiguous() first");
    *out = x.raw_data();
    NG_API_END
}
NG_API ng_status ng_tensor_item_double(const ng_tensor* t, double* out) {
    NG_API_BEGIN
    api::check_out(out, "item");
    Tensor x = arg(t, "item");
    NG_CHECK_ARG(x.numel() == 1, "item: a tensor with ", x.numel(), " elements (shape ", x.sizes().str(),
                 ") cannot be converted to a scalar; only one-element tensors can");
    *out = dispatch_dtype(x.dtype(), [&](auto tag) { return static_cast<double>(*x.data<decltype(tag)>()); });
    NG_API_END
}
NG_API ng_status ng_tensor_item_int64(const ng_tensor* t, int64_t* out) {
    NG_API_BEGIN
    api::check_out(out, "item");
    Tensor x = arg(t, "item");
    NG_CHECK_ARG(x.numel() == 1, "item: a tensor with ", x.numel(), " elements (shape ", x.sizes().str(),
                 ") cannot be converted to a scalar; only one-element tensors can");
    *out = dispatch_dtype(x.dtype(), [&](auto tag) { return static_cast<int64_t>(*x.data<decltype(tag)>()); });
    NG_API_END
}
NG_API ng_status ng_tensor_shares_storage(const ng_tensor* a, const ng_tensor* b, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "shares_storage");
    *out = arg(a, "shares_storage", "a").get()->storage() == arg(b, "shares_storage", "b").get()->storage() ? 1 : 0;
    NG_API_END
}

// ---- views ---------------------------------------------------------------------------------
NG_API ng_status ng_tensor_view(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out) {
    NG_RETURN_TENSOR("view", ops::view(arg(t, "view"), api::shape_arg(shape, ndim, "view")))
}
NG_API ng_status ng_tensor_reshape(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out) {
    NG_RETURN_TENSOR("reshape", ops::reshape(arg(t, "reshape"), api::shape_arg(shape, ndim, "reshape")))
}
NG_API ng_status ng_tensor_expand(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out) {
    NG_RETURN_TENSOR("expand", ops::expand(arg(t, "expand"), api::shape_arg(shape, ndim, "expand")))
}
NG_API ng_status ng_tensor_permute(const ng_tensor* t, const int64_t* dims, int32_t ndim, ng_tensor** out) {
    NG_RETURN_TENSOR("permute", ops::permute(arg(t, "permute"), api::shape_arg(dims, ndim, "permute")))
}
NG_API ng_status ng_tensor_transpose(const ng_tensor* t, int64_t dim0, int64_t dim1, ng_tensor** out) {
    NG_RETURN_TENSOR("transpose", ops::transpose(arg(t, "transpose"), dim0, dim1))
}
NG_API ng_status ng_tensor_unsqueeze(const ng_tensor* t, int64_t dim, ng_tensor** out) {
    NG_RETURN_TENSOR("unsqueeze", ops::unsqueeze(arg(t, "unsqueeze"), dim))
}
NG_API ng_status ng_tensor_squeeze(const ng_tensor* t, int64_t dim, ng_tensor** out) {
    NG_RETURN_TENSOR("squeeze", ops::squeeze(arg(t, "squeeze"), dim))
}
NG_API ng_status ng_tensor_squeeze_all(const ng_tensor* t, ng_tensor** out) {
    NG_RETURN_TENSOR("squeeze", ops::squeeze_all(arg(t, "squeeze")))
}
NG_API ng_status ng_tensor_narrow(const ng_tensor* t, int64_t dim, int64_t start, int64_t length, ng_tensor** out) {
    NG_RETURN_TENSOR("narrow", ops::narrow(arg(t, "narrow"), dim, start, length))
}
NG_API ng_status ng_tensor_flatten(const ng_tensor* t, int64_t start_dim, int64_t end_dim, ng_tensor** out) {
    NG_RETURN_TENSOR("flatten", ops::flatten(arg(t, "flatten"), start_dim, end_dim))
}
NG_API ng_status ng_tensor_contiguous(const ng_tensor* t, ng_tensor** out) {
    NG_RETURN_TENSOR("contiguous", ops::contiguous(arg(t, "contiguous")))
}
NG_API ng_status ng_tensor_clone(const ng_tensor* t, ng_tensor** out) {
    NG_RETURN_TENSOR("clone", ops::clone(arg(t, "clone")))
}
NG_API ng_status ng_tensor_to_dtype(const ng_tensor* t, ng_dtype dtype, ng_tensor** out) {
    NG_RETURN_TENSOR("to_dtype", ops::to_dtype(arg(t, "to_dtype"), api::dtype_arg(dtype, "to_dtype")))
}

// ---- operations ----------------------------------------------------------------------------
NG_API ng_status ng_tensor_unary(ng_unary_op op, const ng_tensor* x, double a, double b, ng_tensor** out) {
    NG_RETURN_TENSOR("unary", ops::unary(op, arg(x, "unary", "x"), a, b))
}
NG_API ng_status ng_tensor_binary(ng_binary_op op, const ng_tensor* x, const ng_tensor* y, ng_tensor** out) {
    NG_RETURN_TENSOR("binary", ops::binary(op, arg(x, "binary", "x"), arg(y, "binary", "y")))
}
NG_API ng_status ng_tensor_where(const ng_tensor* cond, const ng_tensor* x, const ng_tensor* y, ng_tensor** out) {
    NG_RETURN_TENSOR("where", ops::where(arg(cond, "where", "cond"), arg(x, "where", "x"), arg(y, "where", "y")))
}
NG_API ng_status ng_tensor_unary_(ng_unary_op op, ng_tensor* x, double a, double b) {
    NG_API_BEGIN
    ops::unary_(op, arg(x, "unary_", "x"), a, b);
    NG_API_END
}
NG_API ng_status ng_tensor_binary_(ng_binary_op op, ng_tensor* x, const ng_tensor* y) {
    NG_API_BEGIN
    ops::binary_(op, arg(x, "binary_", "x"), arg(y, "binary_", "y"));
    NG_API_END
}
NG_API ng_status ng_tensor_fill_(ng_tensor* x, double value) {
    NG_API_BEGIN
    ops::fill_(arg(x, "fill_", "x"), value);
    NG_API_END
}
NG_API ng_status ng_tensor_copy_(ng_tensor* dst, const ng_tensor* src) {
    NG_API_BEGIN
    ops::copy_(arg(dst, "copy_", "dst"), arg(src, "copy_", "src"));
    NG_API_END
}
NG_API ng_status ng_tensor_reduce(ng_reduce_op op, const ng_tensor* t, const int64_t* dims, int32_t ndims, int32_t keepdim,
                                  ng_tensor** out) {
    NG_RETURN_TENSOR("reduce", ops::reduce(op, arg(t, "reduce"), dims_arg(dims, ndims, "reduce"), keepdim != 0))
}
NG_API ng_status ng_tensor_reduce_with_indices(ng_reduce_op op, const ng_tensor* t, int64_t dim, int32_t keepdim,
                                               ng_tensor** values, ng_tensor** indices) {
    NG_API_BEGIN
    api::check_out(values, "reduce_with_indices");
    api::check_out(indices, "reduce_with_indices");
    NG_CHECK_ARG(op == NG_REDUCE_OP_MAX || op == NG_REDUCE_OP_MIN,
                 "reduce_with_indices: only max and min return indices");
    Tensor x = arg(t, "reduce_with_indices");
    auto r = op == NG_REDUCE_OP_MAX ? ops::max_dim(x, dim, keepdim != 0) : ops::min_dim(x, dim, keepdim != 0);
    *values = api::to_handle(std::move(r.first));
    *indices = api::to_handle(std::move(r.second));
    NG_API_END
}
NG_API ng_status ng_tensor_argmax(const ng_tensor* t, int64_t dim, int32_t keepdim, ng_tensor** out) {
    NG_RETURN_TENSOR("argmax", ops::argmax(arg(t, "argmax"), dim, keepdim != 0))
}
NG_API ng_status ng_tensor_argmin(const ng_tensor* t, int64_t dim, int32_t keepdim, ng_tensor** out) {
    NG_RETURN_TENSOR("argmin", ops::argmin(arg(t, "argmin"), dim, keepdim != 0))
}
NG_API ng_status ng_tensor_softmax(const ng_tensor* t, int64_t dim, ng_tensor** out) {
    NG_RETURN_TENSOR("softmax", ops::softmax(arg(t, "softmax"), dim))
}
NG_API ng_status ng_tensor_log_softmax(const ng_tensor* t, int64_t dim, ng_tensor** out) {
    NG_RETURN_TENSOR("log_softmax", ops::log_softmax(arg(t, "log_softmax"), dim))
}
NG_API ng_status ng_tensor_matmul(const ng_tensor* a, const ng_tensor* b, ng_tensor** out) {
    NG_RETURN_TENSOR("matmul", ops::matmul(arg(a, "matmul", "a"), arg(b, "matmul", "b")))
}
NG_API ng_status ng_tensor_gather(const ng_tensor* t, int64_t dim, const ng_tensor* index, ng_tensor** out) {
    NG_RETURN_TENSOR("gather", ops::gather(arg(t, "gather"), dim, arg(index, "gather", "index")))
}
NG_API ng_status ng_tensor_scatter(const ng_tensor* t, int64_t dim, const ng_tensor* index, const ng_tensor* src,
                                   ng_tensor** out) {
    NG_RETURN_TENSOR("scatter", ops::scatter(arg(t, "scatter"), dim, arg(index, "scatter", "index"), arg(src, "scatter", "src")))
}
NG_API ng_status ng_tensor_scatter_value(const ng_tensor* t, int64_t dim, const ng_tensor* index, double value,
                                         ng_tensor** out) {
    NG_RETURN_TENSOR("scatter", ops::scatter_value(arg(t, "scatter"), dim, arg(index, "scatter", "index"), value))
}
NG_API ng_status ng_tensor_scatter_add(const ng_tensor* t, int64_t dim, const ng_tensor* index, const ng_tensor* src,
                                       ng_tensor** out) {
    NG_RETURN_TENSOR("scatter_add", ops::scatter_add(arg(t, "scatter_add"), dim, arg(index, "scatter_add", "index"),
                                                     arg(src, "scatter_add", "src")))
}
NG_API ng_status ng_tensor_index_select(const ng_tensor* t, int64_t dim, const ng_tensor* index, ng_tensor** out) {
    NG_RETURN_TENSOR("index_select", ops::index_select(arg(t, "index_select"), dim, arg(index, "index_select", "index")))
}

}  // extern "C"
