using NativeGrad.Interop;

namespace NativeGrad.Data;

/// <summary>Collate functions for <see cref="DataLoader{TSample, TBatch}"/> (PyTorch's <c>default_collate</c>).</summary>
public static unsafe class Collate
{
    /// <summary>
    /// Stacks same-shaped, same-dtype tensors along a new leading dimension: n tensors of shape S give
    /// one tensor of shape [n, ..S] (scalars give [n]). The inputs are copied, not kept.
    /// </summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) throw new ArgumentException("Stack: there are no tensors to stack.", nameof(tensors));
        Tensor first = tensors[0];
        long[] sampleShape = first.ShapeRef;
        DType dtype = first.DType;
        var shape = new long[sampleShape.Length + 1];
        shape[0] = tensors.Count;
        sampleShape.CopyTo(shape, 1);
        long sampleBytes = first.NumElements * dtype.ElementSize();

        Tensor result = Tensor.Empty(shape, dtype);
        try
        {
            byte* dst = (byte*)DataPointer(result);
            for (int i = 0; i < tensors.Count; i++)
            {
                Tensor t = tensors[i];
                if (t.DType != dtype || !t.ShapeRef.AsSpan().SequenceEqual(sampleShape))
                    throw new ArgumentException(
                        $"Stack: sample {i} has dtype {t.DType} and shape {Tensor.ShapeString(t.ShapeRef)}, but sample 0 has " +
                        $"{dtype} and {Tensor.ShapeString(sampleShape)}; every sample of a batch must match.", nameof(tensors));
                // copy_to handles non-contiguous samples (views) by gathering them in row-major order.
                NativeStatus.Check(NativeMethods.ng_tensor_copy_to(t.Handle, dst + i * sampleBytes, sampleBytes));
                GC.KeepAlive(t);
            }
            GC.KeepAlive(result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Stacks the images and the labels of (image, label) samples into one batch.</summary>
    public static (Tensor Images, Tensor Labels) StackPairs(IReadOnlyList<(Tensor, Tensor)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var images = new Tensor[samples.Count];
        var labels = new Tensor[samples.Count];
        for (int i = 0; i < samples.Count; i++) (images[i], labels[i]) = samples[i];
        Tensor x = Stack(images);
        try
        {
            return (x, Stack(labels));
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>Address of the first element of a contiguous tensor (valid while it lives).</summary>
    internal static void* DataPointer(Tensor t)
    {
        void* p;
        NativeStatus.Check(NativeMethods.ng_tensor_data_ptr(t.Handle, &p));
        GC.KeepAlive(t);
        return p;
    }
}
