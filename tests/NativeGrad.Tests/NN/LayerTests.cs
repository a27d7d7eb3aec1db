using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

[Collection("Serial")]
public sealed class LayerTests
{
    private static void SetParam(Parameter p, float[] values)
    {
        using var v = Tensor.FromArray(values, p.Shape);
        using (Autograd.NoGrad()) p.Tensor.CopyFrom(v);
    }

    [Fact]
    public void LinearComputesXWtPlusBAndChecksShapes()
    {
        using var fc = new Linear(3, 2);
        Assert.Equal([2L, 3L], fc.Weight.Shape);
        Assert.Equal([2L], fc.Bias!.Shape);
        SetParam(fc.Weight, [1, 2, 3, -1, 0, 1]);
        SetParam(fc.Bias, [0.5f, -0.5f]);
        using var x = Tensor.FromArray(new float[,] { { 1, 1, 1 }, { 2, 0, -1 } });
        using Tensor y = fc.Call(x);
        Assertions.Close([6.5f, -0.5f, -0.5f, -3.5f], y.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => fc.Call(Tensor.Zeros(2, 4)));
        Assert.Contains("Linear", e.Message);
        Assert.Contains("[2,4]", e.Message);
        Assert.Contains("3", e.Message);
        using var noBias = new Linear(4, 5, bias: false);
        Assert.Null(noBias.Bias);
        Assert.Single(noBias.Parameters());
    }

    [Fact]
    public void DefaultInitMatchesPyTorchBoundsAndIsSeedable()
    {
        float[] w1, w2, w3;
        using (var g = new Generator(123))
        using (Init.UseGenerator(g))
        using (var a = new Conv2d(3, 8, 5))
        {
            w1 = a.Weight.Tensor.ToArray<float>();
            float bound = (float)(1 / Math.Sqrt(3 * 25));
            Assert.All(w1, v => Assert.InRange(v, -bound, bound));
            Assert.True(w1.Max() > 0.8f * bound && w1.Min() < -0.8f * bound);
            Assert.All(a.Bias!.Tensor.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        }
        using (var g = new Generator(123))
        using (Init.UseGenerator(g))
        using (var b = new Conv2d(3, 8, 5)) w2 = b.Weight.Tensor.ToArray<float>();
        Assert.Equal(w1, w2);
        Generator.ManualSeed(99);
        using (var c = new Linear(50, 10)) w3 = c.Weight.Tensor.ToArray<float>();
        Generator.ManualSeed(99);
        using (var d = new Linear(50, 10)) Assert.Equal(w3, d.Weight.Tensor.ToArray<float>());
        Assert.All(w3, v => Assert.InRange(v, -1 / Math.Sqrt(50), 1 / Math.Sqrt(50)));
    }

    [Fact]
    public void Conv2dHandComputedAndSamePadding()
    {
        // 1 input channel 3x3, kernel 2x2 of ones, bias 1: each output = window sum + 1.
        using var conv = new Conv2d(1, 1, 2);
        SetParam(conv.Weight, [1, 1, 1, 1]);
        SetParam(conv.Bias!, [1]);
        using var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, [1, 1, 3, 3]);
        using Tensor y = conv.Call(x);
        Assert.Equal([1L, 1L, 2L, 2L], y.Shape);
        Assertions.Close([13f, 17f, 25f, 29f], y.ToArray<float>());

        using var same = new Conv2d(1, 2, 3, padding: "same", bias: false);
        using Tensor ys = same.Call(Tensor.Rand(2, 1, 5, 7));
        Assert.Equal([2L, 2L, 5L, 7L], ys.Shape);

        using var strided = new Conv2d(4, 6, 3, stride: 2, padding: 1, groups: 2);
        Assert.Equal([6L, 2L, 3L, 3L], strided.Weight.Shape);
        using Tensor yst = strided.Call(Tensor.Rand(1, 4, 7, 7));
        Assert.Equal([1L, 6L, 4L, 4L], yst.Shape);

        var e = Assert.Throws<ArgumentException>(() => strided.Call(Tensor.Rand(1, 3, 7, 7)));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains("[1,3,7,7]", e.Message);
        Assert.Contains("[N, 4, H, W]", e.Message);
        Assert.Throws<ArgumentException>(() => strided.Call(Tensor.Rand(7, 7)));
        Assert.Throws<ArgumentException>(() => new Conv2d(3, 6, 3, groups: 2));
    }

