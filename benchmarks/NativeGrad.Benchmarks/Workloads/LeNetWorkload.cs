using NativeGrad.NN;
using NativeGrad.Optim;

namespace NativeGrad.Benchmarks.Workloads;

/// <summary>
/// One LeNet-5 training step, the network of ANCHORS.md: conv(1→6, k5, pad 2)-relu-maxpool2,
/// conv(6→16, k5)-relu-maxpool2, flatten, linear 400→120-relu, 120→84-relu, 84→10, cross-entropy,
/// backward, SGD with momentum 0.9. Random 28×28 inputs and labels (data loading is not timed).
/// </summary>
internal sealed class LeNetWorkload : IDisposable
{
    private readonly Sequential _model;
    private readonly SGD _optimizer;
    private readonly Tensor _input, _target;

    public LeNetWorkload(int batch)
    {
        Batch = batch;
        _model = new Sequential(
            new Conv2d(1, 6, 5, padding: 2), new ReLU(), new MaxPool2d(2),
            new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
            new Flatten(),
            new Linear(16 * 5 * 5, 120), new ReLU(),
            new Linear(120, 84), new ReLU(),
            new Linear(84, 10));
        _optimizer = new SGD(_model.Parameters(), lr: 0.01, momentum: 0.9);
        _input = Tensor.Rand(batch, 1, 28, 28);
        _target = Tensor.RandInt(0, 10, [batch]);
    }

    public int Batch { get; }

    /// <summary>Loss of the last step (to show the step does real work).</summary>
    public float LastLoss { get; private set; }

    public void Step() => Run(readLoss: false);

    /// <summary>A step that also reads the loss back (synchronises nothing extra; used once for display).</summary>
    public float StepAndReadLoss()
    {
        Run(readLoss: true);
        return LastLoss;
    }

    private void Run(bool readLoss)
    {
        _optimizer.ZeroGrad();
        using (DisposeScope.Begin())
        {
            Tensor logits = _model.Call(_input);
            Tensor loss = Functional.CrossEntropy(logits, _target);
            loss.Backward();
            _optimizer.Step();
            if (readLoss) LastLoss = loss.Item<float>();
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _input.Dispose();
        _target.Dispose();
    }
}
