namespace NativeGrad.Tests.Tensors;

public class ViewTests
{
    private static Tensor Range(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        using var a = Tensor.Arange(0, n, 1, DType.Float32);
        return a.Reshape(shape);
    }

    [Fact]
    public void View_shares_storage_and_reshapes()
    {
        using var a = Range(2, 6);
        using var v = a.View(3, 4);
        Assert.True(v.SharesStorageWith(a));
        Assert.Equal(a.ToArray<float>(), v.ToArray<float>());
    }

    [Fact]
    public void View_of_a_transposed_tensor_fails_and_reshape_copies()
    {
        using var a = Range(2, 3);
        using var t = a.T;
        Assert.False(t.IsContiguous);
        var e = Assert.Throws<ArgumentException>(() => t.View(6));
        Assert.Contains("Reshape", e.Message);
        using var r = t.Reshape(6);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, r.ToArray<float>());
        Assert.False(r.SharesStorageWith(a));
    }

    [Fact]
    public void View_rejects_two_inferred_dimensions_and_wrong_sizes()
    {
        using var a = Range(2, 6);
        Assert.Throws<ArgumentException>(() => a.View(-1, -1));
        var e = Assert.Throws<ArgumentException>(() => a.View(5, -1));
        Assert.Contains("[5,-1]", e.Message);
    }

    [Fact]
    public void Permute_transpose_and_their_values()
    {
        using var a = Range(2, 3, 4);
        using var p = a.Permute(2, 0, 1);
        Assert.Equal(new long[] { 4, 2, 3 }, p.Shape);
        float[] src = a.ToArray<float>();
        float[] dst = p.ToArray<float>();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    Assert.Equal(src[j * 12 + k * 4 + i], dst[i * 6 + j * 3 + k]);
        Assert.Throws<ArgumentException>(() => a.Permute(0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Transpose(0, 3));
    }

    [Fact]
    public void Unsqueeze_squeeze_flatten_narrow_slice()
    {
        using var a = Range(2, 1, 3);
        using var u = a.Unsqueeze(-1);
        Assert.Equal(new long[] { 2, 1, 3, 1 }, u.Shape);
        using var s = u.Squeeze();
        Assert.Equal(new long[] { 2, 3 }, s.Shape);
        using var s1 = a.Squeeze(1);
        Assert.Equal(new long[] { 2, 3 }, s1.Shape);
        using var s0 = a.Squeeze(0);
        Assert.Equal(new long[] { 2, 1, 3 }, s0.Shape);
        using var f = Range(2, 3, 4).Flatten(1);
        Assert.Equal(new long[] { 2, 12 }, f.Shape);
        using var n = Range(4, 5).Narrow(1, 1, 3);
        Assert.Equal(new float[] { 1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18 }, n.ToArray<float>());
        using var sl = Range(6).Slice(0, -4, -1);
        Assert.Equal(new float[] { 2, 3, 4 }, sl.ToArray<float>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Range(4).Narrow(0, 2, 5));
        Assert.Contains("narrow", e.Message);
    }

    [Fact]
    public void Contiguous_copies_only_when_needed()
    {
        using var a = Range(3, 4);
        using var c = a.Contiguous();
        Assert.True(c.SharesStorageWith(a));
        using var t = a.T;
        using var tc = t.Contiguous();
        Assert.True(tc.IsContiguous);
        Assert.False(tc.SharesStorageWith(a));
        Assert.Equal(t.ToArray<float>(), tc.ToArray<float>());
    }

    [Fact]
    public void Expand_adds_leading_dimensions_and_keeps_minus_one()
    {
        using var a = Range(3, 1);
        using var e = a.Expand(2, -1, 4);
        Assert.Equal(new long[] { 2, 3, 4 }, e.Shape);
        Assert.Equal(new long[] { 0, 1, 0 }, e.Strides);
    }
}
