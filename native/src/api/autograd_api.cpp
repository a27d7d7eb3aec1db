// C shims for autograd: grad mode, leaf flags and gradients, backward / grad, graph inspection
// and tensor hooks (managed callbacks invoked through C function pointers).
#include <atomic>
#include <vector>

#include "api/guard.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "ops/ops.h"

using namespace ng;
using api::tensor_arg;

struct ng_node {
    std::shared_ptr<Node> node;
};

namespace {

std::atomic<int64_t> next_hook_id{1};

std::vector<Tensor> tensor_list(ng_tensor* const* handles, int32_t count, bool allow_null, const char* fn,
                                const char* what) {
    NG_CHECK_ARG(count >= 0, fn, ": negative count ", count);
    std::vector<Tensor> list;
    if (!handles) {
        NG_CHECK_ARG(allow_null || count == 0, fn, ": the ", what, " array is null");
        list.resize(static_cast<size_t>(count));
        return list;
    }
    for (int32_t i = 0; i < count; ++i) {
        if (!handles[i]) {
            NG_CHECK_ARG(allow_null, fn, ": ", what, " ", i, " is null");
            list.emplace_back();
        } else {
            list.push_back(tensor_arg(handles[i], fn, what));
        }
    }
    return list;
}

std::shared_ptr<TensorHooks> hooks_of(const Tensor& t) {
    AutogradMeta& m = t->autograd_mut();
    if (!m.hooks) m.hooks = std::make_shared<TensorHooks>();
    if (m.grad_fn) m.grad_fn->set_output_hooks(m.output_nr, m.hooks);
    return m.hooks;
}

// Owns a managed callback: calls `release` exactly once, when the last copy of the hook goes.
struct CallbackHook {
    ng_tensor_hook_fn fn;
    void* ctx;
    ng_release_fn release;
    CallbackHook(ng_tensor_hook_fn f, void* c, ng_release_fn r) : fn(f), ctx(c), release(r) {}
    ~CallbackHook() {
        if (release) release(ctx);
    }
    CallbackHook(const CallbackHook&) = delete;
    CallbackHook& operator=(const CallbackHook&) = delete;
};

ng_node* node_handle(std::shared_ptr<Node> n) { return n ? new ng_node{std::move(n)} : nullptr; }

const Node& node_arg(const ng_node* n, const char* fn) {
    NG_CHECK_ARG(n != nullptr && n->node, fn, ": node is null");
    return *n->node;
}

}  // namespace

extern "C" {

NG_API ng_status ng_grad_mode_is_enabled(int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "grad_mode_is_enabled");
    *out = GradMode::is_enabled() ? 1 : 0;
    NG_API_END
}

NG_API ng_status ng_grad_mode_set(int32_t enabled, int32_t* previous) {
    NG_API_BEGIN
    if (previous) *previous = GradMode::is_enabled() ? 1 : 0;
    GradMode::set_enabled(enabled != 0);
    NG_API_END
}

NG_API ng_status ng_tensor_requires_grad(const ng_tensor* t, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "requires_grad");
    *out = tensor_arg(t, "requires_grad", "t").requires_grad() ? 1 : 0;
    NG_API_END
}

NG_API ng_status ng_tensor_set_requires_grad(ng_tensor* t, int32_t requires_grad) {
    NG_API_BEGIN
    Tensor x = tensor_arg(t, "set_requires_grad", "t");
    NG_CHECK_STATE(x->is_leaf(), "set_requires_grad: you can only change RequiresGrad of leaf tensors; this tensor was "
                   "computed by ", x->grad_fn()->name(), ". Use Detach() to get a leaf that shares its data");
    if (requires_grad) {
        NG_CHECK_DTYPE(is_floating(x.dtype()), "set_requires_grad: only floating-point tensors can require gradients, "
                       "this one is ", dtype_name(x.dtype()));
        x->autograd_mut().requires_grad = true;
    } else if (x->autograd()) {
        x->autograd()->requires_grad = false;
    }
    NG_API_END
}

NG_API ng_status ng_tensor_is_leaf(const ng_tensor* t, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "is_leaf");
    *out = tensor_arg(t, "is_leaf", "t")->is_leaf() ? 1 : 0;
    NG_API_END
}

NG_API ng_status ng_tensor_grad(const ng_tensor* t, ng_tensor** out) {
    NG_API_BEGIN
    api::check_out(out, "grad");
    Tensor x = tensor_arg(t, "grad", "t");
    const AutogradMeta* m = x->autograd();
    Tensor g;
    if (m) {
        if (x->is_leaf()) g = m->grad;
        else if (m->hooks) g = m->hooks->retained_grad;
    }
    *out = g.defined() ? api::to_handle(std::move(g)) : nullptr;
    NG_API_END
}

