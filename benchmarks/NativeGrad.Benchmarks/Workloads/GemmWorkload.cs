using NativeGrad.Benchmarks.Managed;

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
