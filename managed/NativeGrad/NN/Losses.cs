namespace NativeGrad.NN;

/// <summary>
/// Base class of loss modules: <see cref="Call(Tensor, Tensor)"/> takes the prediction and the
/// target and runs the module hooks (which see the prediction as the input).
/// </summary>
public abstract class Loss : Module
{
    /// <summary>A loss with the given reduction.</summary>
    protected Loss(Reduction reduction) => Reduction = reduction;

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>, without hooks.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>, with hooks.</summary>
    public Tensor Call(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return CallCore(input, x => Forward(x, target));
    }

    /// <summary>A loss needs a target: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public sealed override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException($"{TypeName} needs a target: call Call(input, target).");

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"reduction={Reduction}";
}

/// <summary>
/// Cross entropy of logits [N, C] (or [N, C, d1, …], or [C]) against class indices [N] (int64),
/// with optional class weights, ignored index and label smoothing.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>A cross-entropy loss; the module owns <paramref name="weight"/> as a buffer.</summary>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
                            double labelSmoothing = 0.0) : base(reduction)
    {
        if (labelSmoothing is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "CrossEntropyLoss: label smoothing must be in [0, 1].");
        Weight = RegisterBuffer("weight", weight);
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>Per-class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Targets equal to this are ignored.</summary>
    public long IgnoreIndex { get; }

    /// <summary>Amount of smoothing toward the uniform distribution.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        ClassLossChecks.Check(this, input, target);
        return Functional.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
    }
}

/// <summary>Negative log-likelihood of log-probabilities [N, C] (or [N, C, d1, …]) against class indices.</summary>
public sealed class NLLLoss : Loss
{
    /// <summary>An NLL loss; the module owns <paramref name="weight"/> as a buffer.</summary>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) : base(reduction)
    {
        Weight = RegisterBuffer("weight", weight);
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>Per-class weights [C], or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Targets equal to this are ignored.</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        ClassLossChecks.Check(this, input, target);
        return Functional.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
    }
}

/// <summary>Mean squared error (input − target)².</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.ShapeRef.AsSpan().SequenceEqual(target.ShapeRef))
            throw new ArgumentException(
                $"MSELoss: input shape {Tensor.ShapeString(input.ShapeRef)} and target shape {Tensor.ShapeString(target.ShapeRef)} differ.",
                nameof(target));
        return Functional.MseLoss(input, target, Reduction);
    }
}

/// <summary>Sigmoid + binary cross entropy in one numerically stable step, with optional weights and positive-class weights.</summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>A BCE-with-logits loss; the module owns the weight tensors as buffers.</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : base(reduction)
    {
        Weight = RegisterBuffer("weight", weight);
        PosWeight = RegisterBuffer("pos_weight", posWeight);
    }

    /// <summary>Element weights (broadcast to the input), or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Weights of the positive class (broadcast along the last dimension), or null.</summary>
    public Tensor? PosWeight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.ShapeRef.AsSpan().SequenceEqual(target.ShapeRef))
            throw new ArgumentException(
                $"BCEWithLogitsLoss: target shape {Tensor.ShapeString(target.ShapeRef)} must equal input shape {Tensor.ShapeString(input.ShapeRef)}.",
                nameof(target));
        return Functional.BinaryCrossEntropyWithLogits(input, target, Weight, PosWeight, Reduction);
    }
}

internal static class ClassLossChecks
{
    // Class losses take input [N, C, d...] with target [N, d...], or input [C] with a scalar target.
    public static void Check(Loss loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        long[] i = input.ShapeRef, t = target.ShapeRef;
        bool ok = i.Length == 1 ? t.Length == 0
                : i.Length >= 2 && t.Length == i.Length - 1 && t[0] == i[0] && t.AsSpan(1).SequenceEqual(i.AsSpan(2));
        if (!ok)
            throw new ArgumentException(
                $"{loss.TypeName}: input of shape {Tensor.ShapeString(i)} expects a target of shape {ExpectedTarget(i)}, got {Tensor.ShapeString(t)}.",
                nameof(target));
    }

    private static string ExpectedTarget(long[] i) =>
        i.Length <= 1 ? "[] (a scalar class index)" : Tensor.ShapeString([i[0], .. i.AsSpan(2).ToArray()]);
}
