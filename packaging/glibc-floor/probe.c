/* Runs the shipped Linux library the way a .NET process does (dlopen, then C ABI calls) and checks
 * real results. packaging/glibc-floor-test.sh compiles it inside a Debian 11 (glibc 2.31) root
 * with that system's compiler, so nothing here can need a newer glibc than the floor.
 *
 *   probe <path of libnativegrad.so>           exit status 0 = every check passed
 *
 * Checks: the library and its libgomp.so.1 load; matmul (OpenMP, 2 threads), conv2d and a
 * backward pass agree with naive references; a shape mismatch comes back as a status plus a
 * message, i.e. a C++ exception was thrown and caught inside the library (stack unwinding
 * works on this C library); the default random generator (seeded from the OS) works. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nativegrad/nativegrad.h"

static void* lib;
static int failures;

/* Typed pointer to a C ABI function, looked up in the dlopen'ed library. */
#define NG_FN(name) __typeof__(&name) p_##name = (__typeof__(&name))load(#name)

static void* load(const char* name) {
    void* f = dlsym(lib, name);
    if (!f) {
        fprintf(stderr, "FAIL: %s not exported: %s\n", name, dlerror());
        exit(2);
    }
    return f;
}

static void check(int ok, const char* what) {
    printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

static double close_to(const float* got, const double* want, long n) {
    double worst = 0;
    for (long i = 0; i < n; ++i) {
        double err = fabs(got[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(err <= worst)) worst = err; /* NaN counts as worst */
    }
    return worst;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: probe <libnativegrad.so>\n");
        return 2;
    }
    printf("glibc (gnu_get_libc_version): %s\n", gnu_get_libc_version());
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "FAIL: dlopen: %s\n", dlerror());
        return 1;
    }
    /* The OpenMP runtime must be the copy shipped beside the library (RUNPATH=$ORIGIN), not a
     * system one: the package's promise is that it brings its own. */
    {
        void* gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
        struct link_map* map = NULL;
        const char* slash = strrchr(argv[1], '/');
        size_t dir_len = slash ? (size_t)(slash - argv[1] + 1) : 0;
        int ok = gomp && dlinfo(gomp, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name &&
                 strncmp(map->l_name, argv[1], dir_len) == 0 && strchr(map->l_name + dir_len, '/') == NULL;
        printf("      libgomp.so.1 loaded from %s\n", ok || (map && map->l_name) ? map->l_name : "(not loaded)");
        check(ok, "libgomp.so.1 is the shipped copy");
    }
    NG_FN(ng_version);
    NG_FN(ng_abi_version);
    NG_FN(ng_cpu_features);
    NG_FN(ng_last_error);
    NG_FN(ng_set_num_threads);
    NG_FN(ng_get_num_threads);
    NG_FN(ng_tensor_from_data);
    NG_FN(ng_tensor_copy_to);
    NG_FN(ng_tensor_release);
    NG_FN(ng_tensor_matmul);
    NG_FN(ng_nn_conv2d);
    NG_FN(ng_tensor_binary);
    NG_FN(ng_tensor_reduce);
    NG_FN(ng_tensor_set_requires_grad);
    NG_FN(ng_autograd_backward);
    NG_FN(ng_tensor_grad);
    NG_FN(ng_tensor_rand);
    NG_FN(ng_live_tensor_count);

    printf("NativeGrad %s (ABI %d), CPU: %s\n", p_ng_version(), (int)p_ng_abi_version(), p_ng_cpu_features());
    check(p_ng_abi_version() == NG_ABI_VERSION, "ABI version matches the header");
    check(p_ng_set_num_threads(2) == NG_STATUS_OK, "set_num_threads(2)");
    int32_t threads = 0;
    p_ng_get_num_threads(&threads);
    check(threads == 2, "2 threads");

    /* matmul: sizes that are not multiples of any block, large enough to run in parallel. */
    {
        enum { M = 131, K = 67, N = 97 };
        static float a[M * K], b[K * N], c[M * N];
        static double ref[M * N];
        for (int i = 0; i < M * K; ++i) a[i] = (float)((i * 37 % 101) - 50) / 25.0f;
        for (int i = 0; i < K * N; ++i) b[i] = (float)((i * 53 % 89) - 44) / 22.0f;
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) {
                double s = 0;
                for (int k = 0; k < K; ++k) s += (double)a[i * K + k] * b[k * N + j];
                ref[i * N + j] = s;
            }
        int64_t sa[2] = {M, K}, sb[2] = {K, N};
        ng_tensor *ta = NULL, *tb = NULL, *tc = NULL;
        int ok = p_ng_tensor_from_data(a, sizeof a, sa, 2, NG_DTYPE_FLOAT32, &ta) == NG_STATUS_OK &&
                 p_ng_tensor_from_data(b, sizeof b, sb, 2, NG_DTYPE_FLOAT32, &tb) == NG_STATUS_OK &&
                 p_ng_tensor_matmul(ta, tb, &tc) == NG_STATUS_OK &&
                 p_ng_tensor_copy_to(tc, c, sizeof c) == NG_STATUS_OK;
        double err = ok ? close_to(c, ref, M * N) : 1;
        printf("      matmul %dx%d @ %dx%d: max relative error %.2e\n", M, K, K, N, err);
        check(ok && err < 1e-4, "matmul matches the naive reference");

        /* The error path: the library throws a C++ exception for the shape mismatch and its C ABI
         * guard catches it. Without working unwinding the process would terminate here. */
        ng_tensor* bad = NULL;
        ng_status st = p_ng_tensor_matmul(ta, ta, &bad);
        const char* msg = p_ng_last_error();
        printf("      matmul %dx%d @ %dx%d: status %d, message \"%s\"\n", M, K, M, K, (int)st, msg ? msg : "(null)");
        check(st == NG_STATUS_SHAPE_MISMATCH && bad == NULL && msg && *msg, "shape mismatch: exception thrown and caught inside the library");
        p_ng_tensor_release(ta);
        p_ng_tensor_release(tb);
        p_ng_tensor_release(tc);
    }

    /* conv2d, stride 2, padding 1, odd sizes, with bias. */
    {
        enum { C = 3, H = 11, W = 13, O = 5, R = 3, S = 3, OH = (H + 2 - R) / 2 + 1, OW = (W + 2 - S) / 2 + 1 };
        static float x[C * H * W], w[O * C * R * S], bias[O], y[O * OH * OW];
        static double ref[O * OH * OW];
        for (int i = 0; i < C * H * W; ++i) x[i] = (float)((i * 29 % 61) - 30) / 15.0f;
        for (int i = 0; i < O * C * R * S; ++i) w[i] = (float)((i * 17 % 43) - 21) / 21.0f;
        for (int o = 0; o < O; ++o) bias[o] = 0.25f * (float)o - 0.5f;
        for (int o = 0; o < O; ++o)
            for (int oh = 0; oh < OH; ++oh)
                for (int ow = 0; ow < OW; ++ow) {
                    double s = bias[o];
                    for (int c = 0; c < C; ++c)
                        for (int r = 0; r < R; ++r)
                            for (int q = 0; q < S; ++q) {
                                int ih = oh * 2 - 1 + r, iw = ow * 2 - 1 + q;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                s += (double)x[(c * H + ih) * W + iw] * w[((o * C + c) * R + r) * S + q];
                            }
                    ref[(o * OH + oh) * OW + ow] = s;
                }
        int64_t sx[4] = {1, C, H, W}, sw[4] = {O, C, R, S}, sbias[1] = {O};
        ng_tensor *tx = NULL, *tw = NULL, *tbias = NULL, *ty = NULL;
        int ok = p_ng_tensor_from_data(x, sizeof x, sx, 4, NG_DTYPE_FLOAT32, &tx) == NG_STATUS_OK &&
                 p_ng_tensor_from_data(w, sizeof w, sw, 4, NG_DTYPE_FLOAT32, &tw) == NG_STATUS_OK &&
                 p_ng_tensor_from_data(bias, sizeof bias, sbias, 1, NG_DTYPE_FLOAT32, &tbias) == NG_STATUS_OK &&
                 p_ng_nn_conv2d(tx, tw, tbias, 2, 2, 1, 1, 1, 1, 1, &ty) == NG_STATUS_OK &&
                 p_ng_tensor_copy_to(ty, y, sizeof y) == NG_STATUS_OK;
        double err = ok ? close_to(y, ref, O * OH * OW) : 1;
        printf("      conv2d 1x%dx%dx%d * %dx%dx%dx%d: max relative error %.2e\n", C, H, W, O, C, R, S, err);
        check(ok && err < 1e-4, "conv2d matches the naive reference");
        p_ng_tensor_release(tx);
        p_ng_tensor_release(tw);
        p_ng_tensor_release(tbias);
        p_ng_tensor_release(ty);
    }

    /* autograd: d/dx sum(x * x) = 2x, over 1009 elements (prime). */
    {
        enum { N = 1009 };
        static float x[N], g[N];
        static double ref[N];
        for (int i = 0; i < N; ++i) {
            x[i] = (float)((i * 7 % 23) - 11) / 7.0f;
            ref[i] = 2.0 * x[i];
        }
        int64_t sx[1] = {N};
        ng_tensor *tx = NULL, *sq = NULL, *loss = NULL, *grad = NULL;
        int ok = p_ng_tensor_from_data(x, sizeof x, sx, 1, NG_DTYPE_FLOAT32, &tx) == NG_STATUS_OK &&
                 p_ng_tensor_set_requires_grad(tx, 1) == NG_STATUS_OK &&
                 p_ng_tensor_binary(NG_BINARY_OP_MUL, tx, tx, &sq) == NG_STATUS_OK &&
                 p_ng_tensor_reduce(NG_REDUCE_OP_SUM, sq, NULL, 0, 0, &loss) == NG_STATUS_OK &&
                 p_ng_autograd_backward(&loss, NULL, 1, 0, 0) == NG_STATUS_OK &&
                 p_ng_tensor_grad(tx, &grad) == NG_STATUS_OK && grad != NULL &&
                 p_ng_tensor_copy_to(grad, g, sizeof g) == NG_STATUS_OK;
        double err = ok ? close_to(g, ref, N) : 1;
        printf("      backward of sum(x*x), %d elements: max relative error %.2e\n", N, err);
        check(ok && err < 1e-6, "autograd gradient is 2x");
        p_ng_tensor_release(grad);
        p_ng_tensor_release(loss);
        p_ng_tensor_release(sq);
        p_ng_tensor_release(tx);
    }

    /* The default generator (seeded from the OS) gives values in [0, 1). */
    {
        int64_t s[1] = {257};
        ng_tensor* r = NULL;
        static float v[257];
        int ok = p_ng_tensor_rand(s, 1, NG_DTYPE_FLOAT32, NULL, &r) == NG_STATUS_OK &&
                 p_ng_tensor_copy_to(r, v, sizeof v) == NG_STATUS_OK;
        for (int i = 0; ok && i < 257; ++i) ok = v[i] >= 0.0f && v[i] < 1.0f;
        check(ok, "rand with the default generator");
        p_ng_tensor_release(r);
    }

    check(p_ng_live_tensor_count() == 0, "no tensor leaked");
    printf("%s: %d check(s) failed\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}
