using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace NativeGrad.Data;

/// <summary>Counts the DataLoader worker threads of all loaders that have not exited (for tests and diagnostics).</summary>
internal static class LoaderWorkers
{
    public static int Live;

    public static int Count => Volatile.Read(ref Live);
}

/// <summary>
/// One epoch of a <see cref="DataLoader{TSample, TBatch}"/>. Without workers it builds each batch in
/// <see cref="MoveNext"/>; with W workers, worker w builds batches w, w+W, … into its own queue and
/// <see cref="MoveNext"/> takes batch k from queue k mod W, which keeps the order independent of W.
/// </summary>
/// <remarks>
/// Memory bound: worker w takes one of its <c>PrefetchFactor</c> semaphore slots before it starts a
/// batch, and the consumer gives the slot back when it takes the batch, so a worker never holds more
/// than <c>PrefetchFactor</c> unconsumed batches. Shutdown: cancel, join the workers (each finishes
/// or abandons at most the batch in its hands, disposing it), then dispose what is left in the queues;
/// joining first means no worker can add a batch after the queues were drained.
/// </remarks>
internal sealed class BatchEnumerator<TSample, TBatch> : IEnumerator<TBatch>
{
    // A queue entry: a finished batch, or the failure that stopped the worker at that position.
    private readonly record struct Slot(TBatch? Batch, ExceptionDispatchInfo? Error);

    private readonly DataLoader<TSample, TBatch> _loader;
    private readonly int[] _order;
    private readonly int _epoch;
    private readonly int _batchCount;
    private readonly int _workerCount;

    private Thread[]? _workers;
    private BlockingCollection<Slot>[]? _queues;
    private SemaphoreSlim[]? _slots;
    private CancellationTokenSource? _cancel;

    private int _next;            // index of the batch MoveNext returns next
    private bool _hasCurrent;
    private bool _finished;
    private bool _disposed;
    private TBatch _current = default!;

    public BatchEnumerator(DataLoader<TSample, TBatch> loader, int[] order, int epoch)
    {
        _loader = loader;
        _order = order;
        _epoch = epoch;
        int n = order.Length, b = loader.BatchSize;
        _batchCount = loader.DropLast ? n / b : (n + b - 1) / b;
        // No point in more workers than batches.
        _workerCount = Math.Min(loader.NumWorkers, _batchCount);
    }

    public TBatch Current => _hasCurrent ? _current : throw new InvalidOperationException("The enumeration has not started or has ended.");

    object? IEnumerator.Current => Current;

    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReleaseCurrent();
        if (_finished || _next >= _batchCount)
        {
            Finish();
            return false;
        }
        int k = _next++;
        if (_workerCount == 0)
        {
            try
            {
                _current = Build(k);
            }
            catch
            {
                _finished = true;
                throw;
            }
        }
        else
        {
            if (_workers is null) StartWorkers();
            int w = k % _workerCount;
            Slot slot = _queues![w].Take();
            _slots![w].Release();
            if (slot.Error is not null)
            {
                // Stop the other workers before the exception leaves; Dispose cleans up the rest.
                _finished = true;
                StopWorkers();
                slot.Error.Throw();
            }
            _current = slot.Batch!;
        }
        _hasCurrent = true;
        return true;
    }

    public void Reset() => throw new NotSupportedException("Start a new epoch with DataLoader.GetEnumerator() instead.");

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseCurrent();
        Finish();
    }

    private void Finish()
    {
        _finished = true;
        StopWorkers();
    }

    private void ReleaseCurrent()
    {
        if (!_hasCurrent) return;
        _hasCurrent = false;
        TBatch batch = _current;
        _current = default!;
        _loader.ReleaseBatch(batch);
    }

    /// <summary>Builds batch k in a private dispose scope so temporaries (samples, collate intermediates) are freed at once.</summary>
    private TBatch Build(int k)
    {
        int start = k * _loader.BatchSize;
        int count = Math.Min(_loader.BatchSize, _order.Length - start);
        using DisposeScope scope = DisposeScope.Begin();
        TBatch batch = _loader.BuildBatch(_order.AsSpan(start, count), _epoch, k);
        // The batch belongs to the loader (or the user), never to a scope of the thread that built it.
        BatchDisposal.DetachFromScopes(batch);
        return batch;
    }

    private void StartWorkers()
    {
        int prefetch = _loader.PrefetchFactor;
        _cancel = new CancellationTokenSource();
        _queues = new BlockingCollection<Slot>[_workerCount];
        _slots = new SemaphoreSlim[_workerCount];
        _workers = new Thread[_workerCount];
        for (int w = 0; w < _workerCount; w++)
        {
            _queues[w] = new BlockingCollection<Slot>(new ConcurrentQueue<Slot>());
            _slots[w] = new SemaphoreSlim(prefetch, prefetch);
        }
        CancellationToken token = _cancel.Token;
        for (int w = 0; w < _workerCount; w++)
        {
            int id = w;
            _workers[w] = new Thread(() => WorkerLoop(id, token))
            {
                IsBackground = true,
                Name = $"NativeGrad DataLoader worker {w}",
            };
            _workers[w].Start();
        }
    }

    private void WorkerLoop(int w, CancellationToken cancel)
    {
        Interlocked.Increment(ref LoaderWorkers.Live);
        try
        {
            Produce(w, cancel);
        }
        finally
        {
            Interlocked.Decrement(ref LoaderWorkers.Live);
        }
    }

    private void Produce(int w, CancellationToken cancel)
    {
        BlockingCollection<Slot> queue = _queues![w];
        SemaphoreSlim slots = _slots![w];
        for (int k = w; k < _batchCount; k += _workerCount)
        {
            try
            {
                slots.Wait(cancel);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            TBatch batch;
            try
            {
                batch = Build(k);
            }
            catch (Exception e)
            {
                // Delivered in order: the consumer sees it when it reaches batch k.
                queue.Add(new Slot(default, ExceptionDispatchInfo.Capture(e)));
                return;
            }
            if (cancel.IsCancellationRequested)
            {
                DataLoader<TSample, TBatch>.DiscardBatch(batch);
                return;
            }
            queue.Add(new Slot(batch, null));
        }
    }

    private void StopWorkers()
    {
        if (_workers is null) return;
        _cancel!.Cancel();
        foreach (Thread t in _workers) t.Join();
        foreach (BlockingCollection<Slot> q in _queues!)
        {
            while (q.TryTake(out Slot s))
            {
                if (s.Error is null) DataLoader<TSample, TBatch>.DiscardBatch(s.Batch!);
            }
            q.Dispose();
        }
        foreach (SemaphoreSlim s in _slots!) s.Dispose();
        _cancel.Dispose();
        _workers = null;
        _queues = null;
        _slots = null;
        _cancel = null;
    }
}
