// Custom autograd functions through the C ABI (ng_custom_function_record) with C callbacks:
// gradients flow through the callback, the context is released exactly once, the node validates
// what the callback returns and checks saved tensors' versions and the retain_graph rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/guard.h"
#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "nativegrad/nativegrad.h"
#include "ops/ops.h"

using namespace ng;

namespace {

Tensor leaf(std::vector<double> v, bool requires_grad = true) {
    Tensor t = ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(double)),
                              Dims{static_cast<int64_t>(v.size())}, DType::Float64);
    if (requires_grad) t->autograd_mut().requires_grad = true;
    return t;
}
std::vector<double> values(const Tensor& t) {
    Tensor c = ops::contiguous(ops::to_dtype(t, DType::Float64));
    return std::vector<double>(c.data<double>(), c.data<double>() + c.numel());
}
ng_tensor* h(const Tensor& t) { return t.defined() ? reinterpret_cast<ng_tensor*>(t.impl()) : nullptr; }
Tensor adopt(ng_tensor* p) { return Tensor(Ref<TensorImpl>::adopt(reinterpret_cast<TensorImpl*>(p))); }

// What a test's backward does; the callback below dispatches to it.
enum class Mode { Scale, GradForNonTensor, WrongShape, Fail, GradForConstant, RecordGrads };

struct Context {
    Mode mode = Mode::Scale;
    double factor = 2.0;
    int calls = 0;
    int releases = 0;
    std::vector<bool> grad_defined;  // RecordGrads: which output gradients arrived
    int saved_seen = 0;
};

ng_status backward_cb(void* ctx, ng_tensor* const* grads, int32_t grad_count, ng_tensor* const* saved,
                      int32_t saved_count, ng_tensor** out_grads, int32_t input_count) {
    auto* c = static_cast<Context*>(ctx);
    c->calls++;
    c->saved_seen = saved_count;
    Tensor g = api::optional_tensor_arg(grads[0], "test", "grad");
    switch (c->mode) {
        case Mode::Scale:
            // d(factor * x)/dx; with a saved tensor, d(x * s)/dx = s.
            if (saved_count > 0 && saved[0])
                out_grads[0] = api::to_handle(ops::mul(g, api::tensor_arg(saved[0], "test", "saved")));
            else
                out_grads[0] = api::to_handle(ops::mul_scalar(g, c->factor));
            return NG_STATUS_OK;
        case Mode::GradForNonTensor:
            out_grads[0] = api::to_handle(g);
            out_grads[input_count - 1] = api::to_handle(g);
            return NG_STATUS_OK;
        case Mode::WrongShape:
            out_grads[0] = api::to_handle(ops::full(Dims{7}, DType::Float64, 1.0));
            return NG_STATUS_OK;
        case Mode::Fail:
            out_grads[0] = api::to_handle(g);  // must be released by the core despite the failure
            return NG_STATUS_CALLBACK_FAILED;
        case Mode::GradForConstant:
            out_grads[0] = api::to_handle(g);
            out_grads[1] = api::to_handle(g);
            return NG_STATUS_OK;
        case Mode::RecordGrads:
            c->grad_defined.clear();
            for (int32_t i = 0; i < grad_count; ++i) c->grad_defined.push_back(grads[i] != nullptr);
            out_grads[0] = api::to_handle(g.defined() ? g : ops::full(Dims{3}, DType::Float64, 0.0));
            return NG_STATUS_OK;
    }
    return NG_STATUS_INTERNAL;
}

void release_cb(void* ctx) { static_cast<Context*>(ctx)->releases++; }

struct Recorded {
    std::vector<Tensor> outputs;
    int32_t recorded = 0;
    ng_status status = NG_STATUS_OK;
};

// Records `outputs` (computed by the caller with grad mode off) as results of a function "Fn".
Recorded record(Context& ctx, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                const std::vector<Tensor>& saved = {}, std::vector<int32_t> non_diff = {},
                std::vector<int32_t> dirty = {}, bool materialize = true, const char* name = "Fn") {
    std::vector<ng_tensor*> in, out, sv;
    for (const Tensor& t : inputs) in.push_back(h(t));
    for (const Tensor& t : outputs) out.push_back(h(t));
    for (const Tensor& t : saved) sv.push_back(h(t));
    std::vector<ng_tensor*> replaced(outputs.size(), nullptr);
    Recorded r;
    r.status = ng_custom_function_record(name, in.data(), static_cast<int32_t>(in.size()), out.data(),
                                         static_cast<int32_t>(out.size()), non_diff.empty() ? nullptr : non_diff.data(),
                                         dirty.empty() ? nullptr : dirty.data(), sv.data(),
                                         static_cast<int32_t>(sv.size()), materialize ? 1 : 0, backward_cb, &ctx,
                                         release_cb, replaced.data(), &r.recorded);
    if (r.status == NG_STATUS_OK)
        for (size_t i = 0; i < outputs.size(); ++i) r.outputs.push_back(replaced[i] ? adopt(replaced[i]) : outputs[i]);
    return r;
}

