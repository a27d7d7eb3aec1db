// Tensor factories: filled, ranged, random and from caller memory.
#include <cmath>
#include <cstring>

#include "ops/generator.h"
#include "ops/ops.h"

namespace ng::ops {

Tensor empty(const Dims& sizes, DType dtype) { return empty_tensor(sizes, dtype); }

Tensor full(const Dims& sizes, DType dtype, double value) {
    Tensor t = empty_tensor(sizes, dtype);
    const int64_t n = t.numel();
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        const T v = static_cast<T>(value);
        for (int64_t i = 0; i < n; ++i) p[i] = v;
    });
    return t;
}

Tensor zeros_like(const Tensor& t) { return full(t.sizes(), t.dtype(), 0.0); }
Tensor ones_like(const Tensor& t) { return full(t.sizes(), t.dtype(), 1.0); }
Tensor scalar_like(const Tensor& t, double value) { return full(Dims{}, t.dtype(), value); }

Tensor arange(double start, double end, double step, DType dtype) {
    NG_CHECK_ARG(step != 0 && std::isfinite(step), "arange: step must be finite and non-zero, got ", step);
    NG_CHECK_ARG(std::isfinite(start) && std::isfinite(end), "arange: start and end must be finite");
    NG_CHECK_ARG((end - start) / step >= 0 || start == end, "arange: the range [", start, ", ", end,
                 ") is empty or has the wrong direction for step ", step);
    NG_CHECK_DTYPE(dtype != DType::Bool, "arange: bool tensors are not supported");
    const int64_t n = static_cast<int64_t>(std::ceil((end - start) / step));
    Tensor t = empty_tensor(Dims{n < 0 ? 0 : n}, dtype);
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
    });
    return t;
}

namespace {
Generator& pick(Generator* gen) { return gen ? *gen : Generator::default_generator(); }
}

Tensor rand(const Dims& sizes, DType dtype, Generator* gen) {
    NG_CHECK_DTYPE(is_floating(dtype), "rand: expected a floating dtype, got ", dtype_name(dtype));
    Tensor t = empty_tensor(sizes, dtype);
    Generator& g = pick(gen);
    std::lock_guard<std::mutex> lock(g.mutex());
    if (dtype == DType::Float32) {
        float* p = t.data<float>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = g.next_float();
    } else {
        double* p = t.data<double>();
        for (int64_t i = 0; i < t.numel(); ++i) p[i] = g.next_double();
    }
    return t;
}

Tensor randn(const Dims& sizes, DType dtype, Generator* gen) {
    NG_CHECK_DTYPE(is_floating(dtype), "randn: expected a floating dtype, got ", dtype_name(dtype));
    Tensor t = empty_tensor(sizes, dtype);
    Generator& g = pick(gen);
    std::lock_guard<std::mutex> lock(g.mutex());
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            T* p = t.data<T>();
            for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(g.next_normal());
        }
    });
    return t;
}

Tensor randint(int64_t low, int64_t high, const Dims& sizes, DType dtype, Generator* gen) {
    NG_CHECK_ARG(high > low, "randint: expected low < high, got low=", low, " high=", high);
    NG_CHECK_DTYPE(dtype != DType::Bool || (low >= 0 && high <= 2), "randint: values [", low, ", ",
                   high, ") do not fit dtype bool");
    Tensor t = empty_tensor(sizes, dtype);
    Generator& g = pick(gen);
    std::lock_guard<std::mutex> lock(g.mutex());
    const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* p = t.data<T>();
        for (int64_t i = 0; i < t.numel(); ++i)
            p[i] = static_cast<T>(low + static_cast<int64_t>(g.next_u64() % range));
    });
    return t;
}

Tensor from_data(const void* data, int64_t nbytes, const Dims& sizes, DType dtype) {
    for (int i = 0; i < sizes.size(); ++i)
        NG_CHECK_ARG(sizes[i] >= 0, "from_data: negative dimension in shape ", sizes.str());
    const int64_t expected = sizes.product() * static_cast<int64_t>(element_size(dtype));
    NG_CHECK_ARG(nbytes == expected, "from_data: shape ", sizes.str(), " of ", dtype_name(dtype),
                 " needs ", expected, " bytes, but ", nbytes, " were given");
    NG_CHECK_ARG(data != nullptr || nbytes == 0, "from_data: data is null");
    Tensor t = empty_tensor(sizes, dtype);
    if (nbytes > 0) std::memcpy(t.raw_data(), data, static_cast<size_t>(nbytes));
    return t;
}

}  // namespace ng::ops
