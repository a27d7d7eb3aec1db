using System.Runtime.InteropServices;
using NativeGrad.Benchmarks.Managed;
using NativeGrad.Benchmarks.Support;

namespace NativeGrad.Benchmarks.Workloads;

/// <summary>Square float32 GEMM C = A·B through <see cref="Tensor.MatMul"/>, new result each call.</summary>
internal sealed class GemmWorkload : IDisposable
{
    private readonly Tensor _a, _b;

    public GemmWorkload(int n)
    {
        N = n;
        _a = Tensor.Rand(n, n);
        _b = Tensor.Rand(n, n);
    }

    public int N { get; }

    /// <summary>2·N³: one multiply and one add per inner-product term.</summary>
    public double Flop => 2.0 * N * N * N;

    public void Native()
    {
        using Tensor c = _a.MatMul(_b);
    }

    /// <summary>Copies A and B, row-major, into the given spans (for the same product in another library).</summary>
    public void CopyOperands(Span<float> a, Span<float> b)
    {
        _a.ToArray<float>().CopyTo(a);
        _b.ToArray<float>().CopyTo(b);
    }

    /// <summary>A·B, row-major.</summary>
    public float[] Product()
    {
        using Tensor c = _a.MatMul(_b);
        return c.ToArray<float>();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}

/// <summary>The same GEMM in managed C#, for comparison (row-major float arrays, one thread).</summary>
internal sealed class ManagedGemmWorkload
{
    private readonly float[] _a, _b, _c;

    public ManagedGemmWorkload(int n)
    {
        N = n;
        var rng = new Random(42);
        _a = new float[n * n];
        _b = new float[n * n];
        _c = new float[n * n];
        for (int i = 0; i < _a.Length; i++) { _a[i] = rng.NextSingle(); _b[i] = rng.NextSingle(); }
    }

    public int N { get; }

    public double Flop => 2.0 * N * N * N;

    public void PlainLoops() => ManagedGemm.PlainLoops(_a, _b, _c, N);

    public void TensorPrimitivesRows() => ManagedGemm.TensorPrimitivesRows(_a, _b, _c, N);

    public void Vector256Blocked() => ManagedGemm.Vector256Blocked(_a, _b, _c, N);

    /// <summary>Largest relative difference between the two vectorised results and the plain loops (a sanity check).</summary>
    public double CheckAgreement()
    {
        var reference = new float[_c.Length];
        ManagedGemm.PlainLoops(_a, _b, reference, N);
        double worst = 0;
        ManagedGemm.TensorPrimitivesRows(_a, _b, _c, N);
        worst = Math.Max(worst, MaxRel(reference, _c));
        ManagedGemm.Vector256Blocked(_a, _b, _c, N);
        return Math.Max(worst, MaxRel(reference, _c));
    }

    private static double MaxRel(float[] x, float[] y)
    {
        double m = 0;
        for (int i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]) / Math.Max(1e-6, Math.Abs(x[i])));
        return m;
    }
}

/// <summary>
/// The same square SGEMM through OpenBLAS (when installed), on copies of a <see cref="GemmWorkload"/>'s
/// operands in 64-byte aligned native memory; the result buffer is reused across calls.
/// </summary>
internal sealed unsafe class OpenBlasGemmWorkload : IDisposable
{
    private readonly float* _a, _b, _c;

    public OpenBlasGemmWorkload(GemmWorkload w)
    {
        N = w.N;
        nuint bytes = (nuint)(N * N * sizeof(float));
        _a = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _b = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _c = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        w.CopyOperands(new Span<float>(_a, N * N), new Span<float>(_b, N * N));
    }

    public int N { get; }

    public double Flop => 2.0 * N * N * N;

    public void Run() => OpenBlas.SquareSgemm(N, _a, _b, _c);

    /// <summary>Largest difference from NativeGrad's product relative to its largest element (a sanity check on the call).</summary>
    public double CheckAgreement(GemmWorkload w)
    {
        Run();
        float[] expected = w.Product();
        double worst = 0, scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - _c[i]));
        return worst / Math.Max(scale, 1e-30);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }
}
