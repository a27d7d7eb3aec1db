namespace NativeGrad.Data;

/// <summary>
/// Seeds and permutations that depend only on their inputs (not on the .NET version or the thread
/// that computes them), so that shuffling and augmentation are reproducible for any number of workers.
/// </summary>
internal static class SeedMixer
{
    /// <summary>SplitMix64 finaliser: a well-mixed 64-bit value from any 64-bit input.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A seed derived from a base seed and a list of counters (epoch, batch index, ...).</summary>
    public static ulong Derive(ulong seed, params ReadOnlySpan<ulong> parts)
    {
        ulong h = Mix(seed);
        foreach (ulong p in parts) h = Mix(h ^ Mix(p + 0x632BE59BD9B4E019UL));
        return h;
    }

    /// <summary>A <see cref="Random"/> seeded from a derived seed (the seeded constructor's sequence is fixed across .NET versions).</summary>
    public static Random CreateRandom(ulong seed) => new((int)(seed ^ (seed >> 32)) & int.MaxValue);

    /// <summary>
    /// A uniformly random permutation of 0..n-1 by Fisher–Yates, driven by a SplitMix64 stream:
    /// the same seed always gives the same order.
    /// </summary>
    public static int[] Permutation(int n, ulong seed)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        ulong state = seed;
        for (int i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong r = Mix(state);
            // Lemire's multiply-shift maps r to [0, i] with negligible bias for dataset sizes.
            int j = (int)(((UInt128)r * (ulong)(i + 1)) >> 64);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
