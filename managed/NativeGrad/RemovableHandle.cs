namespace NativeGrad;

/// <summary>Removes a registered hook when <see cref="Remove"/> (or <see cref="Dispose"/>) is called.</summary>
public sealed class RemovableHandle : IDisposable
{
    private Action? _remove;

    internal RemovableHandle(Action remove) => _remove = remove;

    /// <summary>True until the hook has been removed.</summary>
    public bool IsActive => Volatile.Read(ref _remove) is not null;

    /// <summary>Removes the hook; later calls do nothing.</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Same as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}
