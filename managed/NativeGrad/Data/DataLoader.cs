namespace NativeGrad.Data;

/// <summary>
/// A <see cref="DataLoader{TSample, TBatch}"/> for (input, label) datasets, yielding
/// <c>(Tensor Images, Tensor Labels)</c> batches: <c>foreach (var (images, labels) in loader)</c>.
/// See <see cref="DataLoader{TSample, TBatch}"/> for ordering, workers, memory bound and ownership
/// (batches are disposed by the loader when the loop moves on).
/// </summary>
/// <example>
/// <code>
/// var loader = new DataLoader(FashionMnist.Load(train: true), batchSize: 64, shuffle: true,
///                             numWorkers: 2, prefetchFactor: 2, seed: 42);
/// foreach (var (images, labels) in loader) { ... }   // images [64,1,28,28] float32, labels [64] int64
/// </code>
/// </example>
public sealed class DataLoader : DataLoader<(Tensor, Tensor), (Tensor Images, Tensor Labels)>
{
    /// <summary>Creates a loader over an (input, label) dataset.</summary>
    /// <param name="dataset">The samples; datasets implementing <see cref="IBatchSource{TBatch}"/> build batches directly (fast path).</param>
    /// <param name="batchSize">Samples per batch (≥ 1).</param>
    /// <param name="shuffle">Visit the samples in a new seeded random order every epoch.</param>
    /// <param name="seed">Seed of shuffling and augmentation; null picks one at random.</param>
    /// <param name="dropLast">Drop the last batch when it is incomplete.</param>
    /// <param name="numWorkers">Background threads preparing batches (0: on the consuming thread).</param>
    /// <param name="prefetchFactor">Batches each worker prepares ahead (≥ 1).</param>
    /// <param name="collate">Custom collate; default stacks inputs and labels (<see cref="Collate.StackPairs"/>).</param>
    public DataLoader(Dataset<(Tensor, Tensor)> dataset, int batchSize = 1, bool shuffle = false, long? seed = null,
                      bool dropLast = false, int numWorkers = 0, int prefetchFactor = 2,
                      Func<IReadOnlyList<(Tensor, Tensor)>, (Tensor Images, Tensor Labels)>? collate = null)
        : base(dataset, collate ?? Collate.StackPairs, batchSize, shuffle, seed, dropLast, numWorkers, prefetchFactor)
    {
    }

    /// <summary>Creates a loader over a two-tensor <see cref="TensorDataset"/> (inputs, labels).</summary>
    public DataLoader(TensorDataset dataset, int batchSize = 1, bool shuffle = false, long? seed = null,
                      bool dropLast = false, int numWorkers = 0, int prefetchFactor = 2)
        : base(new PairView(dataset), null, batchSize, shuffle, seed, dropLast, numWorkers, prefetchFactor)
    {
    }

    /// <summary>A two-tensor <see cref="TensorDataset"/> seen as (input, label) samples.</summary>
    private sealed class PairView : Dataset<(Tensor, Tensor)>, IBatchSource<(Tensor, Tensor)>
    {
        private readonly TensorDataset _inner;

        public PairView(TensorDataset inner)
        {
            ArgumentNullException.ThrowIfNull(inner);
            if (inner.TensorCount != 2)
                throw new ArgumentException(
                    $"DataLoader: the TensorDataset has {inner.TensorCount} tensors; (images, labels) batches need exactly 2. " +
                    "Use DataLoader<Tensor[], Tensor[]> for other counts.", nameof(inner));
            _inner = inner;
        }

        public override int Count => _inner.Count;

        public override (Tensor, Tensor) this[int index]
        {
            get
            {
                Tensor[] s = _inner[index];
                return (s[0], s[1]);
            }
        }

        public (Tensor, Tensor) GetBatch(ReadOnlySpan<int> indices, Random random)
        {
            Tensor[] b = _inner.GetBatch(indices, random);
            return (b[0], b[1]);
        }
    }
}
