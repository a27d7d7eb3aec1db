using System.Numerics.Tensors;

namespace NativeGrad.Benchmarks.Workloads;

/// <summary>
/// Per-op overhead through the C# API: tiny ops where the kernel is negligible and the figure is
/// argument checks + interop + result handle creation + disposal (ANCHORS: libtorch 1.6–1.8 µs).
/// </summary>
internal sealed class OverheadWorkload : IDisposable
{
    private readonly Tensor _a = Tensor.Rand(1);
    private readonly Tensor _b = Tensor.Rand(1);

    /// <summary>a + b on 1-element tensors, result created and disposed.</summary>
    public void Add1()
    {
        using Tensor r = _a + _b;
    }

    /// <summary>relu of a 1-element tensor, result created and disposed.</summary>
    public void Relu1()
    {
        using Tensor r = _a.Relu();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}

/// <summary>Elementwise add of two large float vectors into a new result: memory-bandwidth bound.</summary>
internal sealed class LargeAddWorkload : IDisposable
{
    /// <summary>4M floats = 16 MiB per operand: far beyond the caches.</summary>
    public const int DefaultLength = 4 * 1024 * 1024;

    private readonly Tensor _x, _y;
    private readonly float[] _mx, _my, _mOut;

    public LargeAddWorkload(int length = DefaultLength)
    {
        Length = length;
        _x = Tensor.Rand(length);
        _y = Tensor.Rand(length);
        _mx = _x.ToArray<float>();
        _my = _y.ToArray<float>();
        _mOut = new float[length];
    }

    public int Length { get; }

    /// <summary>Bytes moved by one add: two operands read, one result written.</summary>
    public double Bytes => 3.0 * sizeof(float) * Length;

    /// <summary>NativeGrad: x + y, new result, disposed.</summary>
    public void Native()
    {
        using Tensor r = _x + _y;
    }

    /// <summary>Managed comparison: System.Numerics.Tensors into a newly allocated array (a new result, like the native op).</summary>
    public float[] ManagedNewResult()
    {
        float[] r = GC.AllocateUninitializedArray<float>(Length);
        TensorPrimitives.Add(_mx, _my, r);
        return r;
    }

    /// <summary>Managed comparison without allocation: System.Numerics.Tensors into a reused array.</summary>
    public void ManagedInPlace() => TensorPrimitives.Add(_mx, _my, _mOut);

    public void Dispose()
    {
        _x.Dispose();
        _y.Dispose();
    }
}
