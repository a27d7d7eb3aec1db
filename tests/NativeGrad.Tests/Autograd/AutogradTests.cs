namespace NativeGrad.Tests.Tape;

public class AutogradTests
{
    [Fact]
    public void IsLeaf_and_GradFn_follow_pytorch_rules()
    {
        using var a = Tensor.Rand(3);
        Assert.True(a.IsLeaf);
        Assert.Null(a.GradFn);
        using var x = Tensor.Rand([3], null).RequiresGrad_();
        Assert.True(x.IsLeaf);
        using var y = x * 2;
        Assert.False(y.IsLeaf);
        Assert.True(y.RequiresGrad);
        Assert.Equal("MulBackward", y.GradFn!.Name);
        var next = y.GradFn.NextFunctions;
        Assert.Single(next);
        Assert.Equal("AccumulateGrad", next[0].Function!.Name);
        using (var v = next[0].Function!.Variable!) Assert.True(v.IsLeaf);
        using var z = a * 2;  // no input requires grad: a leaf
        Assert.True(z.IsLeaf);
        Assert.False(z.RequiresGrad);
        using var d = y.Detach();
        Assert.True(d.IsLeaf);
        Assert.False(d.RequiresGrad);
        Assert.True(d.SharesStorageWith(y));
        using (NativeGrad.Autograd.NoGrad())
        {
            Assert.False(NativeGrad.Autograd.IsGradEnabled);
            using var n = x * 2;
            Assert.True(n.IsLeaf);
            Assert.Null(n.GradFn);
        }
        Assert.True(NativeGrad.Autograd.IsGradEnabled);
    }

    [Fact]
    public void RequiresGrad_can_only_be_set_on_floating_leaves()
    {
        using var x = Tensor.Rand([2], null).RequiresGrad_();
        using var y = x + 1;
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Contains("leaf", e.Message);
        using var i = Tensor.FromArray(new long[] { 1 });
        Assert.Throws<ArgumentException>(() => i.RequiresGrad = true);
    }

    [Fact]
    public void Non_differentiable_outputs_never_require_grad()
    {
        using var x = Tensor.Rand([2, 3], null).RequiresGrad_();
        using var am = x.ArgMax(1);
        Assert.False(am.RequiresGrad);
        using var cmp = x > 0.5;
        Assert.False(cmp.RequiresGrad);
        var (values, indices) = x.Max(1);
        Assert.True(values.RequiresGrad);
        Assert.False(indices.RequiresGrad);
    }

