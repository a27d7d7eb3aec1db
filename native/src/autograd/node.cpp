#include "autograd/node.h"

#include <atomic>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ng {
namespace {

std::atomic<uint64_t> next_sequence_nr{0};

// Graphs are freed iteratively: a node (or tensor) whose last reference to another node goes
// away hands that node to the deletion loop running on this thread instead of destroying it
// recursively, so a 100,000-op chain frees without exhausting the stack.
thread_local std::vector<std::shared_ptr<Node>>* deletion_queue = nullptr;

void release_node(std::shared_ptr<Node>&& node) {
    if (!node || node.use_count() > 1) {
        node.reset();
        return;
    }
    if (deletion_queue) {
        deletion_queue->push_back(std::move(node));
        return;
    }
    std::vector<std::shared_ptr<Node>> queue;
    queue.push_back(std::move(node));
    deletion_queue = &queue;
    while (!queue.empty()) {
        std::shared_ptr<Node> n = std::move(queue.back());
        queue.pop_back();
        n.reset();  // its destructor may append more nodes to `queue`
    }
    deletion_queue = nullptr;
}

}  // namespace

AutogradMeta::~AutogradMeta() { release_node(std::move(grad_fn)); }

Node::Node() : sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
    for (Edge& e : next_edges_) release_node(std::move(e.fn));
}

std::shared_ptr<TensorHooks> Node::tensor_hooks(uint32_t slot) const {
    return slot < output_hooks_.size() ? output_hooks_[slot] : nullptr;
}

void Node::set_output_hooks(uint32_t slot, std::shared_ptr<TensorHooks> hooks) {
    if (output_hooks_.size() <= slot) output_hooks_.resize(slot + 1);
    output_hooks_[slot] = std::move(hooks);
}

SavedTensor::SavedTensor(const Tensor& t, bool is_output) {
    if (!t.defined()) return;
    defined_ = true;
    version_ = t->storage()->version();
    is_output_ = is_output;
    requires_grad_ = t.requires_grad();
    if (is_output) {
        output_nr_ = t->autograd() ? t->autograd()->output_nr : 0;
        data_ = make_alias(t, t.sizes(), t.strides(), t->offset());
    } else {
        data_ = t;
    }
}

Tensor SavedTensor::unpack(const Node& owner) const {
    if (!defined_) return Tensor();
    NG_CHECK_STATE(!released_, "Trying to backward through the graph a second time (", owner.name(),
                   " needs tensors that were freed after the previous backward pass). Pass "
                   "retainGraph: true to the first Backward or Autograd.Grad call if you need to "
                   "backward through the graph again");
    const uint32_t now = data_->storage()->version();
    NG_CHECK_STATE(now == version_,
                   "a tensor needed for gradient computation has been modified by an in-place "
                   "operation: ", owner.name(), " saved a tensor of shape ", data_.sizes().str(),
                   " at version ", version_, ", but it is now at version ", now,
                   ". Do not modify it in place before calling Backward");
    if (!is_output_ || !requires_grad_) return data_;
    Tensor t = make_alias(data_, data_.sizes(), data_.strides(), data_->offset());
    AutogradMeta& m = t->autograd_mut();
    m.requires_grad = true;
    m.grad_fn = std::const_pointer_cast<Node>(owner.shared_from_this());
    m.output_nr = output_nr_;
    return t;
}

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
    // Leaves run after everything that feeds them.
    sequence_nr_ = UINT64_MAX;
    output_meta().push_back(OutputMeta{variable_.sizes(), variable_.dtype(), true});
}

std::shared_ptr<TensorHooks> AccumulateGrad::tensor_hooks(uint32_t) const {
    const AutogradMeta* m = variable_->autograd();
    return m ? m->hooks : nullptr;
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
    Tensor g = std::move(grads[0]);
    if (!g.defined()) return {};
    AutogradMeta& meta = variable_->autograd_mut();
    if (!GradMode::is_enabled()) g = ops::detach(g);
    if (!meta.grad.defined()) {
        meta.grad = g;
    } else {
        meta.grad = ops::add(meta.grad, g);
    }
    return {};
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
    // The inputs first: reading grad mode is a thread-local lookup, and most calls (inference,
    // optimizer arithmetic, data preparation) have no input that requires grad.
    for (const Tensor* t : inputs)
        if (t && t->defined() && t->requires_grad()) return GradMode::is_enabled();
    return false;
}

Edge gradient_edge(const Tensor& t) {
    if (!t.defined() || !t.requires_grad()) return Edge{};
    AutogradMeta& m = t->autograd_mut();
    if (m.grad_fn) return Edge{m.grad_fn, m.output_nr};
    std::shared_ptr<Node> acc = m.grad_accumulator.lock();
    if (!acc) {
        acc = std::make_shared<AccumulateGrad>(t);
        m.grad_accumulator = acc;
    }
    return Edge{std::move(acc), 0};
}

static void attach_outputs(const std::shared_ptr<Node>& node, const std::vector<Tensor*>& outputs) {
    uint32_t nr = 0;
    for (Tensor* out : outputs) {
        if (out && out->defined() && is_floating(out->dtype())) {
            AutogradMeta& m = (*out)->autograd_mut();
            m.requires_grad = true;
            m.grad_fn = node;
            m.output_nr = nr;
            node->output_meta().push_back(OutputMeta{out->sizes(), out->dtype(), true});
        } else {
            node->output_meta().push_back(OutputMeta{});
        }
        ++nr;
    }
}

void record(const std::shared_ptr<Node>& node, std::initializer_list<const Tensor*> inputs,
            std::initializer_list<Tensor*> outputs) {
    for (const Tensor* in : inputs) node->next_edges().push_back(gradient_edge(*in));
    attach_outputs(node, std::vector<Tensor*>(outputs));
}

void record_list(const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs,
                 const std::vector<Tensor*>& outputs) {
    for (const Tensor& in : inputs) node->next_edges().push_back(gradient_edge(in));
    attach_outputs(node, outputs);
}

}  // namespace ng
