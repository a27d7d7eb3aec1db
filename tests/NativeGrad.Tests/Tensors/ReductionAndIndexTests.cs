namespace NativeGrad.Tests.Tensors;

public class ReductionAndIndexTests
{
    [Fact]
    public void Sum_mean_over_dims_with_and_without_keepdim()
    {
        using var a = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(21f, a.Sum().Item<float>());
        Assert.Equal(3.5f, a.Mean().Item<float>());
        Assert.Equal(new float[] { 5, 7, 9 }, a.Sum(0).ToArray<float>());
        using var k = a.Sum(1, keepDim: true);
        Assert.Equal(new long[] { 2, 1 }, k.Shape);
        Assert.Equal(new float[] { 6, 15 }, k.ToArray<float>());
        Assert.Equal(new float[] { 2, 5 }, a.Mean(-1).ToArray<float>());
        Assert.Equal(21f, a.Sum([0, 1]).Item<float>());
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Sum(2));
        using var ints = Tensor.FromArray(new long[] { 1, 2 });
        Assert.Equal(DType.Int64, ints.Sum().DType);
        Assert.Throws<ArgumentException>(() => ints.Mean());
    }

    [Fact]
    public void Large_sums_are_accurate_and_identical_for_any_thread_count()
    {
        using var g = new Generator(7);
        using var a = Tensor.Rand([1_000_003], g);
        int before = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 1;
            float s1 = a.Sum().Item<float>();
            Threading.NumThreads = 3;
            float s3 = a.Sum().Item<float>();
            Assert.Equal(s1, s3);
            double exact = a.ToArray<float>().Select(v => (double)v).Sum();
            Assert.Equal(exact, s1, 1e-2);
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }

    [Fact]
    public void Max_min_with_indices_and_argmax()
    {
        using var a = Tensor.FromArray(new float[,] { { 1, 9, 3 }, { 7, 5, 7 } });
        var (v, i) = a.Max(1);
        Assert.Equal(new float[] { 9, 7 }, v.ToArray<float>());
        Assert.Equal(new long[] { 1, 0 }, i.ToArray<long>());
        var (mv, mi) = a.Min(0, keepDim: true);
        Assert.Equal(new long[] { 1, 3 }, mv.Shape);
        Assert.Equal(new float[] { 1, 5, 3 }, mv.ToArray<float>());
        Assert.Equal(new long[] { 0, 1, 0 }, mi.ToArray<long>());
        Assert.Equal(9f, a.Max().Item<float>());
        Assert.Equal(1f, a.Min().Item<float>());
        Assert.Equal(1L, a.ArgMax().Item<long>());
        Assert.Equal(new long[] { 0, 1 }, a.ArgMin(1).ToArray<long>());
    }

    [Fact]
    public void Softmax_is_stable_and_log_softmax_consistent()
    {
        using var a = Tensor.FromArray(new float[,] { { 1000, 1001, 1002 }, { -5, 0, 5 } });
        float[] s = a.Softmax(1).ToArray<float>();
        Assert.All(s, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(1f, s[0] + s[1] + s[2], 5);
        float[] ls = a.LogSoftmax(1).ToArray<float>();
        for (int k = 0; k < 6; k++) Assert.Equal(Math.Log(s[k]), ls[k], 4);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1 }).Softmax(0));
    }

    [Fact]
    public void Gather_scatter_and_index_select()
    {
        using var a = Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } });
        using var idx = Tensor.FromArray(new long[,] { { 0, 0 }, { 1, 0 } });
        Assert.Equal(new float[] { 1, 1, 4, 3 }, a.Gather(1, idx).ToArray<float>());
        using var src = Tensor.FromArray(new float[,] { { 10, 20 }, { 30, 40 } });
        using var z = Tensor.Zeros(2, 3);
        using var sidx = Tensor.FromArray(new long[,] { { 2, 0 }, { 1, 2 } });
        Assert.Equal(new float[] { 20, 0, 10, 0, 30, 40 }, z.Scatter(1, sidx, src).ToArray<float>());
        Assert.Equal(new float[] { 0, 0, 5, 0, 5, 0 }, z.Scatter(1, sidx.Narrow(1, 0, 1), 5).ToArray<float>());
        using var dup = Tensor.FromArray(new long[,] { { 0, 0 } });
        using var added = Tensor.Zeros(1, 2).ScatterAdd(1, dup, Tensor.FromArray(new float[,] { { 1, 2 } }));
        Assert.Equal(new float[] { 3, 0 }, added.ToArray<float>());
        using var sel = a.IndexSelect(0, Tensor.FromArray(new long[] { 1, 1, 0 }));
        Assert.Equal(new float[] { 3, 4, 3, 4, 1, 2 }, sel.ToArray<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => a.Gather(1, Tensor.FromArray(new long[,] { { 2, 0 }, { 0, 0 } })));
        Assert.Contains("index 2 is out of bounds", e.Message);
        Assert.Throws<ArgumentException>(() => a.Gather(1, Tensor.FromArray(new float[,] { { 0, 0 }, { 0, 0 } })));
    }
}
