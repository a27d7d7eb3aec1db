#include "autograd/custom_function.h"

#include <algorithm>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ng {

CustomFunctionNode::CustomFunctionNode(std::string name, std::unique_ptr<CustomBackward> backward,
                                       bool materialize)
    : name_(std::move(name)), backward_(std::move(backward)), materialize_(materialize) {}

void CustomFunctionNode::release_variables() {
    for (SavedTensor& s : saved_) s.release();
}

TensorList CustomFunctionNode::apply(TensorList&& grads) {
    grads.resize(outputs_.size());
    if (materialize_) {
        // PyTorch's contract: with materialisation on, backward sees a zero tensor (of the
        // output's shape) for every output that received no gradient, differentiable or not.
        for (size_t i = 0; i < grads.size(); ++i)
            if (!grads[i].defined()) grads[i] = ops::full(outputs_[i].sizes, outputs_[i].dtype, 0.0);
    }
    // Unpacking checks versions and the retain_graph rules, with this node's name in the error.
    TensorList saved;
    saved.reserve(saved_.size());
    for (const SavedTensor& s : saved_) saved.push_back(s.unpack(*this));

    TensorList result = backward_->call(name_, grads, saved, inputs_.size());
    NG_CHECK_STATE(result.size() <= inputs_.size(), "Function ", name_, " returned ", result.size(),
                   " gradients, but its forward had ", inputs_.size(),
                   " arguments (return one gradient, or null, per forward argument)");
    result.resize(inputs_.size());

    for (size_t i = 0; i < result.size(); ++i) {
        Tensor& g = result[i];
        if (!g.defined()) continue;
        const Slot& in = inputs_[i];
        NG_CHECK_STATE(in.is_tensor, "Function ", name_, " returned a gradient for argument ", i,
                       ", which is not a tensor; return null for non-tensor arguments");
        NG_CHECK_STATE(next_edges()[i].valid(), "Function ", name_, " returned a gradient for input ", i,
                       ", which does not require grad (NeedsInputGrad[", i, "] is false); return null there");
        NG_CHECK_SHAPE(g.sizes() == in.sizes, "Function ", name_, " returned a gradient of shape ",
                       g.sizes().str(), " for input ", i, " of shape ", in.sizes.str());
        if (g.dtype() != in.dtype) {
            NG_CHECK_DTYPE(is_floating(g.dtype()), "Function ", name_, " returned a gradient of dtype ",
                           dtype_name(g.dtype()), " for input ", i, " of dtype ", dtype_name(in.dtype));
            g = ops::to_dtype(g, in.dtype);
        }
    }
    return result;
}

namespace {

bool flag(const std::vector<bool>& flags, size_t i) { return i < flags.size() && flags[i]; }

// Index of the first tensor in `list` that is `t` itself (same tensor object, not just the same
// storage), or list.size().
size_t find_same(const std::vector<Tensor>& list, const Tensor& t) {
    for (size_t i = 0; i < list.size(); ++i)
        if (list[i].defined() && list[i].same(t)) return i;
    return list.size();
}

bool has_history(const Tensor& t) {
    const AutogradMeta* m = t->autograd();
    return m && (m->grad_fn || m->requires_grad);
}

void validate(const CustomFunctionSpec& spec, bool recording) {
    const std::string& fn = spec.name;
    NG_CHECK_ARG(!fn.empty(), "custom function: the name is empty");
    NG_CHECK_ARG(spec.non_differentiable.empty() || spec.non_differentiable.size() == spec.outputs.size(),
                 "Function ", fn, ": ", spec.non_differentiable.size(), " non-differentiable flags for ",
                 spec.outputs.size(), " outputs");
    NG_CHECK_ARG(spec.dirty.empty() || spec.dirty.size() == spec.inputs.size(), "Function ", fn, ": ",
                 spec.dirty.size(), " dirty flags for ", spec.inputs.size(), " inputs");
    for (size_t i = 0; i < spec.outputs.size(); ++i)
        NG_CHECK_ARG(spec.outputs[i].defined(), "Function ", fn, ": output ", i, " is null");
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
        if (!flag(spec.dirty, i)) continue;
        const Tensor& in = spec.inputs[i];
        NG_CHECK_ARG(in.defined(), "Function ", fn, ": argument ", i, " was marked dirty but is not a tensor");
        NG_CHECK_ARG(find_same(spec.outputs, in) < spec.outputs.size(), "Function ", fn, ": input ", i,
                     " was marked dirty (modified in place) but is not returned as an output; return it "
                     "from the forward");
        NG_CHECK_STATE(!(recording && in.requires_grad() && in->is_leaf()), "Function ", fn, ": input ", i,
                       " is a leaf tensor that requires grad and was modified in place (marked dirty); "
                       "modify a copy, or do it under no-grad");
    }
}

}  // namespace