Tensor no_grad_scale(const Tensor& x, double f) {
    GradModeGuard off(false);
    return ops::mul_scalar(x, f);
}

std::string message_of(ng_status st) { return st == NG_STATUS_OK ? "" : std::string(ng_last_error()); }

}  // namespace

TEST(CustomFunction, Backward_runs_the_callback_and_releases_the_context_once) {
    Context ctx;
    {
        Tensor x = leaf({1, 2, 3});
        Recorded r = record(ctx, {x}, {no_grad_scale(x, 2.0)});
        ASSERT_EQ(r.status, NG_STATUS_OK) << message_of(r.status);
        ASSERT_EQ(r.recorded, 1);
        Tensor y = r.outputs[0];
        EXPECT_EQ(y->grad_fn()->name(), "Fn");
        EXPECT_FALSE(y->is_leaf());
        run_backward({ops::sum(ops::mul(y, y))}, {}, {});  // d/dx sum((2x)^2) = 8x
        EXPECT_EQ(values(x->autograd()->grad), (std::vector<double>{8, 16, 24}));
        EXPECT_EQ(ctx.calls, 1);
        EXPECT_EQ(ctx.releases, 0);  // the node lives while y does
    }
    EXPECT_EQ(ctx.releases, 1);
}

TEST(CustomFunction, Nothing_is_recorded_without_grad_and_the_context_is_released_at_once) {
    Context ctx;
    Tensor x = leaf({1, 2}, false);
    Recorded r = record(ctx, {x}, {no_grad_scale(x, 2.0)});
    ASSERT_EQ(r.status, NG_STATUS_OK);
    EXPECT_EQ(r.recorded, 0);
    EXPECT_EQ(ctx.releases, 1);
    EXPECT_FALSE(r.outputs[0].requires_grad());

    Context ctx2;
    Tensor w = leaf({1, 2});
    {
        GradModeGuard off(false);
        Recorded r2 = record(ctx2, {w}, {ops::mul_scalar(w, 2.0)});
        EXPECT_EQ(r2.recorded, 0);
    }
    EXPECT_EQ(ctx2.releases, 1);
}

TEST(CustomFunction, Failed_recording_releases_the_context_and_names_the_function) {
    Context ctx;
    Tensor x = leaf({1, 2});
    Tensor y = no_grad_scale(x, 2.0);
    ng_tensor* in[] = {h(x)};
    ng_tensor* out[] = {nullptr};
    ng_tensor* replaced[] = {nullptr};
    int32_t recorded = -1;
    ng_status st = ng_custom_function_record("Broken", in, 1, out, 1, nullptr, nullptr, nullptr, 0, 1, backward_cb,
                                             &ctx, release_cb, replaced, &recorded);
    EXPECT_EQ(st, NG_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(std::string(ng_last_error()).find("Broken"), std::string::npos);
    EXPECT_EQ(ctx.releases, 1);
    EXPECT_EQ(recorded, -1);

    Context ctx2;  // a dirty input that is not returned
    std::vector<Tensor> outs{y};
    Recorded r = record(ctx2, {x}, outs, {}, {}, {1});
    EXPECT_EQ(r.status, NG_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(message_of(r.status).find("marked dirty"), std::string::npos);
    EXPECT_EQ(ctx2.releases, 1);
}

TEST(CustomFunction, Non_tensor_arguments_have_no_edge_and_may_not_get_a_gradient) {
    Context ctx;
    ctx.mode = Mode::GradForNonTensor;
    Tensor x = leaf({1, 2});
    Recorded r = record(ctx, {x, Tensor()}, {no_grad_scale(x, 2.0)});
    ASSERT_EQ(r.recorded, 1);
    EXPECT_EQ(r.outputs[0]->grad_fn()->next_edges().size(), 2u);
    EXPECT_FALSE(r.outputs[0]->grad_fn()->next_edges()[1].valid());
    try {
        run_backward({ops::sum(r.outputs[0])}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), NG_STATUS_INVALID_STATE);
        EXPECT_NE(std::string(e.what()).find("Function Fn returned a gradient for argument 1"), std::string::npos)
            << e.what();
    }
}

TEST(CustomFunction, A_gradient_for_an_input_that_needs_none_is_an_error) {
    Context ctx;
    ctx.mode = Mode::GradForConstant;
    Tensor x = leaf({1, 2});
    Tensor c = leaf({3, 4}, false);
    Recorded r = record(ctx, {x, c}, {no_grad_scale(x, 2.0)});
    try {
        run_backward({ops::sum(r.outputs[0])}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("input 1, which does not require grad"), std::string::npos) << e.what();
    }
}

TEST(CustomFunction, A_gradient_of_the_wrong_shape_is_an_error) {
    Context ctx;
    ctx.mode = Mode::WrongShape;
    Tensor x = leaf({1, 2});
    Recorded r = record(ctx, {x}, {no_grad_scale(x, 2.0)});
    try {
        run_backward({ops::sum(r.outputs[0])}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), NG_STATUS_SHAPE_MISMATCH);
        EXPECT_NE(std::string(e.what()).find("Function Fn returned a gradient of shape [7] for input 0 of shape [2]"),
                  std::string::npos)
            << e.what();
    }
}

