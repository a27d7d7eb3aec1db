using System.Collections;

namespace NativeGrad.Data;

/// <summary>
/// A finite, indexable collection of samples (PyTorch's map-style <c>Dataset</c>).
/// </summary>
/// <remarks>
/// The indexer returns a new sample owned by the caller: when the sample holds tensors, the caller
/// disposes them (a <see cref="DataLoader{TSample, TBatch}"/> does so right after collating). The
/// indexer may be called from several <see cref="DataLoader{TSample, TBatch}"/> worker threads at
/// once, so it must be thread-safe (read-only access to in-memory data is).
/// </remarks>
/// <typeparam name="T">The sample type, e.g. <c>(Tensor Image, Tensor Label)</c>.</typeparam>
public abstract class Dataset<T> : IReadOnlyList<T>
{
    /// <summary>Number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>The sample at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public abstract T this[int index] { get; }

    /// <summary>Enumerates every sample in index order.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        int n = Count;
        for (int i = 0; i < n; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless 0 ≤ index &lt; <see cref="Count"/>.</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index out of range for a dataset of {Count} samples.");
    }
}