    [Fact]
    public void Conv2dPassesGradCheck()
    {
        using var conv = new Conv2d(2, 3, (2, 3), stride: (1, 2), padding: (1, 0), dilation: (1, 1), dtype: DType.Float64);
        using var x = Tensor.Randn([1, 2, 4, 5], null, DType.Float64).RequiresGrad_();
        Assert.True(GradCheck.Check(inputs => conv.Call(inputs[0]), [x]));
        Assert.True(GradCheck.Check(inputs => Functional.Conv2d(x, inputs[0], inputs[1], (1, 2), (1, 0)), [conv.Weight.Tensor, conv.Bias!.Tensor]));
    }

    [Fact]
    public void LinearAndBatchNormPassGradCheck()
    {
        using var fc = new Linear(3, 4, dtype: DType.Float64);
        using var x = Tensor.Randn([5, 3], null, DType.Float64).RequiresGrad_();
        Assert.True(GradCheck.Check(inputs => fc.Call(inputs[0]).Tanh(), [x]));
        Assert.True(GradCheck.Check(inputs => Functional.Linear(x, inputs[0], inputs[1]), [fc.Weight.Tensor, fc.Bias!.Tensor]));
        using var bn = new BatchNorm2d(2, dtype: DType.Float64);
        using var xb = Tensor.Randn([3, 2, 2, 2], null, DType.Float64).RequiresGrad_();
        // Training mode (batch statistics); each evaluation also updates the running stats, which
        // does not affect the training-mode output.
        Assert.True(GradCheck.Check(inputs => bn.Call(inputs[0]) * Tensor.Arange(0, 24, 1, DType.Float64).View(3, 2, 2, 2), [xb]));
    }

