namespace NativeGrad.Tests.Tensors;

public class CreationAndDataTests
{
    [Fact]
    public void Factories_fill_the_requested_shape_and_dtype()
    {
        using var z = Tensor.Zeros(2, 3);
        using var o = Tensor.Ones([4], DType.Float64);
        using var f = Tensor.Full([2, 2], 7.5);
        using var i = Tensor.Full([3], 4, DType.Int64);
        Assert.Equal(new long[] { 2, 3 }, z.Shape);
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(DType.Float64, o.DType);
        Assert.All(o.ToArray<double>(), v => Assert.Equal(1.0, v));
        Assert.All(f.ToArray<float>(), v => Assert.Equal(7.5f, v));
        Assert.Equal(new long[] { 4, 4, 4 }, i.ToArray<long>());
    }

    [Fact]
    public void Arange_matches_pytorch_including_fractional_steps()
    {
        using var a = Tensor.Arange(5);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, a.ToArray<long>());
        using var b = Tensor.Arange(1, 2, 0.25);
        Assert.Equal(new float[] { 1, 1.25f, 1.5f, 1.75f }, b.ToArray<float>());
        using var c = Tensor.Arange(3, 0, -1, DType.Int64);
        Assert.Equal(new long[] { 3, 2, 1 }, c.ToArray<long>());
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0, 1, 0));
    }

    [Fact]
    public void Seeded_generators_reproduce_their_numbers()
    {
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var a = Tensor.Rand([100], g1);
        using var b = Tensor.Rand([100], g2);
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.All(a.ToArray<float>(), v => Assert.InRange(v, 0f, 0.99999994f));
        using var n = Tensor.Randn([20000], g1, DType.Float64);
        double mean = n.ToArray<double>().Average();
        double var = n.ToArray<double>().Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(var, 0.95, 1.05);
        using var r = Tensor.RandInt(3, 7, [1000], g1);
        Assert.All(r.ToArray<long>(), v => Assert.InRange(v, 3, 6));
        g1.Seed(42);
        using var c = Tensor.Rand([100], g1);
        Assert.Equal(a.ToArray<float>(), c.ToArray<float>());
    }

    [Fact]
    public void FromArray_takes_the_shape_of_multidimensional_arrays()
    {
        using var t = Tensor.FromArray(new double[,,] { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } });
        Assert.Equal(new long[] { 2, 2, 2 }, t.Shape);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6, 7, 8 }, t.ToArray<double>());
        using var ints = Tensor.FromArray(new[] { 1, 2, 3 });
        Assert.Equal(DType.Int64, ints.DType);
        using var bools = Tensor.FromArray(new bool[,] { { true, false } });
        Assert.Equal(new long[] { 1, 2 }, bools.Shape);
        Assert.Equal(new[] { true, false }, bools.ToArray<bool>());
    }

    [Fact]
    public void FromArray_rejects_a_shape_that_does_not_match_the_data()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, [2, 2]));
        Assert.Contains("[2,2]", e.Message);
    }

    [Fact]
    public void Scalars_and_items()
    {
        using var s = Tensor.Scalar(3.5);
        Assert.Equal(0, s.Rank);
        Assert.Empty(s.Shape);
        Assert.Equal(1, s.NumElements);
        Assert.Equal(3.5f, s.Item<float>());
        Assert.Equal(3L, s.Item<long>());
        using var many = Tensor.Zeros(2);
        var e = Assert.Throws<ArgumentException>(() => many.Item<float>());
        Assert.Contains("one-element", e.Message);
    }

    [Fact]
    public void Empty_tensors_have_zero_elements_and_reduce_to_identities()
    {
        using var e = Tensor.Zeros(0, 3);
        Assert.Equal(0, e.NumElements);
        Assert.Empty(e.ToArray<float>());
        using var s = e.Sum();
        Assert.Equal(0f, s.Item<float>());
        using var m = e.Mean();
        Assert.True(float.IsNaN(m.Item<float>()));
        Assert.Throws<ArgumentException>(() => e.Max());
        using var sum0 = e.Sum(0);
        Assert.Equal(new float[] { 0, 0, 0 }, sum0.ToArray<float>());
    }

    [Fact]
    public void ToArray_converts_between_dtypes()
    {
        using var t = Tensor.FromArray(new float[] { 1.5f, -2f });
        Assert.Equal(new double[] { 1.5, -2 }, t.ToArray<double>());
        Assert.Equal(new long[] { 1, -2 }, t.ToArray<long>());
        using var i = t.ToType(DType.Int64);
        Assert.Equal(DType.Int64, i.DType);
        using var b = t.ToType(DType.Bool);
        Assert.Equal(new[] { true, true }, b.ToArray<bool>());
    }

    [Fact]
    public void Threading_num_threads_round_trips_and_rejects_zero()
    {
        int before = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 1;
            Assert.Equal(1, Threading.NumThreads);
            Assert.Throws<ArgumentException>(() => Threading.NumThreads = 0);
        }
        finally
        {
            Threading.NumThreads = before;
        }
    }
}
