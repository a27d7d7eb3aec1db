/*
 * NativeGrad C ABI — the single public interface of the native core.
 *
 * Ownership rules
 *  - An ng_tensor* is a strong, reference-counted handle. Arguments are borrowed: a call never
 *    takes over the caller's reference.
 *  - Every handle returned through an out-parameter is a new reference owned by the caller, who
 *    releases it with ng_tensor_release. Releasing NULL is a no-op. Release is safe from any
 *    thread (the .NET finalizer thread included).
 *  - Every function returns an ng_status. On failure the out-parameters are left untouched and
 *    ng_last_error() returns a message owned by the library, valid on the calling thread until
 *    its next failing call. Nothing ever throws across this boundary.
 *
 * Format rules (the managed bindings are generated from this file, so keep it regular)
 *  - One declaration per statement, `NG_API ng_status ng_name(type name, ...);` or
 *    `NG_API <scalar type> ng_name(...);`; parameters use only the types in the table below.
 *  - Enums are `typedef enum ng_x { NG_X_VALUE = n, ... } ng_x;` with explicit values.
 *  - Callbacks are `typedef <ret> (*ng_x_fn)(...);` and travel as plain function pointers.
 *  - Constants are `#define NG_NAME <integer>`.
 *  Types: int32_t int64_t uint32_t uint64_t uint8_t double float void, pointers to those,
 *  `const char*`, ng_tensor*, ng_tensor**, the enums and the callback typedefs.
 */
#ifndef NATIVEGRAD_H
#define NATIVEGRAD_H

#include <stdint.h>

#if defined(_WIN32)
#  if defined(NG_BUILDING_LIBRARY)
#    define NG_API __declspec(dllexport)
#  else
#    define NG_API __declspec(dllimport)
#  endif
#else
#  define NG_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Incremented whenever a declaration below changes meaning; the managed loader checks it. */
#define NG_ABI_VERSION 1
#define NG_MAX_RANK 12

typedef struct ng_tensor ng_tensor;
typedef struct ng_node ng_node;
typedef struct ng_generator ng_generator;

typedef enum ng_status {
    NG_STATUS_OK = 0,
    NG_STATUS_INVALID_ARGUMENT = 1,
    NG_STATUS_SHAPE_MISMATCH = 2,
    NG_STATUS_DTYPE_MISMATCH = 3,
    NG_STATUS_INDEX_OUT_OF_RANGE = 4,
    NG_STATUS_INVALID_STATE = 5,
    NG_STATUS_OUT_OF_MEMORY = 6,
    NG_STATUS_CALLBACK_FAILED = 7,
    NG_STATUS_NOT_SUPPORTED = 8,
    NG_STATUS_INTERNAL = 9
} ng_status;

typedef enum ng_dtype {
    NG_DTYPE_FLOAT32 = 0,
    NG_DTYPE_FLOAT64 = 1,
    NG_DTYPE_INT64 = 2,
    NG_DTYPE_BOOL = 3
} ng_dtype;

/* Elementwise operations of one tensor; some take scalar parameters a and b (noted). Adding an
 * operation means adding a value here and a row in native/src/ops/unary_table.cpp. */
