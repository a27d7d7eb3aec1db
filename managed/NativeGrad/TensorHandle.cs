using System.Runtime.InteropServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// Owns one reference to a native tensor. Its finalizer (run on the finalizer thread, which the
/// native core allows) frees a tensor the user forgot to dispose.
/// </summary>
/// <remarks>
/// Allocating a finalizable object and suppressing its finalizer again costs about as much as the
/// native work of a small op (~50 ns). A disposed tensor therefore hands its emptied handle to a
/// small per-thread pool and the next tensor reuses it: the handle object stays registered for
/// finalization while pooled (holding no native reference, so finalizing it would do nothing),
/// and a tensor that is never disposed is still freed by its handle's finalizer.
/// </remarks>
internal sealed class TensorHandle : SafeHandle
{
    // Enough for the temporaries of a training step that a DisposeScope frees at once; beyond it,
    // handles are disposed normally (their finalizer suppressed) and left to the GC.
    private const int PoolCapacity = 128;

    [ThreadStatic]
    private static Pool? t_pool;

    private TensorHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>A handle owning <paramref name="native"/>: a pooled one when available.</summary>
    public static TensorHandle Rent(nint native)
    {
        Pool? pool = t_pool;
        TensorHandle h;
        if (pool is not null && pool.Count > 0)
        {
            // Clear the slot: a stale pool reference would keep a forgotten tensor's handle
            // reachable, and its finalizer would never free the tensor.
            ref TensorHandle? slot = ref pool.Items[--pool.Count];
            h = slot!;
            slot = null;
        }
        else
        {
            h = new TensorHandle();
        }
        h.SetHandle(native);
        return h;
    }

    /// <summary>
    /// Releases the native reference and recycles this handle. The caller guarantees it is the only
    /// one to do so (the owning tensor detaches the handle atomically first).
    /// </summary>
    public void ReleaseAndRecycle()
    {
        nint native = handle;
        SetHandle(IntPtr.Zero);
        NativeMethods.ng_tensor_release(native);
        Pool pool = t_pool ??= new Pool();
        if (pool.Count < PoolCapacity) pool.Items[pool.Count++] = this;
        else Dispose();  // holds nothing now: only suppresses the finalizer
    }

    protected override bool ReleaseHandle()
    {
        NativeMethods.ng_tensor_release(handle);
        return true;
    }

    private sealed class Pool
    {
        public readonly TensorHandle?[] Items = new TensorHandle?[PoolCapacity];
        public int Count;
    }
}
