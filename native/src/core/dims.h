// Fixed-capacity list of sizes or strides: ranks up to NG_MAX_RANK without heap allocation,
// which keeps the per-op cost of creating a tensor small.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"

namespace ng {

constexpr int kMaxRank = NG_MAX_RANK;

class Dims {
public:
    Dims() = default;
    Dims(std::initializer_list<int64_t> values) { assign(values.begin(), static_cast<int>(values.size())); }
    Dims(const int64_t* values, int count) { assign(values, count); }
    explicit Dims(const std::vector<int64_t>& values) {
        assign(values.data(), static_cast<int>(values.size()));
    }
    static Dims filled(int count, int64_t value) {
        Dims d;
        d.resize(count);
        for (int i = 0; i < count; ++i) d.v_[i] = value;
        return d;
    }

    int size() const noexcept { return n_; }
    bool empty() const noexcept { return n_ == 0; }
    int64_t operator[](int i) const noexcept { return v_[i]; }
    int64_t& operator[](int i) noexcept { return v_[i]; }
    const int64_t* data() const noexcept { return v_; }
    int64_t* data() noexcept { return v_; }
    const int64_t* begin() const noexcept { return v_; }
    const int64_t* end() const noexcept { return v_ + n_; }

    void resize(int count) {
        NG_CHECK_ARG(count >= 0 && count <= kMaxRank, "tensors have at most ", kMaxRank,
                     " dimensions, got ", count);
        for (int i = n_; i < count; ++i) v_[i] = 0;
        n_ = count;
    }
    void push_back(int64_t x) {
        resize(n_ + 1);
        v_[n_ - 1] = x;
    }
    void insert(int pos, int64_t x) {
        resize(n_ + 1);
        for (int i = n_ - 1; i > pos; --i) v_[i] = v_[i - 1];
        v_[pos] = x;
    }
    void erase(int pos) {
        for (int i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
        --n_;
    }
    int64_t product() const noexcept {
        int64_t p = 1;
        for (int i = 0; i < n_; ++i) p *= v_[i];
        return p;
    }
    std::vector<int64_t> vec() const { return std::vector<int64_t>(v_, v_ + n_); }

    bool operator==(const Dims& o) const noexcept {
        if (n_ != o.n_) return false;
        for (int i = 0; i < n_; ++i)
            if (v_[i] != o.v_[i]) return false;
        return true;
    }
    bool operator!=(const Dims& o) const noexcept { return !(*this == o); }

    // "[2,3]" — the form used in every error message.
    std::string str() const {
        std::string s = "[";
        for (int i = 0; i < n_; ++i) {
            if (i) s += ",";
            s += std::to_string(v_[i]);
        }
        return s + "]";
    }

private:
    void assign(const int64_t* values, int count) {
        resize(count);
        for (int i = 0; i < count; ++i) v_[i] = values[i];
    }
    int n_ = 0;
    int64_t v_[kMaxRank] = {};
};

inline std::ostream& operator<<(std::ostream& os, const Dims& d) { return os << d.str(); }

// Row-major strides of a contiguous tensor with the given sizes.
inline Dims contiguous_strides(const Dims& sizes) {
    Dims s = Dims::filled(sizes.size(), 1);
    int64_t acc = 1;
    for (int i = sizes.size() - 1; i >= 0; --i) {
        s[i] = acc;
        acc *= sizes[i] > 1 ? sizes[i] : 1;
    }
    return s;
}

// Wraps a possibly negative dimension index into [0, rank) or fails naming the operation.
inline int wrap_dim(int64_t dim, int rank, const char* op) {
    const int64_t r = rank == 0 ? 1 : rank;  // a 0-dim tensor accepts dim 0 and -1, as in PyTorch
    NG_CHECK_INDEX(dim >= -r && dim < r, op, ": dimension ", dim, " is out of range for a tensor of rank ",
                   rank, " (expected a value in [", -r, ", ", r - 1, "])");
    return static_cast<int>(dim < 0 ? dim + r : dim);
}

}  // namespace ng
