using BenchmarkDotNet.Attributes;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>Per-op overhead of tiny ops (ANCHORS: libtorch add 1.6 µs, relu 0.9–1.2 µs; goal ≤ 150 ns).</summary>
[MemoryDiagnoser]
public class OverheadBenchmarks
{
    private OverheadWorkload _w = null!;

    [GlobalSetup]
    public void Setup() => _w = new OverheadWorkload();

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    /// <summary>Two 1-element tensors added, the result created and disposed.</summary>
    [Benchmark(Baseline = true)]
    public void Add1() => _w.Add1();

    /// <summary>relu of a 1-element tensor, the result created and disposed.</summary>
    [Benchmark]
    public void Relu1() => _w.Relu1();
}

/// <summary>Elementwise add of 4M floats into a new result (ANCHORS: libtorch 30 GB/s 1T, 38 GB/s 2T).</summary>
[MemoryDiagnoser]
[Config(typeof(BandwidthConfig))]
public class LargeAddBenchmarks
{
    private LargeAddWorkload _w = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        _w = new LargeAddWorkload();
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark(Baseline = true)]
    public void NativeGrad() => _w.Native();

    /// <summary>System.Numerics.Tensors into a new array (single-threaded whatever Threads says).</summary>
    [Benchmark]
    public float[] ManagedNewResult() => _w.ManagedNewResult();

    /// <summary>System.Numerics.Tensors into a reused array (single-threaded).</summary>
    [Benchmark]
    public void ManagedInPlace() => _w.ManagedInPlace();
}
