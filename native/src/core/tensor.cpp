#include "core/tensor.h"

#include "autograd/node.h"
#include "core/allocator.h"

namespace ng {

std::atomic<int64_t> TensorImpl::live_{0};

bool compute_contiguous(const Dims& sizes, const Dims& strides) {
    for (int i = 0; i < sizes.size(); ++i)
        if (sizes[i] == 0) return true;  // an empty tensor is trivially dense
    int64_t expected = 1;
    for (int i = sizes.size() - 1; i >= 0; --i) {
        if (sizes[i] == 1) continue;
        if (strides[i] != expected) return false;
        expected *= sizes[i];
    }
    return true;
}

TensorImpl::TensorImpl(Ref<Storage> storage, DType dtype, const Dims& sizes, const Dims& strides,
                       int64_t offset)
    : dtype_(dtype),
      contiguous_(compute_contiguous(sizes, strides)),
      sizes_(sizes),
      strides_(strides),
      offset_(offset),
      numel_(sizes.product()),
      storage_(std::move(storage)) {
    live_.fetch_add(1, std::memory_order_relaxed);
}

TensorImpl::TensorImpl(Contiguous, Ref<Storage> storage, DType dtype, const Dims& sizes, int64_t numel)
    : dtype_(dtype), contiguous_(true), sizes_(sizes), offset_(0), numel_(numel), storage_(std::move(storage)) {
    strides_.resize(sizes.size());
    int64_t acc = 1;
    for (int i = sizes.size() - 1; i >= 0; --i) {
        strides_[i] = acc;
        acc *= sizes[i] > 1 ? sizes[i] : 1;
    }
    live_.fetch_add(1, std::memory_order_relaxed);
}

void* TensorImpl::operator new(size_t bytes) { return allocate(bytes); }
void TensorImpl::operator delete(void* p, size_t bytes) noexcept { deallocate(p, bytes); }

Ref<TensorImpl> TensorImpl::create_with_storage(DType dtype, const Dims& sizes) {
    // The tensor object, the storage header and the data share one block, so creating and
    // freeing a small tensor (the common case of a training loop's temporaries) costs one
    // allocation and one atomic reference count instead of two of each.
    constexpr size_t kImplBytes = (sizeof(TensorImpl) + kAlignment - 1) / kAlignment * kAlignment;
    const int64_t numel = sizes.product();
    const size_t nbytes = static_cast<size_t>(numel) * element_size(dtype);
    const size_t block = kImplBytes + Storage::header_bytes() + nbytes;
    void* mem = allocate(block);
    Ref<Storage> storage = Storage::create_in_block(mem, block, static_cast<char*>(mem) + kImplBytes, nbytes);
    auto* impl = ::new (mem) TensorImpl(Contiguous{}, std::move(storage), dtype, sizes, numel);
    impl->in_storage_block_ = true;
    return Ref<TensorImpl>::adopt(impl);
}

void TensorImpl::destroy() noexcept {
    if (!in_storage_block_) {
        delete this;
        return;
    }
    // The object lives in its storage's block: finish it first, then drop the storage reference,
    // which frees the block unless a view still shares the storage.
    Ref<Storage> storage = std::move(storage_);
    this->~TensorImpl();
}

TensorImpl::~TensorImpl() {
    magic_ = kDead;
    live_.fetch_sub(1, std::memory_order_relaxed);
}

AutogradMeta& TensorImpl::autograd_mut() {
    if (!meta_) meta_ = std::make_unique<AutogradMeta>();
    return *meta_;
}

const std::shared_ptr<Node>& TensorImpl::grad_fn() const noexcept {
    static const std::shared_ptr<Node> none;
    return meta_ ? meta_->grad_fn : none;
}

Tensor empty_tensor(const Dims& sizes, DType dtype) {
    for (int i = 0; i < sizes.size(); ++i)
        NG_CHECK_ARG(sizes[i] >= 0, "negative dimension ", sizes[i], " in shape ", sizes.str());
    return Tensor(TensorImpl::create_with_storage(dtype, sizes));
}

Tensor make_alias(const Tensor& base, const Dims& sizes, const Dims& strides, int64_t offset) {
    return Tensor(make_ref<TensorImpl>(base->storage(), base.dtype(), sizes, strides, offset));
}

}  // namespace ng
