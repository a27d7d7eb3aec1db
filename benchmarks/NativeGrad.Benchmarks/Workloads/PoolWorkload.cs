using NativeGrad.NN;

namespace NativeGrad.Benchmarks.Workloads;

/// <summary>2×2 stride-2 max/avg pooling on 64×16×28×28 float32 NCHW, as in ANCHORS.md.</summary>
internal sealed class PoolWorkload : IDisposable
{
    public const int Batch = 64, Channels = 16, Size = 28;

    private readonly Tensor _x, _gradOut;

    public PoolWorkload()
    {
        _x = Tensor.Rand(Batch, Channels, Size, Size).RequiresGrad_();
        _gradOut = Tensor.Rand(Batch, Channels, Size / 2, Size / 2);
    }

    public void MaxForward()
    {
        using GradModeScope _ = Autograd.NoGrad();
        using Tensor y = Functional.MaxPool2d(_x, 2, 2);
    }

    public void MaxForwardBackward()
    {
        using (Tensor y = Functional.MaxPool2d(_x, 2, 2))
            y.Backward(_gradOut);
        _x.Grad = null;
    }

    public void AvgForward()
    {
        using GradModeScope _ = Autograd.NoGrad();
        using Tensor y = Functional.AvgPool2d(_x, 2, 2);
    }

    public void AvgForwardBackward()
    {
        using (Tensor y = Functional.AvgPool2d(_x, 2, 2))
            y.Backward(_gradOut);
        _x.Grad = null;
    }

    public float[] InputArray() => _x.ToArray<float>();

    public void Dispose()
    {
        _x.Dispose();
        _gradOut.Dispose();
    }
}
