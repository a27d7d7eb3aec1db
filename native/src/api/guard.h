// The boundary between the C ABI and the C++ core: every exported function body runs inside
// NG_API_BEGIN / NG_API_END, which turn any exception into a status code and a thread-local
// message, and handle conversion helpers that validate what callers pass in.
#pragma once
#include <new>
#include <string>

#include "core/error.h"
#include "core/tensor.h"
#include "nativegrad/nativegrad.h"

namespace ng::api {

void set_last_error(const char* message) noexcept;
const char* last_error() noexcept;

ng_status handle_exception() noexcept;  // call from a catch (...) block only

inline Tensor tensor_arg(const ng_tensor* h, const char* fn, const char* name) {
    NG_CHECK_ARG(h != nullptr, fn, ": argument '", name, "' is null");
    auto* impl = reinterpret_cast<TensorImpl*>(const_cast<ng_tensor*>(h));
    NG_CHECK_ARG(impl->is_alive(), fn, ": argument '", name, "' is a released tensor handle");
    return Tensor(Ref<TensorImpl>::borrow(impl));
}

// A caller's handle used for the duration of one call without touching its reference count:
// the caller keeps the tensor alive across the call, and atomic retain/release pairs are a large
// part of a small op's cost. Anything that keeps the tensor (autograd, views) copies the Tensor,
// which retains it properly.
class BorrowedTensor {
public:
    BorrowedTensor(const ng_tensor* h, const char* fn, const char* name) {
        NG_CHECK_ARG(h != nullptr, fn, ": argument '", name, "' is null");
        auto* impl = reinterpret_cast<TensorImpl*>(const_cast<ng_tensor*>(h));
        NG_CHECK_ARG(impl->is_alive(), fn, ": argument '", name, "' is a released tensor handle");
        tensor_ = Tensor(Ref<TensorImpl>::adopt(impl));
    }
    ~BorrowedTensor() { (void)tensor_.forget(); }
    BorrowedTensor(const BorrowedTensor&) = delete;
    BorrowedTensor& operator=(const BorrowedTensor&) = delete;
    operator const Tensor&() const noexcept { return tensor_; }
    const Tensor& get() const noexcept { return tensor_; }

private:
    Tensor tensor_;
};

inline Tensor optional_tensor_arg(const ng_tensor* h, const char* fn, const char* name) {
    return h ? tensor_arg(h, fn, name) : Tensor();
}

// Hands a new reference to the caller: the reference `t` holds moves out of it, with no
// retain/release pair.
inline ng_tensor* to_handle(Tensor t) { return reinterpret_cast<ng_tensor*>(t.forget()); }

template <class T>
inline void check_out(T* out, const char* fn) {
    NG_CHECK_ARG(out != nullptr, fn, ": output pointer is null");
}

Dims shape_arg(const int64_t* shape, int32_t ndim, const char* fn);
DType dtype_arg(ng_dtype dtype, const char* fn);

}  // namespace ng::api

#define NG_API_BEGIN try {
#define NG_API_END                                  \
    return NG_STATUS_OK;                            \
    }                                               \
    catch (...) {                                   \
        return ::ng::api::handle_exception();       \
    }
