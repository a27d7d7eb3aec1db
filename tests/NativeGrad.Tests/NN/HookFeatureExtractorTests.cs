using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

public sealed class HookFeatureExtractorTests
{
    private sealed class Block : Module
    {
        private readonly Linear fc1 = new(4, 4);
        private readonly ReLU act = new();

        public Block() => RegisterComponents();

        public override Tensor Forward(Tensor x) => act.Call(fc1.Call(x));
    }

    private sealed class Net : Module
    {
        private readonly Linear stem = new(3, 4);
        private readonly Sequential layer1 = new(new Block(), new Block());
        private readonly Linear head = new(4, 2);

        public Net() => RegisterComponents();

        public override Tensor Forward(Tensor x) => head.Call(layer1.Call(stem.Call(x)));
    }

    [Fact]
    public void ExtractsNamedOutputsOfANestedModelWithoutChangingIt()
    {
        using var model = new Net();
        using var x = Tensor.Rand(5, 3);
        var fx = new FeatureExtractor(model, "layer1.1.fc1", "stem", "layer1", "head");
        IReadOnlyDictionary<string, Tensor> f = fx.Extract(x);
        Assert.Equal(["layer1.1.fc1", "stem", "layer1", "head"], f.Keys);
        Assert.Equal([5L, 4L], f["layer1.1.fc1"].Shape);

        // The features equal what running the pieces by hand gives.
        var stem = (Linear)model.GetSubmodule("stem");
        var layer1 = (Sequential)model.GetSubmodule("layer1");
        using (DisposeScope.Begin())
        {
            Tensor s = stem.Forward(x);
            Assert.Equal(s.ToArray<float>(), f["stem"].ToArray<float>());
            Tensor l1 = layer1.Forward(s);
            Assert.Equal(l1.ToArray<float>(), f["layer1"].ToArray<float>());
            Tensor inner = ((Linear)model.GetSubmodule("layer1.1.fc1")).Forward(layer1[0].Forward(s));
            Assert.Equal(inner.ToArray<float>(), f["layer1.1.fc1"].ToArray<float>());
            Assert.Equal(f["head"].ToArray<float>(), fx.LastOutput!.ToArray<float>());
        }
        // No hooks are left behind: a later forward pass captures nothing.
        int calls = 0;
        using (model.GetSubmodule("stem").RegisterForwardHook((Module m, Tensor i, Tensor o) => calls++)) model.Call(x).Dispose();
        Assert.Equal(1, calls);

        var e = Assert.Throws<ArgumentException>(() => new FeatureExtractor(model, "stem", "layer2", "fc"));
        Assert.Contains("'layer2'", e.Message);
        Assert.Contains("'fc'", e.Message);
        Assert.Contains("layer1.0.fc1", e.Message);
    }

    [Fact]
    public void GradientCollectorCapturesGradientsFlowingThroughNamedModules()
    {
        using var model = new Net();
        using var grads = new GradientCollector(model, "layer1", "head");
        using var x = Tensor.Rand(2, 3);
        using (DisposeScope.Begin())
        {
            Tensor y = model.Call(x);
            (y * Tensor.FromArray(new float[] { 1, -2 })).Sum().Backward();
        }
        // dL/d(head output) is the weight row broadcast over the batch.
        Assert.Equal([1f, -2f, 1f, -2f], grads.GradOutput("head").ToArray<float>());
        // dL/d(head input) = gradOutput · W, which is also what flows out of layer1.
        var head = (Linear)model.GetSubmodule("head");
        using (DisposeScope.Begin())
        {
            Tensor expected = Tensor.FromArray(new float[,] { { 1, -2 }, { 1, -2 } }).MatMul(head.Weight.Tensor);
            Assertions.Close(expected.ToArray<float>(), grads.GradInput("head")!.ToArray<float>());
            Assertions.Close(expected.ToArray<float>(), grads["layer1"].ToArray<float>());
        }
        Assert.Null(grads.GradInput("stem") is null ? null : "unexpected");
        Assert.Throws<KeyNotFoundException>(() => grads.GradOutput("stem"));
    }
}