typedef enum ng_unary_op {
    NG_UNARY_OP_NEG = 0,
    NG_UNARY_OP_EXP = 1,
    NG_UNARY_OP_LOG = 2,
    NG_UNARY_OP_SQRT = 3,
    NG_UNARY_OP_ABS = 4,
    NG_UNARY_OP_RELU = 5,
    NG_UNARY_OP_SIGMOID = 6,
    NG_UNARY_OP_TANH = 7,
    NG_UNARY_OP_SIN = 8,
    NG_UNARY_OP_COS = 9,
    NG_UNARY_OP_SIGN = 10,
    NG_UNARY_OP_RECIPROCAL = 11,
    NG_UNARY_OP_LEAKY_RELU = 12,  /* a = negative slope */
    NG_UNARY_OP_ELU = 13,         /* a = alpha */
    NG_UNARY_OP_CLAMP = 14,       /* a = min, b = max (use -inf/+inf for no bound) */
    NG_UNARY_OP_POW_SCALAR = 15,  /* x ** a */
    NG_UNARY_OP_RPOW_SCALAR = 16, /* a ** x */
    NG_UNARY_OP_ADD_SCALAR = 17,  /* x + a */
    NG_UNARY_OP_SUB_SCALAR = 18,  /* x - a */
    NG_UNARY_OP_RSUB_SCALAR = 19, /* a - x */
    NG_UNARY_OP_MUL_SCALAR = 20,  /* x * a */
    NG_UNARY_OP_DIV_SCALAR = 21,  /* x / a */
    NG_UNARY_OP_RDIV_SCALAR = 22, /* a / x */
    NG_UNARY_OP_EQ_SCALAR = 23,
    NG_UNARY_OP_NE_SCALAR = 24,
    NG_UNARY_OP_LT_SCALAR = 25,
    NG_UNARY_OP_LE_SCALAR = 26,
    NG_UNARY_OP_GT_SCALAR = 27,
    NG_UNARY_OP_GE_SCALAR = 28,
    NG_UNARY_OP_LOGICAL_NOT = 29,
    NG_UNARY_OP_COUNT = 30
} ng_unary_op;

/* Elementwise operations of two tensors with NumPy/PyTorch broadcasting. Adding one means a
 * value here and a row in native/src/ops/binary_table.cpp. */
typedef enum ng_binary_op {
    NG_BINARY_OP_ADD = 0,
    NG_BINARY_OP_SUB = 1,
    NG_BINARY_OP_MUL = 2,
    NG_BINARY_OP_DIV = 3,
    NG_BINARY_OP_POW = 4,
    NG_BINARY_OP_MAXIMUM = 5,
    NG_BINARY_OP_MINIMUM = 6,
    NG_BINARY_OP_EQ = 7,
    NG_BINARY_OP_NE = 8,
    NG_BINARY_OP_LT = 9,
    NG_BINARY_OP_LE = 10,
    NG_BINARY_OP_GT = 11,
    NG_BINARY_OP_GE = 12,
    NG_BINARY_OP_LOGICAL_AND = 13,
    NG_BINARY_OP_LOGICAL_OR = 14,
    NG_BINARY_OP_COUNT = 15
} ng_binary_op;

typedef enum ng_reduce_op {
    NG_REDUCE_OP_SUM = 0,
    NG_REDUCE_OP_MEAN = 1,
    NG_REDUCE_OP_MAX = 2,
    NG_REDUCE_OP_MIN = 3,
    NG_REDUCE_OP_COUNT = 4
} ng_reduce_op;

/* ---- library ------------------------------------------------------------------------------ */
NG_API int32_t ng_abi_version(void);
NG_API const char* ng_version(void);
NG_API const char* ng_last_error(void);
/* CPU features detected and the kernel set in use, e.g. "avx2 fma; kernels=avx2". */
NG_API const char* ng_cpu_features(void);
NG_API ng_status ng_get_num_threads(int32_t* out);
NG_API ng_status ng_set_num_threads(int32_t num_threads);
/* Number of live tensor objects in the core (leak checks in tests). */
NG_API int64_t ng_live_tensor_count(void);

/* ---- lifetime ----------------------------------------------------------------------------- */
NG_API ng_status ng_tensor_retain(ng_tensor* t);
NG_API void ng_tensor_release(ng_tensor* t);

/* ---- random generators ---------------------------------------------------------------------- */
NG_API ng_status ng_generator_create(uint64_t seed, ng_generator** out);
NG_API void ng_generator_release(ng_generator* gen);
NG_API ng_status ng_generator_manual_seed(ng_generator* gen, uint64_t seed);
/* Seeds the generator used when a random op is given NULL. */
NG_API ng_status ng_manual_seed(uint64_t seed);

/* ---- creation (shape: `ndim` sizes; ndim 0 is a scalar) --------------------------------------- */
NG_API ng_status ng_tensor_empty(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_tensor** out);
NG_API ng_status ng_tensor_full(const int64_t* shape, int32_t ndim, ng_dtype dtype, double value, ng_tensor** out);
NG_API ng_status ng_tensor_arange(double start, double end, double step, ng_dtype dtype, ng_tensor** out);
NG_API ng_status ng_tensor_rand(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_generator* gen, ng_tensor** out);
NG_API ng_status ng_tensor_randn(const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_generator* gen, ng_tensor** out);
NG_API ng_status ng_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_generator* gen, ng_tensor** out);
/* Copies `nbytes` bytes of row-major elements from `data`. */
NG_API ng_status ng_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int32_t ndim, ng_dtype dtype, ng_tensor** out);

