using NativeGrad.NN;

namespace NativeGrad;

/// <summary>
/// A differentiable operation written in C#, PyTorch's <c>torch.autograd.Function</c>: override
/// <c>Forward</c> (computes the outputs; its own operations are not recorded) and <c>Backward</c>
/// (receives one gradient per output, returns one gradient — or null — per forward argument), then
/// call <see cref="Apply{TFunction}(object?[])"/>. The application is recorded on the native tape as
/// one node named after the class (<see cref="GradFn.Name"/>), so it mixes freely with built-in
/// operations: hooks, <c>retainGraph</c>, <see cref="Autograd.Grad"/> and graph export see it, and a
/// <c>Backward</c> written with differentiable operations supports double backward (it runs with
/// grad mode equal to <c>createGraph</c>).
/// </summary>
/// <remarks>
/// <para>Override the typed overloads for the common shapes — <c>Forward(ctx, Tensor)</c>,
/// <c>Forward(ctx, Tensor, Tensor)</c>, <c>Forward(ctx, Tensor, Tensor, Tensor?)</c> returning one
/// tensor, and <c>Backward(ctx, Tensor gradOutput)</c> — or the general ones,
/// <see cref="Forward(FunctionContext, object?[])"/> (any arguments, including non-tensors such as
/// ints and flags, and several outputs) and <see cref="Backward(FunctionContext, Tensor?[])"/>.</para>
/// <para>Each application creates a new instance (with <see cref="Apply{TFunction}(object?[])"/>) and a
/// new <see cref="FunctionContext"/>; both live as long as the recorded node. Keep tensors needed by
/// <c>Backward</c> with <see cref="FunctionContext.SaveForBackward"/> (version-checked and freed with
/// the graph), not in fields: a field holding one of the function's own outputs would keep the graph
/// alive forever.</para>
/// <para>The gradients and saved tensors <c>Backward</c> receives are valid during the call only (the
/// objects are disposed afterwards); returning them as gradients is fine. An exception thrown by
/// <c>Forward</c> or <c>Backward</c> reaches the caller of <c>Apply</c> or of the backward pass
/// unchanged, and nothing is recorded for a failed <c>Forward</c>.</para>
/// </remarks>
/// <example>
/// <code>
/// public sealed class LinearFunction : Function
/// {
///     protected override Tensor Forward(FunctionContext ctx, Tensor input, Tensor weight, Tensor? bias)
///     {
///         ctx.SaveForBackward(input, weight, bias);
///         var output = input.MatMul(weight.T);
///         return bias is null ? output : output + bias;
///     }
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
///     {
///         var (input, weight, bias) = (ctx.SavedTensors[0]!, ctx.SavedTensors[1]!, ctx.SavedTensors[2]);
///         Tensor? gi = ctx.NeedsInputGrad[0] ? gradOutput.MatMul(weight) : null;
///         Tensor? gw = ctx.NeedsInputGrad[1] ? gradOutput.T.MatMul(input) : null;
///         Tensor? gb = bias is not null &amp;&amp; ctx.NeedsInputGrad[2] ? gradOutput.Sum(0) : null;
///         return new[] { gi, gw, gb };
///     }
/// }
/// Tensor y = Function.Apply&lt;LinearFunction&gt;(input, weight, bias);
/// </code>
/// </example>
public abstract class Function
{
    /// <summary>The node's name on the tape (<see cref="GradFn.Name"/>); the class name by default.</summary>
    public virtual string Name => GetType().Name;

    // ---- applying ---------------------------------------------------------------------------------

    /// <summary>
    /// Runs <typeparamref name="TFunction"/>'s forward on <paramref name="args"/> (tensors, nulls and
    /// any other values; a <see cref="Parameter"/> counts as its tensor) and records it for backward.
    /// Returns the single output.
    /// </summary>
    public static Tensor Apply<TFunction>(params object?[] args) where TFunction : Function, new() =>
        Single(new TFunction(), args);

    /// <summary>Like <see cref="Apply{TFunction}(object?[])"/> for a function with several outputs.</summary>
    public static Tensor[] ApplyMany<TFunction>(params object?[] args) where TFunction : Function, new() =>
        FunctionRecorder.Run(new TFunction(), args);

