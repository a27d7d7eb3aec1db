using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

/// <summary>Convolution, linear and pooling through <see cref="Functional"/>: gradient checks, the seed examples, errors.</summary>
public class FunctionalTests
{
    internal static Tensor Randn(ulong seed, params long[] shape)
    {
        using var g = new Generator(seed);
        return Tensor.Randn(shape, g, DType.Float64);
    }

    internal static Tensor Param(ulong seed, params long[] shape) => Randn(seed, shape).RequiresGrad_();

    internal static void AssertGrad(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        GradCheckResult r = GradCheck.Evaluate(f, inputs);
        Assert.True(r.Passed, r.ToString());
    }

    // ---- conv2d ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(1, 0, 1, 1, true)]
    [InlineData(2, 1, 1, 1, false)]
    [InlineData(1, 2, 2, 1, true)]
    [InlineData(2, 1, 1, 2, true)]
    [InlineData(1, 1, 1, 4, false)]
    [InlineData(3, 0, 2, 2, true)]
    public void Conv2d_gradients_match_finite_differences(int stride, int padding, int dilation, int groups, bool bias)
    {
        using var x = Param(1, 2, 4, 6, 5);
        using var w = Param(2, 4, 4 / groups, 3, 2);
        using var b = Param(3, 4);
        Tensor[] inputs = bias ? [x, w, b] : [x, w];
        AssertGrad(t => Functional.Conv2d(t[0], t[1], bias ? t[2] : null, stride, padding, dilation, groups), inputs);
    }

    [Fact]
    public void Conv2d_tuple_parameters_and_second_order()
    {
        using var x = Param(4, 1, 2, 5, 6);
        using var w = Param(5, 3, 2, 2, 3);
        AssertGrad(t => Functional.Conv2d(t[0], t[1], null, (2, 1), (1, 0), (1, 2)), x, w);
        GradCheckResult r = GradCheck.EvaluateSecondOrder(t => Functional.Conv2d(t[0], t[1], null, (2, 1), (1, 0), (1, 2)), [x, w]);
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void Conv2d_accepts_unbatched_and_non_contiguous_input()
    {
        using var nhwc = Randn(6, 2, 5, 4, 3);
        using var x = nhwc.Permute(0, 3, 1, 2);
        Assert.False(x.IsContiguous);
        using var w = Randn(7, 2, 3, 3, 3);
        using var y = Functional.Conv2d(x, w, padding: 1);
        using var xc = x.Contiguous();
        using var yc = Functional.Conv2d(xc, w, padding: 1);
        Assertions.Close(yc.ToArray<double>(), y.ToArray<double>(), 1e-12);
        using var x0 = xc.Narrow(0, 0, 1).Squeeze(0);
        using var y0 = Functional.Conv2d(x0, w, padding: 1);
        Assert.Equal([2L, 5, 4], y0.Shape);
        using var first = yc.Narrow(0, 0, 1).Squeeze(0);
        Assertions.Close(first.ToArray<double>(), y0.ToArray<double>(), 1e-12);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(2, 1)]
    [InlineData(4, 1)]
    [InlineData(2, 3)]
    [InlineData(3, 2)]
    public void Conv2d_same_padding_keeps_size_and_pads_extra_at_the_end(int k, int dilation)
    {
        const int h = 5, wd = 6;
        using var x = Param(8, 1, 1, h, wd);
        using var w = Param(9, 1, 1, k, k);
        using var y = Functional.Conv2d(x, w, null, 1, "same", dilation);
        Assert.Equal([1L, 1, h, wd], y.Shape);
        // Direct loops with PyTorch's split: left = total / 2, the rest on the right.
        double[] xv = x.ToArray<double>(), wv = w.ToArray<double>(), yv = y.ToArray<double>();
        int left = dilation * (k - 1) / 2;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < wd; j++)
            {
                double acc = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                    {
                        int ih = i - left + a * dilation, iw = j - left + b * dilation;
                        if (ih >= 0 && ih < h && iw >= 0 && iw < wd) acc += xv[ih * wd + iw] * wv[a * k + b];
                    }
                Assert.Equal(acc, yv[i * wd + j], 12);
            }
        AssertGrad(t => Functional.Conv2d(t[0], t[1], null, 1, "same", dilation), x, w);
        using var valid = Functional.Conv2d(x, w, null, 1, "valid", dilation);
        using var zero = Functional.Conv2d(x, w, null, 1, 0, dilation);
        Assertions.Close(zero.ToArray<double>(), valid.ToArray<double>(), 0);
    }

