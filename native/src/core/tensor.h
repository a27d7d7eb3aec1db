// TensorImpl: layout (sizes, strides, offset) over a shared Storage, plus optional autograd
// metadata. Tensor: the value-semantic handle the core's C++ code passes around.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/dims.h"
#include "core/dtype.h"
#include "core/ref.h"
#include "core/storage.h"

namespace ng {

class Node;
struct TensorHooks;
class TensorImpl;

class Tensor {
public:
    Tensor() = default;
    explicit Tensor(Ref<TensorImpl> impl) : impl_(std::move(impl)) {}

    bool defined() const noexcept { return static_cast<bool>(impl_); }
    TensorImpl* impl() const noexcept { return impl_.get(); }
    const Ref<TensorImpl>& ref() const noexcept { return impl_; }
    TensorImpl* operator->() const noexcept { return impl_.get(); }
    bool same(const Tensor& o) const noexcept { return impl_ == o.impl_; }
    // Gives up this handle's reference without releasing it (see api::BorrowedTensor).
    TensorImpl* forget() noexcept { return impl_.detach(); }

    // Convenience accessors (defined below TensorImpl).
    const Dims& sizes() const;
    const Dims& strides() const;
    int dim() const;
    int64_t size(int d) const;
    int64_t numel() const;
    DType dtype() const;
    bool is_contiguous() const;
    bool requires_grad() const;
    template <class T> T* data() const;
    void* raw_data() const;

private:
    Ref<TensorImpl> impl_;
};

// Hooks and retained gradient of one tensor. Shared between the tensor and the autograd node
// that produces it, so the engine can run them without the node owning the tensor.
struct TensorHook {
    int64_t id;
    // Returns a replacement gradient or an undefined Tensor to keep the current one.
    std::function<Tensor(const Tensor&)> fn;
};
struct TensorHooks {
    std::vector<TensorHook> hooks;
    bool retains_grad = false;
    Tensor retained_grad;
};

struct AutogradMeta {
    AutogradMeta() = default;
    ~AutogradMeta();  // releases grad_fn without deep recursion (see autograd/node.cpp)
    AutogradMeta(const AutogradMeta&) = delete;
    AutogradMeta& operator=(const AutogradMeta&) = delete;
    bool requires_grad = false;
    Tensor grad;                          // accumulated gradient of a leaf
    std::shared_ptr<Node> grad_fn;        // null for leaves
    uint32_t output_nr = 0;               // which output of grad_fn this tensor is
    std::weak_ptr<Node> grad_accumulator; // a leaf's AccumulateGrad node while a graph uses it
    std::shared_ptr<TensorHooks> hooks;
};

class TensorImpl final : public RefCounted {
public:
    TensorImpl(Ref<Storage> storage, DType dtype, const Dims& sizes, const Dims& strides,
               int64_t offset);
    // A fresh contiguous tensor over all of `storage` (row-major strides computed here).
    struct Contiguous {};
    TensorImpl(Contiguous, Ref<Storage> storage, DType dtype, const Dims& sizes, int64_t numel);
    ~TensorImpl() override;

    // Tensor objects come from the caching allocator's per-thread bins, not malloc: creating and
    // freeing one is on the path of every operation.
    static void* operator new(size_t bytes);
    static void operator delete(void* p, size_t bytes) noexcept;

    // A new contiguous tensor and its storage in one allocation (see empty_tensor).
    static Ref<TensorImpl> create_with_storage(DType dtype, const Dims& sizes);

    const Dims& sizes() const noexcept { return sizes_; }
    const Dims& strides() const noexcept { return strides_; }
    int64_t offset() const noexcept { return offset_; }
    DType dtype() const noexcept { return dtype_; }
    int dim() const noexcept { return sizes_.size(); }
    int64_t numel() const noexcept { return numel_; }
    const Ref<Storage>& storage() const noexcept { return storage_; }
    bool is_contiguous() const noexcept { return contiguous_; }
    void* data() const noexcept {
        return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(element_size(dtype_));
    }

    AutogradMeta* autograd() const noexcept { return meta_.get(); }
    AutogradMeta& autograd_mut();  // creates it on first use

    bool requires_grad() const noexcept { return meta_ && meta_->requires_grad; }
    const std::shared_ptr<Node>& grad_fn() const noexcept;
    bool is_leaf() const noexcept { return !meta_ || !meta_->grad_fn; }

    bool is_alive() const noexcept { return magic_ == kAlive; }
    static int64_t live_count() noexcept { return live_.load(std::memory_order_relaxed); }

private:
    static constexpr uint32_t kAlive = 0x4e475445;  // "NGTE"
    static constexpr uint32_t kDead = 0xdeadbeef;
    static std::atomic<int64_t> live_;

    void destroy() noexcept override;

    uint32_t magic_ = kAlive;
    DType dtype_;
    bool contiguous_;
    bool in_storage_block_ = false;  // placed in front of its storage's data, freed with it
    Dims sizes_;
    Dims strides_;
    int64_t offset_;
    int64_t numel_;
    Ref<Storage> storage_;
    std::unique_ptr<AutogradMeta> meta_;
};

inline const Dims& Tensor::sizes() const { return impl_->sizes(); }
inline const Dims& Tensor::strides() const { return impl_->strides(); }
inline int Tensor::dim() const { return impl_->dim(); }
inline int64_t Tensor::size(int d) const { return impl_->sizes()[d]; }
inline int64_t Tensor::numel() const { return impl_->numel(); }
inline DType Tensor::dtype() const { return impl_->dtype(); }
inline bool Tensor::is_contiguous() const { return impl_->is_contiguous(); }
inline bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad(); }
inline void* Tensor::raw_data() const { return impl_->data(); }
template <class T>
T* Tensor::data() const {
    return static_cast<T*>(impl_->data());
}

// A new contiguous tensor with uninitialised contents.
Tensor empty_tensor(const Dims& sizes, DType dtype);
// A tensor sharing `base`'s storage with another layout (no autograd metadata).
Tensor make_alias(const Tensor& base, const Dims& sizes, const Dims& strides, int64_t offset);
// True when sizes/strides describe a row-major dense layout (size-1 dims may have any stride).
bool compute_contiguous(const Dims& sizes, const Dims& strides);

}  // namespace ng
