using System.Diagnostics;
using FashionMnistSample;
using NativeGrad;
using NativeGrad.Data;
using NativeGrad.Diagnostics;
using NativeGrad.NN;
using NativeGrad.Optim;

Options options;
try
{
    options = Options.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(Options.Usage);
    return 0;
}
if (options.Threads is int threads) Threading.NumThreads = threads;

MnistDataset Load(bool train) => options.Subset
    ? FashionMnist.LoadEmbeddedSubset(train, normalize: true)
    : FashionMnist.Load(train, options.DataDirectory, normalize: true);

MnistDataset test = Load(train: false);
Console.WriteLine($"Test data: {test.Count} images from {test.Source}");
if (test.IsSubset) Console.WriteLine($"Note: {test.Message ?? "using the embedded subset"} — accuracy will be lower than on the full dataset.");

using var generator = new Generator((ulong)options.Seed);
FashionNet net;
using (Init.UseGenerator(generator)) net = new FashionNet();  // the seed fixes the initial weights
using var model = net;

if (options.EvalOnly is string checkpoint)
{
    model.Load(checkpoint);
    Console.WriteLine($"Test accuracy of {checkpoint}: {Evaluate(model, test, options):P2}");
    return 0;
}

MnistDataset train = Load(train: true);
Console.WriteLine($"Training data: {train.Count} images from {train.Source}");
Console.WriteLine($"Native kernels: {Threading.NumThreads} threads; data workers: {options.Workers}");
Console.WriteLine(ModelSummary.Of(model, [1, 28, 28]));

Directory.CreateDirectory(options.OutputDirectory);
using var writer = new SummaryWriter(options.LogDirectory);
using (var sample = Tensor.Zeros(2, 1, 28, 28))
{
    writer.AddGraph(model, sample);
    using var scope = DisposeScope.Begin();
    model.Eval();
    File.WriteAllText(Path.Combine(options.OutputDirectory, "model.dot"), GraphExport.ToDot(model, sample));
    model.Train();
    File.WriteAllText(Path.Combine(options.OutputDirectory, "autograd.dot"),
                      GraphExport.ToDot(model.Call(sample), model.NamedParameters()));
}

// AdamW with the learning rate cosine-annealed to zero over every step of the run: with it this
// network reaches 92.15% in 5 epochs (default seed; 92.2-92.4% for seeds 42 and 7 when its second
// convolution ran the direct kernel instead of Winograd), where SGD with Nesterov momentum
// (lr 0.05, annealed per epoch or per step) stayed at 91.4-91.9%.
var optimizer = new AdamW(model.Parameters(), lr: options.LearningRate, weightDecay: 0.05);
int stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
var schedule = new CosineAnnealingLR(optimizer, tMax: options.Epochs * stepsPerEpoch);
var progress = new Progress();
var total = Stopwatch.StartNew();
long step = 0;
double accuracy = 0;
for (int epoch = 1; epoch <= options.Epochs; epoch++)
{
    model.Train();
    var loader = new DataLoader(train, batchSize: options.BatchSize, shuffle: true, seed: options.Seed + epoch,
                                numWorkers: options.Workers, prefetchFactor: 2);
    var clock = Stopwatch.StartNew();
    double lossSum = 0;
    int batches = 0;
    progress.RunEpoch($"epoch {epoch}/{options.Epochs}", train.Count, report =>
    {
        foreach (var (images, labels) in loader)
        {
            using var scope = DisposeScope.Begin();
            using var x = images;
            using var y = labels;
            optimizer.ZeroGrad();
            Tensor loss = Functional.CrossEntropy(model.Call(x), y);
            loss.Backward();
            optimizer.Step();
            schedule.Step();
            float value = loss.Item<float>();
            lossSum += value;
            batches++;
            if (++step % 50 == 0) writer.AddScalar("train/loss", value, step);
            report((int)x.Size(0), lossSum / batches);
        }
    });
    double seconds = clock.Elapsed.TotalSeconds;
    accuracy = Evaluate(model, test, options);
    writer.AddScalar("test/accuracy", accuracy, epoch);
    writer.AddScalar("train/epoch_loss", lossSum / Math.Max(batches, 1), epoch);
    writer.AddScalar("train/images_per_second", train.Count / seconds, epoch);
    Console.WriteLine($"epoch {epoch}: loss {lossSum / Math.Max(batches, 1):F4}, test accuracy {accuracy:P2}, " +
                      $"{seconds:F1} s ({train.Count / seconds:F0} images/s)");
}
writer.Flush();

string checkpointPath = Path.Combine(options.OutputDirectory, "fashion-mnist.safetensors");
model.Save(checkpointPath);
Console.WriteLine();
Console.WriteLine($"Final test accuracy: {accuracy:P2} after {options.Epochs} epochs in {total.Elapsed.TotalSeconds:F1} s");
Console.WriteLine($"Checkpoint: {checkpointPath}; TensorBoard logs: {options.LogDirectory} (tensorboard --logdir {options.LogDirectory})");
Console.WriteLine($"Graphs: {Path.Combine(options.OutputDirectory, "model.dot")}, {Path.Combine(options.OutputDirectory, "autograd.dot")}");
RenderWithGraphviz(options.OutputDirectory);
return 0;

static double Evaluate(Module model, MnistDataset data, Options options)
{
    model.Eval();
    long correct = 0;
    using (Autograd.NoGrad())
    {
        var loader = new DataLoader(data, batchSize: 100, numWorkers: options.Workers);
        foreach (var (images, labels) in loader)
        {
            using var scope = DisposeScope.Begin();
            using var x = images;
            using var y = labels;
            correct += model.Call(x).ArgMax(1).Eq(y).ToType(DType.Int64).Sum().Item<long>();
        }
    }
    model.Train();
    return (double)correct / data.Count;
}

static void RenderWithGraphviz(string directory)
{
    foreach (string dot in new[] { "model.dot", "autograd.dot" })
    {
        try
        {
            string input = Path.Combine(directory, dot);
            using var process = Process.Start(new ProcessStartInfo("dot", $"-Tpng -O \"{input}\"")
            {
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            process?.WaitForExit();
            if (process is { ExitCode: 0 }) Console.WriteLine($"Rendered {input}.png");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return;  // Graphviz is not installed: the DOT files are still there
        }
    }
}
