using System.Collections;

namespace NativeGrad.Data;

/// <summary>
/// Iterates over a dataset in batches (PyTorch's <c>DataLoader</c>): optional seeded shuffling, a
/// collate function that turns the samples of a batch into one batch object, and background workers
/// that prepare whole batches ahead of the training loop.
/// </summary>
/// <remarks>
/// <para><b>Order.</b> Each enumeration is one epoch. Without <see cref="Shuffle"/> samples come in
/// index order; with it, in a Fisher–Yates permutation derived from <see cref="Seed"/> and the epoch
/// number, so the same seed gives the same sequence of epochs and each epoch a new order. The batches
/// are identical (same samples, same order, same augmentation) for every <see cref="NumWorkers"/>:
/// worker <c>w</c> of <c>W</c> builds batches <c>w, w+W, w+2W, …</c> and the consumer takes them in
/// order.</para>
/// <para><b>Workers and memory.</b> With <see cref="NumWorkers"/> &gt; 0, each worker is a dedicated
/// background thread that builds complete batches, native tensors included. A worker holds at most
/// <see cref="PrefetchFactor"/> batches that the consumer has not taken yet (being built or waiting),
/// so at most <c>NumWorkers × PrefetchFactor</c> batches exist ahead of the training loop.</para>
/// <para><b>Ownership.</b> A yielded batch belongs to the loader: it is disposed when the enumeration
/// advances to the next batch or ends (set <see cref="DisposeBatches"/> to false to keep batches and
/// dispose them yourself). Samples returned by the dataset's indexer are disposed right after collating.
/// Leaving a <c>foreach</c> early (break, exception, disposing the enumerator) cancels the workers,
/// waits for them to stop and disposes every prepared batch that was not consumed. An exception thrown
/// while preparing a batch is rethrown on the consuming thread, with its original stack trace, when the
/// loop reaches that batch.</para>
/// <para><b>Threads.</b> Workers only read samples and copy them into batch buffers; they run no
/// parallel native math, so they do not compete with the native kernels' OpenMP threads
/// (<see cref="Threading.NumThreads"/>), which do the model's math on the consuming thread. The default
/// <c>numWorkers: 0</c> builds batches on the consuming thread, which is enough for in-memory data
/// such as Fashion-MNIST; one or two workers help when samples are expensive (decoding, augmentation).
/// On a machine with C cores, keep <c>NumWorkers + Threading.NumThreads ≤ C</c> when the workers are
/// busy for most of a step, otherwise the two pools time-slice the same cores.</para>
/// </remarks>
/// <typeparam name="TSample">The dataset's sample type.</typeparam>
/// <typeparam name="TBatch">The batch type the collate function produces.</typeparam>
public class DataLoader<TSample, TBatch> : IEnumerable<TBatch>
{
    private readonly Func<IReadOnlyList<TSample>, TBatch>? _collate;
    private readonly IBatchSource<TBatch>? _batchSource;
    private int _epoch;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples. When it implements <see cref="IBatchSource{TBatch}"/>, its
    /// <see cref="IBatchSource{TBatch}.GetBatch"/> builds each batch and <paramref name="collate"/> may be null.</param>
    /// <param name="collate">Turns the samples of one batch (in order) into the batch; called on worker threads.</param>
    /// <param name="batchSize">Samples per batch (≥ 1).</param>
    /// <param name="shuffle">Visit the samples in a new seeded random order every epoch.</param>
    /// <param name="seed">Seed of the shuffling and of the per-batch random source; null picks one at random.</param>
    /// <param name="dropLast">Drop the last batch when it has fewer than <paramref name="batchSize"/> samples.</param>
    /// <param name="numWorkers">Background threads preparing batches; 0 prepares them on the consuming thread.</param>
    /// <param name="prefetchFactor">Batches each worker prepares ahead of the consumer (≥ 1).</param>
    public DataLoader(Dataset<TSample> dataset, Func<IReadOnlyList<TSample>, TBatch>? collate, int batchSize = 1,
                      bool shuffle = false, long? seed = null, bool dropLast = false, int numWorkers = 0,
                      int prefetchFactor = 2)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(numWorkers);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetchFactor, 1);
        _batchSource = dataset as IBatchSource<TBatch>;
        if (collate is null && _batchSource is null)
            throw new ArgumentNullException(nameof(collate),
                $"A collate function is required: {dataset.GetType().Name} does not build {typeof(TBatch).Name} batches itself.");
        Dataset = dataset;
        _collate = collate;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed ?? Random.Shared.NextInt64();
        DropLast = dropLast;
        NumWorkers = numWorkers;
        PrefetchFactor = prefetchFactor;
    }

    /// <summary>The dataset the batches are drawn from.</summary>
    public Dataset<TSample> Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>True when every epoch visits the samples in a new seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Seed of the shuffling and of the random source passed to <see cref="IBatchSource{TBatch}.GetBatch"/>.</summary>
    public long Seed { get; }

    /// <summary>True when an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Background threads preparing batches (0: batches are built on the consuming thread).</summary>
    public int NumWorkers { get; }

    /// <summary>Batches each worker prepares ahead of the consumer.</summary>
    public int PrefetchFactor { get; }

    /// <summary>When true (default), the loader disposes each batch once the enumeration moves past it.</summary>
    public bool DisposeBatches { get; init; } = true;

    /// <summary>
    /// The epoch number the next enumeration uses (incremented by each <see cref="GetEnumerator"/>);
    /// set it to replay a given epoch's order, like PyTorch's <c>sampler.set_epoch</c>.
    /// </summary>
    public int Epoch
    {
        get => Volatile.Read(ref _epoch);
        set => Volatile.Write(ref _epoch, value);
    }

    /// <summary>Number of batches per epoch.</summary>
    public int Count
    {
        get
        {
            int n = Dataset.Count;
            return DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;
        }
    }

    /// <summary>Starts an epoch.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        int epoch = Interlocked.Increment(ref _epoch) - 1;
        int n = Dataset.Count;
        int[] order = Shuffle
            ? SeedMixer.Permutation(n, SeedMixer.Derive((ulong)Seed, 0x5348554646UL /* "SHUFF" */, (ulong)epoch))
            : Enumerable.Range(0, n).ToArray();
        return new BatchEnumerator<TSample, TBatch>(this, order, epoch);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Builds batch <paramref name="batchIndex"/> of an epoch from the samples at <paramref name="indices"/>.
    /// Called on worker threads (or the consuming thread without workers).
    /// </summary>
    internal TBatch BuildBatch(ReadOnlySpan<int> indices, int epoch, int batchIndex)
    {
        if (_batchSource is not null)
        {
            Random random = SeedMixer.CreateRandom(SeedMixer.Derive((ulong)Seed, (ulong)epoch, (ulong)batchIndex));
            return _batchSource.GetBatch(indices, random);
        }
        var samples = new TSample[indices.Length];
        try
        {
            for (int i = 0; i < indices.Length; i++) samples[i] = Dataset[indices[i]];
            return _collate!(samples);
        }
        finally
        {
            // The collated batch holds copies; the per-sample objects are no longer needed.
            foreach (TSample s in samples) BatchDisposal.Dispose(s);
        }
    }

    /// <summary>Frees a batch the loader owns (called for consumed and for abandoned batches).</summary>
    internal void ReleaseBatch(TBatch batch)
    {
        if (DisposeBatches) BatchDisposal.Dispose(batch);
    }

    /// <summary>Frees a batch that was prepared but never handed to the consumer (always disposed).</summary>
    internal static void DiscardBatch(TBatch batch) => BatchDisposal.Dispose(batch);
}
