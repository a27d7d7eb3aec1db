using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

public sealed class SummaryTests
{
    /// <summary>The seed's BaseNet: three 1→1 3×3 convolutions without bias; forward calls conv1 twice.</summary>
    private sealed class BaseNet : Module
    {
        private readonly Conv2d conv1 = new(1, 1, 3, bias: false);
        private readonly Conv2d conv2 = new(1, 1, 3, bias: false);
        private readonly Conv2d conv3 = new(1, 1, 3, bias: false);

        public BaseNet() => RegisterComponents();

        public override Tensor Forward(Tensor x) => conv1.Call(conv1.Call(x));
    }

    [Fact]
    public void BaseNetCountsSharedLayerOnceAndNamesUnusedLayers()
    {
        using var model = new BaseNet();
        ModelSummary s = ModelSummary.Of(model, [1, 32, 32]);
        Assert.Equal(9, s.UsedParameters);
        Assert.Equal(27, s.RegisteredParameters);
        Assert.Equal(27, s.TrainableParameters);
        Assert.Equal(0, s.FrozenParameters);
        Assert.Equal(18, s.UnusedParameters);
        Assert.Equal(["conv2", "conv3"], s.UnusedModules);
        Assert.Equal(2, s.Calls.Count);
        Assert.Equal([-1L, 1L, 30L, 30L], s.Calls[0].OutputShape);
        Assert.Equal([-1L, 1L, 28L, 28L], s.Calls[1].OutputShape);
        Assert.False(s.Calls[0].IsRepeatCall);
        Assert.True(s.Calls[1].IsRepeatCall);
        Assert.Equal(2L * 30 * 30 * 4 + 2L * 28 * 28 * 4, s.ActivationBytes);
        Assert.Equal(27L * 4, s.ParameterBytes);

        string text = s.ToString();
        Assert.Contains("conv1 (Conv2d)", text);
        Assert.Contains("Used params (forward pass, each once): 9", text);
        Assert.Contains("Registered params: 27", text);
        Assert.Contains("Unused modules: conv2, conv3", text);
        // 18 (= 27 - 9) appears only as the unused count, never as a size of the model.
        Assert.All(text.Split('\n').Where(l => l.Contains("18")), l => Assert.StartsWith("  Registered but unused params", l));
        // The model is left as it was.
        Assert.True(model.IsTraining);
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void FrozenParametersAndNestedContainers()
    {
        using var model = new Sequential(new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(),
                                         new AdaptiveAvgPool2d(1), new Flatten(), new Linear(4, 2));
        ((Conv2d)model[0]).Weight.RequiresGrad = false;
        ModelSummary s = ModelSummary.Of(model, [3, 8, 8]);
        long conv = 4 * 3 * 9 + 4, bn = 8, fc = 4 * 2 + 2;
        Assert.Equal(conv + bn + fc, s.RegisteredParameters);
        Assert.Equal(conv + bn + fc, s.UsedParameters);
        Assert.Equal(4 * 3 * 9, s.FrozenParameters);
        Assert.Empty(s.UnusedModules);
        Assert.Equal(6, s.Calls.Count);
        Assert.Equal([-1L, 2L], s.Calls[^1].OutputShape);
        Assert.Equal(32L, s.BufferBytes - 8);   // running mean/var (4 floats each) + an int64 counter
        Assert.Equal(0L, ((BatchNorm2d)model[1]).NumBatchesTracked!.Item<long>());
    }

    /// <summary>Uses the weight of a module it never calls (tied weights).</summary>
    private sealed class TiedNet : Module
    {
        private readonly Linear encoder = new(4, 3, bias: false);
        private readonly Linear decoder = new(3, 4, bias: false);

        public TiedNet() => RegisterComponents();

        public override Tensor Forward(Tensor x) => Functional.Linear(encoder.Call(x), encoder.Weight.Tensor.T);
    }

    [Fact]
    public void ParametersReachedThroughTheGraphCountAsUsed()
    {
        using var model = new TiedNet();
        ModelSummary s = ModelSummary.Of(model, [4]);
        Assert.Equal(12, s.UsedParameters);
        Assert.Equal(24, s.RegisteredParameters);
        Assert.Equal(["decoder"], s.UnusedModules);
        Assert.Single(s.Calls);
    }
}
