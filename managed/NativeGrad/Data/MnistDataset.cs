using System.Buffers;

namespace NativeGrad.Data;

/// <summary>
/// An in-memory MNIST-style image classification dataset (MNIST, Fashion-MNIST): 8-bit grey images
/// and byte labels. A sample is <c>(Image, Label)</c>: a float32 [1, H, W] image scaled to [0, 1]
/// (then transformed by <see cref="Transform"/>, e.g. normalised) and a scalar int64 label.
/// </summary>
/// <remarks>
/// As an <see cref="IBatchSource{TBatch}"/> it builds a whole batch in one pooled float buffer and
/// creates a single tensor from it, rather than one tensor per sample; <see cref="DataLoader"/> uses
/// that path automatically.
/// </remarks>
public sealed class MnistDataset : Dataset<(Tensor, Tensor)>, IBatchSource<(Tensor, Tensor)>
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;
    private readonly int _count;
    private readonly string[] _classes;

    /// <summary>Creates a dataset over images (N × height × width bytes, row-major) and labels (N bytes).</summary>
    public MnistDataset(byte[] pixels, byte[] labels, int height, int width, IReadOnlyList<string> classes,
                        string source = "memory", bool isSubset = false, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)labels.Length * height * width != pixels.Length)
            throw new ArgumentException($"{labels.Length} labels need {(long)labels.Length * height * width} pixels of {height}x{width}, got {pixels.Length}.", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classes.Count)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is out of range for {classes.Count} classes.", nameof(labels));
        }
        _pixels = pixels;
        _labels = labels;
        _count = labels.Length;
        Height = height;
        Width = width;
        _classes = classes.ToArray();
        Source = source;
        IsSubset = isSubset;
        Message = message;
    }

    /// <inheritdoc/>
    public override int Count => _count;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Class names, indexed by label.</summary>
    public IReadOnlyList<string> Classes => _classes;

    /// <summary>Where the data came from (a directory, a download, or the embedded subset).</summary>
    public string Source { get; }

    /// <summary>True when this is the small subset embedded in the library, not the full dataset.</summary>
    public bool IsSubset { get; }

    /// <summary>A note for the user about how the data was found (set when the full dataset was not used), else null.</summary>
    public string? Message { get; }

    /// <summary>
    /// Applied to every image after scaling to [0, 1] (normalisation, augmentation). Random transforms
    /// draw from the per-batch random source of the <see cref="DataLoader"/>.
    /// </summary>
    public ITransform? Transform { get; set; }

    /// <summary>The labels (one byte per sample).</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>The raw pixels of sample <paramref name="index"/> (height × width bytes).</summary>
    public ReadOnlySpan<byte> RawImage(int index)
    {
        CheckIndex(index);
        int size = Height * Width;
        return _pixels.AsSpan(index * size, size);
    }

    /// <summary>
    /// Sample <paramref name="index"/>: a new [1, H, W] float32 image and a scalar int64 label. Random
    /// transforms are seeded by the index here (the loader's batch path seeds them per batch and epoch).
    /// </summary>
    public override (Tensor, Tensor) this[int index]
    {
        get
        {
            CheckIndex(index);
            int size = Height * Width;
            float[] buffer = ArrayPool<float>.Shared.Rent(size);
            try
            {
                Random random = SeedMixer.CreateRandom(SeedMixer.Derive(0x494D414745UL, (ulong)index));
                Fill(buffer.AsSpan(0, size), index, random);
                Tensor image = Tensor.FromSpan<float>(buffer.AsSpan(0, size), [1, Height, Width]);
                return (image, Tensor.Scalar(_labels[index], DType.Int64));
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Images [n, 1, H, W] float32 and labels [n] int64 for the samples at <paramref name="indices"/>.</summary>
    public (Tensor, Tensor) GetBatch(ReadOnlySpan<int> indices, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        int n = indices.Length, size = Height * Width;
        float[] images = ArrayPool<float>.Shared.Rent(Math.Max(1, n * size));
        long[] labels = ArrayPool<long>.Shared.Rent(Math.Max(1, n));
        try
        {
            for (int i = 0; i < n; i++)
            {
                int idx = indices[i];
                CheckIndex(idx);
                Fill(images.AsSpan(i * size, size), idx, random);
                labels[i] = _labels[idx];
            }
            Tensor x = Tensor.FromSpan<float>(images.AsSpan(0, n * size), [n, 1, Height, Width]);
            try
            {
                return (x, Tensor.FromSpan<long>(labels.AsSpan(0, n), [n]));
            }
            catch
            {
                x.Dispose();
                throw;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(images);
            ArrayPool<long>.Shared.Return(labels);
        }
    }

    private void Fill(Span<float> dst, int index, Random random)
    {
        int size = Height * Width;
        ReadOnlySpan<byte> src = _pixels.AsSpan(index * size, size);
        const float scale = 1f / 255f;
        for (int i = 0; i < size; i++) dst[i] = src[i] * scale;
        Transform?.Apply(dst, 1, Height, Width, random);
    }
}