NG_API ng_status ng_tensor_set_grad(ng_tensor* t, const ng_tensor* grad) {
    NG_API_BEGIN
    Tensor x = tensor_arg(t, "set_grad", "t");
    Tensor g = api::optional_tensor_arg(grad, "set_grad", "grad");
    if (g.defined()) {
        NG_CHECK_SHAPE(g.sizes() == x.sizes(), "set_grad: assigned grad has shape ", g.sizes().str(),
                       " but the tensor has shape ", x.sizes().str());
        NG_CHECK_DTYPE(g.dtype() == x.dtype(), "set_grad: assigned grad has dtype ", dtype_name(g.dtype()),
                       " but the tensor has dtype ", dtype_name(x.dtype()));
    }
    if (x->is_leaf()) {
        x->autograd_mut().grad = g;
    } else {
        hooks_of(x)->retained_grad = g;
    }
    NG_API_END
}

NG_API ng_status ng_tensor_retain_grad(ng_tensor* t) {
    NG_API_BEGIN
    Tensor x = tensor_arg(t, "retain_grad", "t");
    NG_CHECK_STATE(x.requires_grad(), "retain_grad: cannot retain the gradient of a tensor that does not require grad");
    if (!x->is_leaf()) hooks_of(x)->retains_grad = true;
    NG_API_END
}

NG_API ng_status ng_tensor_retains_grad(const ng_tensor* t, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "retains_grad");
    Tensor x = tensor_arg(t, "retains_grad", "t");
    *out = (!x->is_leaf() && x->autograd()->hooks && x->autograd()->hooks->retains_grad) ? 1 : 0;
    NG_API_END
}

NG_API ng_status ng_tensor_detach(const ng_tensor* t, ng_tensor** out) {
    NG_API_BEGIN
    api::check_out(out, "detach");
    *out = api::to_handle(ops::detach(tensor_arg(t, "detach", "t")));
    NG_API_END
}

NG_API ng_status ng_autograd_backward(ng_tensor* const* tensors, ng_tensor* const* grads, int32_t count,
                                      int32_t retain_graph, int32_t create_graph) {
    NG_API_BEGIN
    std::vector<Tensor> roots = tensor_list(tensors, count, false, "backward", "tensor");
    std::vector<Tensor> gs = tensor_list(grads, count, true, "backward", "gradient");
    run_backward(roots, gs, BackwardOptions{retain_graph != 0, create_graph != 0});
    NG_API_END
}

NG_API ng_status ng_autograd_grad(ng_tensor* const* outputs, ng_tensor* const* grad_outputs, int32_t output_count,
                                  ng_tensor* const* inputs, int32_t input_count, int32_t retain_graph,
                                  int32_t create_graph, int32_t allow_unused, ng_tensor** out) {
    NG_API_BEGIN
    api::check_out(out, "grad");
    std::vector<Tensor> roots = tensor_list(outputs, output_count, false, "grad", "output");
    std::vector<Tensor> gs = tensor_list(grad_outputs, output_count, true, "grad", "gradient");
    std::vector<Tensor> ins = tensor_list(inputs, input_count, false, "grad", "input");
    std::vector<Tensor> result =
        run_grad(roots, gs, ins, BackwardOptions{retain_graph != 0, create_graph != 0}, allow_unused != 0);
    for (size_t i = 0; i < result.size(); ++i)
        out[i] = result[i].defined() ? api::to_handle(std::move(result[i])) : nullptr;
    NG_API_END
}

NG_API ng_status ng_tensor_grad_fn(const ng_tensor* t, ng_node** out) {
    NG_API_BEGIN
    api::check_out(out, "grad_fn");
    *out = node_handle(tensor_arg(t, "grad_fn", "t")->grad_fn());
    NG_API_END
}

NG_API void ng_node_release(ng_node* node) { delete node; }

NG_API ng_status ng_node_name(const ng_node* node, const char** out) {
    NG_API_BEGIN
    api::check_out(out, "node_name");
    const Node& n = node_arg(node, "node_name");
    // The name lives in a per-handle cache so the pointer stays valid while the handle lives.
    thread_local std::string scratch;
    scratch = n.name();
    *out = scratch.c_str();
    NG_API_END
}

