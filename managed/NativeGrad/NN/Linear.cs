namespace NativeGrad.NN;

/// <summary>
/// y = x·Wᵀ + b over the last dimension. Weight [out, in] and bias [out] start as PyTorch's:
/// U(−1/√in, 1/√in) (Kaiming uniform with a = √5), drawn from <see cref="Init"/>'s generator.
/// </summary>
public sealed class Linear : Module
{
    /// <summary>A linear layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true, DType dtype = DType.Float32)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: feature counts must be >= 0, got ({inFeatures}, {outFeatures}).");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        long[] shape = [outFeatures, inFeatures];
        double bound = Init.KaimingUniformBound(shape, Math.Sqrt(5));
        Weight = RegisterParameter("weight", new Parameter(Init.UniformTensor(shape, -bound, bound, dtype)))!;
        if (bias)
        {
            double b = inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
            Bias = RegisterParameter("bias", new Parameter(Init.UniformTensor([outFeatures], -b, b, dtype)));
        }
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }

    /// <summary>Output features.</summary>
    public long OutFeatures { get; }

    /// <summary>The weight [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias [out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] s = input.ShapeRef;
        if (s.Length == 0 || s[^1] != InFeatures)
            throw new ArgumentException(
                $"Linear({ExtraRepr()}): expected input with last dimension {InFeatures} ([*, {InFeatures}]), got shape {Tensor.ShapeString(s)}.",
                nameof(input));
        return Functional.Linear(input, Weight.Tensor, Bias?.Tensor);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is not null ? "True" : "False")}";
}
