// A custom layer end to end: an autograd Function written in C# (forward and backward by hand),
// a Module that uses it, a gradient check, and a few training steps on synthetic data.
using NativeGrad;
using NativeGrad.NN;
using NativeGrad.Optim;

Generator.ManualSeed(0);
using var generator = new Generator(42);

// 1. The function is correct: autograd's derivatives match finite differences (first and second order).
using (var scope = DisposeScope.Begin())
{
    Tensor[] inputs =
    [
        Tensor.Randn([3, 4], generator, DType.Float64).RequiresGrad_(),
        Tensor.Randn([2, 4], generator, DType.Float64).RequiresGrad_(),
        Tensor.Randn([2], generator, DType.Float64).RequiresGrad_(),
    ];
    Tensor Linear(Tensor[] x) => Function.Apply<LinearFunction>(x[0], x[1], x[2]);
    Console.WriteLine($"gradient check:              {GradCheck.Evaluate(Linear, inputs)}");
    Console.WriteLine($"second-order gradient check: {GradCheck.EvaluateSecondOrder(Linear, inputs)}");
}

// 2. Synthetic regression: y = sin(x · a) + 0.5 · x₀², learned by a small network of custom layers.
const int samples = 256, features = 4;
using Tensor x = Tensor.Randn([samples, features], generator);
using Tensor direction = Tensor.FromArray(new float[] { 0.8f, -0.5f, 0.3f, 0.1f }, [features, 1]);
using Tensor target = (x.MatMul(direction).Sin() + x.Narrow(1, 0, 1).Pow(2) * 0.5f);

using var model = new Regressor(features, hidden: 32);
var optimizer = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);

for (int step = 0; step <= 200; step++)
{
    using var scope = DisposeScope.Begin();
    optimizer.ZeroGrad();
    Tensor prediction = model.Call(x);
    Tensor loss = Functional.MseLoss(prediction, target);
    loss.Backward();
    optimizer.Step();
    if (step == 0) Console.WriteLine($"the output's autograd node:  {prediction.GradFn!.Name}");
    if (step % 20 == 0) Console.WriteLine($"step {step,3}  loss {loss.Item<float>():F5}");
}

/// <summary>
/// y = x·Wᵀ + b with a hand-written backward (the seed's LinearFunction). Forward runs without
/// recording; Backward returns one gradient per forward argument, null where none is needed.
/// </summary>
sealed class LinearFunction : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor input, Tensor weight, Tensor? bias)
    {
        ctx.SaveForBackward(input, weight, bias);
        var output = input.MatMul(weight.T);
        return bias is null ? output : output + bias;
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
    {
        var (input, weight, bias) = (ctx.SavedTensors[0]!, ctx.SavedTensors[1]!, ctx.SavedTensors[2]);
        Tensor? gradInput = ctx.NeedsInputGrad[0] ? gradOutput.MatMul(weight) : null;
        Tensor? gradWeight = ctx.NeedsInputGrad[1] ? gradOutput.T.MatMul(input) : null;
        Tensor? gradBias = bias is not null && ctx.NeedsInputGrad[2] ? gradOutput.Sum(0) : null;
        return [gradInput, gradWeight, gradBias];
    }
}

/// <summary>A layer whose computation is the custom function; parameters are registered as usual.</summary>
sealed class CustomLinear : Module
{
    public CustomLinear(long inFeatures, long outFeatures)
    {
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", new Parameter(Init.UniformTensor([outFeatures, inFeatures], -bound, bound)))!;
        Bias = RegisterParameter("bias", new Parameter(Init.UniformTensor([outFeatures], -bound, bound)))!;
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }

    public override Tensor Forward(Tensor input) => Function.Apply<LinearFunction>(input, Weight, Bias);
}

sealed class Regressor : Module
{
    private readonly CustomLinear hidden;
    private readonly CustomLinear output;

    public Regressor(int features, int hidden)
    {
        this.hidden = new CustomLinear(features, hidden);
        output = new CustomLinear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor input) => output.Call(hidden.Call(input).Tanh());
}
