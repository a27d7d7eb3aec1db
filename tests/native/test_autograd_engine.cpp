// The native tape and engine through the C++ core API: ordering, accumulation, retain_graph,
// version counters, graph release and deep graphs.
#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "ops/ops.h"

using namespace ng;

namespace {
Tensor leaf(std::initializer_list<double> values) {
    std::vector<double> v(values);
    Tensor t = ops::from_data(v.data(), static_cast<int64_t>(v.size() * sizeof(double)),
                              Dims{static_cast<int64_t>(v.size())}, DType::Float64);
    t->autograd_mut().requires_grad = true;
    return t;
}
double at(const Tensor& t, int64_t i) { return ops::contiguous(t).data<double>()[i]; }
}  // namespace

TEST(Engine, Diamond_graph_sums_both_paths) {
    Tensor x = leaf({3.0});
    Tensor a = ops::mul_scalar(x, 2.0);
    Tensor b = ops::mul(x, x);
    Tensor y = ops::sum(ops::add(a, b));
    run_backward({y}, {}, {});
    EXPECT_DOUBLE_EQ(at(x->autograd()->grad, 0), 2.0 + 6.0);
}

TEST(Engine, Saved_tensors_are_freed_after_backward_unless_retained) {
    Tensor x = leaf({1.0, 2.0});
    Tensor y = ops::sum(ops::mul(x, x));
    const int64_t live_before = TensorImpl::live_count();
    run_backward({y}, {}, {});
    EXPECT_LT(TensorImpl::live_count(), live_before + 2);
    EXPECT_THROW(run_backward({y}, {}, {}), Error);
}

TEST(Engine, In_place_change_of_a_saved_input_is_an_error) {
    Tensor x = leaf({1.0, 2.0});
    Tensor c = ops::full(Dims{2}, DType::Float64, 3.0);
    Tensor y = ops::sum(ops::mul(x, c));
    ops::fill_(c, 5.0);
    try {
        run_backward({y}, {}, {});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), NG_STATUS_INVALID_STATE);
        EXPECT_NE(std::string(e.what()).find("MulBackward"), std::string::npos);
    }
}

TEST(Engine, Deep_chains_run_and_free_without_recursion) {
    Tensor x = leaf({1.0});
    {
        Tensor y = x;
        for (int i = 0; i < 200000; ++i) y = ops::add_scalar(y, 1.0);
        run_backward({ops::sum(y)}, {}, {});
    }  // the chain is freed here, iteratively
    EXPECT_DOUBLE_EQ(at(x->autograd()->grad, 0), 1.0);
}

TEST(Engine, Grad_mode_off_records_nothing) {
    Tensor x = leaf({1.0});
    GradModeGuard off(false);
    Tensor y = ops::mul_scalar(x, 2.0);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y->is_leaf());
}

TEST(Engine, Grad_captures_non_leaf_inputs) {
    Tensor x = leaf({2.0});
    Tensor h = ops::mul(x, x);
    Tensor y = ops::sum(ops::mul_scalar(h, 3.0));
    std::vector<Tensor> g = run_grad({y}, {}, {h, x}, {}, false);
    EXPECT_DOUBLE_EQ(at(g[0], 0), 3.0);
    EXPECT_DOUBLE_EQ(at(g[1], 0), 12.0);
    EXPECT_FALSE(x->autograd()->grad.defined());
}
