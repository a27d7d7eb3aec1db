namespace NativeGrad.NN;

internal static class PoolingChecks
{
    // Pooling takes [N, C, H, W] or unbatched [C, H, W].
    public static void CheckRank(Module layer, string repr, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int r = input.Rank;
        if (r != 3 && r != 4)
            throw new ArgumentException(
                $"{layer.TypeName}({repr}): expected input of shape [N, C, H, W] or [C, H, W], got {Tensor.ShapeString(input.ShapeRef)}.",
                nameof(input));
    }
}

/// <summary>2-D max pooling; stride defaults to the kernel size.</summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Square pooling window.</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode)
    {
    }

    /// <summary>(height, width) pooling window.</summary>
    public MaxPool2d((int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null,
                     (int Height, int Width)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
    }

    /// <summary>Window (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>Stride (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Implicit −∞ padding (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Dilation (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        PoolingChecks.CheckRank(this, ExtraRepr(), input);
        return Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size=({KernelSize.Height}, {KernelSize.Width}), stride=({Stride.Height}, {Stride.Width}), padding=({Padding.Height}, {Padding.Width}), dilation=({Dilation.Height}, {Dilation.Width}), ceil_mode={CeilMode}";
}

/// <summary>2-D average pooling; stride defaults to the kernel size.</summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Square pooling window.</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false, bool countIncludePad = true,
                     int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride)
    {
    }

    /// <summary>(height, width) pooling window.</summary>
    public AvgPool2d((int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null,
                     bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
    }

    /// <summary>Window (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>Stride (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Zero padding (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Round the output size up instead of down.</summary>
    public bool CeilMode { get; }

    /// <summary>Count padded zeros in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <summary>A fixed divisor instead of the window size.</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        PoolingChecks.CheckRank(this, ExtraRepr(), input);
        return Functional.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size=({KernelSize.Height}, {KernelSize.Width}), stride=({Stride.Height}, {Stride.Width}), padding=({Padding.Height}, {Padding.Width})";
}

/// <summary>Average pooling to a fixed output size (null keeps that input dimension).</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    /// <summary>Square output size.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this((outputSize, outputSize))
    {
    }

    /// <summary>(height, width) output size; a null entry keeps the input's size.</summary>
    public AdaptiveAvgPool2d((int? Height, int? Width) outputSize) => OutputSize = outputSize;

    /// <summary>Output (height, width).</summary>
    public (int? Height, int? Width) OutputSize { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        PoolingChecks.CheckRank(this, ExtraRepr(), input);
        return Functional.AdaptiveAvgPool2d(input, OutputSize);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size=({OutputSize.Height?.ToString() ?? "None"}, {OutputSize.Width?.ToString() ?? "None"})";
}

/// <summary>Zeroes each element with probability p in training (scaling the rest by 1/(1 − p)); the identity in eval mode.</summary>
public sealed class Dropout : Module
{
    /// <summary>Dropout with probability <paramref name="p"/>; draws from <paramref name="generator"/> (else the global generator).</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: probability must be in [0, 1].");
        P = p;
        Generator = generator;
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The random source (null: the global generator).</summary>
    public Generator? Generator { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, IsTraining, Generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
