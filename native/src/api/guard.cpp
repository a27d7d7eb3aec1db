#include "api/guard.h"

#include <cstring>
#include <exception>

namespace ng::api {
namespace {
// Fixed-size so that recording an error can never itself fail to allocate.
thread_local char error_buffer[4096] = "";
}

void set_last_error(const char* message) noexcept {
    std::strncpy(error_buffer, message ? message : "", sizeof(error_buffer) - 1);
    error_buffer[sizeof(error_buffer) - 1] = '\0';
}

const char* last_error() noexcept { return error_buffer; }

ng_status handle_exception() noexcept {
    try {
        throw;
    } catch (const Error& e) {
        set_last_error(e.what());
        return e.status();
    } catch (const std::bad_alloc&) {
        set_last_error("out of memory");
        return NG_STATUS_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_last_error(e.what());
        return NG_STATUS_INTERNAL;
    } catch (...) {
        set_last_error("unknown native error");
        return NG_STATUS_INTERNAL;
    }
}

Dims shape_arg(const int64_t* shape, int32_t ndim, const char* fn) {
    NG_CHECK_ARG(ndim >= 0 && ndim <= kMaxRank, fn, ": rank ", ndim, " is out of range [0, ", kMaxRank, "]");
    NG_CHECK_ARG(ndim == 0 || shape != nullptr, fn, ": shape pointer is null");
    return Dims(shape, ndim);
}

DType dtype_arg(ng_dtype dtype, const char* fn) {
    NG_CHECK_DTYPE(is_valid_dtype(static_cast<int32_t>(dtype)), fn, ": unknown dtype ", static_cast<int>(dtype));
    return static_cast<DType>(dtype);
}

}  // namespace ng::api
