using System.Globalization;

namespace FashionMnistSample;

/// <summary>Command-line options of the sample, with defaults that reach the published accuracy.</summary>
internal sealed record Options
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 0.002;
    public int Workers { get; init; } = 1;
    public int? Threads { get; init; }
    public string? DataDirectory { get; init; }
    public string LogDirectory { get; init; } = Path.Combine("runs", "fashion-mnist");
    public string OutputDirectory { get; init; } = Path.Combine("artifacts", "fashion-mnist");
    public long Seed { get; init; } = 42;
    public bool Subset { get; init; }
    public string? EvalOnly { get; init; }
    public bool Help { get; init; }

    public const string Usage = """
        Trains a CNN (two conv + batch-norm + pooling blocks, then two linear layers) on Fashion-MNIST
        with NativeGrad, reports test accuracy per epoch, and writes a checkpoint, TensorBoard logs and
        graph drawings.

        Usage: dotnet run --project samples/FashionMnist -c Release -- [options]

          --epochs N        training epochs (default 5)
          --batch-size N    images per batch (default 64)
          --lr X            peak AdamW learning rate (weight decay 0.05, cosine-annealed to 0 over
                            all training steps; default 0.002)
          --workers N       background data-loading threads (default 1; 0 loads on the training thread)
          --threads N       threads of the native kernels (default: all cores)
          --data DIR        directory with the Fashion-MNIST IDX files (default: search the usual places,
                            then /usr/share/datasets/fashion-mnist, else the subset embedded in NativeGrad)
          --subset          use the embedded 3000/1000-image subset even if the full dataset is present
          --logdir DIR      TensorBoard log directory (default runs/fashion-mnist)
          --output DIR      where the checkpoint and graph files go (default artifacts/fashion-mnist)
          --seed N          seed of the initial weights and of the shuffling (default 42)
          --eval-only FILE  evaluate a saved checkpoint (.safetensors) on the test set and exit
          --help            show this text
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = a switch
            {
                "--epochs" => o with { Epochs = Positive(Int(), a) },
                "--batch-size" => o with { BatchSize = Positive(Int(), a) },
                "--lr" => o with { LearningRate = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--workers" => o with { Workers = Math.Max(0, Int()) },
                "--threads" => o with { Threads = Positive(Int(), a) },
                "--data" => o with { DataDirectory = Next() },
                "--subset" => o with { Subset = true },
                "--logdir" => o with { LogDirectory = Next() },
                "--output" => o with { OutputDirectory = Next() },
                "--seed" => o with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) },
                "--eval-only" => o with { EvalOnly = Next() },
                "--help" or "-h" => o with { Help = true },
                _ => throw new ArgumentException($"Unknown option '{a}'. Run with --help for the list."),
            };
        }
        return o;
    }

    private static int Positive(int value, string name) =>
        value >= 1 ? value : throw new ArgumentException($"{name} must be at least 1, got {value}.");
}
