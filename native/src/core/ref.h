// Intrusive reference counting: the count lives in the object, so a C handle is the object's own
// address and retaining or releasing it costs one atomic operation.
#pragma once
#include <atomic>
#include <cstdint>
#include <utility>

namespace ng {

class RefCounted {
public:
    RefCounted() = default;
    RefCounted(const RefCounted&) = delete;
    RefCounted& operator=(const RefCounted&) = delete;
    virtual ~RefCounted() = default;

    void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() const noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) const_cast<RefCounted*>(this)->destroy();
    }
    int32_t ref_count() const noexcept { return refs_.load(std::memory_order_relaxed); }

protected:
    // Frees the object when the last reference goes; objects placed in custom memory override it.
    virtual void destroy() noexcept { delete this; }

private:
    mutable std::atomic<int32_t> refs_{1};
};

// Owning smart pointer over a RefCounted object.
template <class T>
class Ref {
public:
    Ref() noexcept = default;
    Ref(std::nullptr_t) noexcept {}
    // Takes over a reference the caller already holds (e.g. a freshly constructed object).
    static Ref adopt(T* p) noexcept {
        Ref r;
        r.p_ = p;
        return r;
    }
    // Adds a reference to an object someone else owns.
    static Ref borrow(T* p) noexcept {
        if (p) p->retain();
        return adopt(p);
    }
    Ref(const Ref& o) noexcept : p_(o.p_) {
        if (p_) p_->retain();
    }
    Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    template <class U>
    Ref(Ref<U> o) noexcept : p_(o.detach()) {}
    Ref& operator=(Ref o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~Ref() {
        if (p_) p_->release();
    }
    T* get() const noexcept { return p_; }
    T* operator->() const noexcept { return p_; }
    T& operator*() const noexcept { return *p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }
    // Gives up ownership without releasing (the reference moves to the caller).
    T* detach() noexcept { return std::exchange(p_, nullptr); }
    bool operator==(const Ref& o) const noexcept { return p_ == o.p_; }
    bool operator!=(const Ref& o) const noexcept { return p_ != o.p_; }

private:
    T* p_ = nullptr;
};

template <class T, class... Args>
Ref<T> make_ref(Args&&... args) {
    return Ref<T>::adopt(new T(std::forward<Args>(args)...));
}

}  // namespace ng
