// Fused optimizer updates: one call updates one parameter tensor and its state buffers in place,
// with exactly the arithmetic of PyTorch's single-tensor (foreach=False) SGD and Adam/AdamW.
// These are not autograd operations: nothing is recorded, and the writes bump the versions of the
// parameter and buffers so saved tensors that alias them are detected as stale.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace ng::ops {

struct SgdOptions {
    double lr = 0.0;
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
    // The momentum buffer holds no history yet: it is set to the (decayed) gradient, as PyTorch
    // does when it creates the buffer with clone(grad).
    bool first_step = false;
};

// param -= lr * update (see torch/optim/sgd.py). `momentum_buffer` may be undefined when
// momentum == 0; otherwise it must have param's shape and dtype and be contiguous.
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer, const SgdOptions& o);

struct AdamOptions {
    int64_t step = 1;  // the step count after this update (1 on the first call)
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
    bool decoupled = false;  // AdamW: param *= 1 - lr * weight_decay instead of grad += wd * param
    bool amsgrad = false;
};

// Adam/AdamW update (see torch/optim/adam.py, _single_tensor_adam). `max_exp_avg_sq` is needed
// only with amsgrad.
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& max_exp_avg_sq, const AdamOptions& o);

}  // namespace ng::ops
