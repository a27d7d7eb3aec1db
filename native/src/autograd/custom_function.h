// The node of a custom autograd function: an operation whose forward ran outside the core (in
// managed code, typically) and whose backward is user code reached through a callback. It behaves
// like a built-in node on the tape — hooks, retain_graph, create_graph, grad() all apply — and it
// validates what the user's backward returns, naming the function in every error.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "autograd/node.h"

namespace ng {

// The user's backward. Owned by the node and destroyed with it, so an implementation that holds
// a foreign context (a GCHandle, say) frees it exactly once, when the graph goes.
class CustomBackward {
public:
    virtual ~CustomBackward() = default;
    // One gradient per forward output in (undefined where none), one per forward input out (the
    // result may be shorter or undefined where there is none). Throws ng::Error on failure.
    virtual TensorList call(const std::string& function_name, const TensorList& grads,
                            const TensorList& saved, size_t input_count) = 0;
};

// What the forward looked like, as the recording C shim describes it.
struct CustomFunctionSpec {
    std::string name;
    std::vector<Tensor> inputs;              // one per forward argument; undefined for non-tensors
    std::vector<Tensor> outputs;             // the forward's results (all defined)
    std::vector<bool> non_differentiable;    // per output (empty: none)
    std::vector<bool> dirty;                 // per input, modified in place by the forward (empty: none)
    std::vector<Tensor> saved;               // tensors for backward; undefined entries allowed
    bool materialize_grads = true;
};

class CustomFunctionNode final : public Node {
public:
    CustomFunctionNode(std::string name, std::unique_ptr<CustomBackward> backward, bool materialize);

    TensorList apply(TensorList&& grads) override;
    std::string name() const override { return name_; }
    void release_variables() override;
    // The node materialises missing gradients itself (non-differentiable outputs included).
    bool materialize_grads() const override { return false; }
    std::vector<Dims> saved_shapes() const override { return saved_sizes_; }

    size_t input_count() const noexcept { return inputs_.size(); }
    size_t output_count() const noexcept { return outputs_.size(); }

private:
    friend std::shared_ptr<CustomFunctionNode> record_custom_function(const CustomFunctionSpec& spec,
                                                                      std::unique_ptr<CustomBackward> backward,
                                                                      std::vector<Tensor>& outputs);

    struct Slot {
        bool is_tensor = false;
        Dims sizes;
        DType dtype = DType::Float32;
    };

    std::string name_;
    std::unique_ptr<CustomBackward> backward_;
    bool materialize_;
    std::vector<Slot> inputs_;   // per forward argument, for validating returned gradients
    std::vector<Slot> outputs_;  // per forward output, for materialising missing gradients
    std::vector<SavedTensor> saved_;
    std::vector<Dims> saved_sizes_;
};

// Validates `spec`, bumps the versions of dirtied inputs and — when grad mode is on and an input
// requires grad — records one CustomFunctionNode whose results are the outputs. Outputs that
// cannot take the node as their history (an input not marked dirty, a tensor that already has
// history or requires grad, the same tensor twice) are replaced by aliases; `outputs` receives
// the final tensors. Returns the node, or null when nothing was recorded (then `backward` has
// been destroyed). On error, throws ng::Error naming the function and records nothing.
std::shared_ptr<CustomFunctionNode> record_custom_function(const CustomFunctionSpec& spec,
                                                           std::unique_ptr<CustomBackward> backward,
                                                           std::vector<Tensor>& outputs);

}  // namespace ng
