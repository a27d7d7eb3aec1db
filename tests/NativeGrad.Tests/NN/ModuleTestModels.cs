using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

/// <summary>y = x · scale (elementwise, scale of x's trailing shape) + shift; no Functional dependency.</summary>
internal sealed class ScaleShift : Module
{
    public readonly Parameter scale;
    public readonly Parameter shift;

    public ScaleShift(float[] scaleValues, float shiftValue = 0)
    {
        scale = new Parameter(Tensor.FromArray(scaleValues));
        shift = new Parameter(Tensor.FromArray(new[] { shiftValue }));
        RegisterComponents();
    }

    public override Tensor Forward(Tensor input) => input * scale.Tensor + shift.Tensor;
}

/// <summary>Fields of every kind, to check what RegisterComponents registers and in which order.</summary>
internal sealed class FieldsNet : Module
{
    private readonly ScaleShift first = new([1f, 2f]);
    public Parameter Gain { get; } = new(Tensor.FromArray(new[] { 3f }));
    [Buffer] private readonly Tensor counter = Tensor.Zeros([1], DType.Int64);
    private readonly Tensor notRegistered = Tensor.Ones(2);
    [Buffer(Persistent = false)] private readonly Tensor scratch = Tensor.Zeros(2);
    private readonly ScaleShift second = new([5f, 7f], 1f);
    [IgnoreComponent] private readonly ScaleShift ignored = new([9f, 9f]);
    private readonly ScaleShift? missing = null;

    public FieldsNet() => RegisterComponents();

    public Tensor NotRegistered => notRegistered;
    public Tensor Scratch => scratch;
    public ScaleShift Ignored => ignored;
    public ScaleShift? Missing => missing;

    public override Tensor Forward(Tensor input) => second.Call(first.Call(input)) * Gain.Tensor;
}

/// <summary>One layer registered under two names and called twice, plus an unused one.</summary>
internal sealed class SharedNet : Module
{
    public readonly ScaleShift a = new([2f, 3f]);
    public readonly ScaleShift b;
    public readonly ScaleShift unused = new([1f, 1f]);

    public SharedNet()
    {
        b = a;
        RegisterComponents();
    }

    public override Tensor Forward(Tensor input) => b.Call(a.Call(input));
}
