using System.Buffers.Binary;

namespace NativeGrad.Diagnostics;

/// <summary>
/// TFRecord framing, the container of TensorBoard event files. Each record is
/// <c>uint64 length | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)</c>,
/// all little-endian.
/// </summary>
internal static class TFRecord
{
    /// <summary>Appends one record holding <paramref name="data"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>
    /// Reads every record of <paramref name="stream"/>, checking both CRCs of each; a mismatch or a cut
    /// record is an <see cref="InvalidDataException"/> naming <paramref name="name"/> and the record.
    /// </summary>
    public static IEnumerable<byte[]> Read(Stream stream, string name)
    {
        var header = new byte[12];
        var footer = new byte[4];
        for (int index = 0; ; index++)
        {
            int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got == 0) yield break;
            if (got < header.Length) throw new InvalidDataException($"{name}: record {index} is truncated in its header.");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
            if (lengthCrc != Crc32C.Masked(header.AsSpan(0, 8)))
                throw new InvalidDataException($"{name}: record {index} has a bad length CRC.");
            if (length > int.MaxValue) throw new InvalidDataException($"{name}: record {index} claims {length} bytes.");
            var data = new byte[length];
            if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length ||
                stream.ReadAtLeast(footer, 4, throwOnEndOfStream: false) < 4)
                throw new InvalidDataException($"{name}: record {index} is truncated.");
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != Crc32C.Masked(data))
                throw new InvalidDataException($"{name}: record {index} has a bad data CRC.");
            yield return data;
        }
    }
}
