using NativeGrad.Interop;

namespace NativeGrad;

public sealed unsafe partial class Tensor
{
    private Tensor Reduce(NgReduceOp op, ReadOnlySpan<long> dims, bool keepDim)
    {
        nint r;
        NgStatus st;
        fixed (long* d = dims)
        {
            st = NativeMethods.ng_tensor_reduce(op, Handle, d, dims.Length, keepDim ? 1 : 0, &r);
        }
        GC.KeepAlive(this);
        return Wrap(st, r);
    }

    /// <summary>Sum of all elements (0-D).</summary>
    public Tensor Sum() => Reduce(NgReduceOp.Sum, default, false);
    /// <summary>Sum over <paramref name="dim"/>.</summary>
    public Tensor Sum(long dim, bool keepDim = false) => Reduce(NgReduceOp.Sum, [dim], keepDim);
    /// <summary>Sum over several dimensions.</summary>
    public Tensor Sum(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(NgReduceOp.Sum, dims, keepDim);

    /// <summary>Mean of all elements (0-D).</summary>
    public Tensor Mean() => Reduce(NgReduceOp.Mean, default, false);
    /// <summary>Mean over <paramref name="dim"/>.</summary>
    public Tensor Mean(long dim, bool keepDim = false) => Reduce(NgReduceOp.Mean, [dim], keepDim);
    /// <summary>Mean over several dimensions.</summary>
    public Tensor Mean(ReadOnlySpan<long> dims, bool keepDim = false) => Reduce(NgReduceOp.Mean, dims, keepDim);

    /// <summary>Largest element (0-D).</summary>
    public Tensor Max() => Reduce(NgReduceOp.Max, default, false);
    /// <summary>Smallest element (0-D).</summary>
    public Tensor Min() => Reduce(NgReduceOp.Min, default, false);

    /// <summary>Largest values along <paramref name="dim"/> and their indices (int64).</summary>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false) => ReduceWithIndices(NgReduceOp.Max, dim, keepDim);
    /// <summary>Smallest values along <paramref name="dim"/> and their indices (int64).</summary>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false) => ReduceWithIndices(NgReduceOp.Min, dim, keepDim);

    private (Tensor, Tensor) ReduceWithIndices(NgReduceOp op, long dim, bool keepDim)
    {
        nint v, i;
        Check(NativeMethods.ng_tensor_reduce_with_indices(op, Handle, dim, keepDim ? 1 : 0, &v, &i));
        GC.KeepAlive(this);
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Index of the largest value along <paramref name="dim"/> (int64; first one on ties).</summary>
    public Tensor ArgMax(long dim, bool keepDim = false) => Call(&NativeMethods.ng_tensor_argmax, dim, keepDim);

    /// <summary>Index of the largest element of the flattened tensor (int64, 0-D).</summary>
    public Tensor ArgMax()
    {
        using Tensor flat = Reshape(-1);
        return flat.ArgMax(0);
    }

    /// <summary>Index of the smallest value along <paramref name="dim"/> (int64; first one on ties).</summary>
    public Tensor ArgMin(long dim, bool keepDim = false) => Call(&NativeMethods.ng_tensor_argmin, dim, keepDim);

    /// <summary>Softmax along <paramref name="dim"/> (numerically stable).</summary>
    public Tensor Softmax(long dim) => Call(&NativeMethods.ng_tensor_softmax, dim);

    /// <summary>Log of the softmax along <paramref name="dim"/> (numerically stable).</summary>
    public Tensor LogSoftmax(long dim) => Call(&NativeMethods.ng_tensor_log_softmax, dim);

    // ---- indexing ------------------------------------------------------------------------------

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims).</summary>
    public Tensor Gather(long dim, Tensor index) => Call(&NativeMethods.ng_tensor_gather, dim, index);

    /// <summary>A copy with <paramref name="value"/> written at the positions <paramref name="index"/> selects along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, double value)
    {
        ArgumentNullException.ThrowIfNull(index);
        nint r;
        NgStatus st = NativeMethods.ng_tensor_scatter_value(Handle, dim, index.Handle, value, &r);
        GC.KeepAlive(this);
        GC.KeepAlive(index);
        return Wrap(st, r);
    }

    /// <summary>A copy with the elements of <paramref name="source"/> written at the positions <paramref name="index"/> selects along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        nint r;
        NgStatus st = NativeMethods.ng_tensor_scatter(Handle, dim, index.Handle, source.Handle, &r);
        GC.KeepAlive(this);
        GC.KeepAlive(index);
        GC.KeepAlive(source);
        return Wrap(st, r);
    }

    /// <summary>A copy with the elements of <paramref name="source"/> added at the positions <paramref name="index"/> selects.</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        nint r;
        NgStatus st = NativeMethods.ng_tensor_scatter_add(Handle, dim, index.Handle, source.Handle, &r);
        GC.KeepAlive(this);
        GC.KeepAlive(index);
        GC.KeepAlive(source);
        return Wrap(st, r);
    }

    /// <summary>The entries of dimension <paramref name="dim"/> listed by the 1-D int64 <paramref name="index"/>.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => Call(&NativeMethods.ng_tensor_index_select, dim, index);
}
