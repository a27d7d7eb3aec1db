// C shims for the neural-network operations (ops/nn_ops.h). Optional tensors may be NULL.
#include "api/guard.h"
#include "ops/generator.h"
#include "ops/nn_ops.h"

using namespace ng;
using api::optional_tensor_arg;
using api::tensor_arg;

namespace {
ng_reduction reduction_arg(ng_reduction r, const char* fn) {
    NG_CHECK_ARG(r == NG_REDUCTION_NONE || r == NG_REDUCTION_MEAN || r == NG_REDUCTION_SUM, fn,
                 ": reduction must be NG_REDUCTION_NONE, NG_REDUCTION_MEAN or NG_REDUCTION_SUM, got ", static_cast<int>(r));
    return r;
}
}  // namespace

#define NG_RETURN_TENSOR(fn, expr)              \
    NG_API_BEGIN                                \
    api::check_out(out, fn);                    \
    Tensor result_ = (expr);                    \
    *out = api::to_handle(std::move(result_));  \
    NG_API_END

extern "C" {

NG_API ng_status ng_nn_conv2d(const ng_tensor* input, const ng_tensor* weight, const ng_tensor* bias, int64_t stride_h,
                              int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups,
                              ng_tensor** out) {
    NG_RETURN_TENSOR("conv2d", ops::conv2d(tensor_arg(input, "conv2d", "input"), tensor_arg(weight, "conv2d", "weight"),
                                           optional_tensor_arg(bias, "conv2d", "bias"),
                                           ops::Conv2dParams{stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups}))
}

NG_API ng_status ng_nn_max_pool2d(const ng_tensor* input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                                  int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                                  int32_t ceil_mode, ng_tensor** out, ng_tensor** indices) {
    NG_API_BEGIN
    api::check_out(out, "max_pool2d");
    auto result = ops::max_pool2d_with_indices(
        tensor_arg(input, "max_pool2d", "input"),
        ops::Pool2dParams{kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, ceil_mode != 0});
    *out = api::to_handle(std::move(result.first));
    if (indices) *indices = api::to_handle(std::move(result.second));
    NG_API_END
}

NG_API ng_status ng_nn_avg_pool2d(const ng_tensor* input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                                  int64_t stride_w, int64_t pad_h, int64_t pad_w, int32_t ceil_mode, int32_t count_include_pad,
                                  int64_t divisor_override, ng_tensor** out) {
    NG_RETURN_TENSOR("avg_pool2d",
                     ops::avg_pool2d(tensor_arg(input, "avg_pool2d", "input"),
                                     ops::Pool2dParams{kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, 1, 1, ceil_mode != 0},
                                     count_include_pad != 0, divisor_override > 0 ? divisor_override : 0))
}

NG_API ng_status ng_nn_adaptive_avg_pool2d(const ng_tensor* input, int64_t out_h, int64_t out_w, ng_tensor** out) {
    NG_RETURN_TENSOR("adaptive_avg_pool2d",
                     ops::adaptive_avg_pool2d(tensor_arg(input, "adaptive_avg_pool2d", "input"), out_h, out_w))
}

NG_API ng_status ng_nn_batch_norm(const ng_tensor* input, ng_tensor* running_mean, ng_tensor* running_var,
                                  const ng_tensor* weight, const ng_tensor* bias, int32_t training, double momentum, double eps,
                                  ng_tensor** out) {
    const char* fn = "batch_norm";
    NG_RETURN_TENSOR(fn, ops::batch_norm(tensor_arg(input, fn, "input"), optional_tensor_arg(running_mean, fn, "running_mean"),
                                         optional_tensor_arg(running_var, fn, "running_var"),
                                         optional_tensor_arg(weight, fn, "weight"), optional_tensor_arg(bias, fn, "bias"),
                                         training != 0, momentum, eps))
}

NG_API ng_status ng_nn_cross_entropy(const ng_tensor* input, const ng_tensor* target, const ng_tensor* weight,
                                     int64_t ignore_index, double label_smoothing, ng_reduction reduction, ng_tensor** out) {
    const char* fn = "cross_entropy";
    NG_RETURN_TENSOR(fn, ops::cross_entropy(tensor_arg(input, fn, "input"), tensor_arg(target, fn, "target"),
                                            optional_tensor_arg(weight, fn, "weight"), ignore_index, label_smoothing,
                                            reduction_arg(reduction, fn)))
}

NG_API ng_status ng_nn_nll_loss(const ng_tensor* input, const ng_tensor* target, const ng_tensor* weight, int64_t ignore_index,
                                ng_reduction reduction, ng_tensor** out) {
    const char* fn = "nll_loss";
    NG_RETURN_TENSOR(fn, ops::nll_loss(tensor_arg(input, fn, "input"), tensor_arg(target, fn, "target"),
                                       optional_tensor_arg(weight, fn, "weight"), ignore_index, reduction_arg(reduction, fn)))
}

NG_API ng_status ng_nn_mse_loss(const ng_tensor* input, const ng_tensor* target, ng_reduction reduction, ng_tensor** out) {
    const char* fn = "mse_loss";
    NG_RETURN_TENSOR(fn, ops::mse_loss(tensor_arg(input, fn, "input"), tensor_arg(target, fn, "target"),
                                       reduction_arg(reduction, fn)))
}

NG_API ng_status ng_nn_binary_cross_entropy_with_logits(const ng_tensor* input, const ng_tensor* target,
                                                        const ng_tensor* weight, const ng_tensor* pos_weight,
                                                        ng_reduction reduction, ng_tensor** out) {
    const char* fn = "binary_cross_entropy_with_logits";
    NG_RETURN_TENSOR(fn, ops::binary_cross_entropy_with_logits(
                             tensor_arg(input, fn, "input"), tensor_arg(target, fn, "target"),
                             optional_tensor_arg(weight, fn, "weight"), optional_tensor_arg(pos_weight, fn, "pos_weight"),
                             reduction_arg(reduction, fn)))
}

NG_API ng_status ng_nn_dropout(const ng_tensor* input, double p, int32_t training, ng_generator* gen, ng_tensor** out) {
    NG_RETURN_TENSOR("dropout", ops::dropout(tensor_arg(input, "dropout", "input"), p, training != 0,
                                             reinterpret_cast<Generator*>(gen)))
}

NG_API ng_status ng_nn_linear(const ng_tensor* input, const ng_tensor* weight, const ng_tensor* bias, ng_tensor** out) {
    NG_RETURN_TENSOR("linear", ops::linear(tensor_arg(input, "linear", "input"), tensor_arg(weight, "linear", "weight"),
                                           optional_tensor_arg(bias, "linear", "bias")))
}

}  // extern "C"
