using NativeGrad.Benchmarks.Managed;
using NativeGrad.Benchmarks.Support;
using NativeGrad.Benchmarks.Workloads;
using NativeGrad.Interop;
using static NativeGrad.Benchmarks.Report.ReportTable;

namespace NativeGrad.Benchmarks.Report;

/// <summary>
/// The <c>--report</c> mode: measures every figure of ANCHORS.md with Stopwatch medians in one process
/// (the FMA peak first, so GEMM percentages use a peak from the same run) and prints one Markdown table
/// with the machine and the command, for the README. A full run takes a few minutes; <c>--quick</c>
/// is a smoke run (numbers indicative only).
/// </summary>
internal sealed class ReportRunner(bool quick, string command, string? only = null)
{
    private readonly Timing _timing = quick ? new Timing(sampleMs: 4, samples: 3, warmupMs: 20)
                                            : new Timing(sampleMs: 40, samples: 11, warmupMs: 150);
    // Overhead figures need the JIT's tier-1 code even in a quick run (tier-up waits ~100 ms).
    private readonly Timing _tinyOpTiming = quick ? new Timing(sampleMs: 10, samples: 5, warmupMs: 250)
                                                  : new Timing(sampleMs: 50, samples: 15, warmupMs: 500);
    private readonly ReportTable _table = new();
    private readonly Dictionary<int, double> _peak = new();

    public int Run()
    {
        DateTime started = DateTime.Now;
        int defaultThreads = Threading.NumThreads;
        long startupHwm = Machine.PeakResidentBytes;

        Section("hardware", Peak);
        Section("overhead", Overhead);
        Section("autograd", AutogradFigures);
        Section("GEMM", Gemm);
        Section("GEMM, managed C#", ManagedGemmFigures);
        Section("conv2d", Conv);
        Section("pooling", Pool);
        Section("managed C# conv/pool", ManagedConvPoolFigures);
        Section("LeNet-5", () => LeNet(startupHwm));

        Threading.NumThreads = defaultThreads;
        TimeSpan took = DateTime.Now - started;

        Console.WriteLine("## NativeGrad benchmark report");
        Console.WriteLine();
        Console.WriteLine($"- Machine: {Machine.Describe()}");
        Console.WriteLine($"- NativeGrad native library {Try(() => NativeLibraryInfo.Version)} ({Try(() => NativeLibraryInfo.CpuFeatures)})" +
                          (Environment.GetEnvironmentVariable("NATIVEGRAD_ISA") is { } isa ? $", NATIVEGRAD_ISA={isa}" : ""));
        Console.WriteLine($"- Command: `{command}`");
        Console.WriteLine($"- Method: Stopwatch, median of {_timing.Samples} samples of ≥ {_timing.SampleMs} ms each " +
                          $"(per-op overhead: {_tinyOpTiming.Samples} × ≥ {_tinyOpTiming.SampleMs} ms), after warm-up; " +
                          $"run took {took.TotalSeconds:F0} s on {started:yyyy-MM-dd HH:mm}." +
                          (quick ? " QUICK RUN: smoke test, numbers indicative only." : ""));
        if (Selected("GEMM"))
            Console.WriteLine($"- OpenBLAS: {(OpenBlas.IsAvailable ? OpenBlas.Config + " (its SGEMM measured right after each NativeGrad GEMM figure, in this process)" : "not installed (install libopenblas0 to measure it in the same run)")}");
        Console.WriteLine("- GEMM % of peak: GFLOP/s ÷ the FMA peak at the same thread count: the best FMA-loop sample of this run " +
                          "so far (measured at the start and again before each NativeGrad GEMM figure).");
        Console.WriteLine();
        Console.Write(_table.ToMarkdown());
        return 0;
    }

    private void Section(string name, Action body)
    {
        if (!Selected(name)) return;
        Console.Error.WriteLine($"[{name}]");
        try
        {
            body();
        }
        catch (Exception e)
        {
            // A section that cannot run (an op missing from this build, say) must not hide the others.
            _table.Add(new ReportRow(name, "(section failed)", "-", $"error: {e.GetType().Name}: {FirstLine(e.Message)}", "-", "-"));
        }
    }

