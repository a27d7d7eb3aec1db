using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeGrad.Benchmarks.Managed;

/// <summary>
/// Managed C# GEMMs (row-major, C = A·B, square N) that a .NET developer could write without a native
/// library: the baseline the native kernel is compared with. Single-threaded on purpose: they show
/// what the per-core code achieves.
/// </summary>
internal static class ManagedGemm
{
    /// <summary>Plain i-k-j loops (the cache-friendly order; the JIT does not auto-vectorise).</summary>
    public static void PlainLoops(float[] a, float[] b, float[] c, int n)
    {
        Array.Clear(c);
        for (int i = 0; i < n; i++)
        {
            int ci = i * n;
            for (int k = 0; k < n; k++)
            {
                float aik = a[ci + k];
                int bk = k * n;
                for (int j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
            }
        }
    }

    /// <summary>i-k-j with each row update done by <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void TensorPrimitivesRows(float[] a, float[] b, float[] c, int n)
    {
        Array.Clear(c);
        for (int i = 0; i < n; i++)
        {
            Span<float> crow = c.AsSpan(i * n, n);
            for (int k = 0; k < n; k++)
                TensorPrimitives.MultiplyAdd(b.AsSpan(k * n, n), a[i * n + k], crow, crow);
        }
    }

    /// <summary>
    /// A register-blocked Vector256 kernel: 4 rows × 16 columns of C stay in 8 accumulators while k
    /// runs, so each loaded B vector feeds 4 FMAs. No packing, so large N is limited by cache misses.
    /// Falls back to <see cref="TensorPrimitivesRows"/> without FMA or when N is not a multiple of 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Vector256Blocked(float[] a, float[] b, float[] c, int n)
    {
        if (!Fma.IsSupported || n % 16 != 0)
        {
            TensorPrimitivesRows(a, b, c, n);
            return;
        }
        ref float ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref float rb = ref MemoryMarshal.GetArrayDataReference(b);
        ref float rc = ref MemoryMarshal.GetArrayDataReference(c);
        for (int i = 0; i < n; i += 4)
        {
            for (int j = 0; j < n; j += 16)
            {
                Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
                Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
                for (int k = 0; k < n; k++)
                {
                    ref float bkj = ref Unsafe.Add(ref rb, k * n + j);
                    Vector256<float> b0 = Vector256.LoadUnsafe(ref bkj);
                    Vector256<float> b1 = Vector256.LoadUnsafe(ref bkj, 8);
                    Vector256<float> a0 = Vector256.Create(Unsafe.Add(ref ra, i * n + k));
                    Vector256<float> a1 = Vector256.Create(Unsafe.Add(ref ra, (i + 1) * n + k));
                    Vector256<float> a2 = Vector256.Create(Unsafe.Add(ref ra, (i + 2) * n + k));
                    Vector256<float> a3 = Vector256.Create(Unsafe.Add(ref ra, (i + 3) * n + k));
                    c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
                    c10 = Fma.MultiplyAdd(a1, b0, c10); c11 = Fma.MultiplyAdd(a1, b1, c11);
                    c20 = Fma.MultiplyAdd(a2, b0, c20); c21 = Fma.MultiplyAdd(a2, b1, c21);
                    c30 = Fma.MultiplyAdd(a3, b0, c30); c31 = Fma.MultiplyAdd(a3, b1, c31);
                }
                c00.StoreUnsafe(ref rc, (nuint)(i * n + j)); c01.StoreUnsafe(ref rc, (nuint)(i * n + j + 8));
                c10.StoreUnsafe(ref rc, (nuint)((i + 1) * n + j)); c11.StoreUnsafe(ref rc, (nuint)((i + 1) * n + j + 8));
                c20.StoreUnsafe(ref rc, (nuint)((i + 2) * n + j)); c21.StoreUnsafe(ref rc, (nuint)((i + 2) * n + j + 8));
                c30.StoreUnsafe(ref rc, (nuint)((i + 3) * n + j)); c31.StoreUnsafe(ref rc, (nuint)((i + 3) * n + j + 8));
            }
        }
    }
}
