using NativeGrad.Optim;

namespace NativeGrad.Tests.Optim;

public sealed class OptimizerTests
{
    private static readonly double[] P0 = [0.5, -1.0, 2.0];
    private static readonly double[][] Grads = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.05], [0.2, 0.2, -0.6]];

    private static Tensor NewParam() => Tensor.FromArray((double[])P0.Clone(), requiresGrad: true);

    private static void SetGrad(Tensor p, double[] g)
    {
        using var t = Tensor.FromArray(g);
        p.Grad = t;
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]
    [InlineData(0.9, 0.0, 0.0, false)]
    [InlineData(0.9, 0.25, 0.1, false)]
    [InlineData(0.8, 0.0, 0.05, true)]
    public void SgdMatchesPyTorchFormula(double momentum, double dampening, double wd, bool nesterov)
    {
        using Tensor p = NewParam();
        using var opt = new SGD([p], lr: 0.1, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: wd);
        double[] exp = (double[])P0.Clone(), buf = new double[3];
        for (int step = 0; step < 3; step++)
        {
            SetGrad(p, Grads[step]);
            opt.Step();
            for (int i = 0; i < 3; i++)
            {
                double d = Grads[step][i] + wd * exp[i];
                if (momentum != 0)
                {
                    buf[i] = step == 0 ? d : momentum * buf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                exp[i] -= 0.1 * d;
            }
            Assertions.Close(exp, p.ToArray<double>(), 1e-13);
        }
        Assert.Equal(3, opt.GetStepCount(p));
        if (momentum != 0) Assertions.Close(buf, opt.GetState(p)["momentum_buffer"].ToArray<double>(), 1e-13);
        Assert.True(p.IsLeaf);
    }

    [Theory]
    [InlineData(false, 0.0, false)]
    [InlineData(false, 0.1, false)]
    [InlineData(true, 0.1, false)]
    [InlineData(false, 0.0, true)]
    [InlineData(true, 0.05, true)]
    public void AdamAndAdamWMatchPyTorchFormula(bool decoupled, double wd, bool amsgrad)
    {
        using Tensor p = NewParam();
        const double lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-6;
        using Optimizer opt = decoupled
            ? new AdamW([p], lr, (b1, b2), eps, wd, amsgrad)
            : new Adam([p], lr, (b1, b2), eps, wd, amsgrad);
        double[] exp = (double[])P0.Clone(), m = new double[3], v = new double[3], vmax = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            double[] g0 = Grads[t - 1];
            SetGrad(p, g0);
            opt.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = g0[i];
                if (wd != 0)
                {
                    if (decoupled) exp[i] *= 1 - lr * wd;
                    else g += wd * exp[i];
                }
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double s = amsgrad ? (vmax[i] = Math.Max(vmax[i], v[i])) : v[i];
                double denom = Math.Sqrt(s) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
                exp[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / denom;
            }
            Assertions.Close(exp, p.ToArray<double>(), 1e-12);
        }
        Assertions.Close(m, opt.GetState(p)["exp_avg"].ToArray<double>(), 1e-13);
        Assert.Equal(amsgrad, opt.GetState(p).ContainsKey("max_exp_avg_sq"));
    }

    [Fact]
    public void Float32SgdStepIsExact()
    {
        using var p = Tensor.FromArray(new[] { 1f, 2f, 3f }, requiresGrad: true);
        using var opt = new SGD([p], lr: 0.5);
        using (var g = Tensor.FromArray(new[] { 2f, 4f, -2f })) p.Grad = g;
        opt.Step();
        Assert.Equal([0f, 0f, 4f], p.ToArray<float>());
    }

    [Fact]
    public void ParamGroupsHaveTheirOwnOptionsAndSkipParametersWithoutGrad()
    {
        using Tensor a = NewParam(), b = NewParam(), c = NewParam();
        using var opt = new SGD([new ParamGroup([a]) { Lr = 1.0 }, new ParamGroup([b, c])], lr: 0.1);
        Assert.Equal(1.0, opt.ParamGroups[0].Lr);
        Assert.Equal(0.1, opt.ParamGroups[1].Lr);
        Assert.Equal(0.0, opt.ParamGroups[1].Momentum);
        SetGrad(a, [1, 1, 1]);
        SetGrad(b, [1, 1, 1]);
        opt.Step();
        Assertions.Close([-0.5, -2.0, 1.0], a.ToArray<double>(), 1e-14);
        Assertions.Close([0.4, -1.1, 1.9], b.ToArray<double>(), 1e-14);
        Assertions.Close(P0, c.ToArray<double>(), 0);

        opt.ZeroGrad(setToNull: false);
        using (Tensor? g = a.Grad) Assert.Equal([0.0, 0.0, 0.0], g!.ToArray<double>());
        opt.ZeroGrad();
        Assert.Null(a.Grad);

        Assert.Throws<ArgumentException>(() => new SGD([new ParamGroup([a]), new ParamGroup([a])], lr: 0.1));
        Assert.Throws<ArgumentException>(() => new SGD([a], lr: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Adam([a], betas: (1.0, 0.9)));
        using var nonLeaf = a * 2;
        Assert.Throws<ArgumentException>(() => new SGD([nonLeaf], lr: 0.1));
    }

    [Fact]
    public void StepLRDecaysEveryStepSizeEpochs()
    {
        using Tensor p = NewParam();
        using var opt = new SGD([p], lr: 1.0);
        var sched = new StepLR(opt, stepSize: 3, gamma: 0.5);
        var lrs = new List<double>();
        for (int e = 0; e < 7; e++)
        {
            lrs.Add(sched.GetLastLr()[0]);
            sched.Step();
        }
        Assertions.Close([1, 1, 1, 0.5, 0.5, 0.5, 0.25], lrs.ToArray(), 1e-15);
    }

    [Fact]
    public void CosineAnnealingFollowsTheClosedForm()
    {
        using Tensor p = NewParam();
        using var opt = new SGD([p], lr: 0.1);
        const int tMax = 5;
        const double etaMin = 0.01;
        var sched = new CosineAnnealingLR(opt, tMax, etaMin);
        for (int t = 1; t <= 3 * tMax; t++)
        {
            sched.Step();
            double expected = etaMin + (0.1 - etaMin) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;
            Assert.True(Math.Abs(expected - opt.ParamGroups[0].Lr!.Value) < 1e-12, $"epoch {t}: {expected} vs {opt.ParamGroups[0].Lr}");
        }
    }
}
