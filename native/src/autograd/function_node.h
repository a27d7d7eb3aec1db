// The node used by built-in operations: a name, a backward formula given as a function of the
// incoming gradients, and the tensors saved for it. Keeps each op's backward next to its forward.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/node.h"

namespace ng {

class FunctionNode final : public Node {
public:
    using Formula = std::function<TensorList(const FunctionNode& node, const TensorList& grads)>;

    FunctionNode(const char* name, Formula formula) : name_(name), formula_(std::move(formula)) {}

    TensorList apply(TensorList&& grads) override { return formula_(*this, grads); }
    std::string name() const override { return name_; }
    void release_variables() override {
        for (SavedTensor& s : saved_) s.release();
    }
    std::vector<Dims> saved_shapes() const override { return saved_sizes_; }

    // Call after record(), so outputs already carry this node as their grad_fn.
    void save(const Tensor& t, bool is_output = false) {
        saved_.emplace_back(t, is_output);
        if (t.defined()) saved_sizes_.push_back(t.sizes());
    }
    Tensor saved(size_t i) const { return saved_.at(i).unpack(*this); }
    // Whether input i (in record order) needs a gradient.
    bool needs_grad(size_t i) const { return i < next_edges().size() && next_edges()[i].valid(); }

private:
    const char* name_;
    Formula formula_;
    std::vector<SavedTensor> saved_;
    std::vector<Dims> saved_sizes_;
};

inline std::shared_ptr<FunctionNode> make_node(const char* name, FunctionNode::Formula formula) {
    return std::make_shared<FunctionNode>(name, std::move(formula));
}

}  // namespace ng
