using NativeGrad.Interop;

namespace NativeGrad.NN;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss value per element (or per sample for class losses).</summary>
    None = 0,
    /// <summary>The mean (for class losses with weights: divided by the sum of the targets' weights).</summary>
    Mean = 1,
    /// <summary>The sum.</summary>
    Sum = 2,
}

/// <summary>
/// The neural-network operations as functions, with PyTorch's <c>torch.nn.functional</c> semantics.
/// Every result is differentiable; each call is one native operation unless noted.
/// </summary>
public static unsafe class Functional
{
    // ---- convolution ------------------------------------------------------------------------------

    /// <summary>
    /// 2-D convolution (cross-correlation) of <paramref name="input"/> [N,C,H,W] or [C,H,W] with
    /// <paramref name="weight"/> [O, C/groups, kh, kw], plus <paramref name="bias"/> [O] when given.
    /// </summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="weight">The kernels, [O, C/groups, kh, kw].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <param name="stride">Stride in both directions.</param>
    /// <param name="padding">Zero padding on each side, in both directions.</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    /// <returns>[N, O, H_out, W_out] (or [O, H_out, W_out] for an unbatched input).</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
                                int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>2-D convolution with separate (height, width) stride, padding and dilation.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="weight">The kernels, [O, C/groups, kh, kw].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <param name="stride">(height, width) stride.</param>
    /// <param name="padding">(height, width) zero padding on each side.</param>
    /// <param name="dilation">(height, width) dilation; (1, 1) when null.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    /// <returns>The convolution.</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int Height, int Width) stride,
                                (int Height, int Width) padding, (int Height, int Width)? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var d = dilation ?? (1, 1);
        nint r;
        NgStatus st = NativeMethods.ng_nn_conv2d(input.Handle, weight.Handle, bias is null ? 0 : bias.Handle, stride.Height,
                                                 stride.Width, padding.Height, padding.Width, d.Height, d.Width, groups, &r);
        GC.KeepAlive(input);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return Tensor.Wrap(st, r);
    }

    /// <summary>
    /// 2-D convolution with padding <c>"valid"</c> (none) or <c>"same"</c> (the output keeps the input's
    /// height and width; stride must be 1). For an even effective kernel size PyTorch pads one more
    /// row/column at the bottom/right than at the top/left; this does the same.
    /// </summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="weight">The kernels, [O, C/groups, kh, kw].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <param name="stride">Stride in both directions (must be 1 for "same").</param>
    /// <param name="padding"><c>"same"</c> or <c>"valid"</c>.</param>
    /// <param name="dilation">Spacing between kernel elements.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    /// <returns>The convolution.</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride, string padding, int dilation = 1,
                                int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), padding, (dilation, dilation), groups);

    /// <summary>2-D convolution with padding <c>"same"</c> or <c>"valid"</c> and (height, width) stride and dilation.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="weight">The kernels, [O, C/groups, kh, kw].</param>
    /// <param name="bias">Optional bias, [O].</param>
    /// <param name="stride">(height, width) stride (must be (1, 1) for "same").</param>
    /// <param name="padding"><c>"same"</c> or <c>"valid"</c>.</param>
    /// <param name="dilation">(height, width) dilation; (1, 1) when null.</param>
    /// <param name="groups">Number of blocked connections from input to output channels.</param>
    /// <returns>The convolution.</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (int Height, int Width) stride, string padding,
                                (int Height, int Width)? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(padding);
        var d = dilation ?? (1, 1);
        if (padding == "valid") return Conv2d(input, weight, bias, stride, (0, 0), d, groups);
        if (padding != "same")
            throw new ArgumentException($"conv2d: padding must be \"same\", \"valid\" or a number, got \"{padding}\"",
                                        nameof(padding));
        if (stride != (1, 1))
            throw new ArgumentException($"conv2d: padding \"same\" is not supported for strided convolutions (stride={stride})",
                                        nameof(stride));
        long[] ws = weight.ShapeRef;
        if (ws.Length != 4)
            throw new ArgumentException(
                $"conv2d: expected weight of rank 4 [out_channels, in_channels/groups, kh, kw], got shape {Tensor.ShapeString(ws)}",
                nameof(weight));
        // Total padding per dimension is dilation*(k-1); an odd total puts the extra row/column at
        // the end. That equals symmetric padding of the larger half with the first output row/column
        // dropped (the windows then start one step earlier), which keeps this a plain conv + view.
        long totalH = (long)d.Height * (ws[2] - 1), totalW = (long)d.Width * (ws[3] - 1);
        int padH = (int)((totalH + 1) / 2), padW = (int)((totalW + 1) / 2);
        Tensor full = Conv2d(input, weight, bias, (1, 1), (padH, padW), d, groups);
        if (totalH % 2 == 0 && totalW % 2 == 0) return full;
        long[] shape = full.ShapeRef;
        int rank = shape.Length;
        Tensor result = full;
        if (totalH % 2 != 0) result = DropFirst(result, rank - 2, shape[rank - 2] - 1);
        if (totalW % 2 != 0) result = DropFirst(result, rank - 1, shape[rank - 1] - 1);
        return result;

        // A view without the first row/column; the intermediate handle is released right away.
        static Tensor DropFirst(Tensor t, int dim, long length)
        {
            Tensor view = t.Narrow(dim, 1, length);
            t.Dispose();
            return view;
        }
    }

    /// <summary>Applies <paramref name="weight"/> [out, in] and <paramref name="bias"/> [out]: input·weightᵀ + bias (one native call).</summary>
    /// <param name="input">The input, [..., in].</param>
    /// <param name="weight">The weight, [out, in].</param>
    /// <param name="bias">Optional bias, [out].</param>
    /// <returns>[..., out].</returns>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        nint r;
        NgStatus st = NativeMethods.ng_nn_linear(input.Handle, weight.Handle, bias is null ? 0 : bias.Handle, &r);
        GC.KeepAlive(input);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return Tensor.Wrap(st, r);
    }

    // ---- pooling ----------------------------------------------------------------------------------

    /// <summary>2-D max pooling over square windows.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window step; the kernel size when null.</param>
    /// <param name="padding">Implicit -∞ padding on each side (at most half the kernel size).</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <returns>The window maxima.</returns>
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1,
                                   bool ceilMode = false) =>
        MaxPool2d(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation),
                  ceilMode);

    /// <summary>2-D max pooling with (height, width) parameters.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">(height, width) window size.</param>
    /// <param name="stride">(height, width) step; the kernel size when null.</param>
    /// <param name="padding">(height, width) padding; (0, 0) when null.</param>
    /// <param name="dilation">(height, width) dilation; (1, 1) when null.</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <returns>The window maxima.</returns>
    public static Tensor MaxPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
                                   (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null,
                                   bool ceilMode = false) =>
        MaxPool(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: false).Output;

    /// <summary>2-D max pooling that also returns, for each output element, the flat index h·W+w of its maximum within its input plane.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window step; the kernel size when null.</param>
    /// <param name="padding">Implicit -∞ padding on each side (at most half the kernel size).</param>
    /// <param name="dilation">Spacing between window elements.</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <returns>The window maxima and their int64 indices.</returns>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, int kernelSize, int? stride = null,
                                                                       int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        var (o, i) = MaxPool(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding),
                             (dilation, dilation), ceilMode, withIndices: true);
        return (o, i!);
    }

    /// <summary>2-D max pooling with (height, width) parameters, returning the indices of the maxima too.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">(height, width) window size.</param>
    /// <param name="stride">(height, width) step; the kernel size when null.</param>
    /// <param name="padding">(height, width) padding; (0, 0) when null.</param>
    /// <param name="dilation">(height, width) dilation; (1, 1) when null.</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <returns>The window maxima and their int64 indices.</returns>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, (int Height, int Width) kernelSize,
                                                                       (int Height, int Width)? stride = null,
                                                                       (int Height, int Width)? padding = null,
                                                                       (int Height, int Width)? dilation = null,
                                                                       bool ceilMode = false)
    {
        var (o, i) = MaxPool(input, kernelSize, stride, padding, dilation, ceilMode, withIndices: true);
        return (o, i!);
    }

    private static (Tensor Output, Tensor? Indices) MaxPool(Tensor input, (int Height, int Width) k, (int Height, int Width)? stride,
                                                            (int Height, int Width)? padding, (int Height, int Width)? dilation,
                                                            bool ceilMode, bool withIndices)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = stride ?? k;
        var p = padding ?? (0, 0);
        var d = dilation ?? (1, 1);
        nint r, idx = 0;
        NgStatus st = NativeMethods.ng_nn_max_pool2d(input.Handle, k.Height, k.Width, s.Height, s.Width, p.Height, p.Width,
                                                     d.Height, d.Width, ceilMode ? 1 : 0, &r, withIndices ? &idx : null);
        GC.KeepAlive(input);
        Tensor output = Tensor.Wrap(st, r);
        return (output, withIndices ? new Tensor(idx) : null);
    }

    /// <summary>2-D average pooling over square windows.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">Window size.</param>
    /// <param name="stride">Window step; the kernel size when null.</param>
    /// <param name="padding">Zero padding on each side (at most half the kernel size).</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <param name="countIncludePad">Whether the zero padding counts in the divisor.</param>
    /// <param name="divisorOverride">When given, the divisor of every window.</param>
    /// <returns>The window averages.</returns>
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
                                   bool countIncludePad = true, int? divisorOverride = null) =>
        AvgPool2d(input, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), ceilMode,
                  countIncludePad, divisorOverride);

    /// <summary>2-D average pooling with (height, width) parameters.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="kernelSize">(height, width) window size.</param>
    /// <param name="stride">(height, width) step; the kernel size when null.</param>
    /// <param name="padding">(height, width) padding; (0, 0) when null.</param>
    /// <param name="ceilMode">Use ceil instead of floor to compute the output size.</param>
    /// <param name="countIncludePad">Whether the zero padding counts in the divisor.</param>
    /// <param name="divisorOverride">When given, the divisor of every window (must not be 0).</param>
    /// <returns>The window averages.</returns>
    public static Tensor AvgPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
                                   (int Height, int Width)? padding = null, bool ceilMode = false, bool countIncludePad = true,
                                   int? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (divisorOverride is int dv && dv <= 0)
            throw new ArgumentOutOfRangeException(nameof(divisorOverride), dv, "avg_pool2d: divisorOverride must be positive");
        var s = stride ?? kernelSize;
        var p = padding ?? (0, 0);
        nint r;
        NgStatus st = NativeMethods.ng_nn_avg_pool2d(input.Handle, kernelSize.Height, kernelSize.Width, s.Height, s.Width,
                                                     p.Height, p.Width, ceilMode ? 1 : 0, countIncludePad ? 1 : 0,
                                                     divisorOverride ?? 0, &r);
        GC.KeepAlive(input);
        return Tensor.Wrap(st, r);
    }

    /// <summary>Average pooling to a square output of <paramref name="outputSize"/> (windows chosen as in PyTorch).</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="outputSize">Output height and width.</param>
    /// <returns>[N, C, outputSize, outputSize].</returns>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => AdaptiveAvgPool2d(input, (outputSize, outputSize));

    /// <summary>Average pooling to an output of (height, width); a null entry keeps the input's size.</summary>
    /// <param name="input">The input, [N,C,H,W] or unbatched [C,H,W].</param>
    /// <param name="outputSize">Output (height, width); null keeps that dimension.</param>
    /// <returns>[N, C, height, width].</returns>
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int? Height, int? Width) outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] shape = input.ShapeRef;
        long h = outputSize.Height ?? (shape.Length >= 2 ? shape[^2] : 0);
        long w = outputSize.Width ?? (shape.Length >= 1 ? shape[^1] : 0);
        nint r;
        NgStatus st = NativeMethods.ng_nn_adaptive_avg_pool2d(input.Handle, h, w, &r);
        GC.KeepAlive(input);
        return Tensor.Wrap(st, r);
    }

    // ---- normalisation and regularisation ---------------------------------------------------------

    /// <summary>
    /// Batch normalisation over dimension 1 of <paramref name="input"/> [N,C] or [N,C,*]. In training the
    /// batch statistics normalise the input and the running statistics (when given) are updated in
    /// place: running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance.
    /// In evaluation the running statistics are used.
    /// </summary>
    /// <param name="input">[N,C] or [N,C,*].</param>
    /// <param name="runningMean">[C] running mean, or null (required in evaluation).</param>
    /// <param name="runningVar">[C] running variance, or null (required in evaluation).</param>
    /// <param name="weight">Optional per-channel scale γ, [C].</param>
    /// <param name="bias">Optional per-channel shift β, [C].</param>
    /// <param name="training">Use batch statistics (and update the running ones).</param>
    /// <param name="momentum">Weight of the batch statistic in the running update.</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <returns>The normalised input.</returns>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null,
                                   Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint r;
        NgStatus st = NativeMethods.ng_nn_batch_norm(input.Handle, runningMean is null ? 0 : runningMean.Handle,
                                                     runningVar is null ? 0 : runningVar.Handle, weight is null ? 0 : weight.Handle,
                                                     bias is null ? 0 : bias.Handle, training ? 1 : 0, momentum, eps, &r);
        GC.KeepAlive(input);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVar);
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        return Tensor.Wrap(st, r);
    }

    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> and scales the others by 1/(1 − p);
    /// the identity when not <paramref name="training"/> or p = 0, zeros when p = 1.
    /// </summary>
    /// <param name="input">Any floating-point tensor.</param>
    /// <param name="p">Probability of zeroing an element, in [0, 1].</param>
    /// <param name="training">Apply dropout (true) or return the input unchanged (false).</param>
    /// <param name="generator">Random source; the default generator when null.</param>
    /// <returns>The masked and scaled input.</returns>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        nint r;
        NgStatus st = NativeMethods.ng_nn_dropout(input.Handle, p, training ? 1 : 0, generator is null ? 0 : generator.Handle, &r);
        GC.KeepAlive(input);
        GC.KeepAlive(generator);
        return Tensor.Wrap(st, r);
    }

    // ---- losses -----------------------------------------------------------------------------------

    /// <summary>
    /// Cross entropy between logits and class indices: a fused log-softmax + negative log-likelihood.
    /// With label smoothing ε the target distribution is (1 − ε)·one_hot + ε/C.
    /// </summary>
    /// <param name="input">Logits [N,C], [N,C,d1,...] or unbatched [C].</param>
    /// <param name="target">Int64 class indices [N], [N,d1,...] or a scalar; values in [0, C) or <paramref name="ignoreIndex"/>.</param>
    /// <param name="weight">Optional class weights [C].</param>
    /// <param name="ignoreIndex">Target value that contributes neither loss nor gradient.</param>
    /// <param name="reduction">None, Mean (divided by the summed weights of the non-ignored targets) or Sum.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>The loss.</returns>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
                                      Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        nint r;
        NgStatus st = NativeMethods.ng_nn_cross_entropy(input.Handle, target.Handle, weight is null ? 0 : weight.Handle,
                                                        ignoreIndex, labelSmoothing, ToNative(reduction), &r);
        GC.KeepAlive(input);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        return Tensor.Wrap(st, r);
    }

    /// <summary>Negative log-likelihood of log-probabilities at the target classes: −weight[t]·input[t].</summary>
    /// <param name="input">Log-probabilities [N,C], [N,C,d1,...] or unbatched [C].</param>
    /// <param name="target">Int64 class indices [N], [N,d1,...] or a scalar.</param>
    /// <param name="weight">Optional class weights [C].</param>
    /// <param name="ignoreIndex">Target value that contributes neither loss nor gradient.</param>
    /// <param name="reduction">None, Mean (divided by the summed weights of the non-ignored targets) or Sum.</param>
    /// <returns>The loss.</returns>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
                                 Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        nint r;
        NgStatus st = NativeMethods.ng_nn_nll_loss(input.Handle, target.Handle, weight is null ? 0 : weight.Handle, ignoreIndex,
                                                   ToNative(reduction), &r);
        GC.KeepAlive(input);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        return Tensor.Wrap(st, r);
    }

    /// <summary>Squared error (input − target)², reduced. Both tensors must have the same shape.</summary>
    /// <param name="input">Predictions.</param>
    /// <param name="target">Targets of the same shape.</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>The loss.</returns>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        nint r;
        NgStatus st = NativeMethods.ng_nn_mse_loss(input.Handle, target.Handle, ToNative(reduction), &r);
        GC.KeepAlive(input);
        GC.KeepAlive(target);
        return Tensor.Wrap(st, r);
    }

    /// <summary>
    /// Binary cross entropy on logits, computed stably as
    /// (1 − t)·x + (1 + (pos_weight − 1)·t)·log(1 + e^(−x)), times <paramref name="weight"/>.
    /// </summary>
    /// <param name="input">Logits.</param>
    /// <param name="target">Targets in [0, 1], same shape as the input.</param>
    /// <param name="weight">Optional per-element weight, broadcast to the input.</param>
    /// <param name="posWeight">Optional weight of positive examples, broadcast to the input (usually [C]).</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    /// <returns>The loss.</returns>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Tensor? posWeight = null,
                                                      Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        nint r;
        NgStatus st = NativeMethods.ng_nn_binary_cross_entropy_with_logits(input.Handle, target.Handle,
                                                                           weight is null ? 0 : weight.Handle,
                                                                           posWeight is null ? 0 : posWeight.Handle,
                                                                           ToNative(reduction), &r);
        GC.KeepAlive(input);
        GC.KeepAlive(target);
        GC.KeepAlive(weight);
        GC.KeepAlive(posWeight);
        return Tensor.Wrap(st, r);
    }

    private static NgReduction ToNative(Reduction reduction) => reduction switch
    {
        Reduction.None => NgReduction.None,
        Reduction.Mean => NgReduction.Mean,
        Reduction.Sum => NgReduction.Sum,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be None, Mean or Sum"),
    };

    // ---- activations (the Tensor methods, under their functional names) ---------------------------

    /// <summary>max(x, 0).</summary>
    /// <param name="input">The input.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Relu(Tensor input) => NotNull(input).Relu();

    /// <summary>x for x &gt; 0, else <paramref name="negativeSlope"/>·x.</summary>
    /// <param name="input">The input.</param>
    /// <param name="negativeSlope">Slope for negative inputs.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => NotNull(input).LeakyRelu(negativeSlope);

    /// <summary>x for x &gt; 0, else <paramref name="alpha"/>·(eˣ − 1).</summary>
    /// <param name="input">The input.</param>
    /// <param name="alpha">Scale of the negative part.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Elu(Tensor input, double alpha = 1.0) => NotNull(input).Elu(alpha);

    /// <summary>1 / (1 + e⁻ˣ).</summary>
    /// <param name="input">The input.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Sigmoid(Tensor input) => NotNull(input).Sigmoid();

    /// <summary>Hyperbolic tangent.</summary>
    /// <param name="input">The input.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Tanh(Tensor input) => NotNull(input).Tanh();

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    /// <param name="input">The input.</param>
    /// <param name="dim">The dimension that sums to one.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor Softmax(Tensor input, long dim) => NotNull(input).Softmax(dim);

    /// <summary>Log of the softmax along <paramref name="dim"/>, computed stably.</summary>
    /// <param name="input">The input.</param>
    /// <param name="dim">The normalised dimension.</param>
    /// <returns>A new tensor.</returns>
    public static Tensor LogSoftmax(Tensor input, long dim) => NotNull(input).LogSoftmax(dim);

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>
    /// One-hot encoding of int64 class indices: the result has a new last dimension of size
    /// <paramref name="numClasses"/> with 1 at each index and 0 elsewhere (int64).
    /// </summary>
    /// <param name="index">Int64 class indices of any shape, each in [0, numClasses).</param>
    /// <param name="numClasses">Number of classes; −1 infers max(index) + 1.</param>
    /// <returns>[..., numClasses] int64.</returns>
    public static Tensor OneHot(Tensor index, long numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(index);
        if (index.DType != DType.Int64)
            throw new ArgumentException($"one_hot: expected an int64 index tensor, got {index.DType}", nameof(index));
        if (numClasses < -1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "one_hot: numClasses must be -1 (infer) or non-negative");
        if (index.NumElements > 0)
        {
            using Tensor min = index.Min(), max = index.Max();
            long lo = min.Item<long>(), hi = max.Item<long>();
            if (lo < 0)
                throw new ArgumentException($"one_hot: class values must be non-negative, got {lo}", nameof(index));
            if (numClasses == -1) numClasses = hi + 1;
            else if (hi >= numClasses)
                throw new ArgumentException($"one_hot: class value {hi} is out of range for {numClasses} classes", nameof(index));
        }
        else if (numClasses == -1)
        {
            throw new ArgumentException("one_hot: cannot infer the number of classes from an empty tensor; pass numClasses",
                                        nameof(index));
        }
        long[] shape = [.. index.ShapeRef, numClasses];
        using Tensor zeros = Tensor.Zeros(shape, DType.Int64);
        using Tensor unsq = index.Unsqueeze(-1);
        return zeros.Scatter(-1, unsq, 1.0);
    }

    private static Tensor NotNull(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }
}
