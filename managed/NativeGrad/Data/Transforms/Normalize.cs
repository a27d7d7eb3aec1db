namespace NativeGrad.Data;

/// <summary>
/// Per-channel normalisation <c>x ← (x − mean[c]) / std[c]</c> (torchvision's <c>Normalize</c>).
/// One mean/std value applies to every channel.
/// </summary>
public sealed class Normalize : ITransform
{
    private readonly float[] _mean;
    private readonly float[] _invStd;

    /// <summary>Creates the transform; <paramref name="mean"/> and <paramref name="std"/> have one entry per channel, or one for all.</summary>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: mean has {mean.Length} values and std {std.Length}; give one pair per channel.");
        foreach (float s in std)
        {
            if (!(s > 0)) throw new ArgumentOutOfRangeException(nameof(std), s, "Normalize: every std must be positive.");
        }
        _mean = (float[])mean.Clone();
        _invStd = std.Select(s => 1f / s).ToArray();
    }

    /// <summary>Creates the transform with one mean and std for all channels.</summary>
    public Normalize(float mean, float std) : this([mean], [std]) { }

    /// <summary>Mean per channel.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Standard deviation per channel.</summary>
    public IReadOnlyList<float> Std => _invStd.Select(s => 1f / s).ToArray();

    /// <inheritdoc/>
    public void Apply(Span<float> sample, int channels, int height, int width, Random random)
    {
        if (_mean.Length != 1 && _mean.Length != channels)
            throw new ArgumentException($"Normalize has {_mean.Length} channel statistics but the sample has {channels} channels.");
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            float m = _mean[_mean.Length == 1 ? 0 : c], inv = _invStd[_mean.Length == 1 ? 0 : c];
            Span<float> p = sample.Slice(c * plane, plane);
            for (int i = 0; i < p.Length; i++) p[i] = (p[i] - m) * inv;
        }
    }
}