    [Fact]
    public void Gradients_accumulate_over_two_backward_passes()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        (x * 3).Sum().Backward();
        (x * 3).Sum().Backward();
        Assert.Equal(new float[] { 6, 6 }, x.Grad!.ToArray<float>());
        x.Grad = null;
        Assert.Null(x.Grad);
    }

    [Fact]
    public void A_second_backward_needs_retainGraph()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var y = (x * x).Sum();
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph: true", e.Message);

        using var x2 = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var y2 = (x2 * x2).Sum();
        y2.Backward(retainGraph: true);
        y2.Backward();
        Assert.Equal(new float[] { 4, 8 }, x2.Grad!.ToArray<float>());
    }

    [Fact]
    public void Backward_without_gradient_needs_a_one_element_output()
    {
        using var x = Tensor.Rand([3], null).RequiresGrad_();
        using var y = x * 2;
        var e = Assert.Throws<ArgumentException>(() => y.Backward());
        Assert.Contains("one-element", e.Message);
        y.Backward(Tensor.Ones(3));
        Assert.Equal(new float[] { 2, 2, 2 }, x.Grad!.ToArray<float>());
        using var wrong = Tensor.Ones(4);
        Assert.Throws<ArgumentException>(() => (x * 2).Backward(wrong));
        using var noGrad = Tensor.Ones(1);
        Assert.Throws<InvalidOperationException>(() => noGrad.Backward());
    }

    [Fact]
    public void Autograd_Backward_on_several_roots_equals_weighted_sum()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var z1 = x * x;
        using var z2 = x * 3;
        NativeGrad.Autograd.Backward([z1, z2], [Tensor.Ones(2), Tensor.FromArray(new float[] { 2, 2 })]);
        Assert.Equal(new float[] { 2 + 6, 4 + 6 }, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Autograd_Grad_returns_gradients_without_touching_Grad()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var w = Tensor.FromArray(new float[] { 3, 4 }, requiresGrad: true);
        using var unused = Tensor.FromArray(new float[] { 1 }, requiresGrad: true);
        using var y = (x * w).Sum();
        Tensor?[] g = NativeGrad.Autograd.Grad([y], [x, w], retainGraph: true);
        Assert.Equal(new float[] { 3, 4 }, g[0]!.ToArray<float>());
        Assert.Equal(new float[] { 1, 2 }, g[1]!.ToArray<float>());
        Assert.Null(x.Grad);
        var e = Assert.Throws<InvalidOperationException>(() => NativeGrad.Autograd.Grad([y], [unused], retainGraph: true));
        Assert.Contains("allowUnused", e.Message);
        Tensor?[] g2 = NativeGrad.Autograd.Grad([y], [x, unused], allowUnused: true);
        Assert.NotNull(g2[0]);
        Assert.Null(g2[1]);
    }

    [Fact]
    public void Second_derivative_of_x_cubed_is_six_x()
    {
        using var x = Tensor.FromArray(new double[] { -1, 0.5, 2 }, requiresGrad: true);
        using var y = x.Pow(3).Sum();
        Tensor dy = NativeGrad.Autograd.Grad([y], [x], createGraph: true)[0]!;
        Assert.True(dy.RequiresGrad);
        Assertions.Close(new[] { 3.0, 0.75, 12 }, dy.ToArray<double>());
        Tensor d2 = NativeGrad.Autograd.Grad([dy.Sum()], [x])[0]!;
        Assertions.Close(new[] { -6.0, 3, 12 }, d2.ToArray<double>());
    }

    [Fact]
    public void RetainGrad_keeps_the_gradient_of_an_intermediate()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var h = x * 2;
        h.RetainGrad();
        Assert.True(h.RetainsGrad);
        (h * h).Sum().Backward();
        Assert.Equal(new float[] { 4, 8 }, h.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 8, 16 }, x.Grad!.ToArray<float>());
        using var other = x * 3;
        Assert.Null(other.Grad);
    }

    [Fact]
    public void Modifying_a_saved_tensor_in_place_is_detected()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2 }, requiresGrad: true);
        using var a = Tensor.FromArray(new float[] { 3, 4 });
        using var y = (x * a).Sum();
        a.Mul_(2);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("MulBackward", e.Message);
        Assert.Contains("in-place", e.Message);
    }

    [Fact]
    public void A_chain_of_ten_thousand_ops_backpropagates_without_stack_overflow()
    {
        using var scope = DisposeScope.Begin();
        var x = Tensor.FromArray(new double[] { 1 }, requiresGrad: true);
        Tensor y = x;
        for (int i = 0; i < 10_000; i++) y = y * 1.0001;
        y.Sum().Backward();
        Assert.Equal(Math.Pow(1.0001, 10_000), x.Grad!.Item<double>(), 6);
    }

    [Fact]
    public void Broadcast_gradients_are_reduced_to_the_input_shape()
    {
        using var a = Tensor.Ones([3, 1], DType.Float32, requiresGrad: true);
        using var b = Tensor.Ones([4], DType.Float32, requiresGrad: true);
        (a * b * 2).Sum().Backward();
        Assert.Equal(new long[] { 3, 1 }, a.Grad!.Shape);
        Assert.Equal(new float[] { 8, 8, 8 }, a.Grad!.ToArray<float>());
        Assert.Equal(new float[] { 6, 6, 6, 6 }, b.Grad!.ToArray<float>());
    }

    [Fact]
    public void Grad_mode_is_thread_local()
    {
        using (NativeGrad.Autograd.NoGrad())
        {
            bool other = true;
            var thread = new Thread(() => other = NativeGrad.Autograd.IsGradEnabled);
            thread.Start();
            thread.Join();
            Assert.True(other);
            Assert.False(NativeGrad.Autograd.IsGradEnabled);
        }
    }
}
