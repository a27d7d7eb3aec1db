namespace NativeGrad.Data;

/// <summary>Mirrors the image left–right with probability <see cref="P"/> (torchvision's <c>RandomHorizontalFlip</c>).</summary>
public sealed class RandomHorizontalFlip : ITransform
{
    /// <summary>Creates the transform.</summary>
    public RandomHorizontalFlip(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The probability must be in [0, 1].");
        P = p;
    }

    /// <summary>Probability of flipping a sample.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, int channels, int height, int width, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        // Always draw, so the random stream advances the same way whatever the outcome.
        if (random.NextDouble() >= P) return;
        for (int r = 0; r < channels * height; r++) sample.Slice(r * width, width).Reverse();
    }
}
