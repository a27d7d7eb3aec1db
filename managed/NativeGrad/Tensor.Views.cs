using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    private Tensor WithShape(ReadOnlySpan<long> shape, delegate*<nint, long*, int, nint*, NgStatus> op)
    {
        nint r;
        NgStatus st;
        fixed (long* s = shape)
        {
            st = op(Handle, s, shape.Length, &r);
        }
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    /// <summary>A view with another shape (one size may be -1 and is inferred). Shares storage.</summary>
    /// <exception cref="ArgumentException">The sizes do not match, or the strides do not allow a view (use <see cref="Reshape"/>).</exception>
    public Tensor View(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ng_tensor_view);

    /// <summary>Like <see cref="View"/>, but copies when the layout does not allow a view.</summary>
    public Tensor Reshape(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ng_tensor_reshape);

    /// <summary>
    /// A broadcast view: size-1 dimensions are repeated (stride 0) to the given sizes, -1 keeps a
    /// size, and new leading dimensions may be added. Only size-1 dimensions can be enlarged.
    /// </summary>
    public Tensor Expand(params ReadOnlySpan<long> shape) => WithShape(shape, &NativeMethods.ng_tensor_expand);

    /// <summary>A view of this tensor broadcast to <paramref name="other"/>'s shape.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.ShapeRef);

    /// <summary>A view with the dimensions reordered.</summary>
    public Tensor Permute(params ReadOnlySpan<long> dims) => WithShape(dims, &NativeMethods.ng_tensor_permute);

    /// <summary>A view with two dimensions swapped.</summary>
    public Tensor Transpose(long dim0, long dim1) => Call(&NativeMethods.ng_tensor_transpose, dim0, dim1);

    /// <summary>The transpose of a matrix (the last two dimensions swapped; 0-D and 1-D unchanged).</summary>
    public Tensor T => Rank < 2 ? View(ShapeRef) : Transpose(-2, -1);

    /// <summary>A view with a size-1 dimension inserted at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(long dim) => Call(&NativeMethods.ng_tensor_unsqueeze, dim);

    /// <summary>A view without dimension <paramref name="dim"/> if its size is 1 (else unchanged).</summary>
    public Tensor Squeeze(long dim) => Call(&NativeMethods.ng_tensor_squeeze, dim);

    /// <summary>A view without any size-1 dimension.</summary>
    public Tensor Squeeze() => Call(&NativeMethods.ng_tensor_squeeze_all);

    /// <summary>A view of <paramref name="length"/> entries of dimension <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public Tensor Narrow(long dim, long start, long length)
    {
        nint r;
        NgStatus st = NativeMethods.ng_tensor_narrow(Handle, dim, start, length, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    /// <summary>
    /// A view of entries [<paramref name="start"/>, <paramref name="end"/>) of dimension
    /// <paramref name="dim"/> (negative indices count from the end).
    /// </summary>
    public Tensor Slice(long dim, long start, long end)
    {
        long size = Size((int)dim);
        if (start < 0) start += size;
        if (end < 0) end += size;
        return Narrow(dim, start, Math.Max(0, end - start));
    }

    /// <summary>Dimensions <paramref name="startDim"/>..<paramref name="endDim"/> merged into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) => Call(&NativeMethods.ng_tensor_flatten, startDim, endDim);

    /// <summary>This tensor if contiguous, else a contiguous copy.</summary>
    public Tensor Contiguous() => Call(&NativeMethods.ng_tensor_contiguous);

    /// <summary>A copy with its own storage (differentiable).</summary>
    public Tensor Clone() => Call(&NativeMethods.ng_tensor_clone);

    /// <summary>A copy converted to <paramref name="dtype"/> (this tensor if it already has it).</summary>
    public Tensor ToType(DType dtype)
    {
        nint r;
        NgStatus st = NativeMethods.ng_tensor_to_dtype(Handle, (NgDtype)dtype, &r);
        GC.KeepAlive(this);
        return Wrap(st, r);
    }
}
