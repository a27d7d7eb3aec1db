using System.Runtime.CompilerServices;
using NativeGrad.Data;

namespace NativeGrad.Tests.Data;

/// <summary>Workers, prefetching, cancellation and failures. Serial: counts live native tensors process-wide.</summary>
[Collection("Serial")]
public class DataLoaderLifetimeTests
{
    /// <summary>A batch that counts how many batches exist at once (built and not yet disposed).</summary>
    private sealed class Probe : IDisposable
    {
        private static int s_live;
        private static int s_max;
        private int _disposed;

        public Probe(int first)
        {
            First = first;
            int live = Interlocked.Increment(ref s_live);
            int max;
            while (live > (max = Volatile.Read(ref s_max)) && Interlocked.CompareExchange(ref s_max, live, max) != max) { }
        }

        public int First { get; }
        public static int Live => Volatile.Read(ref s_live);
        public static int Max => Volatile.Read(ref s_max);
        public static void Reset() { s_live = 0; s_max = 0; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref s_live);
        }
    }

    private sealed class ProbeDataset(int n) : Dataset<int>, IBatchSource<Probe>
    {
        public override int Count => n;
        public override int this[int index] => index;

        public Probe GetBatch(ReadOnlySpan<int> indices, Random random) => new(indices[0]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 1)]
    [InlineData(2, 4)]
    public void PrefetchIsBoundedPerWorker(int workers, int prefetch)
    {
        Probe.Reset();
        var loader = new DataLoader<int, Probe>(new ProbeDataset(200), collate: null, batchSize: 4,
                                                numWorkers: workers, prefetchFactor: prefetch);
        var firsts = new List<int>();
        foreach (Probe p in loader)
        {
            firsts.Add(p.First);
            Thread.Sleep(2);   // a slow consumer: workers run ahead until their slots are full
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(b => 4 * b), firsts);
        // Queued or in preparation ≤ workers × prefetch, plus the one batch the loop holds.
        Assert.InRange(Probe.Max, 2, workers * prefetch + 1);
        Assert.Equal(workers * prefetch + 1, Probe.Max);
        Assert.Equal(0, Probe.Live);
        Assert.Equal(0, LoaderWorkers.Count);
    }

    private static TensorDataset MakeDataset(int n)
    {
        using Tensor x = Tensor.Rand(n, 1, 4, 4);
        using Tensor y = Tensor.Arange(n);
        return new TensorDataset(x, y);
    }

    private static void CollectGarbage()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BreakEarly(DataLoader loader, int after)
    {
        int seen = 0;
        foreach (var (images, labels) in loader)
        {
            Assert.False(images.IsDisposed);
            if (++seen == after) break;
        }
        return seen;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void EarlyBreakLeavesNoTensorsAndNoThreads(int workers)
    {
        using TensorDataset ds = MakeDataset(100);
        CollectGarbage();
        long baseline = Tensor.LiveCount;
        var loader = new DataLoader(ds, batchSize: 3, shuffle: true, seed: 1, numWorkers: workers, prefetchFactor: 3);
        Assert.Equal(2, BreakEarly(loader, 2));
        // Disposal is deterministic: no GC needed for the batches themselves.
        Assert.Equal(baseline, Tensor.LiveCount);
        Assert.Equal(0, LoaderWorkers.Count);
    }

    [Fact]
    public void ExceptionInTheLoopBodyStopsWorkers()
    {
        using TensorDataset ds = MakeDataset(100);
        long baseline = Tensor.LiveCount;
        var loader = new DataLoader(ds, batchSize: 2, numWorkers: 2, prefetchFactor: 2);
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var (images, _) in loader)
            {
                throw new InvalidOperationException("boom");
            }
        });
        Assert.Equal(baseline, Tensor.LiveCount);
        Assert.Equal(0, LoaderWorkers.Count);
    }

    [Fact]
    public void DisposingTheEnumeratorFreesPreparedBatches()
    {
        using TensorDataset ds = MakeDataset(60);
        long baseline = Tensor.LiveCount;
        var loader = new DataLoader(ds, batchSize: 2, numWorkers: 3, prefetchFactor: 4);
        IEnumerator<(Tensor Images, Tensor Labels)> e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        (Tensor images, _) = e.Current;
        Thread.Sleep(50);   // let the workers fill their prefetch slots
        Assert.True(Tensor.LiveCount > baseline + 2);
        e.Dispose();
        Assert.True(images.IsDisposed);
        Assert.Equal(baseline, Tensor.LiveCount);
        Assert.Equal(0, LoaderWorkers.Count);
        Assert.Throws<ObjectDisposedException>(() => e.MoveNext());
    }

    [Fact]
    public void BatchesAreDisposedAsTheLoopAdvancesUnlessKept()
    {
        using TensorDataset ds = MakeDataset(10);
        var owned = new List<Tensor>();
        foreach (var (images, labels) in new DataLoader(ds, batchSize: 4, numWorkers: 1)) owned.Add(images);
        Assert.All(owned, t => Assert.True(t.IsDisposed));

        var kept = new List<Tensor>();
        foreach (var (images, labels) in new DataLoader(ds, batchSize: 4) { DisposeBatches = false })
        {
            kept.Add(images);
            kept.Add(labels);
        }
        Assert.All(kept, t => Assert.False(t.IsDisposed));
        foreach (Tensor t in kept) t.Dispose();
    }

    [Fact]
    public void BatchesBuiltOnTheLoopThreadDoNotJoinItsDisposeScope()
    {
        using TensorDataset ds = MakeDataset(8);
        using DisposeScope outer = DisposeScope.Begin();
        int before = outer.Count;
        foreach (var (images, labels) in new DataLoader(ds, batchSize: 4) { DisposeBatches = false })
        {
            images.Dispose();
            labels.Dispose();
        }
        Assert.Equal(before, outer.Count);
    }

    /// <summary>Throws when sample <see cref="FailAt"/> is read.</summary>
    private sealed class FailingDataset(int n) : Dataset<(Tensor, Tensor)>
    {
        public int FailAt { get; init; } = 13;
        public override int Count => n;

        public override (Tensor, Tensor) this[int index]
        {
            get
            {
                if (index == FailAt) ThrowFromDeepInside(index);
                return (Tensor.Full([2], index), Tensor.Scalar(index, DType.Int64));
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ThrowFromDeepInside(int index) =>
            throw new InvalidDataException($"sample {index} is corrupt");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void WorkerExceptionSurfacesInOrderWithItsOriginalStack(int workers)
    {
        CollectGarbage();
        long baseline = Tensor.LiveCount;
        var loader = new DataLoader(new FailingDataset(40), batchSize: 4, numWorkers: workers, prefetchFactor: 2);
        var seen = new List<long>();
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var (_, labels) in loader) seen.AddRange(labels.ToArray<long>());
        });
        Assert.Equal("sample 13 is corrupt", e.Message);
        Assert.Contains(nameof(FailingDataset) + ".ThrowFromDeepInside", e.StackTrace);
        // Every batch before the failing one (batch 3 holds sample 13) was delivered.
        Assert.Equal(Enumerable.Range(0, 12).Select(v => (long)v), seen);
        Assert.Equal(0, LoaderWorkers.Count);
        CollectGarbage();
        Assert.Equal(baseline, Tensor.LiveCount);
    }
}