    /// <summary>
    /// Applies a configured function instance (e.g. one taking options in its constructor). The
    /// instance lives as long as the graphs it was recorded into; do not keep per-call state in
    /// its fields when it is applied more than once — use the <see cref="FunctionContext"/>.
    /// </summary>
    public static Tensor Apply(Function function, params object?[] args) =>
        Single(function ?? throw new ArgumentNullException(nameof(function)), args);

    /// <summary>Like <see cref="Apply(Function, object?[])"/> for a function with several outputs.</summary>
    public static Tensor[] ApplyMany(Function function, params object?[] args) =>
        FunctionRecorder.Run(function ?? throw new ArgumentNullException(nameof(function)), args);

    private static Tensor Single(Function function, object?[] args)
    {
        Tensor[] outputs = FunctionRecorder.Run(function, args);
        if (outputs.Length != 1)
            throw new InvalidOperationException(
                $"Function {function.Name} returned {outputs.Length} outputs; use Function.ApplyMany to get all of them.");
        return outputs[0];
    }

    // ---- forward ----------------------------------------------------------------------------------

    /// <summary>
    /// The general forward: receives the arguments exactly as given to <c>Apply</c> (non-tensor
    /// values included) and returns every output. The default dispatches to the typed overloads by
    /// the number and kind of arguments. Runs with grad mode off.
    /// </summary>
    protected virtual Tensor[] Forward(FunctionContext ctx, object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args switch
        {
            [Tensor a] => [Forward(ctx, a)],
            [Tensor a, Tensor b] => [Forward(ctx, a, b)],
            [Tensor a, Tensor b, Tensor c] => [Forward(ctx, a, b, c)],
            [Tensor a, Tensor b, null] => [Forward(ctx, a, b, null)],
            _ => throw new InvalidOperationException(
                $"Function {Name} has no Forward for ({Describe(args)}): override Forward(FunctionContext, object?[]) " +
                "for non-tensor arguments or several outputs, or one of the typed overloads."),
        };
    }

    /// <summary>Forward of a function of one tensor.</summary>
    protected virtual Tensor Forward(FunctionContext ctx, Tensor input) => throw NotOverridden("Forward(FunctionContext, Tensor)");

    /// <summary>Forward of a function of two tensors.</summary>
    protected virtual Tensor Forward(FunctionContext ctx, Tensor input, Tensor other) =>
        throw NotOverridden("Forward(FunctionContext, Tensor, Tensor)");

    /// <summary>Forward of a function of two tensors and an optional third (e.g. input, weight, bias).</summary>
    protected virtual Tensor Forward(FunctionContext ctx, Tensor input, Tensor weight, Tensor? bias) =>
        throw NotOverridden("Forward(FunctionContext, Tensor, Tensor, Tensor?)");

    // ---- backward ---------------------------------------------------------------------------------

    /// <summary>
    /// The general backward: one gradient per forward output in (zeros for outputs that received
    /// none, or null after <see cref="FunctionContext.SetMaterializeGrads"/>(false)), one gradient
    /// per forward argument out — null for non-tensor arguments and for inputs whose
    /// <see cref="FunctionContext.NeedsInputGrad"/> is false. The default calls
    /// <see cref="Backward(FunctionContext, Tensor)"/> for single-output functions.
    /// </summary>
    protected virtual Tensor?[] Backward(FunctionContext ctx, Tensor?[] gradOutputs)
    {
        ArgumentNullException.ThrowIfNull(gradOutputs);
        if (gradOutputs.Length == 1) return Backward(ctx, gradOutputs[0]!);
        throw new InvalidOperationException(
            $"Function {Name} has {gradOutputs.Length} outputs: override Backward(FunctionContext, Tensor?[]).");
    }

    /// <summary>
    /// Backward of a single-output function. <paramref name="gradOutput"/> is null only when
    /// gradient materialisation is off and the output received no gradient.
    /// </summary>
    protected virtual Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
        throw NotOverridden("Backward(FunctionContext, Tensor)");

    // ---- used by the recorder and the backward bridge -------------------------------------------

    internal Tensor[] InvokeForward(FunctionContext ctx, object?[] args) => Forward(ctx, args);

    internal Tensor?[] InvokeBackward(FunctionContext ctx, Tensor?[] gradOutputs) => Backward(ctx, gradOutputs);

    private InvalidOperationException NotOverridden(string signature) =>
        new($"Function {Name} does not override {signature}.");

    private static string Describe(object?[] args) =>
        string.Join(", ", args.Select(a => a switch { null => "null", Tensor => "Tensor", _ => a.GetType().Name }));
}
