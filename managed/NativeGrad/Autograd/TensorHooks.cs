using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// Bridges managed tensor hooks to the native engine: the engine calls <see cref="Invoke"/> through
/// an unmanaged function pointer; exceptions never cross into native frames — they are stored and
/// rethrown by the managed caller of Backward.
/// </summary>
internal static unsafe class TensorHooks
{
    internal static delegate* unmanaged[Cdecl]<void*, nint, nint*, NgStatus> InvokePointer => &Invoke;
    internal static delegate* unmanaged[Cdecl]<void*, void> ReleasePointer => &Release;

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static NgStatus Invoke(void* context, nint grad, nint* replacement)
    {
        try
        {
            var hook = (Func<Tensor, Tensor?>)GCHandle.FromIntPtr((nint)context).Target!;
            Check(NativeMethods.ng_tensor_retain(grad));
            var gradient = new Tensor(grad);
            Tensor? result = hook(gradient);
            if (result is not null)
            {
                Check(NativeMethods.ng_tensor_retain(result.Handle));
                *replacement = result.Handle;
                GC.KeepAlive(result);
            }
            return NgStatus.Ok;
        }
        catch (Exception e)
        {
            NativeStatus.SetPendingCallbackException(e);
            return NgStatus.CallbackFailed;
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

    private static void Check(NgStatus status) => NativeStatus.Check(status);
}
