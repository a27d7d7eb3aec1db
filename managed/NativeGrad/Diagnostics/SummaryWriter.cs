using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using NativeGrad.Diagnostics.Protos;
using NativeGrad.NN;

namespace NativeGrad.Diagnostics;

/// <summary>
/// Writes TensorBoard event files (PyTorch's <c>torch.utils.tensorboard.SummaryWriter</c>): scalars,
/// histograms and the model graph, readable with <c>tensorboard --logdir runs</c>.
/// </summary>
/// <remarks>
/// The file is <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c> in <see cref="LogDir"/>: TFRecord
/// records (length, masked CRC-32C of the length, a serialized <c>tensorflow.Event</c>, masked
/// CRC-32C of the data), the first one carrying <c>file_version = "brain.Event:2"</c>. Events are
/// buffered; <see cref="Flush"/> writes them out (it also happens every <see cref="FlushInterval"/> and
/// on <see cref="Dispose"/>). All members are thread-safe.
/// </remarks>
/// <example>
/// <code>
/// using var writer = new SummaryWriter(comment: "lenet");        // runs/&lt;date&gt;_&lt;host&gt;lenet
/// writer.AddGraph(model, Tensor.Rand(1, 1, 28, 28));
/// writer.AddScalar("loss/train", loss, step);
/// </code>
/// </example>
public sealed class SummaryWriter : IDisposable
{
    private readonly object _lock = new();
    private readonly FileStream _file;
    private readonly BufferedStream _stream;
    private readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    private bool _disposed;

    /// <summary>
    /// Opens a new event file in <paramref name="logDir"/> (created if needed). Without a directory,
    /// uses <c>runs/&lt;MMMdd_HH-mm-ss&gt;_&lt;host&gt;&lt;comment&gt;</c> like PyTorch; <paramref name="comment"/>
    /// only affects that default name.
    /// </summary>
    public SummaryWriter(string? logDir = null, string? comment = null)
    {
        string host = SafeHostName();
        LogDir = logDir ?? DefaultLogDir(comment);
        Directory.CreateDirectory(LogDir);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string baseName = $"events.out.tfevents.{now.ToString("D10", CultureInfo.InvariantCulture)}.{host}";
        string path = Path.Combine(LogDir, baseName);
        // Two writers opened in the same second in the same directory must not share a file.
        for (int k = 1; File.Exists(path); k++) path = Path.Combine(LogDir, $"{baseName}.{Environment.ProcessId}.{k}");
        FilePath = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        _stream = new BufferedStream(_file, 1 << 16);
        Write(new Event { WallTime = WallTime(), FileVersion = "brain.Event:2", SourceMetadata = new SourceMetadata { Writer = "nativegrad" } });
        Flush();
    }

    /// <summary>The directory of the event file.</summary>
    public string LogDir { get; }

    /// <summary>Full path of the event file.</summary>
    public string FilePath { get; }

    /// <summary>Pending events are flushed to disk at the next write after this much time (default 2 minutes, as PyTorch).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Logs one scalar (TensorBoard's SCALARS tab) as a <c>Summary.Value.simple_value</c>.</summary>
    /// <param name="tag">Chart name; "/" groups charts, e.g. "loss/train".</param>
    /// <param name="value">The value.</param>
    /// <param name="step">The x coordinate (global step or epoch).</param>
    /// <param name="wallTime">Seconds since the Unix epoch; default now.</param>
    public void AddScalar(string tag, double value, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        Write(new Event { WallTime = wallTime ?? WallTime(), Step = step, Summary = summary });
    }

    /// <summary>Logs several scalars of one step under a common prefix ("<paramref name="mainTag"/>/key").</summary>
    public void AddScalars(string mainTag, IReadOnlyDictionary<string, double> values, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(mainTag);
        ArgumentNullException.ThrowIfNull(values);
        var summary = new Summary();
        foreach ((string key, double v) in values) summary.Value.Add(new Summary.Types.Value { Tag = mainTag + "/" + key, SimpleValue = (float)v });
        Write(new Event { WallTime = wallTime ?? WallTime(), Step = step, Summary = summary });
    }

