#include "autograd/engine.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ng {
namespace {

struct Capture {
    Node* node;
    uint32_t slot;
    size_t index;  // position in the result
};

struct NodeState {
    int dependencies = 0;
    TensorList buffer;   // incoming gradients, one per forward output of the node
    bool needed = true;  // executed at all (false for nodes that lead to no captured input)
};

struct ReadyOrder {
    bool operator()(const Node* a, const Node* b) const {
        return a->sequence_nr() < b->sequence_nr();  // latest-recorded node first
    }
};

Tensor accumulate(const Tensor& existing, const Tensor& incoming) {
    return existing.defined() ? ops::add(existing, incoming) : incoming;
}

void check_gradient(const Node& producer, size_t index, const Node& consumer, uint32_t slot,
                    const Tensor& grad) {
    const auto& metas = consumer.output_meta();
    if (slot >= metas.size() || !metas[slot].defined) return;
    const OutputMeta& meta = metas[slot];
    NG_CHECK_SHAPE(grad.sizes() == meta.sizes, "Function ", producer.name(),
                   " returned an invalid gradient at index ", index, ": got shape ",
                   grad.sizes().str(), " but expected shape ", meta.sizes.str());
    NG_CHECK_DTYPE(grad.dtype() == meta.dtype, "Function ", producer.name(),
                   " returned an invalid gradient at index ", index, ": got dtype ",
                   dtype_name(grad.dtype()), " but expected ", dtype_name(meta.dtype));
}

Tensor run_hooks(const std::shared_ptr<TensorHooks>& hooks, Tensor grad) {
    if (!hooks || !grad.defined()) return grad;
    // Copy: a hook may remove itself (or others) while running.
    std::vector<TensorHook> list = hooks->hooks;
    for (const TensorHook& h : list) {
        Tensor replacement = h.fn(grad);
        if (replacement.defined()) {
            NG_CHECK_SHAPE(replacement.sizes() == grad.sizes(), "a tensor hook returned a gradient of shape ",
                           replacement.sizes().str(), " for a tensor of shape ", grad.sizes().str());
            grad = replacement;
        }
    }
    if (hooks->retains_grad) {
        Tensor g = GradMode::is_enabled() ? grad : ops::detach(grad);
        hooks->retained_grad = hooks->retained_grad.defined() ? ops::add(hooks->retained_grad, g) : g;
    }
    return grad;
}

struct RootEdge {
    Edge edge;
    Tensor grad;
};

std::vector<RootEdge> make_roots(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                                 const char* api) {
    NG_CHECK_ARG(grads.empty() || grads.size() == roots.size(), api, ": got ", roots.size(),
                 " tensors but ", grads.size(), " gradients");
    std::vector<RootEdge> result;
    for (size_t i = 0; i < roots.size(); ++i) {
        const Tensor& r = roots[i];
        NG_CHECK_ARG(r.defined(), api, ": tensor ", i, " is null");
        NG_CHECK_STATE(r.requires_grad(), api, ": tensor ", i,
                       " does not require grad and has no grad_fn (set RequiresGrad on the inputs "
                       "before computing it)");
        Tensor g = i < grads.size() ? grads[i] : Tensor();
        if (!g.defined()) {
            NG_CHECK_ARG(r.numel() == 1, api, ": a gradient can be implicitly created only for "
                         "one-element outputs, but tensor ", i, " has shape ", r.sizes().str(),
                         "; pass a gradient of the same shape");
            g = ops::full(r.sizes(), r.dtype(), 1.0);
        } else {
            NG_CHECK_SHAPE(g.sizes() == r.sizes(), api, ": gradient ", i, " has shape ", g.sizes().str(),
                           " but the tensor has shape ", r.sizes().str());
            if (g.dtype() != r.dtype()) g = ops::to_dtype(g, r.dtype());
        }
        result.push_back(RootEdge{gradient_edge(r), std::move(g)});
    }
    return result;
}

// Executes the graph. When captures is non-empty (Autograd.Grad), only nodes on a path to a
// captured slot run and leaves are not accumulated.
void execute(const std::vector<RootEdge>& roots, BackwardOptions options,
             const std::vector<Capture>& captures, std::vector<Tensor>* captured) {
    const bool capture_mode = captured != nullptr;
    std::unordered_map<Node*, NodeState> states;
    std::vector<Node*> order;  // discovery order

    // 1. Discover the graph and count dependencies.
    {
        std::vector<Node*> stack;
        for (const RootEdge& r : roots) {
            Node* n = r.edge.fn.get();
            if (states.emplace(n, NodeState{}).second) {
                stack.push_back(n);
                order.push_back(n);
            }
        }
        while (!stack.empty()) {
            Node* n = stack.back();
            stack.pop_back();
            for (const Edge& e : n->next_edges()) {
                if (!e.valid()) continue;
                Node* next = e.fn.get();
                auto [it, inserted] = states.emplace(next, NodeState{});
                it->second.dependencies++;
                if (inserted) {
                    stack.push_back(next);
                    order.push_back(next);
                }
            }
        }
    }

    // 2. In capture mode keep only the nodes from which a captured node is reachable.
    std::unordered_map<Node*, std::vector<const Capture*>> captures_at;
    for (const Capture& c : captures) captures_at[c.node].push_back(&c);
    if (capture_mode) {
        for (Node* n : order) states[n].needed = false;
        // Reverse discovery order is not topological in general; iterate to a fixed point.
        bool changed = true;
        for (auto& [n, st] : states)
            if (captures_at.count(n)) st.needed = true;
        while (changed) {
            changed = false;
            for (Node* n : order) {
                NodeState& st = states[n];
                if (st.needed) continue;
                for (const Edge& e : n->next_edges()) {
                    if (e.valid() && states[e.fn.get()].needed) {
                        st.needed = true;
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    // 3. Seed the root gradients.
    std::priority_queue<Node*, std::vector<Node*>, ReadyOrder> ready;
    for (const RootEdge& r : roots) {
        NodeState& st = states[r.edge.fn.get()];
        if (st.buffer.size() < r.edge.fn->output_meta().size()) st.buffer.resize(r.edge.fn->output_meta().size());
        if (st.buffer.size() <= r.edge.input_nr) st.buffer.resize(r.edge.input_nr + 1);
        st.buffer[r.edge.input_nr] = accumulate(st.buffer[r.edge.input_nr], r.grad);
    }
    {
        std::unordered_set<Node*> queued;
        for (const RootEdge& r : roots) {
            Node* n = r.edge.fn.get();
            if (states[n].dependencies == 0 && queued.insert(n).second) ready.push(n);
        }
    }

    GradModeGuard grad_mode(options.create_graph);

    // 4. Run nodes as their dependencies complete.
    while (!ready.empty()) {
        Node* node = ready.top();
        ready.pop();
        NodeState& st = states[node];
        TensorList grads = std::move(st.buffer);
        const size_t num_outputs = std::max(grads.size(), node->output_meta().size());
        grads.resize(num_outputs);

        for (uint32_t slot = 0; slot < num_outputs; ++slot)
            grads[slot] = run_hooks(node->tensor_hooks(slot), std::move(grads[slot]));

        if (capture_mode) {
            auto it = captures_at.find(node);
            if (it != captures_at.end())
                for (const Capture* c : it->second)
                    if (c->slot < grads.size() && grads[c->slot].defined())
                        (*captured)[c->index] = accumulate((*captured)[c->index], grads[c->slot]);
        }

        const bool is_leaf_node = dynamic_cast<AccumulateGrad*>(node) != nullptr;
        if (!st.needed || (capture_mode && is_leaf_node)) continue;

        if (node->materialize_grads()) {
            for (uint32_t slot = 0; slot < num_outputs; ++slot) {
                const auto& metas = node->output_meta();
                if (!grads[slot].defined() && slot < metas.size() && metas[slot].defined)
                    grads[slot] = ops::full(metas[slot].sizes, metas[slot].dtype, 0.0);
            }
        }

        TensorList outputs = node->apply(std::move(grads));
        if (!options.retain_graph) node->release_variables();

        const auto& edges = node->next_edges();
        NG_CHECK(outputs.size() == edges.size() || is_leaf_node, NG_STATUS_INTERNAL, "Function ",
                 node->name(), " returned ", outputs.size(), " gradients but has ", edges.size(),
                 " inputs");
        for (size_t i = 0; i < edges.size(); ++i) {
            const Edge& e = edges[i];
            if (!e.valid()) continue;
            Node* next = e.fn.get();
            NodeState& ns = states[next];
            if (i < outputs.size() && outputs[i].defined()) {
                Tensor g = std::move(outputs[i]);
                check_gradient(*node, i, *next, e.input_nr, g);
                if (ns.buffer.size() <= e.input_nr) ns.buffer.resize(std::max<size_t>(e.input_nr + 1, next->output_meta().size()));
                ns.buffer[e.input_nr] = accumulate(ns.buffer[e.input_nr], g);
            }
            if (--ns.dependencies == 0) ready.push(next);
        }
    }
}

}  // namespace

void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                  BackwardOptions options) {
    NG_CHECK_ARG(!roots.empty(), "backward: no tensors given");
    std::vector<RootEdge> edges = make_roots(roots, grad_roots, "backward");
    if (options.create_graph) options.retain_graph = true;
    execute(edges, options, {}, nullptr);
}

std::vector<Tensor> run_grad(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                             const std::vector<Tensor>& inputs, BackwardOptions options,
                             bool allow_unused) {
    NG_CHECK_ARG(!roots.empty(), "grad: no outputs given");
    NG_CHECK_ARG(!inputs.empty(), "grad: no inputs given");
    std::vector<RootEdge> edges = make_roots(roots, grad_roots, "grad");
    if (options.create_graph) options.retain_graph = true;
    std::vector<Capture> captures;
    std::vector<std::shared_ptr<Node>> keep_alive;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& t = inputs[i];
        NG_CHECK_ARG(t.defined(), "grad: input ", i, " is null");
        NG_CHECK_STATE(t.requires_grad(), "grad: input ", i, " (shape ", t.sizes().str(),
                       ") does not require grad");
        Edge e = gradient_edge(t);
        captures.push_back(Capture{e.fn.get(), e.input_nr, i});
        keep_alive.push_back(std::move(e.fn));
    }
    std::vector<Tensor> result(inputs.size());
    execute(edges, options, captures, &result);
    for (size_t i = 0; i < result.size(); ++i) {
        NG_CHECK_STATE(result[i].defined() || allow_unused, "grad: input ", i, " (shape ",
                       inputs[i].sizes().str(),
                       ") was not used in the graph of the outputs; pass allowUnused: true if this is expected");
    }
    return result;
}

}  // namespace ng
