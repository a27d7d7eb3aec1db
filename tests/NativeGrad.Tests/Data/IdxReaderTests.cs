using System.Buffers.Binary;
using System.IO.Compression;
using NativeGrad.Data;

namespace NativeGrad.Tests.Data;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ng-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    internal static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(raw);
        return ms.ToArray();
    }

    private string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>n images of 3×2 where pixel j of image i is 10 i + j, labels i mod 10.</summary>
    internal static (byte[] Images, byte[] Labels) Sample(int n)
    {
        byte[] pixels = new byte[n * 6];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 6; j++) pixels[i * 6 + j] = (byte)(10 * i + j);
        }
        byte[] labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        return (Idx(0x08, [n, 3, 2], pixels), Idx(0x08, [n], labels));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzippedFiles(bool gzip)
    {
        (byte[] images, byte[] labels) = Sample(7);
        // The gzip check is by content: a gzipped file without .gz and a raw one are both read.
        string ip = WriteFile("images.idx", gzip ? Gzip(images) : images);
        string lp = WriteFile("labels.idx", gzip ? Gzip(labels) : labels);
        (IdxArray img, IdxArray lab) = IdxReader.ReadImagesAndLabels(ip, lp, numClasses: 10);
        Assert.Equal(IdxDataType.UInt8, img.DataType);
        Assert.Equal(new[] { 7, 3, 2 }, img.Dimensions);
        Assert.Equal(42, img.Length);
        Assert.Equal(65, img.Data[6 * 6 + 5]);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5, 6 }, lab.Data);
    }

    [Fact]
    public void ReadsOtherElementTypes()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(data, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4), -2f);
        IdxArray a = IdxReader.Read(new MemoryStream(Idx(0x0D, [2], data)), "floats");
        Assert.Equal(IdxDataType.Float32, a.DataType);
        Assert.Equal(8, a.Data.Length);
    }

    [Fact]
    public void TruncatedDataIsReportedWithTheFileName()
    {
        (byte[] images, _) = Sample(5);
        string path = WriteFile("train-images-idx3-ubyte", images[..^7]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("30", e.Message);    // data bytes expected
        Assert.Contains("23", e.Message);    // data bytes found
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        string path = WriteFile("short", [0, 0, 8, 3, 0, 0]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated header", e.Message);
    }

    [Fact]
    public void TruncatedGzipIsReported()
    {
        (byte[] images, _) = Sample(50);
        byte[] gz = Gzip(images);
        string path = WriteFile("cut.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void WrongMagicIsReported()
    {
        string path = WriteFile("not-idx.bin", "%PDF-1.4 not an idx file"u8.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("bad magic", e.Message);
        // An unknown type code is a bad magic number too.
        string typed = WriteFile("bad-type", Idx(0x42, [1], [0]));
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => IdxReader.Read(typed)).Message);
    }

    [Fact]
    public void TrailingBytesAreReported()
    {
        (_, byte[] labels) = Sample(4);
        string path = WriteFile("long", [.. labels, 1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("3 unexpected trailing bytes", e.Message);
    }

    [Fact]
    public void MismatchedImageAndLabelCountsAreReported()
    {
        (byte[] images, _) = Sample(6);
        (_, byte[] labels) = Sample(5);
        string ip = WriteFile("images", images), lp = WriteFile("labels", labels);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImagesAndLabels(ip, lp, 10));
        Assert.Contains(ip, e.Message);
        Assert.Contains(lp, e.Message);
        Assert.Contains("6 images but 5 labels", e.Message);
    }

    [Fact]
    public void SwappedFilesAreReported()
    {
        (byte[] images, byte[] labels) = Sample(6);
        string ip = WriteFile("images", images), lp = WriteFile("labels", labels);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImagesAndLabels(lp, ip, 10));
        Assert.Contains(lp, e.Message);
        Assert.Contains("[N, rows, cols]", e.Message);
    }

    [Fact]
    public void LabelsOutOfRangeAreReported()
    {
        (byte[] images, byte[] labels) = Sample(6);
        labels[^2] = 12;
        string ip = WriteFile("images", images), lp = WriteFile("labels", labels);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImagesAndLabels(ip, lp, 10));
        Assert.Contains(lp, e.Message);
        Assert.Contains("label 12 of sample 4 is out of range", e.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        string path = Path.Combine(_dir, "nope");
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
    }
}