/* ---- metadata and data ---------------------------------------------------------------------- */
NG_API ng_status ng_tensor_dtype(const ng_tensor* t, ng_dtype* out);
NG_API ng_status ng_tensor_ndim(const ng_tensor* t, int32_t* out);
NG_API ng_status ng_tensor_numel(const ng_tensor* t, int64_t* out);
/* Writes ndim sizes and strides (arrays of at least NG_MAX_RANK) and the element offset. */
NG_API ng_status ng_tensor_layout(const ng_tensor* t, int32_t* ndim, int64_t* sizes, int64_t* strides, int64_t* offset);
NG_API ng_status ng_tensor_is_contiguous(const ng_tensor* t, int32_t* out);
/* Copies the elements in row-major order; nbytes must equal numel * element size. */
NG_API ng_status ng_tensor_copy_to(const ng_tensor* t, void* dst, int64_t nbytes);
/* Address of the first element of a contiguous tensor (valid while the tensor lives). */
NG_API ng_status ng_tensor_data_ptr(const ng_tensor* t, void** out);
NG_API ng_status ng_tensor_item_double(const ng_tensor* t, double* out);
NG_API ng_status ng_tensor_item_int64(const ng_tensor* t, int64_t* out);
/* True when the two tensors share storage (views of one another). */
NG_API ng_status ng_tensor_shares_storage(const ng_tensor* a, const ng_tensor* b, int32_t* out);

/* ---- views ---------------------------------------------------------------------------------- */
NG_API ng_status ng_tensor_view(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out);
NG_API ng_status ng_tensor_reshape(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out);
NG_API ng_status ng_tensor_expand(const ng_tensor* t, const int64_t* shape, int32_t ndim, ng_tensor** out);
NG_API ng_status ng_tensor_permute(const ng_tensor* t, const int64_t* dims, int32_t ndim, ng_tensor** out);
NG_API ng_status ng_tensor_transpose(const ng_tensor* t, int64_t dim0, int64_t dim1, ng_tensor** out);
NG_API ng_status ng_tensor_unsqueeze(const ng_tensor* t, int64_t dim, ng_tensor** out);
NG_API ng_status ng_tensor_squeeze(const ng_tensor* t, int64_t dim, ng_tensor** out);
NG_API ng_status ng_tensor_squeeze_all(const ng_tensor* t, ng_tensor** out);
NG_API ng_status ng_tensor_narrow(const ng_tensor* t, int64_t dim, int64_t start, int64_t length, ng_tensor** out);
NG_API ng_status ng_tensor_flatten(const ng_tensor* t, int64_t start_dim, int64_t end_dim, ng_tensor** out);
NG_API ng_status ng_tensor_contiguous(const ng_tensor* t, ng_tensor** out);
NG_API ng_status ng_tensor_clone(const ng_tensor* t, ng_tensor** out);
NG_API ng_status ng_tensor_to_dtype(const ng_tensor* t, ng_dtype dtype, ng_tensor** out);