std::shared_ptr<CustomFunctionNode> record_custom_function(const CustomFunctionSpec& spec,
                                                           std::unique_ptr<CustomBackward> backward,
                                                           std::vector<Tensor>& outputs) {
    bool recording = false;
    if (GradMode::is_enabled())
        for (const Tensor& in : spec.inputs) recording = recording || (in.defined() && in.requires_grad());
    validate(spec, recording);

    // The forward wrote into these in place; anything that saved them earlier must notice.
    for (size_t i = 0; i < spec.inputs.size(); ++i)
        if (flag(spec.dirty, i)) spec.inputs[i]->storage()->bump_version();

    outputs = spec.outputs;
    if (!recording) return nullptr;  // `backward` (and its context) is released here

    auto node = std::make_shared<CustomFunctionNode>(spec.name, std::move(backward), spec.materialize_grads);
    // Edges first: a dirty input's edge must point at its history before the forward's.
    for (const Tensor& in : spec.inputs) {
        node->inputs_.push_back(in.defined() ? CustomFunctionNode::Slot{true, in.sizes(), in.dtype()}
                                             : CustomFunctionNode::Slot{});
        node->next_edges().push_back(gradient_edge(in));
    }

    std::vector<bool> attached(outputs.size(), false);
    for (size_t i = 0; i < outputs.size(); ++i) {
        Tensor& out = outputs[i];
        const size_t input_index = find_same(spec.inputs, out);
        const bool is_input = input_index < spec.inputs.size();
        const bool dirty = is_input && flag(spec.dirty, input_index);
        // Only a fresh tensor (or an input rewritten in place) may take this node as history;
        // attaching it to anything else would rewrite the history of a tensor the caller holds.
        bool repeated = false;
        for (size_t j = 0; j < i; ++j) repeated = repeated || spec.outputs[j].same(out);
        if (repeated || (!dirty && (is_input || has_history(out))))
            out = make_alias(out, out.sizes(), out.strides(), out->offset());

        node->outputs_.push_back(CustomFunctionNode::Slot{true, out.sizes(), out.dtype()});
        const bool differentiable = is_floating(out.dtype()) && !flag(spec.non_differentiable, i);
        if (differentiable) {
            AutogradMeta& m = out->autograd_mut();
            m.requires_grad = true;
            m.grad_fn = node;
            m.output_nr = static_cast<uint32_t>(i);
            if (m.hooks) node->set_output_hooks(static_cast<uint32_t>(i), m.hooks);
            node->output_meta().push_back(OutputMeta{out.sizes(), out.dtype(), true});
            attached[i] = true;
        } else {
            node->output_meta().push_back(OutputMeta{});
        }
    }

    // Saved after the outputs carry the node: a saved output is kept without its history (a
    // reference cycle otherwise) and re-attached when unpacked.
    for (const Tensor& s : spec.saved) {
        if (!s.defined()) {
            node->saved_.emplace_back();
            continue;
        }
        const size_t k = find_same(outputs, s);
        node->saved_.emplace_back(s, k < outputs.size() && attached[k]);
        node->saved_sizes_.push_back(s.sizes());
    }
    return node;
}

}  // namespace ng
