// A node of the autograd tape: the backward function of one operation, the tensors it saved,
// and edges to the nodes that produced its inputs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ng {

class Node;
using TensorList = std::vector<Tensor>;

// Where a gradient goes: input slot `input_nr` of `fn` (fn's forward output number input_nr).
struct Edge {
    std::shared_ptr<Node> fn;
    uint32_t input_nr = 0;
    bool valid() const noexcept { return static_cast<bool>(fn); }
};

// Shape and dtype of one forward output, to check and materialise incoming gradients.
struct OutputMeta {
    Dims sizes;
    DType dtype = DType::Float32;
    bool defined = false;
};

// A tensor saved for backward. Inputs are kept as they are; a node's own outputs are kept
// without their history (which would be a reference cycle) and re-attached on unpack. The
// storage version is recorded so an in-place change before backward is an error, not a wrong
// gradient.
class SavedTensor {
public:
    SavedTensor() = default;
    SavedTensor(const Tensor& t, bool is_output);
    bool defined() const noexcept { return defined_; }
    Tensor unpack(const Node& owner) const;
    void release() noexcept { data_ = Tensor(); released_ = true; }

private:
    Tensor data_;
    uint32_t version_ = 0;
    bool is_output_ = false;
    bool requires_grad_ = false;
    bool defined_ = false;
    bool released_ = false;
    uint32_t output_nr_ = 0;
};

class Node : public std::enable_shared_from_this<Node> {
public:
    Node();
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // Gradients w.r.t. this node's forward outputs in, gradients w.r.t. its inputs out (one per
    // next edge; undefined where the input needs none).
    virtual TensorList apply(TensorList&& grads) = 0;
    virtual std::string name() const = 0;
    // Drops saved tensors once a backward pass no longer needs them.
    virtual void release_variables() {}
    // Hooks of the tensor that is forward output `slot` (for AccumulateGrad: the leaf's hooks).
    virtual std::shared_ptr<TensorHooks> tensor_hooks(uint32_t slot) const;
    // Built-in nodes get zeros for outputs that received no gradient; custom functions may opt out.
    virtual bool materialize_grads() const { return true; }

    std::vector<Edge>& next_edges() noexcept { return next_edges_; }
    const std::vector<Edge>& next_edges() const noexcept { return next_edges_; }
    std::vector<OutputMeta>& output_meta() noexcept { return output_meta_; }
    const std::vector<OutputMeta>& output_meta() const noexcept { return output_meta_; }
    uint64_t sequence_nr() const noexcept { return sequence_nr_; }
    void set_output_hooks(uint32_t slot, std::shared_ptr<TensorHooks> hooks);

    // Saved tensors' shapes, for graph export.
    virtual std::vector<Dims> saved_shapes() const { return {}; }

protected:
    uint64_t sequence_nr_;

private:
    std::vector<Edge> next_edges_;
    std::vector<OutputMeta> output_meta_;
    std::vector<std::shared_ptr<TensorHooks>> output_hooks_;
};

// The node that ends every path at a leaf that requires grad: runs the leaf's hooks and adds
// the gradient into leaf.grad.
class AccumulateGrad final : public Node {
public:
    explicit AccumulateGrad(Tensor variable);
    TensorList apply(TensorList&& grads) override;
    std::string name() const override { return "AccumulateGrad"; }
    std::shared_ptr<TensorHooks> tensor_hooks(uint32_t slot) const override;
    const Tensor& variable() const noexcept { return variable_; }

private:
    Tensor variable_;
};

// --- recording helpers used by the op front-ends -----------------------------------------

// True when grad mode is on and any input requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
// The edge a gradient for `t` should flow into (invalid if t does not require grad).
Edge gradient_edge(const Tensor& t);
// Connects node to the inputs and makes `outputs` its results (grad_fn, output_nr, meta).
void record(const std::shared_ptr<Node>& node, std::initializer_list<const Tensor*> inputs,
            std::initializer_list<Tensor*> outputs);
void record_list(const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs,
                 const std::vector<Tensor*>& outputs);

}  // namespace ng
