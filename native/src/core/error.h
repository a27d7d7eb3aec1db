// Errors inside the core: ng::Error carries a status and a message naming the operation and
// the shapes involved. The C ABI shims turn it into a status code and a thread-local message.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

#include "nativegrad/nativegrad.h"

namespace ng {

class Error : public std::runtime_error {
public:
    Error(ng_status status, std::string message)
        : std::runtime_error(std::move(message)), status_(status) {}
    ng_status status() const noexcept { return status_; }

private:
    ng_status status_;
};

template <class... Args>
std::string concat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}

[[noreturn]] inline void fail(ng_status status, const std::string& message) {
    throw Error(status, message);
}

}  // namespace ng

// NG_CHECK(cond, status, parts...): throws ng::Error(status, concat(parts...)) when cond is false.
#define NG_CHECK(cond, status, ...)                                        \
    do {                                                                   \
        if (!(cond)) ::ng::fail((status), ::ng::concat(__VA_ARGS__));      \
    } while (0)
#define NG_CHECK_ARG(cond, ...) NG_CHECK(cond, NG_STATUS_INVALID_ARGUMENT, __VA_ARGS__)
#define NG_CHECK_SHAPE(cond, ...) NG_CHECK(cond, NG_STATUS_SHAPE_MISMATCH, __VA_ARGS__)
#define NG_CHECK_DTYPE(cond, ...) NG_CHECK(cond, NG_STATUS_DTYPE_MISMATCH, __VA_ARGS__)
#define NG_CHECK_INDEX(cond, ...) NG_CHECK(cond, NG_STATUS_INDEX_OUT_OF_RANGE, __VA_ARGS__)
#define NG_CHECK_STATE(cond, ...) NG_CHECK(cond, NG_STATUS_INVALID_STATE, __VA_ARGS__)
