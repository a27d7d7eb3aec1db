using System.Collections;
using System.Runtime.CompilerServices;

namespace NativeGrad.Data;

/// <summary>
/// Frees the native memory of samples and batches whatever their shape: a tensor, any
/// <see cref="IDisposable"/>, a tuple (<see cref="ITuple"/>) or a collection of those.
/// </summary>
internal static class BatchDisposal
{
    /// <summary>Takes every tensor of <paramref name="value"/> out of its <see cref="DisposeScope"/>.</summary>
    public static void DetachFromScopes(object? value)
    {
        switch (value)
        {
            case null or string:
                return;
            case Tensor t:
                t.DetachFromDisposeScope();
                return;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++) DetachFromScopes(tuple[i]);
                return;
            case Array array when array.GetType().GetElementType() is { IsPrimitive: true } or { IsEnum: true }:
                return;
            case IEnumerable items when value is not IDisposable:
                foreach (object? item in items) DetachFromScopes(item);
                return;
        }
    }

    /// <summary>Disposes every tensor or disposable object reachable through tuples and collections.</summary>
    public static void Dispose(object? value)
    {
        switch (value)
        {
            case null:
                return;
            case Tensor t:
                t.Dispose();
                return;
            case string:
                return;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++) Dispose(tuple[i]);
                return;
            case IDisposable d:
                d.Dispose();
                return;
            case Array array when array.GetType().GetElementType() is { IsPrimitive: true } or { IsEnum: true }:
                return;   // plain numbers: nothing to free (and enumerating would box every element)
            case IEnumerable items:
                foreach (object? item in items) Dispose(item);
                return;
        }
    }
}
