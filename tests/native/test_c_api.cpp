// The C ABI's contract: statuses and messages for every kind of bad input, ownership, and
// the thread-local error message. Nothing may throw or crash across the boundary.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

#include "nativegrad/nativegrad.h"

namespace {

struct Handle {
    ng_tensor* t = nullptr;
    ~Handle() { ng_tensor_release(t); }
};

Handle make(std::initializer_list<int64_t> shape, ng_dtype dtype = NG_DTYPE_FLOAT32, double value = 1.0) {
    Handle h;
    std::vector<int64_t> s(shape);
    EXPECT_EQ(ng_tensor_full(s.data(), static_cast<int32_t>(s.size()), dtype, value, &h.t), NG_STATUS_OK);
    return h;
}

std::string last_error() { return ng_last_error(); }

}  // namespace

TEST(CApi, Version_and_abi_are_reported) {
    EXPECT_EQ(ng_abi_version(), NG_ABI_VERSION);
    EXPECT_STRNE(ng_version(), "");
    EXPECT_NE(std::string(ng_cpu_features()).find("kernels="), std::string::npos);
}

TEST(CApi, Matmul_shape_mismatch_names_both_shapes) {
    Handle a = make({2, 3}), b = make({4, 5});
    ng_tensor* out = reinterpret_cast<ng_tensor*>(0x1);
    EXPECT_EQ(ng_tensor_matmul(a.t, b.t, &out), NG_STATUS_SHAPE_MISMATCH);
    EXPECT_EQ(last_error(), "matmul: shapes [2,3] and [4,5] cannot be multiplied");
    EXPECT_EQ(out, reinterpret_cast<ng_tensor*>(0x1)) << "out-parameters are untouched on failure";
}

