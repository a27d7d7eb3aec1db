using NativeGrad.NN;
using NativeGrad.Optim;

namespace NativeGrad.Tests.NN;

public sealed class LayerTrainingTests
{
    private sealed class SmallCnn : Module
    {
        private readonly Conv2d conv1 = new(1, 8, 3, padding: 1);
        private readonly BatchNorm2d bn1 = new(8);
        private readonly ReLU relu = new();
        private readonly MaxPool2d pool = new(2);
        private readonly Conv2d conv2 = new(8, 8, 3, padding: 1);
        private readonly Flatten flatten = new();
        private readonly Linear fc = new(8 * 4 * 4, 2);

        public SmallCnn() => RegisterComponents();

        public override Tensor Forward(Tensor x)
        {
            x = pool.Call(relu.Call(bn1.Call(conv1.Call(x))));
            x = pool.Call(relu.Call(conv2.Call(x)));
            return fc.Call(flatten.Call(x));
        }
    }

    [Fact]
    public void SmallCnnReachesNearZeroLossOnSeparableData()
    {
        using var gen = new Generator(2024);
        SmallCnn model;
        using (Init.UseGenerator(gen)) model = new SmallCnn();
        using var _ = model;
        // Class 0: a bright vertical bar; class 1: a bright horizontal bar; plus noise.
        const int n = 32;
        var data = new float[n * 16 * 16];
        var labels = new long[n];
        var rng = new Random(7);
        for (int s = 0; s < n; s++)
        {
            labels[s] = s % 2;
            int pos = 3 + rng.Next(10);
            for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++)
            {
                bool bar = labels[s] == 0 ? j == pos : i == pos;
                data[s * 256 + i * 16 + j] = (bar ? 1f : 0f) + (float)(rng.NextDouble() * 0.3);
            }
        }
        using var x = Tensor.FromArray(data, [n, 1, 16, 16]);
        using var y = Tensor.FromArray(labels);
        using var lossFn = new CrossEntropyLoss();
        using var opt = new Adam(model.Parameters(), lr: 0.01);
        float last = float.NaN;
        int steps = 0;
        // A few hundred steps at most; stops once the loss is near zero (about 2 s on an idle machine).
        for (; steps < 300 && !(last < 0.005f); steps++)
        {
            using var scope = DisposeScope.Begin();
            opt.ZeroGrad();
            Tensor loss = lossFn.Call(model.Call(x), y);
            loss.Backward();
            opt.Step();
            last = loss.Item<float>();
        }
        Assert.True(last < 0.01, $"final training loss {last} after {steps} steps");
        model.Eval();
        using (DisposeScope.Begin())
        {
            long[] pred = model.Call(x).ArgMax(1).ToArray<long>();
            Assert.Equal(labels, pred);
        }
    }
}
