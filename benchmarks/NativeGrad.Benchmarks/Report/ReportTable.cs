using System.Globalization;
using System.Text;

namespace NativeGrad.Benchmarks.Report;

/// <summary>One line of the report: what was measured, the value, and the peer figure it compares with.</summary>
internal sealed record ReportRow(string Area, string Figure, string Threads, string Measured, string Reference, string Goal);

/// <summary>Collects rows and renders them as one Markdown table (also echoing progress to stderr).</summary>
internal sealed class ReportTable
{
    private readonly List<ReportRow> _rows = new();

    public IReadOnlyList<ReportRow> Rows => _rows;

    public void Add(ReportRow row)
    {
        _rows.Add(row);
        Console.Error.WriteLine($"  {row.Area} | {row.Figure} | {row.Threads} | {row.Measured}");
    }

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| area | figure | threads | NativeGrad (measured) | libtorch / peers (ANCHORS.md) | goal |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (ReportRow r in _rows)
            sb.AppendLine($"| {r.Area} | {r.Figure} | {r.Threads} | {r.Measured} | {r.Reference} | {r.Goal} |");
        return sb.ToString();
    }

    public static string Time(double ns) => ns switch
    {
        < 1e3 => F(ns, 0) + " ns",
        < 1e6 => F(ns / 1e3, 2) + " µs",
        < 1e9 => F(ns / 1e6, 3) + " ms",
        _ => F(ns / 1e9, 2) + " s",
    };

    public static string F(double value, int decimals) => value.ToString("F" + decimals, CultureInfo.InvariantCulture);
}
