using System.Buffers.Binary;
using System.Text.Json;
using NativeGrad.NN;

namespace NativeGrad.Tests.NN;

public sealed class StateDictTests
{
    [Fact]
    public void RoundTripCopiesValuesIntoAnotherModel()
    {
        using var a = new FieldsNet();
        using var b = new FieldsNet();
        using (Autograd.NoGrad())
        {
            foreach (Tensor p in a.Parameters()) p.Add_(0.5);
            a.GetBuffer("counter")!.Fill_(42);
        }
        OrderedDictionary<string, Tensor> sd = a.StateDict();
        var (missing, unexpected) = b.LoadStateDict(sd);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        foreach (((string n1, Tensor p1), (string n2, Tensor p2)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            Assert.Equal(n1, n2);
            Assert.Equal(p1.ToArray<float>(), p2.ToArray<float>());
            Assert.False(p1.SharesStorageWith(p2));
        }
        Assert.Equal(42L, b.GetBuffer("counter")!.Item<long>());
        // State-dict entries are views of the live tensors.
        Assert.True(sd["Gain"].SharesStorageWith(a.Gain.Tensor));
        foreach (Tensor t in sd.Values) t.Dispose();
        Assert.False(a.Gain.IsDisposed);
        a.Ignored.Dispose(); b.Ignored.Dispose(); a.NotRegistered.Dispose(); b.NotRegistered.Dispose();
    }

    [Fact]
    public void StrictLoadReportsMissingUnexpectedAndShapeMismatches()
    {
        using var net = new SharedNet();
        var sd = new Dictionary<string, Tensor>
        {
            ["a.scale"] = Tensor.Zeros(3),           // wrong shape
            ["a.shift"] = Tensor.Zeros(1),
            ["extra.weight"] = Tensor.Zeros(1),
        };
        var e = Assert.Throws<ArgumentException>(() => net.LoadStateDict(sd));
        Assert.Contains("missing keys: b.scale, b.shift, unused.scale, unused.shift", e.Message);
        Assert.Contains("unexpected keys: extra.weight", e.Message);
        Assert.Contains("a.scale: checkpoint shape [3], model shape [2]", e.Message);
        // Nothing was written.
        Assertions.Close([2f, 3f], net.a.scale.Tensor.ToArray<float>());

        sd["a.scale"] = Tensor.FromArray(new[] { 8f, 9f });
        var (missing, unexpected) = net.LoadStateDict(sd, strict: false);
        Assert.Equal(["b.scale", "b.shift", "unused.scale", "unused.shift"], missing);
        Assert.Equal(["extra.weight"], unexpected);
        Assertions.Close([8f, 9f], net.b.scale.Tensor.ToArray<float>());
    }

    [Fact]
    public void SafetensorsFileFollowsTheFormatAndRoundTrips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ng-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var a = new FieldsNet();
            using (Autograd.NoGrad()) a.Gain.Tensor.Fill_(-1.25);
            a.Save(path);

            byte[] file = File.ReadAllBytes(path);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
            Assert.Equal(0UL, (8 + n) % 8);
            using JsonDocument doc = JsonDocument.Parse(file.AsMemory(8, (int)n));
            JsonElement root = doc.RootElement;
            Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
            JsonElement gain = root.GetProperty("Gain");
            Assert.Equal("F32", gain.GetProperty("dtype").GetString());
            Assert.Equal([1L], gain.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            long[] off = gain.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(4, off[1] - off[0]);
            Assert.Equal(-1.25f, BitConverter.ToSingle(file, 8 + (int)n + (int)off[0]));
            Assert.Equal("I64", root.GetProperty("counter").GetProperty("dtype").GetString());
            // Byte ranges tile the data section exactly.
            long total = root.EnumerateObject().Where(p => p.Name != "__metadata__")
                             .Sum(p => p.Value.GetProperty("data_offsets")[1].GetInt64() - p.Value.GetProperty("data_offsets")[0].GetInt64());
            Assert.Equal(file.Length - 8 - (long)n, total);

            using var b = new FieldsNet();
            b.Load(path);
            Assert.Equal(-1.25f, b.Gain.Tensor.Item<float>());
            Assert.Equal(a.Parameters().SelectMany(p => p.ToArray<float>()), b.Parameters().SelectMany(p => p.ToArray<float>()));
            a.Ignored.Dispose(); b.Ignored.Dispose(); a.NotRegistered.Dispose(); b.NotRegistered.Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SafetensorsSupportsAllDTypesAndMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ng-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var f64 = Tensor.FromArray(new[] { 1.5, -2.0, 3.25, 0, 1, 2 }, [2, 3]);
            using var i64 = Tensor.FromArray(new[] { 7L, -9L });
            using var mask = Tensor.FromArray(new[] { true, false, true });
            using var scalar = Tensor.Scalar(4.5f);
            using var empty = Tensor.Zeros(0, 3);
            SafeTensors.Save([new("f64", f64), new("i64", i64), new("mask", mask), new("scalar", scalar), new("empty", empty)],
                             path, new Dictionary<string, string> { ["note"] = "hello" });
            OrderedDictionary<string, Tensor> read = SafeTensors.Load(path, out IReadOnlyDictionary<string, string> meta);
            Assert.Equal("hello", meta["note"]);
            Assert.Equal(["f64", "i64", "mask", "scalar", "empty"], read.Keys);
            Assert.Equal(DType.Float64, read["f64"].DType);
            Assert.Equal([2L, 3L], read["f64"].Shape);
            Assert.Equal(f64.ToArray<double>(), read["f64"].ToArray<double>());
            Assert.Equal([7L, -9L], read["i64"].ToArray<long>());
            Assert.Equal([true, false, true], read["mask"].ToArray<bool>());
            Assert.Empty(read["scalar"].Shape);
            Assert.Equal(4.5f, read["scalar"].Item<float>());
            Assert.Equal([0L, 3L], read["empty"].Shape);
            foreach (Tensor t in read.Values) t.Dispose();

            File.WriteAllBytes(path, [1, 0, 0, 0, 0, 0, 0, 0]);
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