    /// <summary>Logs the distribution of <paramref name="values"/> (HISTOGRAMS/DISTRIBUTIONS tabs) in <paramref name="bins"/> equal bins.</summary>
    public void AddHistogram(string tag, ReadOnlySpan<float> values, long step, int bins = 30, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if (values.IsEmpty) throw new ArgumentException("AddHistogram: there are no values.", nameof(values));
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, sumSq = 0;
        foreach (float f in values)
        {
            min = Math.Min(min, f);
            max = Math.Max(max, f);
            sum += f;
            sumSq += (double)f * f;
        }
        var counts = new double[bins];
        double width = max > min ? (max - min) / bins : 1;
        foreach (float f in values) counts[Math.Min(bins - 1, (int)((f - min) / width))]++;
        var histo = new HistogramProto { Min = min, Max = max, Num = values.Length, Sum = sum, SumSquares = sumSq };
        for (int b = 0; b < bins; b++)
        {
            histo.BucketLimit.Add(b == bins - 1 ? max : min + (b + 1) * width);
            histo.Bucket.Add(counts[b]);
        }
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Histo = histo });
        Write(new Event { WallTime = wallTime ?? WallTime(), Step = step, Summary = summary });
    }

    /// <summary>Logs the distribution of a tensor's values (converted to float).</summary>
    public void AddHistogram(string tag, Tensor values, long step, int bins = 30)
    {
        ArgumentNullException.ThrowIfNull(values);
        AddHistogram(tag, values.ToArray<float>(), step, bins);
    }

    /// <summary>
    /// Logs the graph of one forward pass of <paramref name="model"/> on <paramref name="input"/>
    /// (TensorBoard's GRAPHS tab, PyTorch's <c>add_graph</c>). Node names carry the module hierarchy,
    /// e.g. <c>LeNet/Conv2d[conv1]/Convolution_0</c>, so TensorBoard folds each module into a box that
    /// opens into its operations and parameters; module outputs carry their shapes
    /// (<c>_output_shapes</c>). The forward pass runs with gradients enabled, in the model's current mode.
    /// </summary>
    public void AddGraph(Module model, Tensor input)
    {
        ModuleTrace trace = ModuleTrace.Run(model, input);
        GraphDef graph = ToGraphDef(trace);
        Write(new Event { WallTime = WallTime(), GraphDef = graph.ToByteString() });
        Flush();
    }

    internal static GraphDef ToGraphDef(ModuleTrace trace)
    {
        // PyTorch writes producer 22; TensorBoard only needs a VersionDef to be present.
        var graph = new GraphDef { Versions = new VersionDef { Producer = 22 } };
        foreach (ScopedNode n in trace.Nodes)
        {
            var node = new NodeDef { Name = n.Name, Op = n.Op };
            foreach (ScopedNode src in n.Inputs) node.Input.Add(src.Name);
            if (n.Shape is not null)
            {
                var shape = new TensorShapeProto();
                foreach (long d in n.Shape) shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
                var list = new AttrValue.Types.ListValue();
                list.Shape.Add(shape);
                node.Attr["_output_shapes"] = new AttrValue { List = list };
            }
            if (n.Label.Length > 0) node.Attr["attr"] = new AttrValue { S = ByteString.CopyFromUtf8(n.Label) };
            graph.Node.Add(node);
        }
        return graph;
    }

    /// <summary>Writes buffered events to the file.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush();
            _file.Flush(flushToDisk: false);
            _sinceFlush.Restart();
        }
    }

    /// <summary>Flushes and closes the event file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _stream.Flush();
            _stream.Dispose();
            _file.Dispose();
            _disposed = true;
        }
    }

    private void Write(Event e)
    {
        byte[] data = e.ToByteArray();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TFRecord.Write(_stream, data);
            if (_sinceFlush.Elapsed >= FlushInterval)
            {
                _stream.Flush();
                _sinceFlush.Restart();
            }
        }
    }

    /// <summary>PyTorch's default: runs/&lt;MMMdd_HH-mm-ss&gt;_&lt;host&gt;&lt;comment&gt;.</summary>
    internal static string DefaultLogDir(string? comment) =>
        Path.Combine("runs", DateTime.Now.ToString("MMMdd_HH-mm-ss", CultureInfo.InvariantCulture) + "_" + SafeHostName() + (comment ?? ""));

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static string SafeHostName()
    {
        string host;
        try
        {
            host = System.Net.Dns.GetHostName();
        }
        catch (System.Net.Sockets.SocketException)
        {
            host = Environment.MachineName;
        }
        foreach (char c in Path.GetInvalidFileNameChars()) host = host.Replace(c, '_');
        return host.Length == 0 ? "localhost" : host;
    }
}
