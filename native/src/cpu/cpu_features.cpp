#include "cpu/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#  if defined(_MSC_VER)
#    include <intrin.h>
#  else
#    include <cpuid.h>
#  endif
#  define NG_X86 1
#endif

namespace ng::cpu {
namespace {
struct Features {
    bool sse42 = false, avx = false, avx2 = false, fma = false, avx512f = false, osxsave = false;
};

#if NG_X86
void cpuid(int leaf, int sub, unsigned regs[4]) {
#  if defined(_MSC_VER)
    int r[4];
    __cpuidex(r, leaf, sub);
    for (int i = 0; i < 4; ++i) regs[i] = static_cast<unsigned>(r[i]);
#  else
    __cpuid_count(leaf, sub, regs[0], regs[1], regs[2], regs[3]);
#  endif
}
unsigned long long xgetbv0() {
#  if defined(_MSC_VER)
    return _xgetbv(0);
#  else
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<unsigned long long>(hi) << 32) | lo;
#  endif
}
#endif

Features detect() {
    Features f;
#if NG_X86
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    cpuid(1, 0, r);
    f.sse42 = (r[2] >> 20) & 1;
    f.fma = (r[2] >> 12) & 1;
    f.osxsave = (r[2] >> 27) & 1;
    f.avx = (r[2] >> 28) & 1;
    // The OS must save the YMM state, or AVX instructions fault.
    const bool ymm_enabled = f.osxsave && (xgetbv0() & 0x6) == 0x6;
    if (!ymm_enabled) f.avx = f.fma = false;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        f.avx2 = ymm_enabled && ((r[1] >> 5) & 1);
        f.avx512f = ymm_enabled && ((r[1] >> 16) & 1);
    }
#endif
    return f;
}

const Features& features() {
    static const Features f = detect();
    return f;
}

Isa choose() {
    if (const char* env = std::getenv("NATIVEGRAD_ISA")) {
        if (std::strcmp(env, "generic") == 0) return Isa::Generic;
    }
    return cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Generic;
}
}  // namespace

bool cpu_has_avx2_fma() { return features().avx2 && features().fma; }

Isa active_isa() {
    static const Isa isa = choose();
    return isa;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2" : "generic"; }

const std::string& cpu_features_description() {
    static const std::string text = [] {
        const Features& f = features();
        std::string s;
        auto add = [&s](bool on, const char* name) {
            if (!on) return;
            if (!s.empty()) s += ' ';
            s += name;
        };
        add(f.sse42, "sse4.2");
        add(f.avx, "avx");
        add(f.avx2, "avx2");
        add(f.fma, "fma");
        add(f.avx512f, "avx512f");
        if (s.empty()) s = "none";
        s += "; kernels=";
        s += isa_name(active_isa());
        return s;
    }();
    return text;
}
}  // namespace ng::cpu
