// Library-wide entry points: versions, errors, CPU features, threads, leak counters.
#include "api/guard.h"
#include "cpu/cpu_features.h"
#include "cpu/parallel.h"

using namespace ng;

extern "C" {

NG_API int32_t ng_abi_version(void) { return NG_ABI_VERSION; }
NG_API const char* ng_version(void) { return NG_VERSION_STRING; }
NG_API const char* ng_last_error(void) { return api::last_error(); }
NG_API const char* ng_cpu_features(void) {
    try {
        return cpu::cpu_features_description().c_str();
    } catch (...) {
        return "unknown";
    }
}

NG_API ng_status ng_get_num_threads(int32_t* out) {
    NG_API_BEGIN
    api::check_out(out, "get_num_threads");
    *out = cpu::num_threads();
    NG_API_END
}

NG_API ng_status ng_set_num_threads(int32_t num_threads) {
    NG_API_BEGIN
    NG_CHECK_ARG(num_threads >= 1 && num_threads <= 1024, "set_num_threads: expected a value in [1, 1024], got ",
                 num_threads);
    cpu::set_num_threads(num_threads);
    NG_API_END
}

NG_API int64_t ng_live_tensor_count(void) { return TensorImpl::live_count(); }

NG_API ng_status ng_tensor_retain(ng_tensor* t) {
    NG_API_BEGIN
    Tensor x = api::tensor_arg(t, "tensor_retain", "t");
    x->retain();
    NG_API_END
}

NG_API void ng_tensor_release(ng_tensor* t) {
    if (!t) return;
    auto* impl = reinterpret_cast<TensorImpl*>(t);
    if (!impl->is_alive()) return;  // a stale handle: ignore rather than corrupt memory
    impl->release();
}

}  // extern "C"
