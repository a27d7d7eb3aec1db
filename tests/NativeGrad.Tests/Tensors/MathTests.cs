namespace NativeGrad.Tests.Tensors;

public class MathTests
{
    [Fact]
    public void Broadcasting_follows_numpy_rules()
    {
        using var a = Tensor.FromArray(new float[,] { { 1 }, { 2 }, { 3 } });   // [3,1]
        using var b = Tensor.FromArray(new float[] { 10, 20 });                  // [2]
        using var c = a + b;
        Assert.Equal(new long[] { 3, 2 }, c.Shape);
        Assert.Equal(new float[] { 11, 21, 12, 22, 13, 23 }, c.ToArray<float>());
        using var bad = Tensor.Zeros(3);
        var e = Assert.Throws<ArgumentException>(() => b + bad);
        Assert.Contains("[2]", e.Message);
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Scalar_operators_on_both_sides()
    {
        using var a = Tensor.FromArray(new float[] { 1, 2, 4 });
        Assert.Equal(new float[] { 3, 4, 6 }, (a + 2).ToArray<float>());
        Assert.Equal(new float[] { 1, 0, -2 }, (2 - a).ToArray<float>());
        Assert.Equal(new float[] { -1, 0, 2 }, (a - 2).ToArray<float>());
        Assert.Equal(new float[] { 3, 6, 12 }, (3 * a).ToArray<float>());
        Assert.Equal(new float[] { 0.5f, 1, 2 }, (a / 2).ToArray<float>());
        Assert.Equal(new float[] { 4, 2, 1 }, (4 / a).ToArray<float>());
        Assert.Equal(new float[] { -1, -2, -4 }, (-a).ToArray<float>());
    }

    [Fact]
    public void Unary_functions_match_system_math()
    {
        double[] x = { -2.5, -0.5, 0.25, 1, 3 };
        using var t = Tensor.FromArray(x);
        Assertions.Close(x.Select(Math.Exp).ToArray(), t.Exp().ToArray<double>());
        Assertions.Close(x.Select(Math.Abs).ToArray(), t.Abs().ToArray<double>());
        Assertions.Close(x.Select(v => Math.Max(v, 0)).ToArray(), t.Relu().ToArray<double>());
        Assertions.Close(x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(), t.Sigmoid().ToArray<double>());
        Assertions.Close(x.Select(Math.Tanh).ToArray(), t.Tanh().ToArray<double>());
        Assertions.Close(x.Select(v => v > 0 ? v : 0.1 * v).ToArray(), t.LeakyRelu(0.1).ToArray<double>());
        Assertions.Close(x.Select(v => v > 0 ? v : 2 * (Math.Exp(v) - 1)).ToArray(), t.Elu(2).ToArray<double>());
        Assertions.Close(x.Select(v => Math.Clamp(v, -1, 1)).ToArray(), t.Clamp(-1, 1).ToArray<double>());
        Assertions.Close(x.Select(v => Math.Max(v, 0)).ToArray(), t.Clamp(min: 0).ToArray<double>());
        Assertions.Close(x.Select(v => v * v * v).ToArray(), t.Pow(3).ToArray<double>());
        using var pos = t.Abs();
        Assertions.Close(x.Select(v => Math.Log(Math.Abs(v))).ToArray(), pos.Log().ToArray<double>());
        Assertions.Close(x.Select(v => Math.Sqrt(Math.Abs(v))).ToArray(), pos.Sqrt().ToArray<double>());
    }

    [Fact]
    public void Integer_tensors_keep_their_dtype_for_integer_arithmetic()
    {
        using var a = Tensor.FromArray(new long[] { 1, 2, 3 });
        using var b = a * 2;
        Assert.Equal(DType.Int64, b.DType);
        using var c = a * 0.5;
        Assert.Equal(DType.Float32, c.DType);
        using var d = a / 2;
        Assert.Equal(DType.Float32, d.DType);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f }, d.ToArray<float>());
        using var f = Tensor.FromArray(new double[] { 1, 2, 3 });
        using var mixed = a + f;
        Assert.Equal(DType.Float64, mixed.DType);
    }

    [Fact]
    public void Comparisons_return_bool_masks_and_where_selects()
    {
        using var a = Tensor.FromArray(new float[] { 1, 5, 3 });
        using var b = Tensor.FromArray(new float[] { 2, 5, 1 });
        Assert.Equal(new[] { true, false, false }, (a < b).ToArray<bool>());
        Assert.Equal(new[] { false, true, false }, a.Eq(b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, (a >= b).ToArray<bool>());
        using var m = a > 2;
        Assert.Equal(DType.Bool, m.DType);
        using var w = Tensor.Where(m, a, b);
        Assert.Equal(new float[] { 2, 5, 3 }, w.ToArray<float>());
        using var mx = a.Maximum(b);
        Assert.Equal(new float[] { 2, 5, 3 }, mx.ToArray<float>());
        Assert.Equal(new[] { true, false, true }, m.LogicalNot().LogicalOr(a.Lt(4)).ToArray<bool>());
    }

    [Fact]
    public void Ops_on_non_contiguous_inputs_match_contiguous_ones()
    {
        using var a = Tensor.Rand(5, 7);
        using var t = a.T;
        using var tc = t.Contiguous();
        Assert.Equal(tc.Exp().ToArray<float>(), t.Exp().ToArray<float>());
        using var b = Tensor.Rand(7, 5);
        Assert.Equal((tc * b).ToArray<float>(), (t * b).ToArray<float>());
        Assert.Equal(tc.Sum(0).ToArray<float>(), t.Sum(0).ToArray<float>());
        Assert.Equal(tc.Softmax(1).ToArray<float>(), t.Softmax(1).ToArray<float>());
    }

    [Fact]
    public void Matmul_2d_batched_vector_and_errors()
    {
        using var a = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        using var b = Tensor.FromArray(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } });
        using var c = a.MatMul(b);
        Assert.Equal(new float[] { 4, 5, 10, 11 }, c.ToArray<float>());
        using var v = Tensor.FromArray(new float[] { 1, 1, 1 });
        Assert.Equal(new float[] { 6, 15 }, a.MatMul(v).ToArray<float>());
        Assert.Equal(14f, Tensor.FromArray(new float[] { 1, 2, 3 }).MatMul(Tensor.FromArray(new float[] { 1, 2, 3 })).Item<float>());
        using var batch = Tensor.Rand(4, 2, 3);
        using var bc = batch.MatMul(b);
        Assert.Equal(new long[] { 4, 2, 2 }, bc.Shape);
        using var first = batch.Narrow(0, 1, 1).Squeeze(0).MatMul(b);
        Assertions.Close(first.ToArray<float>(), bc.Narrow(0, 1, 1).Squeeze(0).ToArray<float>());
        using var broadcast = Tensor.Rand(3, 1, 2, 5).MatMul(Tensor.Rand(4, 5, 6));
        Assert.Equal(new long[] { 3, 4, 2, 6 }, broadcast.Shape);
        using var wrong = Tensor.Rand(4, 5);
        var e = Assert.Throws<ArgumentException>(() => Tensor.Rand(2, 3).MatMul(wrong));
        Assert.Equal("matmul: shapes [2,3] and [4,5] cannot be multiplied", e.Message);
    }

    [Fact]
    public void Matmul_of_transposed_views_uses_the_right_values()
    {
        using var a = Tensor.Rand(7, 5);
        using var b = Tensor.Rand(7, 3);
        using var r = a.T.MatMul(b);
        using var expected = a.T.Contiguous().MatMul(b);
        Assertions.Close(expected.ToArray<float>(), r.ToArray<float>());
    }

    [Fact]
    public void In_place_updates_write_through_views_and_refuse_tensors_requiring_grad()
    {
        using var a = Tensor.Zeros(2, 3);
        using var row = a.Narrow(0, 1, 1);
        row.Fill_(5);
        Assert.Equal(new float[] { 0, 0, 0, 5, 5, 5 }, a.ToArray<float>());
        a.Add_(Tensor.Ones(3));
        Assert.Equal(new float[] { 1, 1, 1, 6, 6, 6 }, a.ToArray<float>());
        a.Mul_(2);
        Assert.Equal(new float[] { 2, 2, 2, 12, 12, 12 }, a.ToArray<float>());
        using var p = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => p.Mul_(2));
        using (Autograd.NoGrad()) p.Mul_(2);
        Assert.Equal(new float[] { 2, 2 }, p.ToArray<float>());
        using var wrongShape = Tensor.Ones(4);
        Assert.Throws<ArgumentException>(() => a.Add_(wrongShape));
    }
}
