namespace NativeGrad.NN;

/// <summary>
/// Batch normalisation over the channel dimension (PyTorch's _BatchNorm): in training, normalises
/// with the batch statistics and updates running_mean/running_var (unbiased variance) by
/// <see cref="Momentum"/> (or a cumulative average when it is null); in eval mode uses the running
/// statistics. Buffers: running_mean, running_var, num_batches_tracked; parameters weight (γ = 1)
/// and bias (β = 0) when affine.
/// </summary>
public abstract class BatchNormBase : Module
{
    /// <summary>Batch norm over <paramref name="numFeatures"/> channels.</summary>
    protected BatchNormBase(long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"{GetType().Name}: num_features must be positive.");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = RegisterParameter("weight", new Parameter(Tensor.Ones([numFeatures], dtype)));
            Bias = RegisterParameter("bias", new Parameter(Tensor.Zeros([numFeatures], dtype)));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
    }

    /// <summary>Channels.</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the batch statistics in the running update; null for a cumulative moving average.</summary>
    public double? Momentum { get; }

    /// <summary>Whether γ and β are learned.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (else batch statistics are used in eval mode too).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>γ [C], or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>β [C], or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean [C], or null.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance [C], or null.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Number of training batches seen (int64 scalar), or null.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Checks the input's rank (layer specific).</summary>
    protected abstract void CheckInputRank(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInputRank(input);
        long[] s = input.ShapeRef;
        if (s[1] != NumFeatures)
            throw new ArgumentException(
                $"{TypeName}({ExtraRepr()}): expected {NumFeatures} channels in dimension 1, got input of shape {Tensor.ShapeString(s)}.",
                nameof(input));
        double factor = Momentum ?? 0.0;
        bool training = IsTraining || !TrackRunningStats;
        if (IsTraining && TrackRunningStats)
        {
            using (Autograd.NoGrad()) NumBatchesTracked!.Add_(1.0);
            if (Momentum is null) factor = 1.0 / NumBatchesTracked!.Item<long>();
        }
        // In training, or without running stats, the batch statistics are used; the running ones
        // are updated only when they exist.
        bool useRunning = !IsTraining && TrackRunningStats;
        return Functional.BatchNorm(input, training && !TrackRunningStats ? null : RunningMean,
                                    training && !TrackRunningStats ? null : RunningVar,
                                    Weight?.Tensor, Bias?.Tensor, training: !useRunning, momentum: factor, eps: Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None")}, affine={Affine}, track_running_stats={TrackRunningStats}";
}

/// <summary>Batch norm of [N, C] or [N, C, L] inputs.</summary>
public sealed class BatchNorm1d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
                                bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInputRank(Tensor input)
    {
        if (input.Rank is not (2 or 3))
            throw new ArgumentException(
                $"BatchNorm1d({ExtraRepr()}): expected 2-D or 3-D input [N, {NumFeatures}] or [N, {NumFeatures}, L], got {Tensor.ShapeString(input.ShapeRef)}.",
                nameof(input));
    }
}

/// <summary>Batch norm of [N, C, H, W] inputs.</summary>
public sealed class BatchNorm2d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true,
                                bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInputRank(Tensor input)
    {
        if (input.Rank != 4)
            throw new ArgumentException(
                $"BatchNorm2d({ExtraRepr()}): expected 4-D input [N, {NumFeatures}, H, W], got {Tensor.ShapeString(input.ShapeRef)}.",
                nameof(input));
    }
}
