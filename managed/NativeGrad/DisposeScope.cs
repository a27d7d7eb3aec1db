namespace NativeGrad;

/// <summary>
/// Disposes every <see cref="Tensor"/> created on this thread while the scope is the innermost one,
/// except those moved out with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Keep"/>.
/// </summary>
/// <example>
/// <code>
/// using (var scope = DisposeScope.Begin())
/// {
///     var loss = Functional.CrossEntropy(model.Call(x), y);   // temporaries are tracked
///     loss.Backward();
///     total += loss.Item&lt;float&gt;();
/// }                                                            // ... and freed here
/// </code>
/// </example>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    private static DisposeScope? t_current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _tensors = new();
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) => _outer = outer;

    /// <summary>The innermost open scope of the calling thread, if any.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>Opens a scope that becomes the calling thread's innermost one.</summary>
    public static DisposeScope Begin()
    {
        var scope = new DisposeScope(t_current);
        t_current = scope;
        return scope;
    }

    /// <summary>Number of tensors this scope will dispose.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (Tensor t in _tensors)
            {
                if (ReferenceEquals(t.OwningScope, this) && !t.IsDisposed) n++;
            }
            return n;
        }
    }

    /// <summary>Moves <paramref name="tensor"/> to the enclosing scope (or out of all scopes) and returns it.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.MoveToOuterScope();
        return tensor;
    }

    internal void Track(Tensor tensor)
    {
        tensor.OwningScope = this;
        _tensors.Add(tensor);
    }

    internal DisposeScope? Outer => _outer;

    /// <summary>Disposes the tracked tensors and restores the enclosing scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ReferenceEquals(t_current, this)) t_current = _outer;
        foreach (Tensor t in _tensors)
        {
            if (ReferenceEquals(t.OwningScope, this)) t.Dispose();
        }
        _tensors.Clear();
    }
}
