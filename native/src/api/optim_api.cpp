// C shims for the fused optimizer updates (native/src/ops/optim.h).
#include "api/guard.h"
#include "ops/optim.h"

using namespace ng;

extern "C" {

NG_API ng_status ng_optim_sgd_step(ng_tensor* param, const ng_tensor* grad, ng_tensor* momentum_buffer, double lr,
                                   double momentum, double dampening, double weight_decay, int32_t nesterov,
                                   int32_t first_step) {
    NG_API_BEGIN
    ops::SgdOptions o;
    o.lr = lr;
    o.momentum = momentum;
    o.dampening = dampening;
    o.weight_decay = weight_decay;
    o.nesterov = nesterov != 0;
    o.first_step = first_step != 0;
    ops::sgd_step(api::tensor_arg(param, "optim_sgd_step", "param"), api::tensor_arg(grad, "optim_sgd_step", "grad"),
                  api::optional_tensor_arg(momentum_buffer, "optim_sgd_step", "momentum_buffer"), o);
    NG_API_END
}

NG_API ng_status ng_optim_adam_step(ng_tensor* param, const ng_tensor* grad, ng_tensor* exp_avg, ng_tensor* exp_avg_sq,
                                    ng_tensor* max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2,
                                    double eps, double weight_decay, int32_t decoupled, int32_t amsgrad) {
    NG_API_BEGIN
    const char* fn = "optim_adam_step";
    ops::AdamOptions o;
    o.step = step;
    o.lr = lr;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.decoupled = decoupled != 0;
    o.amsgrad = amsgrad != 0;
    ops::adam_step(api::tensor_arg(param, fn, "param"), api::tensor_arg(grad, fn, "grad"),
                   api::tensor_arg(exp_avg, fn, "exp_avg"), api::tensor_arg(exp_avg_sq, fn, "exp_avg_sq"),
                   api::optional_tensor_arg(max_exp_avg_sq, fn, "max_exp_avg_sq"), o);
    NG_API_END
}

}  // extern "C"
