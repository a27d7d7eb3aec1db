using NativeGrad.NN;

namespace NativeGrad.Tests.CustomFunctions;

/// <summary>The seed's reference example, exactly as API.md shows it.</summary>
public sealed class LinearFunction : Function
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
        Tensor? gi = ctx.NeedsInputGrad[0] ? gradOutput.MatMul(weight) : null;
        Tensor? gw = ctx.NeedsInputGrad[1] ? gradOutput.T.MatMul(input) : null;
        Tensor? gb = bias is not null && ctx.NeedsInputGrad[2] ? gradOutput.Sum(0) : null;
        return new[] { gi, gw, gb };
    }
}

/// <summary>A layer built on <see cref="LinearFunction"/>, initialised like the built-in Linear.</summary>
public sealed class CustomLinear : Module
{
    public CustomLinear(long inFeatures, long outFeatures, DType dtype = DType.Float32)
    {
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", new Parameter(Init.UniformTensor([outFeatures, inFeatures], -bound, bound, dtype)))!;
        Bias = RegisterParameter("bias", new Parameter(Init.UniformTensor([outFeatures], -bound, bound, dtype)))!;
    }

    public Parameter Weight { get; }
    public Parameter Bias { get; }

    public override Tensor Forward(Tensor input) => Function.Apply<LinearFunction>(input, Weight, Bias);
}

/// <summary>Max along a dimension (a non-tensor argument) with the argmax as a second output.</summary>
public sealed class MaxWithIndices : Function
{
    protected override Tensor[] Forward(FunctionContext ctx, object?[] args)
    {
        var x = (Tensor)args[0]!;
        long dim = (int)args[1]!;
        var (values, indices) = x.Max(dim);
        // A float copy of the indices, explicitly non-differentiable (int64 ones are implicitly so).
        Tensor indexValues = indices.ToType(x.DType);
        ctx.MarkNonDifferentiable(indexValues);
        ctx.SaveForBackward(indices);
        ctx["dim"] = dim;
        ctx["shape"] = x.Shape;
        ctx["dtype"] = x.DType;
        return [values, indices, indexValues];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs)
    {
        LastIndexGradient = gradOutputs[2]?.ToArray<double>();
        long dim = ctx.Get<long>("dim");
        Tensor indices = ctx.SavedTensors[0]!;
        using Tensor zeros = Tensor.Zeros(ctx.Get<long[]>("shape"), ctx.Get<DType>("dtype"));
        Tensor grad = zeros.Scatter(dim, indices.Unsqueeze(dim), gradOutputs[0]!.Unsqueeze(dim));
        return [grad, null];
    }

    [ThreadStatic] public static double[]? LastIndexGradient;
}

/// <summary>Forward rounds (no useful derivative); backward passes the gradient straight through.</summary>
public sealed class StraightThroughRound : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor input)
    {
        double[] v = input.ToArray<double>();
        for (int i = 0; i < v.Length; i++) v[i] = Math.Round(v[i], MidpointRounding.ToEven);
        return Tensor.FromSpan<double>(v, input.Shape).ToType(input.DType);
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
}

/// <summary>y = factor · x (or −factor · x): two non-tensor arguments that get null gradients.</summary>
public sealed class ScaleBy : Function
{
    protected override Tensor[] Forward(FunctionContext ctx, object?[] args)
    {
        var x = (Tensor)args[0]!;
        double factor = (double)args[1]! * ((bool)args[2]! ? -1 : 1);
        ctx["factor"] = factor;
        return [x * factor];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs) =>
        [gradOutputs[0]! * ctx.Get<double>("factor"), null, null];
}

/// <summary>Records what the context said about its inputs.</summary>
public sealed class Probe : Function
{
    public bool[]? NeedsAtForward;
    public bool[]? NeedsAtBackward;