    // --only NAME keeps the sections whose name contains NAME, and always the peak they are compared with.
    private bool Selected(string section) =>
        only is null || section == "hardware" || section.Contains(only, StringComparison.OrdinalIgnoreCase);

    private void Row(string area, string figure, int threads, Func<string> measure, string reference, string goal)
    {
        string measured;
        try
        {
            Threading.NumThreads = threads;
            measured = measure();
        }
        catch (Exception e)
        {
            measured = $"error: {e.GetType().Name}: {FirstLine(e.Message)}";
        }
        _table.Add(new ReportRow(area, figure, threads.ToString(), measured, reference, goal));
    }

    // ---- sections ------------------------------------------------------------------------------

    private void Peak()
    {
        long iterations = quick ? 10_000_000 : 100_000_000;
        int samples = quick ? 3 : 5;
        foreach (int t in new[] { 1, 2 })
        {
            Row("hardware", $"FP32 FMA peak, managed Vector256 loop, 12 accumulators{(FmaPeak.HasFma ? "" : " (no FMA: mul+add)")}", t,
                () =>
                {
                    _peak[t] = FmaPeak.Measure(t, iterations, samples);
                    return $"{F(_peak[t], 0)} GFLOP/s";
                },
                t == 1 ? "114 GFLOP/s" : "220 GFLOP/s", "-");
        }
    }

    private void Overhead()
    {
        using var w = new OverheadWorkload();
        Row("overhead", "add of two 1-element tensors, result disposed", 1, () => TinyOp(w.Add1), "1.6 µs (2T: 1.8 µs)", "≤ 150 ns");
        Row("overhead", "relu of a 1-element tensor, result disposed", 1, () => TinyOp(w.Relu1), "1.2 µs (2T: 0.9 µs)", "-");

        using var big = new LargeAddWorkload();
        foreach (int t in new[] { 1, 2 })
        {
            Row("overhead", "elementwise add, 4M floats, new result", t, () => Bandwidth(big.Native, big.Bytes),
                t == 1 ? "30 GB/s" : "38 GB/s", "-");
        }
        Row("overhead", "managed C#: TensorPrimitives.Add, 4M floats, new array", 1,
            () => Bandwidth(() => big.ManagedNewResult(), big.Bytes), "-", "-");
        Row("overhead", "managed C#: TensorPrimitives.Add, 4M floats, reused array", 1,
            () => Bandwidth(big.ManagedInPlace, big.Bytes), "-", "-");
    }

    private void AutogradFigures()
    {
        foreach (int nodes in new[] { 100, 1000 })
        {
            using var chain = new AutogradChainWorkload(nodes);
            Row("autograd", $"backward through a retained chain of {nodes} small ops (16 floats), per node", 1,
                () => PerUnit(chain.BackwardRetained, nodes, "node"), "-", "-");
            Row("autograd", $"forward + backward + disposal, chain of {nodes}, per node", 1,
                () => PerUnit(chain.ForwardBackward, nodes, "node"), "-", "-");
        }

        using var plain = new AutogradChainWorkload(100);
        using var hooked = new AutogradChainWorkload(100, hookEveryNode: true);
        Row("autograd", $"tensor hook callback (backward with {hooked.HookCount} hooks − without) per hook", 1, () =>
        {
            double without = _timing.Measure(plain.BackwardRetained).MedianNs;
            double with = _timing.Measure(hooked.BackwardRetained).MedianNs;
            return $"{F((with - without) / hooked.HookCount, 0)} ns/hook (backward {Time(without)} → {Time(with)})";
        }, "-", "-");

        using var custom = new CustomFunctionWorkload();
        Row("autograd", "custom Function call (recorded, 16 floats) vs built-in x * 2", 1, () =>
        {
            double c = _timing.Measure(custom.CustomForward).MedianNs;
            double b = _timing.Measure(custom.BuiltInForward).MedianNs;
            return $"{Time(c)} vs {Time(b)} (+{Time(c - b)} per call)";
        }, "-", "-");
        Row("autograd", "custom Function forward + backward callback vs built-in", 1, () =>
        {
            double c = _timing.Measure(custom.CustomForwardBackward).MedianNs;
            double b = _timing.Measure(custom.BuiltInForwardBackward).MedianNs;
            return $"{Time(c)} vs {Time(b)} (+{Time(c - b)})";
        }, "-", "-");
    }

