using NativeGrad.Data;
using NativeGrad.NN;
using NativeGrad.Optim;

namespace NativeGrad.Tests.EndToEnd;

/// <summary>Runs only where the full dataset is installed (CI installs Debian's dataset-fashion-mnist).</summary>
public sealed class FullFashionMnistFactAttribute : FactAttribute
{
    public const string Directory = "/usr/share/datasets/fashion-mnist";

    public FullFashionMnistFactAttribute()
    {
        if (!System.IO.Directory.Exists(Directory))
            Skip = $"the full Fashion-MNIST dataset is not installed in {Directory} (apt-get install dataset-fashion-mnist)";
    }
}

[Collection("Serial")]
public class FashionMnistTrainingTests
{
    private sealed class SmallCnn : Module
    {
        private readonly Conv2d conv1 = new(1, 16, kernelSize: 3, padding: 1);
        private readonly BatchNorm2d bn1 = new(16);
        private readonly Conv2d conv2 = new(16, 32, kernelSize: 3, padding: 1);
        private readonly BatchNorm2d bn2 = new(32);
        private readonly MaxPool2d pool = new(2);
        private readonly Linear fc1 = new(32 * 7 * 7, 64);
        private readonly Linear fc2 = new(64, 10);

        public SmallCnn() => RegisterComponents();

        public override Tensor Forward(Tensor x)
        {
            x = pool.Call(bn1.Call(conv1.Call(x)).Relu());
            x = pool.Call(bn2.Call(conv2.Call(x)).Relu()).Flatten(1);
            return fc2.Call(fc1.Call(x).Relu());
        }
    }

    [FullFashionMnistFact]
    public void Two_epochs_on_the_full_dataset_reach_88_percent_test_accuracy()
    {
        MnistDataset train = FashionMnist.Load(train: true, normalize: true);
        MnistDataset test = FashionMnist.Load(train: false, normalize: true);
        Assert.False(train.IsSubset);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);

        using var generator = new Generator(7);
        SmallCnn built;
        using (Init.UseGenerator(generator)) built = new SmallCnn();
        using SmallCnn model = built;
        var optimizer = new SGD(model.Parameters(), lr: 0.05, momentum: 0.9, nesterov: true);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            foreach (var (images, labels) in new DataLoader(train, batchSize: 64, shuffle: true, seed: 100 + epoch, numWorkers: 1))
            {
                using var scope = DisposeScope.Begin();
                optimizer.ZeroGrad();
                Tensor loss = Functional.CrossEntropy(model.Call(images), labels);
                loss.Backward();
                optimizer.Step();
            }
        }

        model.Eval();
        long correct = 0;
        using (Autograd.NoGrad())
        {
            foreach (var (images, labels) in new DataLoader(test, batchSize: 1000))
            {
                using var scope = DisposeScope.Begin();
                correct += model.Call(images).ArgMax(1).Eq(labels).ToType(DType.Int64).Sum().Item<long>();
            }
        }
        double accuracy = correct / 10000.0;
        Assert.True(accuracy >= 0.88, $"test accuracy {accuracy:P2} after 2 epochs is below 88%");
    }
}
