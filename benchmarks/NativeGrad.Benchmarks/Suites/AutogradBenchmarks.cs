using BenchmarkDotNet.Attributes;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>Autograd engine cost per graph node over a chain of small elementwise ops.</summary>
[MemoryDiagnoser]
[Config(typeof(AutogradConfig))]
public class AutogradBenchmarks
{
    private AutogradChainWorkload _w = null!;

    [Params(100, 1000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup() => _w = new AutogradChainWorkload(Nodes);

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    /// <summary>Backward over a retained graph (built once): the engine alone.</summary>
    [Benchmark(Baseline = true)]
    public void BackwardRetained() => _w.BackwardRetained();

    /// <summary>Forward recording + backward + disposal, per training-step use.</summary>
    [Benchmark]
    public void ForwardBackward() => _w.ForwardBackward();

    /// <summary>Forward recording alone.</summary>
    [Benchmark]
    public void ForwardOnly() => _w.ForwardOnly();
}

/// <summary>
/// Tensor hook callback overhead: backward over a 100-node chain with a hook on each of its 99
/// intermediate results vs the same chain without hooks; (difference) / 99 = cost of one hook call.
/// </summary>
[MemoryDiagnoser]
public class HookBenchmarks
{
    public const int Nodes = 100;

    private AutogradChainWorkload _plain = null!, _hooked = null!;

    [GlobalSetup]
    public void Setup()
    {
        _plain = new AutogradChainWorkload(Nodes);
        _hooked = new AutogradChainWorkload(Nodes, hookEveryNode: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _hooked.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void BackwardWithoutHooks() => _plain.BackwardRetained();

    [Benchmark]
    public void BackwardWith99Hooks() => _hooked.BackwardRetained();
}
