using NativeGrad.Data;

namespace NativeGrad.Tests.Data;

public class TransformTests
{
    private static float[] Ramp(int n) => Enumerable.Range(0, n).Select(v => (float)v).ToArray();

    [Fact]
    public void NormalizePerChannel()
    {
        float[] x = Ramp(2 * 3 * 1);   // 2 channels of 3x1
        new Normalize([1f, 10f], [2f, 4f]).Apply(x, 2, 3, 1, new Random(0));
        Assert.Equal(new[] { -0.5f, 0f, 0.5f, -1.75f, -1.5f, -1.25f }, x);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Normalize(0f, 0f));
        Assert.Throws<ArgumentException>(() => new Normalize([1f, 2f], [1f]));
    }

    [Fact]
    public void HorizontalFlipMirrorsRows()
    {
        float[] x = Ramp(2 * 2 * 3);   // 2 channels of 2x3
        new RandomHorizontalFlip(1).Apply(x, 2, 2, 3, new Random(0));
        Assert.Equal(new float[] { 2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9 }, x);
        float[] y = Ramp(6);
        new RandomHorizontalFlip(0).Apply(y, 1, 2, 3, new Random(0));
        Assert.Equal(Ramp(6), y);
    }

    [Fact]
    public void HorizontalFlipFlipsAboutHalfTheSamples()
    {
        var rng = new Random(11);
        var flip = new RandomHorizontalFlip();
        int flipped = 0;
        for (int i = 0; i < 2000; i++)
        {
            float[] x = [0, 1];
            flip.Apply(x, 1, 1, 2, rng);
            if (x[0] == 1) flipped++;
        }
        Assert.InRange(flipped, 900, 1100);
    }

    /// <summary>Naive padded crop: pad with fill, take the size×size window at (top, left).</summary>
    private static float[] ReferenceCrop(float[] src, int c, int h, int w, int pad, int top, int left, float fill)
    {
        var dst = new float[c * h * w];
        for (int ch = 0; ch < c; ch++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int sy = top + y - pad, sx = left + x - pad;
                    dst[(ch * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[(ch * h + sy) * w + sx] : fill;
                }
            }
        }
        return dst;
    }

    [Theory]
    [InlineData(1, 5, 2)]
    [InlineData(3, 7, 3)]
    [InlineData(1, 1, 1)]
    [InlineData(2, 4, 0)]
    public void RandomCropMatchesAPaddedCropAtTheDrawnOffset(int channels, int size, int padding)
    {
        float[] src = Ramp(channels * size * size).Select(v => v + 1).ToArray();
        var crop = new RandomCrop(size, padding, fill: -1f);
        for (int seed = 0; seed < 25; seed++)
        {
            float[] x = (float[])src.Clone();
            crop.Apply(x, channels, size, size, new Random(seed));
            var replay = new Random(seed);
            int top = replay.Next(2 * padding + 1), left = replay.Next(2 * padding + 1);
            Assert.Equal(ReferenceCrop(src, channels, size, size, padding, top, left, -1f), x);
        }
        Assert.Throws<ArgumentException>(() => crop.Apply(new float[channels * 4 * size], channels, 4, size + 1, new Random(0)));
    }

    [Fact]
    public void AugmentationIsReproducibleForAnyNumberOfWorkers()
    {
        MnistDataset ds = FashionMnist.LoadEmbeddedSubset(train: false);
        ds.Transform = new Compose(new RandomCrop(28, padding: 2), new RandomHorizontalFlip());
        float[][] Epoch(int workers)
        {
            var loader = new DataLoader(ds, batchSize: 50, shuffle: true, seed: 9, numWorkers: workers);
            return loader.Take(6).Select(b => b.Images.ToArray<float>()).ToArray();
        }
        float[][] a = Epoch(0), b = Epoch(2), c = Epoch(3);
        Assert.Equal(a, b);
        Assert.Equal(a, c);

        // And augmentation really changed the images.
        ds.Transform = null;
        float[][] plain = Epoch(0);
        Assert.NotEqual(plain[0], a[0]);
    }
}
