// Matrix products. mm/bmm call the GEMM kernel directly on strided operands (a transposed view
// becomes a transpose flag, not a copy); matmul adds PyTorch's 1-D and batch-broadcast rules on
// top with views, so its gradient comes from bmm's.
#include <algorithm>

#include "autograd/function_node.h"
#include "autograd/grad_mode.h"
#include "cpu/gemm.h"
#include "ops/ops.h"

namespace ng::ops {
namespace {

// How a 2-D strided matrix [rows, cols] can be handed to GEMM without copying.
struct GemmOperand {
    Tensor owner;  // keeps a contiguous copy alive when one was needed
    bool trans = false;
    int64_t ld = 0;
};

GemmOperand as_gemm_operand(const Tensor& t3, int64_t rows, int64_t cols) {
    // t3 is [B, rows, cols]; all batches share strides.
    const int64_t s_r = t3.strides()[1], s_c = t3.strides()[2];
    if ((s_c == 1 || cols == 1) && (s_r >= std::max<int64_t>(cols, 1) || rows == 1))
        return GemmOperand{t3, false, rows == 1 ? std::max<int64_t>(cols, 1) : s_r};
    if ((s_r == 1 || rows == 1) && (s_c >= std::max<int64_t>(rows, 1) || cols == 1))
        return GemmOperand{t3, true, cols == 1 ? std::max<int64_t>(rows, 1) : s_c};
    GradModeGuard no_grad(false);
    Tensor c = contiguous(t3);
    return GemmOperand{c, false, std::max<int64_t>(cols, 1)};
}

template <class T>
void bmm_kernel(const Tensor& a, const Tensor& b, const Tensor& out) {
    const int64_t batch = a.sizes()[0], m = a.sizes()[1], k = a.sizes()[2], n = b.sizes()[2];
    const GemmOperand ga = as_gemm_operand(a, m, k);
    const GemmOperand gb = as_gemm_operand(b, k, n);
    const int64_t sa = ga.owner.strides()[0], sb = gb.owner.strides()[0];
    const T* pa = ga.owner.template data<T>();
    const T* pb = gb.owner.template data<T>();
    T* pc = out.data<T>();
    for (int64_t i = 0; i < batch; ++i)
        cpu::gemm(ga.trans, gb.trans, m, n, k, T(1), pa + i * sa, ga.ld, pb + i * sb, gb.ld, T(0), pc + i * m * n,
                  std::max<int64_t>(n, 1));
}

Tensor bmm_forward(const Tensor& a, const Tensor& b) {
    Tensor out = empty_tensor(Dims{a.sizes()[0], a.sizes()[1], b.sizes()[2]}, a.dtype());
    if (out.numel() == 0) return out;
    if (a.dtype() == DType::Float32)
        bmm_kernel<float>(a, b, out);
    else
        bmm_kernel<double>(a, b, out);
    return out;
}

}  // namespace

Tensor bmm(const Tensor& a, const Tensor& b) {
    NG_CHECK_DTYPE(a.dtype() == b.dtype() && is_floating(a.dtype()), "matmul: expected two float32 or two float64 tensors, got ",
                   dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
    const bool two_d = a.dim() == 2;
    NG_CHECK_SHAPE((a.dim() == 2 && b.dim() == 2) || (a.dim() == 3 && b.dim() == 3), "bmm: expected two 2-D or two 3-D tensors, got shapes ",
                   a.sizes().str(), " and ", b.sizes().str());
    const Tensor a3 = two_d ? as_strided_alias(a, Dims{1, a.sizes()[0], a.sizes()[1]}, Dims{0, a.strides()[0], a.strides()[1]}, a->offset()) : a;
    const Tensor b3 = two_d ? as_strided_alias(b, Dims{1, b.sizes()[0], b.sizes()[1]}, Dims{0, b.strides()[0], b.strides()[1]}, b->offset()) : b;
    NG_CHECK_SHAPE(a3.sizes()[2] == b3.sizes()[1] && a3.sizes()[0] == b3.sizes()[0], "matmul: shapes ", a.sizes().str(), " and ",
                   b.sizes().str(), " cannot be multiplied");
    Tensor out3 = bmm_forward(a3, b3);
    Tensor out = two_d ? as_strided_alias(out3, Dims{out3.sizes()[1], out3.sizes()[2]}, Dims{out3.strides()[1], out3.strides()[2]}, 0) : out3;
    if (any_requires_grad({&a, &b})) {
        auto node = make_node(two_d ? "MmBackward" : "BmmBackward", [](const FunctionNode& n, const TensorList& g) {
            const Tensor x = n.saved(0), y = n.saved(1);
            const int r = x.dim();
            Tensor gx = n.needs_grad(0) ? bmm(g[0], transpose(y, r - 2, r - 1)) : Tensor();
            Tensor gy = n.needs_grad(1) ? bmm(transpose(x, r - 2, r - 1), g[0]) : Tensor();
            return TensorList{gx, gy};
        });
        record(node, {&a, &b}, {&out});
        node->save(a);
        node->save(b);
    }
    return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
    const int da = a.dim(), db = b.dim();
    NG_CHECK_SHAPE(da >= 1 && db >= 1, "matmul: both arguments need at least 1 dimension, got shapes ", a.sizes().str(),
                   " and ", b.sizes().str());
    const int64_t ka = a.sizes()[da - 1];
    const int64_t kb = db == 1 ? b.sizes()[0] : b.sizes()[db - 2];
    NG_CHECK_SHAPE(ka == kb, "matmul: shapes ", a.sizes().str(), " and ", b.sizes().str(), " cannot be multiplied");
    if (da == 1 && db == 1) return reshape(bmm(unsqueeze(a, 0), unsqueeze(b, 1)), Dims{});
    if (da == 2 && db == 1) return squeeze(bmm(a, unsqueeze(b, 1)), -1);
    if (da == 1 && db == 2) return squeeze(bmm(unsqueeze(a, 0), b), 0);
    if (da == 2 && db == 2) return bmm(a, b);
    if (db == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
    if (da == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
    if (db == 2) {
        // [..., m, k] x [k, n]: fold the batch into the rows (one big GEMM).
        Dims out_shape = a.sizes();
        out_shape[da - 1] = b.sizes()[1];
        return reshape(bmm(reshape(a, Dims{-1, ka}), b), out_shape);
    }
    // Broadcast the batch dimensions, then one bmm.
    const Dims ba(a.sizes().data(), da - 2), bb(b.sizes().data(), db - 2);
    const Dims batch = broadcast_shapes(ba, bb, "matmul");
    const int64_t m = a.sizes()[da - 2], n = b.sizes()[db - 1];
    Dims ea = batch, eb = batch, out_shape = batch;
    ea.push_back(m);
    ea.push_back(ka);
    eb.push_back(kb);
    eb.push_back(n);
    out_shape.push_back(m);
    out_shape.push_back(n);
    const int64_t B = batch.product();
    Tensor a3 = reshape(expand(a, ea), Dims{B, m, ka});
    Tensor b3 = reshape(expand(b, eb), Dims{B, kb, n});
    return reshape(bmm(a3, b3), out_shape);
}

}  // namespace ng::ops
