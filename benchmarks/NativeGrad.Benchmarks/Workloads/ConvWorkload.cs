using NativeGrad.NN;

namespace NativeGrad.Benchmarks.Workloads;

/// <summary>A conv2d problem (float32 NCHW, square kernel, stride 1), as in ANCHORS.md.</summary>
public sealed record ConvShape(string Name, int Batch, int InChannels, int OutChannels, int Size, int Kernel, int Padding)
{
    public static readonly ConvShape LeNetConv1 = new("LeNet conv1", 64, 1, 6, 28, 5, 2);
    public static readonly ConvShape LeNetConv2 = new("LeNet conv2", 64, 6, 16, 14, 5, 0);
    public static readonly ConvShape ResNetBlock = new("ResNet block", 16, 64, 64, 56, 3, 1);

    public static IEnumerable<ConvShape> All => [LeNetConv1, LeNetConv2, ResNetBlock];

    public int OutSize => Size + 2 * Padding - Kernel + 1;

    /// <summary>Forward FLOP = 2·N·Cout·Hout·Wout·Cin·k² (the ANCHORS convention).</summary>
    public double ForwardFlop => 2.0 * Batch * OutChannels * OutSize * OutSize * InChannels * Kernel * Kernel;

    /// <summary>Short label used as the BenchmarkDotNet parameter value.</summary>
    public override string ToString() => Name.Replace(' ', '-');
}

/// <summary>
/// conv2d through <see cref="Functional.Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>: forward without
/// recording (no-grad), and forward + backward computing the input, weight and bias gradients.
/// </summary>
internal sealed class ConvWorkload : IDisposable
{
    private readonly Tensor _x, _w, _b, _gradOut;

    public ConvWorkload(ConvShape shape)
    {
        Shape = shape;
        _x = Tensor.Rand(shape.Batch, shape.InChannels, shape.Size, shape.Size).RequiresGrad_();
        using (Tensor w = Tensor.Randn(shape.OutChannels, shape.InChannels, shape.Kernel, shape.Kernel))
            _w = (w * 0.1).RequiresGrad_();
        _b = Tensor.Rand(shape.OutChannels).RequiresGrad_();
        _gradOut = Tensor.Rand(shape.Batch, shape.OutChannels, shape.OutSize, shape.OutSize);
    }

    public ConvShape Shape { get; }

    public void Forward()
    {
        using GradModeScope _ = Autograd.NoGrad();
        using Tensor y = Functional.Conv2d(_x, _w, _b, stride: 1, padding: Shape.Padding);
    }

    public void ForwardBackward()
    {
        using (Tensor y = Functional.Conv2d(_x, _w, _b, stride: 1, padding: Shape.Padding))
            y.Backward(_gradOut);
        // Fresh gradients every step, like zero_grad(set_to_none=True): no accumulation pass.
        _x.Grad = null;
        _w.Grad = null;
        _b.Grad = null;
    }

    /// <summary>The inputs as managed arrays, for the managed comparison.</summary>
    public (float[] X, float[] W, float[] B) ToArrays() => (_x.ToArray<float>(), _w.ToArray<float>(), _b.ToArray<float>());

    public void Dispose()
    {
        _x.Dispose();
        _w.Dispose();
        _b.Dispose();
        _gradOut.Dispose();
    }
}