    private void Gemm()
    {
        (int N, string T1, string T2)[] anchors =
        [
            (128, "libtorch 81, OpenBLAS 95", "libtorch 113, OpenBLAS 123"),
            (256, "libtorch 89, OpenBLAS 101", "libtorch 148, OpenBLAS 173"),
            (512, "libtorch 84, OpenBLAS 96", "libtorch 154, OpenBLAS 193"),
            (1024, "libtorch 77, OpenBLAS 98", "libtorch 131, OpenBLAS 183"),
            (2048, "libtorch 76, OpenBLAS 100", "libtorch 143, OpenBLAS 190"),
        ];
        foreach ((int n, string ref1, string ref2) in anchors)
        {
            using var w = new GemmWorkload(n);
            using OpenBlasGemmWorkload? blas = OpenBlas.IsAvailable ? new OpenBlasGemmWorkload(w) : null;
            bool agreementChecked = false;
            foreach (int t in new[] { 1, 2 })
            {
                string goal = n >= 512 ? (t == 2 ? "≥ 187 (≥ 85% of peak)" : "≥ 95") : "-";
                double native = 0;
                Row("GEMM", $"Tensor.MatMul, square N = {n}", t, () => GemmGflops(w.Native, w.Flop, t, out native), t == 1 ? ref1 : ref2, goal);
                if (blas is not null)
                    Row("GEMM", $"OpenBLAS cblas_sgemm right after it, square N = {n}", t, () =>
                    {
                        if (!agreementChecked) CheckAgreement(blas, w);
                        agreementChecked = true;
                        return OpenBlasGflops(blas, t, native);
                    }, "-", "-");
            }
        }
    }

    private static void CheckAgreement(OpenBlasGemmWorkload blas, GemmWorkload w)
    {
        OpenBlas.SetNumThreads(1);
        double disagreement = blas.CheckAgreement(w);
        if (disagreement > 1e-4)
            throw new InvalidOperationException($"OpenBLAS and NativeGrad N = {w.N} products differ by {disagreement:E1} of the largest element");
    }

    // The peer is measured right after NativeGrad's figure, under the same load. Each library's idle
    // worker threads spin for a while before they sleep (OpenMP's for milliseconds, OpenBLAS's for up
    // to ~0.1 s), so a pause before and after keeps either from eating the other's cores.
    private string OpenBlasGflops(OpenBlasGemmWorkload blas, int threads, double nativeGflops)
    {
        OpenBlas.SetNumThreads(threads);
        Thread.Sleep(100);
        double ns = _timing.Measure(blas.Run).MedianNs;
        Thread.Sleep(500);
        double gflops = blas.Flop / ns;
        string pct = _peak.TryGetValue(threads, out double peak) ? $", {F(100 * gflops / peak, 0)}% of peak" : "";
        return $"{F(gflops, 1)} GFLOP/s{pct} ({Time(ns)}); NativeGrad ÷ OpenBLAS = {F(nativeGflops / gflops, 2)}";
    }

    private void ManagedGemmFigures()
    {
        foreach (int n in new[] { 128, 256 })
        {
            var m = new ManagedGemmWorkload(n);
            double disagreement = m.CheckAgreement();
            if (disagreement > 1e-3) throw new InvalidOperationException($"managed GEMMs disagree (max rel. {disagreement:E1})");
            Row("GEMM, managed C#", $"plain i-k-j loops, N = {n}", 1, () => Gflops(m.PlainLoops, m.Flop, 1), "-", "-");
            Row("GEMM, managed C#", $"TensorPrimitives.MultiplyAdd rows, N = {n}", 1, () => Gflops(m.TensorPrimitivesRows, m.Flop, 1), "-", "-");
            Row("GEMM, managed C#", $"Vector256 FMA 4×16 register block, N = {n}", 1, () => Gflops(m.Vector256Blocked, m.Flop, 1), "-", "-");
        }
    }