NG_API ng_status ng_node_id(const ng_node* node, uint64_t* out) {
    NG_API_BEGIN
    api::check_out(out, "node_id");
    *out = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(&node_arg(node, "node_id")));
    NG_API_END
}

NG_API ng_status ng_node_next_count(const ng_node* node, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "node_next_count");
    *out = static_cast<int32_t>(node_arg(node, "node_next_count").next_edges().size());
    NG_API_END
}

NG_API ng_status ng_node_next(const ng_node* node, int32_t index, ng_node** out, int32_t* input_nr) {
    NG_API_BEGIN
    api::check_out(out, "node_next");
    const Node& n = node_arg(node, "node_next");
    const auto& edges = n.next_edges();
    NG_CHECK_INDEX(index >= 0 && static_cast<size_t>(index) < edges.size(), "node_next: index ", index,
                   " is out of range for a node with ", edges.size(), " inputs");
    const Edge& e = edges[static_cast<size_t>(index)];
    if (input_nr) *input_nr = static_cast<int32_t>(e.input_nr);
    *out = node_handle(e.fn);
    NG_API_END
}

NG_API ng_status ng_node_variable(const ng_node* node, ng_tensor** out) {
    NG_API_BEGIN
    api::check_out(out, "node_variable");
    const auto* acc = dynamic_cast<const AccumulateGrad*>(&node_arg(node, "node_variable"));
    *out = acc ? api::to_handle(acc->variable()) : nullptr;
    NG_API_END
}

NG_API ng_status ng_node_saved_count(const ng_node* node, int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "node_saved_count");
    *out = static_cast<int32_t>(node_arg(node, "node_saved_count").saved_shapes().size());
    NG_API_END
}

NG_API ng_status ng_node_saved_shape(const ng_node* node, int32_t index, int32_t* ndim, int64_t* sizes) {
    NG_API_BEGIN
    api::check_out(ndim, "node_saved_shape");
    api::check_out(sizes, "node_saved_shape");
    const std::vector<Dims> shapes = node_arg(node, "node_saved_shape").saved_shapes();
    NG_CHECK_INDEX(index >= 0 && static_cast<size_t>(index) < shapes.size(), "node_saved_shape: index ", index,
                   " is out of range for a node with ", shapes.size(), " saved tensors");
    const Dims& d = shapes[static_cast<size_t>(index)];
    *ndim = d.size();
    for (int i = 0; i < d.size(); ++i) sizes[i] = d[i];
    NG_API_END
}

NG_API ng_status ng_tensor_register_hook(ng_tensor* t, ng_tensor_hook_fn fn, void* ctx, ng_release_fn release,
                                         int64_t* handle) {
    // Until the hook is stored, a failure must still release the caller's context exactly once.
    std::shared_ptr<CallbackHook> holder;
    NG_API_BEGIN
    holder = std::make_shared<CallbackHook>(fn, ctx, release);
    api::check_out(handle, "register_hook");
    NG_CHECK_ARG(fn != nullptr, "register_hook: hook function is null");
    Tensor x = tensor_arg(t, "register_hook", "t");
    NG_CHECK_STATE(x.requires_grad(), "register_hook: cannot register a hook on a tensor that does not require grad");
    const int64_t id = next_hook_id.fetch_add(1);
    TensorHook hook{id, [holder](const Tensor& g) -> Tensor {
                        ng_tensor* replacement = nullptr;
                        auto* borrowed = reinterpret_cast<ng_tensor*>(g.impl());
                        const ng_status st = holder->fn(holder->ctx, borrowed, &replacement);
                        Tensor r;
                        if (replacement) r = Tensor(Ref<TensorImpl>::adopt(reinterpret_cast<TensorImpl*>(replacement)));
                        if (st != NG_STATUS_OK) fail(NG_STATUS_CALLBACK_FAILED, "a tensor hook failed");
                        return r;
                    }};
    hooks_of(x)->hooks.push_back(std::move(hook));
    *handle = id;
    NG_API_END
}

NG_API ng_status ng_tensor_remove_hook(ng_tensor* t, int64_t handle, int32_t* removed) {
    NG_API_BEGIN
    Tensor x = tensor_arg(t, "remove_hook", "t");
    int32_t found = 0;
    if (x->autograd() && x->autograd()->hooks) {
        auto& list = x->autograd()->hooks->hooks;
        for (auto it = list.begin(); it != list.end(); ++it) {
            if (it->id == handle) {
                list.erase(it);
                found = 1;
                break;
            }
        }
    }
    if (removed) *removed = found;
    NG_API_END
}

}  // extern "C"
