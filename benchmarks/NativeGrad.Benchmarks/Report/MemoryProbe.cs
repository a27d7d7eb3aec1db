using System.Diagnostics;
using System.Globalization;
using NativeGrad.Benchmarks.Support;
using NativeGrad.Benchmarks.Workloads;

namespace NativeGrad.Benchmarks.Report;

/// <summary>
/// Peak process memory of LeNet training, measured in a fresh child process: in the report's own
/// process the native caching allocator still holds blocks from GEMM 2048 and the ResNet conv, which
/// would be charged to LeNet. The child prints "startupBytes peakBytes" (VmHWM after loading the
/// library, then after training).
/// </summary>
internal static class MemoryProbe
{
    public const string ChildFlag = "--lenet-memory-child";

    /// <summary>The child's body: load the library, train <paramref name="steps"/> steps, print the peaks.</summary>
    public static int RunChild(int batch, int steps, int threads)
    {
        Threading.NumThreads = threads;
        using (Tensor probe = Tensor.Zeros(1)) { } // loads and initialises the native library
        long startup = Machine.PeakResidentBytes;
        using (var w = new LeNetWorkload(batch))
        {
            for (int i = 0; i < steps; i++) w.Step();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{startup} {Machine.PeakResidentBytes}"));
        return 0;
    }

    /// <summary>Runs the child with this same executable and returns (start-up VmHWM, VmHWM after training).</summary>
    public static (long Startup, long AfterTraining) Measure(int batch, int steps, int threads)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        // Under "dotnet app.dll" the host needs the assembly; an apphost runs itself.
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(MemoryProbe).Assembly.Location);
        foreach (string a in new[] { ChildFlag, batch.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture),
                                     threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);

        using Process child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the memory probe");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"memory probe exited with {child.ExitCode}");
        string[] parts = output.Trim().Split('\n')[^1].Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