/* ---- elementwise, reductions, linear algebra, indexing ------------------------------------- */
NG_API ng_status ng_tensor_unary(ng_unary_op op, const ng_tensor* x, double a, double b, ng_tensor** out);
NG_API ng_status ng_tensor_binary(ng_binary_op op, const ng_tensor* x, const ng_tensor* y, ng_tensor** out);
NG_API ng_status ng_tensor_where(const ng_tensor* cond, const ng_tensor* x, const ng_tensor* y, ng_tensor** out);
/* In place: x = op(x, ...); x must already have the result's shape and dtype. */
NG_API ng_status ng_tensor_unary_(ng_unary_op op, ng_tensor* x, double a, double b);
NG_API ng_status ng_tensor_binary_(ng_binary_op op, ng_tensor* x, const ng_tensor* y);
NG_API ng_status ng_tensor_fill_(ng_tensor* x, double value);
NG_API ng_status ng_tensor_copy_(ng_tensor* dst, const ng_tensor* src);
/* ndims == 0 reduces over all dimensions. */
NG_API ng_status ng_tensor_reduce(ng_reduce_op op, const ng_tensor* t, const int64_t* dims, int32_t ndims, int32_t keepdim, ng_tensor** out);
/* Max or min along one dimension with the indices (int64) of the extreme values. */
NG_API ng_status ng_tensor_reduce_with_indices(ng_reduce_op op, const ng_tensor* t, int64_t dim, int32_t keepdim, ng_tensor** values, ng_tensor** indices);
NG_API ng_status ng_tensor_argmax(const ng_tensor* t, int64_t dim, int32_t keepdim, ng_tensor** out);
NG_API ng_status ng_tensor_argmin(const ng_tensor* t, int64_t dim, int32_t keepdim, ng_tensor** out);
NG_API ng_status ng_tensor_softmax(const ng_tensor* t, int64_t dim, ng_tensor** out);
NG_API ng_status ng_tensor_log_softmax(const ng_tensor* t, int64_t dim, ng_tensor** out);
NG_API ng_status ng_tensor_matmul(const ng_tensor* a, const ng_tensor* b, ng_tensor** out);
NG_API ng_status ng_tensor_gather(const ng_tensor* t, int64_t dim, const ng_tensor* index, ng_tensor** out);
NG_API ng_status ng_tensor_scatter(const ng_tensor* t, int64_t dim, const ng_tensor* index, const ng_tensor* src, ng_tensor** out);
NG_API ng_status ng_tensor_scatter_value(const ng_tensor* t, int64_t dim, const ng_tensor* index, double value, ng_tensor** out);
NG_API ng_status ng_tensor_scatter_add(const ng_tensor* t, int64_t dim, const ng_tensor* index, const ng_tensor* src, ng_tensor** out);
NG_API ng_status ng_tensor_index_select(const ng_tensor* t, int64_t dim, const ng_tensor* index, ng_tensor** out);

/* ---- neural-network operations (differentiable; PyTorch semantics) --------------------------- */
/* How a loss reduces its per-element values. */
typedef enum ng_reduction {
    NG_REDUCTION_NONE = 0,
    NG_REDUCTION_MEAN = 1,
    NG_REDUCTION_SUM = 2
} ng_reduction;
/* input [N,C,H,W] or [C,H,W]; weight [O,C/groups,kh,kw]; bias [O] or NULL. */
NG_API ng_status ng_nn_conv2d(const ng_tensor* input, const ng_tensor* weight, const ng_tensor* bias, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups, ng_tensor** out);
/* indices (int64 flat positions within each input plane) may be NULL when not wanted. */
NG_API ng_status ng_nn_max_pool2d(const ng_tensor* input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w, int32_t ceil_mode, ng_tensor** out, ng_tensor** indices);
/* divisor_override <= 0 means none. */
NG_API ng_status ng_nn_avg_pool2d(const ng_tensor* input, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, int32_t ceil_mode, int32_t count_include_pad, int64_t divisor_override, ng_tensor** out);
NG_API ng_status ng_nn_adaptive_avg_pool2d(const ng_tensor* input, int64_t out_h, int64_t out_w, ng_tensor** out);
/* running_mean, running_var, weight and bias may be NULL; in training the running statistics are
 * updated in place. */
