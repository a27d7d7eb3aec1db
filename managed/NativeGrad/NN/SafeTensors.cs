using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace NativeGrad.NN;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// mapping each name to its dtype, shape and byte range (plus optional string metadata under
/// "__metadata__"), then the raw little-endian data. Supported dtypes: F32, F64, I64, BOOL.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    private static string DTypeCode(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors: dtype {dtype} is not supported."),
    };

    private static DType ParseDType(string code, string name) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I64" => DType.Int64,
        "BOOL" => DType.Bool,
        _ => throw new NotSupportedException($"safetensors: tensor '{name}' has dtype {code}; supported are F32, F64, I64 and BOOL."),
    };

    /// <summary>Writes <paramref name="tensors"/> (in order) and optional string metadata to <paramref name="path"/>.</summary>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var entries = tensors.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header[MetadataKey] = metadata;
        long offset = 0;
        var sizes = new long[entries.Count];
        for (int i = 0; i < entries.Count; i++)
        {
            (string name, Tensor t) = (entries[i].Key, entries[i].Value);
            if (name == MetadataKey) throw new ArgumentException($"safetensors: '{MetadataKey}' is reserved.", nameof(tensors));
            if (header.ContainsKey(name)) throw new ArgumentException($"safetensors: duplicate name '{name}'.", nameof(tensors));
            sizes[i] = t.NumElements * t.DType.ElementSize();
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeCode(t.DType),
                ["shape"] = t.ShapeRef,
                ["data_offsets"] = new[] { offset, offset + sizes[i] },
            };
            offset += sizes[i];
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        int padded = (json.Length + 7) / 8 * 8;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(json);
        for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
        for (int i = 0; i < entries.Count; i++)
        {
            Tensor t = entries[i].Value;
            var bytes = new byte[checked((int)sizes[i])];
            CopyBytes(t, bytes);
            stream.Write(bytes);
        }
    }

    private static void CopyBytes(Tensor t, byte[] bytes)
    {
        switch (t.DType)
        {
            case DType.Float32: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan())); break;
            case DType.Float64: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes.AsSpan())); break;
            case DType.Int64: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes.AsSpan())); break;
            case DType.Bool: t.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(bytes.AsSpan())); break;
            default: throw new NotSupportedException($"safetensors: dtype {t.DType} is not supported.");
        }
    }

    /// <summary>Reads every tensor of a safetensors file, in the order of their data.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor of a safetensors file and its string metadata.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8) throw new InvalidDataException($"safetensors: '{path}' is too short ({file.Length} bytes).");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLen > (ulong)(file.Length - 8))
            throw new InvalidDataException($"safetensors: '{path}' declares a {headerLen}-byte header but has {file.Length} bytes.");
        int dataStart = 8 + (int)headerLen;
        var meta = new Dictionary<string, string>();
        var specs = new List<(string Name, DType DType, long[] Shape, long Begin, long End)>();
        using (JsonDocument doc = JsonDocument.Parse(file.AsMemory(8, (int)headerLen)))
        {
            foreach (JsonProperty prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == MetadataKey)
                {
                    foreach (JsonProperty m in prop.Value.EnumerateObject()) meta[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                DType dtype = ParseDType(prop.Value.GetProperty("dtype").GetString() ?? "", prop.Name);
                long[] shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] range = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (range.Length != 2) throw new InvalidDataException($"safetensors: '{prop.Name}' has malformed data_offsets.");
                specs.Add((prop.Name, dtype, shape, range[0], range[1]));
            }
        }
        var result = new OrderedDictionary<string, Tensor>();
        try
        {
            foreach (var s in specs.OrderBy(s => s.Begin))
            {
                long numel = s.Shape.Aggregate(1L, (a, b) => a * b);
                long expected = numel * s.DType.ElementSize();
                if (s.End - s.Begin != expected || s.Begin < 0 || dataStart + s.End > file.Length)
                    throw new InvalidDataException(
                        $"safetensors: '{s.Name}' ({s.DType}, shape {Tensor.ShapeString(s.Shape)}) needs {expected} bytes but its data_offsets are [{s.Begin}, {s.End}] in a {file.Length - dataStart}-byte buffer.");
                ReadOnlySpan<byte> bytes = file.AsSpan(dataStart + (int)s.Begin, (int)expected);
                Tensor t = s.DType switch
                {
                    DType.Float32 => Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes), s.Shape),
                    DType.Float64 => Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes), s.Shape),
                    DType.Int64 => Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes), s.Shape),
                    _ => Tensor.FromSpan(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(bytes), s.Shape),
                };
                result[s.Name] = t;
            }
        }
        catch
        {
            foreach (Tensor t in result.Values) t.Dispose();
            throw;
        }
        metadata = meta;
        return result;
    }
}
