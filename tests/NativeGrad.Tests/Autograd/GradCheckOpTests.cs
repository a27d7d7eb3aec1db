namespace NativeGrad.Tests.Tape;

/// <summary>Every differentiable op against central finite differences, first and second order.</summary>
public class GradCheckOpTests
{
    public record Case(string Name, Func<Tensor[], Tensor> F, long[][] Shapes, bool SecondOrder = true, double Low = -1, double High = 1);

    private static readonly Case[] Cases =
    {
        new("neg", x => -x[0], [[2, 3]]),
        new("exp", x => x[0].Exp(), [[2, 3]]),
        new("log", x => x[0].Log(), [[2, 3]], Low: 0.5, High: 2),
        new("sqrt", x => x[0].Sqrt(), [[2, 3]], Low: 0.5, High: 2),
        new("abs", x => x[0].Abs(), [[2, 3]], Low: 0.2, High: 1),
        new("relu", x => x[0].Relu(), [[2, 3]], Low: 0.2, High: 1),
        new("sigmoid", x => x[0].Sigmoid(), [[2, 3]]),
        new("tanh", x => x[0].Tanh(), [[2, 3]]),
        new("sin", x => x[0].Sin(), [[4]]),
        new("cos", x => x[0].Cos(), [[4]]),
        new("reciprocal", x => x[0].Reciprocal(), [[4]], Low: 0.5, High: 2),
        new("leaky_relu", x => x[0].LeakyRelu(0.2), [[4]], Low: 0.2, High: 1),
        new("elu", x => x[0].Elu(1.5), [[4]]),
        new("clamp", x => x[0].Clamp(-0.5, 0.5), [[6]]),
        new("pow_scalar", x => x[0].Pow(3), [[4]]),
        new("pow_fractional", x => x[0].Pow(1.5), [[4]], Low: 0.5, High: 2),
        new("rpow", x => 2.0 / x[0] + (x[0] * 0.5).Exp(), [[4]], Low: 0.5, High: 2),
        new("scalar_ops", x => (3 - x[0]) * 2 / 4 + 1, [[3]]),
        new("add_broadcast", x => x[0] + x[1], [[2, 3], [3]]),
        new("sub_broadcast", x => x[0] - x[1], [[2, 1], [1, 3]]),
        new("mul_broadcast", x => x[0] * x[1], [[2, 3], [2, 1]]),
        new("div", x => x[0] / x[1], [[2, 3], [3]], Low: 0.5, High: 2),
        new("pow_tensor", x => x[0].Pow(x[1]), [[3], [3]], Low: 0.5, High: 2),
        new("maximum", x => x[0].Maximum(x[1] + 0.05), [[4], [4]]),
        new("minimum", x => x[0].Minimum(x[1] + 0.05), [[4], [4]]),
        new("where", x => Tensor.Where(x[0] > 0, x[0] * x[1], x[1]), [[5], [5]]),
        new("sum_all", x => x[0].Sum(), [[2, 3]]),
        new("sum_dim", x => x[0].Sum(1, keepDim: true), [[2, 3]]),
        new("mean_dims", x => x[0].Mean([0, 2]), [[2, 3, 2]]),
        new("max_all", x => x[0].Max(), [[5]]),
        new("max_dim", x => x[0].Max(1).Values, [[2, 4]]),
        new("min_dim", x => x[0].Min(0, keepDim: true).Values, [[3, 2]]),
        new("softmax", x => x[0].Softmax(1), [[2, 4]]),
        new("log_softmax", x => x[0].LogSoftmax(0), [[3, 2]]),
        new("matmul_2d", x => x[0].MatMul(x[1]), [[2, 3], [3, 4]]),
        new("matmul_batched_broadcast", x => x[0].MatMul(x[1]), [[2, 1, 2, 3], [3, 3, 2]]),
        new("matmul_vector", x => x[0].MatMul(x[1]), [[3], [3, 2]]),
        new("matmul_transposed_views", x => x[0].T.MatMul(x[1].T), [[3, 2], [4, 3]]),
        new("view_reshape", x => x[0].View(3, 2).Reshape(6) * x[0].Flatten(), [[2, 3]]),
        new("expand", x => x[0].Expand(3, 4) * 2, [[3, 1]]),
        new("permute", x => x[0].Permute(2, 0, 1).Contiguous() * 3, [[2, 3, 2]]),
        new("transpose_noncontiguous", x => x[0].T.Exp(), [[3, 2]]),
        new("narrow", x => x[0].Narrow(1, 1, 2).Pow(2), [[2, 4]]),
        new("squeeze_unsqueeze", x => x[0].Unsqueeze(0).Squeeze(0).Pow(2), [[3]]),
        new("gather", x => x[0].Gather(1, Tensor.FromArray(new long[,] { { 0, 0 }, { 2, 1 } })).Pow(2), [[2, 3]]),
        new("scatter_src", x => x[0].Scatter(1, Tensor.FromArray(new long[,] { { 0 }, { 2 } }), x[1]).Pow(2), [[2, 3], [2, 1]]),
        new("scatter_add", x => x[0].ScatterAdd(0, Tensor.FromArray(new long[,] { { 0, 0 }, { 0, 1 } }), x[1]).Pow(2), [[2, 2], [2, 2]]),
        new("index_select", x => x[0].IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2 })).Pow(2), [[3, 2]]),
        new("clone", x => x[0].Clone() * x[0], [[3]]),
        // A float32 round trip loses the precision a second-order finite difference needs.
        new("to_dtype", x => x[0].ToType(DType.Float32).ToType(DType.Float64) * x[0], [[3]], SecondOrder: false),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (Case c in Cases) data.Add(c.Name);
        return data;
    }

    private static Tensor[] Inputs(Case c, int seed)
    {
        using var g = new Generator((ulong)seed);
        return c.Shapes.Select(s =>
        {
            using var u = Tensor.Rand(s, g, DType.Float64);
            using var scaled = u * (c.High - c.Low) + c.Low;
            return scaled.Detach().RequiresGrad_();
        }).ToArray();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void First_derivatives_match_finite_differences(string name)
    {
        Case c = Cases.Single(k => k.Name == name);
        Tensor[] inputs = Inputs(c, 1);
        GradCheckResult r = GradCheck.Evaluate(c.F, inputs);
        Assert.True(r.Passed, $"{name}: {r}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Second_derivatives_match_finite_differences(string name)
    {
        Case c = Cases.Single(k => k.Name == name);
        if (!c.SecondOrder) return;
        Tensor[] inputs = Inputs(c, 2);
        GradCheckResult r = GradCheck.EvaluateSecondOrder(c.F, inputs);
        Assert.True(r.Passed, $"{name}: {r}");
    }

    [Fact]
    public void GradCheck_detects_a_wrong_gradient()
    {
        using var x = Tensor.FromArray(new double[] { 0.3, 0.7 }, requiresGrad: true);
        // A hook that doubles the gradient makes autograd disagree with finite differences.
        GradCheckResult r = GradCheck.Evaluate(xs =>
        {
            Tensor y = xs[0] * 1.0;
            y.RegisterHook(g => g * 2);
            return y.Pow(2);
        }, [x]);
        Assert.False(r.Passed);
        Assert.Equal(0, r.InputIndex);
    }
}