NG_API ng_status ng_nn_batch_norm(const ng_tensor* input, ng_tensor* running_mean, ng_tensor* running_var, const ng_tensor* weight, const ng_tensor* bias, int32_t training, double momentum, double eps, ng_tensor** out);
/* target: int64 class indices; weight [C] or NULL. */
NG_API ng_status ng_nn_cross_entropy(const ng_tensor* input, const ng_tensor* target, const ng_tensor* weight, int64_t ignore_index, double label_smoothing, ng_reduction reduction, ng_tensor** out);
NG_API ng_status ng_nn_nll_loss(const ng_tensor* input, const ng_tensor* target, const ng_tensor* weight, int64_t ignore_index, ng_reduction reduction, ng_tensor** out);
NG_API ng_status ng_nn_mse_loss(const ng_tensor* input, const ng_tensor* target, ng_reduction reduction, ng_tensor** out);
/* weight and pos_weight may be NULL. */
NG_API ng_status ng_nn_binary_cross_entropy_with_logits(const ng_tensor* input, const ng_tensor* target, const ng_tensor* weight, const ng_tensor* pos_weight, ng_reduction reduction, ng_tensor** out);
/* gen may be NULL (the default generator). */
NG_API ng_status ng_nn_dropout(const ng_tensor* input, double p, int32_t training, ng_generator* gen, ng_tensor** out);
/* input [..., in], weight [out, in], bias [out] or NULL. */
NG_API ng_status ng_nn_linear(const ng_tensor* input, const ng_tensor* weight, const ng_tensor* bias, ng_tensor** out);

/* ---- optimizers -------------------------------------------------------------------------------
 * Fused in-place updates of one parameter tensor, with the arithmetic of PyTorch's SGD and
 * Adam/AdamW. Not recorded by autograd; they bump the versions of what they write. The parameter
 * and state buffers must be contiguous, of the parameter's shape and floating dtype. */
/* momentum_buffer may be NULL when momentum == 0; first_step != 0 sets it to the (decayed) gradient. */
NG_API ng_status ng_optim_sgd_step(ng_tensor* param, const ng_tensor* grad, ng_tensor* momentum_buffer, double lr, double momentum, double dampening, double weight_decay, int32_t nesterov, int32_t first_step);
/* step counts from 1; decoupled != 0 is AdamW's weight decay; max_exp_avg_sq is used (required) only with amsgrad. */
NG_API ng_status ng_optim_adam_step(ng_tensor* param, const ng_tensor* grad, ng_tensor* exp_avg, ng_tensor* exp_avg_sq, ng_tensor* max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps, double weight_decay, int32_t decoupled, int32_t amsgrad);

/* ---- custom autograd functions ----------------------------------------------------------------
 * An operation whose forward ran outside the core (e.g. managed code, with grad mode off) is
 * recorded on the tape as one node named `name`; its backward is the callback below. The node
 * takes part in backward like a built-in one (hooks, retain_graph, create_graph, grad()).
 *
 * The backward callback receives one gradient per forward output (borrowed; NULL where there is
 * none and the node does not materialise zeros) and the saved tensors (borrowed; NULL for saved
 * NULLs), and writes at most one new reference per forward input into out_grads (pre-filled with
 * NULL; leave NULL for "no gradient"). It runs on the thread that called backward, with grad mode
 * set to create_graph. The core checks each gradient against its input: a gradient for a
 * non-tensor argument or for an input that needs none, or one of another shape, is an error
 * naming the function. A non-OK return stops the backward pass, which fails with
 * NG_STATUS_CALLBACK_FAILED; references already written to out_grads are released. */
typedef ng_status (*ng_custom_backward_fn)(void* ctx, ng_tensor* const* grads, int32_t grad_count, ng_tensor* const* saved, int32_t saved_count, ng_tensor** out_grads, int32_t input_count);
typedef void (*ng_custom_release_fn)(void* ctx);
/* inputs: one entry per forward argument, NULL for non-tensor arguments. outputs: the forward's
 * results. non_differentiable: per output 0/1, or NULL (integer outputs never get gradients).
 * dirty: per input 0/1 (modified in place by the forward; each must also be an output; its
 * storage version is bumped), or NULL. saved: tensors the backward receives, version-checked
 * (entries may be NULL). materialize_grads != 0: missing output gradients arrive as zeros.
 * out_outputs (output_count entries): entry i is NULL when output i became the node's result
 * itself, or a new reference to an alias that replaces it (output i was an input not marked
 * dirty, already had history or required grad, or repeated an earlier output).
 * *recorded is 1 when a node was recorded (grad mode on and some input requires grad); the node
 * then calls release(ctx) once when it is freed. Otherwise, and on failure, release(ctx) has been
 * called before this returns. */
