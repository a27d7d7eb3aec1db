#include "cpu/cpu_features.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

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
    // AVX-512 also needs the opmask registers and the upper halves and upper 16 of the ZMM
    // registers saved (XCR0 bits 5-7).
    const bool zmm_enabled = ymm_enabled && (xgetbv0() & 0xE6) == 0xE6;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        f.avx2 = ymm_enabled && ((r[1] >> 5) & 1);
        f.avx512f = zmm_enabled && ((r[1] >> 16) & 1);
    }
#endif
    return f;
}

const Features& features() {
    static const Features f = detect();
    return f;
}

bool equals_ignoring_case(const char* a, const char* b) {
    for (; *a && *b; ++a, ++b)
        if (std::tolower(static_cast<unsigned char>(*a)) != *b) return false;
    return *a == *b;
}

Isa choose() {
    const Isa best = cpu_has_avx512f() ? Isa::Avx512 : cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Generic;
    Isa cap = best;
    if (const char* env = std::getenv("NATIVEGRAD_ISA")) {
        if (equals_ignoring_case(env, "generic")) cap = Isa::Generic;
        else if (equals_ignoring_case(env, "avx2")) cap = Isa::Avx2;
        else if (equals_ignoring_case(env, "avx512")) cap = Isa::Avx512;
    }
    return std::min(best, cap);
}
}  // namespace

bool cpu_has_avx2_fma() { return features().avx2 && features().fma; }

bool cpu_has_avx512f() { return features().avx512f && cpu_has_avx2_fma(); }

Isa active_isa() {
    static const Isa isa = choose();
    return isa;
}

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Avx512: return "avx512";
        case Isa::Avx2: return "avx2";
        case Isa::Generic: break;
    }
    return "generic";
}

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
