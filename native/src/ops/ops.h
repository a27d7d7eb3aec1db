// The tensor operations of the core. Each validates its arguments (errors name the operation and
// the shapes), computes the result with the CPU kernels, and records an autograd node when grad
// mode is on and an input requires grad. Backward formulas are written with these same
// operations, so gradients of gradients come for free.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "nativegrad/nativegrad.h"

namespace ng {
class Generator;
}

namespace ng::ops {

// ---- creation -------------------------------------------------------------------------------
Tensor empty(const Dims& sizes, DType dtype);
Tensor full(const Dims& sizes, DType dtype, double value);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor arange(double start, double end, double step, DType dtype);
Tensor rand(const Dims& sizes, DType dtype, Generator* gen);
Tensor randn(const Dims& sizes, DType dtype, Generator* gen);
Tensor randint(int64_t low, int64_t high, const Dims& sizes, DType dtype, Generator* gen);
Tensor from_data(const void* data, int64_t nbytes, const Dims& sizes, DType dtype);
Tensor scalar_like(const Tensor& t, double value);  // 0-dim tensor of t's dtype

// ---- views (share storage) ------------------------------------------------------------------
Tensor view(const Tensor& t, const Dims& shape);     // one -1 may be inferred
Tensor reshape(const Tensor& t, const Dims& shape);  // a view when possible, else a copy
Tensor expand(const Tensor& t, const Dims& shape);   // -1 keeps a size
Tensor permute(const Tensor& t, const Dims& dims);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor squeeze(const Tensor& t, int64_t dim);
Tensor squeeze_all(const Tensor& t);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor detach(const Tensor& t);                      // same data, no history
Tensor as_strided_alias(const Tensor& t, const Dims& sizes, const Dims& strides, int64_t offset);

// ---- copies ---------------------------------------------------------------------------------
Tensor contiguous(const Tensor& t);
Tensor clone(const Tensor& t);
Tensor to_dtype(const Tensor& t, DType dtype);
// Copies src (broadcast to dst's shape, converted to dst's dtype) into dst; bumps its version.
void copy_(const Tensor& dst, const Tensor& src);
void fill_(const Tensor& dst, double value);
// Writes the elements of t in row-major order into dst (nbytes must match exactly).
void copy_to_buffer(const Tensor& t, void* dst, int64_t nbytes);

// ---- elementwise ------------------------------------------------------------------------------
Tensor unary(ng_unary_op op, const Tensor& x, double a = 0.0, double b = 0.0);
Tensor binary(ng_binary_op op, const Tensor& x, const Tensor& y);
Tensor where(const Tensor& cond, const Tensor& x, const Tensor& y);
void unary_(ng_unary_op op, const Tensor& x, double a = 0.0, double b = 0.0);
void binary_(ng_binary_op op, const Tensor& x, const Tensor& y);
const char* unary_name(ng_unary_op op);
const char* binary_name(ng_binary_op op);
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);

inline Tensor add(const Tensor& a, const Tensor& b) { return binary(NG_BINARY_OP_ADD, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(NG_BINARY_OP_SUB, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(NG_BINARY_OP_MUL, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(NG_BINARY_OP_DIV, a, b); }
inline Tensor neg(const Tensor& a) { return unary(NG_UNARY_OP_NEG, a); }
inline Tensor exp(const Tensor& a) { return unary(NG_UNARY_OP_EXP, a); }
inline Tensor log(const Tensor& a) { return unary(NG_UNARY_OP_LOG, a); }
inline Tensor mul_scalar(const Tensor& a, double s) { return unary(NG_UNARY_OP_MUL_SCALAR, a, s); }
inline Tensor add_scalar(const Tensor& a, double s) { return unary(NG_UNARY_OP_ADD_SCALAR, a, s); }
inline Tensor rsub_scalar(const Tensor& a, double s) { return unary(NG_UNARY_OP_RSUB_SCALAR, a, s); }
inline Tensor pow_scalar(const Tensor& a, double s) { return unary(NG_UNARY_OP_POW_SCALAR, a, s); }
inline Tensor gt_scalar(const Tensor& a, double s) { return unary(NG_UNARY_OP_GT_SCALAR, a, s); }

// ---- reductions -------------------------------------------------------------------------------
Tensor reduce(ng_reduce_op op, const Tensor& t, const std::vector<int64_t>& dims, bool keepdim);
Tensor sum(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& t, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Sums a broadcast gradient back to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& t, const Dims& shape);
std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim);
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& t, int64_t dim, bool keepdim);
Tensor argmin(const Tensor& t, int64_t dim, bool keepdim);

// ---- softmax ----------------------------------------------------------------------------------
Tensor softmax(const Tensor& t, int64_t dim);
Tensor log_softmax(const Tensor& t, int64_t dim);

// ---- linear algebra ---------------------------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
// Batched [B,m,k] x [B,k,n] (no broadcasting); 2-D inputs are a batch of one.
Tensor bmm(const Tensor& a, const Tensor& b);

// ---- indexing ---------------------------------------------------------------------------------
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_value(const Tensor& t, int64_t dim, const Tensor& index, double value);
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);

}  // namespace ng::ops
