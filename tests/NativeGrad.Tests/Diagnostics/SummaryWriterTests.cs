using System.Text;
using System.Text.RegularExpressions;
using NativeGrad.Diagnostics;
using NativeGrad.Diagnostics.Protos;
using NativeGrad.NN;

namespace NativeGrad.Tests.Diagnostics;

public sealed class SummaryWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ng-tb-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Crc32CMatchesTheKnownCheckValue()
    {
        byte[] check = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(check));
        Assert.Equal(0xE3069283u, Crc32C.ComputePortable(check));
        Assert.Equal(0u, Crc32C.Compute([]));
        var rng = new Random(4);
        foreach (int n in new[] { 1, 7, 8, 9, 63, 1000 })
        {
            byte[] data = new byte[n];
            rng.NextBytes(data);
            Assert.Equal(Crc32C.ComputePortable(data), Crc32C.Compute(data));
        }
        // TensorFlow's mask: rotate right 15, add 0xa282ead8.
        Assert.Equal(unchecked(((0x12345678u >> 15) | (0x12345678u << 17)) + 0xA282EAD8u), Crc32C.Mask(0x12345678u));
    }

    [Fact]
    public void ScalarsRoundTripThroughTheEventFile()
    {
        string path;
        using (var writer = new SummaryWriter(_dir))
        {
            for (int step = 0; step < 5; step++)
            {
                writer.AddScalar("loss/train", 1.0 / (step + 1), step);
                writer.AddScalar("accuracy", step * 0.1, step);
            }
            writer.AddScalars("lr", new Dictionary<string, double> { ["group0"] = 0.01 }, 4);
            path = writer.FilePath;
        }
        Assert.Matches(new Regex(@"^events\.out\.tfevents\.\d{10}\.[^/]+$"), Path.GetFileName(path));

        List<Event> events = EventFileReader.ReadAll(path);   // checks every record's CRCs
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.True(Math.Abs(events[0].WallTime - DateTimeOffset.UtcNow.ToUnixTimeSeconds()) < 600);
        var scalars = events.Skip(1).SelectMany(e => e.Summary.Value.Select(v => (e.Step, v.Tag, v.SimpleValue))).ToList();
        Assert.Equal(11, scalars.Count);
        for (int step = 0; step < 5; step++)
        {
            Assert.Contains((step, "loss/train", (float)(1.0 / (step + 1))), scalars);
            Assert.Contains((step, "accuracy", (float)(step * 0.1)), scalars);
        }
        Assert.Contains((4L, "lr/group0", 0.01f), scalars);
    }

    [Fact]
    public void CorruptRecordsAreDetected()
    {
        string path;
        using (var writer = new SummaryWriter(_dir))
        {
            writer.AddScalar("x", 1, 0);
            path = writer.FilePath;
        }
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^6] ^= 0x40;   // flip a bit in the last record's payload
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => EventFileReader.ReadAll(path));
        Assert.Contains("record 1 has a bad data CRC", e.Message);

        File.WriteAllBytes(path, bytes[..^2]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => EventFileReader.ReadAll(path)).Message);
    }

    [Fact]
    public void FlushMakesEventsVisibleBeforeDispose()
    {
        using var writer = new SummaryWriter(_dir);
        writer.AddScalar("a", 3, 7);
        writer.Flush();
        List<Event> events = EventFileReader.ReadAll(writer.FilePath);
        Assert.Equal(2, events.Count);
        Assert.Equal(7, events[1].Step);
    }

    [Fact]
    public void TwoWritersInOneDirectoryGetTwoFiles()
    {
        using var a = new SummaryWriter(_dir);
        using var b = new SummaryWriter(_dir);
        Assert.NotEqual(a.FilePath, b.FilePath);
        Assert.Contains("tfevents", b.FilePath);
    }

    [Fact]
    public void DefaultLogDirFollowsPyTorch()
    {
        using var writer = new SummaryWriter(Path.Combine(_dir, "runs", "x"));
        Assert.True(File.Exists(writer.FilePath));
        // Without a directory: runs/<date>_<host><comment> relative to the working directory.
        Assert.Matches(@"^runs[/\\][A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_.+lenet$", SummaryWriter.DefaultLogDir("lenet"));
    }

    [Fact]
    public void HistogramIsWritten()
    {
        string path;
        using (var writer = new SummaryWriter(_dir))
        {
            writer.AddHistogram("w", [1f, 2f, 2f, 3f, 10f], step: 2, bins: 3);
            path = writer.FilePath;
        }
        HistogramProto h = EventFileReader.ReadAll(path)[1].Summary.Value[0].Histo;
        Assert.Equal(1, h.Min);
        Assert.Equal(10, h.Max);
        Assert.Equal(5, h.Num);
        Assert.Equal(18, h.Sum);
        Assert.Equal(new double[] { 4, 0, 1 }, h.Bucket);
        Assert.Equal(10, h.BucketLimit[^1]);
    }

    private sealed class TinyNet : Module
    {
        private readonly Linear fc1 = new(4, 3);
        private readonly Sequential head = new(new Linear(3, 2), new ReLU());

        public TinyNet() => RegisterComponents();

        public override Tensor Forward(Tensor x) => head.Call(fc1.Call(x).Tanh());
    }

    [Fact]
    public void GraphCarriesTheModuleHierarchy()
    {
        string path;
        using (var model = new TinyNet())
        using (Tensor input = Tensor.Rand(5, 4))
        using (var writer = new SummaryWriter(_dir))
        {
            writer.AddGraph(model, input);
            writer.AddScalar("after", 1, 0);
            path = writer.FilePath;
        }
        List<Event> events = EventFileReader.ReadAll(path);
        Event graphEvent = Assert.Single(events, e => e.WhatCase == Event.WhatOneofCase.GraphDef);
        GraphDef graph = GraphDef.Parser.ParseFrom(graphEvent.GraphDef);
        Assert.NotNull(graph.Versions);
        var nodes = graph.Node.ToDictionary(n => n.Name);
        Assert.Equal(graph.Node.Count, nodes.Count);   // names are unique

        // Every edge refers to an existing node, and the graph is connected from input to output.
        foreach (NodeDef n in graph.Node)
        {
            foreach (string i in n.Input) Assert.True(nodes.ContainsKey(i), $"{n.Name} has a dangling input {i}");
        }
        NodeDef input1 = nodes["input/input.1"];
        Assert.Equal("IO Node", input1.Op);
        Assert.Equal(new long[] { 5, 4 }, input1.Attr["_output_shapes"].List.Shape[0].Dim.Select(d => d.Size));
        NodeDef output = nodes["output/output.1"];
        Assert.Equal("IO Node", output.Op);
        Assert.Equal(new long[] { 5, 2 }, output.Attr["_output_shapes"].List.Shape[0].Dim.Select(d => d.Size));

        // Parameters sit in their module's scope, with their shapes.
        NodeDef w1 = nodes["TinyNet/Linear[fc1]/weight"];
        Assert.Equal("Parameter", w1.Op);
        Assert.Equal("fc1.weight", w1.Attr["attr"].S.ToStringUtf8());
        Assert.Equal(new long[] { 3, 4 }, w1.Attr["_output_shapes"].List.Shape[0].Dim.Select(d => d.Size));
        Assert.Contains("TinyNet/Linear[fc1]/bias", nodes.Keys);
        Assert.Contains("TinyNet/Sequential[head]/Linear[0]/weight", nodes.Keys);
        Assert.Contains("TinyNet/Sequential[head]/Linear[0]/bias", nodes.Keys);

        // Operations: fc1's ops in fc1, tanh in the root module, relu in head/ReLU[1].
        NodeDef[] fc1Ops = graph.Node.Where(n => n.Name.StartsWith("TinyNet/Linear[fc1]/") && n.Op != "Parameter").ToArray();
        Assert.NotEmpty(fc1Ops);
        Assert.Contains(fc1Ops, n => n.Input.Contains("input/input.1"));
        Assert.Contains(fc1Ops, n => n.Input.Contains("TinyNet/Linear[fc1]/weight"));
        NodeDef tanh = Assert.Single(graph.Node, n => n.Name.StartsWith("TinyNet/Tanh"));
        Assert.Contains(tanh.Input, i => i.StartsWith("TinyNet/Linear[fc1]/"));
        NodeDef relu = Assert.Single(graph.Node, n => n.Name.StartsWith("TinyNet/Sequential[head]/ReLU[1]/"));
        Assert.Equal(new long[] { 5, 2 }, relu.Attr["_output_shapes"].List.Shape[0].Dim.Select(d => d.Size));
        Assert.Equal(new[] { relu.Name }, output.Input);
        Assert.Contains(graph.Node, n => n.Name.StartsWith("TinyNet/Sequential[head]/Linear[0]/") && n.Input.Contains(tanh.Name));
        // fc1's output node carries fc1's output shape.
        Assert.Contains(fc1Ops, n => n.Attr.TryGetValue("_output_shapes", out AttrValue? s) &&
                                     s.List.Shape[0].Dim.Select(d => d.Size).SequenceEqual(new long[] { 5, 3 }));
    }
}