TEST(CustomFunction, A_failing_callback_stops_backward_and_its_gradients_are_released) {
    Context ctx;
    ctx.mode = Mode::Fail;
    Tensor x = leaf({1, 2});
    Recorded r = record(ctx, {x}, {no_grad_scale(x, 2.0)});
    Tensor loss = ops::sum(r.outputs[0]);
    const int64_t live = TensorImpl::live_count();
    ng_tensor* roots[] = {h(loss)};
    EXPECT_EQ(ng_autograd_backward(roots, nullptr, 1, 1, 0), NG_STATUS_CALLBACK_FAILED);
    EXPECT_NE(std::string(ng_last_error()).find("Fn"), std::string::npos);
    EXPECT_EQ(TensorImpl::live_count(), live);
    EXPECT_FALSE(x->autograd()->grad.defined());
}

TEST(CustomFunction, Saved_tensors_are_version_checked_and_freed_after_backward) {
    Context ctx;
    Tensor x = leaf({1, 2});
    Tensor s = leaf({3, 5}, false);
    Tensor y;
    {
        GradModeGuard off(false);
        y = ops::mul(x, s);
    }
    Recorded r = record(ctx, {x}, {y}, {s});
    Tensor loss = ops::sum(r.outputs[0]);
    run_backward({loss}, {}, BackwardOptions{true, false});
    EXPECT_EQ(values(x->autograd()->grad), (std::vector<double>{3, 5}));
    EXPECT_EQ(ctx.saved_seen, 1);
    run_backward({loss}, {}, {});  // retained: runs again, then frees
    EXPECT_EQ(values(x->autograd()->grad), (std::vector<double>{6, 10}));
    try {
        run_backward({loss}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), NG_STATUS_INVALID_STATE);
        EXPECT_NE(std::string(e.what()).find("backward through the graph a second time"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("Fn"), std::string::npos);
    }

    Context ctx2;
    Recorded r2 = record(ctx2, {x}, {no_grad_scale(x, 1.0)}, {s});
    ops::fill_(s, 0.0);  // modified in place before backward
    try {
        run_backward({ops::sum(r2.outputs[0])}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("modified by an in-place operation: Fn saved"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(ctx2.calls, 0);
}

TEST(CustomFunction, A_saved_output_is_re_attached_for_double_backward_without_a_cycle) {
    Context ctx;
    {
        Tensor x = leaf({1, 2});
        Tensor y = no_grad_scale(x, 3.0);
        Recorded r = record(ctx, {x}, {y}, {y});
        EXPECT_EQ(r.outputs[0].impl(), y.impl());  // a fresh output is the result itself
        // The callback multiplies by the saved output (3x): d/dx = 3x.
        run_backward({ops::sum(r.outputs[0])}, {}, {});
        EXPECT_EQ(values(x->autograd()->grad), (std::vector<double>{3, 6}));
    }
    EXPECT_EQ(ctx.releases, 1);  // no reference cycle through the saved output
}

TEST(CustomFunction, Returned_inputs_and_repeated_outputs_become_aliases) {
    Context ctx;
    Tensor x = leaf({1, 2});
    Tensor y = no_grad_scale(x, 2.0);
    Recorded r = record(ctx, {x}, {x, y, y});
    ASSERT_EQ(r.status, NG_STATUS_OK);
    EXPECT_NE(r.outputs[0].impl(), x.impl());
    EXPECT_TRUE(x->is_leaf());  // the input's history is untouched
    EXPECT_EQ(r.outputs[0]->storage(), x->storage());
    EXPECT_EQ(r.outputs[1].impl(), y.impl());
    EXPECT_NE(r.outputs[2].impl(), y.impl());
    EXPECT_EQ(r.outputs[2]->autograd()->output_nr, 2u);
}

TEST(CustomFunction, Dirty_inputs_are_rebased_and_their_version_bumped) {
    Context ctx;
    Tensor x = leaf({1, 2});
    Tensor a = ops::mul_scalar(x, 1.0);  // a non-leaf to modify in place
    Node* before = a->grad_fn().get();
    const uint32_t version = a->storage()->version();
    {
        GradModeGuard off(false);
        ops::fill_(a, 4.0);
    }
    EXPECT_EQ(a->storage()->version(), version + 1);
    Recorded r = record(ctx, {a}, {a}, {}, {}, {1});
    ASSERT_EQ(r.status, NG_STATUS_OK) << message_of(r.status);
    EXPECT_EQ(r.outputs[0].impl(), a.impl());
    EXPECT_EQ(a->grad_fn()->name(), "Fn");
    EXPECT_EQ(a->grad_fn()->next_edges()[0].fn.get(), before);
    EXPECT_GT(a->storage()->version(), version + 1);  // the in-place op and the record call
    run_backward({ops::sum(a)}, {}, {});
    EXPECT_EQ(values(x->autograd()->grad), (std::vector<double>{2, 2}));

    Context ctx2;  // a leaf that requires grad may not be dirtied while recording
    Recorded r2 = record(ctx2, {x}, {x}, {}, {}, {1});
    EXPECT_EQ(r2.status, NG_STATUS_INVALID_STATE);
    EXPECT_NE(message_of(r2.status).find("leaf tensor that requires grad"), std::string::npos);
}

TEST(CustomFunction, Non_differentiable_outputs_get_no_history_and_materialised_zeros) {
    Tensor x = leaf({1, 2, 3});
    Tensor idx = ops::full(Dims{3}, DType::Float64, 1.0);
    for (bool materialize : {true, false}) {
        Context ctx;
        ctx.mode = Mode::RecordGrads;
        ctx.factor = 1.0;
        Tensor y = no_grad_scale(x, 1.0);
        Tensor other = no_grad_scale(x, 5.0);
        Tensor i = ops::clone(idx);
        Recorded r = record(ctx, {x}, {y, other, i}, {}, {0, 0, 1}, {}, materialize);
        EXPECT_FALSE(r.outputs[2].requires_grad());
        EXPECT_TRUE(r.outputs[1].requires_grad());
        run_backward({ops::sum(r.outputs[0])}, {}, {});  // `other` and `i` get no gradient
        EXPECT_EQ(ctx.grad_defined, (std::vector<bool>{true, materialize, materialize}));
    }
}

TEST(CustomFunction, Grad_and_create_graph_run_through_the_callback) {
    Context ctx;
    Tensor x = leaf({1, 2});
    Tensor y;
    {
        GradModeGuard off(false);
        y = ops::mul(x, x);
    }
    // Backward multiplies by the saved input: d(x^2)/dx claimed as x (deliberately "wrong" to see it used).
    Recorded r = record(ctx, {x}, {y}, {x});
    std::vector<Tensor> g = run_grad({ops::sum(r.outputs[0])}, {}, {x}, BackwardOptions{false, true}, false);
    EXPECT_EQ(values(g[0]), (std::vector<double>{1, 2}));
    EXPECT_TRUE(g[0].requires_grad());  // recorded with create_graph: the callback's ops are on the tape
    std::vector<Tensor> gg = run_grad({ops::sum(g[0])}, {}, {x}, {}, false);
    EXPECT_EQ(values(gg[0]), (std::vector<double>{1, 1}));
}
