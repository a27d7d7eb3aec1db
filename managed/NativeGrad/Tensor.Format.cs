using System.Globalization;
using System.Text;

namespace NativeGrad;

public sealed partial class Tensor
{
    private const int SummarizeThreshold = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// The values in PyTorch's repr style, e.g. <c>tensor([[ 4., -4.], [ 4.,  4.]], requires_grad=True)</c>
    /// (one row per line); large tensors are summarised with "...".
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed) return "tensor(<disposed>)";
        long[] shape = ShapeRef;
        DType dtype = DType;
        double[] values = ToArray<double>();
        bool summarize = values.Length > SummarizeThreshold;
        Func<double, string> format = MakeFormatter(values, dtype, out int width);
        var sb = new StringBuilder("tensor(");
        if (shape.Length == 0)
        {
            sb.Append(format(values[0]).Trim());
        }
        else if (values.Length == 0)
        {
            sb.Append("[]");
        }
        else
        {
            var strides = new long[shape.Length];
            long acc = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                strides[i] = acc;
                acc *= shape[i];
            }
            AppendLevel(sb, values, shape, strides, 0, 0, summarize, v => format(v).PadLeft(width), "tensor(".Length);
        }
        var suffixes = new List<string>();
        if (values.Length == 0 && shape.Length > 1) suffixes.Add("size=(" + string.Join(", ", shape) + ")");
        if (dtype is DType.Float64 or DType.Int64 && values.Length > 0 || dtype == DType.Float64)
        {
            if (dtype != DType.Int64) suffixes.Add("dtype=nativegrad." + dtype.ToString().ToLowerInvariant());
        }
        if (dtype == DType.Int64 && values.Length == 0) suffixes.Add("dtype=nativegrad.int64");
        GradFn? fn = GradFn;
        if (fn is not null) suffixes.Add($"grad_fn=<{fn.Name}>");
        else if (RequiresGrad) suffixes.Add("requires_grad=True");
        foreach (string s in suffixes) sb.Append(", ").Append(s);
        return sb.Append(')').ToString();
    }

    private static void AppendLevel(StringBuilder sb, double[] values, long[] shape, long[] strides, int dim, long offset,
                                    bool summarize, Func<double, string> format, int indent)
    {
        sb.Append('[');
        long n = shape[dim];
        bool cut = summarize && n > 2 * EdgeItems;
        for (long i = 0; i < n; i++)
        {
            if (cut && i == EdgeItems)
            {
                sb.Append(dim == shape.Length - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = n - EdgeItems - 1;
                continue;
            }
            if (dim == shape.Length - 1)
            {
                sb.Append(format(values[offset + i * strides[dim]]));
                if (i < n - 1) sb.Append(", ");
            }
            else
            {
                AppendLevel(sb, values, shape, strides, dim + 1, offset + i * strides[dim], summarize, format, indent);
                if (i < n - 1)
                {
                    sb.Append(',');
                    sb.Append('\n', shape.Length - 1 - dim);
                    sb.Append(' ', indent + dim + 1);
                }
            }
        }
        sb.Append(']');
    }

    // Chooses PyTorch's number format for the whole tensor: integers as "4." when every float is
    // whole, fixed 4 decimals otherwise, scientific notation for very large/small magnitudes.
    private static Func<double, string> MakeFormatter(double[] values, DType dtype, out int width)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        Func<double, string> f;
        if (dtype == DType.Bool)
        {
            f = v => v != 0 ? "True" : "False";
        }
        else if (dtype == DType.Int64)
        {
            f = v => ((long)v).ToString(inv);
        }
        else
        {
            double maxAbs = 0, minAbs = double.PositiveInfinity;
            bool allWhole = true;
            foreach (double v in values)
            {
                if (!double.IsFinite(v)) continue;
                double a = Math.Abs(v);
                maxAbs = Math.Max(maxAbs, a);
                if (a > 0) minAbs = Math.Min(minAbs, a);
                if (Math.Floor(v) != v) allWhole = false;
            }
            bool sci = maxAbs >= 1e8 || (!allWhole && minAbs < 1e-4) || (minAbs > 0 && maxAbs / minAbs > 1000 && !allWhole);
            if (sci) f = v => Special(v) ?? v.ToString("0.0000e+00", inv);
            else if (allWhole) f = v => Special(v) ?? v.ToString("0", inv) + ".";
            else f = v => Special(v) ?? v.ToString("0.0000", inv);
        }
        int w = 0;
        foreach (double v in values) w = Math.Max(w, f(v).Length);
        width = w;
        return f;
    }

    private static string? Special(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : null;
}
