using System.Buffers.Binary;
using System.IO.Compression;

namespace NativeGrad.Data;

/// <summary>Element types of the IDX format (the third byte of the magic number).</summary>
public enum IdxDataType : byte
{
    /// <summary>unsigned byte (MNIST images and labels).</summary>
    UInt8 = 0x08,
    /// <summary>signed byte.</summary>
    Int8 = 0x09,
    /// <summary>big-endian 16-bit integer.</summary>
    Int16 = 0x0B,
    /// <summary>big-endian 32-bit integer.</summary>
    Int32 = 0x0C,
    /// <summary>big-endian 32-bit float.</summary>
    Float32 = 0x0D,
    /// <summary>big-endian 64-bit float.</summary>
    Float64 = 0x0E,
}

/// <summary>The content of an IDX file: element type, dimensions and the raw (big-endian) element bytes.</summary>
/// <param name="Path">The file it was read from (for error messages).</param>
/// <param name="DataType">Element type.</param>
/// <param name="Dimensions">Sizes of the dimensions, outermost first.</param>
/// <param name="Data">The elements in row-major order, as stored (big-endian for multi-byte types).</param>
public sealed record IdxArray(string Path, IdxDataType DataType, int[] Dimensions, byte[] Data)
{
    /// <summary>Number of elements (product of the dimensions).</summary>
    public long Length => Dimensions.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// Reads files in the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed (recognised by
/// the gzip magic bytes, whatever the file name). Every problem is reported as an
/// <see cref="InvalidDataException"/> whose message names the file and what is wrong with it.
/// </summary>
/// <remarks>
/// Layout: two zero bytes, a type byte, a dimension count byte, one big-endian uint32 per dimension,
/// then the elements. Files must hold exactly the announced number of elements: a short file is
/// reported as truncated and extra bytes as trailing garbage, since both mean a damaged download.
/// </remarks>
public static class IdxReader
{
    /// <summary>Reads an IDX file (raw or .gz).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid IDX file.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using FileStream file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads an IDX stream (raw or gzip); <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes = ReadAll(stream, name);
        return Parse(bytes, name);
    }

    /// <summary>Parses the bytes of an uncompressed IDX file.</summary>
    public static IdxArray Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4)
            throw Bad(name, $"truncated: {bytes.Length} bytes, too short for the 4-byte IDX magic number");
        if (bytes[0] != 0 || bytes[1] != 0 || !Enum.IsDefined((IdxDataType)bytes[2]))
            throw Bad(name, $"bad magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: not an IDX file " +
                            "(expected 0x0000TTDD: two zero bytes, a type code 0x08-0x0E and a dimension count)");
        var type = (IdxDataType)bytes[2];
        int rank = bytes[3];
        if (rank == 0) throw Bad(name, "bad magic number: the dimension count is 0");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw Bad(name, $"truncated header: {rank} dimensions need {header} bytes, the file has {bytes.Length}");
        var dims = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(bytes[(4 + 4 * i)..]);
            if (d > int.MaxValue) throw Bad(name, $"dimension {i} has an impossible size {d}");
            dims[i] = (int)d;
            count *= d;
        }
        long expected = count * ElementSize(type);
        long actual = bytes.Length - header;
        if (actual < expected)
            throw Bad(name, $"truncated: dimensions [{string.Join(", ", dims)}] of {type} need {expected} data bytes, the file has {actual}");
        if (actual > expected)
            throw Bad(name, $"{actual - expected} unexpected trailing bytes after the {expected} data bytes of dimensions [{string.Join(", ", dims)}]");
        return new IdxArray(name, type, dims, bytes[header..].ToArray());
    }

    /// <summary>
    /// Reads a pair of image and label files (MNIST layout: images [N, rows, cols] and labels [N], both
    /// unsigned bytes) and checks that they agree and that every label is below <paramref name="numClasses"/>.
    /// </summary>
    public static (IdxArray Images, IdxArray Labels) ReadImagesAndLabels(string imagesPath, string labelsPath, int numClasses)
    {
        IdxArray images = Read(imagesPath);
        IdxArray labels = Read(labelsPath);
        CheckImagesAndLabels(images, labels, numClasses);
        return (images, labels);
    }

    /// <summary>The checks of <see cref="ReadImagesAndLabels"/> on arrays already read.</summary>
    public static void CheckImagesAndLabels(IdxArray images, IdxArray labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.DataType != IdxDataType.UInt8 || images.Dimensions.Length != 3)
            throw Bad(images.Path, $"expected unsigned-byte images of shape [N, rows, cols], found {images.DataType} [{string.Join(", ", images.Dimensions)}]");
        if (labels.DataType != IdxDataType.UInt8 || labels.Dimensions.Length != 1)
            throw Bad(labels.Path, $"expected unsigned-byte labels of shape [N], found {labels.DataType} [{string.Join(", ", labels.Dimensions)}]");
        if (images.Dimensions[0] != labels.Dimensions[0])
            throw new InvalidDataException(
                $"{images.Path} and {labels.Path} do not match: {images.Dimensions[0]} images but {labels.Dimensions[0]} labels.");
        byte[] l = labels.Data;
        for (int i = 0; i < l.Length; i++)
        {
            if (l[i] >= numClasses)
                throw Bad(labels.Path, $"label {l[i]} of sample {i} is out of range: expected 0..{numClasses - 1}");
        }
    }

    /// <summary>Bytes per element of an IDX type.</summary>
    public static int ElementSize(IdxDataType type) => type switch
    {
        IdxDataType.UInt8 or IdxDataType.Int8 => 1,
        IdxDataType.Int16 => 2,
        IdxDataType.Int32 or IdxDataType.Float32 => 4,
        IdxDataType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown IDX type."),
    };

    private static byte[] ReadAll(Stream stream, string name)
    {
        // Peek at the first two bytes: 1F 8B starts every gzip stream, never an IDX file (which starts 00 00).
        var head = new byte[2];
        int got = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        using var buffer = new MemoryStream();
        buffer.Write(head, 0, got);
        bool gzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B;
        if (!gzip)
        {
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        stream.CopyTo(buffer);
        buffer.Position = 0;
        using var inflated = new MemoryStream();
        try
        {
            using var gz = new GZipStream(buffer, CompressionMode.Decompress, leaveOpen: true);
            gz.CopyTo(inflated);
        }
        catch (InvalidDataException e)
        {
            throw Bad(name, $"corrupt gzip data ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw Bad(name, "truncated gzip stream", e);
        }
        if (!GzipLooksComplete(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), inflated.Length))
            throw Bad(name, "truncated gzip stream: the decompressed size does not match the gzip trailer");
        return inflated.ToArray();
    }

    /// <summary>
    /// GZipStream stops quietly at the end of a cut-off stream, so compare the size recorded in the
    /// gzip trailer (ISIZE, the uncompressed length mod 2^32) with what came out. Only meaningful for
    /// single-member files, which is what IDX .gz files are.
    /// </summary>
    private static bool GzipLooksComplete(ReadOnlySpan<byte> compressed, long inflatedLength)
    {
        if (compressed.Length < 18) return false;
        uint isize = BinaryPrimitives.ReadUInt32LittleEndian(compressed[^4..]);
        return isize == (uint)inflatedLength;
    }

    private static InvalidDataException Bad(string name, string problem, Exception? inner = null) =>
        new($"{name}: {problem}.", inner);
}
