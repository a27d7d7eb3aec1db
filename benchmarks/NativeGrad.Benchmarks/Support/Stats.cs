namespace NativeGrad.Benchmarks.Support;

/// <summary>Small statistics helpers (the report uses medians: robust on a shared, noisy machine).</summary>
internal static class Stats
{
    public static double Median(double[] values)
    {
        if (values.Length == 0) return double.NaN;
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }
}
