// Element types and their properties. Values match ng_dtype in the public header.
#pragma once
#include <cstdint>
#include <cstddef>

namespace ng {

enum class DType : int32_t { Float32 = 0, Float64 = 1, Int64 = 2, Bool = 3 };

inline size_t element_size(DType t) {
    switch (t) {
        case DType::Float32: return 4;
        case DType::Float64: return 8;
        case DType::Int64: return 8;
        case DType::Bool: return 1;
    }
    return 1;
}

inline const char* dtype_name(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::Float64: return "float64";
        case DType::Int64: return "int64";
        case DType::Bool: return "bool";
    }
    return "unknown";
}

inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_valid_dtype(int32_t v) { return v >= 0 && v <= 3; }

// The result type of mixing two dtypes in arithmetic: bool < int64 < float32 < float64.
inline DType promote(DType a, DType b) {
    auto rank = [](DType t) {
        switch (t) {
            case DType::Bool: return 0;
            case DType::Int64: return 1;
            case DType::Float32: return 2;
            case DType::Float64: return 3;
        }
        return 0;
    };
    return rank(a) >= rank(b) ? a : b;
}

// Calls f with a value of the C++ type matching dtype (float, double, int64_t, bool).
template <class F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
    switch (t) {
        case DType::Float32: return f(float{});
        case DType::Float64: return f(double{});
        case DType::Int64: return f(int64_t{});
        case DType::Bool: return f(bool{});
    }
    return f(float{});
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace ng
