using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// Owns one reference to a native tensor. Its finalizer (run on the finalizer thread, which the
/// native core allows) frees a tensor the user forgot to dispose.
/// </summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle(nint handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ng_tensor_release(handle);
        return true;
    }
}
