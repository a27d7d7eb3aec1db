using System.Runtime.CompilerServices;

namespace NativeGrad.Data;

/// <summary>
/// A dataset over tensors that share their first dimension (PyTorch's <c>TensorDataset</c>):
/// sample i is the i-th slice of each tensor. Batches are gathered straight from the tensors' memory
/// (one copy per batch, no per-sample tensors).
/// </summary>
/// <remarks>
/// The dataset keeps its own contiguous reference to each tensor (the caller may dispose its own);
/// dispose the dataset to free them.
/// </remarks>
public sealed unsafe class TensorDataset : Dataset<Tensor[]>, IBatchSource<Tensor[]>, IDisposable
{
    private readonly Tensor[] _tensors;
    private readonly long[] _rowBytes;
    private readonly int _count;

    /// <summary>Creates a dataset whose sample i is <c>tensors[j][i]</c> for every j.</summary>
    /// <exception cref="ArgumentException">No tensors, a scalar, or first dimensions that differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("TensorDataset needs at least one tensor.", nameof(tensors));
        long n = -1;
        for (int j = 0; j < tensors.Length; j++)
        {
            ArgumentNullException.ThrowIfNull(tensors[j], $"{nameof(tensors)}[{j}]");
            if (tensors[j].Rank == 0)
                throw new ArgumentException($"TensorDataset: tensor {j} is a scalar; every tensor needs a first (sample) dimension.", nameof(tensors));
            long size0 = tensors[j].Size(0);
            if (n >= 0 && size0 != n)
                throw new ArgumentException(
                    $"TensorDataset: size mismatch between tensors: tensor 0 has {n} samples, tensor {j} has {size0} " +
                    $"(shape {Tensor.ShapeString(tensors[j].ShapeRef)}).", nameof(tensors));
            n = size0;
        }
        _count = checked((int)n);
        _tensors = new Tensor[tensors.Length];
        _rowBytes = new long[tensors.Length];
        for (int j = 0; j < tensors.Length; j++)
        {
            using Tensor detached = tensors[j].Detach();
            _tensors[j] = detached.Contiguous().DetachFromDisposeScope();
            _rowBytes[j] = n == 0 ? 0 : _tensors[j].NumElements / n * _tensors[j].DType.ElementSize();
        }
    }

    /// <inheritdoc/>
    public override int Count => _count;

    /// <summary>Number of tensors per sample.</summary>
    public int TensorCount => _tensors.Length;

    /// <summary>Slice <paramref name="index"/> of every tensor: new tensors the caller disposes.</summary>
    public override Tensor[] this[int index]
    {
        get
        {
            CheckIndex(index);
            var sample = new Tensor[_tensors.Length];
            for (int j = 0; j < _tensors.Length; j++)
            {
                using Tensor row = _tensors[j].Narrow(0, index, 1);
                sample[j] = row.Squeeze(0);
            }
            return sample;
        }
    }

    /// <summary>The samples at <paramref name="indices"/>, one tensor of shape [indices.Length, ...] per dataset tensor.</summary>
    public Tensor[] GetBatch(ReadOnlySpan<int> indices, Random random)
    {
        var batch = new Tensor[_tensors.Length];
        try
        {
            for (int j = 0; j < _tensors.Length; j++) batch[j] = Gather(j, indices);
            return batch;
        }
        catch
        {
            foreach (Tensor? t in batch) t?.Dispose();
            throw;
        }
    }

    private Tensor Gather(int j, ReadOnlySpan<int> indices)
    {
        Tensor src = _tensors[j];
        long[] shape = src.Shape;
        shape[0] = indices.Length;
        Tensor dst = Tensor.Empty(shape, src.DType);
        long row = _rowBytes[j];
        if (row > 0 && indices.Length > 0)
        {
            byte* s = (byte*)Collate.DataPointer(src);
            byte* d = (byte*)Collate.DataPointer(dst);
            for (int i = 0; i < indices.Length; i++)
            {
                int idx = indices[i];
                if ((uint)idx >= (uint)_count)
                {
                    dst.Dispose();
                    throw new ArgumentOutOfRangeException(nameof(indices), idx, $"Index out of range for a dataset of {_count} samples.");
                }
                Unsafe.CopyBlockUnaligned(d + i * row, s + idx * row, (uint)row);
            }
        }
        GC.KeepAlive(src);
        GC.KeepAlive(dst);
        return dst;
    }

    /// <summary>Frees the dataset's references to its tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _tensors) t.Dispose();
    }
}
