using System.Diagnostics;

namespace NativeGrad.Benchmarks.Support;

/// <summary>One timed figure: the median time of one call and the managed bytes each call allocated.</summary>
internal readonly record struct Measurement(double MedianNs, double AllocatedBytesPerCall, long CallsPerSample, int Samples);

/// <summary>
/// Stopwatch timing for the report mode: warm up, find how many calls fill one sample, then take the
/// median over several samples. Cheap calls are batched so timer resolution does not matter.
/// </summary>
internal sealed class Timing(double sampleMs, int samples, double warmupMs)
{
    public double SampleMs { get; } = sampleMs;
    public int Samples { get; } = samples;

    public Measurement Measure(Action call)
    {
        // Warm-up: long enough for tiered JIT to promote hot paths (its call-count delay is ~100 ms).
        var warm = Stopwatch.StartNew();
        do call(); while (warm.Elapsed.TotalMilliseconds < warmupMs);

        double targetNs = SampleMs * 1e6;
        long calls = 1;
        while (true)
        {
            double ns = TimeNs(call, calls);
            if (ns >= targetNs || calls >= (1L << 40)) break;
            long next = ns <= 0 ? calls * 10 : (long)Math.Ceiling(calls * targetNs / ns * 1.05);
            calls = Math.Max(next, calls + 1);
        }

        var perCall = new double[Samples];
        long allocated = 0;
        for (int s = 0; s < Samples; s++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            perCall[s] = TimeNs(call, calls) / calls;
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return new Measurement(Stats.Median(perCall), (double)allocated / (calls * Samples), calls, Samples);
    }

    private static double TimeNs(Action call, long calls)
    {
        long t0 = Stopwatch.GetTimestamp();
        for (long i = 0; i < calls; i++) call();
        return (Stopwatch.GetTimestamp() - t0) * (1e9 / Stopwatch.Frequency);
    }
}
