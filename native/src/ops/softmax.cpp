// Numerically stable softmax and log-softmax along one dimension.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/parallel.h"
#include "cpu/vec_math.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

// x viewed as [outer, d, inner] (contiguous); each (outer, inner) line is normalised along d.
template <class T>
void softmax_kernel(const T* x, T* y, int64_t outer, int64_t d, int64_t inner, bool log) {
    const int64_t lines = outer * inner;
    cpu::parallel_for(0, lines, std::max<int64_t>(1, 4096 / std::max<int64_t>(d, 1)), [&](int64_t b, int64_t e) {
        std::vector<T> scratch(std::is_same_v<T, float> && inner != 1 ? static_cast<size_t>(d) : 0);
        for (int64_t l = b; l < e; ++l) {
            const int64_t o = l / inner, i = l % inner;
            const T* px = x + o * d * inner + i;
            T* py = y + o * d * inner + i;
            T mx = -std::numeric_limits<T>::infinity();
            for (int64_t k = 0; k < d; ++k) mx = std::max(mx, px[k * inner]);
            if (std::isinf(mx) && mx < 0) mx = 0;  // all -inf: avoid inf - inf
            if constexpr (std::is_same_v<T, float>) {
                // exp(x - max) for the whole line in one vector call, into the output line
                // itself when it is contiguous (else a scratch line); summed in double as below.
                float* ex = inner == 1 ? py : scratch.data();
                for (int64_t k = 0; k < d; ++k) ex[k] = px[k * inner] - mx;
                cpu::vec::exp(ex, ex, d);
                double s = 0;
                for (int64_t k = 0; k < d; ++k) s += ex[k];
                if (log) {
                    const float lse = static_cast<float>(std::log(s)) + mx;
                    for (int64_t k = 0; k < d; ++k) py[k * inner] = px[k * inner] - lse;
                } else {
                    const double inv = 1.0 / s;
                    for (int64_t k = 0; k < d; ++k) py[k * inner] = static_cast<float>(ex[k] * inv);
                }
                continue;
            }
            double s = 0;
            for (int64_t k = 0; k < d; ++k) s += std::exp(static_cast<double>(px[k * inner] - mx));
            if (log) {
                const T lse = static_cast<T>(std::log(s)) + mx;
                for (int64_t k = 0; k < d; ++k) py[k * inner] = px[k * inner] - lse;
            } else {
                const double inv = 1.0 / s;
                for (int64_t k = 0; k < d; ++k)
                    py[k * inner] = static_cast<T>(std::exp(static_cast<double>(px[k * inner] - mx)) * inv);
            }
        }
    });
}

Tensor softmax_impl(const Tensor& t, int64_t dim, bool log) {
    const char* op = log ? "log_softmax" : "softmax";
    NG_CHECK_DTYPE(is_floating(t.dtype()), op, ": expected a floating-point tensor, got ", dtype_name(t.dtype()));
    const int d = wrap_dim(dim, t.dim(), op);
    Tensor x;
    {
        GradModeGuard no_grad(false);
        x = contiguous(t);
    }
    Tensor out = empty_tensor(t.sizes(), t.dtype());
    int64_t outer = 1, inner = 1;
    const int64_t size = t.dim() == 0 ? 1 : t.sizes()[d];
    for (int i = 0; i < d; ++i) outer *= t.sizes()[i];
    for (int i = d + 1; i < t.dim(); ++i) inner *= t.sizes()[i];
    if (t.numel() > 0) {
        if (t.dtype() == DType::Float32)
            softmax_kernel<float>(x.data<float>(), out.data<float>(), outer, size, inner, log);
        else
            softmax_kernel<double>(x.data<double>(), out.data<double>(), outer, size, inner, log);
    }
    if (any_requires_grad({&t})) {
        const int64_t dd = t.dim() == 0 ? 0 : d;
        auto node = make_node(log ? "LogSoftmaxBackward" : "SoftmaxBackward", [log, dd](const FunctionNode& n, const TensorList& g) {
            const Tensor y = n.saved(0);
            if (log)  // g - exp(y) * sum(g)
                return TensorList{sub(g[0], mul(exp(y), sum(g[0], {dd}, true)))};
            // y * (g - sum(g * y))
            return TensorList{mul(y, sub(g[0], sum(mul(g[0], y), {dd}, true)))};
        });
        record(node, {&t}, {&out});
        node->save(out, true);
    }
    return out;
}

}  // namespace

Tensor softmax(const Tensor& t, int64_t dim) { return softmax_impl(t, dim, false); }
Tensor log_softmax(const Tensor& t, int64_t dim) { return softmax_impl(t, dim, true); }

}  // namespace ng::ops
