// Runs backward passes over the tape: dependency counting from the roots and a ready queue
// (no recursion, so graph depth is unlimited), gradients summed per input, shapes validated.
#pragma once
#include <vector>

#include "autograd/node.h"

namespace ng {

struct BackwardOptions {
    bool retain_graph = false;
    bool create_graph = false;
};

// Like Tensor.backward / torch.autograd.backward: accumulates into the leaves' .grad.
// grad_roots[i] may be undefined only for one-element roots (treated as ones).
void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                  BackwardOptions options);

// Like torch.autograd.grad: returns d(roots)/d(inputs) without touching any .grad.
// An input the roots do not depend on is an error unless allow_unused (then undefined).
std::vector<Tensor> run_grad(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                             const std::vector<Tensor>& inputs, BackwardOptions options,
                             bool allow_unused);

}  // namespace ng
