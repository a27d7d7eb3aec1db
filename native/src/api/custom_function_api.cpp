// C shim for custom autograd functions: records a CustomFunctionNode whose backward is a C
// callback (a managed [UnmanagedCallersOnly] method, in practice) plus its context.
#include <string>
#include <vector>

#include "api/guard.h"
#include "autograd/custom_function.h"

using namespace ng;

namespace {

// Owns the caller's context: `release` runs exactly once, when the node (or a failed or
// unneeded recording) lets go of it.
class CallbackBackward final : public CustomBackward {
public:
    CallbackBackward(ng_custom_backward_fn fn, void* ctx, ng_custom_release_fn release)
        : fn_(fn), ctx_(ctx), release_(release) {}
    ~CallbackBackward() override {
        if (release_) release_(ctx_);
    }
    CallbackBackward(const CallbackBackward&) = delete;
    CallbackBackward& operator=(const CallbackBackward&) = delete;

    TensorList call(const std::string& function_name, const TensorList& grads, const TensorList& saved,
                    size_t input_count) override {
        std::vector<ng_tensor*> g = borrowed(grads), s = borrowed(saved);
        std::vector<ng_tensor*> out(input_count, nullptr);
        const ng_status st = fn_(ctx_, g.data(), static_cast<int32_t>(g.size()), s.data(),
                                 static_cast<int32_t>(s.size()), out.data(), static_cast<int32_t>(input_count));
        // Take ownership of whatever was written, even when the callback failed halfway.
        TensorList result(input_count);
        for (size_t i = 0; i < input_count; ++i)
            if (out[i]) result[i] = Tensor(Ref<TensorImpl>::adopt(reinterpret_cast<TensorImpl*>(out[i])));
        if (st != NG_STATUS_OK)
            fail(NG_STATUS_CALLBACK_FAILED, concat("Function ", function_name, ": the backward callback failed"));
        return result;
    }

private:
    static std::vector<ng_tensor*> borrowed(const TensorList& list) {
        std::vector<ng_tensor*> handles(list.size(), nullptr);
        for (size_t i = 0; i < list.size(); ++i)
            if (list[i].defined()) handles[i] = reinterpret_cast<ng_tensor*>(list[i].impl());
        return handles;
    }

    ng_custom_backward_fn fn_;
    void* ctx_;
    ng_custom_release_fn release_;
};

// Releases the context if the call fails before a CallbackBackward has taken it over.
struct PendingRelease {
    ng_custom_release_fn release;
    void* ctx;
    bool armed = true;
    ~PendingRelease() {
        if (armed && release) release(ctx);
    }
};

std::vector<Tensor> tensors(ng_tensor* const* handles, int32_t count, bool allow_null, const char* fn,
                            const char* what) {
    NG_CHECK_ARG(count >= 0, "Function ", fn, ": negative ", what, " count ", count);
    NG_CHECK_ARG(handles != nullptr || count == 0, "Function ", fn, ": the ", what, " array is null");
    std::vector<Tensor> list;
    list.reserve(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; ++i) {
        NG_CHECK_ARG(allow_null || handles[i] != nullptr, "Function ", fn, ": ", what, " ", i, " is null");
        list.push_back(api::optional_tensor_arg(handles[i], "custom_function_record", what));
    }
    return list;
}

std::vector<bool> flags(const int32_t* values, int32_t count) {
    std::vector<bool> result;
    if (!values) return result;
    for (int32_t i = 0; i < count; ++i) result.push_back(values[i] != 0);
    return result;
}

}  // namespace

extern "C" {

NG_API ng_status ng_custom_function_record(const char* name, ng_tensor* const* inputs, int32_t input_count,
                                           ng_tensor* const* outputs, int32_t output_count,
                                           const int32_t* non_differentiable, const int32_t* dirty,
                                           ng_tensor* const* saved, int32_t saved_count, int32_t materialize_grads,
                                           ng_custom_backward_fn backward, void* ctx, ng_custom_release_fn release,
                                           ng_tensor** out_outputs, int32_t* recorded) {
    PendingRelease pending{release, ctx};
    NG_API_BEGIN
    auto callback = std::make_unique<CallbackBackward>(backward, ctx, release);
    pending.armed = false;
    NG_CHECK_ARG(name != nullptr, "custom_function_record: name is null");
    NG_CHECK_ARG(backward != nullptr, "custom_function_record: ", name, ": the backward callback is null");
    api::check_out(recorded, "custom_function_record");
    NG_CHECK_ARG(out_outputs != nullptr || output_count == 0, "custom_function_record: out_outputs is null");

    CustomFunctionSpec spec;
    spec.name = name;
    spec.inputs = tensors(inputs, input_count, true, name, "input");
    spec.outputs = tensors(outputs, output_count, false, name, "output");
    spec.saved = tensors(saved, saved_count, true, name, "saved tensor");
    spec.non_differentiable = flags(non_differentiable, output_count);
    spec.dirty = flags(dirty, input_count);
    spec.materialize_grads = materialize_grads != 0;

    std::vector<Tensor> final_outputs;
    std::shared_ptr<CustomFunctionNode> node = record_custom_function(spec, std::move(callback), final_outputs);
    for (size_t i = 0; i < final_outputs.size(); ++i)
        out_outputs[i] = final_outputs[i].same(spec.outputs[i]) ? nullptr : api::to_handle(final_outputs[i]);
    *recorded = node ? 1 : 0;
    NG_API_END
}

}  // extern "C"