    protected override Tensor[] Forward(FunctionContext ctx, object?[] args)
    {
        NeedsAtForward = ctx.NeedsInputGrad.ToArray();
        var x = (Tensor)args[0]!;
        return [x.Clone()];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs)
    {
        NeedsAtBackward = ctx.NeedsInputGrad.ToArray();
        var result = new Tensor?[NeedsAtBackward.Length];
        result[0] = ctx.NeedsInputGrad[0] ? gradOutputs[0] : null;
        return result;
    }
}

/// <summary>Two outputs; the backward records which gradients arrived.</summary>
public sealed class TwoOutputs : Function
{
    private readonly bool _materialize;
    public TwoOutputs(bool materialize) => _materialize = materialize;
    public bool[]? Arrived;
    public double[]? Second;

    protected override Tensor[] Forward(FunctionContext ctx, object?[] args)
    {
        ctx.SetMaterializeGrads(_materialize);
        var x = (Tensor)args[0]!;
        return [x * 2, x * 3];
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs)
    {
        Arrived = gradOutputs.Select(g => g is not null).ToArray();
        Second = gradOutputs[1]?.ToArray<double>();
        Tensor g = gradOutputs[0] is null ? Tensor.Zeros(gradOutputs[1]!.Shape, gradOutputs[1]!.DType) : gradOutputs[0]! * 2;
        if (gradOutputs[1] is not null) g = g + gradOutputs[1]! * 3;
        return [g];
    }
}

/// <summary>A deliberately wrong backward, to exercise each validation error.</summary>
public sealed class Misbehaving : Function
{
    public enum Kind { TooFewGradients, WrongShape, GradientForConstant, GradientForNonTensor, NullArray, Throws }

    private readonly Kind _kind;
    public Misbehaving(Kind kind) => _kind = kind;

    protected override Tensor[] Forward(FunctionContext ctx, object?[] args) => [((Tensor)args[0]!) * 1.0];

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor?[] g) => _kind switch
    {
        Kind.TooFewGradients => [g[0]],
        Kind.WrongShape => [Tensor.Ones([7], g[0]!.DType), null, null],
        Kind.GradientForConstant => [g[0], g[0], null],
        Kind.GradientForNonTensor => [g[0], null, g[0]],
        Kind.NullArray => null!,
        _ => throw new BackwardFailure("backward failed on purpose"),
    };
}

public sealed class BackwardFailure(string message) : Exception(message);

public sealed class ForwardFailure(string message) : Exception(message);

public sealed class ThrowingForward : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor input)
    {
        ctx.SaveForBackward(input);
        using Tensor temp = input * 2;  // work done before the failure must not leak or record
        throw new ForwardFailure("forward failed on purpose");
    }
}

/// <summary>Saves an intermediate (neither input nor output) that the test then modifies in place.</summary>
public sealed class SavesIntermediate : Function
{
    public Tensor? Intermediate;

    protected override Tensor Forward(FunctionContext ctx, Tensor input)
    {
        Intermediate = input * 3;
        ctx.SaveForBackward(Intermediate);
        return input * 3;
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
        [gradOutput * ctx.SavedTensors[0]!.Mean()];
}

/// <summary>Doubles its input in place (MarkDirty) and returns it.</summary>
public sealed class DoubleInPlace : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor input)
    {
        input.Mul_(2.0);
        ctx.MarkDirty(input);
        return input;
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2];
}

/// <summary>Returns its input unchanged: the output must be an alias, not the input re-parented.</summary>
public sealed class Identity : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor input) => input;
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
}

/// <summary>Uses the context wrongly from inside Forward or Backward.</summary>
public sealed class ContextMisuse : Function
{
    private readonly bool _inBackward;
    public ContextMisuse(bool inBackward) => _inBackward = inBackward;

    protected override Tensor Forward(FunctionContext ctx, Tensor input)
    {
        if (!_inBackward) _ = ctx.SavedTensors;
        return input * 1.0;
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
    {
        ctx.SaveForBackward(gradOutput);
        return [gradOutput];
    }
}
