using BenchmarkDotNet.Attributes;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>
/// Square SGEMM through Tensor.MatMul at 1 and 2 threads, GFLOP/s and % of the FMA peak measured in the
/// same run (ANCHORS: libtorch 76–89 / 113–154, OpenBLAS 95–101 / 123–193 GFLOP/s; goal ≥ 187 at 2T, N ≥ 512).
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private GemmWorkload _w = null!;

    [Params(128, 256, 512, 1024, 2048)]
    public int N { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        _w = new GemmWorkload(N);
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark]
    public void MatMul() => _w.Native();
}

/// <summary>The same GEMM in managed C# (one thread) next to the native one at one thread, small N.</summary>
[Config(typeof(ManagedGemmConfig))]
public class ManagedGemmBenchmarks
{
    private GemmWorkload _native = null!;
    private ManagedGemmWorkload _managed = null!;

    [Params(128, 256)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = 1;
        _native = new GemmWorkload(N);
        _managed = new ManagedGemmWorkload(N);
    }

    [GlobalCleanup]
    public void Cleanup() => _native.Dispose();

    [Benchmark(Baseline = true)]
    public void NativeGradMatMul1T() => _native.Native();

    [Benchmark]
    public void ManagedPlainLoops() => _managed.PlainLoops();

    [Benchmark]
    public void ManagedTensorPrimitives() => _managed.TensorPrimitivesRows();

    [Benchmark]
    public void ManagedVector256() => _managed.Vector256Blocked();
}

/// <summary>The FMA peak itself as a benchmark (one call = 20M iterations per thread = 3.84 GFLOP per thread).</summary>
[Config(typeof(FmaPeakConfig))]
public class FmaPeakBenchmarks
{
    public const long Iterations = 20_000_000;

    [Params(1, 2)]
    public int Threads { get; set; }

    [Benchmark]
    public double Peak() => Support.FmaPeak.Measure(Threads, Iterations, samples: 1);
}
