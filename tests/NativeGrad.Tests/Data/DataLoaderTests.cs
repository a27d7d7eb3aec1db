using NativeGrad.Data;

namespace NativeGrad.Tests.Data;

public class DataLoaderTests
{
    // 37 samples (prime): batches of 5 leave a last batch of 2.
    private const int N = 37;

    /// <summary>Sample i: features [3i, 3i+1, 3i+2], label i.</summary>
    private static TensorDataset MakeDataset(int n = N)
    {
        float[] x = Enumerable.Range(0, 3 * n).Select(v => (float)v).ToArray();
        long[] y = Enumerable.Range(0, n).Select(v => (long)v).ToArray();
        using Tensor xt = Tensor.FromArray(x, [n, 3]);
        using Tensor yt = Tensor.FromArray(y, [n]);
        return new TensorDataset(xt, yt);
    }

    private static List<(float[] X, long[] Y, long[] Shape)> Collect(DataLoader loader)
    {
        var result = new List<(float[], long[], long[])>();
        foreach (var (images, labels) in loader) result.Add((images.ToArray<float>(), labels.ToArray<long>(), images.Shape));
        return result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchesAreIdenticalForAnyNumberOfWorkers(bool shuffle)
    {
        using TensorDataset ds = MakeDataset();
        List<(float[] X, long[] Y, long[] Shape)>? reference = null;
        foreach (int workers in new[] { 0, 1, 2, 3 })
        {
            var loader = new DataLoader(ds, batchSize: 5, shuffle: shuffle, seed: 7, numWorkers: workers, prefetchFactor: 2);
            var batches = Collect(loader);
            Assert.Equal(8, batches.Count);
            // Content: every row matches its label, every sample appears once.
            foreach ((float[] x, long[] y, long[] shape) in batches)
            {
                Assert.Equal(new long[] { y.Length, 3 }, shape);
                for (int i = 0; i < y.Length; i++)
                {
                    for (int j = 0; j < 3; j++) Assert.Equal(3 * y[i] + j, x[3 * i + j]);
                }
            }
            long[] all = batches.SelectMany(b => b.Y).ToArray();
            Assert.Equal(Enumerable.Range(0, N).Select(v => (long)v), all.Order());
            if (!shuffle) Assert.Equal(Enumerable.Range(0, N).Select(v => (long)v), all);
            Assert.Equal(2, batches[^1].Y.Length);

            if (reference is null)
            {
                reference = batches;
                continue;
            }
            for (int b = 0; b < batches.Count; b++)
            {
                Assert.Equal(reference[b].Y, batches[b].Y);
                Assert.Equal(reference[b].X, batches[b].X);
            }
        }
    }

    [Fact]
    public void ShuffleIsSeededAndChangesEveryEpoch()
    {
        using TensorDataset ds = MakeDataset();
        long[] Epoch(DataLoader l) => Collect(l).SelectMany(b => b.Y).ToArray();

        var a = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 123);
        var b = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 123, numWorkers: 2);
        var c = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 124);
        long[] a0 = Epoch(a), a1 = Epoch(a);
        long[] b0 = Epoch(b), b1 = Epoch(b);
        long[] c0 = Epoch(c);
        Assert.Equal(a0, b0);
        Assert.Equal(a1, b1);
        Assert.NotEqual(a0, a1);                 // a new permutation each epoch
        Assert.NotEqual(a0, c0);                 // another seed, another order
        Assert.NotEqual(Enumerable.Range(0, N).Select(v => (long)v), a0);

        a.Epoch = 0;                             // replaying an epoch gives its order again
        Assert.Equal(a0, Epoch(a));
    }

    [Fact]
    public void DropLastDropsTheIncompleteBatch()
    {
        using TensorDataset ds = MakeDataset();
        foreach (int workers in new[] { 0, 2 })
        {
            var keep = new DataLoader(ds, batchSize: 5, numWorkers: workers);
            var drop = new DataLoader(ds, batchSize: 5, dropLast: true, numWorkers: workers);
            Assert.Equal(8, keep.Count);
            Assert.Equal(7, drop.Count);
            var kept = Collect(keep);
            var dropped = Collect(drop);
            Assert.Equal(8, kept.Count);
            Assert.Equal(7, dropped.Count);
            Assert.All(dropped, b => Assert.Equal(5, b.Y.Length));
            Assert.Equal(Enumerable.Range(0, 35).Select(v => (long)v), dropped.SelectMany(b => b.Y));
        }
        // Exact multiple: nothing to drop.
        using TensorDataset even = MakeDataset(10);
        Assert.Equal(2, new DataLoader(even, batchSize: 5, dropLast: true).Count);
        Assert.Equal(2, new DataLoader(even, batchSize: 5).Count);
    }

    [Fact]
    public void BatchSizeLargerThanDatasetGivesOneBatchOrNone()
    {
        using TensorDataset ds = MakeDataset(3);
        Assert.Single(Collect(new DataLoader(ds, batchSize: 8, numWorkers: 2)));
        Assert.Empty(Collect(new DataLoader(ds, batchSize: 8, dropLast: true, numWorkers: 2)));
    }

    /// <summary>A dataset of (features, label) pairs served through the indexer + collate path.</summary>
    private sealed class IndexedPairs(int n) : Dataset<(Tensor, Tensor)>
    {
        public override int Count => n;

        public override (Tensor, Tensor) this[int index]
        {
            get
            {
                CheckIndex(index);
                return (Tensor.FromArray(new float[] { index, -index }, [2]), Tensor.Scalar(index, DType.Int64));
            }
        }
    }

    [Fact]
    public void IndexerAndCollatePathStacksSamples()
    {
        var ds = new IndexedPairs(11);
        var reference = Collect(new DataLoader(ds, batchSize: 4, shuffle: true, seed: 3));
        var parallel = Collect(new DataLoader(ds, batchSize: 4, shuffle: true, seed: 3, numWorkers: 3));
        Assert.Equal(3, reference.Count);
        for (int b = 0; b < reference.Count; b++)
        {
            Assert.Equal(reference[b].Y, parallel[b].Y);
            Assert.Equal(reference[b].X, parallel[b].X);
            Assert.Equal(new long[] { reference[b].Y.Length, 2 }, reference[b].Shape);
            for (int i = 0; i < reference[b].Y.Length; i++)
            {
                Assert.Equal(reference[b].Y[i], reference[b].X[2 * i]);
                Assert.Equal(-reference[b].Y[i], reference[b].X[2 * i + 1]);
            }
        }
    }

    [Fact]
    public void GenericLoaderWithCustomCollate()
    {
        var ds = new IntDataset(10);
        var loader = new DataLoader<int, int[]>(ds, samples => samples.ToArray(), batchSize: 3, numWorkers: 2);
        Assert.Equal(new[] { new[] { 0, 1, 2 }, new[] { 3, 4, 5 }, new[] { 6, 7, 8 }, new[] { 9 } }, loader.ToList());
    }

    [Fact]
    public void TensorDatasetRejectsMismatchedTensors()
    {
        using Tensor a = Tensor.Zeros(4, 2);
        using Tensor b = Tensor.Zeros(5);
        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(a, b));
        Assert.Contains("4", e.Message);
        Assert.Contains("5", e.Message);
    }

    [Fact]
    public void TensorDatasetIndexerReturnsSlices()
    {
        using TensorDataset ds = MakeDataset(5);
        Tensor[] s = ds[3];
        Assert.Equal(new float[] { 9, 10, 11 }, s[0].ToArray<float>());
        Assert.Equal(3L, s[1].Item<long>());
        Assert.Empty(s[1].Shape);
        foreach (Tensor t in s) t.Dispose();
        Assert.Throws<ArgumentOutOfRangeException>(() => ds[5]);
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        using TensorDataset ds = MakeDataset(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, numWorkers: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(ds, numWorkers: 1, prefetchFactor: 0));
        Assert.Throws<ArgumentNullException>(() => new DataLoader<int, int[]>(new IntDataset(3), null));
    }

    internal sealed class IntDataset(int n) : Dataset<int>
    {
        public override int Count => n;

        public override int this[int index] => index;
    }
}
