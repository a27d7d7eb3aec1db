using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// The native engine's way into a managed <see cref="Function"/>'s backward: an unmanaged function
/// pointer with the node's <see cref="FunctionCall"/> as its context. Exceptions never cross into
/// native frames: they are stored and rethrown, unchanged, by the managed caller of the backward pass.
/// </summary>
internal static unsafe class FunctionBridge
{
    internal static delegate* unmanaged[Cdecl]<void*, nint*, int, nint*, int, nint*, int, NgStatus> BackwardPointer => &Backward;
    internal static delegate* unmanaged[Cdecl]<void*, void> ReleasePointer => &Release;

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static NgStatus Backward(void* context, nint* grads, int gradCount, nint* saved, int savedCount,
                                     nint* outGrads, int inputCount)
    {
        Tensor?[]? gradOutputs = null;
        Tensor?[]? savedTensors = null;
        FunctionContext? ctx = null;
        try
        {
            var call = (FunctionCall)GCHandle.FromIntPtr((nint)context).Target!;
            ctx = call.Context;
            gradOutputs = Borrow(grads, gradCount);
            savedTensors = Borrow(saved, savedCount);
            ctx.BeginBackward(savedTensors);
            Tensor?[] result = call.Function.InvokeBackward(ctx, gradOutputs)
                               ?? throw new InvalidOperationException(
                                   $"Function {ctx.FunctionName}: Backward returned null; return one gradient (or null) per forward argument.");
            if (result.Length != inputCount)
                throw new InvalidOperationException(
                    $"Function {ctx.FunctionName} returned {result.Length} gradients, but its forward had {inputCount} " +
                    "arguments (return one gradient, or null, per forward argument).");
            for (int i = 0; i < inputCount; i++)
            {
                Tensor? g = result[i];
                if (g is null) continue;
                nint handle = g.Handle;
                NativeStatus.Check(NativeMethods.ng_tensor_retain(handle));
                outGrads[i] = handle;  // a new reference, now owned by the engine
                GC.KeepAlive(g);
            }
            return NgStatus.Ok;
        }
        catch (Exception e)
        {
            NativeStatus.SetPendingCallbackException(e);
            return NgStatus.CallbackFailed;
        }
        finally
        {
            ctx?.EndBackward();
            DisposeAll(gradOutputs);
            DisposeAll(savedTensors);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void Release(void* context)
    {
        try
        {
            GCHandle.FromIntPtr((nint)context).Free();
        }
        catch
        {
            // Nothing may escape into native code; a handle that cannot be freed is leaked.
        }
    }

    // Wraps borrowed native handles in tensors of their own (one new reference each).
    private static Tensor?[] Borrow(nint* handles, int count)
    {
        if (count == 0) return [];
        var list = new Tensor?[count];
        for (int i = 0; i < count; i++)
        {
            nint h = handles[i];
            if (h == 0) continue;
            NativeStatus.Check(NativeMethods.ng_tensor_retain(h));
            list[i] = new Tensor(h);
        }
        return list;
    }

    // The wrappers made for one backward call are released deterministically instead of waiting
    // for finalizers; the native tensors live on wherever the engine or the user's results use them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DisposeAll(Tensor?[]? tensors)
    {
        if (tensors is null) return;
        foreach (Tensor? t in tensors) t?.Dispose();
    }
}
