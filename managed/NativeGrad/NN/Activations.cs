namespace NativeGrad.NN;

/// <summary>max(x, 0) elementwise.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>x for x &gt; 0, else negativeSlope·x.</summary>
/// <param name="negativeSlope">Slope for negative inputs.</param>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>Slope for negative inputs.</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}

/// <summary>x for x &gt; 0, else alpha·(eˣ − 1).</summary>
/// <param name="alpha">Scale of the negative part.</param>
public sealed class ELU(double alpha = 1.0) : Module
{
    /// <summary>Scale of the negative part.</summary>
    public double Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Elu(Alpha);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"alpha={Alpha}";
}

/// <summary>1 / (1 + e⁻ˣ) elementwise.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Hyperbolic tangent elementwise.</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Softmax along a dimension.</summary>
/// <param name="dim">The dimension that sums to one.</param>
public sealed class Softmax(long dim) : Module
{
    /// <summary>The dimension that sums to one.</summary>
    public long Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log of the softmax along a dimension.</summary>
/// <param name="dim">The softmax dimension.</param>
public sealed class LogSoftmax(long dim) : Module
{
    /// <summary>The softmax dimension.</summary>
    public long Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Returns its input unchanged (a placeholder layer).</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.View(input.ShapeRef);
}

/// <summary>Merges dimensions startDim..endDim into one (by default all but the batch dimension).</summary>
/// <param name="startDim">First dimension to merge.</param>
/// <param name="endDim">Last dimension to merge.</param>
public sealed class Flatten(long startDim = 1, long endDim = -1) : Module
{
    /// <summary>First dimension to merge.</summary>
    public long StartDim { get; } = startDim;

    /// <summary>Last dimension to merge.</summary>
    public long EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
