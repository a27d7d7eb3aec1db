namespace NativeGrad.NN;

/// <summary>
/// A trainable tensor of a <see cref="Module"/>: a leaf that requires grad (unless frozen), owned by
/// its module and released with it. <see cref="Tensor"/> is sealed, so a parameter wraps one; it
/// converts implicitly to <see cref="NativeGrad.Tensor"/>, and <see cref="Module.Parameters"/>
/// yields the wrapped tensors themselves, ready for optimizers and tensor arithmetic.
/// </summary>
public sealed class Parameter : IDisposable
{
    /// <summary>
    /// Wraps <paramref name="data"/> as a parameter. The parameter takes ownership of the tensor
    /// (it is removed from any <see cref="DisposeScope"/>, since parameters outlive training steps).
    /// A tensor with autograd history is detached first, so the parameter is always a leaf.
    /// </summary>
    /// <param name="data">The initial values (float32 or float64 to require grad).</param>
    /// <param name="requiresGrad">False creates a frozen parameter.</param>
    public Parameter(Tensor data, bool requiresGrad = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        Tensor t = data.IsLeaf ? data : data.Detach();
        t.DetachFromDisposeScope();
        if (t.RequiresGrad != requiresGrad) t.RequiresGrad = requiresGrad;
        Tensor = t;
    }

    /// <summary>The parameter's tensor (always the same object).</summary>
    public Tensor Tensor { get; }

    /// <summary>The parameter's tensor.</summary>
    public static implicit operator Tensor(Parameter parameter) =>
        (parameter ?? throw new ArgumentNullException(nameof(parameter))).Tensor;

    /// <summary>Whether the optimizer trains this parameter (false: frozen).</summary>
    public bool RequiresGrad
    {
        get => Tensor.RequiresGrad;
        set => Tensor.RequiresGrad = value;
    }

    /// <summary>The accumulated gradient, or null (each read returns a new tensor object).</summary>
    public Tensor? Grad
    {
        get => Tensor.Grad;
        set => Tensor.Grad = value;
    }

    /// <summary>Sizes of the dimensions.</summary>
    public long[] Shape => Tensor.Shape;

    /// <summary>Number of elements.</summary>
    public long NumElements => Tensor.NumElements;

    /// <summary>Element type.</summary>
    public DType DType => Tensor.DType;

    /// <summary>True once the parameter (its tensor) has been released.</summary>
    public bool IsDisposed => Tensor.IsDisposed;

    /// <summary>Prints the values like PyTorch's <c>Parameter containing: tensor(...)</c>.</summary>
    public override string ToString() => "Parameter containing:\n" + Tensor;

    /// <summary>Releases the tensor.</summary>
    public void Dispose() => Tensor.Dispose();
}

/// <summary>
/// Marks a <see cref="Tensor"/> field of a <see cref="Module"/> as a buffer for
/// <see cref="Module.RegisterComponents"/>: state saved in the state dict but not trained (e.g.
/// batch-norm running statistics). Tensor fields without it are not registered.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false)]
public sealed class BufferAttribute : Attribute
{
    /// <summary>False keeps the buffer out of the state dict (PyTorch's <c>persistent=False</c>).</summary>
    public bool Persistent { get; init; } = true;
}

/// <summary>
/// Keeps a field out of <see cref="Module.RegisterComponents"/> (e.g. a reference to a module that
/// another module already owns, when it should not appear twice in the hierarchy).
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false)]
public sealed class IgnoreComponentAttribute : Attribute
{
}
