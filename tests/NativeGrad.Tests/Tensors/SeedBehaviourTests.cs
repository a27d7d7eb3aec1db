namespace NativeGrad.Tests.Tensors;

/// <summary>The behaviours the seed notes show in PyTorch, reproduced through the C# API.</summary>
public class SeedBehaviourTests
{
    [Fact]
    public void View_infers_the_minus_one_dimension()
    {
        using var c = Tensor.Rand(2, 3, 4, 5).View(3, 4, 5, -1);
        Assert.Equal(new long[] { 3, 4, 5, 2 }, c.Shape);
    }

    [Fact]
    public void Expand_of_a_non_singleton_dimension_fails_with_an_explanation()
    {
        using var a = Tensor.Rand(2, 3);
        var e = Assert.Throws<ArgumentException>(() => a.Expand(6, 3));
        Assert.Contains("expand", e.Message);
        Assert.Contains("size 1", e.Message);
        Assert.Contains("[2,3]", e.Message);
    }

    [Fact]
    public void Expand_of_a_singleton_dimension_shares_storage()
    {
        using var a = Tensor.Rand(1, 3);
        using var b = a.Expand(6, 3);
        Assert.Equal(new long[] { 6, 3 }, b.Shape);
        Assert.Equal(new long[] { 0, 1 }, b.Strides);
        Assert.True(b.SharesStorageWith(a));
        float[] src = a.ToArray<float>();
        float[] dst = b.ToArray<float>();
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(src[c], dst[r * 3 + c]);
    }

    [Fact]
    public void Scatter_builds_a_one_hot_encoding_of_the_argmax()
    {
        using var scores = Tensor.Rand(4, 5, 32, 32);
        using var index = scores.ArgMax(dim: 1);
        Assert.Equal(new long[] { 4, 32, 32 }, index.Shape);
        Assert.Equal(DType.Int64, index.DType);
        using var unsqueezed = index.Unsqueeze(1);
        using var onehot = Tensor.Zeros(4, 5, 32, 32).Scatter(1, unsqueezed, 1f);
        float[] oh = onehot.ToArray<float>();
        long[] idx = index.ToArray<long>();
        float[] s = scores.ToArray<float>();
        for (int n = 0; n < 4; n++)
        {
            for (int p = 0; p < 32 * 32; p++)
            {
                int ones = 0;
                int best = 0;
                for (int c = 0; c < 5; c++)
                {
                    float v = oh[(n * 5 + c) * 1024 + p];
                    Assert.True(v == 0f || v == 1f);
                    if (v == 1f) ones++;
                    if (s[(n * 5 + c) * 1024 + p] > s[(n * 5 + best) * 1024 + p]) best = c;
                }
                Assert.Equal(1, ones);
                Assert.Equal(best, (int)idx[n * 1024 + p]);
                Assert.Equal(1f, oh[(n * 5 + best) * 1024 + p]);
            }
        }
    }

    [Fact]
    public void Pow_sum_backward_gives_twice_the_input()
    {
        using var x = Tensor.FromArray(new float[,] { { 1, -1 }, { 1, 1 } }, requiresGrad: true);
        using var y = x.Pow(2).Sum();
        y.Backward();
        using var g = x.Grad!;
        Assert.Equal(new float[] { 2, -2, 2, 2 }, g.ToArray<float>());
    }
}