NG_API ng_status ng_custom_function_record(const char* name, ng_tensor* const* inputs, int32_t input_count, ng_tensor* const* outputs, int32_t output_count, const int32_t* non_differentiable, const int32_t* dirty, ng_tensor* const* saved, int32_t saved_count, int32_t materialize_grads, ng_custom_backward_fn backward, void* ctx, ng_custom_release_fn release, ng_tensor** out_outputs, int32_t* recorded);

/* ---- autograd ------------------------------------------------------------------------------- */
NG_API ng_status ng_grad_mode_is_enabled(int32_t* out);
/* Sets this thread's grad mode; `previous` (may be NULL) receives the old value. */
NG_API ng_status ng_grad_mode_set(int32_t enabled, int32_t* previous);
NG_API ng_status ng_tensor_requires_grad(const ng_tensor* t, int32_t* out);
NG_API ng_status ng_tensor_set_requires_grad(ng_tensor* t, int32_t requires_grad);
NG_API ng_status ng_tensor_is_leaf(const ng_tensor* t, int32_t* out);
/* *out is NULL when the tensor has no gradient. */
NG_API ng_status ng_tensor_grad(const ng_tensor* t, ng_tensor** out);
/* grad may be NULL to clear it. */
NG_API ng_status ng_tensor_set_grad(ng_tensor* t, const ng_tensor* grad);
NG_API ng_status ng_tensor_retain_grad(ng_tensor* t);
NG_API ng_status ng_tensor_retains_grad(const ng_tensor* t, int32_t* out);
NG_API ng_status ng_tensor_detach(const ng_tensor* t, ng_tensor** out);
/* grads may be NULL, and any entry may be NULL (ones for one-element tensors). */
NG_API ng_status ng_autograd_backward(ng_tensor* const* tensors, ng_tensor* const* grads, int32_t count, int32_t retain_graph, int32_t create_graph);
/* out receives `input_count` handles; an entry is NULL for an unused input when allow_unused. */
NG_API ng_status ng_autograd_grad(ng_tensor* const* outputs, ng_tensor* const* grad_outputs, int32_t output_count, ng_tensor* const* inputs, int32_t input_count, int32_t retain_graph, int32_t create_graph, int32_t allow_unused, ng_tensor** out);

/* The node that computed a tensor (NULL for leaves); released with ng_node_release. */
NG_API ng_status ng_tensor_grad_fn(const ng_tensor* t, ng_node** out);
NG_API void ng_node_release(ng_node* node);
/* The name is valid while the node lives. */
NG_API ng_status ng_node_name(const ng_node* node, const char** out);
/* A stable identity for the node while it lives (for graph export). */
NG_API ng_status ng_node_id(const ng_node* node, uint64_t* out);
NG_API ng_status ng_node_next_count(const ng_node* node, int32_t* out);
/* *out is NULL where the input needs no gradient. */
NG_API ng_status ng_node_next(const ng_node* node, int32_t index, ng_node** out, int32_t* input_nr);
/* For an AccumulateGrad node, the leaf tensor it accumulates into (else NULL). */
NG_API ng_status ng_node_variable(const ng_node* node, ng_tensor** out);
/* Shapes of the tensors the node saved for its backward pass (for graph export). */
NG_API ng_status ng_node_saved_count(const ng_node* node, int32_t* out);
/* sizes must hold NG_MAX_RANK values. */
NG_API ng_status ng_node_saved_shape(const ng_node* node, int32_t index, int32_t* ndim, int64_t* sizes);

/* Tensor hooks. The hook receives a borrowed gradient and may set *replacement to a new reference
 * (or leave it NULL to keep the gradient). A non-OK return stops the backward pass, which then
 * fails with NG_STATUS_CALLBACK_FAILED. `release` is called with ctx once the hook is removed or
 * its tensor is freed. */
typedef ng_status (*ng_tensor_hook_fn)(void* ctx, ng_tensor* grad, ng_tensor** replacement);
typedef void (*ng_release_fn)(void* ctx);
NG_API ng_status ng_tensor_register_hook(ng_tensor* t, ng_tensor_hook_fn fn, void* ctx, ng_release_fn release, int64_t* handle);
NG_API ng_status ng_tensor_remove_hook(ng_tensor* t, int64_t handle, int32_t* removed);

#ifdef __cplusplus
}
#endif

#endif /* NATIVEGRAD_H */
