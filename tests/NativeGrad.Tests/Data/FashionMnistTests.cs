using NativeGrad.Data;

namespace NativeGrad.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private const string SystemDir = "/usr/share/datasets/fashion-mnist";
    private readonly string _dir = Directory.CreateTempSubdirectory("ng-fmnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true, 3000)]
    [InlineData(false, 1000)]
    public void EmbeddedSubsetLoadsBalancedAndScaled(bool train, int count)
    {
        MnistDataset ds = FashionMnist.LoadEmbeddedSubset(train);
        Assert.True(ds.IsSubset);
        Assert.NotNull(ds.Message);
        Assert.Equal(count, ds.Count);
        Assert.Equal(28, ds.Height);
        Assert.Equal(28, ds.Width);
        Assert.Equal(10, ds.Classes.Count);
        int[] perClass = new int[10];
        foreach (byte l in ds.Labels) perClass[l]++;
        Assert.All(perClass, c => Assert.Equal(count / 10, c));

        (Tensor image, Tensor label) = ds[0];
        using (image)
        using (label)
        {
            Assert.Equal(new long[] { 1, 28, 28 }, image.Shape);
            Assert.Equal(DType.Float32, image.DType);
            Assert.Equal(DType.Int64, label.DType);
            float[] px = image.ToArray<float>();
            Assert.All(px, v => Assert.InRange(v, 0f, 1f));
            ReadOnlySpan<byte> raw = ds.RawImage(0);
            for (int i = 0; i < px.Length; i++) Assert.Equal(raw[i] / 255f, px[i], 1e-6f);
            Assert.Equal(ds.Labels[0], label.Item<long>());
        }
    }

    [Fact]
    public void FallsBackToTheSubsetWhenNothingElseIsThere()
    {
        if (Directory.Exists(SystemDir)) return;   // covered by LoadsTheSystemCopy on machines that have it
        MnistDataset ds = FashionMnist.Load(train: false, root: _dir, download: false);
        Assert.True(ds.IsSubset);
        Assert.Contains(_dir, ds.Message);
        Assert.Contains("subset", ds.Message);
    }

    [Fact]
    public void LoadsTheSystemCopy()
    {
        if (!Directory.Exists(SystemDir)) return;   // apt-get install dataset-fashion-mnist
        MnistDataset ds = FashionMnist.Load(train: false, root: _dir, download: false);
        Assert.False(ds.IsSubset);
        Assert.Null(ds.Message);
        Assert.Equal(10000, ds.Count);
        Assert.Equal(SystemDir, ds.Source);
        // The first test image of Fashion-MNIST is an ankle boot.
        Assert.Equal(9, ds.Labels[0]);
    }

    [Fact]
    public void RootIsSearchedFirstAndDamagedFilesAreAnError()
    {
        (byte[] images, byte[] labels) = IdxReaderTests.Sample(20);
        File.WriteAllBytes(Path.Combine(_dir, "t10k-images-idx3-ubyte.gz"), IdxReaderTests.Gzip(images));
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), labels);
        MnistDataset ds = FashionMnist.Load(train: false, root: _dir, download: false);
        Assert.Equal(20, ds.Count);
        Assert.Equal(3, ds.Height);
        Assert.Equal(2, ds.Width);
        Assert.Equal(_dir, ds.Source);

        // A damaged file where the data should be is reported, not skipped.
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte"), labels[..^3]);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(train: false, root: _dir, download: false));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void TorchvisionLayoutUnderRootIsFound()
    {
        string raw = Path.Combine(_dir, "FashionMNIST", "raw");
        Directory.CreateDirectory(raw);
        (byte[] images, byte[] labels) = IdxReaderTests.Sample(4);
        File.WriteAllBytes(Path.Combine(raw, "train-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(raw, "train-labels-idx1-ubyte"), labels);
        Assert.Equal(4, FashionMnist.Load(train: true, root: _dir, download: false).Count);
    }

    [Fact]
    public void MnistWithoutFilesListsWhereItLooked()
    {
        if (Directory.Exists("/usr/share/datasets/mnist")) return;
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(train: true, root: _dir, download: false));
        Assert.Contains(_dir, e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void NormalizeUsesTheDatasetStatistics()
    {
        MnistDataset plain = FashionMnist.LoadEmbeddedSubset(train: false);
        MnistDataset norm = FashionMnist.LoadEmbeddedSubset(train: false, normalize: true);
        var loaderPlain = new DataLoader(plain, batchSize: 16);
        var loaderNorm = new DataLoader(norm, batchSize: 16);
        using var e1 = loaderPlain.GetEnumerator();
        using var e2 = loaderNorm.GetEnumerator();
        Assert.True(e1.MoveNext() && e2.MoveNext());
        float[] a = e1.Current.Images.ToArray<float>(), b = e2.Current.Images.ToArray<float>();
        Assert.Equal(new long[] { 16, 1, 28, 28 }, e2.Current.Images.Shape);
        Assert.Equal(new long[] { 16 }, e2.Current.Labels.Shape);
        for (int i = 0; i < a.Length; i++) Assert.Equal((a[i] - FashionMnist.Mean) / FashionMnist.Std, b[i], 1e-5f);
    }

    [Fact]
    public void BatchPathMatchesTheIndexer()
    {
        MnistDataset ds = FashionMnist.LoadEmbeddedSubset(train: false);
        var loader = new DataLoader(ds, batchSize: 7, shuffle: true, seed: 5, numWorkers: 2);
        using var e = loader.GetEnumerator();
        Assert.True(e.MoveNext());
        (Tensor images, Tensor labels) = e.Current;
        float[] batch = images.ToArray<float>();
        long[] lab = labels.ToArray<long>();
        for (int i = 0; i < lab.Length; i++)
        {
            // Find the sample by label and pixels: the batch row must equal some sample's raw pixels.
            float[] row = batch.AsSpan(i * 784, 784).ToArray();
            bool found = false;
            for (int k = 0; k < ds.Count && !found; k++)
            {
                if (ds.Labels[k] != lab[i]) continue;
                ReadOnlySpan<byte> raw = ds.RawImage(k);
                found = true;
                for (int j = 0; j < 784 && found; j++) found = Math.Abs(raw[j] / 255f - row[j]) < 1e-6;
            }
            Assert.True(found, $"batch row {i} matches no sample of label {lab[i]}");
        }
    }
}
