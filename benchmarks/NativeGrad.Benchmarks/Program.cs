using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using NativeGrad.Benchmarks.Report;

namespace NativeGrad.Benchmarks;

/// <summary>
/// Entry point. <c>--report [--quick]</c> prints one Markdown table of every figure (Stopwatch medians,
/// a few minutes); anything else goes to BenchmarkDotNet's switcher, e.g. <c>--filter '*Gemm*'</c>,
/// <c>--list flat</c>, <c>--job short</c>.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 4 && args[0] == MemoryProbe.ChildFlag)
            return MemoryProbe.RunChild(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]));

        if (args.Contains("--report"))
        {
            bool quick = args.Contains("--quick");
            // --only <text>: run the sections whose name contains the text (e.g. GEMM, conv2d, LeNet).
            int onlyAt = Array.IndexOf(args, "--only");
            string? only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null;
            string command = "dotnet run -c Release --project benchmarks/NativeGrad.Benchmarks -- " + string.Join(' ', args);
            return new ReportRunner(quick, command, only).Run();
        }

        // BenchmarkDotNet builds each benchmark's child process from this project, which it finds by
        // searching from the working directory: run from the repository root (or this folder).
        IConfig config = DefaultConfig.Instance;
        if (!args.Contains("--artifacts") && FindRepositoryRoot() is string root)
            config = config.WithArtifactsPath(Path.Combine(root, "artifacts", "benchmarks"));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NativeGrad.sln"))) return dir.FullName;
        }
        return null;
    }
}
