// Tensor core: layout rules, the caching allocator and the op tables.
#include <gtest/gtest.h>

#include "core/allocator.h"
#include "cpu/parallel.h"
#include "ops/ops.h"

using namespace ng;

TEST(TensorCore, Storage_is_64_byte_aligned) {
    for (int64_t n : {1, 3, 17, 1000}) {
        Tensor t = ops::empty(Dims{n}, DType::Float32);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
    }
}

TEST(TensorCore, Caching_allocator_reuses_freed_blocks) {
    void* first = nullptr;
    {
        Tensor t = ops::empty(Dims{1000}, DType::Float32);
        first = t.raw_data();
    }
    Tensor again = ops::empty(Dims{1000}, DType::Float32);
    EXPECT_EQ(again.raw_data(), first);
}

TEST(TensorCore, Contiguity_ignores_size_one_dimensions) {
    EXPECT_TRUE(compute_contiguous(Dims{2, 1, 3}, Dims{3, 99, 1}));
    EXPECT_FALSE(compute_contiguous(Dims{2, 3}, Dims{1, 2}));
    EXPECT_TRUE(compute_contiguous(Dims{0, 3}, Dims{7, 7}));
}

TEST(TensorCore, Every_unary_and_binary_op_has_a_name) {
    for (int op = 0; op < NG_UNARY_OP_COUNT; ++op)
        EXPECT_STRNE(ops::unary_name(static_cast<ng_unary_op>(op)), "");
    for (int op = 0; op < NG_BINARY_OP_COUNT; ++op)
        EXPECT_STRNE(ops::binary_name(static_cast<ng_binary_op>(op)), "");
}

TEST(TensorCore, Broadcast_shapes_follow_numpy) {
    EXPECT_EQ(ops::broadcast_shapes(Dims{3, 1}, Dims{4}, "t"), (Dims{3, 4}));
    EXPECT_EQ(ops::broadcast_shapes(Dims{}, Dims{2, 2}, "t"), (Dims{2, 2}));
    EXPECT_THROW(ops::broadcast_shapes(Dims{3}, Dims{4}, "t"), Error);
}

TEST(TensorCore, Elementwise_results_are_identical_for_any_thread_count) {
    Tensor x = ops::rand(Dims{300006}, DType::Float32, nullptr);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
        cpu::set_num_threads(threads);
        Tensor y = ops::sum(ops::exp(x));
        Tensor s = ops::softmax(ops::reshape(x, Dims{-1, 7}), 1);
        std::vector<float> r{y.data<float>()[0]};
        r.insert(r.end(), s.data<float>(), s.data<float>() + 50);
        results.push_back(r);
    }
    cpu::set_num_threads(2);
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
}
