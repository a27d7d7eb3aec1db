namespace NativeGrad.NN;

/// <summary>
/// 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) inputs. Weight [out, in/groups, kh, kw]
/// and bias [out] start as PyTorch's: U(−1/√fan_in, 1/√fan_in) with fan_in = in/groups·kh·kw.
/// </summary>
public sealed class Conv2d : Module
{
    private readonly string? _paddingMode;

    /// <summary>A convolution with square kernel, stride, padding and dilation.</summary>
    public Conv2d(long inChannels, long outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
                  long groups = 1, bool bias = true, DType dtype = DType.Float32)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, dtype)
    {
    }

    /// <summary>A convolution with padding <c>"same"</c> (output keeps H and W; stride 1) or <c>"valid"</c> (no padding).</summary>
    public Conv2d(long inChannels, long outChannels, int kernelSize, string padding, int stride = 1, int dilation = 1,
                  long groups = 1, bool bias = true, DType dtype = DType.Float32)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (0, 0), (dilation, dilation), groups, bias, dtype)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding != "same" && padding != "valid")
            throw new ArgumentException($"Conv2d: padding must be \"same\", \"valid\" or a number, got \"{padding}\".", nameof(padding));
        if (padding == "same" && stride != 1)
            throw new ArgumentException("Conv2d: padding=\"same\" is not supported for strided convolutions.", nameof(padding));
        _paddingMode = padding;
    }

    /// <summary>A convolution with (height, width) kernel, stride, padding and dilation.</summary>
    public Conv2d(long inChannels, long outChannels, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
                  (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null, long groups = 1,
                  bool bias = true, DType dtype = DType.Float32)
    {
        if (inChannels <= 0 || outChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"Conv2d: channel counts must be positive, got ({inChannels}, {outChannels}).");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in_channels ({inChannels}) and out_channels ({outChannels}) must be divisible by groups ({groups}).", nameof(groups));
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv2d: kernel size must be positive, got {kernelSize}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        long[] shape = [outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width];
        double bound = Init.KaimingUniformBound(shape, Math.Sqrt(5));
        Weight = RegisterParameter("weight", new Parameter(Init.UniformTensor(shape, -bound, bound, dtype)))!;
        if (bias)
        {
            long fanIn = Init.CalculateFanInAndFanOut(shape).FanIn;
            double b = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Bias = RegisterParameter("bias", new Parameter(Init.UniformTensor([outChannels], -b, b, dtype)));
        }
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>Kernel (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>Stride (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Zero padding (height, width) on each side (ignored with "same"/"valid").</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Dilation (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Blocked connections from input to output channels.</summary>
    public long Groups { get; }

    /// <summary>The kernels [out, in/groups, kh, kw].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] s = input.ShapeRef;
        if ((s.Length != 4 && s.Length != 3) || s[^3] != InChannels)
            throw new ArgumentException(
                $"Conv2d({ExtraRepr()}): expected input of shape [N, {InChannels}, H, W] or [{InChannels}, H, W], got {Tensor.ShapeString(s)}.",
                nameof(input));
        return _paddingMode is null
            ? Functional.Conv2d(input, Weight.Tensor, Bias?.Tensor, Stride, Padding, Dilation, checked((int)Groups))
            : Functional.Conv2d(input, Weight.Tensor, Bias?.Tensor, Stride, _paddingMode, Dilation, checked((int)Groups));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        string r = $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.Height}, {KernelSize.Width}), stride=({Stride.Height}, {Stride.Width})";
        if (_paddingMode is not null) r += $", padding={_paddingMode}";
        else if (Padding != (0, 0)) r += $", padding=({Padding.Height}, {Padding.Width})";
        if (Dilation != (1, 1)) r += $", dilation=({Dilation.Height}, {Dilation.Width})";
        if (Groups != 1) r += $", groups={Groups}";
        if (Bias is null) r += ", bias=False";
        return r;
    }
}
