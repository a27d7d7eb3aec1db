using BenchmarkDotNet.Attributes;
using NativeGrad.Benchmarks.Support;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>
/// One LeNet-5 training step (ANCHORS: libtorch batch 64: 8.6 ms 1T / 5.2 ms 2T; batch 256: 31.4 / 19.5 ms;
/// goal ≤ 2.0 ms at batch 64, 2T). The process's peak memory (VmHWM) is printed at cleanup.
/// </summary>
[MemoryDiagnoser]
public class LeNetBenchmarks
{
    private LeNetWorkload _w = null!;

    [Params(64, 256)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        _w = new LeNetWorkload(Batch);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _w.Dispose();
        Console.WriteLine($"// LeNet batch {Batch}, {Threads} thread(s): process VmHWM = {Machine.PeakResidentBytes / 1048576.0:F1} MiB");
    }

    [Benchmark]
    public void TrainingStep() => _w.Step();
}
