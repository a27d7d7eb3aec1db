using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using NativeGrad.Interop;

namespace NativeGrad;

/// <summary>
/// An n-dimensional array in native memory with autograd support, the C# face of the native core.
/// Operations return new tensors; dispose them (or use a <see cref="DisposeScope"/>) to free native
/// memory deterministically — a finalizer frees forgotten ones eventually.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    // Null once disposed. Swapped out atomically so that concurrent Dispose calls release once.
    private TensorHandle? _handle;
    private long[]? _shape;

    static Tensor() => NativeLibraryInfo.EnsureCompatible();

    /// <summary>Takes ownership of a new native reference.</summary>
    internal Tensor(nint handle)
    {
        _handle = TensorHandle.Rent(handle);
        DisposeScope? scope = DisposeScope.Current;
        if (scope is not null) scope.Track(this);
    }

    internal DisposeScope? OwningScope { get; set; }

    /// <summary>Number of native tensors alive in the process (views and autograd's saved tensors included); for leak checks.</summary>
    public static long LiveCount => NativeMethods.ng_live_tensor_count();

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _handle is null;

    /// <summary>The native handle; throws <see cref="ObjectDisposedException"/> after disposal.</summary>
    internal nint Handle
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            TensorHandle? h = _handle;
            if (h is null) ThrowDisposed();
            return h.DangerousGetHandle();
        }
    }

    [DoesNotReturn]
    private static void ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(Tensor), "The tensor has been disposed.");

    /// <summary>Frees the native tensor now. Views and results computed from it stay valid.</summary>
    public void Dispose() => Interlocked.Exchange(ref _handle, null)?.ReleaseAndRecycle();

    /// <summary>
    /// Moves this tensor from its <see cref="DisposeScope"/> to the enclosing one (or out of all
    /// scopes), so it survives the end of the current scope. Returns this tensor.
    /// </summary>
    public Tensor MoveToOuterScope()
    {
        DisposeScope? scope = OwningScope;
        if (scope is null) return this;
        OwningScope = null;
        scope.Outer?.Track(this);
        return this;
    }

    /// <summary>Removes this tensor from any <see cref="DisposeScope"/>: the caller disposes it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        OwningScope = null;
        return this;
    }

    // ---- native call helpers: check the status and keep operands alive across the call --------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(NgStatus status) => NativeStatus.Check(status);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor Wrap(NgStatus status, nint result)
    {
        NativeStatus.Check(status);
        return new Tensor(result);
    }

    // One shape of native call each: this tensor (plus scalars or tensors) in, one new tensor out.
    internal Tensor Call(delegate*<nint, nint*, NgStatus> op)
    {
        nint r;
        NgStatus st = op(Handle, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    internal Tensor Call(delegate*<nint, long, nint*, NgStatus> op, long a)
    {
        nint r;
        NgStatus st = op(Handle, a, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    internal Tensor Call(delegate*<nint, long, long, nint*, NgStatus> op, long a, long b)
    {
        nint r;
        NgStatus st = op(Handle, a, b, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    internal Tensor Call(delegate*<nint, long, int, nint*, NgStatus> op, long a, bool flag)
    {
        nint r;
        NgStatus st = op(Handle, a, flag ? 1 : 0, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    internal Tensor Call(delegate*<nint, nint, nint*, NgStatus> op, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        nint r;
        NgStatus st = op(Handle, other.Handle, &r);
        GC.KeepAlive(this);
        GC.KeepAlive(other);
        return Wrap(st, r);
    }

    internal Tensor Call(delegate*<nint, long, nint, nint*, NgStatus> op, long a, Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        nint r;
        NgStatus st = op(Handle, a, other.Handle, &r);
        GC.KeepAlive(this);
        GC.KeepAlive(other);
        return Wrap(st, r);
    }

    // ---- metadata ------------------------------------------------------------------------------

    /// <summary>Sizes of the dimensions (a copy).</summary>
    public long[] Shape => (long[])ShapeRef.Clone();

    internal long[] ShapeRef => _shape ??= ReadLayout(out _, out _);

    /// <summary>Number of dimensions.</summary>
    public int Rank => ShapeRef.Length;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        long[] s = ShapeRef;
        int d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"Dimension out of range for a tensor of rank {s.Length}.");
        return s[d];
    }

    /// <summary>Total number of elements.</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (long s in ShapeRef) n *= s;
            return n;
        }
    }

    /// <summary>Element type.</summary>
    public DType DType
    {
        get
        {
            NgDtype d;
            Check(NativeMethods.ng_tensor_dtype(Handle, &d));
            GC.KeepAlive(this);
            return (DType)(int)d;
        }
    }

    /// <summary>Strides in elements (a copy).</summary>
    public long[] Strides
    {
        get
        {
            ReadLayout(out long[] strides, out _);
            return strides;
        }
    }

    /// <summary>Offset of the first element in the underlying storage, in elements.</summary>
    public long StorageOffset
    {
        get
        {
            ReadLayout(out _, out long offset);
            return offset;
        }
    }

    /// <summary>True when the elements are laid out densely in row-major order.</summary>
    public bool IsContiguous
    {
        get
        {
            int c;
            Check(NativeMethods.ng_tensor_is_contiguous(Handle, &c));
            GC.KeepAlive(this);
            return c != 0;
        }
    }

    /// <summary>True when this tensor and <paramref name="other"/> are views of the same memory.</summary>
    public bool SharesStorageWith(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int s;
        Check(NativeMethods.ng_tensor_shares_storage(Handle, other.Handle, &s));
        GC.KeepAlive(this);
        GC.KeepAlive(other);
        return s != 0;
    }

    private long[] ReadLayout(out long[] strides, out long offset)
    {
        const int maxRank = NativeConstants.NG_MAX_RANK;
        long* sizes = stackalloc long[maxRank];
        long* st = stackalloc long[maxRank];
        int ndim;
        long off;
        Check(NativeMethods.ng_tensor_layout(Handle, &ndim, sizes, st, &off));
        GC.KeepAlive(this);
        var shape = new long[ndim];
        strides = new long[ndim];
        for (int i = 0; i < ndim; i++)
        {
            shape[i] = sizes[i];
            strides[i] = st[i];
        }
        offset = off;
        return shape;
    }

    internal static string ShapeString(ReadOnlySpan<long> shape) => "[" + string.Join(",", shape.ToArray()) + "]";
}
