namespace NativeGrad.Benchmarks.Workloads;

/// <summary>
/// The cost of a custom autograd function against the equivalent built-in op: y = 2·x on 16 floats,
/// as <see cref="Double"/> (a C# Function recorded as one native node whose backward calls back into
/// managed code) and as the built-in <c>x * 2</c>.
/// </summary>
internal sealed class CustomFunctionWorkload : IDisposable
{
    private readonly Tensor _x = Tensor.Rand(16).RequiresGrad_();

    /// <summary>y = 2·x with a hand-written backward.</summary>
    private sealed class Double : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor input) => input * 2;
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2];
    }

    public void CustomForward()
    {
        using Tensor y = Function.Apply<Double>(_x);
    }

    public void BuiltInForward()
    {
        using Tensor y = _x * 2;
    }

    public void CustomForwardBackward()
    {
        using Tensor y = Function.Apply<Double>(_x);
        using Tensor s = y.Sum();
        s.Backward();
        _x.Grad = null;
    }

    public void BuiltInForwardBackward()
    {
        using Tensor y = _x * 2;
        using Tensor s = y.Sum();
        s.Backward();
        _x.Grad = null;
    }

    public void Dispose() => _x.Dispose();
}