    private void Conv()
    {
        (ConvShape Shape, string Fwd, string FwdBwd, string Goal)[] cases =
        [
            (ConvShape.LeNetConv1, "0.41 ms (oneDNN 0.21)", "4.45 ms (oneDNN 3.30)", "≤ 1.0 ms"),
            (ConvShape.LeNetConv2, "0.25 ms (oneDNN 0.15)", "1.35 ms (oneDNN 0.87)", "≤ 0.8 ms"),
            (ConvShape.ResNetBlock, "19.9 ms (oneDNN 17.7)", "65.4 ms (oneDNN 55.0)", "≤ 55 ms"),
        ];
        foreach ((ConvShape s, string fwdRef, string fwdBwdRef, string goal) in cases)
        {
            using var w = new ConvWorkload(s);
            string desc = $"N={s.Batch}, {s.InChannels}→{s.OutChannels}, {s.Size}×{s.Size}, k{s.Kernel}, pad {s.Padding}";
            Row("conv2d", $"{s.Name} forward ({desc})", 2, () =>
            {
                double ns = _timing.Measure(w.Forward).MedianNs;
                return $"{Time(ns)} ({F(s.ForwardFlop / ns, 1)} GFLOP/s)";
            }, fwdRef, "-");
            Row("conv2d", $"{s.Name} forward+backward", 2, () => Time(_timing.Measure(w.ForwardBackward).MedianNs), fwdBwdRef, goal);
        }
    }

    private void Pool()
    {
        using var w = new PoolWorkload();
        const string shape = "64×16×28×28, 2×2/2, NCHW";
        Row("pooling", $"max_pool2d forward ({shape})", 2, () => Time(_timing.Measure(w.MaxForward).MedianNs), "2.74 ms (channels-last 0.27)", "-");
        Row("pooling", "max_pool2d forward+backward", 2, () => Time(_timing.Measure(w.MaxForwardBackward).MedianNs), "3.12 ms (channels-last 0.55)", "≤ 0.3 ms");
        Row("pooling", "avg_pool2d forward", 2, () => Time(_timing.Measure(w.AvgForward).MedianNs), "1.18 ms (channels-last 0.25)", "-");
        Row("pooling", "avg_pool2d forward+backward", 2, () => Time(_timing.Measure(w.AvgForwardBackward).MedianNs), "2.37 ms (channels-last 0.51)", "≤ 0.3 ms");
    }

    private void ManagedConvPoolFigures()
    {
        foreach (ConvShape s in new[] { ConvShape.LeNetConv1, ConvShape.LeNetConv2 })
        {
            float[] x, wt, b;
            using (var conv = new ConvWorkload(s)) (x, wt, b) = conv.ToArrays();
            var y = new float[s.Batch * s.OutChannels * s.OutSize * s.OutSize];
            Row("managed C# conv/pool", $"{s.Name} forward, direct loops + TensorPrimitives", 1, () =>
            {
                double ns = _timing.Measure(() => ManagedConvPool.Conv2dForward(x, wt, b, y, s.Batch, s.InChannels, s.OutChannels, s.Size, s.Kernel, s.Padding)).MedianNs;
                return $"{Time(ns)} ({F(s.ForwardFlop / ns, 1)} GFLOP/s)";
            }, "-", "-");
        }
        float[] poolIn;
        using (var pool = new PoolWorkload()) poolIn = pool.InputArray();
        var poolOut = new float[poolIn.Length / 4];
        Row("managed C# conv/pool", "max_pool2d forward, plain loops", 1, () =>
            Time(_timing.Measure(() => ManagedConvPool.MaxPool2x2(poolIn, poolOut, PoolWorkload.Batch * PoolWorkload.Channels, PoolWorkload.Size)).MedianNs),
            "-", "-");
    }

