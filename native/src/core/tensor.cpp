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

void* TensorImpl::operator new(size_t bytes) { return allocate(bytes); }
void TensorImpl::operator delete(void* p, size_t bytes) noexcept { deallocate(p, bytes); }

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
    const int64_t n = sizes.product();
    auto storage = Storage::create(static_cast<size_t>(n) * element_size(dtype));
    return Tensor(make_ref<TensorImpl>(std::move(storage), dtype, sizes, contiguous_strides(sizes), 0));
}

Tensor make_alias(const Tensor& base, const Dims& sizes, const Dims& strides, int64_t offset) {
    return Tensor(make_ref<TensorImpl>(base->storage(), base.dtype(), sizes, strides, offset));
}

}  // namespace ng