    [Fact]
    public void Conv2d_errors_name_the_op_and_shapes()
    {
        using var w = Randn(1, 6, 1, 5, 5);
        using var x2 = Randn(2, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x2, w));
        Assert.Contains("conv2d: expected input of rank 4 [N,C,H,W]", e.Message);
        Assert.Contains("[28,28]", e.Message);
        using var x3 = Randn(3, 2, 3, 28, 28);
        e = Assert.Throws<ArgumentException>(() => Functional.Conv2d(x3, w));
        Assert.Contains("has 3 channels", e.Message);
        Assert.Contains("[6,1,5,5]", e.Message);
        using var x1 = Randn(4, 1, 1, 8, 8);
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x1, w, null, 2, "same"));
        Assert.Throws<ArgumentException>(() => Functional.Conv2d(x1, w, null, 1, "full"));
    }

    [Fact]
    public void Linear_is_matmul_with_transposed_weight_plus_bias()
    {
        using var x = Param(10, 3, 4);
        using var w = Param(11, 2, 4);
        using var b = Param(12, 2);
        using var y = Functional.Linear(x, w, b);
        using var wt = w.T;
        using var mm = x.MatMul(wt);
        using var expected = mm + b;
        Assertions.Close(expected.ToArray<double>(), y.ToArray<double>(), 1e-12);
        AssertGrad(t => Functional.Linear(t[0], t[1], t[2]), x, w, b);
        using var bad = Randn(13, 3, 5);
        var e = Assert.Throws<ArgumentException>(() => Functional.Linear(bad, w));
        Assert.Contains("linear: input of shape [3,5]", e.Message);
    }

    // ---- pooling ---------------------------------------------------------------------------------

    [Fact]
    public void MaxPool2d_gradient_lands_only_on_each_window_max()
    {
        using var x = Tensor.FromArray(new double[,] { { 1, 5, 2, 0 }, { 3, 4, 8, 1 }, { 0, 2, 6, 7 }, { 9, 1, 3, 2 } })
                            .View(1, 1, 4, 4).RequiresGrad_();
        var (y, idx) = Functional.MaxPool2dWithIndices(x, 2);
        using (y)
        using (idx)
        {
            Assertions.Close([5, 8, 9, 7], y.ToArray<double>(), 0);
            Assert.Equal([1L, 6, 12, 11], idx.ToArray<long>());
            using var s = y.Sum();
            s.Backward();
        }
        using var g = x.Grad!;
        Assertions.Close([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0], g.ToArray<double>(), 0);
    }

    [Fact]
    public void AvgPool2d_spreads_delta_over_k_by_k()
    {
        using var x = Param(20, 1, 1, 4, 4);
        using var y = Functional.AvgPool2d(x, 2);
        using var delta = Tensor.FromArray(new double[] { 4, 8, 12, 16 }, [1, 1, 2, 2]);
        y.Backward(delta);
        using var g = x.Grad!;
        Assertions.Close([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], g.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void Pooling_gradients_match_finite_differences()
    {
        using var x = Param(21, 2, 3, 7, 6);
        AssertGrad(t => Functional.MaxPool2d(t[0], 3, 2, 1, ceilMode: true), x);
        AssertGrad(t => Functional.MaxPool2d(t[0], (2, 3), (1, 2), (1, 1), (2, 1)), x);
        AssertGrad(t => Functional.AvgPool2d(t[0], 3, 2, 1, ceilMode: true, countIncludePad: false), x);
        AssertGrad(t => Functional.AvgPool2d(t[0], (3, 2), null, (1, 0), divisorOverride: 5), x);
        AssertGrad(t => Functional.AdaptiveAvgPool2d(t[0], (4, 3)), x);
        AssertGrad(t => Functional.AdaptiveAvgPool2d(t[0], (null, 4)), x);
        // Backward of the backward: gather for max, average pooling for average.
        using var small = Param(22, 1, 2, 5, 4);
        Assert.True(GradCheck.CheckSecondOrder(t => Functional.MaxPool2d(t[0], 2, 1), [small]));
        Assert.True(GradCheck.CheckSecondOrder(t => Functional.AvgPool2d(t[0], 3, 2, 1), [small]));
    }

    [Fact]
    public void Pooling_shapes_unbatched_and_errors()
    {
        using var x = Randn(23, 3, 7, 7);
        using var a = Functional.MaxPool2d(x, 2, ceilMode: true);
        Assert.Equal([3L, 4, 4], a.Shape);
        using var b = Functional.AvgPool2d(x, 3, 2, 1);
        Assert.Equal([3L, 4, 4], b.Shape);
        using var c = Functional.AdaptiveAvgPool2d(x, 1);
        Assert.Equal([3L, 1, 1], c.Shape);
        var e = Assert.Throws<ArgumentException>(() => Functional.MaxPool2d(x, 2, padding: 2));
        Assert.Contains("at most half of the kernel size", e.Message);
        using var flat = Randn(24, 7, 7);
        e = Assert.Throws<ArgumentException>(() => Functional.AvgPool2d(flat, 2));
        Assert.Contains("avg_pool2d: expected input of rank 4", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.AvgPool2d(x, 2, divisorOverride: 0));
    }

    // ---- activations and one-hot -----------------------------------------------------------------

    [Fact]
    public void Activations_delegate_to_tensor_methods()
    {
        using var x = Tensor.FromArray(new double[] { -2, -0.5, 0, 1.5 });
        using (var y = Functional.Relu(x)) Assertions.Close([0, 0, 0, 1.5], y.ToArray<double>(), 0);
        using (var y = Functional.LeakyRelu(x, 0.1)) Assertions.Close([-0.2, -0.05, 0, 1.5], y.ToArray<double>(), 1e-15);
        using (var y = Functional.Elu(x)) Assert.Equal(Math.Exp(-2) - 1, y.ToArray<double>()[0], 12);
        using (var y = Functional.Sigmoid(x)) Assert.Equal(0.5, y.ToArray<double>()[2], 15);
        using (var y = Functional.Tanh(x)) Assert.Equal(Math.Tanh(1.5), y.ToArray<double>()[3], 15);
        using (var y = Functional.Softmax(x, 0)) Assert.Equal(1.0, y.ToArray<double>().Sum(), 12);
        using (var y = Functional.LogSoftmax(x, -1)) Assert.Equal(1.0, y.ToArray<double>().Sum(Math.Exp), 12);
    }

    [Fact]
    public void OneHot_matches_scatter_and_infers_classes()
    {
        using var g = new Generator(30);
        using var r = Tensor.Rand([4, 5, 32, 32], g);
        using var index = r.ArgMax(dim: 1);
        using var onehot = Functional.OneHot(index, numClasses: 5);
        Assert.Equal([4L, 32, 32, 5], onehot.Shape);
        Assert.Equal(DType.Int64, onehot.DType);
        using var back = onehot.ArgMax(dim: -1);
        Assert.Equal(index.ToArray<long>(), back.ToArray<long>());
        using var sum = onehot.Sum();
        Assert.Equal(4L * 32 * 32, sum.Item<long>());

        using var small = Tensor.FromArray(new long[] { 2, 0, 3 });
        using var inferred = Functional.OneHot(small);
        Assert.Equal([0L, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], inferred.ToArray<long>());
        Assert.Throws<ArgumentException>(() => Functional.OneHot(small, 3));
        using var floats = Tensor.FromArray(new float[] { 1, 2 });
        Assert.Throws<ArgumentException>(() => Functional.OneHot(floats));
    }
}
