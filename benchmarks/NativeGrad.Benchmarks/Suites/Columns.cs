using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NativeGrad.Benchmarks.Support;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Suites;

/// <summary>
/// A derived figure computed from a benchmark's median time: work per call ÷ time (GFLOP/s, GB/s)
/// or time ÷ count (ns per node). <c>work</c> returns null where the column does not apply.
/// </summary>
internal sealed class DerivedColumn(string name, string legend, Func<BenchmarkCase, double?> work, bool perTime, string format = "F1")
    : IColumn
{
    public string Id => nameof(DerivedColumn) + "." + name;
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        double? amount = work(benchmarkCase);
        if (median is not double ns || amount is not double w || ns <= 0) return "-";
        // perTime: amount per second in units of 1e9 (GFLOP/s, GB/s); else nanoseconds per unit.
        double value = perTime ? w / ns : ns / w;
        return value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public override string ToString() => ColumnName;
}

/// <summary>
/// GEMM GFLOP/s as a percentage of the FMA peak for the case's thread count, the peak measured by
/// <see cref="FmaPeak"/> in the host process of the same BenchmarkDotNet run (once per thread count).
/// </summary>
internal sealed class PercentOfPeakColumn : IColumn
{
    private static readonly Dictionary<int, double> s_peaks = new();

    public string Id => nameof(PercentOfPeakColumn);
    public string ColumnName => "% of FMA peak";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "GFLOP/s ÷ the managed FMA-loop peak at the same thread count, measured in this run";

    public static double PeakFor(int threads)
    {
        lock (s_peaks)
        {
            if (!s_peaks.TryGetValue(threads, out double peak))
                s_peaks[threads] = peak = FmaPeak.Measure(threads, iterations: 20_000_000, samples: 5);
            return peak;
        }
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        if (median is not double ns || Params.Int(benchmarkCase, "N") is not int n) return "-";
        int threads = Params.Int(benchmarkCase, "Threads") ?? 1;
        double gflops = 2.0 * n * n * n / ns;
        double peak = PeakFor(threads);
        return $"{100 * gflops / peak:F0}% of {peak:F0}";
    }

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public override string ToString() => ColumnName;
}

/// <summary>Reads benchmark parameters by name.</summary>
internal static class Params
{
    public static int? Int(BenchmarkCase c, string name) =>
        c.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value is int v ? v : null;

    public static T? Get<T>(BenchmarkCase c, string name) where T : class =>
        c.Parameters.Items.FirstOrDefault(p => p.Name == name)?.Value as T;
}

/// <summary>The column sets the suites attach through [Config].</summary>
internal static class Columns
{
    public static DerivedColumn GemmGflops() =>
        new("GFLOP/s", "2·N³ / median time", c => Params.Int(c, "N") is int n ? 2.0 * n * n * n : null, perTime: true);

    public static DerivedColumn ConvGflops() =>
        new("fwd GFLOP/s", "forward FLOP (2·N·Cout·Hout·Wout·Cin·k²) / median time, forward rows only",
            c => c.Descriptor.WorkloadMethod.Name == "Forward" && Params.Get<ConvShape>(c, "Shape") is ConvShape s ? s.ForwardFlop : null,
            perTime: true);

    public static DerivedColumn NsPerNode() =>
        new("ns/node", "median time / graph nodes", c => Params.Int(c, "Nodes") is int n ? n : null, perTime: false);

    public static DerivedColumn GBps() =>
        new("GB/s", "(2 operands read + 1 result written) × 4 B × length / median time",
            c => 3.0 * sizeof(float) * LargeAddWorkload.DefaultLength, perTime: true);
}

internal sealed class FmaPeakConfig : ManualConfig
{
    public FmaPeakConfig() => AddColumn(new DerivedColumn("GFLOP/s", "threads × iterations × 192 FLOP / median time",
        c => (Params.Int(c, "Threads") ?? 1) * (double)FmaPeakBenchmarks.Iterations * 192, perTime: true));
}

internal sealed class GemmConfig : ManualConfig
{
    public GemmConfig() => AddColumn(Columns.GemmGflops(), new PercentOfPeakColumn());
}

internal sealed class ManagedGemmConfig : ManualConfig
{
    public ManagedGemmConfig() => AddColumn(Columns.GemmGflops());
}

internal sealed class ConvConfig : ManualConfig
{
    public ConvConfig() => AddColumn(Columns.ConvGflops());
}

internal sealed class AutogradConfig : ManualConfig
{
    public AutogradConfig() => AddColumn(Columns.NsPerNode());
}

internal sealed class BandwidthConfig : ManualConfig
{
    public BandwidthConfig() => AddColumn(Columns.GBps());
}
