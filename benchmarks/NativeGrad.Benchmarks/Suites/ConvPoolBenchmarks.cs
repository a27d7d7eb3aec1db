using BenchmarkDotNet.Attributes;
using NativeGrad.Benchmarks.Managed;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>conv2d forward and forward+backward on the ANCHORS shapes, 2 threads by default.</summary>
[Config(typeof(ConvConfig))]
public class ConvBenchmarks
{
    private ConvWorkload _w = null!;

    public static IEnumerable<ConvShape> Shapes => ConvShape.All;

    [ParamsSource(nameof(Shapes))]
    public ConvShape Shape { get; set; } = ConvShape.LeNetConv1;

    [Params(2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        _w = new ConvWorkload(Shape);
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark]
    public void Forward() => _w.Forward();

    [Benchmark]
    public void ForwardBackward() => _w.ForwardBackward();
}

/// <summary>max/avg pooling 2×2/2 on 64×16×28×28 (ANCHORS: libtorch NCHW max fwd+bwd 3.12 ms; goal ≤ 0.3 ms).</summary>
public class PoolBenchmarks
{
    private PoolWorkload _w = null!;

    [Params(2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Threading.NumThreads = Threads;
        _w = new PoolWorkload();
    }

    [GlobalCleanup]
    public void Cleanup() => _w.Dispose();

    [Benchmark] public void MaxPoolForward() => _w.MaxForward();
    [Benchmark] public void MaxPoolForwardBackward() => _w.MaxForwardBackward();
    [Benchmark] public void AvgPoolForward() => _w.AvgForward();
    [Benchmark] public void AvgPoolForwardBackward() => _w.AvgForwardBackward();
}

/// <summary>Managed C# conv2d forward (one thread) for the LeNet conv shapes, next to the native forward above.</summary>
[Config(typeof(ConvConfig))]
public class ManagedConvBenchmarks
{
    private float[] _x = [], _w = [], _b = [], _y = [];

    public static IEnumerable<ConvShape> Shapes => [ConvShape.LeNetConv1, ConvShape.LeNetConv2];

    [ParamsSource(nameof(Shapes))]
    public ConvShape Shape { get; set; } = ConvShape.LeNetConv1;

    [GlobalSetup]
    public void Setup()
    {
        using (var conv = new ConvWorkload(Shape)) (_x, _w, _b) = conv.ToArrays();
        _y = new float[Shape.Batch * Shape.OutChannels * Shape.OutSize * Shape.OutSize];
    }

    /// <summary>Named "Forward" so the forward-GFLOP/s column applies.</summary>
    [Benchmark]
    public void Forward() =>
        ManagedConvPool.Conv2dForward(_x, _w, _b, _y, Shape.Batch, Shape.InChannels, Shape.OutChannels, Shape.Size, Shape.Kernel, Shape.Padding);
}

/// <summary>Managed C# 2×2/2 max pooling forward (one thread) on the pooling benchmark's input.</summary>
public class ManagedPoolBenchmarks
{
    private float[] _in = [], _out = [];

    [GlobalSetup]
    public void Setup()
    {
        using (var pool = new PoolWorkload()) _in = pool.InputArray();
        _out = new float[_in.Length / 4];
    }

    [Benchmark]
    public void MaxPoolForward() =>
        ManagedConvPool.MaxPool2x2(_in, _out, PoolWorkload.Batch * PoolWorkload.Channels, PoolWorkload.Size);
}
