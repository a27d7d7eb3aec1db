using NativeGrad.NN;
using static NativeGrad.Tests.NN.FunctionalTests;

namespace NativeGrad.Tests.NN;

/// <summary>Batch norm, dropout and the losses through <see cref="Functional"/>.</summary>
public class FunctionalLossTests
{
    // ---- batch norm ------------------------------------------------------------------------------

    [Fact]
    public void BatchNorm_training_gradients_first_and_second_order()
    {
        using var x = Param(40, 3, 2, 2, 3);
        using var w = Param(41, 2);
        using var b = Param(42, 2);
        AssertGrad(t => Functional.BatchNorm(t[0], null, null, t[1], t[2], training: true), x, w, b);
        using var x2 = Param(43, 4, 3);
        AssertGrad(t => Functional.BatchNorm(t[0], null, null, null, null, training: true), x2);
        // A non-linear read-out so the second derivative is not trivially zero.
        GradCheckResult r = GradCheck.EvaluateSecondOrder(
            t =>
            {
                using var y = Functional.BatchNorm(t[0], null, null, t[1], null, training: true);
                return y * y;
            }, [x2, Param(44, 3)]);
        Assert.True(r.Passed, r.ToString());
    }

    [Fact]
    public void BatchNorm_updates_running_stats_like_pytorch_and_eval_uses_them()
    {
        using var x = Tensor.FromArray(new double[,] { { 1, 10 }, { 3, 20 }, { 8, 60 } });
        using var rm = Tensor.Zeros([2], DType.Float64);
        using var rv = Tensor.Ones([2], DType.Float64);
        using (var y = Functional.BatchNorm(x, rm, rv, training: true, momentum: 0.1, eps: 0))
        {
            // Channel 0: mean 4, biased var 26/3, unbiased 13.
            double[] yv = y.ToArray<double>();
            Assert.Equal((1 - 4) / Math.Sqrt(26.0 / 3), yv[0], 12);
        }
        Assertions.Close([0.4, 3.0], rm.ToArray<double>(), 1e-14);
        Assertions.Close([0.9 + 0.1 * 13, 0.9 + 0.1 * 700], rv.ToArray<double>(), 1e-14);
        using var yEval = Functional.BatchNorm(x, rm, rv, training: false, eps: 0);
        Assert.Equal((1 - 0.4) / Math.Sqrt(2.2), yEval.ToArray<double>()[0], 12);
        using var xe = Param(45, 2, 2, 3);
        using var we = Param(46, 2);
        AssertGrad(t => Functional.BatchNorm(t[0], rm, rv, t[1], null, training: false), xe, we);
    }

    [Fact]
    public void BatchNorm_errors()
    {
        using var x = Randn(47, 4, 3);
        using var rm2 = Tensor.Zeros([2], DType.Float64);
        using var rv2 = Tensor.Ones([2], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => Functional.BatchNorm(x, rm2, rv2));
        Assert.Contains("expected running_mean of shape [3]", e.Message);
        using var one = Randn(48, 1, 3);
        e = Assert.Throws<ArgumentException>(() => Functional.BatchNorm(one, null, null, training: true));
        Assert.Contains("more than 1 value per channel", e.Message);
        using var v = Randn(49, 3);
        Assert.Throws<ArgumentException>(() => Functional.BatchNorm(v, null, null, training: true));
    }

    // ---- dropout ---------------------------------------------------------------------------------