    [Fact]
    public void PoolingLayers()
    {
        using var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, [1, 1, 4, 4]);
        using (var mp = new MaxPool2d(2))
        using (Tensor y = mp.Call(x)) Assertions.Close([6f, 8f, 14f, 16f], y.ToArray<float>());
        using (var ap = new AvgPool2d(2))
        using (Tensor y = ap.Call(x)) Assertions.Close([3.5f, 5.5f, 11.5f, 13.5f], y.ToArray<float>());
        using (var aap = new AdaptiveAvgPool2d(1))
        using (Tensor y = aap.Call(x))
        {
            Assert.Equal([1L, 1L, 1L, 1L], y.Shape);
            Assertions.Close([8.5f], y.ToArray<float>());
        }
        using (var mp = new MaxPool2d(3, stride: 1, padding: 1))
        using (Tensor y = mp.Call(x)) Assert.Equal([1L, 1L, 4L, 4L], y.Shape);
        using var bad = new MaxPool2d(2);
        var e = Assert.Throws<ArgumentException>(() => bad.Call(Tensor.Zeros(4, 4)));
        Assert.Contains("MaxPool2d", e.Message);
        Assert.Contains("[4,4]", e.Message);
    }

    [Fact]
    public void ActivationsFlattenAndContainers()
    {
        using var x = Tensor.FromArray(new float[] { -2, -0.5f, 0, 1.5f });
        using (Tensor y = new ReLU().Call(x)) Assertions.Close([0f, 0f, 0f, 1.5f], y.ToArray<float>());
        using (Tensor y = new LeakyReLU(0.1).Call(x)) Assertions.Close([-0.2f, -0.05f, 0f, 1.5f], y.ToArray<float>());
        using (Tensor y = new ELU(2.0).Call(x)) Assertions.Close([(float)(2 * (Math.Exp(-2) - 1)), (float)(2 * (Math.Exp(-0.5) - 1)), 0f, 1.5f], y.ToArray<float>());
        using (Tensor y = new Sigmoid().Call(x)) Assertions.Close(new[] { -2, -0.5, 0, 1.5 }.Select(v => (float)(1 / (1 + Math.Exp(-v)))).ToArray(), y.ToArray<float>());
        using (Tensor y = new Tanh().Call(x)) Assertions.Close(new[] { -2, -0.5, 0, 1.5 }.Select(v => (float)Math.Tanh(v)).ToArray(), y.ToArray<float>());
        using var m = Tensor.FromArray(new float[,] { { 0, 0 }, { 1, 3 } });
        using (Tensor y = new Softmax(1).Call(m)) Assertions.Close([0.5f, 0.5f, (float)(1 / (1 + Math.Exp(2))), (float)(1 / (1 + Math.Exp(-2)))], y.ToArray<float>());
        using (Tensor y = new LogSoftmax(0).Call(m)) Assertions.Close([(float)-Math.Log(1 + Math.E), (float)-Math.Log(1 + Math.Exp(3)), (float)(1 - Math.Log(1 + Math.E)), (float)(3 - Math.Log(1 + Math.Exp(3)))], y.ToArray<float>());
        using (Tensor y = new Flatten().Call(Tensor.Zeros(2, 3, 4, 5))) Assert.Equal([2L, 60L], y.Shape);

        using var seq = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        Assert.Equal(["0", "1", "2"], seq.NamedChildren().Select(c => c.Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.NamedParameters().Select(p => p.Name));
        using (Tensor y = seq.Call(Tensor.Rand(5, 4))) Assert.Equal([5L, 2L], y.Shape);
        using var list = new ModuleList(new ReLU(), new Tanh());
        Assert.Equal(2, list.Count);
        Assert.IsType<Tanh>(list[1]);
        Assert.Equal(["0", "1"], list.NamedChildren().Select(c => c.Name));
    }

    [Fact]
    public void DropoutIsIdentityInEvalAndScalesInTraining()
    {
        using var drop = new Dropout(0.25, new Generator(5));
        using var x = Tensor.Ones(10000);
        using (Tensor y = drop.Call(x))
        {
            float[] v = y.ToArray<float>();
            Assert.All(v, e => Assert.True(e == 0f || Math.Abs(e - 4f / 3) < 1e-6));
            double kept = v.Count(e => e != 0) / 10000.0;
            Assert.InRange(kept, 0.72, 0.78);
        }
        drop.Eval();
        using (Tensor y = drop.Call(x)) Assert.All(y.ToArray<float>(), e => Assert.Equal(1f, e));
    }

    [Fact]
    public void BatchNorm2dTrainingUpdatesRunningStatsAndEvalUsesThem()
    {
        using var bn = new BatchNorm2d(2);
        Assert.Equal(["weight", "bias"], bn.NamedParameters().Select(p => p.Name));
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], bn.NamedBuffers().Select(b => b.Name));
        // Channel 0 values {1,3} (mean 2, biased var 1, unbiased var 2); channel 1 values {2,2}.
        using var x = Tensor.FromArray(new float[] { 1, 2, 3, 2 }, [2, 2, 1, 1]);
        using (Tensor y = bn.Call(x))
        {
            float s = (float)(1 / Math.Sqrt(1 + 1e-5));
            Assertions.Close([-s, 0f, s, 0f], y.ToArray<float>(), 1e-4);
        }
        Assertions.Close([0.2f, 0.2f], bn.RunningMean!.ToArray<float>());
        Assertions.Close([0.9f + 0.2f, 0.9f], bn.RunningVar!.ToArray<float>());
        Assert.Equal(1L, bn.NumBatchesTracked!.Item<long>());

        bn.Eval();
        using (Tensor y = bn.Call(x))
        {
            double d0 = Math.Sqrt(1.1 + 1e-5), d1 = Math.Sqrt(0.9 + 1e-5);
            Assertions.Close([(float)(0.8 / d0), (float)(1.8 / d1), (float)(2.8 / d0), (float)(1.8 / d1)], y.ToArray<float>(), 1e-4);
        }
        Assert.Equal(1L, bn.NumBatchesTracked!.Item<long>());
        var e = Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Zeros(2, 3, 4, 4)));
        Assert.Contains("BatchNorm2d", e.Message);
        Assert.Contains("[2,3,4,4]", e.Message);
        Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Zeros(2, 2)));

        using var bn1 = new BatchNorm1d(3, momentum: null, affine: false);
        Assert.Empty(bn1.Parameters());
        using (Tensor y = bn1.Call(Tensor.Randn(8, 3))) Assert.Equal([8L, 3L], y.Shape);
        using (Tensor y = bn1.Call(Tensor.Randn(8, 3, 5))) Assert.Equal([8L, 3L, 5L], y.Shape);
        Assert.Equal(2L, bn1.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void LossModules()
    {
        using var logits = Tensor.FromArray(new float[,] { { 2, 0, 0 }, { 0, 1, 0 } });
        using var target = Tensor.FromArray(new long[] { 0, 2 });
        double lse0 = Math.Log(Math.Exp(2) + 2), lse1 = Math.Log(Math.E + 2);
        double l0 = lse0 - 2, l1 = lse1 - 0;
        using (var ce = new CrossEntropyLoss())
        using (Tensor l = ce.Call(logits, target)) Assert.Equal((l0 + l1) / 2, l.Item<double>(), 5);
        using (var ce = new CrossEntropyLoss(reduction: Reduction.None))
        using (Tensor l = ce.Call(logits, target)) Assertions.Close([(float)l0, (float)l1], l.ToArray<float>());
        using (var ce = new CrossEntropyLoss(weight: Tensor.FromArray(new float[] { 1, 1, 3 }), reduction: Reduction.Sum))
        using (Tensor l = ce.Call(logits, target)) Assert.Equal(l0 + 3 * l1, l.Item<double>(), 4);
        using (var ce = new CrossEntropyLoss(ignoreIndex: 2))
        using (Tensor l = ce.Call(logits, target)) Assert.Equal(l0, l.Item<double>(), 5);
        // Label smoothing ε: (1-ε)·nll + ε·mean over classes of -log p.
        using (var ce = new CrossEntropyLoss(labelSmoothing: 0.1))
        using (Tensor l = ce.Call(logits, target))
        {
            double u0 = (3 * lse0 - 2) / 3, u1 = (3 * lse1 - 1) / 3;
            Assert.Equal((0.9 * l0 + 0.1 * u0 + 0.9 * l1 + 0.1 * u1) / 2, l.Item<double>(), 5);
        }
        using (var nll = new NLLLoss())
        using (Tensor lp = logits.LogSoftmax(1))
        using (Tensor l = nll.Call(lp, target)) Assert.Equal((l0 + l1) / 2, l.Item<double>(), 5);
        using (var mse = new MSELoss(Reduction.Sum))
        using (Tensor l = mse.Call(Tensor.FromArray(new float[] { 1, 2 }), Tensor.FromArray(new float[] { 0, 4 }))) Assert.Equal(5.0, l.Item<double>(), 6);
        using (var bce = new BCEWithLogitsLoss())
        using (Tensor l = bce.Call(Tensor.FromArray(new float[] { 0, 2 }), Tensor.FromArray(new float[] { 1, 0 })))
            Assert.Equal((Math.Log(2) + Math.Log(1 + Math.Exp(2))) / 2, l.Item<double>(), 5);

        using var ce2 = new CrossEntropyLoss();
        var e = Assert.Throws<ArgumentException>(() => ce2.Call(logits, Tensor.FromArray(new long[] { 0, 1, 2 })));
        Assert.Contains("CrossEntropyLoss", e.Message);
        Assert.Contains("[2,3]", e.Message);
        Assert.Contains("[3]", e.Message);
        Assert.Throws<InvalidOperationException>(() => ce2.Call(logits));
        Assert.Throws<ArgumentException>(() => new MSELoss().Call(Tensor.Zeros(2), Tensor.Zeros(3)));
    }
}
