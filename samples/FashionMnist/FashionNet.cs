using NativeGrad;
using NativeGrad.NN;

namespace FashionMnistSample;

/// <summary>
/// Two conv + batch-norm + ReLU + max-pool blocks, then two linear layers: the "2 conv + pooling
/// with batch norm" family of Fashion-MNIST's benchmark table.
/// </summary>
internal sealed class FashionNet : Module
{
    private readonly Conv2d conv1 = new(1, 32, kernelSize: 3, padding: 1);
    private readonly BatchNorm2d bn1 = new(32);
    private readonly Conv2d conv2 = new(32, 64, kernelSize: 3, padding: 1);
    private readonly BatchNorm2d bn2 = new(64);
    private readonly MaxPool2d pool = new(2);
    private readonly Linear fc1 = new(64 * 7 * 7, 256);
    private readonly Dropout dropout = new(0.4);
    private readonly Linear fc2 = new(256, 10);

    public FashionNet() => RegisterComponents();

    // Intermediates are freed by the caller's DisposeScope (one per training step).
    public override Tensor Forward(Tensor x)
    {
        x = pool.Call(bn1.Call(conv1.Call(x)).Relu());
        x = pool.Call(bn2.Call(conv2.Call(x)).Relu()).Flatten(1);
        x = dropout.Call(fc1.Call(x).Relu());
        return fc2.Call(x);
    }
}
