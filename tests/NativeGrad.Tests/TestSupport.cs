namespace NativeGrad.Tests;

/// <summary>Tests in this collection run alone: they count live native tensors process-wide.</summary>
[CollectionDefinition("Serial", DisableParallelization = true)]
public sealed class SerialCollection
{
}

internal static class Assertions
{
    public static void Close(double[] expected, double[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i]))
            {
                Assert.True(double.IsNaN(actual[i]), $"element {i}: expected NaN, got {actual[i]}");
                continue;
            }
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                        $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public static void Close(float[] expected, float[] actual, double tolerance = 1e-5) =>
        Close(expected.Select(v => (double)v).ToArray(), actual.Select(v => (double)v).ToArray(), tolerance);

    public static double[] Values(Tensor t) => t.ToArray<double>();
}