    [Fact]
    public void Dropout_scales_survivors_is_seeded_and_identity_in_eval()
    {
        using var x = Tensor.Ones([100, 100]);
        using var g = new Generator(50);
        using var y = Functional.Dropout(x, 0.25, training: true, generator: g);
        float[] yv = y.ToArray<float>();
        Assert.All(yv, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75f) < 1e-6));
        Assert.InRange(yv.Count(v => v != 0) / 10000.0, 0.72, 0.78);
        g.Seed(50);
        using var y2 = Functional.Dropout(x, 0.25, training: true, generator: g);
        Assert.Equal(yv, y2.ToArray<float>());
        using var ev = Functional.Dropout(x, 0.25, training: false);
        Assert.Equal(x.ToArray<float>(), ev.ToArray<float>());
        using var z = Functional.Dropout(x, 1.0);
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => Functional.Dropout(x, -0.1));
        // The gradient is the same mask.
        using var p = Param(51, 4, 5);
        using var g2 = new Generator(52);
        using var d = Functional.Dropout(p, 0.5, generator: g2);
        using var s = d.Sum();
        s.Backward();
        using var grad = p.Grad!;
        double[] dv = d.ToArray<double>(), pv = p.ToArray<double>(), gv = grad.ToArray<double>();
        for (int i = 0; i < dv.Length; i++) Assert.Equal(dv[i], pv[i] * gv[i], 12);
    }

    // ---- losses ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(Reduction.Mean, false, 0.0)]
    [InlineData(Reduction.Sum, true, 0.0)]
    [InlineData(Reduction.None, true, 0.1)]
    [InlineData(Reduction.Mean, true, 0.3)]
    public void CrossEntropy_gradients_match_finite_differences(Reduction reduction, bool weighted, double smoothing)
    {
        using var logits = Param(60, 5, 4);
        using var target = Tensor.FromArray(new long[] { 1, 3, -100, 0, 3 });
        using var weight = Tensor.FromArray(new double[] { 0.5, 2, 1, 1.5 });
        Tensor? w = weighted ? weight : null;
        AssertGrad(t => Functional.CrossEntropy(t[0], target, w, reduction: reduction, labelSmoothing: smoothing), logits);
        Assert.True(GradCheck.CheckSecondOrder(
            t => Functional.CrossEntropy(t[0], target, w, reduction: reduction, labelSmoothing: smoothing), [logits]));
    }

    [Fact]
    public void CrossEntropy_matches_hand_formula_with_weights_ignore_index_and_smoothing()
    {
        double[,] xv = { { 1, 2, 0.5 }, { -1, 0, 3 }, { 0.2, 0.1, -0.3 } };
        using var x = Tensor.FromArray(xv);
        using var t = Tensor.FromArray(new long[] { 2, 0, 7 });
        using var w = Tensor.FromArray(new double[] { 2, 1, 0.5 });
        const double eps = 0.2;
        double total = 0, wsum = 0;
        for (int i = 0; i < 2; i++)  // row 2 is ignored (ignore_index 7)
        {
            double lse = Math.Log(Enumerable.Range(0, 3).Sum(k => Math.Exp(xv[i, k])));
            long ti = i == 0 ? 2 : 0;
            double wt = new[] { 2, 1, 0.5 }[ti];
            double smooth = Enumerable.Range(0, 3).Sum(k => new[] { 2, 1, 0.5 }[k] * (lse - xv[i, k]));
            total += (1 - eps) * wt * (lse - xv[i, ti]) + eps / 3 * smooth;
            wsum += wt;
        }
        using var mean = Functional.CrossEntropy(x, t, w, ignoreIndex: 7, labelSmoothing: eps);
        Assert.Equal(total / wsum, mean.Item<double>(), 12);
        using var sum = Functional.CrossEntropy(x, t, w, ignoreIndex: 7, reduction: Reduction.Sum, labelSmoothing: eps);
        Assert.Equal(total, sum.Item<double>(), 12);
        using var none = Functional.CrossEntropy(x, t, w, ignoreIndex: 7, reduction: Reduction.None, labelSmoothing: eps);
        Assert.Equal([3L], none.Shape);
        Assert.Equal(0.0, none.ToArray<double>()[2]);
        // Without smoothing: the same as NLL of log-softmax.
        using var ls = x.LogSoftmax(1);
        using var ce = Functional.CrossEntropy(x, t, w, ignoreIndex: 7);
        using var nll = Functional.NllLoss(ls, t, w, ignoreIndex: 7);
        Assert.Equal(nll.Item<double>(), ce.Item<double>(), 12);
    }

    [Fact]
    public void CrossEntropy_spatial_and_unbatched_inputs()
    {
        using var x = Param(61, 2, 3, 2, 2);
        using var t = Tensor.FromArray(new long[] { 0, 1, 2, 2, 1, 1, 0, 2 }, [2, 2, 2]);
        AssertGrad(p => Functional.CrossEntropy(p[0], t, labelSmoothing: 0.1), x);
        using var xu = Param(62, 4);
        using var tu = Tensor.Scalar(2, DType.Int64);
        using var lu = Functional.CrossEntropy(xu, tu, reduction: Reduction.None);
        Assert.Empty(lu.Shape);
        AssertGrad(p => Functional.CrossEntropy(p[0], tu), xu);
    }

    [Fact]
    public void CrossEntropy_errors_name_value_classes_and_shapes()
    {
        using var x = Randn(63, 3, 5);
        using var bad = Tensor.FromArray(new long[] { 0, 7, 1 });
        var e = Assert.ThrowsAny<ArgumentException>(() => Functional.CrossEntropy(x, bad));
        Assert.Contains("target value 7 is out of range for 5 classes", e.Message);
        using var shortT = Tensor.FromArray(new long[] { 0, 1 });
        e = Assert.ThrowsAny<ArgumentException>(() => Functional.CrossEntropy(x, shortT));
        Assert.Contains("expected target of shape [3] for input of shape [3,5], got target of shape [2]", e.Message);
        using var floatT = Tensor.FromArray(new float[] { 0, 1, 2 });
        e = Assert.ThrowsAny<ArgumentException>(() => Functional.CrossEntropy(x, floatT));
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void NllLoss_MseLoss_and_BceWithLogits_gradients()
    {
        using var lp = Param(70, 4, 3);
        using var t = Tensor.FromArray(new long[] { 2, 0, 1, -100 });
        using var w = Tensor.FromArray(new double[] { 1, 2, 3 });
        AssertGrad(p => Functional.NllLoss(p[0], t, w), lp);
        AssertGrad(p => Functional.NllLoss(p[0], t, reduction: Reduction.None), lp);

        using var a = Param(71, 3, 4);
        using var b = Param(72, 3, 4);
        AssertGrad(p => Functional.MseLoss(p[0], p[1]), a, b);
        AssertGrad(p => Functional.MseLoss(p[0], p[1], Reduction.Sum), a, b);
        using var ab = a - b;
        using var sq = ab * ab;
        using var m = sq.Mean();
        using var mse = Functional.MseLoss(a, b);
        Assert.Equal(m.Item<double>(), mse.Item<double>(), 14);
        using var other = Randn(73, 4, 3);
        var e = Assert.Throws<ArgumentException>(() => Functional.MseLoss(a, other));
        Assert.Contains("mse_loss: input of shape [3,4] and target of shape [4,3]", e.Message);

        using var z = Param(74, 3, 4);
        using var g = new Generator(75);
        using var y = Tensor.Rand([3, 4], g, DType.Float64);
        using var bw = Tensor.FromArray(new double[] { 1, 0.5, 2, 1 });
        using var pw = Tensor.FromArray(new double[] { 3, 1, 0.5, 2 });
        AssertGrad(p => Functional.BinaryCrossEntropyWithLogits(p[0], y, bw, pw), z);
        AssertGrad(p => Functional.BinaryCrossEntropyWithLogits(p[0], y, reduction: Reduction.None), z);
    }

    [Fact]
    public void BceWithLogits_is_stable_for_extreme_logits()
    {
        using var z = Tensor.FromArray(new double[] { -1000, 1000, 0, 2 });
        using var y = Tensor.FromArray(new double[] { 1, 0, 1, 1 });
        using var l = Functional.BinaryCrossEntropyWithLogits(z, y, reduction: Reduction.None);
        Assertions.Close([1000, 1000, Math.Log(2), Math.Log(1 + Math.Exp(-2))], l.ToArray<double>(), 1e-12);
    }
}