    private void LeNet(long startupHwm)
    {
        (int Batch, string T1, string T2, string Goal)[] cases = [(64, "8.6 ms", "5.2 ms", "≤ 2.0 ms (2T)"), (256, "31.4 ms", "19.5 ms", "-")];
        foreach ((int batch, string ref1, string ref2, string goal) in cases)
        {
            using var w = new LeNetWorkload(batch);
            foreach (int t in new[] { 1, 2 })
            {
                Row("LeNet-5", $"training step, batch {batch} (fwd, cross-entropy, bwd, SGD momentum)", t, () =>
                {
                    float first = w.StepAndReadLoss();
                    double ns = _timing.Measure(w.Step).MedianNs;
                    return $"{Time(ns)} ({F(batch / (ns / 1e9), 0)} img/s, loss {F(first, 2)}→{F(w.StepAndReadLoss(), 2)})";
                }, t == 1 ? ref1 : ref2, t == 2 ? goal : "-");
            }
        }

        Row("memory", "VmHWM of this report process at start-up (library loaded)", 1, () => Mb(startupHwm), "140 MB", "-");
        int steps = quick ? 20 : 200;
        (long Startup, long Trained)? probe = null;
        Row("memory", "VmHWM of a fresh process at start-up (library loaded)", 2, () =>
        {
            probe = MemoryProbe.Measure(batch: 64, steps, threads: 2);
            return Mb(probe.Value.Startup);
        }, "140 MB", "-");
        Row("memory", $"VmHWM of a fresh process after {steps} LeNet steps, batch 64", 2,
            () => probe is { } p ? Mb(p.Trained) : "n/a (probe failed)", "231–236 MB", "≤ 60 MB");
    }

    // ---- measurement helpers -------------------------------------------------------------------

    private string TinyOp(Action op)
    {
        Measurement m = _tinyOpTiming.Measure(op);
        return $"{F(m.MedianNs, 0)} ns ({F(m.AllocatedBytesPerCall, 0)} B managed alloc/op)";
    }

    private string Bandwidth(Action op, double bytes)
    {
        double ns = _timing.Measure(op).MedianNs;
        return $"{F(bytes / ns, 1)} GB/s ({Time(ns)})";
    }

    private string PerUnit(Action op, int units, string unit)
    {
        double ns = _timing.Measure(op).MedianNs;
        return $"{F(ns / units, 0)} ns/{unit} ({Time(ns)} total)";
    }

    private string Gflops(Action op, double flop, int threads) => Gflops(op, flop, threads, out _);

    private string Gflops(Action op, double flop, int threads, out double gflops)
    {
        double ns = _timing.Measure(op).MedianNs;
        gflops = flop / ns;
        string pct = _peak.TryGetValue(threads, out double peak) ? $", {F(100 * gflops / peak, 0)}% of peak ({F(peak, 0)})" : "";
        return $"{F(gflops, 1)} GFLOP/s{pct} ({Time(ns)})";
    }

    // The peak is measured again right before each GEMM figure and the best measurement of the run
    // so far is the reference: on a shared machine a single measurement at the start can catch a
    // loaded moment and would make every later ratio too flattering.
    private string GemmGflops(Action op, double flop, int threads, out double gflops)
    {
        double near = FmaPeak.Measure(threads, quick ? 5_000_000 : 30_000_000, 3);
        _peak[threads] = Math.Max(_peak.GetValueOrDefault(threads), near);
        return Gflops(op, flop, threads, out gflops);
    }

    private static string Mb(long bytes) => bytes < 0 ? "n/a" : $"{F(bytes / 1e6, 0)} MB";

    private static string Try(Func<string> f)
    {
        try { return f(); }
        catch (Exception e) { return $"unknown ({e.GetType().Name})"; }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Replace("|", "/");
}
