using System.Buffers;

namespace NativeGrad.Data;

/// <summary>
/// Pads the image by <see cref="Padding"/> pixels of <see cref="Fill"/> on every side, then crops a
/// <see cref="Size"/> × <see cref="Size"/> window at a random position (torchvision's
/// <c>RandomCrop(size, padding)</c>): small random translations. The transform works in place, so the
/// crop size must equal the image size (the usual use, e.g. <c>new RandomCrop(28, padding: 2)</c> on 28×28).
/// </summary>
public sealed class RandomCrop : ITransform
{
    /// <summary>Creates the transform.</summary>
    public RandomCrop(int size, int padding = 0, float fill = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Size = size;
        Padding = padding;
        Fill = fill;
    }

    /// <summary>Height and width of the crop.</summary>
    public int Size { get; }

    /// <summary>Pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <summary>Value of the padding pixels.</summary>
    public float Fill { get; }

    /// <inheritdoc/>
    public void Apply(Span<float> sample, int channels, int height, int width, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (height != Size || width != Size)
            throw new ArgumentException($"RandomCrop({Size}) works in place and needs {Size}x{Size} images, got {height}x{width}.");
        // Offsets of the window inside the padded image; (Padding, Padding) is the identity.
        int top = random.Next(height + 2 * Padding - Size + 1);
        int left = random.Next(width + 2 * Padding - Size + 1);
        int dy = top - Padding, dx = left - Padding;
        if (dy == 0 && dx == 0) return;
        int plane = height * width;
        float[] copy = ArrayPool<float>.Shared.Rent(plane);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                Span<float> p = sample.Slice(c * plane, plane);
                p.CopyTo(copy);
                for (int y = 0; y < height; y++)
                {
                    int sy = y + dy;
                    Span<float> row = p.Slice(y * width, width);
                    if ((uint)sy >= (uint)height)
                    {
                        row.Fill(Fill);
                        continue;
                    }
                    for (int x = 0; x < width; x++)
                    {
                        int sx = x + dx;
                        row[x] = (uint)sx < (uint)width ? copy[sy * width + sx] : Fill;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(copy);
        }
    }
}
