namespace NativeGrad.Data;

/// <summary>
/// A dataset that can build a whole batch at once, faster than collating per-sample objects (for
/// example by copying pixels straight into one batch buffer). <see cref="DataLoader{TSample, TBatch}"/>
/// uses it instead of the indexer and the collate function when its dataset implements it.
/// </summary>
/// <typeparam name="TBatch">The batch type, e.g. <c>(Tensor Images, Tensor Labels)</c>.</typeparam>
public interface IBatchSource<TBatch>
{
    /// <summary>
    /// A new batch made of the samples at <paramref name="indices"/>, in that order. Called from worker
    /// threads, concurrently, so it must be thread-safe. <paramref name="random"/> is seeded per batch
    /// by the loader (for random augmentation that is reproducible for any number of workers).
    /// </summary>
    TBatch GetBatch(ReadOnlySpan<int> indices, Random random);
}
