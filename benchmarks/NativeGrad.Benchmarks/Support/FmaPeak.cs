using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeGrad.Benchmarks.Support;

/// <summary>
/// The machine's FP32 FMA peak, measured in the same process as the kernels it is compared with:
/// 12 independent Vector256 accumulators per thread (enough to cover FMA latency × throughput on
/// current x86 cores), one loop per thread, all threads started together behind a barrier.
/// </summary>
internal static class FmaPeak
{
    /// <summary>FLOP of one loop iteration: 12 accumulators × 8 lanes × (multiply + add).</summary>
    private const double FlopPerIteration = 12 * 8 * 2;

    /// <summary>True when the loop runs on real FMA instructions (else it measures mul+add).</summary>
    public static bool HasFma => Fma.IsSupported;

    /// <summary>
    /// GFLOP/s of <paramref name="threads"/> threads each running <paramref name="iterations"/> iterations;
    /// the best of <paramref name="samples"/> runs. The peak is an upper bound: load from other
    /// processes or guests only ever lowers a sample, so the fastest one estimates it best.
    /// </summary>
    public static double Measure(int threads, long iterations, int samples)
    {
        Loop(Math.Min(iterations, 100_000)); // JIT and warm up the core's clock before timing
        var results = new double[samples];
        for (int s = 0; s < samples; s++)
        {
            double seconds = RunOnce(threads, iterations);
            results[s] = threads * iterations * FlopPerIteration / seconds / 1e9;
        }
        return results.Max();
    }

    private static double RunOnce(int threads, long iterations)
    {
        if (threads == 1)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Sink(Loop(iterations));
            return System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        // Each worker times its own loop; the run lasts from the first start to the last end. (A
        // timestamp taken by the releasing thread after the barrier can come after the workers
        // have started, when that thread is descheduled, and flatter the peak.)
        using var start = new Barrier(threads);
        var begins = new long[threads];
        var ends = new long[threads];
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                begins[id] = System.Diagnostics.Stopwatch.GetTimestamp();
                Sink(Loop(iterations));
                ends[id] = System.Diagnostics.Stopwatch.GetTimestamp();
            }) { IsBackground = true };
            workers[t].Start();
        }
        foreach (Thread w in workers) w.Join();
        return (double)(ends.Max() - begins.Min()) / System.Diagnostics.Stopwatch.Frequency;
    }

    private static float s_sink;

    private static void Sink(float value) => Volatile.Write(ref s_sink, value);

    // c = c·a + b with a < 1 converges to b/(1−a): no overflow, no denormals, any iteration count.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop(long iterations)
    {
        Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(0.001f);
        Vector256<float> c0 = Vector256.Create(0.0f), c1 = Vector256.Create(0.1f), c2 = Vector256.Create(0.2f);
        Vector256<float> c3 = Vector256.Create(0.3f), c4 = Vector256.Create(0.4f), c5 = Vector256.Create(0.5f);
        Vector256<float> c6 = Vector256.Create(0.6f), c7 = Vector256.Create(0.7f), c8 = Vector256.Create(0.8f);
        Vector256<float> c9 = Vector256.Create(0.9f), c10 = Vector256.Create(1.0f), c11 = Vector256.Create(1.1f);
        if (Fma.IsSupported)
        {
            for (long i = 0; i < iterations; i++)
            {
                c0 = Fma.MultiplyAdd(c0, a, b); c1 = Fma.MultiplyAdd(c1, a, b); c2 = Fma.MultiplyAdd(c2, a, b);
                c3 = Fma.MultiplyAdd(c3, a, b); c4 = Fma.MultiplyAdd(c4, a, b); c5 = Fma.MultiplyAdd(c5, a, b);
                c6 = Fma.MultiplyAdd(c6, a, b); c7 = Fma.MultiplyAdd(c7, a, b); c8 = Fma.MultiplyAdd(c8, a, b);
                c9 = Fma.MultiplyAdd(c9, a, b); c10 = Fma.MultiplyAdd(c10, a, b); c11 = Fma.MultiplyAdd(c11, a, b);
            }
        }
        else
        {
            for (long i = 0; i < iterations; i++)
            {
                c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
                c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
                c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
            }
        }
        Vector256<float> sum = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11));
        return Vector256.Sum(sum);
    }
}