TEST(CApi, Null_handles_and_null_outputs_are_invalid_arguments) {
    Handle a = make({2});
    ng_tensor* out = nullptr;
    EXPECT_EQ(ng_tensor_unary(NG_UNARY_OP_EXP, nullptr, 0, 0, &out), NG_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("null"), std::string::npos);
    EXPECT_EQ(ng_tensor_unary(NG_UNARY_OP_EXP, a.t, 0, 0, nullptr), NG_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(ng_tensor_binary(NG_BINARY_OP_ADD, a.t, nullptr, &out), NG_STATUS_INVALID_ARGUMENT);
    EXPECT_NE(last_error().find("'y'"), std::string::npos);
    ng_tensor_release(nullptr);  // a no-op
}

TEST(CApi, Released_handles_are_detected) {
#ifdef NG_SANITIZE_BUILD
    GTEST_SKIP() << "uses a released handle on purpose: undefined behaviour the sanitizers rightly report";
#endif
    ng_tensor* t = nullptr;
    int64_t shape[] = {2};
    ASSERT_EQ(ng_tensor_full(shape, 1, NG_DTYPE_FLOAT32, 1.0, &t), NG_STATUS_OK);
    Handle keep;  // keep the block cached so the released object's memory stays readable
    ASSERT_EQ(ng_tensor_full(shape, 1, NG_DTYPE_FLOAT32, 1.0, &keep.t), NG_STATUS_OK);
    ng_tensor_release(t);
    ng_tensor* out = nullptr;
    // The object's memory may be reused, so only check that the call does not crash and fails
    // or succeeds cleanly; when the memory still holds the dead marker, the error names it.
    ng_status st = ng_tensor_unary(NG_UNARY_OP_EXP, t, 0, 0, &out);
    if (st != NG_STATUS_OK) EXPECT_NE(last_error().find("released"), std::string::npos);
    else ng_tensor_release(out);
}

TEST(CApi, Wrong_dtypes_and_unknown_enums_are_rejected) {
    Handle i = make({3}, NG_DTYPE_INT64);
    ng_tensor* out = nullptr;
    EXPECT_EQ(ng_tensor_softmax(i.t, 0, &out), NG_STATUS_DTYPE_MISMATCH);
    EXPECT_NE(last_error().find("softmax"), std::string::npos);
    int64_t shape[] = {2};
    EXPECT_EQ(ng_tensor_full(shape, 1, static_cast<ng_dtype>(42), 0, &out), NG_STATUS_DTYPE_MISMATCH);
    Handle f = make({2});
    EXPECT_EQ(ng_tensor_unary(static_cast<ng_unary_op>(999), f.t, 0, 0, &out), NG_STATUS_INVALID_ARGUMENT);
    EXPECT_EQ(ng_tensor_set_requires_grad(i.t, 1), NG_STATUS_DTYPE_MISMATCH);
}

TEST(CApi, Out_of_range_dimensions_name_the_valid_range) {
    Handle a = make({2, 3});
    ng_tensor* out = nullptr;
    EXPECT_EQ(ng_tensor_transpose(a.t, 0, 5, &out), NG_STATUS_INDEX_OUT_OF_RANGE);
    EXPECT_NE(last_error().find("[-2, 1]"), std::string::npos);
    int64_t dims[] = {3};
    EXPECT_EQ(ng_tensor_reduce(NG_REDUCE_OP_SUM, a.t, dims, 1, 0, &out), NG_STATUS_INDEX_OUT_OF_RANGE);
    int64_t too_many[13] = {};
    EXPECT_EQ(ng_tensor_full(too_many, 13, NG_DTYPE_FLOAT32, 0, &out), NG_STATUS_INVALID_ARGUMENT);
    int64_t negative[] = {-2};
    EXPECT_EQ(ng_tensor_full(negative, 1, NG_DTYPE_FLOAT32, 0, &out), NG_STATUS_INVALID_ARGUMENT);
}

TEST(CApi, Copy_to_checks_the_byte_count) {
    Handle a = make({2, 3}, NG_DTYPE_FLOAT32, 2.0);
    float buf[6];
    EXPECT_EQ(ng_tensor_copy_to(a.t, buf, sizeof(buf) - 4), NG_STATUS_INVALID_ARGUMENT);
    ASSERT_EQ(ng_tensor_copy_to(a.t, buf, sizeof(buf)), NG_STATUS_OK);
    for (float v : buf) EXPECT_EQ(v, 2.0f);
}

TEST(CApi, Error_messages_are_thread_local) {
    Handle a = make({2, 3}), b = make({4, 5});
    ng_tensor* out = nullptr;
    ASSERT_NE(ng_tensor_matmul(a.t, b.t, &out), NG_STATUS_OK);
    std::string other;
    std::thread t([&] {
        ng_tensor* o = nullptr;
        int64_t s[] = {-1};
        ng_tensor_full(s, 1, NG_DTYPE_FLOAT32, 0, &o);
        other = ng_last_error();
    });
    t.join();
    EXPECT_NE(other.find("negative"), std::string::npos);
    EXPECT_NE(last_error().find("matmul"), std::string::npos);
}

TEST(CApi, Handles_are_reference_counted) {
    const int64_t before = ng_live_tensor_count();
    ng_tensor* t = nullptr;
    int64_t shape[] = {4};
    ASSERT_EQ(ng_tensor_full(shape, 1, NG_DTYPE_FLOAT32, 3, &t), NG_STATUS_OK);
    ng_tensor* view = nullptr;
    int64_t vshape[] = {2, 2};
    ASSERT_EQ(ng_tensor_view(t, vshape, 2, &view), NG_STATUS_OK);
    ASSERT_EQ(ng_tensor_retain(t), NG_STATUS_OK);
    ng_tensor_release(t);
    ng_tensor_release(t);  // the view keeps the storage alive
    float buf[4];
    ASSERT_EQ(ng_tensor_copy_to(view, buf, sizeof(buf)), NG_STATUS_OK);
    EXPECT_EQ(buf[3], 3.0f);
    ng_tensor_release(view);
    EXPECT_EQ(ng_live_tensor_count(), before);
}

TEST(CApi, Hook_failures_stop_backward_with_callback_failed) {
    int64_t shape[] = {2};
    ng_tensor* x = nullptr;
    ASSERT_EQ(ng_tensor_full(shape, 1, NG_DTYPE_FLOAT32, 1, &x), NG_STATUS_OK);
    ASSERT_EQ(ng_tensor_set_requires_grad(x, 1), NG_STATUS_OK);
    static int released = 0;
    auto fail = [](void*, ng_tensor*, ng_tensor**) -> ng_status { return NG_STATUS_INVALID_STATE; };
    auto release = [](void*) { ++released; };
    int64_t id = 0;
    ASSERT_EQ(ng_tensor_register_hook(x, fail, nullptr, release, &id), NG_STATUS_OK);
    ng_tensor* y = nullptr;
    ng_tensor* s = nullptr;
    ASSERT_EQ(ng_tensor_unary(NG_UNARY_OP_MUL_SCALAR, x, 2, 0, &y), NG_STATUS_OK);
    ASSERT_EQ(ng_tensor_reduce(NG_REDUCE_OP_SUM, y, nullptr, 0, 0, &s), NG_STATUS_OK);
    EXPECT_EQ(ng_autograd_backward(&s, nullptr, 1, 0, 0), NG_STATUS_CALLBACK_FAILED);
    int32_t removed = 0;
    ASSERT_EQ(ng_tensor_remove_hook(x, id, &removed), NG_STATUS_OK);
    EXPECT_EQ(removed, 1);
    EXPECT_EQ(released, 1);
    ng_tensor_release(s);
    ng_tensor_release(y);
    ng_tensor_release(x);
}
