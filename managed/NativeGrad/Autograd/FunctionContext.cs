using System.Collections.ObjectModel;

namespace NativeGrad;

/// <summary>
/// What one application of a <see cref="Function"/> passes from its forward to its backward,
/// PyTorch's <c>ctx</c>: saved tensors, which inputs need gradients, output and in-place marks,
/// and a property bag for non-tensor state.
/// </summary>
public sealed class FunctionContext
{
    private enum Phase { Forward, Recorded, Backward }

    private readonly bool[] _needsInputGrad;
    private Phase _phase = Phase.Forward;
    private Tensor?[]? _toSave;
    private List<Tensor>? _nonDifferentiable;
    private List<Tensor>? _dirty;
    private IReadOnlyList<Tensor?>? _saved;
    private Dictionary<string, object?>? _items;

    internal FunctionContext(string functionName, bool[] needsInputGrad)
    {
        FunctionName = functionName;
        _needsInputGrad = needsInputGrad;
        NeedsInputGrad = new ReadOnlyCollection<bool>(needsInputGrad);
    }

    /// <summary>The function's name, as recorded on the tape.</summary>
    public string FunctionName { get; }

    /// <summary>
    /// One entry per forward argument: true when it is a tensor that requires grad and grad mode was
    /// on at <c>Apply</c> — exactly the arguments whose gradient <c>Backward</c> must compute. Other
    /// entries must get null.
    /// </summary>
    public IReadOnlyList<bool> NeedsInputGrad { get; }

    /// <summary>True when any argument needs a gradient (a node is being recorded).</summary>
    public bool AnyInputNeedsGrad => Array.IndexOf(_needsInputGrad, true) >= 0;

    /// <summary>
    /// Keeps tensors (nulls allowed) for <c>Backward</c>, where they are read from
    /// <see cref="SavedTensors"/> in the same order. Call from <c>Forward</c>; a later call replaces
    /// the earlier one. Saved tensors are version-checked: modifying one in place before backward is
    /// an error naming the function. They are freed after a backward pass without
    /// <c>retainGraph</c> (a second pass is then an error), and with the graph.
    /// </summary>
    public void SaveForBackward(params Tensor?[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        RequirePhase(Phase.Forward, nameof(SaveForBackward));
        foreach (Tensor? t in tensors) ObjectDisposedException.ThrowIf(t is { IsDisposed: true }, t!);
        _toSave = (Tensor?[])tensors.Clone();
    }

    /// <summary>The tensors given to <see cref="SaveForBackward"/>; readable in <c>Backward</c> only.</summary>
    public IReadOnlyList<Tensor?> SavedTensors
    {
        get
        {
            if (_phase != Phase.Backward || _saved is null)
                throw new InvalidOperationException(
                    $"Function {FunctionName}: SavedTensors can be read in Backward only (save them with SaveForBackward in Forward).");
            return _saved;
        }
    }

    /// <summary>
    /// Marks outputs that are not differentiable (e.g. indices): they do not require grad, and
    /// <c>Backward</c> still receives a gradient slot for each (zeros, or null without
    /// materialisation). Integer outputs are never differentiable and need no mark.
    /// </summary>
    public void MarkNonDifferentiable(params Tensor[] outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        RequirePhase(Phase.Forward, nameof(MarkNonDifferentiable));
        (_nonDifferentiable ??= new()).AddRange(outputs.Select(t => t ?? throw new ArgumentNullException(nameof(outputs))));
    }

    /// <summary>
    /// Declares inputs that <c>Forward</c> modified in place. Each must also be returned as an output;
    /// it then takes this function as its history (its previous history becomes the function's
    /// input), and its version is bumped so tensors saved earlier by other operations notice the
    /// change. A leaf that requires grad cannot be modified in place while grad mode is on. Views of
    /// a dirtied tensor keep their old history (PyTorch would rebase them too).
    /// </summary>
    public void MarkDirty(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        RequirePhase(Phase.Forward, nameof(MarkDirty));
        (_dirty ??= new()).AddRange(inputs.Select(t => t ?? throw new ArgumentNullException(nameof(inputs))));
    }

    /// <summary>
    /// True (the default): outputs that received no gradient arrive in <c>Backward</c> as zeros.
    /// False: they arrive as null, which saves allocating zeros when the backward can skip them.
    /// </summary>
    public void SetMaterializeGrads(bool value)
    {
        RequirePhase(Phase.Forward, nameof(SetMaterializeGrads));
        MaterializeGrads = value;
    }

    /// <summary>See <see cref="SetMaterializeGrads"/>.</summary>
    public bool MaterializeGrads { get; private set; } = true;

    /// <summary>Non-tensor state kept from <c>Forward</c> for <c>Backward</c> (e.g. a dimension, a flag).</summary>
    public IDictionary<string, object?> Items => _items ??= new();

    /// <summary>Reads or writes an entry of <see cref="Items"/>; reading a missing key throws <see cref="KeyNotFoundException"/>.</summary>
    public object? this[string key]
    {
        get => Items.TryGetValue(key, out object? v)
            ? v
            : throw new KeyNotFoundException($"Function {FunctionName}: the context has no item '{key}'.");
        set => Items[key] = value;
    }

    /// <summary>Reads an entry of <see cref="Items"/> as <typeparamref name="T"/>.</summary>
    public T Get<T>(string key) => (T)this[key]!;

    // ---- lifecycle, driven by the recorder and the backward bridge ---------------------------

    internal Tensor?[] ToSave => _toSave ?? [];
    internal List<Tensor>? NonDifferentiable => _nonDifferentiable;
    internal List<Tensor>? Dirty => _dirty;

    /// <summary>
    /// Drops every tensor reference kept during forward: the node now owns the saved tensors, and a
    /// managed reference to an output from here (held by the node through a GCHandle) would be a
    /// cycle that keeps the graph alive.
    /// </summary>
    internal void EndForward()
    {
        _toSave = null;
        _nonDifferentiable = null;
        _dirty = null;
        _phase = Phase.Recorded;
    }

    internal void BeginBackward(IReadOnlyList<Tensor?> saved)
    {
        _saved = saved;
        _phase = Phase.Backward;
    }

    internal void EndBackward()
    {
        _saved = null;
        _phase = Phase.Recorded;
    }

    private void RequirePhase(Phase phase, string member)
    {
        if (_phase != phase)
            throw new InvalidOperationException($"Function {FunctionName}: {member} can be called in Forward only.");
    }
}
