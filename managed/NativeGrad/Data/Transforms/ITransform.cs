namespace NativeGrad.Data;

/// <summary>
/// An in-place transform of one float sample laid out as [channels, height, width] (row-major), such
/// as normalisation or random augmentation. Datasets apply it while copying samples into a batch
/// buffer, before any tensor exists, so it costs no native calls.
/// </summary>
/// <remarks>
/// Random transforms draw from the <see cref="Random"/> they are given, never from a shared source:
/// the <see cref="DataLoader{TSample, TBatch}"/> seeds one per batch from its seed, the epoch and the
/// batch index, which keeps augmentation reproducible and identical for any number of workers.
/// Implementations must be thread-safe (hold no mutable state).
/// </remarks>
public interface ITransform
{
    /// <summary>Transforms <paramref name="sample"/> (shape <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/>) in place.</summary>
    void Apply(Span<float> sample, int channels, int height, int width, Random random);
}

/// <summary>Helpers for <see cref="ITransform"/>.</summary>
public static class TransformExtensions
{
    /// <summary>
    /// Applies <paramref name="transform"/> to each sample of a batch buffer laid out as
    /// [n, channels, height, width], in sample order (so a seeded <paramref name="random"/> gives the
    /// same result as applying it per sample in that order).
    /// </summary>
    public static void ApplyBatch(this ITransform transform, Span<float> batch, int n, int channels, int height, int width, Random random)
    {
        ArgumentNullException.ThrowIfNull(transform);
        int size = checked(channels * height * width);
        if (batch.Length < (long)n * size)
            throw new ArgumentException($"ApplyBatch: the buffer holds {batch.Length} floats, {n} samples of {channels}x{height}x{width} need {(long)n * size}.", nameof(batch));
        for (int i = 0; i < n; i++) transform.Apply(batch.Slice(i * size, size), channels, height, width, random);
    }
}

/// <summary>Applies several transforms in order (torchvision's <c>Compose</c>).</summary>
public sealed class Compose : ITransform
{
    private readonly ITransform[] _transforms;

    /// <summary>Creates the composition; the first transform is applied first.</summary>
    public Compose(params ITransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        _transforms = (ITransform[])transforms.Clone();
    }

    /// <summary>The transforms, in application order.</summary>
    public IReadOnlyList<ITransform> Transforms => _transforms;

    /// <inheritdoc/>
    public void Apply(Span<float> sample, int channels, int height, int width, Random random)
    {
        foreach (ITransform t in _transforms) t.Apply(sample, channels, height, width, random);
    }
}
