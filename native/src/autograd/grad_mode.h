// Whether operations record autograd history. Thread-local, as in PyTorch.
#pragma once

namespace ng {

struct GradMode {
    static bool is_enabled() noexcept;
    static void set_enabled(bool enabled) noexcept;
};

// Sets grad mode for a scope and restores the previous value on exit.
class GradModeGuard {
public:
    explicit GradModeGuard(bool enabled) : previous_(GradMode::is_enabled()) {
        GradMode::set_enabled(enabled);
    }
    ~GradModeGuard() { GradMode::set_enabled(previous_); }
    GradModeGuard(const GradModeGuard&) = delete;
    GradModeGuard& operator=(const GradModeGuard&) = delete;

private:
    bool previous_;
};

}  // namespace ng
